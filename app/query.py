"""One turn's question, analysed once: what the search, the answerer and the confidence read.

A ``Query`` is built once per turn (``app.retrieve.Retriever.query``) and passed down:
the question's text analysis (type, asked kind of fact, language, content words),
its names, whether it leans on the earlier turns (a follow-up) or stands alone,
what is searched (text and vector), and, once the passages are ranked, the papers
it is about (focus) and, for a comparison, its sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from sisterqa.index.lexicon import cognate_key

from .question import Question


@dataclass(frozen=True)
class TurnSettings:
    """How a turn becomes a query and is retrieved (see README "How retrieval works", 7 and 9)."""

    followup: str = "vector"  # how earlier turns feed retrieval: concat, vector, entities, none
    followup_weight: float = 0.5  # "vector": weight of the earlier turn's vector
    decide_followup: bool = True  # decided per turn (``refers_back``); False: every turn with history is one
    context_turns: int = 3  # a follow-up carries at most this many earlier turns (back to one that stood alone)
    compare_sides: bool = True  # a comparison retrieves for each side it names, then merges
    answer_depth: int = 30  # passages ranked for the answerer's passage prior (the first k are shown)
    side_depth: int = 3  # … taking this many passages of each side first
    side_merge: str = "global-first"  # the general ranking's best, then each side's ("sides-first": sides only)


@dataclass(frozen=True)
class QueryTerms:
    """The question's words as a sentence may contain them: own words and translations."""

    own: list[set]  # per content word: its forms (lower-cased word, English and Indonesian stems)
    translated: list[set]  # per content word: its translations' forms
    names: list[set]  # per name: its forms


def query_terms(q: Question, names: list[str], lexicon) -> QueryTerms:
    """Each content word and name of ``q`` in the forms a sentence may hold it (stems, translations)."""
    from sisterqa.index.bm25 import _stemmer

    def forms(word: str) -> set:
        return {word, _stemmer("en").stemWord(word), _stemmer("id").stemWord(word)}

    own, translated = [], []
    for w in q.terms:
        own.append(forms(w))
        key = cognate_key(w)
        tr: set = {key} if key else set()
        if lexicon is not None:
            for t in (lexicon.to_indonesian(w) if q.lang == "en" else lexicon.to_english(w)):
                tr |= forms(t)
        translated.append(tr - own[-1])
    name_forms = []
    for n in names:
        f = forms(n)
        if lexicon is not None:
            for t in lexicon.to_indonesian(n) + lexicon.to_english(n):
                f |= forms(t)
        name_forms.append(f)
    return QueryTerms(own, translated, name_forms)


@dataclass(frozen=True)
class Query:
    """A question in its conversation, analysed once."""

    question: Question  # type, asked kind of fact, language, content words
    names: tuple[str, ...]  # the question's names (lower-cased), as routing reads them
    terms: QueryTerms  # its words and names in the forms a sentence may hold them
    history: tuple[str, ...] = ()  # the earlier user turns, oldest first
    followup: bool = False  # whether earlier turns shape retrieval, focus and the answer
    context: tuple[str, ...] = ()  # the earlier turns it leans on (empty unless a follow-up)
    search_text: str = ""  # what BM25 searches
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)  # the dense query
    doc_ids: frozenset | None = None  # a paper filter: nothing outside it is searched or quoted
    focus: frozenset = frozenset()  # the papers it is about (after ranking)
    sides: tuple = ()  # a comparison: (label, papers) per side it names
    unknown_names: float = 0.0  # share of its names that no indexed paper uses (after ranking)
    context_names: tuple[str, ...] = ()  # the names of the earlier turns it leans on

    @property
    def text(self) -> str:
        return self.question.text

    @property
    def qtype(self) -> str:
        return self.question.qtype

    @property
    def lang(self) -> str:
        return self.question.lang


def entities(text: str) -> list[str]:
    """Names, numbers and acronyms of a sentence: what a follow-up's pronouns refer to."""
    words = re.findall(r"[\w][\w\-’']*", text)
    return [w for i, w in enumerate(words) if (i > 0 and w[:1].isupper()) or w.isupper() or w[:1].isdigit()]


# Words that lean on an earlier turn: pronouns and demonstratives of both languages. "that" only where it
# points at something ("that document", "that?"), not where it opens a clause ("shows that the …").
# "it", "its" and "this" are weak: a question that names its own subject often uses them of it
# ("… chose Daejeon as its sister city", "when it comes to").
_WEAK_EN = re.compile(r"\b(it|its|itself|this)\b", re.I)
_ANAPHOR_EN = re.compile(
    r"\b(they|them|their|theirs|themselves|he|him|his|she|her|hers|these|those|"
    r"such|the same|the former|the latter|the two|similar)\b|"
    r"(?<!is )(?<!are )(?<!was )(?<!were )\bthere\b(?!\s+(is|are|was|were|be|been|any)\b)", re.I)
_THAT = re.compile(r"\b[Tt]hat\b(?!\s+((?i:the|a|an|it|its|they|he|she|we|there|this|these|those|is|was|were|are|"
                   r"has|had|have|will|would|can|could)\b|[A-Z]|\d))")
_ANAPHOR_ID = re.compile(r"\b(itu|tersebut|mereka|dia|ia|beliau|sana|tadi|(?!saat|hari|tahun|masa|waktu|kini)\w+ ini)\b",
                         re.I)
# A turn that opens by carrying the earlier one on ("And why …?", "What about …?", "Lalu …?").
_ELLIPTIC = re.compile(r"^\W*(and|but|also|so|then|what about|how about|and what about|dan|lalu|terus|lantas|"
                       r"kalau|bagaimana dengan|sedangkan|juga)\b", re.I)


def refers_back(question: Question, names: tuple[str, ...], own_subject: bool = False) -> tuple[bool, bool]:
    """(leans on an earlier turn, opens by carrying it on). A question leans on an earlier turn when it
    uses a pronoun or demonstrative (only a strong one when it names papers of its own: ``own_subject``),
    opens elliptically, or has no subject of its own (no name and at most one content word: "Why?",
    "Kapan ditandatangani?")."""
    text = question.text
    elliptic = bool(_ELLIPTIC.search(text))
    anaphor = bool(_ANAPHOR_EN.search(text) or _THAT.search(text) or _ANAPHOR_ID.search(text)
                   or (not own_subject and _WEAK_EN.search(text)))
    bare = not names and len(question.terms) <= 1
    return anaphor or elliptic or bare, elliptic
