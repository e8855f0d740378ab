"""PDFs read as well as the text versions (issue 12): the corpus typeset by eval.pdfgen in four
layouts, read back by ingest.pdf, compared word for word with the text. About 30 s."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from sisterqa.eval.pdfgen import LAYOUTS, expected_text, generate, word_fidelity
from sisterqa.ingest.errors import BadPaper
from sisterqa.ingest.pdf import read_pdf
from sisterqa.ingest.read import read_metadata, read_paper, read_report

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="module")
def typeset(tmp_path_factory):
    """{layout: [(text paper, metadata, pdf paper, pdf path)]} for every corpus paper."""
    out = {}
    metadata = read_metadata(CORPUS)
    for name, layout in LAYOUTS.items():
        folder = tmp_path_factory.mktemp(name)
        rows = []
        for pdf_path, _ in generate(CORPUS, folder, layout):
            src = CORPUS / f"{pdf_path.stem}.txt"
            meta = metadata.get(src.name, {})
            rows.append((read_paper(src, meta), meta, read_paper(pdf_path), pdf_path))
        out[name] = rows
    return out


def test_every_layout_reads_word_for_word(typeset):
    """≥ 0.97 word-level similarity with what was printed, for every paper in every layout."""
    scores = {}
    for name, rows in typeset.items():
        for text_paper, meta, pdf_paper, _ in rows:
            scores[(name, text_paper.doc_id)] = word_fidelity(expected_text(text_paper, meta, LAYOUTS[name]),
                                                             pdf_paper.text)
    low = {k: round(v, 4) for k, v in scores.items() if v < 0.97}
    assert not low, low
    assert sum(scores.values()) / len(scores) >= 0.99, scores


def test_titles_come_from_the_first_page_not_a_heading(typeset):
    for name, rows in typeset.items():
        for text_paper, meta, pdf_paper, _ in rows:
            if LAYOUTS[name].title_block == "journal":  # set in capitals: the words, not their case
                assert pdf_paper.title.casefold() == meta["title"].casefold(), (name, pdf_paper.title)
            else:
                assert pdf_paper.title == meta["title"], (name, pdf_paper.title)
            assert list(pdf_paper.authors) == list(meta.get("authors") or []), (name, pdf_paper.authors)


def test_journal_layout_titles_authors_and_years(typeset):
    """Issue 23, item 3: a two-column journal template whose title is set in the body's size in capitals
    at the top of the first column under a running head (journal, volume, year), then authors with
    marks, affiliations, e-mails and "Received … Revised … Accepted …": title, authors and year on 5/5."""
    rows = typeset["journal"]
    assert len(rows) == 5
    for text_paper, meta, pdf_paper, _ in rows:
        assert pdf_paper.title.casefold() == meta["title"].casefold(), pdf_paper.title
        assert pdf_paper.title.lstrip('"“')[:1].isupper() and not pdf_paper.title.isupper()  # title case
        assert list(pdf_paper.authors) == list(meta.get("authors") or []), pdf_paper.authors
        assert pdf_paper.year == meta.get("year"), (pdf_paper.doc_id, pdf_paper.year)
    by = {r[0].doc_id: r[2] for r in rows}
    assert by["magelang-tula-paradiplomacy-smart-city"].title == meta_title("magelang-tula-paradiplomacy-smart-city")
    # the title block is the title block: title, names, affiliations, e-mails, dates
    mag = by["magelang-tula-paradiplomacy-smart-city"]
    for needle in ("PARADIPLOMACY AND THE FUTURE", "Hendra Lana Saputra", "Universitas Tidar", "Received 14 March 2024"):
        assert mag.kind_at(mag.text.index(needle)) == "title", needle
    assert mag.kind_at(mag.text.index("In the era of globalization")) == "prose"


def meta_title(doc_id: str) -> str:
    return read_metadata(CORPUS)[f"{doc_id}.txt"]["title"]


def test_sections_match_the_text_version(typeset):
    for name, rows in typeset.items():
        for text_paper, _, pdf_paper, _ in rows:
            got = {s for _, s in pdf_paper.sections}  # whole paths: "LITERATURE REVIEW › Sister City"
            want = [s for _, s in text_paper.sections]
            missing = [s for s in want if s not in got]
            assert not missing, (name, text_paper.doc_id, missing)
            last = {s.split(" › ")[-1] for s in got}
            assert "Journal of Sister-City Studies" not in last  # running heads are not headings
            assert not any(re.fullmatch(r"\d+", s) for s in last)  # nor are page numbers


def test_hyphens_ligatures_and_furniture(typeset):
    for name, rows in typeset.items():
        for text_paper, meta, pdf_paper, _ in rows:
            t, printed = pdf_paper.text, expected_text(text_paper, meta, LAYOUTS[name])
            assert not re.search("[\ufb00-\ufb06\u00ad\ufffe]", t), name
            # a line-end hyphen split is rejoined: no "implementa- tion" left over
            split = re.findall(r"[a-z]{2,}- [a-z]{2,}", t)
            assert len(split) <= len(re.findall(r"[a-z]{2,}- [a-z]{2,}", text_paper.text)), (name, split[:5])
            for kept in ("Jung-Gu", "Magelang-Tula", "masing-masing"):
                assert t.count(kept) == printed.count(kept), (name, text_paper.doc_id, kept)
            assert "Journal of Sister-City Studies" not in t and "Jurnal Hubungan Internasional" not in t
            assert "Jurnal Studi Kota Kembar" not in t


def test_pages_and_passages_carry_pages(typeset):
    from sisterqa.ingest.chunk import ChunkSettings, chunk_paper

    for name, rows in typeset.items():
        for _, _, pdf_paper, pdf_path in rows:
            import pypdfium2 as pdfium

            n = len(pdfium.PdfDocument(str(pdf_path)))
            assert pdf_paper.page_count == n
            assert {p for _, p in pdf_paper.pages} == set(range(1, n + 1))
            pages = [p.page for p in chunk_paper(pdf_paper, ChunkSettings())]
            assert None not in pages and pages == sorted(pages) and pages[-1] >= n - 1  # a last passage
            # may start on the page before the last


def test_boxes_locate_the_quote_on_its_page(typeset):
    """The boxes of a sentence enclose exactly that sentence's words on the printed page."""
    import pypdfium2 as pdfium

    from sisterqa.ingest.pdf import quote_rects

    _, _, paper, path = next(r for r in typeset["two-column"] if r[0].doc_id.startswith("semarang"))
    doc = pdfium.PdfDocument(str(path))
    for needle in ("Sister city cooperation between Semarang City and Jung-Gu City",
                   "the cooperation between the two has not gone well"):
        start = paper.text.index(needle)
        rects = quote_rects(paper.boxes, start, start + len(needle))
        assert rects and all(r["x0"] < r["x1"] and r["y0"] < r["y1"] for r in rects)
        got = []
        for r in rects:
            page = doc[r["page"] - 1]
            h = page.get_height()
            got.append(page.get_textpage().get_text_bounded(r["x0"] + 0.5, h - r["y1"] + 1,
                                                            r["x1"] - 0.5, h - r["y0"] - 1))
        letters = re.sub(r"\W", "", " ".join(got))  # a word split at a line end is the same letters
        assert letters == re.sub(r"\W", "", needle), (got, needle)


def test_read_json_gives_the_contract_fields(typeset, tmp_path):
    _, _, _, pdf_path = typeset["one-column"][0]
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"Plain text notes saved with a .pdf name.\n" * 5)
    out = subprocess.run(
        [sys.executable, "-m", "sisterqa", "read", str(pdf_path), str(CORPUS / "semarang-jung-gu-kendala-sister-city.txt"),
         str(bad), "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert out.returncode == 2, out.stderr  # one file was refused
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 3
    for r in rows:
        assert set(r) == {"path", "title", "authors", "year", "language", "pages", "sections", "text",
                          "warnings", "error", "blocks"}
    pdf, txt, refused = rows
    assert pdf["error"] is None and pdf["pages"] >= 2 and pdf["language"] in ("en", "id")
    assert pdf["title"].startswith("Praktik Paradiplomasi") and pdf["text"]
    assert all(set(s) == {"title", "page"} and s["page"] >= 1 for s in pdf["sections"])
    assert txt["error"] is None and txt["pages"] is None and txt["title"].startswith("Kendala")
    assert "is not a PDF" in refused["error"] and refused["text"] == ""


def _simple_pdf(pages: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def test_page_and_time_limits_give_one_line_reasons():
    data = _simple_pdf([f"Page {i} on Surabaya and Kitakyushu. " * 10 for i in range(5)])
    with pytest.raises(BadPaper, match=r"has 5 pages, over the limit of 3 \(raise it with SISTERQA_MAX_PDF_PAGES\)"):
        read_pdf("many.pdf", data, max_pages=3)
    with pytest.raises(BadPaper, match=r"took over 0 s to read \(stopped at page 1 of 5"):
        read_pdf("slow.pdf", data, time_limit_s=0)
    assert read_pdf("fine.pdf", data).page_count == 5


def test_a_decompression_bomb_is_refused_before_parsing():
    """A 20 MB stream of zeros compressed to a few KB, past a 1 MB limit."""
    bomb = zlib.compress(b"0" * (20 * 1024 * 1024), 9)
    data = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            + f"3 0 obj << /Length {len(bomb)} /Filter /FlateDecode >>\nstream\n".encode() + bomb
            + b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    assert len(data) < 100_000
    with pytest.raises(BadPaper, match=r"inflate past 1 MB \(a decompression bomb\?\)"):
        read_pdf("bomb.pdf", data, max_stream_bytes=1024 * 1024)


def test_one_bad_page_is_named_and_the_paper_kept(tmp_path):
    data = bytearray(_simple_pdf([f"Page {i + 1} tells of Surabaya and Kitakyushu. " * 20 for i in range(3)]))
    second = [m.start() for m in re.finditer(rb"stream\n", data)][1] + 7
    data[second + 10:second + 40] = b"\x00" * 30  # damage the second page's object
    path = tmp_path / "damaged.pdf"
    path.write_bytes(bytes(data))
    paper = read_paper(path)
    assert any(w.startswith("page 2 could not be read") for w in paper.warnings), paper.warnings
    assert "Page 1 tells" in paper.text and "Page 3 tells" in paper.text
    report = read_report(path)
    assert report["error"] is None and report["warnings"] == list(paper.warnings)


def test_a_scanned_page_is_named(tmp_path):
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Ambon and Vlissingen signed a letter of intent in 1994. " * 8)
    pdf.add_page()
    png = io.BytesIO()
    Image.new("L", (200, 300), 128).save(png, format="PNG")
    pdf.image(png, x=20, y=20, w=120)
    path = tmp_path / "half scanned.pdf"
    pdf.output(str(path))
    paper = read_paper(path)
    assert paper.warnings == ("page 2 has no text layer (a scanned page? run OCR on it)",)
    assert paper.page_count == 2 and "1994" in paper.text


def test_a_small_upload_is_not_titled_by_its_heading(tmp_path):
    """The issue's fpdf2 upload: bold headings, no title block. The title is never "Results", and a
    heading stays on its own line instead of running into the next sentence."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    for head, body in (("Results", "The cooperation slowed after 2019 because the offices closed. " * 4),
                       ("Obstacles", "The cooperation slowed when the budget was cut in 2020. " * 4)):
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 8, head, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    path = tmp_path / "padang-hildesheim_notes.pdf"
    pdf.output(str(path))
    paper = read_paper(path)
    assert paper.title == "padang hildesheim notes"
    assert "\n\nObstacles\n\nThe cooperation slowed when" in paper.text
    assert [s.split(" › ")[-1] for _, s in paper.sections] == ["Results", "Obstacles"]


def test_a_footnote_stays_apart_from_the_paragraph_it_interrupts(tmp_path):
    """A paragraph running over a page break with a footnote at the first page's foot: the paragraph
    reads on unbroken and the footnote follows it as its own paragraph."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    sentence = "The Medan and Ichikawa exchange ran every summer with twenty students. "
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(56, 80)
    pdf.multi_cell(480, 14, "Exchange history\n\n" + sentence * 45 + "It went on until", align="J",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=8)
    pdf.set_xy(56, 740)
    pdf.multi_cell(480, 10, "1 Interview with the Medan city office, March 2021.")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(56, 80)
    pdf.multi_cell(480, 14, "the pandemic closed the borders in 2020. " + sentence * 3)
    path = tmp_path / "medan ichikawa.pdf"
    pdf.output(str(path))
    text = read_paper(path).text
    assert "It went on until the pandemic closed the borders in 2020." in text
    assert "\n\n1 Interview with the Medan city office, March 2021." in text
    assert text.index("Interview") > text.index("closed the borders")
