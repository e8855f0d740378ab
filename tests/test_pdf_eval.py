"""The gold set over the corpus as PDFs (`sisterqa eval --corpus`), against the text corpus: every
retrieval and answer metric within 0.03, in the two-column layout and in the journal template whose
title is set in the body's size (issue 23, item 3: titles, authors and years read from the page).
About 3 minutes a layout (five PDFs ingested with the real embedder, the gold set answered, no
baselines) and 2 for the text corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

ROOT = Path(__file__).resolve().parent.parent
METRICS = ("hit@1", "hit@3", "hit@5", "hit@10", "allev@5", "allev@10", "mrr@10", "keyfact_recall",
           "citation_validity", "abstention_accuracy", "false_abstention")


@pytest.fixture(scope="module")
def text_eval(built_index):
    from sisterqa.app.settings import load_settings
    from sisterqa.eval.run import GOLD, evaluate

    return evaluate(load_settings({"index_dir": str(built_index)}, cwd=ROOT), GOLD, baselines=False)


@pytest.fixture(scope="module", params=["two-column", "journal"])
def both(request, text_eval, tmp_path_factory):
    from sisterqa.app.settings import load_settings
    from sisterqa.eval.corpus import evaluate_corpus
    from sisterqa.eval.pdfgen import LAYOUTS, generate
    from sisterqa.eval.run import GOLD

    work = tmp_path_factory.mktemp(f"pdf-eval-{request.param}")
    generate(ROOT / "corpus", work / "pdfs", LAYOUTS[request.param])
    pdf = evaluate_corpus(load_settings({"index_dir": str(work / "idx")}, cwd=ROOT), work / "pdfs", GOLD,
                          baselines=False)
    return text_eval, pdf, request.param


def test_the_pdf_corpus_is_indexed_apart_with_its_titles(both):
    _, pdf, layout = both
    assert pdf["corpus"]["papers"] == 5 and not pdf["corpus"]["failed"]
    assert ".sisterqa-corpora" in pdf["corpus"]["index_dir"]
    from sisterqa.index.store import open_snapshot

    meta = json.loads((ROOT / "corpus" / "metadata.json").read_text(encoding="utf-8"))
    papers = {Path(p["path"]).stem: p for p in open_snapshot(pdf["corpus"]["index_dir"]).papers}
    fold = (lambda t: t.casefold()) if layout == "journal" else (lambda t: t)  # capitals: the words
    assert {k: fold(p["title"]) for k, p in papers.items()} == {Path(k).stem: fold(v["title"]) for k, v in meta.items()}
    if layout == "journal":  # the template prints authors and dates: both are read
        assert {k: (p["authors"], p["year"]) for k, p in papers.items()} == {
            Path(k).stem: (v["authors"], v["year"]) for k, v in meta.items()}


@pytest.mark.parametrize("metric", METRICS)
def test_pdf_metric_within_003_of_text(both, metric):
    text, pdf, _ = both
    assert abs(pdf["system"][metric] - text["system"][metric]) <= 0.03, (
        metric, round(pdf["system"][metric], 3), round(text["system"][metric], 3))
