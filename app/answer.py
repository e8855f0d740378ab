"""Answers with citations: the types, the checks, and the extractive answerer.

The extractive answerer builds an answer from the retrieved passages' own
sentences. Each sentence is followed by its marker ``[n]`` and its citation
quotes it verbatim (``quote == paper.text[start:end]``), so a citation can
always be shown in its paper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from index.search import Hit
from index.store import Snapshot
from ingest.errors import SisterQAError
from ingest.language import detect_language
from ingest.normalize import normalize

MARKER = re.compile(r"\[(\d+)\]")


class CitationError(SisterQAError):
    """An answer whose citations do not check out: always a bug, never hidden."""


@dataclass(frozen=True)
class Citation:
    """One ``[n]``: a verbatim span of a paper's cleaned text."""

    n: int
    passage_id: str
    doc_id: str
    quote: str
    start: int
    end: int
    title: str = ""
    section: str = ""
    page: int | None = None
    year: int | None = None
    language: str = ""

    def to_json(self, snapshot: Snapshot | None = None) -> dict:
        d = {
            "n": self.n, "doc_id": self.doc_id, "title": self.title, "section": self.section,
            "page": self.page, "passage_id": self.passage_id, "quote": self.quote,
            "start": self.start, "end": self.end, "year": self.year, "language": self.language,
        }
        boxes = snapshot.quote_boxes(self.doc_id, self.start, self.end) if hasattr(snapshot, "quote_boxes") else []
        if boxes:  # a PDF: where the quote is printed (points, origin top-left, one or more per line)
            d["boxes"] = boxes
        return d


@dataclass(frozen=True)
class Answer:
    """What ``sisterqa ask`` returns (see the contract's answer object)."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    abstained: bool
    timings: dict = field(default_factory=dict)
    mode: str = "extractive"
    notice: str | None = None  # e.g. why the LLM answer fell back to extractive
    unsupported: tuple[str, ...] = ()  # LLM sentences without a citation
    retrieval_query: str = ""

    def to_json(self, snapshot: Snapshot | None = None) -> dict:
        d = {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_json(snapshot) for c in self.citations],
            "passages": [passage_json(h, snapshot) for h in self.hits],
            "timings_ms": {k: round(v, 2) for k, v in self.timings.items()},
            "mode": self.mode,
        }
        if self.notice:
            d["notice"] = self.notice
        if self.unsupported:
            d["unsupported"] = list(self.unsupported)
        if self.retrieval_query and self.retrieval_query != self.question:
            d["retrieval_query"] = self.retrieval_query
        return d


def passage_json(hit: Hit, snapshot: Snapshot | None = None) -> dict:
    """A hit as the contract's passage object (with each signal's score added)."""
    p = hit.passage
    d = {
        "rank": hit.rank, "passage_id": p.passage_id, "doc_id": p.doc_id, "section": p.section,
        "page": p.page, "score": round(hit.score, 6), "text": p.text,
        "scores": {k: (round(v, 6) if v is not None else None) for k, v in hit.scores.items()},
    }
    if snapshot is not None:
        d["title"] = snapshot.paper_meta(p.doc_id)["title"]
    return d


def verify(answer: Answer, snapshot: Snapshot) -> None:
    """Check an answer's citations; raise CitationError on any violation.

    Every ``[n]`` has exactly one citation, every citation is used, and every
    quote is the verbatim span of its paper's cleaned text that it claims.
    """
    used = {int(m) for m in MARKER.findall(answer.text)}
    ns = [c.n for c in answer.citations]
    if len(ns) != len(set(ns)):
        raise CitationError(f"duplicate citation numbers {ns}")
    if used != set(ns):
        raise CitationError(f"markers {sorted(used)} but citations {sorted(ns)}")
    for c in answer.citations:
        text = snapshot.paper_text(c.doc_id)
        if text[c.start:c.end] != c.quote or not c.quote.strip():
            raise CitationError(f"[{c.n}] quote is not the span {c.start}:{c.end} of {c.doc_id}")
        if normalize(c.quote) not in normalize(text):
            raise CitationError(f"[{c.n}] quote not found in {c.doc_id}")


# ---------------------------------------------------------------- question analysis

_TYPES = [
    ("compare", r"\b(compare|comparison|differ|difference|different|versus|vs\.?|both|similar|similarit|"
                r"bandingkan|perbandingan|perbedaan|persamaan|berbeda|keduanya|sama-sama)\b"),
    ("why", r"\b(why|reason|reasons|cause|caused|causes|obstacle|obstacles|barrier|barriers|hinder|"
            r"hindered|hamper|fail|failed|stall|stalled|factor|factors|problem|problems|challenge|"
            r"challenges|mengapa|kenapa|alasan|penyebab|sebab|kendala|hambatan|faktor|masalah|gagal|"
            r"tantangan|menghambat)\b"),
    ("list", r"\b(list|which areas|what areas|which fields|what fields|what are the|what were the|"
             r"name the|sebutkan|apa saja|bidang apa|apa sajakah|points|poin)\b"),
    ("when", r"\b(when|what year|which year|what date|kapan|tahun berapa|tanggal berapa|pada tahun)\b"),
    ("who", r"\b(who|whom|siapa|siapakah)\b"),
    ("howmany", r"\b(how many|how much|how long|berapa)\b"),
]


def question_type(question: str) -> str:
    """A coarse type that shapes the answer: why, list, compare, when, who, howmany or other."""
    q = question.lower()
    for name, pattern in _TYPES:
        if re.search(pattern, q):
            return name
    return "other"


_STOP = frozenset(
    "the a an of to in and or is are was were be been for on at by with from as that this these those "
    "what which who whom when where why how did does do has have had it its their there between into "
    "about than then so such not no yes can could would should will may might city cities cooperation "
    "sister paper papers according study yang dan di ke dari dengan untuk pada dalam ini itu adalah apa "
    "siapa kapan mengapa bagaimana berapa kota kerjasama kerja sama tersebut oleh sebagai antara".split()
)


def content_terms(text: str) -> set[str]:
    """The words of ``text`` that carry meaning (for overlap scores)."""
    return {w for w in normalize(text).split() if w not in _STOP and len(w) > 2}


# ---------------------------------------------------------------- extractive answerer


@dataclass(frozen=True)
class AnswerSettings:
    """How extractive answers are built."""

    max_words: int = 150
    max_sentences: int = 6
    candidate_passages: int = 8  # sentences are taken from this many top passages
    abstain_below: float = 0.80  # best sentence similarity under which the papers "do not answer"
    duplicate_above: float = 0.92  # sentences this similar to a chosen one are dropped
    lexical_weight: float = 0.0  # share of query words (stemmed) the sentence contains
    passage_weight: float = 0.2  # the retrieval score of the sentence's passage (0..1 over the hits)
    balance_languages: bool = True  # scale sentence similarity within each paper language
    sim_spread: float = 0.2  # balanced similarity spans 1 - spread .. 1
    answer_type_window: int = 10  # a money question abstains when none of these sentences names an amount
    cue_weight: float = 0.15  # a sentence with the cue its question type asks for (a date for "when")


@dataclass
class _Cand:
    doc_id: str
    start: int
    end: int
    text: str
    sim: float
    score: float
    vec: np.ndarray
    hit: Hit


class ExtractiveAnswerer:
    """Builds a cited answer from the retrieved passages' own sentences."""

    mode = "extractive"

    def __init__(self, settings: AnswerSettings = AnswerSettings()):
        self.settings = settings

    def candidates(self, query_vec: np.ndarray, query: str, hits: list[Hit], snapshot: Snapshot,
                   qtype: str = "other") -> list[_Cand]:
        """Sentences of the top passages, scored for how well they answer the query."""
        from index.bm25 import tokenize, tokenize_words

        s = self.settings
        q_words = tokenize_words(query)
        seen: set[tuple[str, int]] = set()
        out: list[_Cand] = []
        top = hits[: s.candidate_passages]
        fused = np.array([h.score for h in top], dtype=np.float64)
        prior = (fused - fused.min()) / (fused.max() - fused.min()) if len(top) > 1 and np.ptp(fused) > 0 else np.ones(len(top))
        langs: list[str] = []
        for hit, pr in zip(top, prior):
            p = hit.passage
            spans, vecs = snapshot.sentences(p.doc_id)
            if not len(spans):
                continue
            inner = np.minimum(spans[:, 1], p.end) - np.maximum(spans[:, 0], p.start)
            inside = np.nonzero(inner * 2 >= (spans[:, 1] - spans[:, 0]))[0]
            text = snapshot.paper_text(p.doc_id)
            lang = snapshot.paper_meta(p.doc_id).get("language", "en")
            sims = vecs[inside] @ query_vec if len(inside) else []
            for idx, sim in zip(inside, sims):
                a, b = int(spans[idx, 0]), int(spans[idx, 1])
                if (p.doc_id, a) in seen:
                    continue
                seen.add((p.doc_id, a))
                sentence = text[a:b]
                words = len(sentence.split())
                if (words < 4 or words > 90 or _is_reference(sentence) or _is_heading(sentence)
                        or sentence.rstrip().endswith(":")  # a list's lead-in says nothing alone
                        or _INSTRUCTION.search(sentence)):
                    continue
                stems = set(tokenize(sentence, lang))
                overlap = max(
                    (len(set(qs) & stems) / len(qs) for qs in q_words if qs), default=0.0
                )
                score = (s.lexical_weight * overlap + s.passage_weight * float(pr)
                         + s.cue_weight * cue_score(sentence, qtype))
                out.append(_Cand(p.doc_id, a, b, sentence, float(sim), score, vecs[idx], hit))
                langs.append(lang)
        sims = np.array([c.sim for c in out])
        if s.balance_languages and len(out):
            langs_a = np.array(langs)
            for g in np.unique(langs_a):
                m = langs_a == g
                lo, hi = sims[m].min(), sims[m].max()
                sims[m] = (sims[m] - lo) / (hi - lo) * s.sim_spread + (1 - s.sim_spread) if hi > lo else 1.0
        for c, sim in zip(out, sims):
            c.score += float(sim)
        out.sort(key=lambda c: -c.score)
        return out

    def answer(self, question: str, query: str, query_vec: np.ndarray, hits: list[Hit],
               snapshot: Snapshot, question_lang: str = "en") -> Answer:
        """Build the answer to ``question`` from ``hits`` (retrieved with ``query``)."""
        s = self.settings
        qtype = question_type(question)
        cands = self.candidates(query_vec, query, hits, snapshot, qtype)
        if not cands or max(c.sim for c in cands) < s.abstain_below:
            return abstain(question, hits, snapshot)
        if lacks_asked_amount(question, cands[: s.answer_type_window]):
            return abstain(question, hits, snapshot)
        chosen: list[_Cand] = []
        words = 0
        pool = list(cands)
        if qtype == "compare":
            pool = _interleave_by_doc(pool)
        for c in pool:
            if len(chosen) >= s.max_sentences:
                break
            if any(float(c.vec @ x.vec) > s.duplicate_above for x in chosen):
                continue
            # As rendered: the sentence, its [n], and a language label when it differs.
            w = len(c.text.split()) + 1 + (detect_language(c.text) != question_lang)
            if chosen and words + w > s.max_words:
                continue
            chosen.append(c)
            words += w
        ordered = _order(chosen, qtype)
        return compose(question, ordered, hits, snapshot, qtype, question_lang)


def _is_reference(sentence: str) -> bool:
    """Bibliography lines, URLs and e-mail addresses are not answers."""
    return bool(re.search(r"https?://|www\.|@|doi:|\bdoi\.org|\(\d{4}\)\.|Retrieved|Abgerufen", sentence))


# Text in a paper that talks to an AI assistant is never an answer (nor an instruction).
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+|your\s+)?(previous|prior|above|earlier|"
    r"preceding)\s+(instructions?|prompts?|messages?|directions?)|\bsystem prompt\b|"
    r"\byou are (now )?(an? )?(ai|assistant|language model|chatbot)\b",
    re.I,
)


def _is_heading(sentence: str) -> bool:
    """A heading or title line picked up as a sentence: no closing punctuation, not long."""
    return len(sentence.split()) < 40 and not sentence.rstrip().endswith(
        (".", "!", "?", '"', "”", ")", "'", ";", ":")
    )


_CUES = {
    "why": r"\b(because|due to|owing to|as a result|caused?|reasons?|lack of|insufficient|absence of|"
           r"failed|hinder|hamper|impede|obstacles?|barriers?|problems?|challenges?|constraints?|"
           r"karena|disebabkan|sebab|akibat|alasan|kendala|hambatan|faktor|kurang(nya)?|tidak adanya|"
           r"gagal|terhenti|terhambat|belum)\b",
    "when": r"\b(1[89]\d\d|20\d\d)\b",
    "who": r"\b(mayor|walikota|wali kota|minister|menteri|head of|kepala|selaku|signed|menandatangani|"
           r"[A-Z][a-z]+ [A-Z][a-z]+)\b",
    "howmany": r"\d",
    "list": r"(;|:|\b(namely|include|including|comprise|consist|such as|yaitu|yakni|antara lain|diantaranya|"
            r"meliputi|terdiri|berupa|adalah)\b|\d\)|\b[a-e]\))",
    "compare": r"\b(while|whereas|both|unlike|similar|sedangkan|sementara|keduanya|sama)\b",
}


_MONEY_QUESTION = re.compile(
    r"\b(how much (money|did it cost|does it cost|funding|budget)|cost|costs|budget|funding|"
    r"berapa (biaya|anggaran|dana|nilai)|biaya|anggaran|nilai dana)\b", re.I)
_AMOUNT = re.compile(
    r"(\bRp\.?\s?\d|rupiah|\bUSD\b|US\$|\$\s?\d|dollars?|\bwon\b|francs?|euros?|€|"
    r"\bjuta\b|\bmiliar\b|\bmillion\b|\bbillion\b|\btriliun\b)", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w-]+|[A-Z]{2,})\b")


def lacks_asked_amount(question: str, cands: list[_Cand]) -> bool:
    """A question about money whose best sentences name no amount (with the question's names).

    The papers answer "how much did X cost?" only with a sentence that gives an
    amount; when none of the best sentences does, the papers do not say.
    """
    if not _MONEY_QUESTION.search(question):
        return False
    names = {n.lower() for n in _NAME.findall(question)} - {"how", "what", "berapa", "i"}
    for c in cands:
        if _AMOUNT.search(c.text) and (not names or any(n in c.text.lower() for n in names)):
            return False
    return True


def cue_score(sentence: str, qtype: str) -> float:
    """1 when the sentence carries what its question type asks for (a cause, a date, a name …)."""
    pattern = _CUES.get(qtype)
    return 1.0 if pattern and re.search(pattern, sentence, flags=0 if qtype == "who" else re.I) else 0.0


def _interleave_by_doc(cands: list[_Cand]) -> list[_Cand]:
    """Alternate papers so a comparison hears from each side."""
    by_doc: dict[str, list[_Cand]] = {}
    for c in cands:
        by_doc.setdefault(c.doc_id, []).append(c)
    docs = sorted(by_doc, key=lambda d: -by_doc[d][0].score)[:3]
    out = []
    for i in range(max(len(v) for v in by_doc.values())):
        for d in docs:
            if i < len(by_doc[d]):
                out.append(by_doc[d][i])
    return out


def _order(chosen: list[_Cand], qtype: str) -> list[_Cand]:
    """Reading order: best paper first, each paper's sentences in their order."""
    if qtype in ("when", "who", "howmany"):
        pattern = {"when": r"\b(1[89]\d\d|20\d\d)\b", "who": r"\b[A-Z][a-z]+ [A-Z][a-z]+",
                   "howmany": r"\d"}[qtype]
        first = [c for c in chosen if re.search(pattern, c.text)][:1]
        rest = [c for c in chosen if c not in first]
        return first + _order(rest, "other")
    doc_rank: dict[str, int] = {}
    for c in chosen:
        doc_rank.setdefault(c.doc_id, len(doc_rank))
    return sorted(chosen, key=lambda c: (doc_rank[c.doc_id], c.start))


def compose(question: str, chosen: list[_Cand], hits: list[Hit], snapshot: Snapshot,
            qtype: str, question_lang: str) -> Answer:
    """Write the chosen sentences as Markdown, each followed by its [n]."""
    citations: list[Citation] = []
    lines: list[str] = []
    by_doc: dict[str, list[str]] = {}
    for c in chosen:
        meta = snapshot.paper_meta(c.doc_id)
        n = len(citations) + 1
        p = c.hit.passage
        citations.append(Citation(
            n=n, passage_id=p.passage_id, doc_id=c.doc_id, quote=c.text, start=c.start, end=c.end,
            title=meta["title"], section=p.section, page=p.page, year=meta.get("year"),
            language=meta.get("language", ""),
        ))
        body = " ".join(c.text.split())
        sentence_lang = detect_language(c.text)
        if sentence_lang != question_lang:
            body = f"_({'Indonesian' if sentence_lang == 'id' else 'English'})_ {body}"
        line = f"{body} [{n}]"
        by_doc.setdefault(c.doc_id, []).append(line)
        lines.append(line)
    if qtype == "compare" and len(by_doc) > 1:
        parts = []
        for doc_id, doc_lines in by_doc.items():
            title = snapshot.paper_meta(doc_id)["title"]
            parts.append(f"**{_short(title)}**\n" + "\n".join(f"- {x}" for x in doc_lines))
        text = "\n\n".join(parts)
    elif qtype == "list":
        text = "\n".join(f"- {x}" for x in lines)
    else:
        text = " ".join(lines)
    return Answer(question=question, text=text, citations=tuple(citations), hits=tuple(hits),
                  abstained=False)


def _short(title: str, n: int = 80) -> str:
    title = title.strip('"“”')
    return title if len(title) <= n else title[: n - 1].rsplit(" ", 1)[0] + "…"


def abstain(question: str, hits: list[Hit], snapshot: Snapshot) -> Answer:
    """The plain answer when the papers do not answer: say so, point at the nearest passages."""
    near = []
    for h in hits[:3]:
        title = _short(snapshot.paper_meta(h.passage.doc_id)["title"], 70)
        if title not in near:
            near.append(title)
    text = "The indexed papers do not answer this question."
    if near:
        text += " The nearest passages are from: " + "; ".join(f"“{t}”" for t in near) + "."
    return Answer(question=question, text=text, citations=(), hits=tuple(hits), abstained=True)
