"""Checks for the gold set over the second corpus (eval/gold-debian.jsonl over the real typeset
papers in eval/corpora/debian/).

Every evidence quote must be found in the paper's text exactly as ingest reads it
(`sisterqa read --json`, i.e. `read_report`), after the contract's normalisation. Fast: the seven
PDFs are read once (about 2 s), nothing is indexed.

    .venv/bin/python -m pytest tests/test_gold_debian.py
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from goldfile import field_problems, label, load_lines, parse_problems

from sisterqa.ingest.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "gold-debian.jsonl"
CORPUS = ROOT / "eval" / "corpora" / "debian"
SOURCES = ROOT / "eval" / "corpora" / "SOURCES-debian.md"  # outside: ingest would read it as a paper

LANGS = {"en", "id"}
TYPES = {"factoid", "why", "list", "compare", "followup", "unanswerable"}
SPLITS = {"tune", "heldout"}
MAX_QUOTE_CHARS = 320

MIN_PAPERS = 6
MIN_ANSWERABLE = 60
MIN_UNANSWERABLE = 20
MIN_PER_TYPE = 8
MIN_COMPARE_ACROSS_PAPERS = 8
MIN_ID_QUESTIONS = 8
MIN_UNANSWERABLE_AFTER_A_TURN = 3

REQUIRED_FIELDS = {
    "id": str,
    "question": str,
    "lang": str,
    "type": str,
    "history": list,
    "answer": str,
    "key_facts": list,
    "evidence": list,
    "split": str,
}


@pytest.fixture(scope="module")
def items() -> list[dict]:
    parsed = []
    for n, line in load_lines(GOLD):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - reported below
            pytest.fail(f"{GOLD.name} line {n} is not valid JSON: {exc}")
        assert isinstance(obj, dict), f"line {n}: expected a JSON object, got {type(obj).__name__}"
        parsed.append(obj)
    return parsed


@pytest.fixture(scope="module")
def paper_texts() -> dict[str, str]:
    """File name → normalised text, read exactly as `sisterqa read` / ingest reads the PDF."""
    from sisterqa.ingest.read import read_report

    texts = {}
    for p in sorted(CORPUS.glob("*.pdf")):
        r = read_report(p, root=ROOT)
        assert r["error"] is None, f"{p.name}: {r['error']}"
        texts[p.name] = normalize(r["text"])
    return texts


# --------------------------------------------------------------------------- #
# The corpus
# --------------------------------------------------------------------------- #


def test_corpus_has_enough_papers_listed_in_sources():
    others = sorted(p.name for p in CORPUS.iterdir() if p.suffix.lower() != ".pdf")
    assert not others, f"only papers belong in {CORPUS} (ingest reads .md/.txt too): {others}"
    pdfs = sorted(p.name for p in CORPUS.glob("*.pdf"))
    assert len(pdfs) >= MIN_PAPERS, f"need at least {MIN_PAPERS} PDFs in {CORPUS}, have {pdfs}"
    sources = SOURCES.read_text(encoding="utf-8")
    problems = []
    for name in pdfs:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.pdf", name), f"file name not lower-case-hyphens: {name}"
        digest = hashlib.sha256((CORPUS / name).read_bytes()).hexdigest()
        row = next((line for line in sources.splitlines() if f"`{name}`" in line), None)
        if row is None:
            problems.append(f"{name} is not listed in {SOURCES.name}")
        elif digest not in row:
            problems.append(f"{name}: sha256 {digest} is not the one in {SOURCES.name}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- #
# Structure
# --------------------------------------------------------------------------- #


def test_every_line_parses():
    problems = parse_problems(GOLD)
    assert not problems, "\n".join(problems)


def test_required_fields_and_types(items):
    problems = field_problems(items, REQUIRED_FIELDS)
    assert not problems, "\n".join(problems)


def test_ids_unique_and_sequential(items):
    ids = [item.get("id") for item in items]
    dupes = [i for i, c in Counter(ids).items() if c > 1]
    assert not dupes, f"duplicate ids: {dupes}"
    expected = [f"d-{n:03d}" for n in range(1, len(items) + 1)]
    wrong = [(e, a) for e, a in zip(expected, ids) if e != a]
    assert not wrong, f"ids should run d-001, d-002, ... in order; first mismatches (expected, actual): {wrong[:5]}"


def test_lang_type_and_split_values(items):
    bad_lang = [(label(i), i.get("lang")) for i in items if i.get("lang") not in LANGS]
    bad_type = [(label(i), i.get("type")) for i in items if i.get("type") not in TYPES]
    bad_split = [(label(i), i.get("split")) for i in items if i.get("split") not in SPLITS]
    assert not bad_lang, f"lang must be one of {sorted(LANGS)}: {bad_lang}"
    assert not bad_type, f"type must be one of {sorted(TYPES)}: {bad_type}"
    assert not bad_split, f"split must be one of {sorted(SPLITS)}: {bad_split}"


def test_questions_unique(items):
    keys = Counter((tuple(i.get("history", [])), normalize(i.get("question", ""))) for i in items)
    dupes = [q for q, c in keys.items() if c > 1]
    assert not dupes, f"questions asked twice (with the same history): {dupes}"


# --------------------------------------------------------------------------- #
# Evidence and key facts
# --------------------------------------------------------------------------- #


def test_evidence_quotes_are_found_in_the_papers_as_read(items, paper_texts):
    problems = []
    for item in items:
        for ev in item.get("evidence", []):
            doc, quote = ev.get("doc"), ev.get("quote", "")
            if doc not in paper_texts:
                problems.append(f"{label(item)}: unknown doc {doc!r} (known: {sorted(paper_texts)})")
                continue
            if not normalize(quote):
                problems.append(f"{label(item)}: empty quote for {doc}")
            elif normalize(quote) not in paper_texts[doc]:
                problems.append(f"{label(item)}: quote not found in {doc} as read: {quote[:100]!r}")
            if len(quote) > MAX_QUOTE_CHARS:
                problems.append(f"{label(item)}: quote from {doc} has {len(quote)} characters (max {MAX_QUOTE_CHARS})")
    assert not problems, "\n".join(problems)


def test_key_facts_found_in_quotes(items):
    problems = []
    for item in items:
        quotes = [normalize(ev.get("quote", "")) for ev in item.get("evidence", [])]
        for fact in item.get("key_facts", []):
            nf = normalize(fact)
            if not any(nf in q for q in quotes):
                problems.append(f"{label(item)}: key fact {fact!r} (normalised {nf!r}) is not in any of its quotes")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- #
# Per-type rules
# --------------------------------------------------------------------------- #


def test_unanswerable_items_have_no_evidence(items):
    problems = []
    for item in items:
        if item.get("type") == "unanswerable":
            if item.get("evidence"):
                problems.append(f"{label(item)}: unanswerable item must have empty evidence")
            if item.get("key_facts"):
                problems.append(f"{label(item)}: unanswerable item must have empty key_facts")
        else:
            if not item.get("evidence"):
                problems.append(f"{label(item)}: answerable item has no evidence")
            if not 1 <= len(item.get("key_facts", [])) <= 3:
                problems.append(f"{label(item)}: expected 1-3 key facts, got {len(item.get('key_facts', []))}")
    assert not problems, "\n".join(problems)


def test_history_only_for_followups_and_unanswerable_after_a_turn(items):
    problems = []
    for item in items:
        history = item.get("history", [])
        if item.get("type") == "followup":
            if not 1 <= len(history) <= 2:
                problems.append(f"{label(item)}: followup must have 1-2 history questions, got {len(history)}")
        elif item.get("type") == "unanswerable":
            if len(history) > 2:
                problems.append(f"{label(item)}: at most 2 earlier turns, got {len(history)}")
        elif history:
            problems.append(f"{label(item)}: only followup and unanswerable items may have a history, got {history!r}")
    assert not problems, "\n".join(problems)
    after = sum(1 for i in items if i.get("type") == "unanswerable" and i.get("history"))
    assert after >= MIN_UNANSWERABLE_AFTER_A_TURN, (
        f"need at least {MIN_UNANSWERABLE_AFTER_A_TURN} unanswerable questions asked after an unrelated turn, have {after}"
    )


def test_compare_items_have_two_sides(items):
    problems = []
    across = 0
    for item in items:
        if item.get("type") == "compare":
            evidence = item.get("evidence", [])
            if len(evidence) < 2:
                problems.append(f"{label(item)}: a comparison needs evidence for both sides, has {len(evidence)} quote(s)")
            across += len({ev.get("doc") for ev in evidence}) >= 2
    assert not problems, "\n".join(problems)
    assert across >= MIN_COMPARE_ACROSS_PAPERS, (
        f"need at least {MIN_COMPARE_ACROSS_PAPERS} comparisons across two papers, have {across}"
    )


# --------------------------------------------------------------------------- #
# Counts and splits
# --------------------------------------------------------------------------- #


def test_answerable_and_unanswerable_counts(items):
    unanswerable = sum(1 for i in items if i.get("type") == "unanswerable")
    answerable = len(items) - unanswerable
    assert answerable >= MIN_ANSWERABLE, f"need at least {MIN_ANSWERABLE} answerable items, have {answerable}"
    assert unanswerable >= MIN_UNANSWERABLE, f"need at least {MIN_UNANSWERABLE} unanswerable items, have {unanswerable}"


def test_per_type_counts(items):
    counts = Counter(i.get("type") for i in items)
    short = {t: counts.get(t, 0) for t in TYPES if counts.get(t, 0) < MIN_PER_TYPE}
    assert not short, f"need at least {MIN_PER_TYPE} items of each type; too few: {short} (all: {dict(counts)})"


def test_indonesian_questions(items):
    n = sum(1 for i in items if i.get("lang") == "id")
    assert n >= MIN_ID_QUESTIONS, f"need at least {MIN_ID_QUESTIONS} Indonesian questions, have {n}"


def test_both_splits_for_every_type_and_about_half_each(items):
    by = Counter((i.get("type"), i.get("split")) for i in items)
    missing = [(t, s) for t in TYPES for s in SPLITS if by.get((t, s), 0) == 0]
    assert not missing, f"every type needs items in both splits; missing: {missing}"
    tune = sum(1 for i in items if i.get("split") == "tune")
    assert 0.4 <= tune / len(items) <= 0.6, f"splits should be about half each: {tune} tune of {len(items)}"


def test_every_paper_is_covered(items, paper_texts):
    covered = Counter(ev.get("doc") for i in items for ev in i.get("evidence", []))
    missing = [doc for doc in paper_texts if covered.get(doc, 0) == 0]
    assert not missing, f"papers without any gold evidence: {missing}"


def test_characters_outside_the_bmp_are_read_whole(paper_texts):
    """PDFium gives a math-italic letter (U+1D466 …) as a surrogate pair on two indices; ingest
    must join it (a lone surrogate broke `sisterqa read --json` and the embedder on Hobby's paper)."""
    from sisterqa.ingest.read import read_report

    text = read_report(CORPUS / "hobby-drawing-graphs-with-metapost.pdf", root=ROOT)["text"]
    assert not [c for c in text if 0xD800 <= ord(c) <= 0xDFFF], "lone surrogates in the text"
    assert "the range of y coordinates is 0.64 to 4.6" in text
    json.dumps(text, ensure_ascii=False).encode("utf-8")  # what `sisterqa read --json` prints
