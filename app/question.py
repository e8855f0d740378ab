"""What a question asks: its type (why, list, compare …), the kind of fact it wants, its words.

Pure functions over the question's text. The word patterns are the generic
vocabulary of questions and of academic prose in English and Indonesian (why /
mengapa, because / karena, this study aims / penelitian ini bertujuan), never the
words of one corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sisterqa.ingest.language import detect_language
from sisterqa.ingest.normalize import normalize

# "when" asks for a date where it opens the question or a clause of it ("…, and when?"), not where
# it joins two clauses ("what obstacle do they share when the officials are moved?").
_WHEN = (r"^\W*(when|kapan)\b|\b(and|dan|or|atau)\s+(when|kapan)\b|\b(when|kapan)\W*$|"
         r"\b(what year|which year|what date|in what year|tahun berapa|tanggal berapa|pada tahun berapa)\b")

_TYPES = [
    ("compare", r"\b(compare|comparison|differ|difference|different|versus|vs\.?|both|similar|similarit|"
                r"agree|contrast|bandingkan|perbandingan|perbedaan|persamaan|berbeda|keduanya|sama-sama)\b"),
    ("why", r"\b(why|reason|reasons|cause|caused|causes|obstacle|obstacles|barrier|barriers|hinder|"
            r"hindered|hamper|fail|failed|stall|stalled|factor|factors|problem|problems|challenge|"
            r"challenges|mengapa|kenapa|alasan|penyebab|sebab|kendala|hambatan|faktor|masalah|gagal|"
            r"tantangan|menghambat)\b"),
    ("list", r"\b(list|which areas|what areas|which fields|what fields|what are the|what were the|"
             r"name the|sebutkan|apa saja|bidang apa|apa sajakah|points|poin)\b"),
    ("when", _WHEN),
    ("who", r"\b(who|whom|siapa|siapakah)\b"),
    ("howmany", r"\b(how many|how much|how long|how often|berapa)\b"),
]

# The kind of fact a question asks for, when it asks for one.
_KINDS = [
    ("amount", r"\b(how much (money|did it cost|does it cost|funding|budget|was spent|is spent)|cost|costs|"
               r"budget|funding|berapa (biaya|anggaran|dana|nilai)|biaya|anggaran|nilai dana)\b"),
    ("date", _WHEN),
    ("count", r"\b(how many|how often|how long|berapa (banyak|jumlah|orang|kali|lama|peserta|tahun)|"
              r"jumlah|berapa)\b"),
    ("person", r"\b(who|whom|siapa|siapakah)\b"),
    ("place", r"\b(where|in which city|which city|di mana|dimana|kota mana)\b"),
]

_MONTHS = (r"january|february|march|april|may|june|july|august|september|october|november|december|"
           r"januari|februari|maret|mei|juni|juli|agustus|oktober|desember")
FACT_PATTERNS = {
    "date": re.compile(rf"\b(1[89]\d\d|20\d\d)\b|\b({_MONTHS})\b", re.I),
    "count": re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|once|twice|dozen|"
                        r"satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sekali|puluh|"
                        r"ratus|ribu)\b", re.I),
    "amount": re.compile(r"(\bRp\.?\s?\d|rupiah|\bUSD\b|US\$|\$\s?\d|dollars?|\bwon\b|francs?|euros?|€|"
                         r"\bjuta\b|\bmiliar\b|\bmillion\b|\bbillion\b|\btriliun\b)", re.I),
    # a person or a body: two capitalised words, an acronym, or a title before a name
    "person": re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w’'-]+\s+(?:[A-Z][\w’'-]+)|\b[A-Z]{2,}\b|"
                         r"\b(Mr|Mrs|Ms|Dr|Prof|Ibu|Bapak|Pak|Bu)\.?\s+[A-Z]"),
    "place": re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+"),
}

# Besides the stopwords of both languages (index/bm25.py), the words every question about papers has.
_QUESTION_WORDS = frozenset("papers yes may might sajakah".split())


@dataclass(frozen=True)
class Question:
    text: str
    lang: str
    qtype: str  # compare, why, list, when, who, howmany, other
    kind: str | None  # the kind of fact asked for: amount, date, count, person, place, or None
    terms: tuple[str, ...]  # content words, normalised

    @property
    def asks_method(self) -> bool:
        """A question about how a study was done may quote its method."""
        return bool(re.search(r"\b(method|methodology|approach|data collection|interview|metode|"
                              r"pendekatan|teknik pengumpulan|wawancara)\b", self.text, re.I))

    @property
    def asks_aim(self) -> bool:
        """A question about what a study aims at may quote its aim."""
        return bool(re.search(r"\b(aim|aims|objective|purpose|goal of the (study|paper|research)|tujuan "
                              r"penelitian|bertujuan|research question|rumusan masalah)\b", self.text, re.I))


def question_type(question: str, skip: tuple[str, ...] = ()) -> str:
    """A coarse type that shapes the answer: why, list, compare, when, who, howmany or other
    (``skip``: types not to consider, e.g. "compare" for one side of a comparison)."""
    q = question.lower()
    for name, pattern in _TYPES:
        if name not in skip and re.search(pattern, q):
            return name
    return "other"


# Words that set two things against each other, and a choice between them ("…, X or Y?").
COMPARE_CUE = re.compile(
    r"\b(compare|compared|comparison|differ|difference|different|versus|vs\.?|both|similar|similarit\w*|agree|"
    r"contrast|share|shared|in common|alike|same|either|bandingkan|dibandingkan|perbandingan|perbedaan|"
    r"persamaan|berbeda|keduanya|sama-sama|serupa)\b", re.I)
CHOICE = re.compile(r"\b(or|atau)\b", re.I)
# a question about a figure or a table: their captions and cells may answer it (app.sentences)
FLOATS_ASKED = re.compile(r"\b(figures?|fig\.|tables?|charts?|graphs?|plots?|diagrams?|captions?|"
                          r"gambar|tabel|grafik|bagan|diagram|keterangan)\b", re.I)


def fact_kind(question: str) -> str | None:
    """The kind of fact the question asks for (amount, date, count, person, place), if any."""
    q = question.lower()
    for name, pattern in _KINDS:
        if re.search(pattern, q):
            return name
    return None


def content_terms(text: str) -> tuple[str, ...]:
    """The words of ``text`` that carry meaning, in order (function words of both languages left out)."""
    from sisterqa.index.bm25 import STOP_EN, STOP_ID

    return tuple(dict.fromkeys(w for w in normalize(text).split() if w not in _QUESTION_WORDS and w not in STOP_EN
                               and w not in STOP_ID and (len(w) > 2 or w.isdigit())))


def analyse(question: str, lang: str | None = None, skip: tuple[str, ...] = ()) -> Question:
    return Question(question, lang or detect_language(question), question_type(question, skip),
                    fact_kind(question), content_terms(question))
