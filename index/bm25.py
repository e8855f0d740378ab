"""BM25 over passages with bm25s, tokenised per language (English and Indonesian stemmers).

The index is a list of shards, each a bm25s index over a batch of passages
(its precomputed score matrix memory-mapped), merged at query time: a query
token's score in a shard is rescaled from the shard's IDF to the IDF over all
shards, so a passage scores as in one index over every passage, except that
each shard keeps its own average passage length. One shard (every ingest of
a corpus up to ``SHARD_SIZE`` passages) scores exactly as one bm25s index.
Shards are built in worker processes when there are many passages, so
building is parallel and its memory bounded by a shard.
"""

from __future__ import annotations

import os
import re
import time
from functools import lru_cache
from pathlib import Path

import numpy as np

from sisterqa.ingest.normalize import normalize

STOP_EN = frozenset(
    "a about above after again against all also am an and any are as at be because been before being "
    "below between both but by can could did do does doing down during each few for from further had has "
    "have having he her here hers herself him himself his how i if in into is it its itself just me more "
    "most my myself no nor not now of off on once only or other our ours ourselves out over own same she "
    "should so some such than that the their theirs them themselves then there these they this those "
    "through to too under until up very was we were what when where which while who whom why will with "
    "would you your yours yourself yourselves according did does paper study".split()
)
STOP_ID = frozenset(
    "ada adalah adanya agar akan akhirnya aku antara apa apakah atas atau bagaimana bagi bahwa baik banyak "
    "beberapa begitu belum bila bisa boleh bukan dalam dan dapat dari daripada dengan di dia dimana "
    "hal hanya harus hingga ia ialah ini itu jadi jika juga kami kamu kapan karena ke kembali kemudian "
    "kenapa kepada ketika kita lagi lain lalu maka masih melalui mengapa menjadi menurut merupakan mereka "
    "namun oleh pada para pula saat saja sama sangat sebagai sebelum sedang sehingga sejak sekarang "
    "selain semua seperti serta siapa suatu sudah tanpa telah tentang terhadap tersebut tetapi tidak "
    "untuk walaupun yaitu yakni yang berapa sebuah seorang".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


# Indonesian words are cut to their roots by PySastrawi (a root-word list, so kendala, jembatan and
# kerjasama stay whole; the Snowball stemmer cut them to ndala, jembat, rjasama and measured worse).
TOKENIZER = "words-nostop-stem-en:snowball-id:sastrawi"  # recorded in the manifest


class _Sastrawi:
    def stemWord(self, word: str) -> str:  # noqa: N802 - PyStemmer's names
        from .lexicon import indonesian_root

        return indonesian_root(word)

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802
        return [self.stemWord(w) for w in words]


@lru_cache(maxsize=4)
def _stemmer(language: str):
    import Stemmer

    if language == "id":
        return _Sastrawi()
    return Stemmer.Stemmer({"id": "indonesian"}.get(language, "english"))


def tokenize(text: str, language: str) -> list[str]:
    """Words of ``text`` without stopwords of either language, stemmed for ``language``."""
    words = [w for w in _WORD.findall(normalize(text)) if w not in STOP_EN and w not in STOP_ID]
    return _stemmer(language).stemWords(words)


def tokenize_words(text: str) -> tuple[list[str], list[str]]:
    """A query's content words stemmed the English way and the Indonesian way."""
    words = [w for w in _WORD.findall(normalize(text)) if w not in STOP_EN and w not in STOP_ID]
    return _stemmer("en").stemWords(words), _stemmer("id").stemWords(words)


def tokenize_query(text: str) -> list[str]:
    """A query may be in either language and about a paper in either: stem it both ways."""
    out: list[str] = []
    for stems in tokenize_words(text):
        for s in stems:
            if s not in out:
                out.append(s)
    return out


SHARD_SIZE = 100_000  # passages a shard: building one takes ~1.2 GB at peak
PARALLEL_MIN = 20_000  # fewer passages are tokenised in this process


def _idf(df: np.ndarray, n: int) -> np.ndarray:
    """bm25s's default ("lucene") IDF."""
    return np.log(1 + (n - df + 0.5) / (df + 0.5))


class BM25Shard:
    """One bm25s index: its CSC score matrix (token → passages) and vocabulary."""

    FILES = ("data.npy", "indices.npy", "indptr.npy", "vocab.json")

    def __init__(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, vocab: dict, num_docs: int):
        self.data, self.indices, self.indptr = data, indices, indptr
        # bm25s lists an empty token last, with no column: keep only tokens with postings.
        self.vocab = {w: i for w, i in vocab.items() if i < len(indptr) - 1}
        self.num_docs = int(num_docs)

    @classmethod
    def build(cls, texts: list[str], languages: list[str]) -> "BM25Shard":
        import bm25s

        tokens = [tokenize(t, lang) or ["\u2205"] for t, lang in zip(texts, languages)]
        if not tokens:
            return cls(np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64), {}, 0)
        r = bm25s.BM25()
        r.index(tokens, show_progress=False)
        sc = r.scores
        return cls(np.asarray(sc["data"]), np.asarray(sc["indices"]), np.asarray(sc["indptr"]),
                   dict(r.vocab_dict), len(tokens))

    def save(self, path: Path) -> None:
        import json

        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "data.npy", self.data)
        np.save(path / "indices.npy", self.indices)
        np.save(path / "indptr.npy", self.indptr)
        words = [""] * len(self.vocab)
        for w, i in self.vocab.items():
            words[i] = w
        (path / "vocab.json").write_text(json.dumps({"num_docs": self.num_docs, "words": words},
                                                    ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "BM25Shard":
        """Posting lists read by slices when a query asks for a token (index/filearray.py), the
        small token offsets mapped; all stay readable if the files go."""
        import json

        from .filearray import FileArray

        meta = json.loads((path / "vocab.json").read_text(encoding="utf-8"))
        from .lexicon import add_root_tables

        if (path / ROOTS).exists():
            add_root_tables([path / ROOTS])
        data, indices = FileArray(path / "data.npy"), FileArray(path / "indices.npy")
        indptr = np.load(path / "indptr.npy", mmap_mode="r", allow_pickle=False)
        return cls(data, indices, indptr, {w: i for i, w in enumerate(meta["words"])}, meta["num_docs"])

    def df(self, token_ids: list[int]) -> np.ndarray:
        ids = np.asarray(token_ids, dtype=np.int64)
        return (self.indptr[ids + 1] - self.indptr[ids]).astype(np.float64)


ROOTS = "roots.json"  # in a shard's folder: the Indonesian roots its tokenising found first


def _build_shard_to(args) -> int:
    import json

    from .lexicon import roots_mark, roots_since

    texts, languages, path = args
    mark = roots_mark()
    shard = BM25Shard.build(texts, languages)
    shard.save(Path(path))
    (Path(path) / ROOTS).write_text(json.dumps(roots_since(mark), ensure_ascii=False), encoding="utf-8")
    return shard.num_docs


def build_shards(batches, out_dir: Path, workers: int | None = None) -> list[Path]:
    """Build one shard per (texts, languages) batch into ``out_dir/<i>/``; the shard folders.

    ``batches`` may be a generator (texts are then held a batch or two at a time).
    With more than one batch, shards are built by ``workers`` processes (default:
    the CPU count, at most 2 batches waiting each).
    """
    import multiprocessing as mp

    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    it = iter(batches)
    first = next(it, None)
    if first is None:
        return paths
    second = next(it, None)
    if second is None or len(first[0]) + len(second[0]) < PARALLEL_MIN:
        for i, (texts, langs) in enumerate(x for x in (first, second, *it) if x is not None):
            paths.append(out_dir / str(i))
            _build_shard_to((texts, langs, paths[-1]))
        return paths
    workers = max(1, min(workers or os.cpu_count() or 1, 8))
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, maxtasksperchild=1) as pool:
        pending = []
        for i, (texts, langs) in enumerate(x for x in (first, second, *it)):
            paths.append(out_dir / str(i))
            pending.append(pool.apply_async(_build_shard_to, ((texts, langs, str(paths[-1])),)))
            del texts, langs
            while sum(not r.ready() for r in pending) > workers:
                time.sleep(0.05)
        for r in pending:
            r.get()
    return paths


class BM25Index:
    """BM25 over all passages: shards merged at query time (see the module docstring).

    ``rows[i]`` maps shard ``i``'s documents to passage numbers (-1: a passage
    no longer in the index, e.g. of a removed paper).
    """

    def __init__(self, shards: list[BM25Shard], rows: list[np.ndarray], size: int):
        self.shards = shards
        self.rows = rows
        self.size = int(size)
        self.num_docs = sum(s.num_docs for s in shards)

    @classmethod
    def build(cls, texts: list[str], languages: list[str]) -> "BM25Index":
        """One shard over ``texts`` (passage numbers are their positions)."""
        shard = BM25Shard.build(texts, languages)
        return cls([shard] if len(texts) else [], [np.arange(len(texts))] if len(texts) else [], len(texts))

    @property
    def vocab(self) -> set[str]:
        out: set[str] = set()
        for s in self.shards:
            out.update(s.vocab)
        return out

    def _shard_scores(self, query):
        """For each shard a query token is in: (shard number, its rows' passage numbers, the scores
        of its rows), each token's score rescaled from the shard's IDF to the IDF over all shards.
        ``query`` is a text or a list of (text, weight), the weighted texts' scores summed."""
        parts = [(query, 1.0)] if isinstance(query, str) else [(q, w) for q, w in query if q and w]
        tokens, weights = [], []
        for text, w in parts:
            for t in tokenize_query(text):
                tokens.append(t)
                weights.append(float(w))
        present = [[s.vocab.get(t) for t in tokens] for s in self.shards]
        idf_all = {}
        if len(self.shards) > 1:
            for j, t in enumerate(tokens):
                df = sum(float(s.df([ids_[j]])[0]) for s, ids_ in zip(self.shards, present) if ids_[j] is not None)
                idf_all[j] = float(_idf(np.array([df]), self.num_docs)[0]) if df else None
        for si, (s, rows, tids) in enumerate(zip(self.shards, self.rows, present)):
            local = None
            for j, tid in enumerate(tids):
                if tid is None:
                    continue
                a, b = int(s.indptr[tid]), int(s.indptr[tid + 1])
                vals = np.asarray(s.data[a:b])
                scale = weights[j]
                if len(self.shards) > 1:
                    here = float(_idf(np.array([float(b - a)]), s.num_docs)[0])
                    if here > 0 and idf_all.get(j) and here != idf_all[j]:
                        scale *= idf_all[j] / here
                if scale != 1.0:
                    vals = (vals * scale).astype(np.float32)
                if local is None:
                    local = np.zeros(s.num_docs, dtype=np.float32)
                local[np.asarray(s.indices[a:b])] += vals
            if local is not None:
                local[rows < 0] = 0  # rows of papers no longer indexed
                yield si, rows, local

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (0 for none matching)."""
        out = np.zeros(self.size, dtype=np.float32)
        for _, rows, local in self._shard_scores(query):
            live = rows >= 0
            out[rows[live]] = local[live]  # a passage is in one shard
        return out

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best-scoring passages (numbers, scores), best first; only passages that match.

        Each shard's scores are summed in the shard's own rows and only its ``k``
        best are mapped to passage numbers, so no array over every passage is filled.
        """
        ids, scores, _ = self.top_and_scores(query, k, None)
        return ids, scores

    def top_and_scores(self, query, k: int, ids) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``top(query, k)`` and, in the same pass over the posting lists, the scores of the
        passage numbers ``ids`` (0 where they do not match; ``ids`` may be None).

        ``query`` is a text or a list of (text, weight): the score is then the weighted sum of
        the texts' scores (a question and its translation), still in one pass.
        """
        want = np.zeros(0 if ids is None else len(ids), dtype=np.float32)
        empty = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), want
        if not self.shards or (k <= 0 and ids is None):
            return empty
        if ids is not None and len(ids):
            shard_of, local_of = self._where()
            ids = np.asarray(ids, dtype=np.int64)
            ids_shard, ids_local = shard_of[ids], local_of[ids]
        cand_ids, cand_scores = [], []
        for si, rows, local in self._shard_scores(query):
            if len(want):
                mine = ids_shard == si
                want[mine] = local[ids_local[mine]]
            if k <= 0:
                continue
            hit = np.flatnonzero(local > 0)
            if len(hit) > k:
                hit = hit[np.argpartition(-local[hit], k - 1)[:k]]
            cand_ids.append(rows[hit])
            cand_scores.append(local[hit])
        if not cand_ids:
            return empty
        ids_all, s_all = np.concatenate(cand_ids), np.concatenate(cand_scores)
        order = np.lexsort((ids_all, -s_all))[:k]
        return ids_all[order].astype(np.int64), s_all[order], want

    def _where(self) -> tuple[np.ndarray, np.ndarray]:
        """For each passage number: its shard (-1: none) and its row there (built once)."""
        if getattr(self, "_where_cache", None) is None:
            shard_of = np.full(self.size, -1, dtype=np.int32)
            local_of = np.zeros(self.size, dtype=np.int64)
            for si, rows in enumerate(self.rows):
                rows = np.asarray(rows)
                live = np.flatnonzero(rows >= 0)
                shard_of[rows[live]] = si
                local_of[rows[live]] = live
            self._where_cache = (shard_of, local_of)
        return self._where_cache

    def save(self, path: Path) -> None:
        """Save as one folder of shards ``path/<i>/`` (rows: consecutive)."""
        path.mkdir(parents=True, exist_ok=True)
        for i, s in enumerate(self.shards):
            s.save(path / str(i))

    @classmethod
    def load(cls, path: Path, size: int) -> "BM25Index":
        """The shards saved by ``save`` (numbered folders), their passages consecutive."""
        shards, rows, start = [], [], 0
        i = 0
        while (path / str(i) / "vocab.json").exists():
            s = BM25Shard.load(path / str(i))
            shards.append(s)
            rows.append(np.arange(start, start + s.num_docs))
            start += s.num_docs
            i += 1
        if start != size:
            raise ValueError(f"BM25 holds {start} passages, expected {size}")
        return cls(shards, rows, size)
