"""The quality floor: the whole eval on the gold set, no metric below eval/floor.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

ROOT = Path(__file__).resolve().parent.parent
FLOOR = json.loads((ROOT / "eval" / "floor.json").read_text())


@pytest.fixture(scope="module")
def result(built_index):
    from sisterqa.app.settings import load_settings
    from sisterqa.eval.run import evaluate

    settings = load_settings({"index_dir": str(built_index)}, cwd=ROOT)
    return evaluate(settings)


def test_eval_covers_the_gold_set(result):
    assert result["n"] >= 80
    assert set(result["baselines"]) == {"bm25", "vanilla"}
    assert {"lang=en", "lang=id", "en-about-id", "type=followup", "type=unanswerable"} <= set(result["breakdown"])
    print(f"\neval runtime {result['runtime_s']} s: {result['timing_s']}")


@pytest.mark.parametrize("metric", sorted(FLOOR["min"]))
def test_metric_at_or_above_floor(result, metric):
    assert result["system"][metric] >= FLOOR["min"][metric], (
        f"{metric} = {result['system'][metric]:.3f} fell below its floor {FLOOR['min'][metric]}"
    )


@pytest.mark.parametrize("metric", sorted(FLOOR["max"]))
def test_metric_at_or_below_ceiling(result, metric):
    assert result["system"][metric] <= FLOOR["max"][metric], (
        f"{metric} = {result['system'][metric]:.3f} rose above its ceiling {FLOOR['max'][metric]}"
    )


def test_system_beats_both_baselines(result):
    for name, base in result["baselines"].items():
        for metric in ("hit@5", "allev@10", "keyfact_recall", "citation_precision", "citation_support"):
            assert result["system"][metric] > base[metric], (name, metric)


SPLIT_FLOORS = [(split, kind, metric) for split, f in FLOOR.get("splits", {}).items()
                for kind in ("min", "max") for metric in sorted(f.get(kind, {}))]


@pytest.mark.parametrize("split,kind,metric", SPLIT_FLOORS)
def test_each_half_of_the_gold_set_holds_its_floor(result, split, kind, metric):
    """The tuning half and the held-out half each keep their own floor (eval/floor.json "splits")."""
    value = result["splits"][split]["system"][metric]
    bound = FLOOR["splits"][split][kind][metric]
    assert (value >= bound) if kind == "min" else (value <= bound), (
        f"{split} {metric} = {value:.3f} is past its {'floor' if kind == 'min' else 'ceiling'} {bound}")


def test_both_halves_beat_both_baselines(result):
    for split, d in result["splits"].items():
        for name, base in d["baselines"].items():
            for metric in ("hit@5", "keyfact_recall", "citation_precision"):
                assert d["system"][metric] > base[metric], (split, name, metric)
