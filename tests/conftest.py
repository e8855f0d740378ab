"""Shared fixtures: the real corpus indexed once per test session."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# The five papers the tests are written for. Tests index these (and corpus/metadata.json), never
# whatever else is in corpus/: a paper uploaded through the UI must not change what tests see.
PAPERS = (
    "bandung-seoul-smart-city-paradiplomacy.txt",
    "magelang-tula-paradiplomacy-smart-city.txt",
    "semarang-jung-gu-kendala-sister-city.txt",
    "south-tangerang-daejeon-friendship-cooperation.txt",
    "tangerang-selatan-daejeon-alasan-kerjasama.txt",
)


def copy_corpus(dst: Path, src: Path = CORPUS) -> Path:
    """Copy the test papers and their metadata.json from ``src`` into the folder ``dst``."""
    dst.mkdir(parents=True, exist_ok=True)
    for name in PAPERS + ("metadata.json",):
        if (src / name).exists():
            shutil.copy2(src / name, dst / name)
    return dst


def _cache_key() -> str:
    """A hash of everything a built index depends on: corpus files and the ingest/index code."""
    h = hashlib.sha256()
    files = [CORPUS / n for n in PAPERS + ("metadata.json",)]
    for folder in ("ingest", "index"):
        files += sorted((ROOT / folder).rglob("*"))
    for f in files:
        if f.is_file() and f.suffix in (".py", ".txt", ".md", ".pdf", ".json") and f.name not in (
            "search.py", "fusion.py", "routing.py", "lexicon.py",
        ):
            h.update(str(f.relative_to(ROOT)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, request) -> Path:
    """The five papers (PAPERS) indexed with the default settings (read-only: copy to change).

    They are indexed from a copy of corpus/ holding only them, with paths as in
    the repository (``corpus/<name>``), so other files in corpus/ change nothing.

    The build is cached in pytest's cache folder under a hash of the corpus
    and the ingest/index code, so a re-run with nothing changed reuses it.
    """
    from sisterqa.index.build import BuildSettings, ingest

    cache = Path(request.config.cache.mkdir("sisterqa-index")) / _cache_key()
    with open(cache.with_name(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent test runs wait for one build
        if not (cache / "CURRENT").exists():
            tmp = cache.with_name(cache.name + f".{os.getpid()}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            src_root = tmp_path_factory.mktemp("corpus-root")
            copy_corpus(src_root / "corpus")
            report = ingest([src_root / "corpus"], tmp, BuildSettings(), root=src_root)
            assert not report.failed, report.failed
            assert len(report.added) == 5
            shutil.rmtree(cache, ignore_errors=True)
            os.replace(tmp, cache)
    index_dir = tmp_path_factory.mktemp("index") / "idx"
    shutil.copytree(cache, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def searcher(built_index):
    from sisterqa.index.search import Searcher

    return Searcher(built_index)


@pytest.fixture
def work_copy(tmp_path, built_index) -> Path:
    """A private project root: corpus/ copied and the built index beside it (as .sisterqa)."""
    copy_corpus(tmp_path / "corpus")
    shutil.copytree(built_index, tmp_path / ".sisterqa")
    return tmp_path


@pytest.fixture(scope="session")
def engine(built_index):
    """An Engine over the built index (read-only), with the default settings."""
    from sisterqa.app.session import Engine
    from sisterqa.app.settings import load_settings

    return Engine(load_settings({"index_dir": str(built_index)}, env={}, cwd=ROOT))
