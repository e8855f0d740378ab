"""A bilingual English–Indonesian word list from Debian's FreeDict dictionary, both ways.

``dict-freedict-eng-ind`` (English → Indonesian, about 10,000 headwords, CC BY-SA)
is read from its dictd files; the reverse map (Indonesian → English) is built from
its translations. English words are looked up by their dictionary form (plural,
past and -ing endings stripped when the stripped form is a headword), Indonesian
words as written and by their root (PySastrawi). Used to let an English question
match an Indonesian paper's words, and the other way round; translations always
count less than the question's own words.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from pathlib import Path

DICT_DIR = Path("/usr/share/dictd")  # the default folder; SISTERQA_DICT_DIR (app/settings.py: search.dict_dir)
DICT_NAME = "freedict-eng-ind"
INSTALL_HINT = "apt-get install dict-freedict-eng-ind"
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_WORD = re.compile(r"^[a-z][a-z\-]*$")


def _b64(s: str) -> int:
    n = 0
    for c in s:
        n = n * 64 + _B64.index(c)
    return n


def _translations(entry: str) -> list[str]:
    """The Indonesian words of one dictd entry: the lines of comma-separated words after the headword."""
    out: list[str] = []
    lines = entry.split("\n")[1:]
    for i, line in enumerate(lines):
        line = re.sub(r"^\s*\d+\.\s*", "", line).strip()
        if not line:
            continue
        # Translation lines follow the headword or a sense number; the next line is the English gloss.
        if i == 0 or re.match(r"^\s*\d+\.", lines[i]):
            for part in line.split(","):
                part = re.sub(r"\s*\d+\.$", "", part).strip().lower()
                if part and all(_WORD.match(w) for w in part.split()):
                    out.append(part)
    return out


class Lexicon:
    """English → Indonesian and Indonesian → English single-word translations."""

    def __init__(self, en_id: dict[str, list[str]]):
        self.en_id = en_id
        id_en: dict[str, list[str]] = {}
        for en, ids in en_id.items():
            for phrase in ids:
                for w in phrase.split():
                    if len(w) > 2:
                        id_en.setdefault(w, [])
                        if en not in id_en[w]:
                            id_en[w].append(en)
        self.id_en = id_en

    @classmethod
    def load(cls, folder: Path = DICT_DIR) -> "Lexicon":
        index = folder / f"{DICT_NAME}.index"
        data_file = folder / f"{DICT_NAME}.dict.dz"
        if not index.exists() or not data_file.exists():
            raise FileNotFoundError(f"{index} not found")
        data = gzip.open(data_file).read()
        en_id: dict[str, list[str]] = {}
        for line in index.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) != 3 or parts[0].startswith("00database"):
                continue
            head, off, size = parts[0].lower(), _b64(parts[1]), _b64(parts[2])
            if not _WORD.match(head):
                continue
            words = _translations(data[off:off + size].decode("utf-8", "replace"))
            if words:
                en_id.setdefault(head, [])
                en_id[head].extend(w for w in words if w not in en_id[head])
        return cls(en_id)

    def english_forms(self, word: str) -> list[str]:
        """``word`` and the dictionary forms it may inflect (resources → resource, signed → sign)."""
        forms = [word]
        for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", ""), ("ed", "e"),
                             ("ing", ""), ("ing", "e"), ("ly", ""), ("'s", "")):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                forms.append(word[: len(word) - len(suffix)] + repl)
        return [f for f in dict.fromkeys(forms) if f in self.en_id] or []

    def to_indonesian(self, word: str, limit: int = 4) -> list[str]:
        """Indonesian words for an English word (each word of multi-word translations)."""
        out: list[str] = []
        for form in self.english_forms(word):
            for phrase in self.en_id[form]:
                for w in phrase.split():
                    if w not in out and len(w) > 2:
                        out.append(w)
        return out[: limit * 2]

    def to_english(self, word: str, limit: int = 4) -> list[str]:
        """English words for an Indonesian word, looked up as written, then by its root."""
        found = self.id_en.get(word) or self.id_en.get(indonesian_root(word)) or []
        return found[:limit]


@lru_cache(maxsize=4)
def lexicon(folder: Path = DICT_DIR) -> Lexicon | None:
    """The dictionary installed in ``folder`` (the settings' ``search.dict_dir``), or None (with a
    one-time warning) when it is missing."""
    try:
        return Lexicon.load(Path(folder))
    except (OSError, ValueError) as e:
        import sys

        print(f"warning: no English–Indonesian dictionary ({e}); cross-language word matching is off. "
              f"Install it with: {INSTALL_HINT}", file=sys.stderr)
        return None


@lru_cache(maxsize=1)
def _sastrawi():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


ROOTS_MAX = 2_000_000  # words whose roots a process keeps
_ROOTS: dict[str, str] = {}
_ROOT_TABLES: list = []  # files of roots found at ingest (index/bm25.py), read at the first unknown word


def indonesian_root(word: str) -> str:
    """The root of an Indonesian word by PySastrawi (its root-word list), e.g. kepentingan → penting.

    PySastrawi takes up to a millisecond for a word outside its list, so each root is kept, and
    the roots an ingest found (``add_root_tables``) are read instead of found again.
    """
    root = _ROOTS.get(word)
    if root is None:
        if _ROOT_TABLES:
            _read_root_tables()
            root = _ROOTS.get(word)
        if root is None:
            root = _sastrawi().stem(word) or word
            if len(_ROOTS) < ROOTS_MAX:
                _ROOTS[word] = root
    return root


def add_root_tables(paths) -> None:
    """Files of ``roots_since`` tables (JSON: {word: root, "": same}) to read when first needed."""
    _ROOT_TABLES.extend(paths)


def _read_root_tables() -> None:
    import json

    while _ROOT_TABLES:
        path = _ROOT_TABLES.pop()
        try:
            table = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a table is only a shortcut: without it roots are found again
        for w, r in table.items():
            if len(_ROOTS) >= ROOTS_MAX:
                return
            _ROOTS.setdefault(w, r or w)


def roots_mark() -> int:
    return len(_ROOTS)


def roots_since(mark: int) -> dict[str, str]:
    """The roots found since ``roots_mark()`` returned ``mark`` ("" for a word that is its own root)."""
    from itertools import islice

    return {w: ("" if r == w else r) for w, r in islice(_ROOTS.items(), mark, None)}


_COGNATE = [("tion", "si"), ("sion", "si"), ("ph", "f"), ("th", "t"), ("ch", "k"), ("ck", "k"), ("c", "k"),
            ("q", "k"), ("x", "ks"), ("y", "i"), ("oo", "u")]


def cognate_key(word: str, n: int = 6) -> str | None:
    """A spelling key shared by English words and their Indonesian borrowings.

    Indonesian writes borrowed words as they sound (koordinasi, evaluasi,
    teknologi, hipotesa, strategi): with the regular spelling changes undone
    (c → k, ph → f, th → t, y → i, -tion → -si), the first ``n`` letters match.
    None for words too short to say anything.
    """
    w = word.lower()
    if len(w) < n or not w.isalpha():
        return None
    for a, b in _COGNATE:
        w = w.replace(a, b)
    w = re.sub(r"(.)\1", r"\1", w)
    return "~" + w[:n] if len(w) >= n else None
