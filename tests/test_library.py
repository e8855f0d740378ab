"""The library (app/library.py, index/copies.py): copies by content, remove and restore, replace, and
`sisterqa read` over a batch. Real files, the real index, the real CLI in child processes.

The journal's PDF of a paper indexed as text is made at test time by eval/pdfgen.py (fpdf2).
Finding a copy embeds nothing (it is found before embedding); the tests that index a PDF in a
paper's place embed one paper and are marked slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sisterqa.app import library as lib
from sisterqa.app.settings import load_settings
from sisterqa.index.copies import Signatures, estimate, overlap, shingles, signature
from sisterqa.index.store import open_snapshot

ROOT = Path(__file__).resolve().parent.parent
SEMARANG = "semarang-jung-gu-kendala-sister-city"


def cli(*args, cwd: Path, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERQA_")}
    return subprocess.run([sys.executable, "-m", "sisterqa", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout, input=input)


def journal_pdf(name: str = SEMARANG, layout: str = "two-column") -> bytes:
    """The paper as a journal would print it (running heads, columns, hyphens): no metadata.json."""
    from sisterqa.eval.pdfgen import LAYOUTS, paper_pdf
    from sisterqa.ingest.read import read_metadata, read_paper

    meta = read_metadata(ROOT / "corpus").get(f"{name}.txt", {})
    return paper_pdf(read_paper(ROOT / "corpus" / f"{name}.txt", meta), meta, LAYOUTS[layout])


@pytest.fixture(scope="module")
def semarang_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "Kendala Semarang (journal).pdf"
    path.write_bytes(journal_pdf())
    return path


def test_shingle_overlap_tells_copies_from_other_papers(semarang_pdf):
    from sisterqa.ingest.read import read_paper

    texts = {p.stem: read_paper(p).text for p in (ROOT / "corpus").glob("*.txt")}
    pdf_text = read_paper(semarang_pdf).text
    for stem, text in texts.items():
        contained, ratio = overlap(shingles(pdf_text), shingles(text))
        if stem == SEMARANG:
            assert contained >= 0.98 and ratio >= 0.98, (contained, ratio)
            assert estimate(signature(pdf_text), signature(text)) >= 0.95
        else:
            assert contained < 0.02, (stem, contained)
    sigs = Signatures({stem: signature(t) for stem, t in texts.items()})
    assert sigs.find(pdf_text, signature(pdf_text), texts.__getitem__)[0] == SEMARANG
    # An excerpt (the first fifth of the paper) is not a copy of it.
    part = texts[SEMARANG][: len(texts[SEMARANG]) // 5]
    assert sigs.find(part, signature(part), texts.__getitem__) is None


def test_a_pdf_copy_is_reported_in_one_line_and_not_indexed(work_copy, semarang_pdf):
    pdf = work_copy / "corpus" / "kendala.pdf"
    pdf.write_bytes(semarang_pdf.read_bytes())
    r = cli("ingest", cwd=work_copy)
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stderr.splitlines() if "copy" in x)
    assert line.startswith("kendala.pdf is a copy of 'Kendala Kerjasama Sister City antara Kota Semarang")
    assert f"({SEMARANG}.txt); not indexed" in line
    assert "added 0" in r.stdout and "copies 1" in r.stdout
    snap = open_snapshot(work_copy / ".sisterqa")
    assert len(snap.papers) == 5 and all(not p["path"].endswith(".pdf") for p in snap.papers)
    # The next ingest knows it without reading it again, and still says so.
    again = cli("ingest", cwd=work_copy)
    assert again.returncode == 0 and "kendala.pdf is a copy of" in again.stderr
    assert open_snapshot(work_copy / ".sisterqa").path == snap.path  # nothing to publish
    copies = lib.waiting_copies(load_settings(env={}, cwd=work_copy))
    assert [c["path"] for c in copies[snap.papers[[p["doc_id"] for p in snap.papers].index(
        next(p["doc_id"] for p in snap.papers if p["doc_id"].startswith("semarang")))]["doc_id"]]] == [
        "corpus/kendala.pdf"]


def test_an_uploaded_copy_says_so_and_stays_for_the_papers_page(work_copy, semarang_pdf):
    settings = load_settings(env={}, cwd=work_copy)
    outcome = lib.add_uploads([("Kendala journal.pdf", semarang_pdf.read_bytes())], settings)
    assert outcome.added == [] and outcome.rejected == []
    assert [name for name, _ in outcome.copies] == ["Kendala journal.pdf"]
    msgs = lib.upload_messages(outcome)
    warn = next(text for kind, text in msgs if kind == "warning")
    assert warn.startswith("Kendala journal.pdf is a copy of 'Kendala Kerjasama") and "Replace" in warn
    assert (work_copy / "corpus" / "Kendala journal.pdf").exists()
    assert len(open_snapshot(work_copy / ".sisterqa").papers) == 5


def test_remove_moves_the_file_to_the_trash_and_publishes_without_it(work_copy):
    settings = load_settings(env={}, cwd=work_copy)
    r = cli("remove", "magelang-tula-paradiplomacy-smart-city", cwd=work_copy, input="n\n")
    assert r.returncode != 0 and "Aborted" in r.stderr  # asked first; nothing happens on "no"
    assert (work_copy / "corpus" / "magelang-tula-paradiplomacy-smart-city.txt").exists()
    r = cli("remove", "magelang-tula-paradiplomacy-smart-city.txt", "--yes", cwd=work_copy)
    assert r.returncode == 0, r.stderr
    assert "corpus-trash/" in r.stdout
    snap = open_snapshot(work_copy / ".sisterqa")
    assert len(snap.papers) == 4 and not any(p["doc_id"].startswith("magelang") for p in snap.papers)
    trash = lib.trash_items(settings)
    assert [i["from"] for i in trash] == ["corpus/magelang-tula-paradiplomacy-smart-city.txt"]
    assert (work_copy / "corpus-trash" / trash[0]["file"]).read_bytes() == (
        ROOT / "corpus" / "magelang-tula-paradiplomacy-smart-city.txt").read_bytes()
    assert trash[0]["metadata"]["year"] == 2024  # its metadata.json entry went with it
    meta = json.loads((work_copy / "corpus" / "metadata.json").read_text(encoding="utf-8"))
    assert "magelang-tula-paradiplomacy-smart-city.txt" not in meta and len(meta) == 4
    r = cli("restore", "--list", cwd=work_copy)
    assert "magelang" in r.stdout


@pytest.mark.slow
def test_undo_a_removal_restores_file_metadata_and_paper(work_copy):
    settings = load_settings(env={}, cwd=work_copy)
    before = open_snapshot(work_copy / ".sisterqa").paper_meta("magelang-tula-paradiplomacy-smart-city")
    lib.remove_paper(settings, "magelang-tula-paradiplomacy-smart-city")
    msgs = lib.restore_paper(settings)
    assert msgs[0][0] == "success", msgs
    after = open_snapshot(work_copy / ".sisterqa")
    meta = after.paper_meta("magelang-tula-paradiplomacy-smart-city")
    assert {k: meta[k] for k in ("title", "authors", "year", "path")} == {
        k: before[k] for k in ("title", "authors", "year", "path")}
    assert len(after.papers) == 5 and lib.trash_items(settings) == []


@pytest.mark.slow
def test_replace_the_text_by_its_pdf_keeps_metadata_and_gains_pages(work_copy, semarang_pdf):
    pdf = work_copy / "corpus" / "kendala.pdf"
    pdf.write_bytes(semarang_pdf.read_bytes())
    old = open_snapshot(work_copy / ".sisterqa").paper_meta(SEMARANG)
    r = cli("ingest", "corpus/kendala.pdf", "--replace", cwd=work_copy)
    assert r.returncode == 0, r.stderr
    assert "Replaced semarang-jung-gu-kendala-sister-city.txt by kendala.pdf" in r.stdout
    snap = open_snapshot(work_copy / ".sisterqa")
    assert len(snap.papers) == 5
    new = next(p for p in snap.papers if p["path"] == "corpus/kendala.pdf")
    for k in ("title", "authors", "year", "language"):
        assert new[k] == old[k], k
    text = snap.paper_text(new["doc_id"])
    i = text.index("Jung-Gu")
    assert snap.quote_boxes(new["doc_id"], i, i + 7)  # printed somewhere on a page
    assert not (work_copy / "corpus" / f"{SEMARANG}.txt").exists()
    settings = load_settings(env={}, cwd=work_copy)
    assert lib.trash_items(settings)[0]["replaced_by"].endswith("kendala.pdf")
    # Undo: the text comes back in place of the PDF.
    msgs = lib.restore_paper(settings)
    assert msgs[0][0] == "success", msgs
    back = open_snapshot(work_copy / ".sisterqa")
    assert sorted(p["path"] for p in back.papers if "kendala" in p["path"].lower() or "semarang" in p["path"]) == [
        f"corpus/{SEMARANG}.txt"]


def test_replace_refuses_a_file_that_copies_nothing(work_copy):
    other = work_copy / "corpus" / "other.md"
    other.write_text("# Medan and Kuching\n\n" + "Medan and Kuching exchanged trade missions in 1995. " * 30,
                     encoding="utf-8")
    r = cli("ingest", "corpus/other.md", "--replace", cwd=work_copy)
    assert r.returncode == 2 and "is not a copy of an indexed paper" in r.stderr


SURROGATE_CMAP = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def "
                  b"1 begincodespacerange <00> <FF> endcodespacerange "
                  b"2 beginbfchar <41> <D800> <42> <0042> endbfchar endcmap "
                  b"CMapName currentdict /CMap defineresource pop end end")


def surrogate_pdf() -> bytes:
    """A one-page PDF whose font maps a glyph to a lone surrogate (U+D800), as Debian's encguide.pdf does."""
    content = b"BT /F1 12 Tf 72 700 Td (" + b"AB A B " * 20 + b") Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 6 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(SURROGATE_CMAP) + SURROGATE_CMAP + b"\nendstream",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


def test_read_never_loses_the_batch(tmp_path):
    """One odd file in the middle (lone surrogates, a missing file): every file still gets its object."""
    (tmp_path / "a.md").write_text("# First\n\nMedan and Kuching signed a letter in 1990.\n", encoding="utf-8")
    (tmp_path / "b.pdf").write_bytes(surrogate_pdf())
    (tmp_path / "z.md").write_text("# Last\n\nBogor and Kyoto exchanged gardeners.\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "sisterqa", "read", "a.md", "b.pdf", "missing.pdf", "z.md", "--json"],
                       cwd=tmp_path, capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
                       timeout=120)
    lines = r.stdout.decode("utf-8").splitlines()
    objs = [json.loads(x) for x in lines]
    assert [o["path"] for o in objs] == ["a.md", "b.pdf", "missing.pdf", "z.md"], r.stderr.decode()
    assert objs[0]["title"] == "First" and objs[3]["title"] == "Last"
    assert objs[2]["error"] and r.returncode == 2
    assert "Traceback" not in r.stderr.decode()
    text = subprocess.run([sys.executable, "-m", "sisterqa", "read", "a.md", "b.pdf", "z.md"], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert b"Last" in text.stdout and b"Traceback" not in text.stderr


def test_update_the_index_says_which_files_are_copies(work_copy, semarang_pdf):
    (work_copy / "corpus" / "kendala.pdf").write_bytes(semarang_pdf.read_bytes())
    msgs = lib.update_index(load_settings(env={}, cwd=work_copy))
    warnings = [text for kind, text in msgs if kind == "warning"]
    assert len(warnings) == 1 and warnings[0].startswith("kendala.pdf is a copy of 'Kendala")
    assert msgs[-1][0] == "success" and "copies 1" in msgs[-1][1]


def test_an_index_written_before_sketches_finds_copies_too(work_copy, semarang_pdf):
    """An index built before this version has no signatures.npy: the next ingest sketches its papers
    from their stored texts (once) and finds the copy all the same."""
    from sisterqa.index.copies import SIGNATURES, SIGNATURES_META
    from sisterqa.index.store import IndexDir

    version = IndexDir(work_copy / ".sisterqa").current()
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    for name in (SIGNATURES, SIGNATURES_META):
        (version / name).unlink()
        manifest["files"].pop(name, None)
        manifest.get("checksums", {}).pop(name, None)
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (work_copy / "corpus" / "kendala.pdf").write_bytes(semarang_pdf.read_bytes())
    report = lib.run_ingest(load_settings(env={}, cwd=work_copy))
    assert not report.failed and not report.rebuild_reason
    assert [m.split(" is a copy of ")[0] for _, m in report.copies] == ["kendala.pdf"]
    new = IndexDir(work_copy / ".sisterqa").current()
    assert len(Signatures.load(new).items) == 5  # every paper sketched now
