"""BM25 over passages with bm25s, tokenised per language (English and Indonesian stemmers)."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.normalize import normalize

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
# kerjasama stay whole) or by the Snowball stemmer (which cuts them to ndala, jembat, rjasama).
INDONESIAN_STEMMER = os.environ.get("SISTERQA_ID_STEMMER", "sastrawi")
TOKENIZER = f"words-nostop-stem-en:snowball-id:{INDONESIAN_STEMMER}"  # recorded in the manifest


class _Sastrawi:
    def stemWord(self, word: str) -> str:  # noqa: N802 - PyStemmer's names
        from .lexicon import indonesian_root

        return indonesian_root(word)

    def stemWords(self, words: list[str]) -> list[str]:  # noqa: N802
        return [self.stemWord(w) for w in words]


@lru_cache(maxsize=4)
def _stemmer(language: str):
    import Stemmer

    if language == "id" and INDONESIAN_STEMMER == "sastrawi":
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


class BM25Index:
    """bm25s over the passages; scores every passage for a query."""

    def __init__(self, retriever, size: int):
        self._r = retriever
        self.size = size

    @classmethod
    def build(cls, texts: list[str], languages: list[str]) -> "BM25Index":
        import bm25s

        r = bm25s.BM25()
        tokens = [tokenize(t, lang) or ["\u2205"] for t, lang in zip(texts, languages)]
        if tokens:
            r.index(tokens, show_progress=False)
        return cls(r, len(tokens))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage (0 for none matching)."""
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        q = [t for t in tokenize_query(query) if t in self._r.vocab_dict]
        if not q:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._r.get_scores(q), dtype=np.float32)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if self.size:
            self._r.save(str(path))

    @classmethod
    def load(cls, path: Path, size: int) -> "BM25Index":
        import bm25s

        if not size:
            return cls(bm25s.BM25(), 0)
        return cls(bm25s.BM25.load(str(path)), size)
