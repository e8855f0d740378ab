"""PDF citations end to end: a generated PDF ingested with the real embedder, asked through the
engine; the citation carries its page and boxes, and the page renders with the quote highlighted
where it is printed. About 20 s (one small paper embedded)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from sisterqa.eval.pdfgen import LAYOUTS, paper_pdf
from sisterqa.ingest.read import read_metadata, read_paper

ROOT = Path(__file__).resolve().parent.parent
PAPER = "bandung-seoul-smart-city-paradiplomacy"


@pytest.fixture(scope="module")
def pdf_index(tmp_path_factory):
    from sisterqa.index.build import BuildSettings, ingest

    work = tmp_path_factory.mktemp("pdfcorpus")
    corpus = work / "corpus"
    corpus.mkdir()
    meta = read_metadata(ROOT / "corpus").get(f"{PAPER}.txt", {})
    text_paper = read_paper(ROOT / "corpus" / f"{PAPER}.txt", meta)
    (corpus / f"{PAPER}.pdf").write_bytes(paper_pdf(text_paper, meta, LAYOUTS["two-column"]))
    report = ingest([corpus], work / "idx", BuildSettings(), root=work)
    assert report.added == [f"corpus/{PAPER}.pdf"], report.failed
    return work


def test_a_pdf_citation_has_its_page_and_boxes(pdf_index):
    import pypdfium2 as pdfium

    from sisterqa.app.page_view import citation_pages, render_page
    from sisterqa.app.session import ChatSession, Engine
    from sisterqa.app.settings import load_settings

    s = load_settings({"index_dir": pdf_index / "idx"}, env={}, cwd=pdf_index)
    engine = Engine(s)
    answer = ChatSession(engine).ask("What program did the Seoul City government use for policy advocacy?")
    out = answer.to_json(engine.snapshot)
    assert out["citations"], out["answer"]
    doc = pdfium.PdfDocument(str(pdf_index / "corpus" / f"{PAPER}.pdf"))
    for c in out["citations"]:
        assert c["page"] >= 1 and c["boxes"], c
        assert c["boxes"][0]["page"] >= c["page"]  # the passage may start a page earlier
        printed = []
        for b in c["boxes"]:
            assert set(b) == {"page", "x0", "y0", "x1", "y1"} and b["x0"] < b["x1"] and b["y0"] < b["y1"]
            page = doc[b["page"] - 1]
            h = page.get_height()
            printed.append(page.get_textpage().get_text_bounded(b["x0"] + 0.5, h - b["y1"] + 1, b["x1"] - 0.5,
                                                                h - b["y0"] - 1))
        assert re.sub(r"\W", "", "".join(printed)) == re.sub(r"\W", "", c["quote"]), (printed, c["quote"])

    shots = citation_pages(answer, engine.snapshot, pdf_index)
    assert set(shots) == {c["n"] for c in out["citations"]}
    from PIL import Image

    shot = shots[out["citations"][0]["n"]]
    image = Image.open(io.BytesIO(render_page(shot, width_px=600))).convert("RGB")
    scale = 600 / doc[shot.page - 1].get_width()
    x0, y0, x1, y1 = shot.rects[0]
    inside = image.getpixel((int((x0 + x1) / 2 * scale), int(y0 * scale) + 1))
    assert inside[2] < 200 and inside[0] > 200, inside  # yellow where the quote is printed
    assert image.getpixel((3, 3)) == (255, 255, 255)  # white page margin elsewhere


def test_text_citations_have_no_boxes(built_index):
    from sisterqa.app.session import ChatSession, Engine
    from sisterqa.app.settings import load_settings

    s = load_settings({"index_dir": built_index}, env={}, cwd=ROOT)
    engine = Engine(s)
    out = ChatSession(engine).ask("Why did the cooperation between South Tangerang and Daejeon stall?").to_json(
        engine.snapshot)
    assert out["citations"] and all("boxes" not in c for c in out["citations"])
