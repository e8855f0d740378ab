"""The library in a real browser (issue 23 item 1): an uploaded PDF copy of an indexed paper is
reported in one line and not indexed; the Papers page replaces the text by it, removes a paper
only after asking, and Undo brings it back. `sisterqa ui` over a private project, Debian's
Chromium; about 3 minutes (the PDF and the restored paper are embedded)."""

from __future__ import annotations

import shutil

import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

from conftest import copy_corpus
from test_browser import CHROMIUM, CHROMIUM_ARGS, open_app, start_server, stop_server
from test_library import SEMARANG, journal_pdf


@pytest.fixture
def project(tmp_path, built_index):
    copy_corpus(tmp_path / "corpus")
    shutil.copytree(built_index, tmp_path / ".sisterqa")
    proc, url = start_server(tmp_path, tmp_path / "server.log")
    try:
        yield tmp_path, url
    finally:
        stop_server(proc)


def test_upload_a_copy_then_replace_remove_and_undo_on_the_papers_page(project):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    from sisterqa.index.store import open_snapshot

    root, url = project
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                     timeout=60_000)
        try:
            page = open_app(browser, url)
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([
                {"name": "Kendala (journal).pdf", "mimeType": "application/pdf", "buffer": journal_pdf()},
            ])
            page.get_by_test_id("stSidebar").get_by_role("button", name="Add to the corpus").click()
            results = page.locator(".st-key-ingest-messages")
            expect(results).to_be_visible(timeout=180_000)
            expect(results).to_be_in_viewport()
            warning = results.get_by_test_id("stAlertContentWarning")
            expect(warning).to_contain_text(
                "Kendala (journal).pdf is a copy of 'Kendala Kerjasama Sister City antara Kota Semarang")
            expect(warning).to_contain_text(f"({SEMARANG}.txt); not indexed")
            expect(page.get_by_test_id("stToast")).to_have_count(0)  # nothing covers the results
            assert len(open_snapshot(root / ".sisterqa").papers) == 5

            # The Papers page lists the copy under its paper, with Replace.
            page.goto(f"{url}/papers", wait_until="domcontentloaded")
            main = page.get_by_test_id("stMain")
            expect(main.get_by_text("a copy is waiting")).to_be_visible(timeout=120_000)
            main.get_by_role("button", name="Replace by Kendala (journal).pdf").click()
            expect(main.get_by_test_id("stAlertContentSuccess").first).to_contain_text(
                f"Replaced {SEMARANG}.txt by Kendala (journal).pdf", timeout=240_000)
            snap = open_snapshot(root / ".sisterqa")
            new = next(p for p in snap.papers if p["path"] == "corpus/Kendala (journal).pdf")
            assert new["year"] == 2022 and new["title"].startswith("Kendala Kerjasama Sister City")
            assert (root / "corpus-trash").is_dir() and not (root / "corpus" / f"{SEMARANG}.txt").exists()

            # Remove asks first; Cancel changes nothing.
            magelang = main.get_by_test_id("stExpander").filter(has_text="Paradiplomacy and the Future")
            magelang.locator("summary").click()
            magelang.get_by_role("button", name="Remove from the library…").click()
            expect(magelang.get_by_text("moves to corpus-trash/")).to_be_visible()
            magelang.get_by_role("button", name="Cancel").click()
            expect(magelang.get_by_role("button", name="Remove from the library…")).to_be_visible()
            assert len(open_snapshot(root / ".sisterqa").papers) == 5
            magelang.get_by_role("button", name="Remove from the library…").click()
            magelang.get_by_role("button", name="Yes, move magelang-tula-paradiplomacy-smart-city.txt to the trash"
                                 ).click()
            expect(main.get_by_test_id("stAlertContentSuccess").first).to_contain_text("Removed", timeout=120_000)
            assert len(open_snapshot(root / ".sisterqa").papers) == 4
            expect(main.get_by_text("Trash (2)")).to_be_visible()
            # Undo puts it back, indexed again.
            main.get_by_role("button", name="Undo: put magelang-tula-paradiplomacy-smart-city.txt back").click()
            expect(main.get_by_test_id("stAlertContentSuccess").first).to_contain_text("Restored", timeout=240_000)
            papers = open_snapshot(root / ".sisterqa").papers
            assert len(papers) == 5 and any(p["doc_id"].startswith("magelang") for p in papers)
            assert (root / "corpus" / "magelang-tula-paradiplomacy-smart-city.txt").exists()
            assert "Traceback" not in page.content()
            page.close()
        finally:
            browser.close()
    assert "Traceback" not in (root / "server.log").read_text(errors="replace")
