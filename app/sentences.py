"""What a sentence of a paper is, before any question: quotable or not, its language, its stems,
its section's role, its discourse cues, the kinds of fact it gives (``PaperSentences``), and a
sentence scored for one question (``Candidate``).

Pure text rules: the generic vocabulary of academic prose in English and Indonesian
(this study aims / penelitian ini bertujuan, because / karena), never the words of one corpus.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

import numpy as np

from sisterqa.index.lexicon import cognate_key
from sisterqa.index.search import Hit
from sisterqa.index.store import Snapshot
from sisterqa.ingest.blocks import has_terminal, quotable_kind
from sisterqa.ingest.instructions import is_instruction
from sisterqa.ingest.language import detect_language
from sisterqa.ingest.normalize import normalize
from sisterqa.ingest.sections import is_reference_section

from .question import FACT_PATTERNS

_AIM = re.compile(
    r"\b(this (study|research|paper|article|thesis|proposal) (aims?|seeks?|attempts?|tries|intends|examines|"
    r"explores|analy[sz]es|discusses|investigates|focuses|describes|will)|the (aim|purpose|objective|goal)s? "
    r"of (this|the) ((present|current) )?(study|research|paper|article|thesis)|(aims?|seeks?|intends?) to (analy|examine|explore|"
    r"describe|identify|find out|investigate|understand|explain|determine)|research questions?|"
    r"tujuan (dari )?(penelitian|penulisan)|penelitian ini (bertujuan|berusaha|mencoba|membahas|menganalisis|"
    r"menjelaskan|akan)|bertujuan untuk|untuk mengetahui|untuk menganalisis|untuk menjelaskan|"
    r"untuk mendeskripsikan|untuk membahas|untuk mengkaji|untuk meneliti|untuk memahami|"
    r"rumusan masalah|pertanyaan penelitian)\b", re.I)
_METHOD = re.compile(
    r"\b(qualitative|quantitative|descriptive (method|approach|research|analysis)|research methods?|methodology|"
    r"data (were|was|is|are) (collected|obtained|gathered|analy[sz]ed)|data collection|literature (study|review)|"
    r"library research|interviews? (with|were|was)|secondary data|primary data|case study (approach|method)|"
    r"triangulation|metode (penelitian|kualitatif|deskriptif)|pendekatan (kualitatif|deskriptif)|"
    r"teknik pengumpulan|data (primer|sekunder)|studi (pustaka|kepustakaan|literatur)|jenis penelitian|"
    r"triangulasi)\b", re.I)
_META = re.compile(
    r"^\s*(keywords?|kata kunci|key words)\b|^\s*(figure|fig\.|table|gambar|tabel|grafik|bagan|chart|diagram|"
    r"source|sumber)\s*\d*\s*[.:]|\b(thank|grateful|gratitude|terima kasih|acknowledg\w*)\b|"
    r"^\s*(received|accepted|revised|published|diterima|corresponding author|e-?mail)\b|©|\bcopyright\b", re.I)
_REFERENCE = re.compile(r"https?://|www\.|@|doi:|\bdoi\.org|\(\d{4}\)\.|Retrieved|Abgerufen|\bpp\.\s*\d")
# Section roles, from the generic names of the parts of a paper in English and Indonesian.
SECTION_ROLES = {
    "abstract": r"abstract|abstrak|summary|ringkasan",
    "intro": r"introduction|pendahuluan|latar belakang|background",
    "theory": r"literature|theor|kerangka|konsep|framework|tinjauan pustaka|landasan",
    "method": r"method|metode|metodologi|teknik|jenis penelitian|research design|data",
    "aim": r"tujuan|rumusan masalah|batasan|research question|hipotes|hypothes|sistematika|objective",
    "result": r"result|finding|discussion|pembahasan|hasil|analysis|analisis|implementation|implementasi",
    "conclusion": r"conclusion|kesimpulan|penutup|simpulan|closing|concluding",
}
_CUES = {
    "why": r"\b(because|due to|owing to|as a result|cause\w*|reason\w*|lack\w*|insufficien\w*|absen\w*|"
           r"fail\w*|hinder\w*|hamper\w*|imped\w*|obstacle\w*|barrier\w*|problem\w*|challeng\w*|"
           r"constrain\w*|unable|unwilling\w*|reluctan\w*|not yet|did not|does not|no longer|only once|"
           r"weak\w*|limit\w*|scarc\w*|shortage\w*|therefore|thus|so that|"
           r"karena|disebabkan|sebab|akibat|alasan|kendala|hambatan|faktor|kurang(nya)?|tidak adanya|"
           r"gagal|terhenti|terhambat|belum|tidak|sehingga|oleh karena itu|maka|lemah\w*|minim\w*)\b",
    "list": r"(;|\b(namely|include|including|includes|comprise|consist|such as|first|second|third|"
            r"yaitu|yakni|antara lain|diantaranya|di antaranya|meliputi|terdiri|berupa|pertama|kedua|ketiga)\b|"
            r"\d\)|\b[a-e]\))",
    "compare": r"\b(while|whereas|both|unlike|similar|same|different|however|sedangkan|sementara|keduanya|"
               r"sama|berbeda|namun)\b",
}
_CUES["when"] = FACT_PATTERNS["date"].pattern
_CUES["howmany"] = FACT_PATTERNS["count"].pattern


@dataclass
class SentenceInfo:
    """What is known of one sentence without a question (computed when first needed)."""

    lang: str  # the sentence's own language
    stems: frozenset  # stemmed words (paper language) plus the lower-cased words and cognate keys
    static: np.ndarray  # STATIC features (aim, method, meta, section roles, position, length)
    keep: bool  # a sentence that may be quoted at all
    cues: dict  # question type → the sentence carries that type's cue
    kinds: dict  # fact kind → the sentence gives a fact of that kind
    in_float: bool = False  # quotable but in a caption or a table: quoted only when a question asks about one


class PaperSentences:
    """One paper's sentences: offsets, vectors, texts and sections at once; each sentence's
    answerhood information (``row(i)``) when a question first needs it, so that an answer reads
    only the sentences it scores, whatever the size of the paper or of the index."""

    def __init__(self, doc_id: str, paper_lang: str, spans: np.ndarray, vecs: np.ndarray, texts: list[str],
                 sections: list[str], text_len: int, title: str, authors: list[str],
                 blocks: list[str] | None = None):
        self.doc_id, self.paper_lang = doc_id, paper_lang
        # the kind of block each sentence lies in (ingest.blocks.KINDS); only prose and list items are
        # quoted (and footnotes): never code, figure or table text, captions, title-block lines or cut-off
        # fragments (ingest.blocks.quotable_kind)
        self.blocks = blocks  # None: every sentence as if in prose, no rule of block kinds (an ablation)
        self.spans, self.vecs, self.texts, self.sections = spans, vecs, texts, sections
        self._n, self._title, self._authors = max(1, text_len), title, authors
        self._rows: dict[int, SentenceInfo] = {}

    def row(self, i: int) -> SentenceInfo:
        info = self._rows.get(i)
        if info is None:
            info = self._rows[i] = self._info(i)
        return info

    def keep(self, i: int, floats: bool = False) -> bool:
        """Whether sentence ``i`` may be quoted; ``floats``: the question asks about a figure or a table,
        so a caption's or a table's sentences may be too."""
        row = self.row(i)
        return row.keep or (floats and row.in_float)

    def kept(self, floats: bool = False) -> np.ndarray:
        """The rows of every quotable sentence."""
        return np.array([i for i in range(len(self.texts)) if self.keep(i, floats)], dtype=np.int64)

    def _info(self, i: int) -> SentenceInfo:
        from sisterqa.index.bm25 import tokenize

        sentence, section = self.texts[i], self.sections[i]
        raw = re.findall(r"\w+", sentence.lower())
        words = set(tokenize(sentence, self.paper_lang)) | set(raw) | {k for k in map(cognate_key, raw) if k}
        roles = section_roles(section)
        static = np.array([
            float(bool(_AIM.search(sentence))), float(bool(_METHOD.search(sentence))),
            float(bool(_META.search(sentence))), *(roles[r] for r in SECTION_ROLES),
            int(self.spans[i, 0]) / self._n, min(len(sentence.split()), 60) / 60,
        ], dtype=np.float64)
        plain = normalize(sentence)
        front = (len(self._title) > 20 and self._title in plain) or any(a in plain for a in self._authors)
        base = quotable(sentence) and not front and not is_reference_section(section)
        keep = base and (self.blocks is None or quotable_kind(self.blocks[i], sentence))
        in_float = (base and not keep and self.blocks is not None and self.blocks[i] in ("caption", "table")
                    and has_terminal(sentence))
        return SentenceInfo(
            lang=detect_language(sentence), stems=frozenset(words), static=static, keep=keep, in_float=in_float,
            cues={t: bool(re.search(p, sentence, re.I)) for t, p in _CUES.items()},
            kinds={k: bool(p.search(sentence)) for k, p in FACT_PATTERNS.items()},
        )


STATIC = ("aim", "method", "meta", "sec_abstract", "sec_intro", "sec_theory", "sec_method", "sec_aim",
          "sec_result", "sec_conclusion", "position", "length")


def _is_heading(sentence: str) -> bool:
    """A heading or title line picked up as a sentence: no closing punctuation, not long."""
    return len(sentence.split()) < 12 and not sentence.rstrip().endswith(
        (".", "!", "?", '"', "”", ")", "'", ";", ":", "’")
    )


def quotable(sentence: str) -> bool:
    """Whether a sentence may be quoted as an answer at all."""
    words = len(sentence.split())
    return not (words < 4 or words > 90 or _REFERENCE.search(sentence) or _is_heading(sentence)
                or sentence.rstrip().endswith(":")  # a list's lead-in says nothing alone
                or sentence.rstrip(" \"”’')").endswith("?")  # a paper's own (rhetorical) question answers nothing
                or is_instruction(sentence))  # ingest.instructions: by meaning, both languages (issue 24)


def section_roles(section: str) -> dict[str, float]:
    s = section.lower()
    return {role: float(bool(re.search(p, s))) for role, p in SECTION_ROLES.items()}


def paper_sentences(snapshot: Snapshot, doc_id: str, block_kinds: bool = True) -> PaperSentences:
    """A paper's sentences; ``block_kinds``: whether the block each lies in decides if it may be quoted."""
    meta = snapshot.paper_meta(doc_id)
    spans, vecs = snapshot.sentences(doc_id)
    text = snapshot.paper_text(doc_id)
    record_sections = _sections(snapshot, doc_id)
    starts = [s for s, _ in record_sections]
    texts, secs = [], []
    for a, b in spans:
        texts.append(text[int(a):int(b)])
        i = bisect.bisect_right(starts, int(a)) - 1
        secs.append(record_sections[i][1] if i >= 0 else "")
    title = normalize(meta.get("title") or "")
    authors = [normalize(a) for a in meta.get("authors") or [] if len(normalize(a).split()) >= 2]
    return PaperSentences(doc_id, meta.get("language", "en"), spans, vecs, texts, secs, len(text), title, authors,
                          blocks=snapshot.sentence_kinds(doc_id) if block_kinds else None)


def _sections(snapshot: Snapshot, doc_id: str) -> list[tuple[int, str]]:
    """(start offset, section path) of a paper, in order: from its record, or, when that file is gone
    (a reader keeps working after its index version was deleted), from its passages' sections."""
    from sisterqa.index.errors import IndexCorrupt
    from sisterqa.index.store import read_paper_record

    try:
        return [(int(s), str(t)) for s, t in read_paper_record(snapshot.path, doc_id).get("sections", [])]
    except (IndexCorrupt, OSError, ValueError):
        out: list[tuple[int, str]] = []
        for p in sorted(paper_passages(snapshot, doc_id), key=lambda p: p.start):
            if not out or out[-1][1] != p.section:
                out.append((p.start, p.section))
        return out


@dataclass
class Candidate:
    """One sentence scored for one question: where it is, its features, score and probability."""

    doc_id: str
    start: int
    end: int
    text: str
    sim: float
    vec: np.ndarray
    features: dict
    score: float = 0.0
    prob: float = 0.0
    hit: Hit | None = None
    section: str = ""
    lang: str = "en"
    about: str | None = None  # another partnership the sentence is about (one the question does not name)


def paper_passages(snapshot: Snapshot, doc_id: str) -> list:
    """A paper's passages, read by number from the paper's rows (kept per index version)."""
    return snapshot.memo("paper_passages", doc_id,
                         lambda: [snapshot.passages[i] for i in snapshot.paper_passages(doc_id)], limit=64)



# Two names set side by side as a partnership: "Semarang–Beihai", "Kota Semarang dengan Kota Beihai",
# "between Jakarta and East Jerusalem".
_NAME = r"[A-Z][\w'’]*(?:\s+[A-Z][\w'’]*)*"
_PAIR = re.compile(rf"({_NAME})\s*[–—-]\s*({_NAME})|\b(?:between|antara)\s+({_NAME})\s+(?:and|dan|dengan)\s+({_NAME})")


def partnerships(text: str, is_name, compound) -> list[tuple[str, str]]:
    """The pairs of names ``text`` sets side by side as a partnership. Both sides must hold a name
    (``is_name``: a word the papers write capitalised); "Jung-Gu" or "UN-Habitat" is one name, not a
    pair (``compound(a, b)``: the parts seldom stand alone in the paper)."""
    out = []
    for m in _PAIR.finditer(text):
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        if m.group(1) and text[m.end(1):m.start(2)] == "-" and compound(a.split()[-1], b.split()[0]):
            continue
        if any(is_name(w) for w in a.split()) and any(is_name(w) for w in b.split()):
            out.append((a, b))
    return out


def compound_in(text: str):
    """``compound(a, b)`` for one paper: whether "a-b" is one name there (a part of it occurs on its own
    less than a fifth as often as the hyphenated whole)."""
    def compound(a: str, b: str) -> bool:
        whole = len(re.findall(rf"\b{re.escape(a)}-{re.escape(b)}\b", text))
        if not whole:
            return False
        alone = min(len(re.findall(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)) for w in (a, b))
        return alone < 0.2 * whole
    return compound
