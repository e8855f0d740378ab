"""One settings tree (issue 22): the SISTERQA_* variables are read by app/settings.py alone and passed
down; the reader, its sandbox worker, the dictionary and the milvus backend get them as arguments.

Fast: one corpus paper typeset as a PDF (eval.pdfgen) and read in the real sandbox worker.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sisterqa.app.settings import load_settings
from sisterqa.ingest.errors import BadPaper
from sisterqa.ingest.pdfguard import Limits

ROOT = Path(__file__).resolve().parent.parent
PAPER = "south-tangerang-daejeon-friendship-cooperation"
PAGE_REFUSAL = re.compile(r"has (about |over )?[\d,.]+( M)? characters on one page( \(page \d+\))?, over the limit "
                          r"of 123 a page \(raise it with SISTERQA_MAX_PAGE_CHARS\)")


@pytest.fixture
def no_env(monkeypatch):
    """No SISTERQA_* variable in this process: whatever is read comes from the arguments."""
    import os

    for k in [k for k in os.environ if k.startswith("SISTERQA_")]:
        monkeypatch.delenv(k)


@pytest.fixture(scope="module")
def typeset_pdf(tmp_path_factory) -> Path:
    """A corpus paper typeset as a PDF, as eval.pdfgen writes them for the PDF tests."""
    from sisterqa.eval.pdfgen import LAYOUTS, paper_pdf
    from sisterqa.ingest.read import read_metadata, read_paper

    meta = read_metadata(ROOT / "corpus").get(f"{PAPER}.txt", {})
    path = tmp_path_factory.mktemp("pdf") / f"{PAPER}.pdf"
    path.write_bytes(paper_pdf(read_paper(ROOT / "corpus" / f"{PAPER}.txt", meta), meta, LAYOUTS["one-column"]))
    return path


def test_every_reading_limit_is_read_into_the_tree(tmp_path, monkeypatch, no_env):
    assert load_settings({}, env={}, cwd=tmp_path).build.limits == Limits()
    s = load_settings({}, env={"SISTERQA_MAX_PAGE_CHARS": "123"}, cwd=tmp_path)
    assert s.build.limits.page_chars == 123
    assert s.build.limits == Limits(page_chars=123)
    monkeypatch.setenv("SISTERQA_MAX_PAGE_CHARS", "123")  # the process's environment, as users set it
    assert load_settings({}, cwd=tmp_path).build.limits.page_chars == 123
    every = load_settings({}, env={
        "SISTERQA_MAX_PDF_PAGES": "7", "SISTERQA_PDF_TIME_LIMIT_S": "2.5", "SISTERQA_MAX_PDF_STREAM_MB": "1.5",
        "SISTERQA_MAX_PAGE_CHARS": "123", "SISTERQA_MAX_PAPER_CHARS": "5000", "SISTERQA_MAX_PAPER_PASSAGES": "3",
        "SISTERQA_PDF_MEMORY_MB": "640",
    }, cwd=tmp_path).build.limits
    assert every == Limits(pages=7, seconds=2.5, stream_bytes=int(1.5 * 1024 * 1024), page_chars=123,
                           paper_chars=5000, passages=3, memory_mb=640)
    # sisterqa.toml holds the same keys; the environment wins over it
    (tmp_path / "sisterqa.toml").write_text('max_page_chars = 77\nmax_paper_passages = 9\n', encoding="utf-8")
    monkeypatch.delenv("SISTERQA_MAX_PAGE_CHARS")
    toml = load_settings({}, cwd=tmp_path).build.limits
    assert (toml.page_chars, toml.passages) == (77, 9)
    assert load_settings({}, env={"SISTERQA_MAX_PAGE_CHARS": "123"}, cwd=tmp_path).build.limits.page_chars == 123


def test_a_limit_from_the_settings_reaches_the_sandbox_worker(typeset_pdf, tmp_path, no_env):
    """No variable is set: the worker refuses the page only because the Limits passed to it say so."""
    from sisterqa.ingest import sandbox
    from sisterqa.ingest.pdfguard import read_pdf_bounded
    from sisterqa.ingest.read import read_report

    data = typeset_pdf.read_bytes()
    assert read_pdf_bounded(typeset_pdf, data).page_count >= 1  # the defaults read it
    with pytest.raises(BadPaper) as e:
        read_pdf_bounded(typeset_pdf, data, Limits(page_chars=123))
    assert PAGE_REFUSAL.fullmatch(e.value.reason) and "\n" not in e.value.reason, e.value.reason
    # the same through the settings tree, as `sisterqa read` passes it
    s = load_settings({}, env={"SISTERQA_MAX_PAGE_CHARS": "123"}, cwd=tmp_path)
    r = read_report(typeset_pdf, root=tmp_path, limits=s.build.limits)
    assert r["error"] and PAGE_REFUSAL.fullmatch(r["error"]), r["error"]
    assert read_report(typeset_pdf, root=tmp_path)["error"] is None
    # the memory cap is the worker's data segment limit (an argument, not SISTERQA_SANDBOX_MB)
    read_pdf_bounded(typeset_pdf, data, Limits(memory_mb=700))
    worker = sandbox._pool("pdf")[1][0]
    assert worker is not None and worker.mb == 700
    limits = Path(f"/proc/{worker.proc.pid}/limits").read_text()
    assert re.search(r"Max data size\s+%d\s" % (700 * 1024 * 1024), limits), limits


def test_the_dictionary_and_milvus_come_from_the_settings(tmp_path, capsys, no_env):
    from sisterqa.index.backends import MilvusSettings, get_backend
    from sisterqa.index.lexicon import DICT_DIR, lexicon

    s = load_settings({}, env={}, cwd=tmp_path)
    assert s.search.dict_dir == DICT_DIR == Path("/usr/share/dictd")
    assert s.build.milvus == s.search.milvus == MilvusSettings()
    empty = tmp_path / "no-dictionary"
    empty.mkdir()
    s = load_settings({}, env={"SISTERQA_DICT_DIR": str(empty), "SISTERQA_MILVUS_URI": "http://milvus.example:19530",
                               "SISTERQA_MILVUS_TOKEN": "user:secret"}, cwd=tmp_path)
    assert s.search.dict_dir == empty
    assert lexicon(s.search.dict_dir) is None and "no English–Indonesian dictionary" in capsys.readouterr().err
    assert s.build.milvus == s.search.milvus == MilvusSettings("http://milvus.example:19530", "user:secret")
    assert "secret" not in repr(s)  # the token is never printed
    backend = get_backend("milvus", s.build.milvus)
    assert backend._uri(tmp_path / "idx", None) == "http://milvus.example:19530"
    lite = get_backend("milvus", load_settings({}, env={"SISTERQA_MILVUS_URI": "m.db"}, cwd=tmp_path).build.milvus)
    assert lite._uri(tmp_path / "idx", None) == str(tmp_path / "idx" / "m.db")  # relative to the index, as before


def test_only_the_settings_read_the_environment():
    """Outside app/settings.py, ingest, index and app touch os.environ only to build a child process's
    environment or for the embedder's threads and offline notice, never for a setting."""
    allowed = {"app/settings.py", "ingest/sandbox.py", "index/embed.py", "app/cli.py"}
    found = {}
    for layer in ("ingest", "index", "app"):
        for f in sorted((ROOT / layer).rglob("*.py")):
            for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"os\.environ|getenv", line):
                    found.setdefault(str(f.relative_to(ROOT)), []).append((n, line.strip()))
    assert set(found) <= allowed, found
    for name, lines in found.items():
        if name != "app/settings.py":
            assert not any("SISTERQA_" in line for _, line in lines), (name, lines)
