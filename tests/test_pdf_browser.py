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


def _answer(page, question: str = QUESTION):
    from playwright.sync_api import expect

    page.set_default_timeout(60_000)
    box = page.get_by_test_id("stChatInputTextArea")
    expect(box).to_be_visible(timeout=120_000)
    box.fill(question)
    box.press("Enter")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer.locator(".sq-n").first).to_have_text("[1]", timeout=120_000)
    expect(answer.get_by_test_id("stExpander")).to_be_visible()
    return answer


def _in_viewport(locator, height: int) -> bool:
    top, bottom = locator.evaluate("e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }")
    return 0 <= top and bottom <= height


def test_show_in_paper_shows_the_highlighted_pdf_page(pdf_server, tmp_path):
    """Issue 23 item 4: the page as wide as the reading pane, the quote in view, zoomable; an
    inline [n] opens it; on a phone the highlight is on screen without scrolling."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    url, log = pdf_server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                     timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            answer = _answer(page)
            # An inline [n] opens the page around the quote (no round trip), as well as the text.
            link = answer.locator('a[href="#sq-cite-0-1"]')
            link.click()
            peek = answer.locator("#sq-cite-0-1 ~ .sq-peek")
            expect(peek.locator(".sq-pagebox img")).to_be_visible(timeout=30_000)
            assert _in_viewport(peek.locator(".sq-pagebox img"), 900)
            # "Show in paper": the page first, as wide as the answer, then the text from the quote on.
            answer.get_by_role("button", name="Show in paper").first.click()
            view = answer.locator(".st-key-pageview-0-1")
            img = view.locator(".sq-pagebox img")
            expect(img).to_be_visible(timeout=30_000)
            expect(answer.locator(".sq-context")).to_be_visible()
            width = img.evaluate("e => e.getBoundingClientRect().width")
            pane = answer.evaluate("e => e.getBoundingClientRect().width")
            assert width >= 0.85 * pane, (width, pane)  # it was ~300 px in half a column
            assert img.evaluate("e => e.naturalWidth") >= 800  # sharp at the width it is shown
            ctx_top = answer.locator(".sq-context").evaluate("e => e.getBoundingClientRect().top")
            assert img.evaluate("e => e.getBoundingClientRect().top") < ctx_top  # the page first
            # Zoom: 200 % is twice the box's width, scrolled inside the box, not the page.
            view.get_by_role("radio", name="200 %").click()
            expect(view.locator(".sq-pageinner[style*='200%']")).to_be_visible(timeout=30_000)
            boxw, scrollw = view.locator(".sq-pagebox").evaluate("e => [e.clientWidth, e.scrollWidth]")
            assert scrollw >= 1.9 * boxw, (boxw, scrollw)
            assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
            # The whole page opens scrolled to the quote.
            view.get_by_role("radio", name="100 %").click()
            view.get_by_role("radio", name="Whole page").click()
            whole = view.locator(".sq-whole")
            expect(whole.locator("img")).to_be_visible(timeout=30_000)
            page.wait_for_function("() => document.querySelector('.sq-whole[data-sq-done]') !== null",
                                   timeout=30_000)
            scroll, height, mark = whole.evaluate(
                "e => [e.scrollTop, e.clientHeight, e.querySelector('.sq-snap').offsetTop]")
            assert scroll <= mark <= scroll + height, (scroll, height, mark)
            page.screenshot(path=str(tmp_path / "pdf-page.png"))
            if os.environ.get("SISTERQA_PDF_SCREENSHOT"):
                page.screenshot(path=os.environ["SISTERQA_PDF_SCREENSHOT"])
            assert "Traceback" not in page.content()
            page.close()
            # A phone, 390 px wide: [n] lands on the card and the highlighted page is on screen.
            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            phone.goto(url, wait_until="domcontentloaded", timeout=60_000)
            answer = _answer(phone)
            answer.locator('a[href="#sq-cite-0-1"]').evaluate("e => e.click()")
            band = answer.locator("#sq-cite-0-1 ~ .sq-peek .sq-pagebox img")
            expect(band).to_be_visible(timeout=30_000)
            phone.wait_for_timeout(1500)
            assert _in_viewport(band, 844), band.evaluate("e => e.getBoundingClientRect().toJSON()")
            phone.screenshot(path=str(tmp_path / "pdf-phone.png"))
            phone.close()
        finally:
            browser.close()
    assert "Traceback" not in log.read_text(errors="replace")
