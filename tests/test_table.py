"""The literature table (app/table.py, `sisterqa table`): its JSON, CSV and Markdown over the real index.

One engine over a copy of the built index answers a 5 × 3 table once (about 2 s); the CLI runs in
child processes (each loads the embedding model: about 2 s apiece).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sisterqa.app.answer import MARKER
from sisterqa.app.table import (NOT_STATED, PRESETS, BadTable, Cell, UnknownPaper, build_table, columns_of,
                                language_mark)
from sisterqa.ingest.normalize import normalize

QUESTIONS = [PRESETS[0][1], PRESETS[1][1], PRESETS[4][1]]  # cities, signed, method
INDONESIAN = "semarang-jung-gu-kendala-sister-city"


@pytest.fixture(scope="module")
def index(tmp_path_factory, built_index) -> Path:
    dst = tmp_path_factory.mktemp("table") / "idx"
    shutil.copytree(built_index, dst)
    return dst


@pytest.fixture(scope="module")
def engine(index):
    from sisterqa.app.session import Engine
    from sisterqa.app.settings import load_settings

    return Engine(load_settings({"index_dir": str(index)}, env={}))


@pytest.fixture(scope="module")
def table(engine):
    return build_table(engine, QUESTIONS)


def test_json_is_the_contract_s_shape(table, engine):
    d = table.to_json()
    assert set(d) == {"columns", "rows"}
    assert d["columns"] == [{"id": f"c{i}", "question": q} for i, q in enumerate(QUESTIONS, 1)]
    assert [r["doc_id"] for r in d["rows"]] == [p["doc_id"] for p in engine.snapshot.papers]  # every paper
    snap = engine.snapshot
    for r in d["rows"]:
        assert set(r) == {"doc_id", "title", "year", "cells"}
        assert r["title"] == snap.paper_meta(r["doc_id"])["title"]
        assert [c["column"] for c in r["cells"]] == ["c1", "c2", "c3"]  # one cell per column, in order
        for c in r["cells"]:
            assert set(c) == {"column", "stated", "answer", "citations"}
            if not c["stated"]:
                assert c["answer"] == NOT_STATED and c["citations"] == []
                continue
            markers = {int(n) for n in MARKER.findall(c["answer"])}
            assert markers == {x["n"] for x in c["citations"]} and markers  # every [n] has its citation
            assert 1 <= len(c["citations"]) <= 2  # one or two sentences
            text = snap.paper_text(r["doc_id"])
            for x in c["citations"]:
                assert x["doc_id"] == r["doc_id"]  # only its own row's paper …
                assert text[x["start"]:x["end"]] == x["quote"]  # … verbatim
                assert normalize(x["quote"]) in normalize(text)
                assert {"n", "doc_id", "title", "section", "page", "passage_id", "quote"} <= set(x)
    json.dumps(d)  # serialisable as is
    assert sum(c.stated for c in table.cells) >= len(table.cells) // 2


def test_english_question_marks_an_indonesian_paper_s_language_once(table):
    method = table.cell(INDONESIAN, "c3")
    assert method.stated
    assert method.text.startswith("_(Indonesian")  # quoted as written, its language said once, first
    assert len(re.findall(r"_\([A-Z]", method.text)) == 1
    english = table.cell("magelang-tula-paradiplomacy-smart-city", "c3")
    assert english.stated and "_(" not in english.text  # the question's own language: no marker
    assert language_mark(["id", "en"], "en") == "_(Indonesian and English)_ "
    assert language_mark(["en"], "en") == ""
    assert language_mark(["en"], "id") == "_(English)_ "


def test_an_indonesian_question_fills_cells_from_english_papers(engine):
    t = build_table(engine, ["Metode penelitian apa yang digunakan?"],
                    doc_ids=["magelang-tula-paradiplomacy-smart-city"])
    cell = t.rows[0].cells[0]
    assert cell.stated and cell.text.startswith("_(English)_ ")
    assert "qualitative" in cell.text.lower() or "interview" in cell.text.lower()


def test_csv_has_one_line_per_paper_and_places_in_brackets(table):
    rows = list(csv.reader(io.StringIO(table.to_csv())))
    assert rows[0] == ["doc_id", "title", "year", *QUESTIONS]
    assert len(rows) == 1 + len(table.rows)
    for line, row in zip(rows[1:], table.rows):
        assert line[0] == row.doc_id and line[1] == row.title
        for value, cell in zip(line[3:], row.cells):
            assert not MARKER.search(value.split(" [")[0])  # the text without markers
            assert "_(" not in value and "**" not in value  # nor markup
            if cell.stated:
                places = re.search(r" \[([^\]]+)\]$", value)
                assert places, value
                assert places.group(1).split("; ") == cell.places()
                assert all(p.startswith("p. ") or p for p in cell.places())
            else:
                assert value == NOT_STATED


def test_csv_fields_are_never_formulas():
    from sisterqa.app.table import _csv_safe

    assert _csv_safe("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert _csv_safe("- a) Teknik pengumpulan data") == "'- a) Teknik pengumpulan data"
    assert _csv_safe("@cmd") == "'@cmd" and _csv_safe("+1") == "'+1"
    assert _csv_safe("Plain text (2021) - fine") == "Plain text (2021) - fine" and _csv_safe(2021) == "2021"


def test_markdown_is_a_table_with_references_and_bibtex(table, engine):
    md = table.to_markdown()
    lines = md.splitlines()
    head = lines.index("| Paper | " + " | ".join(QUESTIONS) + " |")
    body = lines[head + 2: head + 2 + len(table.rows)]
    assert all(line.startswith("| **") and line.count(" | ") == len(QUESTIONS) for line in body)
    used = {int(n) for line in body for n in re.findall(r"(?<!\\)\[(\d+)\]", line)}
    refs = re.findall(r"(?m)^(\d+)\. .*\*\*", md.split("## References")[1].split("## BibTeX")[0])
    assert used == {int(n) for n in refs} and used == set(range(1, len(refs) + 1))  # each [n] once, listed
    quotes = {(c.doc_id, c.start) for c in table.cells for c in c.citations}
    assert len(refs) == len(quotes)  # a quote cited in two cells keeps one number
    assert len(re.findall(r"(?m)^@\w+\{", md)) == len(table.rows)  # one BibTeX entry per paper, of its type
    assert "Not stated in this paper." in md or all(c.stated for c in table.cells)


def test_cells_are_kept_and_a_new_column_computes_only_itself(engine):
    cache: dict = {}
    docs = ["magelang-tula-paradiplomacy-smart-city", INDONESIAN]
    first = build_table(engine, QUESTIONS[:1], doc_ids=docs, cache=cache)
    assert len(cache) == 2
    seen = []
    second = build_table(engine, [QUESTIONS[0], QUESTIONS[2]], doc_ids=docs, cache=cache,
                         progress=lambda done, total, cell: seen.append((done, total, cell.column)))
    assert len(cache) == 4 and seen == [(1, 4, "c1"), (2, 4, "c2"), (3, 4, "c1"), (4, 4, "c2")]
    assert second.rows[0].cells[0].text == first.rows[0].cells[0].text
    assert [r.doc_id for r in second.rows] == docs  # rows in the order given


def test_bad_tables_are_one_line_errors(engine):
    with pytest.raises(BadTable, match="no questions"):
        columns_of([])
    with pytest.raises(BadTable, match="column 2 is empty"):
        columns_of(["Which cities?", "  "])
    with pytest.raises(UnknownPaper, match="unknown paper id 'nope'"):
        build_table(engine, ["Which cities?"], doc_ids=["nope"])


def test_a_cell_that_abstains_says_not_stated(engine):
    from sisterqa.app.answer import Answer
    from sisterqa.app.table import cell_from_answer

    a = Answer(question="q", text="The indexed papers do not answer this question.", citations=(), hits=(),
               abstained=True)
    cell = cell_from_answer(a, "x", "c1", engine.snapshot)
    assert isinstance(cell, Cell) and not cell.stated and cell.text == NOT_STATED and not cell.citations


def cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERQA_")}
    return subprocess.run([sys.executable, "-m", "sisterqa", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


def test_cli_table_json_csv_markdown_and_errors(index, tmp_path):
    q = PRESETS[4][1]
    r = cli("table", q, PRESETS[0][1], "--paper", INDONESIAN, "--paper", "magelang-tula-paradiplomacy-smart-city",
            "--json", "--index-dir", str(index), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert [c["id"] for c in d["columns"]] == ["c1", "c2"]
    assert [x["doc_id"] for x in d["rows"]] == [INDONESIAN, "magelang-tula-paradiplomacy-smart-city"]
    assert r.stderr == ""  # quiet when not on a terminal
    r = cli("table", q, "--paper", INDONESIAN, "--csv", "--index-dir", str(index), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert len(rows) == 2 and rows[0][3] == q and rows[1][0] == INDONESIAN
    r = cli("table", q, "--paper", INDONESIAN, "--markdown", "--index-dir", str(index), cwd=tmp_path)
    assert r.returncode == 0 and "## References" in r.stdout and re.search(r"(?m)^@\w+\{", r.stdout)
    r = cli("table", q, "--paper", INDONESIAN, "--index-dir", str(index), cwd=tmp_path)
    assert r.returncode == 0 and "(Indonesian)" in r.stdout and "_(" not in r.stdout
    assert "table: 1 paper × 1 question, " in r.stdout
    for args, message in [((), "error: no questions"), ((q, "--paper", "nope"), "error: unknown paper id 'nope'"),
                          ((q, ""), "error: the question of column 2 is empty"),
                          ((q, "--json", "--csv"), "error: choose one of")]:
        r = cli("table", *args, "--index-dir", str(index), cwd=tmp_path)
        assert r.returncode == 2 and r.stdout == "", (args, r.stdout)
        assert r.stderr.startswith(message) and r.stderr.count("\n") == 1, (args, r.stderr)


def test_cli_table_shows_progress_on_a_terminal(index, tmp_path):
    from test_export import _run_in_pty

    rc, out, err = _run_in_pty(["table", PRESETS[4][1], PRESETS[0][1], "--json", "--index-dir", str(index)],
                               cwd=tmp_path)
    assert rc == 0, err
    assert "Answering" in err and "/10" in err  # 5 papers × 2 questions
    assert len(json.loads(out)["rows"]) == 5
