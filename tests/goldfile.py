"""What every gold set's checks share (tests/test_gold.py, tests/test_gold_debian.py): reading the
JSONL file line by line and the field checks of one item."""

from __future__ import annotations

import json
from pathlib import Path

from sisterqa.ingest.normalize import normalize


def load_lines(gold: Path) -> list[tuple[int, str]]:
    """(line number, line) of every non-empty line of ``gold``."""
    assert gold.exists(), f"{gold} does not exist"
    lines = gold.read_text(encoding="utf-8").splitlines()
    return [(n, line) for n, line in enumerate(lines, 1) if line.strip()]


def parse_problems(gold: Path) -> list[str]:
    """The lines of ``gold`` that are not a JSON object."""
    problems = []
    for n, line in load_lines(gold):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{gold.name} line {n} is not valid JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{gold.name} line {n}: expected a JSON object, got {type(obj).__name__}")
    return problems


def label(item: dict) -> str:
    return f"{item.get('id', '?')} ({item.get('question', '')[:60]!r})"


def field_problems(items: list[dict], required: dict[str, type]) -> list[str]:
    """Missing or mistyped fields, empty questions, answers, history turns and key facts, and evidence
    entries that are not {doc, quote} strings."""
    problems = []
    for item in items:
        for field, typ in required.items():
            if field not in item:
                problems.append(f"{label(item)}: missing field {field!r}")
            elif not isinstance(item[field], typ):
                problems.append(
                    f"{label(item)}: field {field!r} should be {typ.__name__}, got {type(item[field]).__name__}")
        for field in ("question", "answer"):
            if isinstance(item.get(field), str) and not item[field].strip():
                problems.append(f"{label(item)}: {field!r} is empty")
        for h in item.get("history", []) if isinstance(item.get("history"), list) else []:
            if not isinstance(h, str) or not h.strip():
                problems.append(f"{label(item)}: history entries must be non-empty strings, got {h!r}")
        for k in item.get("key_facts", []) if isinstance(item.get("key_facts"), list) else []:
            if not isinstance(k, str) or not normalize(k):
                problems.append(f"{label(item)}: key facts must be non-empty strings, got {k!r}")
        for ev in item.get("evidence", []) if isinstance(item.get("evidence"), list) else []:
            if not isinstance(ev, dict) or set(ev) != {"doc", "quote"}:
                problems.append(f"{label(item)}: evidence entries must be {{doc, quote}}, got {ev!r}")
            elif not isinstance(ev["doc"], str) or not isinstance(ev["quote"], str):
                problems.append(f"{label(item)}: evidence doc/quote must be strings, got {ev!r}")
    return problems
