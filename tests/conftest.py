"""Shared fixtures: the real corpus indexed once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def built_index(tmp_path_factory) -> Path:
    """The five papers of corpus/ indexed with the default settings (read-only: copy to change)."""
    from index.build import BuildSettings, ingest

    index_dir = tmp_path_factory.mktemp("index") / "idx"
    report = ingest([CORPUS], index_dir, BuildSettings(), root=ROOT)
    assert not report.failed, report.failed
    assert len(report.added) == 5
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
