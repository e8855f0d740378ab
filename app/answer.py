"""Answers with citations: the types, the checks, and the extractive answerer.

Every answer's sentence is followed by its marker ``[n]`` and its citation
quotes it verbatim (``quote == paper.text[start:end]``), so a citation can
always be shown in its paper. The extractive answerer is in ``app.extract``
(choosing sentences) and ``app.compose`` (writing them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sisterqa.index.search import Hit
from sisterqa.index.store import Snapshot
from sisterqa.ingest.errors import SisterQAError
from sisterqa.ingest.normalize import normalize

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
    followup: bool = False  # earlier turns shaped this answer's retrieval (a follow-up, not a new topic)
    confidence: float | None = None  # P(right): for an answer, that its citations hold what was asked;
    # for an abstention, that the papers indeed do not answer (app.confidence)

    def to_json(self, snapshot: Snapshot | None = None) -> dict:
        d = {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_json(snapshot) for c in self.citations],
            "passages": [passage_json(h, snapshot) for h in self.hits],
            "timings_ms": {k: round(v, 2) for k, v in self.timings.items()},
            "mode": self.mode,
            "followup": self.followup,
        }
        if self.confidence is not None:
            d["confidence"] = round(float(self.confidence), 4)
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
        if normalize(c.quote) not in _normalized(snapshot, c.doc_id):
            raise CitationError(f"[{c.n}] quote not found in {c.doc_id}")


_NORMALIZED: dict = {}


def _normalized(snapshot: Snapshot, doc_id: str) -> str:
    """A paper's normalised text, computed once per index version (not once per citation)."""
    key = (str(snapshot.path), doc_id)
    if key not in _NORMALIZED:
        if len(_NORMALIZED) > 256:
            _NORMALIZED.clear()
        _NORMALIZED[key] = normalize(snapshot.paper_text(doc_id))
    return _NORMALIZED[key]


def content_terms(text: str) -> set[str]:
    """The words of ``text`` that carry meaning (for overlap scores)."""
    from .question import content_terms as terms

    return set(terms(text))


def short_title(title: str, n: int = 80) -> str:
    """A title cut at a word boundary, with an ellipsis when cut."""
    title = title.strip('"“”')
    return title if len(title) <= n else title[: n - 1].rsplit(" ", 1)[0] + "…"


_KIND_WORDS = {"amount": "the amount", "date": "the date or year", "count": "the number",
               "person": "who it was", "place": "the place"}


def abstain(question: str, hits: list[Hit], snapshot: Snapshot, kind: str | None = None) -> Answer:
    """The plain answer when the papers do not answer: say so, point at the nearest passages."""
    near = []
    for h in hits[:3]:
        title = short_title(snapshot.paper_meta(h.passage.doc_id)["title"], 70)
        if title not in near:
            near.append(title)
    text = (f"The indexed papers do not give {_KIND_WORDS[kind]} this question asks for." if kind
            else "The indexed papers do not answer this question.")
    if near:
        text += " The nearest passages are from: " + "; ".join(f"“{t}”" for t in near) + "."
    return Answer(question=question, text=text, citations=(), hits=tuple(hits), abstained=True)
