"""Search the index: ranked passages with the score of each signal."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sisterqa.ingest.paper import Passage
from sisterqa.ingest.sections import is_reference_section

from .backends.base import MilvusSettings
from .embed import Embedder, embedder_id, make_embedder
from .errors import EmbedderMismatch
from .fusion import minmax, rrf, weighted
from .lexicon import DICT_DIR
from .store import CURRENT, Snapshot, open_snapshot


@dataclass(frozen=True)
class SearchSettings:
    """How queries are answered from the index."""

    k: int = 10
    embedder: str | None = None  # None: the embedder the index was built with
    fusion: str = "weighted"  # "dense", "bm25", "rrf" or "weighted"
    alpha: float = 0.6  # weighted: share of the dense score
    rrf_k: int = 60
    candidates: int = 100  # dense candidates considered before fusion
    sentence_weight: float = 0.5  # share of the best sentence's similarity in a passage's dense score
    lang_balance: float = 0.9  # share of the score scaled within each paper language (0: off)
    reference_penalty: float = 0.5  # multiplier for passages in reference lists
    title_boost: float = 0.2  # × the share of the query's names that point at the passage's paper (routing)
    translation_weight: float = 0.5  # BM25 of the query's words translated to the other language (0: off)
    reranker: str | None = None  # a sentence-transformers CrossEncoder (name or path); off by default
    rerank_top: int = 20  # how many fused candidates the cross-encoder re-scores
    diversity: float = 0.0  # MMR: a passage loses this × its similarity to the passages ranked above it
    exact_max: int = 4_096  # up to this many passages, every passage is a candidate (exact scoring)
    filter_all_max: int = 20_000  # a paper filter scores all its papers' passages up to this many
    route_view: int = 30  # … among the papers of this many best candidates
    route_all_max: int = 500  # names are routed among all papers up to this many (else among a query's)
    dict_dir: Path = DICT_DIR  # the English–Indonesian dictionary's dictd files (index/lexicon.py)
    milvus: MilvusSettings = MilvusSettings()  # how to reach the engine of an index built with milvus


@dataclass(frozen=True)
class Hit:
    """A retrieved passage, its rank (1 = best) and its scores by signal."""

    passage: Passage
    rank: int
    scores: dict = field(default_factory=dict)  # dense, bm25, fused

    @property
    def score(self) -> float:
        return float(self.scores.get("fused", self.scores.get("dense", 0.0)))


class Searcher:
    """Answers queries from the live index; reloads when a new index is published."""

    def __init__(self, index_root: Path, settings: SearchSettings = SearchSettings(),
                 embedder: Embedder | None = None):
        self.index_root = Path(index_root)
        self.settings = settings
        self._embedder = embedder
        self.snapshot: Snapshot = open_snapshot(self.index_root, self.settings.milvus)
        self._current = self._current_name()
        self._check_embedder()

    def _current_name(self) -> str | None:
        try:
            return (self.index_root / CURRENT).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None

    def _check_embedder(self) -> None:
        built = self.snapshot.manifest["settings"]["embedder"]
        wanted = self.settings.embedder
        if wanted is not None and embedder_id(wanted) != built:
            raise EmbedderMismatch(built, embedder_id(wanted))
        if self._embedder is not None and self._embedder.id != built:
            raise EmbedderMismatch(built, self._embedder.id)

    def refresh(self) -> bool:
        """Load the newest index if CURRENT changed; True when it did."""
        name = self._current_name()
        if name == self._current:
            return False
        self.snapshot = open_snapshot(self.index_root, self.settings.milvus)
        self._current = self.snapshot.path.name  # open_snapshot may have found a newer version
        self._check_embedder()
        return True

    def lexicon(self):
        """The English–Indonesian dictionary of the settings' ``dict_dir`` (None when it is missing)."""
        from .lexicon import lexicon

        return lexicon(self.settings.dict_dir)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = make_embedder(self.snapshot.manifest["settings"]["embedder_name"])
        return self._embedder

    def embed_query(self, query: str) -> np.ndarray:
        return self.embedder.embed_queries([query])[0]

    def search(self, query: str, k: int | None = None, doc_ids: set[str] | None = None,
               query_vec: np.ndarray | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first (optionally within ``doc_ids``).

        Only candidates are scored (see ``candidates``): the work is independent of the
        number of passages in the index.
        """
        k = k or self.settings.k
        snap = self.snapshot
        if not snap.passages:
            return []
        q = self.embed_query(query) if query_vec is None else query_vec
        c = self.candidates(query, q, doc_ids)
        fused = fuse(c.dense, c.bm25, self.settings)
        info = self.tables()
        if self.settings.lang_balance:
            share = self.settings.lang_balance
            fused = share * _balance(fused, c.lang) + (1 - share) * minmax(fused)
        if self.settings.reference_penalty != 1.0:
            fused = np.where(info.is_reference[c.section], fused * self.settings.reference_penalty, fused)
        if self.settings.title_boost:  # among the papers of the best candidates (all papers in a small index)
            best = np.argsort(-np.where(c.real, fused, -np.inf), kind="stable")[:self.settings.route_view]
            docs = {snap.papers[int(d)]["doc_id"] for d in np.unique(c.doc[best][c.real[best]])}
            scores = self.router(docs).scores(query)
            fused = fused + self.settings.title_boost * np.array(
                [scores.get(snap.papers[int(d)]["doc_id"], 0.0) if r else 0.0 for d, r in zip(c.doc, c.real)])
        keep = c.real.copy()
        if doc_ids:
            index = snap._doc_index()
            keep &= np.isin(c.doc, [index[d] for d in doc_ids if d in index])
        fused = np.where(keep, fused, -np.inf)
        depth = max(k, self.settings.rerank_top) if self.settings.reranker else k
        order = np.argsort(-fused, kind="stable")[:depth]
        if self.settings.diversity:
            pool = np.argsort(-fused, kind="stable")[: max(3 * depth, 30)]
            pool = pool[np.isfinite(fused[pool])]
            order = pool[mmr(np.arange(len(pool)), fused[pool], self.passage_vectors(c.ids[pool]),
                             self.settings.diversity, depth)]
        hits = [
            Hit(passage=snap.passages[int(c.ids[i])], rank=r + 1,
                scores={"dense": float(c.dense[i]), "bm25": float(c.bm25[i]), "fused": float(fused[i])})
            for r, i in enumerate(order) if np.isfinite(fused[i])
        ]
        if self.settings.reranker:
            hits = self.reranker.rerank(query, hits)
        return hits[:k]

    @property
    def reranker(self):
        """The cross-encoder named in the settings, loaded on first use."""
        if getattr(self, "_reranker", None) is None:
            from .rerank import CrossEncoderReranker

            self._reranker = CrossEncoderReranker(self.settings.reranker)
        return self._reranker

    def router(self, view: set[str] | None = None):
        """The papers' name statistics, for routing by the names asked.

        Up to ``route_all_max`` papers, over every paper (built once per index version);
        past it, over the papers in ``view`` (those a question's passages come from), counting
        only the words a question asks about (``LazyRouter``).
        """
        from .routing import LazyRouter, PaperRouter

        snap = self.snapshot
        if getattr(self, "_router_path", None) != snap.path:
            lex = self.lexicon()
            self._translate = (lambda w: lex.to_indonesian(w) + lex.to_english(w)) if lex else None
            self._router, self._router_path, self._word_counts = None, snap.path, {}
        if len(snap.papers) <= self.settings.route_all_max:
            if self._router is None:
                self._router = PaperRouter(snap.papers, {p["doc_id"]: snap.paper_text(p["doc_id"])
                                                         for p in snap.papers}, self._translate)
            return self._router
        return LazyRouter([snap.paper_meta(d) for d in sorted(view or ())], snap.paper_text, self._translate,
                          self._word_counts)

    def tables(self) -> "PaperTables":
        """Per-paper and per-section arrays of the snapshot (built once per index version)."""
        if getattr(self, "_tables", None) is None or self._tables.path != self.snapshot.path:
            self._tables = PaperTables(self.snapshot)
        return self._tables

    def candidates(self, query: str, query_vec: np.ndarray, doc_ids: set[str] | None = None) -> "PassageCandidates":
        """The passages worth scoring and their dense and BM25 scores.

        Each signal gives its own best: the ``candidates`` nearest passage vectors, the
        ``candidates`` best BM25 passages (the query's score plus its translation's), and, with a
        paper filter, the filtered papers' passages (up to ``filter_all_max``); an index of at
        most ``exact_max`` passages scores them all (as cheap as its candidates). Every other
        passage is represented by one *background* row per paper language, holding the floor of
        each signal (the lowest dense score retrieved, the lowest best sentence, no BM25 score),
        so that normalising over the candidates scales scores as over the whole index.
        """
        snap, s = self.snapshot, self.settings
        n = len(snap.passages)
        m = min(n, max(s.candidates, 1))
        scores, ids = snap.dense.search(query_vec[None, :], m)
        valid = ids[0] >= 0
        dense_ids, dense_sc = ids[0][valid].astype(np.int64), scores[0][valid].astype(np.float64)
        parts = [dense_ids]
        if doc_ids:
            rows = [snap.paper_passages(d) for d in sorted(doc_ids) if d in snap._doc_index()]
            if sum(len(r) for r in rows) <= s.filter_all_max:
                parts += [np.arange(r.start, r.stop, dtype=np.int64) for r in rows]
        if n <= s.exact_max:  # a small index: every passage is scored, exactly
            parts.append(np.arange(n, dtype=np.int64))
        other = translated_query(query, self.lexicon()) if s.translation_weight else ""
        bm25_top = getattr(snap.bm25, "top_and_scores", None)
        if bm25_top is None:  # an engine without it: every passage's BM25 score, as before
            full = snap.bm25.scores(query).astype(np.float64)
            if other:
                full = full + s.translation_weight * snap.bm25.scores(other)
            parts.append(np.argsort(-full, kind="stable")[:m])
            union = np.unique(np.concatenate(parts))
            bm = full[union]
        else:  # one pass over the posting lists: the best of the question and its translation, and
            # the scores of the other candidates
            weighted_query = [(query, 1.0), (other, s.translation_weight)]
            known = np.unique(np.concatenate(parts))
            top_ids, top_sc, known_sc = bm25_top(weighted_query, m, known)
            union = np.union1d(known, top_ids)
            bm = np.zeros(len(union), dtype=np.float64)
            bm[np.searchsorted(union, known)] = known_sc
            bm[np.searchsorted(union, top_ids)] = top_sc
        floor = float(dense_sc.min()) if len(dense_sc) else 0.0
        dense = np.full(len(union), floor, dtype=np.float64)
        dense[np.searchsorted(union, dense_ids)] = dense_sc
        fields = snap.passage_fields(union)
        w = s.sentence_weight
        background_dense = floor
        if w:
            best = snap.best_sentence(union, query_vec)
            dense = (1 - w) * dense + w * best
            background_dense = (1 - w) * floor + w * (float(best.min()) if len(best) else 0.0)
        info = self.tables()
        langs = info.languages
        b = len(langs) if len(union) < n else 0  # no background when every passage is a candidate
        return PassageCandidates(
            ids=np.concatenate([union, np.full(b, -1, dtype=np.int64)]),
            dense=np.concatenate([dense, np.full(b, background_dense)]),
            bm25=np.concatenate([bm, np.zeros(b)]),
            doc=np.concatenate([fields[:, 0], np.full(b, -1, dtype=np.int64)]),
            lang=np.concatenate([info.paper_lang[fields[:, 0]], np.array(langs[:b], dtype=info.paper_lang.dtype)]),
            section=np.concatenate([fields[:, 4], np.full(b, -1, dtype=np.int64)]),
            real=np.concatenate([np.ones(len(union), bool), np.zeros(b, bool)]),
        )

    def passage_vectors(self, ids: np.ndarray) -> np.ndarray:
        """Each passage's mean sentence vector, normalised (for diversity between passages)."""
        snap = self.snapshot
        out = np.zeros((len(ids), snap.dense.dim), dtype=np.float32)
        for k, i in enumerate(ids):
            _, vecs = snap.passage_sentences(int(i))
            if len(vecs):
                out[k] = np.asarray(vecs).sum(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


@dataclass
class PassageCandidates:
    """The passages a query scores: numbers (-1: a background row), signals and what fusion needs."""

    ids: np.ndarray
    dense: np.ndarray
    bm25: np.ndarray
    doc: np.ndarray  # paper index (-1: background)
    lang: np.ndarray
    section: np.ndarray  # section number (-1: background)
    real: np.ndarray  # False for background rows


class PaperTables:
    """Small arrays of one index version: each paper's language, each section's reference flag."""

    def __init__(self, snap: Snapshot):
        self.path = snap.path
        self.paper_lang = np.array([p.get("language", "en") or "en" for p in snap.papers] or ["en"])
        self.languages = sorted(set(self.paper_lang.tolist()))
        names = snap.section_names()
        flags = [is_reference_section(x) for x in names]
        self.is_reference = np.array(flags + [False], dtype=bool)  # [-1]: background rows


def translated_query(query: str, lex) -> str:
    """The query's content words in the other language (English ↔ Indonesian), by the dictionary
    ``lex`` (an ``index.lexicon.Lexicon``; None: no translation)."""
    from sisterqa.ingest.language import detect_language
    from sisterqa.ingest.normalize import normalize

    from .bm25 import STOP_EN, STOP_ID

    if lex is None:
        return ""
    lang = detect_language(query)
    words = [w for w in normalize(query).split() if w not in STOP_EN and w not in STOP_ID and len(w) > 2]
    out: list[str] = []
    for w in words:
        for t in (lex.to_indonesian(w) if lang == "en" else lex.to_english(w)):
            if t not in out and t not in words:
                out.append(t)
    return " ".join(out)


def mmr(pool: np.ndarray, scores: np.ndarray, vectors: np.ndarray, weight: float, k: int) -> np.ndarray:
    """Maximal marginal relevance: best first, each next one penalised by its likeness to those above."""
    pool = [int(i) for i in pool if np.isfinite(scores[i])]
    chosen: list[int] = []
    best_sim = np.full(len(pool), -1.0)
    vecs = vectors[pool]
    while pool and len(chosen) < k:
        gain = np.array([scores[i] for i in pool]) - weight * np.maximum(best_sim, 0.0)
        j = int(np.argmax(gain))
        chosen.append(pool[j])
        sims = vecs @ vecs[j]
        best_sim = np.maximum(best_sim, sims)
        pool.pop(j)
        vecs = np.delete(vecs, j, axis=0)
        best_sim = np.delete(best_sim, j)
    return np.array(chosen, dtype=np.int64)


def _balance(scores: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Min-max scale scores within each group, so each language's best passage competes."""

    out = np.array(scores, dtype=np.float64)
    for g in np.unique(groups):
        m = groups == g
        out[m] = minmax(scores[m])
    return out


def fuse(dense: np.ndarray, bm25: np.ndarray, settings: SearchSettings) -> np.ndarray:
    """One score per passage from the signals, as ``settings.fusion`` says."""
    if settings.fusion == "dense":
        return dense
    if settings.fusion == "bm25":
        return bm25
    if settings.fusion == "rrf":
        return rrf([dense, bm25], k=settings.rrf_k)
    if settings.fusion == "weighted":
        return weighted(dense, bm25, settings.alpha)
    raise ValueError(f"unknown fusion {settings.fusion!r}")
