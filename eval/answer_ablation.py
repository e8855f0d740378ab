"""Ablation of the answerer, by corpus and half: ``python -m sisterqa.eval.answer_ablation [--corpus NAME]…``.

Each variant changes one thing of the default answerer (``app.extract.AnswerSettings``,
``app.query.TurnSettings``) on the same indexes, and reports for each named corpus (the five papers,
the second corpus) and each half of its gold set: key facts / citation precision / citation support
/ junk citations / median words, and abstention / false abstention. The weights stay those shipped
(learned on the tuning halves with everything on).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

VARIANTS = (
    ("default", {}, {}),
    ("any sentence quotable (no block kinds)", {"block_kinds": False}, {}),
    ("comparisons not in parts", {"parts": False}, {}),
    ("sentences about another partnership kept", {"stay_on_partnership": False}, {}),
    ("every turn with history a follow-up", {}, {"decide_followup": False}),
)


def run(corpora: list[str], progress=print) -> dict:
    from sisterqa.app.settings import load_settings

    from .corpus import evaluate_corpus, named
    from .run import evaluate

    base = load_settings({})
    out: dict = {}
    for corpus in corpora:
        for name, answer, turn in VARIANTS:
            s = replace(base, answer=replace(base.answer, **answer), turn=replace(base.turn, **turn))
            progress(f"{corpus}: {name}")
            folder, gold = named(corpus)
            if folder is None:
                r = evaluate(s, gold, baselines=False, gold_table=False, new_topic=False)
            else:
                r = evaluate_corpus(s, folder, gold, baselines=False)
            out.setdefault(corpus, {})[name] = {sp: r["splits"][sp]["system"] for sp in ("tune", "heldout")}
    return out


def table(result: dict) -> str:
    def cell(m: dict) -> str:
        return (f"{m['keyfact_recall']:.3f} / {m['citation_precision']:.3f} / {m['citation_support']:.3f} / "
                f"{m['junk_citations']:.3f} / {m['answer_words_median']:.0f}; "
                f"{m['abstention_accuracy']:.2f} / {m['false_abstention']:.3f}")

    lines = []
    for corpus, rows in result.items():
        lines += [f"**{corpus}**", "",
                  "| variant | tune | held-out |", "| --- | --- | --- |"]
        lines += [f"| {name} | {cell(r['tune'])} | {cell(r['heldout'])} |" for name, r in rows.items()]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", action="append", default=None, help="named corpus (default: every one available)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from .corpus import available

    result = run(args.corpus or available(), progress=lambda m: print(f"ablation: {m}…", flush=True))
    print(json.dumps(result, indent=1) if args.json else table(result))


if __name__ == "__main__":
    main()
