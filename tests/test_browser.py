"""End to end in a real browser: `sisterqa ui` as a server, Debian's Chromium driven by Playwright.

Set SISTERQA_SCREENSHOT=/path/shot.png to keep the final screenshot
(it is always written to the test's tmp folder).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
QUESTION = "Why did the cooperation between South Tangerang and Daejeon stall?"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"sisterqa ui exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"sisterqa ui did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def server(tmp_path, built_index):
    index = tmp_path / "idx"
    shutil.copytree(built_index, index)
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "SISTERQA_INDEX_DIR": str(index), "SISTERQA_CORPUS_DIR": str(ROOT / "corpus")}
    for var in ("SISTERQA_LLM_BASE_URL", "SISTERQA_LLM_MODEL"):
        env.pop(var, None)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "ui", "--port", str(port)], cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, log)
        yield url, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the CLI and the streamlit server it started
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


def test_ask_and_open_a_citation_in_chromium(server, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    url, log = server
    shot = tmp_path / "sisterqa-ui.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                     timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(60_000)
            page.goto(url, wait_until="domcontentloaded", timeout=60_000)
            box = page.get_by_test_id("stChatInputTextArea")
            expect(box).to_be_visible(timeout=120_000)  # the first run loads the index and the model
            expect(page.get_by_text("Papers (5)")).to_be_visible()
            box.fill(QUESTION)
            box.press("Enter")

            answer = page.get_by_test_id("stChatMessage").nth(1)
            expect(answer).to_contain_text("[1]", timeout=120_000)
            expect(answer.locator(".sq-n").first).to_have_text("[1]")
            expect(answer.locator(".sq-snippet mark").first).to_be_visible()
            quote = answer.locator(".sq-snippet mark").first.inner_text()
            assert len(quote) > 20

            answer.get_by_role("button", name="Show in paper").first.click()
            context = answer.locator(".sq-context")
            expect(context).to_be_visible(timeout=30_000)
            expect(context.locator("mark")).to_have_text(quote)
            expect(context.locator(".passage")).to_be_visible()
            expect(answer.get_by_role("button", name="Hide paper").first).to_be_visible()
            # The picture: the question at the top, the answer, its first citation opening in the paper.
            page.mouse.move(0, 0)
            question = page.get_by_test_id("stChatMessage").first
            for _ in range(20):  # the chat sticks to the bottom while it renders: scroll until it stays
                question.evaluate("e => e.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(400)
                if abs(question.evaluate("e => e.getBoundingClientRect().top")) < 2:
                    break
            page.screenshot(path=str(shot))
            if os.environ.get("SISTERQA_SCREENSHOT"):
                Path(os.environ["SISTERQA_SCREENSHOT"]).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=os.environ["SISTERQA_SCREENSHOT"])
            assert "Traceback" not in page.content()
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    assert "Traceback" not in log.read_text(errors="replace")
