"""``sisterqa eval``: the system and the baselines over the gold set, side by side."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sisterqa.ingest.load import load
from sisterqa.ingest.normalize import normalize

from . import calibration, metrics, variants
from .baselines import BM25Baseline, VanillaBaseline, vanilla_chunks
from .table import GOLD_TABLE, evaluate_table
from .table import cells_report as table_cells_report
from .table import report as table_report

GOLD = Path(__file__).resolve().parent / "gold.jsonl"
SUMMARY_METRICS = ("hit@1", "hit@5", "hit@10", "allev@10", "mrr@10", "keyfact_recall",
                   "citation_precision", "citation_support", "citation_validity", "junk_citations",
                   "abstention_accuracy", "false_abstention",
                   "answer_words_median", "latency_ms_p50", "latency_ms_p95")
GROUP_METRICS = ("hit@5", "allev@10", "mrr@10", "keyfact_recall", "citation_precision")
SPLITS = ("tune", "heldout")


def load_gold(path: Path = GOLD) -> list[dict]:
    """The gold items of a JSONL file."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_system(engine, items: list[dict]) -> tuple[list[dict], list[float]]:
    """Answer every item through the code path of ``sisterqa ask``; return answers and warm latencies."""
    from sisterqa.app.session import ChatSession

    answers, latencies = [], []
    ChatSession(engine).ask(items[0]["question"])  # warm up: model and caches
    for it in items:
        t0 = time.perf_counter()
        answer = ChatSession(engine, history=list(it.get("history", []))).ask(it["question"])
        latencies.append((time.perf_counter() - t0) * 1000)
        answers.append(answer.to_json(engine.snapshot))
    return answers, latencies


def run_baseline(baseline, items: list[dict]) -> tuple[list[dict], list[float]]:
    baseline.ask(items[0]["question"])
    answers, latencies = [], []
    for it in items:
        t0 = time.perf_counter()
        answers.append(baseline.ask(it["question"], list(it.get("history", []))))
        latencies.append((time.perf_counter() - t0) * 1000)
    return answers, latencies


def groups(items: list[dict], doc_language: dict[str, str]) -> dict[str, list[int]]:
    """Item indexes by question language, by type, and English-about-Indonesian."""
    out: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        out.setdefault(f"lang={it['lang']}", []).append(i)
        out.setdefault(f"type={it['type']}", []).append(i)
        docs = {Path(ev["doc"]).stem for ev in it["evidence"]}
        if it["lang"] == "en" and any(doc_language.get(d) == "id" for d in docs):
            out.setdefault("en-about-id", []).append(i)
    return dict(sorted(out.items()))


def new_topic_section(engine, items: list[dict], alone: list[dict], texts: dict) -> dict:
    """The self-contained items asked after an unrelated question, against the same items alone,
    over all of them and for each split (``eval.variants.new_topic``)."""
    pairs = variants.new_topic(items)
    after, _ = run_system(engine, [v for _, v in pairs])
    keys = [k for k in SUMMARY_METRICS if not k.startswith("latency")]
    out = {"n": len(pairs)}
    for name in ("all", *SPLITS):
        idx = [k for k, (i, _) in enumerate(pairs) if name == "all" or items[i].get("split") == name]
        if not idx:
            continue
        sub = [pairs[k][1] for k in idx]
        m_alone = metrics.compute(sub, [alone[pairs[k][0]] for k in idx], texts)
        m_after = metrics.compute(sub, [after[k] for k in idx], texts)
        out[name] = {"n": len(idx), **variants.compare(m_alone, m_after, keys)}
    out["followup_share"] = sum(a.get("followup", False) for a in after) / max(1, len(after))
    return out


def evaluate(settings, gold: Path = GOLD, baselines: bool = True, engine=None,
             progress=lambda msg: None, gold_table: Path | bool | None = None, new_topic: bool = True) -> dict:
    """Run the whole evaluation; return the contract's JSON with breakdowns and predictions.

    ``gold_table``: a gold table for the ``table`` section (eval/table.py); by default
    eval/gold-table.jsonl when it exists; False: no table section. ``new_topic``: also the
    new-topic variant (eval/variants.py).
    """
    from sisterqa.app.session import Engine

    t0 = time.perf_counter()
    items = load_gold(gold)
    engine = engine or Engine(settings)
    snap = engine.snapshot
    root = Path(settings.root)
    files = [root / p["path"] if not Path(p["path"]).is_absolute() else Path(p["path"]) for p in snap.papers]
    texts = {}
    for p, f in zip(snap.papers, files):
        try:
            raw = load(f, limits=settings.build.limits)
            texts[p["doc_id"]] = normalize(" ".join(t for _, t in raw.pages))
        except Exception:  # noqa: BLE001 - a missing source file: fall back to the indexed text
            texts[p["doc_id"]] = normalize(snap.paper_text(p["doc_id"]))
    # Evidence names a paper by file; the stem matches, so x.txt and x.pdf are the same paper.
    doc_language = {Path(p["path"]).stem: p["language"] for p in snap.papers}

    progress("system")
    runs = {"system": run_system(engine, items)}
    timing = {"system_s": time.perf_counter() - t0}
    bases = {}
    if baselines:
        t1 = time.perf_counter()
        chunks = vanilla_chunks(files)
        progress("bm25 baseline")
        bases["bm25"] = BM25Baseline(chunks)
        runs["bm25"] = run_baseline(bases["bm25"], items)
        progress("vanilla baseline")
        bases["vanilla"] = VanillaBaseline(chunks)
        runs["vanilla"] = run_baseline(bases["vanilla"], items)
        timing["baselines_s"] = time.perf_counter() - t1

    result = {"n": len(items)}
    result["system"] = metrics.compute(items, runs["system"][0], texts, runs["system"][1])
    result["baselines"] = {
        name: metrics.compute(items, runs[name][0], texts, runs[name][1]) for name in runs if name != "system"
    }
    breakdown = {}
    for group, idx in groups(items, doc_language).items():
        sub = [items[i] for i in idx]
        breakdown[group] = {"n": len(idx)}
        for name, (answers, _) in runs.items():
            breakdown[group][name] = metrics.compute(sub, [answers[i] for i in idx], texts)
    result["breakdown"] = breakdown
    splits = {}
    for name in SPLITS:
        idx = [i for i, it in enumerate(items) if it.get("split") == name]
        if not idx:
            continue
        sub = [items[i] for i in idx]
        per = {run: metrics.compute(sub, [answers[i] for i in idx], texts, [lat[i] for i in idx])
               for run, (answers, lat) in runs.items()}
        splits[name] = {"n": len(idx), "system": per.pop("system"), "baselines": per, "breakdown": {
            g: {"n": len(gi), **{run: metrics.compute([items[i] for i in gi], [answers[i] for i in gi], texts)
                                 for run, (answers, _) in runs.items()}}
            for g, gi in groups(sub, doc_language).items() for gi in [[idx[j] for j in gi]]}}
    if splits:
        result["splits"] = splits
    result["calibration"] = calibration.calibration(items, runs["system"][0])
    for name, sp in splits.items():
        idx = [i for i, it in enumerate(items) if it.get("split") == name]
        sp["calibration"] = calibration.calibration([items[i] for i in idx], [runs["system"][0][i] for i in idx])
    result["confident_mistakes"] = calibration.confident_mistakes(items, runs["system"][0])
    if new_topic:
        progress("new-topic variant")
        result["new_topic"] = new_topic_section(engine, items, runs["system"][0], texts)
    strict = gold_table is not None  # the default gold table leaves out papers this index lacks
    if gold_table is None:
        gold_table = GOLD_TABLE if GOLD_TABLE.exists() else False
    if gold_table:  # the literature table, cell by cell (eval/table.py)
        t1 = time.perf_counter()
        tab = evaluate_table(engine, Path(gold_table), texts, bases, progress, strict=strict)
        if tab is not None:
            result["table"] = tab
        timing["table_s"] = time.perf_counter() - t1
    result["runtime_s"] = round(time.perf_counter() - t0, 2)
    result["timing_s"] = {k: round(v, 2) for k, v in timing.items()}
    result["_predictions"] = runs["system"][0]
    result["_items"] = items
    result["_baseline_answers"] = {k: v[0] for k, v in runs.items() if k != "system"}
    return result


def public(result: dict) -> dict:
    """The result without the bulky private parts (predictions, items)."""
    out = {k: v for k, v in result.items() if not k.startswith("_")}
    if "table" in out:
        out["table"] = {k: v for k, v in out["table"].items() if not k.startswith("_")}
    return out


def failures(result: dict, limit: int = 3) -> list[dict]:
    """Items whose evidence was not in the system's top 10, with what came back instead."""
    out = []
    for it, a in zip(result["_items"], result["_predictions"]):
        if it["type"] == "unanswerable":
            continue
        texts = [p["text"] for p in a["passages"]]
        missing = [ev for ev in it["evidence"] if metrics.first_cover(texts, ev["quote"], 10) is None]
        if missing:
            out.append({
                "id": it["id"], "question": it["question"], "history": it.get("history", []),
                "missing": [{"doc": ev["doc"], "quote": ev["quote"][:160]} for ev in missing],
                "got": [{"rank": p["rank"], "passage_id": p["passage_id"], "text": p["text"][:160]}
                        for p in a["passages"][:limit]],
            })
    return out


def table(result: dict, keys=SUMMARY_METRICS) -> str:
    """A Markdown table: metrics down, systems across."""
    cols = ["system", *result["baselines"]]
    rows = ["| metric | " + " | ".join(cols) + " |", "| --- |" + " --- |" * len(cols)]
    for k in keys:
        vals = [result["system"][k]] + [result["baselines"][c][k] for c in cols[1:]]
        rows.append(f"| {k} | " + " | ".join(_fmt(k, v) for v in vals) + " |")
    return "\n".join(rows)


def split_table(result: dict, keys=SUMMARY_METRICS) -> str:
    """A Markdown table: metrics down, each split's system and baselines across."""
    splits = result.get("splits", {})
    cols = [(sp, c) for sp in splits for c in ["system", *splits[sp]["baselines"]]]
    rows = ["| metric | " + " | ".join(f"{sp} {c} (n={splits[sp]['n']})" for sp, c in cols) + " |",
            "| --- |" + " --- |" * len(cols)]
    for k in keys:
        vals = [splits[sp]["system"][k] if c == "system" else splits[sp]["baselines"][c][k] for sp, c in cols]
        rows.append(f"| {k} | " + " | ".join(_fmt(k, v) for v in vals) + " |")
    return "\n".join(rows)


def breakdown_table(result: dict, keys=GROUP_METRICS) -> str:
    cols = ["system", *result["baselines"]]
    head = "| group | n | " + " | ".join(f"{k} ({c})" for k in keys for c in cols) + " |"
    rows = [head, "| --- | --- |" + " --- |" * (len(keys) * len(cols))]
    for g, d in result["breakdown"].items():
        rows.append(f"| {g} | {d['n']} | " + " | ".join(_fmt(k, d[c][k]) for k in keys for c in cols) + " |")
    return "\n".join(rows)


def _fmt(key: str, v: float) -> str:
    return f"{v:.0f}" if key.startswith(("latency", "answer_words")) else f"{v:.3f}"


def write_report(result: dict, folder: Path) -> tuple[Path, Path]:
    """Write report.md and chart.png into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / "report.md"
    png = folder / "chart.png"
    md.write_text(
        f"# sisterqa evaluation\n\n{result['n']} gold items, runtime {result['runtime_s']} s.\n\n"
        f"## Overall\n\n{table(result)}\n\n"
        + (f"## By split (tuning / held-out)\n\n{split_table(result)}\n\n" if result.get("splits") else "")
        + f"## By group\n\n{breakdown_table(result)}\n\n"
        + (f"## Literature table\n\n{table_report(result['table'])}\n\n" if result.get("table") else "")
        + f"![chart]({png.name})\n\n" + calibration_section(result, folder), encoding="utf-8",
    )
    if result.get("table"):
        (folder / "table-cells.md").write_text(
            "# The literature table, cell by cell\n\n" + table_cells_report(result["table"]), encoding="utf-8")
    _chart(result, png)
    write_answers(result, folder / "answers.md")
    return md, png


def calibration_section(result: dict, folder: Path) -> str:
    """The reliability diagram (reliability.png) and the most confident wrong answers, in Markdown."""
    cal = result.get("calibration")
    if not cal or not cal.get("n"):
        return ""
    calibration.reliability_png(cal, folder / "reliability.png")
    rows = [f"| {s} | {d['calibration']['ece']:.3f} | "
            f"{'' if d['calibration']['auroc'] is None else format(d['calibration']['auroc'], '.3f')} | "
            f"{d['calibration']['n']} |"
            for s, d in result.get("splits", {}).items() if d.get("calibration", {}).get("n")]
    mistakes = "\n".join(f"- {m['id']} ({m['type']}, confidence {m['confidence']:.2f}"
                         f"{', abstained' if m['abstained'] else ''}): {m['question']}"
                         for m in result.get("confident_mistakes", []))
    auroc = "" if cal["auroc"] is None else f"{cal['auroc']:.3f}"
    return (f"## Confidence\n\nExpected calibration error {cal['ece']:.3f}, AUROC {auroc} over {cal['n']} "
            f"responses.\n\n| split | ECE | AUROC | n |\n| --- | --- | --- | --- |\n" + "\n".join(rows)
            + f"\n\n![reliability](reliability.png)\n\nMost confident wrong responses:\n\n{mistakes}\n")


def write_answers(result: dict, path: Path) -> Path:
    """Every gold item beside the system's answer, for a person to read."""
    out = [f"# Answers on the gold set\n\n{result['n']} items: question, reference answer, key facts "
           "(✓ found in the answer, ✗ missing), and the system's answer with its citations.\n"]
    for it, a in zip(result["_items"], result["_predictions"]):
        ans = f" {normalize(a['answer'])} "
        facts = ", ".join(f"{'✓' if normalize(f) in ans else '✗'} {f}" for f in it["key_facts"]) or "—"
        hist = "".join(f"> earlier: {h}\n>\n" for h in it.get("history", []))
        cites = "\n".join(f"  - [{c['n']}] {c.get('title', c['doc_id'])[:70]} — {c.get('section', '')[:50]}"
                          for c in a["citations"])
        out.append(
            f"## {it['id']} ({it['type']}, {it['lang']}, {it.get('split', '-')})\n\n{hist}> **{it['question']}**\n\n"
            f"**Reference:** {it['answer']}\n\n**Key facts:** {facts}\n\n"
            f"**System{' (abstained)' if a['abstained'] else ''}:**\n\n{a['answer']}\n\n{cites}\n")
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def _chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    keys = ["hit@5", "allev@10", "mrr@10", "keyfact_recall", "citation_validity", "abstention_accuracy"]
    groups_ = ["overall", "lang=en", "lang=id", "en-about-id", "type=followup"]
    cols = ["system", *result["baselines"]]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.2))
    x = np.arange(len(keys))
    for i, c in enumerate(cols):
        vals = [(result["system"] if c == "system" else result["baselines"][c])[k] for k in keys]
        axes[0].bar(x + (i - 1) * 0.27, vals, 0.27, label=c)
    axes[0].set_xticks(x, keys, rotation=20, ha="right")
    axes[0].set_ylim(0, 1.05)
    axes[0].set_title("Overall")
    axes[0].legend()
    x = np.arange(len(groups_))
    for i, c in enumerate(cols):
        vals = []
        for g in groups_:
            d = result["system"] if g == "overall" and c == "system" else (
                result["baselines"][c] if g == "overall" else result["breakdown"].get(g, {}).get(c, {}))
            vals.append(d.get("hit@5", 0.0))
        axes[1].bar(x + (i - 1) * 0.27, vals, 0.27, label=c)
    axes[1].set_xticks(x, groups_, rotation=20, ha="right")
    axes[1].set_ylim(0, 1.05)
    axes[1].set_title("hit@5 by group")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
