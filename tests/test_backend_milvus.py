"""The milvus index backend against a real embedded Milvus (Milvus Lite, from PyPI).

Cost: about 30 s (Milvus Lite starts in ~1 s per database file; one tiny paper is embedded).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from sisterqa.index.backends import available, get_backend  # noqa: E402
from sisterqa.index.backends.base import BackendUnavailable  # noqa: E402
from sisterqa.index.backends.milvus import MilvusBM25, MilvusDense  # noqa: E402
from sisterqa.index.build import BuildSettings, ingest  # noqa: E402
from sisterqa.index.search import SearchSettings, Searcher  # noqa: E402
from sisterqa.index.store import IndexDir, open_snapshot  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "why did the South Tangerang Daejeon cooperation stall",
    "Mengapa Semarang memilih Jung-Gu sebagai mitra sister city?",
    "smart city cooperation between Bandung and Seoul",
    "What obstacles did Magelang face with Tula?",
    "kendala kerjasama sister city",
]


def cli(*args, cwd=ROOT, env=None):
    e = {k: v for k, v in os.environ.items() if k not in ("SISTERQA_MILVUS_URI", "SISTERQA_BACKEND")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "sisterqa", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env=e)


def _tiny(i: int) -> str:
    return (f"# Sister city note {i}\n\nThe city of Testopolis{i} signed a friendship agreement with "
            f"Examplegrad{i} in {1990 + i}. The agreement covered schools and ports.\n")


def test_backends_lists_the_default_first():
    out = cli("backends")
    assert out.returncode == 0
    assert out.stdout.split() == available() == ["faiss", "milvus"]
    with pytest.raises(BackendUnavailable, match="unknown index backend"):
        get_backend("elastic")


@pytest.fixture(scope="module")
def milvus_index(built_index, tmp_path_factory):
    """The corpus index switched to the milvus backend (Milvus Lite file beside it): nothing re-embedded."""
    import shutil

    project = tmp_path_factory.mktemp("milvus")
    shutil.copytree(ROOT / "corpus", project / "corpus")
    shutil.copytree(built_index, project / "idx")
    report = ingest([project / "corpus"], project / "idx", BuildSettings(backend="milvus"), root=project)
    assert report.embedded == 0 and not report.failed and len(report.unchanged) == 5
    return project


def test_milvus_backend_ranks_as_the_default(milvus_index, searcher):
    snap = open_snapshot(milvus_index / "idx")
    assert snap.manifest["backend"]["name"] == "milvus"
    assert (milvus_index / "idx" / snap.manifest["backend"]["uri"]).exists()  # the Lite file
    assert isinstance(snap.dense, MilvusDense) and isinstance(snap.bm25, MilvusBM25)
    mil = Searcher(milvus_index / "idx", embedder=searcher.embedder)
    for q in QUERIES:
        qv = searcher.embed_query(q)
        a = searcher.search(q, k=20, query_vec=qv)
        b = mil.search(q, k=20, query_vec=qv)
        assert [h.passage.passage_id for h in a] == [h.passage.passage_id for h in b], q
        for x, y in zip(a, b):
            for key in ("dense", "bm25", "fused"):
                assert abs(x.scores[key] - y.scores[key]) < 1e-4, (q, key)
        # The engine's sparse inner product is the local BM25 score.
        local = searcher.snapshot.bm25.scores(q)
        remote = mil.snapshot.bm25.scores(q)
        assert np.allclose(local, remote, rtol=1e-5, atol=1e-5)
        ids, scores = mil.snapshot.bm25.top(q, 5)
        assert np.allclose(scores, np.sort(local)[::-1][:5], rtol=1e-5)
        s1, i1 = searcher.snapshot.dense.search(qv[None, :], 10)
        s2, i2 = mil.snapshot.dense.search(qv[None, :], 10)
        assert list(i1[0]) == list(i2[0]) and np.allclose(s1, s2, atol=1e-5)
        # The candidate-only path (what a large index takes) asks the engine for 100 rows a signal.
        ids = np.array([0, 7, 100])
        for where in (searcher.snapshot.bm25, mil.snapshot.bm25):
            top, top_sc, at = where.top_and_scores([(q, 1.0), ("kerjasama", 0.5)], 10, ids)
            full = local + 0.5 * searcher.snapshot.bm25.scores("kerjasama")
            assert np.allclose(at, full[ids], atol=1e-4) and np.allclose(top_sc, np.sort(full)[::-1][:10], atol=1e-4)
    few = replace(SearchSettings(), exact_max=0)
    loc, mil0 = (Searcher(r, few, embedder=searcher.embedder) for r in (searcher.index_root, milvus_index / "idx"))
    for q in QUERIES:
        qv = searcher.embed_query(q)
        assert ([h.passage.passage_id for h in loc.search(q, k=10, query_vec=qv)]
                == [h.passage.passage_id for h in mil0.search(q, k=10, query_vec=qv)]), q


def test_a_fresh_process_searches_the_milvus_index_as_the_default(milvus_index, built_index, tmp_path):
    import shutil

    copy = tmp_path / "idx"  # a copy: Milvus Lite serves one process per database file
    shutil.copytree(milvus_index / "idx", copy)
    for q in QUERIES[:2]:
        a = cli("search", q, "--json", "--k", "10", "--index-dir", str(built_index))
        b = cli("search", q, "--json", "--k", "10", "--index-dir", str(copy))
        assert a.returncode == 0 and b.returncode == 0, b.stderr
        ids = lambda out: [p["passage_id"] for p in json.loads(out.stdout)]  # noqa: E731
        assert ids(a) == ids(b)


def test_milvus_incremental_add_and_remove(milvus_index, searcher):
    idx, corpus = milvus_index / "idx", milvus_index / "corpus"
    before = open_snapshot(idx)
    (corpus / "tiny-9.md").write_text(_tiny(9), encoding="utf-8")
    r = ingest([corpus], idx, BuildSettings(), root=milvus_index, embedder=searcher.embedder)
    assert r.added == ["corpus/tiny-9.md"]
    snap = open_snapshot(idx)
    assert snap.manifest["backend"]["name"] == "milvus"  # the index keeps its backend
    ids, _ = snap.bm25.top("Testopolis9 Examplegrad9", 5)
    assert ids.size and all(snap.passages[int(i)].doc_id.startswith("tiny-9") for i in ids)
    # The version opened before the add never sees the new paper's rows.
    assert before.bm25.top("Testopolis9 Examplegrad9", 5)[0].size == 0
    (corpus / "tiny-9.md").unlink()
    ingest([corpus], idx, BuildSettings(), root=milvus_index, embedder=searcher.embedder)
    gone = open_snapshot(idx)
    assert gone.bm25.top("Testopolis9 Examplegrad9", 5)[0].size == 0
    assert gone.dense.ntotal == before.dense.ntotal


def test_an_unreachable_engine_is_one_line_saying_how_to_start_it(milvus_index, tmp_path):
    out = cli("ingest", "--backend", "milvus", "--index-dir", str(tmp_path / "idx"),
              env={"SISTERQA_MILVUS_URI": "http://127.0.0.1:9"})
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1, out.stderr
    assert "not reachable" in lines[0] and "start a Milvus server" in lines[0] and "Milvus Lite" in lines[0]
    assert not (tmp_path / "idx" / "CURRENT").exists()

    # An index whose server went away: search says so in one line.
    import shutil

    copy = tmp_path / "served"
    shutil.copytree(milvus_index / "idx", copy)
    version = IndexDir(copy).current()
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    manifest["backend"]["uri"] = "http://127.0.0.1:9"
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    out = cli("search", "Daejeon", "--index-dir", str(copy))
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 1 and len(lines) == 1 and "Milvus at http://127.0.0.1:9 is not reachable" in lines[0]
