"""Optional cross-encoder re-ranking, for users who have a sentence-transformers CrossEncoder model.

Off by default: no cross-encoder ships offline here. Set ``SISTERQA_RERANKER``
(or ``SearchSettings.reranker``) to a CrossEncoder model name or local path,
e.g. ``cross-encoder/mmarco-mMiniLMv2-L12-H384-v1`` (multilingual).
"""

from __future__ import annotations

from dataclasses import replace

from sisterqa.ingest.errors import SisterQAError


class RerankerUnavailable(SisterQAError):
    """The configured cross-encoder cannot be loaded."""


class CrossEncoderReranker:
    """Re-scores the top passages with a cross-encoder reading query and passage together."""

    def __init__(self, name: str):
        self.name = name
        self._model = None

    def _m(self):
        if self._model is None:
            try:
                from sentence_transformers import CrossEncoder

                self._model = CrossEncoder(self.name, device="cpu")
            except Exception as e:  # noqa: BLE001 - HF raises many types for a missing model
                raise RerankerUnavailable(f"cannot load cross-encoder {self.name!r}: {e}") from e
        return self._model

    def rerank(self, query: str, hits: list) -> list:
        """``hits`` re-ordered by cross-encoder score (kept in ``scores["rerank"]``), ranks renumbered."""
        if not hits:
            return hits
        scores = self._m().predict([(query, h.passage.text) for h in hits], show_progress_bar=False)
        order = sorted(range(len(hits)), key=lambda i: -float(scores[i]))
        return [
            replace(hits[i], rank=r + 1, scores={**hits[i].scores, "rerank": float(scores[i])})
            for r, i in enumerate(order)
        ]
