"""Synthetic data for the benches: clustered unit vectors (``Mixture``) and passage-like texts
(``synthetic_texts``), the same for every run with the same seeds.

``eval.bench`` measures the vector indexes and BM25 over them; ``eval.scale_e2e`` writes whole
synthetic indexes from them.
"""

from __future__ import annotations

import numpy as np

DIM = 384


class Mixture:
    """Clustered unit vectors: cluster centre + a shared 64-dimensional 'topic' subspace + noise.

    Real text embeddings are neither uniform noise nor tight points: they
    gather by topic and vary along few directions. Each vector is
    normalise(c_k + z·B + ε) with c_k one of ``clusters`` random unit centres,
    z ~ N(0, 0.1²) in 64 dimensions mapped by an orthonormal basis B shared by
    all clusters, and ε ~ N(0, 0.02²) in all 384 dimensions.
    """

    def __init__(self, clusters: int, dim: int = DIM, seed: int = 0, rank: int = 64,
                 spread: float = 0.1, noise: float = 0.02):
        rng = np.random.default_rng(seed)
        c = rng.standard_normal((clusters, dim)).astype(np.float32)
        self.centres = c / np.linalg.norm(c, axis=1, keepdims=True)
        self.basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0].T.astype(np.float32)
        self.dim, self.rank, self.spread, self.noise = dim, rank, spread, noise

    def sample(self, n: int, seed: int, out: np.ndarray | None = None, block: int = 100_000) -> np.ndarray:
        """``n`` vectors, generated in float32 blocks (into ``out`` if given, e.g. a memmap)."""
        rng = np.random.default_rng(seed)
        out = np.empty((n, self.dim), dtype=np.float32) if out is None else out
        for a in range(0, n, block):
            b = min(n, a + block)
            k = rng.integers(0, len(self.centres), b - a)
            x = self.centres[k]
            x += (rng.standard_normal((b - a, self.rank), dtype=np.float32) * self.spread) @ self.basis
            x += rng.standard_normal((b - a, self.dim), dtype=np.float32) * self.noise
            x /= np.linalg.norm(x, axis=1, keepdims=True)
            out[a:b] = x
        return out


def synthetic_texts(n: int, seed: int = 0, vocab: int = 50_000, topics: int = 500,
                    words: int = 140) -> list[str]:
    """Passage-like texts: 60 % words of the passage's topic, 40 % Zipf-distributed general words.

    The lexicon and the topics are the same for every ``seed``; ``seed`` draws the texts.
    """
    rng = np.random.default_rng(0)
    syll = np.array([c + v for c in "bcdfghjklmnprstvwy" for v in "aeiou"])
    lex = rng.choice(syll, size=(vocab * 2, 4))
    lex = np.unique(np.array(["".join(r) for r in lex]))[:vocab]
    rng.shuffle(lex)
    topic_words = rng.integers(0, vocab, (topics, 200))
    rng = np.random.default_rng(seed)
    out: list[str] = []
    n_topic = int(words * 0.6)
    for a in range(0, n, 50_000):
        b = min(n, a + 50_000)
        t = rng.integers(0, topics, b - a)
        ids = np.empty((b - a, words), dtype=np.int64)
        ids[:, :n_topic] = topic_words[t[:, None], rng.integers(0, 200, (b - a, n_topic))]
        ids[:, n_topic:] = (rng.zipf(1.3, (b - a, words - n_topic)) - 1) % vocab
        rng.permuted(ids, axis=1, out=ids)
        out.extend(" ".join(row) for row in lex[ids].tolist())
    return out
