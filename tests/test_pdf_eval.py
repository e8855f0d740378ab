"""The gold set over the corpus as two-column PDFs (`sisterqa eval --corpus`), against the text
corpus: every retrieval and answer metric within 0.03. About 3 minutes (five PDFs ingested with the
real embedder, the gold set answered twice, no baselines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

ROOT = Path(__file__).resolve().parent.parent
METRICS = ("hit@1", "hit@3", "hit@5", "hit@10", "allev@5", "allev@10", "mrr@10", "keyfact_recall",
           "citation_validity", "abstention_accuracy", "false_abstention")


@pytest.fixture(scope="module")
def both(built_index, tmp_path_factory):
    from sisterqa.app.settings import load_settings
    from sisterqa.eval.corpus import evaluate_corpus
    from sisterqa.eval.pdfgen import LAYOUTS, generate
    from sisterqa.eval.run import GOLD, evaluate

    work = tmp_path_factory.mktemp("pdf-eval")
    generate(ROOT / "corpus", work / "pdfs", LAYOUTS["two-column"])
    text = evaluate(load_settings({"index_dir": str(built_index)}, cwd=ROOT), GOLD, baselines=False)
    pdf = evaluate_corpus(load_settings({"index_dir": str(work / "idx")}, cwd=ROOT), work / "pdfs", GOLD,
                          baselines=False)
    return text, pdf


def test_the_pdf_corpus_is_indexed_apart_with_its_titles(both):
    _, pdf = both
    assert pdf["corpus"]["papers"] == 5 and not pdf["corpus"]["failed"]
    assert ".sisterqa-corpora" in pdf["corpus"]["index_dir"]
    from sisterqa.index.store import open_snapshot

    meta = json.loads((ROOT / "corpus" / "metadata.json").read_text(encoding="utf-8"))
    titles = {p["path"].rsplit("/", 1)[-1]: p["title"] for p in open_snapshot(pdf["corpus"]["index_dir"]).papers}
    assert {Path(k).stem: v for k, v in titles.items()} == {Path(k).stem: v["title"] for k, v in meta.items()}


@pytest.mark.parametrize("metric", METRICS)
def test_pdf_metric_within_003_of_text(both, metric):
    text, pdf = both
    assert abs(pdf["system"][metric] - text["system"][metric]) <= 0.03, (
        metric, round(pdf["system"][metric], 3), round(text["system"][metric], 3))
