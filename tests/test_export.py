"""Exports and the CLI's text output: `ask --markdown`, `docs --bibtex`, plain text, ingest progress.

The real `sisterqa` command in child processes over a copy of the built index
(about 40 s in all: each `ask` loads the embedding model, the progress test
embeds one short paper).
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sisterqa.app.export import bibtex, plain_text, tex
from sisterqa.index.store import open_snapshot

STALL = "Why did the cooperation between South Tangerang and Daejeon stall?"


def cli(*args, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERQA_")}
    return subprocess.run([sys.executable, "-m", "sisterqa", *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def index(tmp_path_factory, built_index) -> Path:
    dst = tmp_path_factory.mktemp("export") / "idx"
    shutil.copytree(built_index, dst)
    return dst


def test_plain_text_drops_markdown_markup():
    md = "_(Indonesian)_ Kota itu [1]\n**Paper title**\n- a point [2]\nsnake_case_word and 2*3*4 stay"
    assert plain_text(md) == "(Indonesian) Kota itu [1]\nPaper title\n- a point [2]\nsnake_case_word and 2*3*4 stay"


def test_ask_prints_plain_text_not_markdown(index, tmp_path):
    # An English question about an Indonesian paper: the answer labels sentences _(Indonesian)_.
    r = cli("ask", "Mengapa Tangerang Selatan memilih Daejeon sebagai mitra sister city?", "--index-dir",
            str(index), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "[1]" in r.stdout
    assert "_(" not in r.stdout and ")_" not in r.stdout and "**" not in r.stdout
    assert "(English)" in r.stdout or "(Indonesian)" in r.stdout


def test_ask_markdown_has_references_with_metadata_and_quotes(index, tmp_path):
    r = cli("ask", STALL, "--markdown", "--index-dir", str(index), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    md = r.stdout
    # how far to trust it, in the words the chat uses, with the number (issue 20.2)
    assert re.search(r"_(The papers answer this directly|Partly answered — check the quotes) \(confidence \d+%\)\._", md), md
    snap = open_snapshot(index)
    body, refs = md.split("### References", 1)
    assert body.startswith(f"## {STALL}")
    markers = sorted({int(n) for n in re.findall(r"\[(\d+)\]", body)})
    # One numbered entry per [n]: the chat's reference (app.references.format_reference) in Markdown,
    # the title in bold, then section and page, then the quote.
    entries = re.findall(r"^(\d+)\. (.*?)\*\*(.+?)\*\*(.*)$\n   > “(.+)”$", refs.split("### BibTeX")[0], re.M)
    assert markers and [int(e[0]) for e in entries] == markers
    titles = {p["title"] for p in snap.papers}
    hafiez = next(p for p in snap.papers if "Hafiez" in " ".join(p["authors"]))
    assert all(e[2].replace("\\", "") in titles for e in entries)
    assert any(e[1].startswith("Hafiez, M. R. (n.d.).") and "Section: " in e[3] for e in entries), hafiez
    texts = " ".join(" ".join(snap.paper_text(p["doc_id"]).split()) for p in snap.papers)
    assert all(e[4].replace("\\", "") in texts for e in entries)  # quotes are verbatim
    assert "```bibtex\n@" in md and "author = {Muhammad Raihan Hafiez}" in md


def test_docs_bibtex_one_entry_per_paper(index, tmp_path):
    r = cli("docs", "--bibtex", "--index-dir", str(index), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    entries = re.findall(r"^@(\w+)\{([^,]+),\n((?:  \w+ = \{.*\},?\n)+)\}$", r.stdout, re.M)
    snap = open_snapshot(index)
    assert len(entries) == len(snap.papers) == 5
    assert len({k for _, k, _ in entries}) == 5  # unique keys
    kinds = {k: kind for kind, k, _ in entries}
    magelang = next(body for _, k, body in entries if k == "noormansyah2024paradiplomacy")
    assert "author = {Reza Noormansyah and Ghaziah Nurika Akhni and Sigid Widyantoro and Hendra Lana Saputra}" in magelang
    assert "year = {2024}" in magelang
    no_year = next(body for _, k, body in entries if k.startswith("hafiez"))
    assert "year =" not in no_year and "journal =" not in no_year  # missing fields are left out
    # By kind (corpus/metadata.json): the journal article with its DOI out of the journal's name,
    # the thesis proposal as @misc saying so, never as a journal.
    bandung = next(body for _, k, body in entries if k == "puspitarini2021praktik")
    assert kinds["puspitarini2021praktik"] == "article"
    assert "journal = {Perspektif}" in bandung and "doi = {10.31289/perspektif.v10i2.4850}" in bandung
    proposal = next(body for _, k, body in entries if k.startswith("alasan"))
    assert kinds[next(k for k in kinds if k.startswith("alasan"))] == "misc"
    assert "howpublished = {Undergraduate thesis proposal}" in proposal and "journal" not in proposal


def test_bibtex_escapes_and_deduplicates_keys():
    out = bibtex([{"title": "R&D 100% {x}", "authors": ["Ana Lima"], "year": 2020},
                  {"title": "R&D again", "authors": ["Ana Lima"], "year": 2020}])
    assert r"title = {{R\&D 100\% \textbraceleft{}x\textbraceright{}}}" in out
    assert "@misc{lima2020rd," in out and "@misc{lima2020rda," in out  # no journal: @misc
    assert tex("a_b #1 $") == r"a\_b \#1 \$"


def _run_in_pty(args, cwd, timeout=300) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal (a user's terminal) and stdout on a pipe."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERQA_")}
    env.update({"COLUMNS": "100", "TERM": "xterm"})
    proc = subprocess.Popen([sys.executable, "-m", "sisterqa", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=slave, env=env)
    os.close(slave)
    err = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            err += chunk
        elif proc.poll() is not None:
            break
    out = proc.stdout.read().decode()
    proc.wait(timeout=30)
    os.close(master)
    return proc.returncode, out, err.decode(errors="replace")


def test_ingest_shows_progress_on_a_terminal_and_is_quiet_otherwise(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bogor-kyoto.md").write_text(
        "# Bogor and Kyoto\n\n## Findings\n\n" + "The Bogor and Kyoto botanical gardens exchanged staff. " * 40,
        encoding="utf-8")
    code, out, err = _run_in_pty(["ingest", "--index-dir", str(tmp_path / "a")], cwd=tmp_path)
    assert code == 0, err
    assert "Embedding bogor-kyoto.md" in err  # the progress bar, on the terminal (stderr)
    assert "\x1b[" in err  # drawn with terminal control codes
    assert out.startswith("ingest: added 1") and "\x1b" not in out and "Embedding" not in out
    quiet = cli("ingest", "--index-dir", str(tmp_path / "b"), cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout.startswith("ingest: added 1")
