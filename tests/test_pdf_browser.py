""""Show in paper" for a PDF, in a real browser: the cited page is shown as printed, highlighted,
next to the text view. One small generated PDF indexed (about 20 s), then `sisterqa ui` and
Debian's Chromium (about 60 s)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

from sisterqa.eval.pdfgen import LAYOUTS, paper_pdf
from sisterqa.ingest.read import read_metadata, read_paper
from test_browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
PAPER = "bandung-seoul-smart-city-paradiplomacy"
QUESTION = "What program did the Seoul City government use for policy advocacy?"


@pytest.fixture
def pdf_server(tmp_path):
    from sisterqa.index.build import BuildSettings, ingest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    meta = read_metadata(ROOT / "corpus").get(f"{PAPER}.txt", {})
    (corpus / f"{PAPER}.pdf").write_bytes(
        paper_pdf(read_paper(ROOT / "corpus" / f"{PAPER}.txt", meta), meta, LAYOUTS["two-column"]))
    report = ingest([corpus], tmp_path / "idx", BuildSettings(), root=ROOT)
    assert report.added and not report.failed, report.failed
    from sisterqa.eval.bench import start_ui, stop_ui

    log = tmp_path / "server.log"
    proc, url = start_ui(tmp_path / "idx", ROOT, log, timeout=90, corpus_dir=corpus)
    try:
        yield url, log
    finally:
        stop_ui(proc)


def test_show_in_paper_shows_the_highlighted_pdf_page(pdf_server, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    url, log = pdf_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                     timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            box = page.get_by_test_id("stChatInputTextArea")
            expect(box).to_be_visible(timeout=120_000)
            box.fill(QUESTION)
            box.press("Enter")
            answer = page.get_by_test_id("stChatMessage").nth(1)
            expect(answer).to_contain_text("[1]", timeout=120_000)
            answer.get_by_role("button", name="Show in paper").first.click()
            expect(answer.locator(".sq-context")).to_be_visible(timeout=30_000)  # the text view stays
            caption = answer.get_by_text(", as printed")
            expect(caption.first).to_be_visible(timeout=30_000)
            img = answer.get_by_test_id("stImage").locator("img").first
            expect(img).to_be_visible()
            size = img.evaluate("e => [e.naturalWidth, e.naturalHeight, e.getBoundingClientRect().left]")
            assert size[0] >= 800 and size[1] > size[0], size  # a portrait page at full resolution
            ctx_left = answer.locator(".sq-context").evaluate("e => e.getBoundingClientRect().left")
            assert size[2] > ctx_left + 200, (size, ctx_left)  # beside the text view, not under it
            page.screenshot(path=str(tmp_path / "pdf-page.png"))
            if os.environ.get("SISTERQA_PDF_SCREENSHOT"):
                page.screenshot(path=os.environ["SISTERQA_PDF_SCREENSHOT"])
            assert "Traceback" not in page.content()
        finally:
            browser.close()
    assert "Traceback" not in log.read_text(errors="replace")
