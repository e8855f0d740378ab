"""Core ingest types: a cleaned paper and the passages cut from it."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Paper:
    """One paper, cleaned. Every offset in sisterqa points into ``text``."""

    doc_id: str
    path: str  # relative to the corpus root's parent when possible
    title: str
    authors: tuple[str, ...]
    year: int | None
    language: str  # "en" or "id"
    sha256: str
    text: str
    sections: tuple[tuple[int, str], ...] = ()  # (start offset, heading path)
    pages: tuple[tuple[int, int], ...] = ()  # (start offset, page number); empty for text files
    venue: str | None = None
    # (start, end, kind) of each block of ``text``, in order (ingest.blocks: KINDS); () when unknown
    blocks: tuple[tuple[int, int, str], ...] = field(default=(), compare=False, hash=False, repr=False)
    # PDFs only: where each character of ``text`` is printed (ingest.pdf), the page count, reading warnings
    boxes: object = field(default=None, compare=False, hash=False, repr=False)
    page_count: int | None = field(default=None, compare=False, hash=False)
    warnings: tuple[str, ...] = field(default=(), compare=False, hash=False)

    def section_at(self, offset: int) -> str:
        """The heading path in force at ``offset`` ("" before the first heading)."""
        return _value_at(self.sections, offset, "")

    def page_at(self, offset: int) -> int | None:
        """The page number holding ``offset``, or None for papers without pages."""
        return _value_at(self.pages, offset, None)

    def kind_at(self, offset: int) -> str:
        """The kind of the block holding ``offset`` (ingest.blocks.KINDS; "prose" without blocks)."""
        from .blocks import kind_at

        return kind_at(self.blocks, offset)

    def meta(self) -> dict:
        """The paper's metadata without its text (what manifests and `docs` show)."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "authors": list(self.authors),
            "year": self.year,
            "language": self.language,
            "venue": self.venue,
            "path": self.path,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class Passage:
    """A span of a paper's cleaned text: the unit that is indexed and retrieved."""

    passage_id: str
    doc_id: str
    start: int
    end: int
    section: str
    page: int | None
    text: str
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict:
        return {
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "start": self.start,
            "end": self.end,
            "section": self.section,
            "page": self.page,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Passage":
        return cls(
            passage_id=d["passage_id"],
            doc_id=d["doc_id"],
            start=d["start"],
            end=d["end"],
            section=d.get("section", ""),
            page=d.get("page"),
            text=d["text"],
        )


def _value_at(starts: tuple[tuple[int, object], ...], offset: int, default):
    if not starts:
        return default
    i = bisect.bisect_right([s for s, _ in starts], offset) - 1
    return starts[i][1] if i >= 0 else default
