"""Pure functions that fuse ranked signals (dense, BM25) into one ranking."""

from __future__ import annotations

import numpy as np


def rrf(score_lists: list[np.ndarray], k: int = 60, weights: list[float] | None = None) -> np.ndarray:
    """Reciprocal rank fusion: sum of w / (k + rank) over the signals (rank 1 = best)."""
    weights = weights or [1.0] * len(score_lists)
    fused = np.zeros_like(score_lists[0], dtype=np.float64)
    for scores, w in zip(score_lists, weights):
        order = np.argsort(-scores, kind="stable")
        ranks = np.empty(len(scores), dtype=np.float64)
        ranks[order] = np.arange(1, len(scores) + 1)
        fused += w / (k + ranks)
    return fused


def minmax(scores: np.ndarray) -> np.ndarray:
    """Scale scores to 0..1 (all zeros when they are all equal)."""
    lo, hi = float(np.min(scores)), float(np.max(scores))
    if hi - lo < 1e-12:
        return np.zeros_like(scores, dtype=np.float64)
    return (scores - lo) / (hi - lo)


def weighted(dense: np.ndarray, sparse: np.ndarray, alpha: float) -> np.ndarray:
    """``alpha`` × normalised dense + (1 − ``alpha``) × normalised BM25."""
    return alpha * minmax(dense) + (1 - alpha) * minmax(sparse)


def interleave(rankings: list[list], k: int, key=lambda x: x) -> list:
    """Round-robin merge of ranked lists (first of each, then second of each …), without repeats."""
    out, seen = [], set()
    for i in range(max((len(r) for r in rankings), default=0)):
        for r in rankings:
            if i < len(r) and key(r[i]) not in seen:
                seen.add(key(r[i]))
                out.append(r[i])
                if len(out) >= k:
                    return out
    return out
