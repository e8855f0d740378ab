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


def _cache_key() -> str:
    """A hash of everything a built index depends on: corpus files and the ingest/index code."""
    h = hashlib.sha256()
    for folder in ("corpus", "ingest", "index"):
        for f in sorted((ROOT / folder).rglob("*")):
            if f.is_file() and f.suffix in (".py", ".txt", ".md", ".pdf", ".json") and f.name not in (
                "search.py", "fusion.py", "routing.py", "lexicon.py",
            ):
                h.update(str(f.relative_to(ROOT)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, request) -> Path:
    """The five papers of corpus/ indexed with the default settings (read-only: copy to change).

    The build is cached in pytest's cache folder under a hash of the corpus
    and the ingest/index code, so a re-run with nothing changed reuses it.
    """
    from index.build import BuildSettings, ingest

    cache = Path(request.config.cache.mkdir("sisterqa-index")) / _cache_key()
    with open(cache.with_name(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent test runs wait for one build
        if not (cache / "CURRENT").exists():
            tmp = cache.with_name(cache.name + f".{os.getpid()}.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            report = ingest([CORPUS], tmp, BuildSettings(), root=ROOT)
            assert not report.failed, report.failed
            assert len(report.added) == 5
            shutil.rmtree(cache, ignore_errors=True)
            os.replace(tmp, cache)
    index_dir = tmp_path_factory.mktemp("index") / "idx"
    shutil.copytree(cache, index_dir)
    return index_dir


@pytest.fixture(scope="session")
def searcher(built_index):
    from index.search import Searcher

    return Searcher(built_index)


@pytest.fixture
def work_copy(tmp_path, built_index) -> Path:
    """A private project root: corpus/ copied and the built index beside it (as .sisterqa)."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    shutil.copytree(built_index, tmp_path / ".sisterqa")
    return tmp_path
