"""The literature table's quality floor: the table section of the eval on eval/gold-table.jsonl, no metric
past eval/floor.json's "table" floors ({"min": {metric: v}, "max": {…}, "splits": {"tune": {"min": …}}}).
Skipped until both the gold table and those floors exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

ROOT = Path(__file__).resolve().parent.parent
GOLD_TABLE = ROOT / "eval" / "gold-table.jsonl"
FLOOR = json.loads((ROOT / "eval" / "floor.json").read_text()).get("table") or {}
BOUNDS = [(None, kind, m) for kind in ("min", "max") for m in sorted(FLOOR.get(kind, {}))] + [
    (split, kind, m) for split, f in sorted(FLOOR.get("splits", {}).items())
    for kind in ("min", "max") for m in sorted(f.get(kind, {}))]


@pytest.fixture(scope="module")
def result(built_index):
    if not GOLD_TABLE.exists():
        pytest.skip("no eval/gold-table.jsonl yet")
    from sisterqa.app.session import Engine
    from sisterqa.app.settings import load_settings
    from sisterqa.eval.table import evaluate_table

    return evaluate_table(Engine(load_settings({"index_dir": str(built_index)}, cwd=ROOT)), GOLD_TABLE)


def test_every_citation_quotes_its_own_row_s_paper_verbatim(result):
    assert result["system"]["citation_in_row"] == 1.0
    assert result["system"]["citation_validity"] == 1.0


@pytest.mark.skipif(not BOUNDS, reason="eval/floor.json has no \"table\" floors yet")
@pytest.mark.parametrize("split,kind,metric", BOUNDS or [(None, "min", "none")])
def test_table_metric_within_its_floor(result, split, kind, metric):
    value = (result["splits"][split] if split else result)["system"][metric]
    bound = (FLOOR["splits"][split] if split else FLOOR)[kind][metric]
    assert (value >= bound) if kind == "min" else (value <= bound), (
        f"table {split or 'all'} {metric} = {value:.3f} is past its {'floor' if kind == 'min' else 'ceiling'} {bound}")
