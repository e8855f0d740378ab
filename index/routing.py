"""Which papers a question is about, from the names it uses and the papers' own word statistics.

No word list of any corpus: a *name* is a capitalised word of the question that
the papers themselves mostly write capitalised (a city, an agency, an author),
and a name routes to the papers that use it often, weighted by how specific it
is (a name every paper uses routes nowhere). Title and author words count extra.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from sisterqa.ingest.normalize import normalize

_TOKEN = re.compile(r"[^\W\d_][\w'’]*", re.UNICODE)
_TITLE_WEIGHT = 5  # an occurrence in the title or the author list counts this many times
_SUPPORT = 10  # occurrences a name needs for its routing to count fully
_PLENTY = 20  # occurrences in a paper that make it fully about a name


@dataclass(frozen=True)
class NameGroup:
    """Adjacent names of a question ("South Tangerang–Daejeon") and the papers they point to."""

    text: str
    names: tuple[str, ...]
    scores: dict
    weight: float  # the names' mean specificity (0: every paper uses them alike)


MAX_PAPERS = 4  # names that point to more papers than this alike single none of them out


def within_sentence(text: str, start: int) -> bool:
    """Whether the word at ``start`` is inside a sentence (not its first word, where any word is
    capitalised): what precedes it, past spaces, quotes and brackets, is not a sentence end."""
    before = text[max(0, start - 3):start].rstrip(" \t*_\"“(")
    return bool(before) and before[-1] not in ".!?:\n"


def top_papers(scores: dict[str, float], ratio: float, floor: float, max_papers: int = MAX_PAPERS) -> set[str]:
    """The papers within ``ratio`` of the best score, when the best reaches ``floor`` (none when more
    than ``max_papers`` are: a name that many papers use alike does not say which one is meant)."""
    top = max(scores.values(), default=0.0)
    out = {d for d, v in scores.items() if v >= ratio * top} if top >= floor else set()
    return out if len(out) <= max_papers else set()


class PaperRouter:
    """Word statistics of the indexed papers, for routing questions by the names they use."""

    def __init__(self, papers: list[dict], texts: dict[str, str], translate=None):
        self.doc_ids = [p["doc_id"] for p in papers]
        self._translate = translate or (lambda w: [])  # a name's forms in the other language (south → selatan)
        self._tf: dict[str, Counter] = {}
        capital: Counter = Counter()
        total: Counter = Counter()
        for p in papers:
            text = texts[p["doc_id"]]
            counts: Counter = Counter()
            for m in _TOKEN.finditer(text):
                w = m.group()
                low = w.lower()
                counts[low] += 1
                if within_sentence(text, m.start()):  # sentence-initial capitals say nothing
                    total[low] += 1
                    capital[low] += w[0].isupper()
            head = " ".join([p.get("title") or "", *(p.get("authors") or [])])
            for w in normalize(head).split():
                counts[w] += _TITLE_WEIGHT
            self._tf[p["doc_id"]] = counts
        self._capital_share = {w: capital[w] / total[w] for w in total}

    def is_name(self, word: str) -> bool:
        """A capitalised word the papers mostly write capitalised within sentences (or never write)."""
        from .bm25 import STOP_EN, STOP_ID

        if not word[:1].isupper() or len(word) < 2 or word.lower() in STOP_EN or word.lower() in STOP_ID:
            return False
        share = self._capital_share.get(word.lower())
        return share is None or share >= 0.6

    def names(self, question: str) -> list[str]:
        """The question's names, lower-cased, in order (duplicates removed)."""
        out: list[str] = []
        for m in _TOKEN.finditer(question):
            w = m.group()
            if self.is_name(w) and w.lower() not in out:
                out.append(w.lower())
        return out

    def name_scores(self, name: str) -> tuple[dict, float]:
        """How much each paper is about ``name`` (0..1) and the name's specificity (0..1)."""
        forms = [name, *(t for t in self._translate(name) if " " not in t)]
        tf = {d: max(self._tf[d][f] for f in forms) for d in self.doc_ids}
        total = sum(tf.values())
        if total <= 0:
            return {}, 0.0
        # A paper that uses the name often is fully about it; one that mentions it a few times, a little.
        share = {d: min(1.0, math.log1p(v) / math.log1p(_PLENTY)) for d, v in tf.items()}
        # Specificity: 1 when one paper holds all the name's occurrences, 0 when all hold them equally,
        # and less for a name too rare to tell (a word used once says little about any paper).
        p = [v / total for v in tf.values() if v]
        entropy = -sum(x * math.log(x) for x in p)
        spread = entropy / math.log(len(self.doc_ids)) if len(self.doc_ids) > 1 else 0.0
        return share, (1.0 - spread) * min(1.0, total / _SUPPORT)

    def scores(self, question: str, names: list[str] | None = None) -> dict[str, float]:
        """Each paper's share of the question's names (0..1), weighted by the names' specificity."""
        names = self.names(question) if names is None else names
        acc = {d: 0.0 for d in self.doc_ids}
        weight = 0.0
        for n in names:
            share, w = self.name_scores(n)
            if not share or w <= 0:
                continue
            weight += w
            for d, v in share.items():
                acc[d] += w * v
        if weight <= 0:
            return {}
        return {d: v / weight for d, v in acc.items()}

    def focus(self, question: str, ratio: float = 0.75, floor: float = 0.5, by_groups: bool = False) -> set[str]:
        """The papers a question is about: within ``ratio`` of the best paper, which scores at least
        ``floor``; may be empty.

        ``by_groups`` (for a comparison): each run of adjacent names ("Semarang–Jung-Gu",
        "South Tangerang") picks its own papers so, and the question is about all of them.
        """
        if by_groups:
            return set().union(*(docs for _, docs in self.group_papers(question, ratio, floor)))
        return top_papers(self.scores(question), ratio, floor)

    def group_papers(self, question: str, ratio: float = 0.75, floor: float = 0.5,
                     min_weight: float = 0.35) -> list[tuple[NameGroup, set[str]]]:
        """Each run of specific enough names with the papers it picks (runs that pick none left out)."""
        out = []
        for g in self.groups(question):
            docs = top_papers(g.scores, ratio, floor) if g.weight >= min_weight else set()
            if docs:
                out.append((g, docs))
        return out

    def groups(self, question: str) -> list[NameGroup]:
        """Runs of adjacent names (joined by spaces or dashes) with the papers each run points to."""
        out: list[NameGroup] = []
        run: list[tuple[int, int, str]] = []

        def close():
            if run:
                text = question[run[0][0]:run[-1][1]]
                names = tuple(dict.fromkeys(w.lower() for _, _, w in run))
                sc = self.scores(text, list(names))
                if sc:
                    w = sum(self.name_scores(n)[1] for n in names) / len(names)
                    out.append(NameGroup(text, names, sc, w))
            run.clear()

        for m in _TOKEN.finditer(question):
            w = m.group()
            if self.is_name(w):
                gap = question[run[-1][1]:m.start()] if run else ""
                if run and not re.fullmatch(r"[\s\-–—/]*", gap):
                    close()
                run.append((m.start(), m.end(), w))
            else:
                close()
        close()
        return out


class _LazyCounts(dict):
    """A paper's word counts, each counted in its text when first asked for."""

    def __init__(self, router: "LazyRouter", doc_id: str):
        super().__init__()
        self._router, self._doc = router, doc_id

    def __missing__(self, word: str) -> int:
        return self._router.word_stats(self._doc, word)[0]


class _LazyShare:
    """Within-sentence capitalised share of a word over the router's papers, computed when asked."""

    def __init__(self, router: "LazyRouter"):
        self._router = router

    def get(self, word: str, default=None):
        total = capital = 0
        for d in self._router.doc_ids:
            _, t, c = self._router.word_stats(d, word)
            total, capital = total + t, capital + c
        return capital / total if total else default


class LazyRouter(PaperRouter):
    """``PaperRouter`` over the papers of a large index that a question's passages come from:
    instead of counting every word of every paper first, it counts the words a question asks
    about, in those papers only, when asked (``cache``: (doc_id, word) → counts, kept across
    questions). Word boundaries are the tokeniser's, up to a token glued to a digit."""

    def __init__(self, papers: list[dict], text_of, translate=None, cache: dict | None = None,
                 cache_size: int = 200_000):
        self.doc_ids = [p["doc_id"] for p in papers]
        self._translate = translate or (lambda w: [])
        self._text_of = text_of
        self._heads = {p["doc_id"]: normalize(" ".join([p.get("title") or "", *(p.get("authors") or [])])).split()
                       for p in papers}
        self._cache = {} if cache is None else cache
        self._cache_size = cache_size
        self._tf = {d: _LazyCounts(self, d) for d in self.doc_ids}
        self._capital_share = _LazyShare(self)
        self._lower: dict[str, str] = {}

    def word_stats(self, doc_id: str, word: str) -> tuple[int, int, int]:
        """(occurrences, title and author ones weighted; occurrences within sentences; of those,
        capitalised) of ``word`` in one paper."""
        key = (doc_id, word)
        got = self._cache.get(key)
        if got is None:
            text = self._text_of(doc_id)
            low = self._lower.get(doc_id)
            if low is None:
                low = self._lower[doc_id] = text.lower()
            count = total = capital = 0
            found = word in low or len(low) != len(text)  # a quick no (lower() kept the length)
            for m in re.finditer(r"(?<![\w'’])" + re.escape(word) + r"(?![\w'’])", text, re.IGNORECASE) \
                    if found else ():
                count += 1
                if within_sentence(text, m.start()):
                    total += 1
                    capital += text[m.start()].isupper()
            count += _TITLE_WEIGHT * self._heads[doc_id].count(word)
            got = (count, total, capital)
            if len(self._cache) >= self._cache_size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = got
        return got
