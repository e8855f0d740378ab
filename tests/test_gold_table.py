"""Checks for the gold literature table (eval/gold-table.jsonl, issue 21).

One line per (paper, column) cell over the five papers and the six preset columns:
``{"doc", "column", "question", "stated", "answer", "key_facts", "evidence", "split"}``.
Stated cells carry 1-3 key facts and 1-3 evidence quotes from their own paper; not-stated
cells carry neither. Fast: reads only the JSONL file and the five corpus texts.

    .venv/bin/python -m pytest tests/test_gold_table.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from sisterqa.ingest.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "eval" / "gold-table.jsonl"
CORPUS = ROOT / "corpus"

PAPERS = (
    "bandung-seoul-smart-city-paradiplomacy.txt",
    "magelang-tula-paradiplomacy-smart-city.txt",
    "semarang-jung-gu-kendala-sister-city.txt",
    "south-tangerang-daejeon-friendship-cooperation.txt",
    "tangerang-selatan-daejeon-alasan-kerjasama.txt",
)
COLUMNS = {
    "cities": "Which cities does the paper study?",
    "signed": "When was the cooperation agreement signed?",
    "fields": "In which fields do the cities cooperate?",
    "obstacles": "What obstacles did the cooperation face?",
    "method": "What research method does the study use?",
    "recommendations": "What does the paper recommend?",
}
FIELDS = {
    "doc": str,
    "column": str,
    "question": str,
    "stated": bool,
    "answer": str,
    "key_facts": list,
    "evidence": list,
    "split": str,
}
SPLITS = {"tune", "heldout"}
MAX_QUOTE_CHARS = 320


def _lines() -> list[tuple[int, str]]:
    assert TABLE.exists(), f"{TABLE} does not exist"
    return [(n, line) for n, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), 1) if line.strip()]


@pytest.fixture(scope="module")
def cells() -> list[dict]:
    out = []
    for n, line in _lines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{TABLE.name} line {n} is not valid JSON: {exc}")
        assert isinstance(obj, dict), f"line {n}: expected a JSON object, got {type(obj).__name__}"
        out.append(obj)
    return out


@pytest.fixture(scope="module")
def paper_norm() -> dict[str, str]:
    return {p: f" {normalize((CORPUS / p).read_text(encoding='utf-8'))} " for p in PAPERS}


def _label(c: dict) -> str:
    return f"({c.get('doc')!r}, {c.get('column')!r})"


def test_papers_exist():
    missing = [p for p in PAPERS if not (CORPUS / p).exists()]
    assert not missing, f"papers of the gold table missing from corpus/: {missing}"


def test_fields_and_types(cells):
    problems = []
    for c in cells:
        if set(c) != set(FIELDS):
            problems.append(f"{_label(c)}: fields {sorted(c)}, expected {sorted(FIELDS)}")
            continue
        for field, typ in FIELDS.items():
            if not isinstance(c[field], typ):
                problems.append(f"{_label(c)}: {field!r} should be {typ.__name__}, got {type(c[field]).__name__}")
        if isinstance(c["answer"], str) and not c["answer"].strip():
            problems.append(f"{_label(c)}: empty answer")
        if c["doc"] not in PAPERS:
            problems.append(f"{_label(c)}: unknown paper (known: {list(PAPERS)})")
        if c["column"] not in COLUMNS:
            problems.append(f"{_label(c)}: unknown column (known: {list(COLUMNS)})")
        elif c["question"] != COLUMNS[c["column"]]:
            problems.append(f"{_label(c)}: question {c['question']!r} is not the column's {COLUMNS[c['column']]!r}")
        if c["split"] not in SPLITS:
            problems.append(f"{_label(c)}: split must be one of {sorted(SPLITS)}, got {c['split']!r}")
    assert not problems, "\n".join(problems)


def test_every_cell_exactly_once(cells):
    counts = Counter((c.get("doc"), c.get("column")) for c in cells)
    expected = {(p, col) for p in PAPERS for col in COLUMNS}
    missing = sorted(expected - set(counts))
    extra = sorted(set(counts) - expected)
    dupes = sorted(k for k, v in counts.items() if v > 1)
    assert not (missing or extra or dupes), f"missing cells: {missing}; unexpected: {extra}; duplicates: {dupes}"


def test_stated_cells_have_facts_and_evidence_not_stated_have_none(cells):
    problems = []
    for c in cells:
        kf, ev = c.get("key_facts", []), c.get("evidence", [])
        if c.get("stated") is True:
            if not 1 <= len(kf) <= 3:
                problems.append(f"{_label(c)}: stated cell needs 1-3 key facts, has {len(kf)}")
            if not 1 <= len(ev) <= 3:
                problems.append(f"{_label(c)}: stated cell needs 1-3 evidence quotes, has {len(ev)}")
        else:
            if kf or ev:
                problems.append(f"{_label(c)}: not-stated cell must have empty key_facts and evidence")
        for k in kf:
            if not isinstance(k, str) or not normalize(k):
                problems.append(f"{_label(c)}: key facts must be non-empty strings, got {k!r}")
        for e in ev:
            if not isinstance(e, dict) or set(e) != {"doc", "quote"}:
                problems.append(f"{_label(c)}: evidence entries must be {{doc, quote}}, got {e!r}")
            elif not isinstance(e["quote"], str) or not e["quote"].strip():
                problems.append(f"{_label(c)}: empty or non-string quote {e!r}")
    assert not problems, "\n".join(problems)


def test_quotes_verbatim_in_their_own_paper(cells, paper_norm):
    problems = []
    for c in cells:
        for e in c.get("evidence", []):
            if not isinstance(e, dict):
                continue
            quote = e.get("quote", "")
            if e.get("doc") != c.get("doc"):
                problems.append(f"{_label(c)}: evidence from another paper {e.get('doc')!r}")
                continue
            if len(quote) > MAX_QUOTE_CHARS:
                problems.append(f"{_label(c)}: quote has {len(quote)} characters (max {MAX_QUOTE_CHARS})")
            if c.get("doc") in paper_norm and f" {normalize(quote)} " not in paper_norm[c["doc"]]:
                problems.append(f"{_label(c)}: quote not found in {c['doc']} after normalisation: {quote[:100]!r}")
    assert not problems, "\n".join(problems)


def test_key_facts_found_in_quotes(cells):
    problems = []
    for c in cells:
        quotes = [f" {normalize(e.get('quote', ''))} " for e in c.get("evidence", []) if isinstance(e, dict)]
        for k in c.get("key_facts", []):
            if isinstance(k, str) and not any(f" {normalize(k)} " in q for q in quotes):
                problems.append(f"{_label(c)}: key fact {k!r} (normalised {normalize(k)!r}) is in none of its quotes")
    assert not problems, "\n".join(problems)


def test_splits_cover_every_column_and_paper(cells):
    by_split = {s: [c for c in cells if c.get("split") == s] for s in SPLITS}
    problems = []
    for s, cs in by_split.items():
        if not cs:
            problems.append(f"no cells in split {s!r}")
            continue
        cols = {c.get("column") for c in cs}
        docs = {c.get("doc") for c in cs}
        if set(COLUMNS) - cols:
            problems.append(f"split {s!r} lacks columns {sorted(set(COLUMNS) - cols)} (split by cell, not by column)")
        if set(PAPERS) - docs:
            problems.append(f"split {s!r} lacks papers {sorted(set(PAPERS) - docs)} (split by cell, not by paper)")
        if not any(c.get("stated") is True for c in cs) or not any(c.get("stated") is False for c in cs):
            problems.append(f"split {s!r} needs both stated and not-stated cells")
    assert not problems, "\n".join(problems)
