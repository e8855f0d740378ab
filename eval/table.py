"""The ``table`` section of ``sisterqa eval``: literature tables against a gold table.

The gold table (``eval/gold-table.jsonl``, or ``eval --gold-table FILE``) has one line per
(paper, column) cell::

    {"doc": "<file name in corpus/>", "column": "<id>", "question": "…", "stated": true|false,
     "answer": "…", "key_facts": [...], "evidence": [{"doc", "quote"}], "split": "tune"|"heldout"}

The system fills the table with ``app.table.build_table`` (the answerer, focused on each row's
paper); the baselines of ``eval/baselines.py`` answer cell by cell, each ranking only the chunks of
the row's paper (they never say "not stated"). Per system, over the cells (text normalised as the
contract says):

- ``cell_keyfact_recall``: share of the key facts of stated cells found in the cell's answer;
- ``cell_support``: share of stated cells where a cited quote overlaps the cell's evidence (the
  contract's ``citation_precision`` overlap rule: half of either one's word 4-grams in the other);
- ``cell_citation_precision``: share of the citations of stated cells that overlap its evidence;
- ``not_stated_accuracy``: share of not-stated cells answered ``stated: false``;
- ``false_not_stated``: share of stated cells answered ``stated: false``;
- ``citation_in_row``: share of citations that quote the row's own paper;
- ``citation_validity``: share of citations whose quote is in the cited paper's normalised text;
- ``cell_ms_p50`` / ``cell_ms_p95``: time per cell.

The same for each split (``tune`` / ``heldout``) under ``"splits"``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from sisterqa.ingest.errors import SisterQAError
from sisterqa.ingest.normalize import normalize

from .baselines import Baseline
from .metrics import percentile, quote_overlaps

GOLD_TABLE = Path(__file__).resolve().parent / "gold-table.jsonl"
METRICS = ("cell_keyfact_recall", "cell_support", "cell_citation_precision", "not_stated_accuracy",
           "false_not_stated", "citation_in_row", "citation_validity", "cell_ms_p50", "cell_ms_p95")
SPLITS = ("tune", "heldout")


class BadGoldTable(SisterQAError):
    """A gold table that cannot be used (unreadable, or naming a paper that is not indexed)."""

    exit_code = 2


def load_gold_table(path: Path = GOLD_TABLE) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as f:
            cells = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        raise BadGoldTable(f"gold table {path} cannot be read ({type(e).__name__}: {e})") from None
    for i, c in enumerate(cells, 1):
        missing = {"doc", "column", "question", "stated"} - set(c)
        if missing:
            raise BadGoldTable(f"gold table {path}, line {i}: no {', '.join(sorted(missing))}")
    return cells


def columns_of(gold: list[dict]) -> list[tuple[str, str]]:
    """The gold table's (column id, question), in order of first appearance."""
    out: dict[str, str] = {}
    for c in gold:
        out.setdefault(c["column"], c["question"])
    return list(out.items())


def doc_ids(gold: list[dict], snapshot, strict: bool = True) -> dict[str, str]:
    """Gold ``doc`` (a file name) → indexed doc_id, matched by file stem (x.txt and x.pdf alike).

    ``strict``: a paper that is not indexed is an error; else it is left out."""
    by_stem = {Path(p["path"]).stem: p["doc_id"] for p in snapshot.papers}
    out = {}
    for c in gold:
        stem = Path(c["doc"]).stem
        if stem in by_stem:
            out[c["doc"]] = by_stem[stem]
        elif strict:
            raise BadGoldTable(f"gold table names {c['doc']}, which is not in the index")
    return out


def system_cells(engine, gold: list[dict], docs: dict[str, str]) -> list[dict]:
    """The system's cell (as in ``table --json``, with ``doc_id`` and ``ms``) for each gold line."""
    from sisterqa.app.table import build_table

    columns = columns_of(gold)
    rows = list(dict.fromkeys(docs[c["doc"]] for c in gold))
    engine.answer(columns[0][1], doc_ids={rows[0]})  # warm: model and caches
    table = build_table(engine, [q for _, q in columns], rows)
    index = {cid: table.columns[i].id for i, (cid, _) in enumerate(columns)}
    out = []
    for c in gold:
        cell = table.cell(docs[c["doc"]], index[c["column"]])
        out.append({**cell.to_json(engine.snapshot), "doc_id": cell.doc_id, "ms": cell.ms})
    return out


class OnePaper(Baseline):
    """A baseline that ranks only one paper's chunks (its answer quotes only that paper)."""

    def __init__(self, base: Baseline, doc_id: str):
        super().__init__(base.chunks)
        self.base, self.doc_id = base, doc_id
        self.name = base.name

    def rank(self, query: str, k: int) -> list[tuple[int, float]]:
        ranked = self.base.rank(query, len(self.chunks))
        return [(i, s) for i, s in ranked if self.chunks[i].doc_id == self.doc_id][:k]


def baseline_cells(baseline: Baseline, gold: list[dict], docs: dict[str, str]) -> list[dict]:
    """A baseline's answer for each gold line, asked of the line's paper alone (always stated)."""
    out = []
    for c in gold:
        doc = docs[c["doc"]]
        t0 = time.perf_counter()
        a = OnePaper(baseline, doc).ask(c["question"])
        out.append({"column": c["column"], "stated": True, "answer": a["answer"], "citations": a["citations"],
                    "doc_id": doc, "ms": (time.perf_counter() - t0) * 1000})
    return out


def cell_metrics(gold: list[dict], cells: list[dict], texts: dict[str, str] | None = None) -> dict:
    """The table metrics (module doc) of predicted ``cells`` against ``gold``, line by line."""
    stated = [(g, p) for g, p in zip(gold, cells) if g["stated"]]
    unstated = [(g, p) for g, p in zip(gold, cells) if not g["stated"]]
    facts = found = supported = cites = precise = 0
    for g, p in stated:
        answer = f" {normalize(p['answer'])} " if p["stated"] else " "
        for fact in g.get("key_facts") or []:
            facts += 1
            found += normalize(fact) in answer
        quotes = [ev["quote"] for ev in g.get("evidence") or []]
        hits = [any(quote_overlaps(c["quote"], q) for q in quotes) for c in p["citations"]] if p["stated"] else []
        cites += len(hits)
        precise += sum(hits)
        supported += any(hits)
    every = [(p, c) for p in cells for c in p["citations"]]
    valid = sum(1 for p, c in every if normalize(c["quote"]) and normalize(c["quote"]) in (texts or {}).get(
        c["doc_id"], "")) if texts is not None else None
    ms = [p["ms"] for p in cells if p.get("ms") is not None]
    return {
        "cells": len(cells), "stated_cells": len(stated), "not_stated_cells": len(unstated),
        "cell_keyfact_recall": found / facts if facts else 0.0,
        "cell_support": supported / len(stated) if stated else 0.0,
        "cell_citation_precision": precise / cites if cites else 0.0,
        "not_stated_accuracy": sum(1 for _, p in unstated if not p["stated"]) / len(unstated) if unstated else 0.0,
        "false_not_stated": sum(1 for _, p in stated if not p["stated"]) / len(stated) if stated else 0.0,
        "citation_in_row": sum(1 for p, c in every if c["doc_id"] == p["doc_id"]) / len(every) if every else 1.0,
        "citation_validity": (valid / len(every) if every else 1.0) if valid is not None else None,
        "cell_ms_p50": percentile(ms, 50), "cell_ms_p95": percentile(ms, 95),
    }


def paper_texts(snapshot) -> dict[str, str]:
    """Each indexed paper's normalised text (what a citation must quote)."""
    return {p["doc_id"]: normalize(snapshot.paper_text(p["doc_id"])) for p in snapshot.papers}


def evaluate_table(engine, gold_path: Path = GOLD_TABLE, texts: dict[str, str] | None = None,
                   baselines: dict[str, Baseline] | None = None, progress=lambda m: None,
                   strict: bool = True) -> dict | None:
    """The ``table`` section of ``eval --json``: the system and the baselines, overall and by split.

    ``strict``: a gold cell of a paper that is not indexed is an error; else the cells of such papers
    are left out (None when none is left: say, an eval over another corpus)."""
    t0 = time.perf_counter()
    gold = load_gold_table(gold_path)
    docs = doc_ids(gold, engine.snapshot, strict)
    gold = [c for c in gold if c["doc"] in docs]
    if not gold:
        if strict:
            raise BadGoldTable(f"gold table {gold_path} has no cells")
        return None
    texts = texts if texts is not None else paper_texts(engine.snapshot)
    progress("table: system")
    runs = {"system": system_cells(engine, gold, docs)}
    table_s = sum(p["ms"] for p in runs["system"]) / 1000
    for name, base in (baselines or {}).items():
        progress(f"table: {name} baseline")
        runs[name] = baseline_cells(base, gold, docs)
    result = {
        "gold": str(gold_path), "n": len(gold), "papers": len(set(docs.values())),
        "columns": [cid for cid, _ in columns_of(gold)],
        "system": cell_metrics(gold, runs["system"], texts),
        "baselines": {name: cell_metrics(gold, cells, texts) for name, cells in runs.items() if name != "system"},
        "table_s": round(table_s, 3),
    }
    splits = {}
    for split in SPLITS:
        idx = [i for i, g in enumerate(gold) if g.get("split") == split]
        if not idx:
            continue
        sub = [gold[i] for i in idx]
        per = {name: cell_metrics(sub, [cells[i] for i in idx], texts) for name, cells in runs.items()}
        splits[split] = {"n": len(idx), "system": per.pop("system"), "baselines": per}
    if splits:
        result["splits"] = splits
    result["runtime_s"] = round(time.perf_counter() - t0, 2)
    result["_cells"] = [{"gold": g, "system": p} for g, p in zip(gold, runs["system"])]
    return result


def public(result: dict) -> dict:
    return {k: v for k, v in result.items() if not k.startswith("_")}


def _fmt(key: str, v) -> str:
    if v is None:
        return "—"
    return f"{v:.0f}" if key.startswith(("cell_ms", "cells", "stated", "not_stated_cells")) else f"{v:.3f}"


def report(result: dict) -> str:
    """Markdown: the metrics of the system and the baselines, overall and by split, then each cell."""
    cols = [("all", result)] + [(s, result["splits"][s]) for s in result.get("splits", {})]
    names = ["system", *result["baselines"]]
    head = [f"{sp} {n} (n={d['n']})" for sp, d in cols for n in names]
    lines = [f"{result['n']} cells ({result['papers']} papers × {len(result['columns'])} columns: "
             f"{', '.join(result['columns'])}), gold {Path(result['gold']).name}; the system's table in "
             f"{result['table_s']:.1f} s. Baselines answer from the row's paper's chunks and never say "
             "\"not stated\".", "",
             "| metric | " + " | ".join(head) + " |", "| --- |" + " ---: |" * len(head)]
    for k in ("stated_cells", "not_stated_cells", *METRICS):
        vals = [(d["system"] if n == "system" else d["baselines"][n]).get(k) for _, d in cols for n in names]
        lines.append(f"| {k} | " + " | ".join(_fmt(k, v) for v in vals) + " |")
    return "\n".join(lines)


def cells_report(result: dict) -> str:
    """Every gold cell beside the system's, for a person to read."""
    out = []
    for x in result.get("_cells", []):
        g, p = x["gold"], x["system"]
        ans = f" {normalize(p['answer'])} "
        facts = ", ".join(f"{'✓' if normalize(f) in ans else '✗'} {f}" for f in g.get("key_facts") or []) or "—"
        verdict = ("stated" if g["stated"] else "not stated") + " / " + ("stated" if p["stated"] else "not stated")
        out.append(f"### {Path(g['doc']).stem} · {g['column']} ({g.get('split', '-')}; gold / system: {verdict})\n\n"
                   f"**Gold:** {g.get('answer', '')}\n\n**Key facts:** {facts}\n\n**System:** {p['answer']}\n")
    return "\n".join(out)
