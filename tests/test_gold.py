"""Checks for the gold question-answer evaluation set (eval/gold.jsonl).

Run from the repository root:

    .venv/bin/python -m pytest tests/test_gold.py
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from goldfile import field_problems, label, load_lines, parse_problems

from sisterqa.ingest.normalize import normalize

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "eval" / "gold.jsonl"
CORPUS = ROOT / "corpus"

LANGS = {"en", "id"}
TYPES = {"factoid", "why", "list", "compare", "followup", "unanswerable"}
INDONESIAN_PAPERS = {
    "tangerang-selatan-daejeon-alasan-kerjasama.txt",
    "semarang-jung-gu-kendala-sister-city.txt",
}
MAX_QUOTE_CHARS = 320

MIN_ITEMS = 90
MIN_ID_QUESTIONS = 32
MIN_EN_ABOUT_INDONESIAN_PAPERS = 28
MIN_PER_TYPE = 8

REQUIRED_FIELDS = {
    "id": str,
    "question": str,
    "lang": str,
    "type": str,
    "history": list,
    "answer": str,
    "key_facts": list,
    "evidence": list,
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
def corpus_texts() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}


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
    expected = [f"q-{n:03d}" for n in range(1, len(items) + 1)]
    wrong = [(e, a) for e, a in zip(expected, ids) if e != a]
    assert not wrong, f"ids should run q-001, q-002, ... in order; first mismatches (expected, actual): {wrong[:5]}"


def test_lang_and_type_values(items):
    bad_lang = [(label(i), i.get("lang")) for i in items if i.get("lang") not in LANGS]
    bad_type = [(label(i), i.get("type")) for i in items if i.get("type") not in TYPES]
    assert not bad_lang, f"lang must be one of {sorted(LANGS)}: {bad_lang}"
    assert not bad_type, f"type must be one of {sorted(TYPES)}: {bad_type}"


# --------------------------------------------------------------------------- #
# Evidence and key facts
# --------------------------------------------------------------------------- #


def test_evidence_quotes_are_verbatim(items, corpus_texts):
    problems = []
    for item in items:
        for ev in item.get("evidence", []):
            doc, quote = ev.get("doc"), ev.get("quote", "")
            if doc not in corpus_texts:
                problems.append(f"{label(item)}: unknown doc {doc!r} (known: {sorted(corpus_texts)})")
                continue
            if not quote.strip():
                problems.append(f"{label(item)}: empty quote for {doc}")
            elif quote not in corpus_texts[doc]:
                problems.append(f"{label(item)}: quote is not an exact substring of {doc}: {quote[:100]!r}")
            if len(quote) > MAX_QUOTE_CHARS:
                problems.append(
                    f"{label(item)}: quote from {doc} has {len(quote)} characters (max {MAX_QUOTE_CHARS})"
                )
    assert not problems, "\n".join(problems)


def test_key_facts_found_in_quotes(items):
    problems = []
    for item in items:
        quotes = [normalize(ev.get("quote", "")) for ev in item.get("evidence", [])]
        for fact in item.get("key_facts", []):
            nf = normalize(fact)
            if not any(nf in q for q in quotes):
                problems.append(
                    f"{label(item)}: key fact {fact!r} (normalised {nf!r}) is not in any of its quotes"
                )
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
            if not item.get("key_facts"):
                problems.append(f"{label(item)}: answerable item has no key_facts")
            if not 1 <= len(item.get("key_facts", [])) <= 4:
                problems.append(f"{label(item)}: expected 1-4 key facts, got {len(item.get('key_facts', []))}")
    assert not problems, "\n".join(problems)


def test_history_only_for_followups(items):
    """Follow-ups lean on 1-2 earlier turns. An unanswerable item may carry one earlier, unrelated
    turn (a new topic asked right after another question: issue 20); other types stand alone."""
    problems = []
    for item in items:
        history = item.get("history", [])
        if item.get("type") == "followup":
            if not 1 <= len(history) <= 2:
                problems.append(f"{label(item)}: followup must have 1-2 history questions, got {len(history)}")
        elif item.get("type") == "unanswerable":
            if len(history) > 1:
                problems.append(f"{label(item)}: unanswerable item may have at most 1 earlier turn, got {len(history)}")
        elif history:
            problems.append(f"{label(item)}: only followup and unanswerable items may have a history, got {history!r}")
    assert not problems, "\n".join(problems)


def test_compare_items_cite_two_papers(items):
    problems = []
    for item in items:
        if item.get("type") == "compare":
            docs = {ev.get("doc") for ev in item.get("evidence", [])}
            if len(docs) < 2:
                problems.append(f"{label(item)}: compare item cites {len(docs)} distinct doc(s): {sorted(docs)}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- #
# Counts
# --------------------------------------------------------------------------- #


def test_item_count(items):
    assert len(items) >= MIN_ITEMS, f"need at least {MIN_ITEMS} items, have {len(items)}"


def test_indonesian_question_count(items):
    n = sum(1 for i in items if i.get("lang") == "id")
    assert n >= MIN_ID_QUESTIONS, f"need at least {MIN_ID_QUESTIONS} Indonesian questions, have {n}"


def test_english_questions_about_indonesian_papers(items):
    n = sum(
        1
        for i in items
        if i.get("lang") == "en" and any(ev.get("doc") in INDONESIAN_PAPERS for ev in i.get("evidence", []))
    )
    assert n >= MIN_EN_ABOUT_INDONESIAN_PAPERS, (
        f"need at least {MIN_EN_ABOUT_INDONESIAN_PAPERS} English questions with evidence from "
        f"{sorted(INDONESIAN_PAPERS)}, have {n}"
    )


def test_per_type_counts(items):
    counts = Counter(i.get("type") for i in items)
    short = {t: counts.get(t, 0) for t in TYPES if counts.get(t, 0) < MIN_PER_TYPE}
    assert not short, f"need at least {MIN_PER_TYPE} items of each type; too few: {short} (all: {dict(counts)})"


def test_every_paper_is_covered(items, corpus_texts):
    covered = Counter(ev.get("doc") for i in items for ev in i.get("evidence", []))
    missing = [doc for doc in corpus_texts if covered.get(doc, 0) == 0]
    assert not missing, f"papers without any gold evidence: {missing}"
