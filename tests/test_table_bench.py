"""The bench's table section (eval/table_bench.py, eval/table_synthetic.py), small: the corpus table once,
and a synthetic index of 4 papers (about 10 s). `sisterqa bench --only table` runs the full sizes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`


def test_corpus_table_timings(built_index):
    from sisterqa.eval.table_bench import bench_corpus_table

    r = bench_corpus_table(built_index, repeats=1)
    assert r["papers"] == 5 and r["columns"] == 6 and r["cells"] == 30
    assert r["table_s"] > 0 and r["ms_per_cell"] > 0
    assert [x["cells"] for x in r["by_papers"]] == [6, 12, 18, 24, 30]


def test_synthetic_table_timings(tmp_path):
    from sisterqa.eval.table_synthetic import bench_synthetic_table

    r = bench_synthetic_table(papers=4, row_counts=(2, 4), work=tmp_path)
    assert r["papers"] == 4 and r["passages"] == 200
    assert [(x["papers"], x["cells"]) for x in r["runs"]] == [(2, 12), (4, 24)]
    assert all(x["ms_per_cell"] > 0 for x in r["runs"])
    assert not list(tmp_path.iterdir())  # the synthetic index is removed
