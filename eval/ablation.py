"""Retrieval ablations on the gold set: ``python -m sisterqa.eval.ablation [--index-dir DIR]``.

Each variant changes one retrieval setting on the same index and reports
hit@5 and allev@10 overall, per question language, for English questions
about Indonesian papers, and for follow-ups. Variants that need another
index (chunk size, contextual embedding) are measured by re-ingesting into a
temporary directory with ``--rebuild``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from . import metrics
from .run import GOLD, groups, load_gold

GROUPS = ("split=tune", "split=heldout", "lang=en", "lang=id", "en-about-id", "type=followup", "type=compare",
          "type=list")


def retrieval_scores(engine, items: list[dict]) -> dict:
    """hit@5, allev@10 and mrr@10 overall and by group for the engine's current settings."""
    answers = []
    t0 = time.perf_counter()
    for it in items:
        _, hits = engine.retriever.rank(engine.retriever.query(it["question"], list(it.get("history", []))))
        answers.append({"answer": "", "abstained": False, "citations": [],
                        "passages": [{"rank": h.rank, "text": h.passage.text} for h in hits]})
    ms = (time.perf_counter() - t0) * 1000 / len(items)
    lang = {Path(p["path"]).stem: p["language"] for p in engine.snapshot.papers}
    out = {"overall": metrics.compute(items, answers), "ms_per_query": ms}
    by_group = groups(items, lang)
    for split in ("tune", "heldout"):
        by_group[f"split={split}"] = [i for i, it in enumerate(items) if it.get("split") == split]
    for g, idx in by_group.items():
        if g in GROUPS and idx:
            out[g] = metrics.compute([items[i] for i in idx], [answers[i] for i in idx])
    return out


def row(name: str, r: dict) -> str:
    cells = [f"{r['overall']['hit@5']:.3f} / {r['overall']['allev@10']:.3f}"]
    cells += [f"{r[g]['hit@5']:.3f} / {r[g]['allev@10']:.3f}" for g in GROUPS if g in r]
    return f"| {name} | " + " | ".join(cells) + f" | {r['overall']['mrr@10']:.3f} |"


def header() -> str:
    cols = ["overall", *GROUPS]
    return ("| variant | " + " | ".join(f"{c} hit@5 / allev@10" for c in cols) + " | mrr@10 |\n"
            + "| --- |" + " --- |" * (len(cols) + 1))


def variants(base):
    """(name, search settings, follow-up strategy) to compare, each one step from the default."""
    yield "default", base, None
    yield "no dictionary translations in BM25", replace(base, translation_weight=0.0), None
    yield "translations weighted 1.0", replace(base, translation_weight=1.0), None
    yield "no name routing", replace(base, title_boost=0.0), None
    yield "name routing +0.3", replace(base, title_boost=0.3), None
    yield "comparisons: no per-side retrieval", base, "no-sides"
    yield "comparisons: sides' passages first (then the general ranking)", base, "sides-first"
    for d in (0.05, 0.1, 0.2, 0.3):
        yield f"MMR diversity {d}", replace(base, diversity=d), None
    yield "dense only", replace(base, fusion="dense"), None
    yield "bm25 only", replace(base, fusion="bm25"), None
    yield "rrf (k=60)", replace(base, fusion="rrf"), None
    for a in (0.5, 0.6, 0.7, 0.8, 0.9):
        yield f"weighted alpha={a}", replace(base, fusion="weighted", alpha=a), None
    for w in (0.0, 0.3, 0.5, 0.7):
        yield f"sentence max-sim weight={w}", replace(base, sentence_weight=w), None
    for lb in (0.0, 0.9, 0.99, 1.0):
        yield f"lang balance share={lb}", replace(base, lang_balance=lb), None
    for rp in (1.0, 0.5):
        yield f"reference penalty x{rp}", replace(base, reference_penalty=rp), None
    for tb in (0.0, 0.1, 0.2):
        yield f"title/author routing +{tb}", replace(base, title_boost=tb), None
    for f in ("none", "concat", "vector", "entities"):
        yield f"follow-up: {f}", base, f


def main(argv=None) -> int:
    from sisterqa.app.session import Engine
    from sisterqa.app.settings import load_settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index-dir", default=None)
    ap.add_argument("--gold", default=str(GOLD))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    settings = load_settings({"index_dir": args.index_dir} if args.index_dir else {})
    engine = Engine(settings)
    items = [it for it in load_gold(Path(args.gold)) if it["type"] != "unanswerable"]
    base, turn = engine.searcher.settings, engine.retriever.settings
    results = {}
    print(header())
    for name, s, followup in variants(base):
        engine.searcher.settings = s
        engine.retriever.settings = replace(
            turn, compare_sides=followup != "no-sides",
            side_merge="sides-first" if followup == "sides-first" else "global-first",
            followup=turn.followup if followup in (None, "no-sides", "sides-first") else followup)
        r = retrieval_scores(engine, items)
        results[name] = r
        print(row(name, r), flush=True)
    engine.searcher.settings, engine.retriever.settings = base, turn
    if args.json:
        json.dump(results, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
