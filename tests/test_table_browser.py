"""The Table page in a real browser: `sisterqa ui` as a server, Debian's Chromium driven by Playwright.

Fill a small table, open a cell's citation in the paper, download the CSV and the Markdown and read
them back; then the whole 5 × 6 table at phone width (390 px). About a minute.

Set SISTERQA_TABLE_SCREENSHOT=/path/shot.png to keep the page's screenshot (the README's is
app/assets/table.png).
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

from test_browser import CHROMIUM, CHROMIUM_ARGS, project, server  # noqa: E402,F401 (fixtures)

from sisterqa.app.table import NOT_STATED, PRESETS  # noqa: E402
from sisterqa.index.store import open_snapshot  # noqa: E402
from sisterqa.ingest.normalize import normalize  # noqa: E402

QUESTIONS = {i: q for i, q in PRESETS}
ROWS = {"magelang-tula-paradiplomacy-smart-city": "Paradiplomacy and the Future",
        "semarang-jung-gu-kendala-sister-city": "Kendala Kerjasama Sister City"}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def open_table(browser, url: str, width: int = 1400, height: int = 1000):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    page.set_default_timeout(60_000)
    page.goto(f"{url}/table", wait_until="domcontentloaded", timeout=60_000)
    expect(page.get_by_role("button", name="Fill the table")).to_be_visible(timeout=120_000)
    return page


def fill(page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Fill the table").click()
    expect(page.get_by_role("button", name="Download CSV")).to_be_visible(timeout=120_000)
    assert "Traceback" not in page.content()


def test_fill_a_table_open_a_citation_and_download_it(server, browser, project):
    from playwright.sync_api import expect

    url, log = server
    page = open_table(browser, url)
    group = page.get_by_test_id("stButtonGroup")
    for label in ("Agreement signed", "Fields of cooperation", "Obstacles", "Recommendations"):
        group.get_by_role("button", name=label).click()  # unchecked: cities and method stay
        page.wait_for_timeout(300)
    page.get_by_test_id("stMultiSelect").click()
    for title in ROWS.values():
        page.get_by_role("option", name=re.compile(re.escape(title))).click()
    page.keyboard.press("Escape")
    fill(page)
    table = page.locator(".st-key-sq-table")
    expect(table.locator("[class*='st-key-sq-row-']")).to_have_count(2)
    expect(table.locator(".sq-th")).to_have_text(["Paper", "Cities studied", "Research method"])
    expect(page.get_by_text("2 papers × 2 questions")).to_be_visible()

    # A cell's [1] opens its quote in the paper: highlighted in its passage and its paragraphs.
    table.locator("[class*='st-key-tc-']").first.get_by_role("button").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible(timeout=30_000)
    expect(dialog.get_by_text("In the paper", exact=True).first).to_be_visible()
    quote = dialog.locator(".sq-snippet mark").inner_text()
    expect(dialog.locator(".sq-context mark")).to_have_text(quote)
    snap = open_snapshot(project / ".sisterqa")
    assert any(normalize(quote) in normalize(snap.paper_text(d)) for d in ROWS)  # verbatim, from a row's paper
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The CSV, read back: one line per paper, a column per question, places in brackets.
    with page.expect_download(timeout=30_000) as dl:
        page.get_by_role("button", name="Download CSV").click()
    assert dl.value.suggested_filename == "sisterqa-table.csv"
    rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["doc_id", "title", "year", QUESTIONS["cities"], QUESTIONS["method"]]
    assert sorted(r[0] for r in rows[1:]) == sorted(ROWS)
    for r in rows[1:]:
        for value in r[3:]:
            assert value == NOT_STATED or re.search(r"\S \[[^\]]+\]$", value), value
            assert not re.search(r"\[\d+\]", value)
    with page.expect_download(timeout=30_000) as dl:
        page.get_by_role("button", name="Download Markdown").click()
    md = Path(dl.value.path()).read_text(encoding="utf-8")
    assert md.startswith("# Literature table") and "## References" in md
    assert len(re.findall(r"(?m)^@\w+\{", md)) == 2  # one BibTeX entry per row's paper, of its own type
    assert "Traceback" not in log.read_text(errors="replace")
    page.close()


def test_the_whole_table_at_phone_width(server, browser):
    from playwright.sync_api import expect

    url, log = server
    page = open_table(browser, url, 390, 844)
    fill(page)
    expect(page.get_by_text("5 papers × 6 questions")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    table = page.locator(".st-key-sq-table")
    expect(table.locator(".st-key-sq-table-head")).to_be_hidden()  # the header row gives way …
    first = table.locator(".sq-tq").first
    expect(first).to_be_visible()  # … to each cell's own question
    expect(first).to_have_text(QUESTIONS["cities"])
    box = table.locator("[class*='st-key-sq-row-']").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    table.locator("[class*='st-key-tc-']").first.get_by_role("button").first.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.locator(".sq-snippet mark")).to_be_visible(timeout=30_000)
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.keyboard.press("Escape")
    page.close()
    assert "Traceback" not in log.read_text(errors="replace")


def test_screenshot_of_the_table_page(server, browser, tmp_path):
    url, _ = server
    page = open_table(browser, url, 1400, 1300)
    fill(page)
    page.mouse.move(0, 0)
    page.get_by_test_id("stButtonGroup").evaluate("e => e.scrollIntoView({block: 'start'})")  # the columns
    page.wait_for_timeout(800)
    shot = tmp_path / "table.png"
    page.screenshot(path=str(shot))
    if os.environ.get("SISTERQA_TABLE_SCREENSHOT"):
        Path(os.environ["SISTERQA_TABLE_SCREENSHOT"]).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=os.environ["SISTERQA_TABLE_SCREENSHOT"])
    assert shot.stat().st_size > 20_000
    page.close()


def test_a_pdf_cell_opens_the_printed_page_with_the_quote_highlighted(tmp_path, browser):
    """A table over one generated PDF: a cell's [1] shows the cited page as printed, highlighted."""
    from playwright.sync_api import expect

    from sisterqa.eval.bench import start_ui, stop_ui
    from sisterqa.eval.pdfgen import LAYOUTS, paper_pdf
    from sisterqa.index.build import BuildSettings, ingest
    from sisterqa.ingest.read import read_metadata, read_paper

    root = Path(__file__).resolve().parent.parent
    paper = "magelang-tula-paradiplomacy-smart-city"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    meta = read_metadata(root / "corpus").get(f"{paper}.txt", {})
    (corpus / f"{paper}.pdf").write_bytes(
        paper_pdf(read_paper(root / "corpus" / f"{paper}.txt", meta), meta, LAYOUTS["two-column"]))
    report = ingest([corpus], tmp_path / "idx", BuildSettings(), root=root)
    assert report.added and not report.failed, report.failed
    proc, url = start_ui(tmp_path / "idx", root, tmp_path / "server.log", timeout=90, corpus_dir=corpus)
    try:
        page = open_table(browser, url)
        group = page.get_by_test_id("stButtonGroup")
        for label in ("Cities studied", "Agreement signed", "Fields of cooperation", "Obstacles", "Recommendations"):
            group.get_by_role("button", name=label).click()
            page.wait_for_timeout(300)
        fill(page)
        table = page.locator(".st-key-sq-table")
        expect(table.locator(".sq-th")).to_have_text(["Paper", "Research method"])
        table.locator("[class*='st-key-tc-']").first.get_by_role("button").first.click()
        dialog = page.get_by_role("dialog")
        expect(dialog.locator(".sq-context mark")).to_be_visible(timeout=30_000)
        expect(dialog.get_by_text(re.compile(r"Page \d+, as printed"))).to_be_visible(timeout=30_000)
        img = dialog.get_by_test_id("stImage").locator("img").first
        expect(img).to_be_visible()
        assert img.evaluate("e => e.naturalWidth") >= 800
        with page.expect_download(timeout=30_000) as dl:
            page.keyboard.press("Escape")
            page.get_by_role("button", name="Download CSV").click()
        rows = list(csv.reader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))
        assert re.search(r"\[p\. \d+(; p\. \d+)*\]$", rows[1][3]), rows[1][3]  # a PDF's quotes: their pages
        page.close()
    finally:
        stop_ui(proc)
    assert "Traceback" not in (tmp_path / "server.log").read_text(errors="replace")
