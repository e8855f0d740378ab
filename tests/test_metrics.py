"""The contract's metrics against values computed by hand on a three-item toy set."""

from __future__ import annotations

import pytest

from sisterqa.eval.metrics import compute, covers, percentile
from sisterqa.ingest.normalize import normalize

ITEMS = [
    {"id": "t1", "type": "factoid", "key_facts": ["Gamma delta", "zeta"],
     "evidence": [{"doc": "d1.txt", "quote": "alpha beta gamma delta epsilon"}]},
    {"id": "t2", "type": "list", "key_facts": ["blue"],
     "evidence": [{"doc": "d1.txt", "quote": "one two three four five six"},
                  {"doc": "d2.txt", "quote": "red green blue yellow"}]},
    {"id": "t3", "type": "unanswerable", "key_facts": [], "evidence": []},
]


def answer(text, passages, citations=(), abstained=False):
    return {"answer": text, "abstained": abstained, "citations": list(citations),
            "passages": [{"rank": i + 1, "text": t} for i, t in enumerate(passages)]}


ANSWERS = [
    answer("**Gamma** delta! [1]", ["x y z", "alpha beta gamma delta epsilon foo"],
           [{"n": 1, "doc_id": "d1", "quote": "Alpha, beta"}]),
    # Q2's three 4-grams: only "one two three four" is in passage 1 (1/3 < 1/2); Q3 is at rank 2.
    answer("The colours are Blue [1]", ["one two three four nine nine", "red green blue yellow"],
           [{"n": 1, "doc_id": "d2", "quote": "not in the paper"}]),
    answer("The papers do not say.", ["alpha"], abstained=True),
]
PAPERS = {"d1": normalize("Alpha, beta; gamma delta epsilon. One two three four five six."),
          "d2": normalize("Red green blue yellow.")}


def test_toy_metrics_match_hand_computed_values():
    m = compute(ITEMS, ANSWERS, PAPERS, latencies_ms=[10, 20, 30, 40])
    assert m["hit@1"] == 0.0
    assert m["hit@3"] == m["hit@5"] == m["hit@10"] == 1.0
    assert m["allev@5"] == m["allev@10"] == 0.5
    assert m["mrr@10"] == pytest.approx(0.5)
    assert m["keyfact_recall"] == pytest.approx(2 / 3)
    assert m["citation_validity"] == pytest.approx(0.5)
    assert m["abstention_accuracy"] == 1.0
    assert m["false_abstention"] == 0.0
    assert m["answer_words_median"] == 4.0
    assert m["latency_ms_p50"] == 25.0
    assert m["latency_ms_p95"] == pytest.approx(38.5)


def test_cover_rule_half_of_the_4grams():
    quote = "a b c d e f"  # 4-grams: abcd, bcde, cdef
    assert covers("x a b c d e y", quote)  # 2 of 3
    assert not covers("a b c d y", quote)  # 1 of 3
    assert covers("... the MoU, signed 25 November 2016 ...", "25 November 2016")  # short: whole
    assert not covers("25 November 2015", "25 November 2016")


def test_normalisation_is_the_contracts():
    assert normalize("The **Letter of Intent** (LoI), 2015!") == "the letter of intent loi 2015"
    assert normalize("ﬁve   Kota_Semarang") == "five kotasemarang"


def test_percentile_interpolates():
    assert percentile([], 50) == 0.0
    assert percentile([5], 95) == 5.0
    assert percentile([1, 2, 3, 4, 5], 50) == 3.0


def test_citation_precision_and_support_by_hand():
    """Two answerable items, three citations: the rules of the contract's additions."""
    items = [
        {"id": "p1", "type": "why", "key_facts": [],
         "evidence": [{"doc": "d1.txt", "quote": "alpha beta gamma delta epsilon zeta"}]},
        {"id": "p2", "type": "factoid", "key_facts": [],
         "evidence": [{"doc": "d2.txt", "quote": "red green blue yellow orange"}]},
        {"id": "p3", "type": "unanswerable", "key_facts": [], "evidence": []},
    ]

    def ans(passages, cites):
        return {"answer": " ".join(f"[{i + 1}]" for i in range(len(cites))), "abstained": False,
                "passages": [{"rank": i + 1, "passage_id": pid, "text": t} for i, (pid, t) in enumerate(passages)],
                "citations": [{"n": i + 1, "doc_id": "d", "passage_id": pid, "quote": q}
                              for i, (pid, q) in enumerate(cites)]}

    answers = [
        # [1] is a part of the evidence (half of the evidence's 4-grams are in it: 2 of 3): precise;
        # [2] shares no 4-gram. The cited passage a covers the evidence: supported.
        ans([("a", "x alpha beta gamma delta epsilon zeta y"), ("b", "nothing here at all")],
            [("a", "alpha beta gamma delta epsilon"), ("b", "nothing here at all")]),
        # [1] holds the whole evidence and more (all of its 4-grams): precise; but its passage id is not
        # among the returned passages, so it supports nothing.
        ans([("c", "red green")], [("z", "so red green blue yellow orange it was")]),
        ans([("d", "anything")], [("d", "anything goes")]),  # unanswerable: not counted
    ]
    m = compute(items, answers)
    assert m["citation_precision"] == pytest.approx(2 / 3)
    assert m["citation_support"] == pytest.approx(1 / 2)
