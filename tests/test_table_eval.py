"""The table section of `sisterqa eval` (eval/table.py): its metrics by hand, then over the real index
with a tiny placeholder gold table written in the test's tmp folder (the real gold table is
eval/gold-table.jsonl; tests/test_table_floor.py holds the system to its floors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sisterqa.eval.table import (BadGoldTable, METRICS, OnePaper, cell_metrics, evaluate_table, public,
                                 report)

MAGELANG = "magelang-tula-paradiplomacy-smart-city"
SEMARANG = "semarang-jung-gu-kendala-sister-city"


def gold_line(doc, column, question, stated, facts=(), quotes=(), split="tune"):
    return {"doc": f"{doc}.txt", "column": column, "question": question, "stated": stated, "answer": "…",
            "key_facts": list(facts), "evidence": [{"doc": f"{doc}.txt", "quote": q} for q in quotes],
            "split": split}


SIGNED_QUOTE = ("which signed a Letter of Intent (LoI) for sister city cooperation with the Tula City government "
                "in Russia on 26 July 2023")
GOLD = [
    gold_line(MAGELANG, "signed", "When was the cooperation agreement signed?", True, ["26 July 2023"],
              [SIGNED_QUOTE]),
    gold_line(MAGELANG, "method", "What research method does the study use?", True, ["qualitative"],
              ["As qualitative research, the data was gathered through field and literature studies."],
              split="heldout"),
    gold_line(SEMARANG, "signed", "When was the cooperation agreement signed?", True, ["25 November 2016"],
              ["Hingga akhirnya pada tanggal 25 November 2016"]),
    gold_line(SEMARANG, "method", "What research method does the study use?", False, split="heldout"),
]


def test_cell_metrics_by_hand():
    cite = lambda doc, quote: {"doc_id": doc, "quote": quote}  # noqa: E731
    cells = [
        {"doc_id": MAGELANG, "stated": True, "answer": "It was signed on 26 July 2023. [1]",
         "citations": [cite(MAGELANG, SIGNED_QUOTE), cite(MAGELANG, "Something else entirely said here.")]},
        {"doc_id": MAGELANG, "stated": False, "answer": "Not stated in this paper.", "citations": []},
        {"doc_id": SEMARANG, "stated": True, "answer": "In 2016. [1]",
         "citations": [cite(MAGELANG, "Hingga akhirnya pada tanggal 25 November 2016")]},
        {"doc_id": SEMARANG, "stated": True, "answer": "x [1]", "citations": [cite(SEMARANG, "not in the paper")]},
    ]
    texts = {MAGELANG: "which signed a letter of intent loi for sister city cooperation with the tula city "
                       "government in russia on 26 july 2023", SEMARANG: "hingga akhirnya"}
    m = cell_metrics(GOLD, cells, texts)
    assert m["stated_cells"] == 3 and m["not_stated_cells"] == 1
    assert m["cell_keyfact_recall"] == pytest.approx(1 / 3)  # 26 July 2023 only
    assert m["cell_support"] == pytest.approx(2 / 3)  # cells 1 and 3 cite a quote overlapping the evidence
    assert m["cell_citation_precision"] == pytest.approx(2 / 3)
    assert m["not_stated_accuracy"] == 0.0  # the not-stated cell was answered
    assert m["false_not_stated"] == pytest.approx(1 / 3)
    assert m["citation_in_row"] == pytest.approx(3 / 4)  # cell 3 quotes another paper
    assert m["citation_validity"] == pytest.approx(1 / 4)
    assert set(METRICS) <= set(m)


@pytest.fixture(scope="module")
def engine(built_index):
    from sisterqa.app.session import Engine
    from sisterqa.app.settings import load_settings

    return Engine(load_settings({"index_dir": str(built_index)}, env={}))


def test_evaluate_table_with_a_placeholder_gold_table(engine, tmp_path):
    from sisterqa.eval.baselines import BM25Baseline, vanilla_chunks

    gold = tmp_path / "gold-table.jsonl"
    gold.write_text("".join(json.dumps(g) + "\n" for g in GOLD), encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    files = [root / p["path"] for p in engine.snapshot.papers]
    bm25 = BM25Baseline(vanilla_chunks(files))
    r = evaluate_table(engine, gold, baselines={"bm25": bm25})
    out = public(r)
    json.dumps(out)
    assert out["n"] == 4 and out["papers"] == 2 and out["columns"] == ["signed", "method"]
    sysm, base = out["system"], out["baselines"]["bm25"]
    assert sysm["citation_in_row"] == 1.0 and sysm["citation_validity"] == 1.0  # own paper, verbatim
    assert base["citation_in_row"] == 1.0  # the baseline ranks only the row's paper's chunks
    assert base["not_stated_accuracy"] == 0.0 and base["false_not_stated"] == 0.0  # never says "not stated"
    # the metric is the share of the stated cells' key facts found in their cells (quality itself is
    # held by tests/test_table_floor.py on the real gold table)
    found = sum(f.lower() in x["system"]["answer"].lower() for x in r["_cells"] if x["gold"]["stated"]
                for f in x["gold"]["key_facts"])
    assert sysm["cell_keyfact_recall"] == pytest.approx(found / 3)
    assert set(out["splits"]) == {"tune", "heldout"} and out["splits"]["tune"]["n"] == 2
    assert "bm25" in out["splits"]["heldout"]["baselines"]
    md = report(r)
    assert "| cell_support |" in md and "heldout system (n=2)" in md
    assert len(r["_cells"]) == 4


def test_a_one_paper_baseline_quotes_only_that_paper(engine):
    from sisterqa.eval.baselines import BM25Baseline, Chunk

    chunks = [Chunk("a", 0, "sister city cooperation in Bandung"), Chunk("b", 0, "sister city cooperation in Seoul"),
              Chunk("a", 1, "nothing here")]
    one = OnePaper(BM25Baseline(chunks), "b")
    a = one.ask("sister city cooperation")
    assert [p["doc_id"] for p in a["passages"]] == ["b"]


def test_a_gold_table_naming_an_unindexed_paper(engine, tmp_path):
    gold = tmp_path / "gold-table.jsonl"
    gold.write_text(json.dumps(gold_line("no-such-paper", "c", "q?", False)) + "\n" + json.dumps(GOLD[0]) + "\n",
                    encoding="utf-8")
    with pytest.raises(BadGoldTable, match="no-such-paper.txt"):
        evaluate_table(engine, gold)
    r = evaluate_table(engine, gold, strict=False)  # the default gold table over another corpus
    assert r["n"] == 1
    gold.write_text(json.dumps(gold_line("no-such-paper", "c", "q?", False)) + "\n", encoding="utf-8")
    assert evaluate_table(engine, gold, strict=False) is None
