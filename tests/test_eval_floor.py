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


@pytest.fixture(scope="module")
def debian(tmp_path_factory):
    """`sisterqa eval --corpus debian`: the second corpus (seven real typeset PDFs), its own index."""
    from sisterqa.app.settings import load_settings
    from sisterqa.eval.corpus import evaluate_corpus, named

    folder, gold = named("debian")
    settings = load_settings({"index_dir": str(tmp_path_factory.mktemp("debian") / "idx")}, cwd=ROOT)
    return evaluate_corpus(settings, folder, gold)


def _bounds(floor: dict) -> list[tuple]:
    """(split or None, group, kind, metric, bound) of a corpus's floors: metrics, calibration."""
    out = []
    for split, f in [(None, floor), *sorted(floor.get("splits", {}).items())]:
        for kind in ("min", "max"):
            out += [(split, "system", kind, m, v) for m, v in sorted(f.get(kind, {}).items())]
            out += [(split, "calibration", kind, m, v) for m, v in sorted(f.get("calibration", {}).get(kind, {}).items())]
    return out


def _check(result: dict, split, group, kind, metric, bound, name=""):
    part = result["splits"][split] if split else result
    value = part[group][metric]
    assert value is not None, f"{name} {split or 'all'} {metric}: not measured"
    assert (value >= bound) if kind == "min" else (value <= bound), (
        f"{name} {split or 'all'} {group} {metric} = {value:.3f} is past its "
        f"{'floor' if kind == 'min' else 'ceiling'} {bound}")


CALIBRATION = [b for b in _bounds({k: v for k, v in FLOOR.items() if k in ("calibration", "splits")})
               if b[1] == "calibration"]


@pytest.mark.parametrize("split,group,kind,metric,bound", CALIBRATION)
def test_confidence_is_calibrated(result, split, group, kind, metric, bound):
    """Of answers given a confidence of about p, about p are right (ECE), and it ranks right above wrong."""
    _check(result, split, group, kind, metric, bound)


def test_a_new_topic_is_answered_as_if_asked_alone(result):
    """Each self-contained item asked after another item's question about a different paper (issue 20.1)."""
    limit = FLOOR["new_topic"]["max_abs_diff"]
    nt = result["new_topic"]
    assert nt["n"] >= 20
    for split in ("all", "tune", "heldout"):
        for metric, d in nt[split].items():
            if isinstance(d, dict) and metric != "answer_words_median":
                assert abs(d["diff"]) <= limit, (split, metric, d)


DEBIAN = FLOOR["corpora"]["debian"]


@pytest.mark.parametrize("split,group,kind,metric,bound", _bounds(DEBIAN))
def test_the_second_corpus_holds_its_floor(debian, split, group, kind, metric, bound):
    _check(debian, split, group, kind, metric, bound, "debian")


def test_the_second_corpus_beats_both_baselines_on_citations(debian):
    for split in ("tune", "heldout"):
        d = debian["splits"][split]
        for name, base in d["baselines"].items():
            for metric in ("citation_precision", "citation_support"):
                assert d["system"][metric] > base[metric], (split, name, metric)
            assert d["system"]["junk_citations"] < base["junk_citations"], (split, name)


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
