"""Cut a paper into passages with langchain-text-splitters, keeping offsets."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .paper import Paper, Passage

MAX_PASSAGE_CHARS = 1600  # the contract's limit on a passage's text


@dataclass(frozen=True)
class ChunkSettings:
    """How papers are cut into passages; stored in the index manifest."""

    size: int = 1100
    overlap: int = 200
    min_section: int = 300  # shorter sections are merged into the next one
    min_chunk: int = 200  # shorter pieces (a lone heading) are merged into a neighbour

    def to_dict(self) -> dict:
        return asdict(self)

    def __post_init__(self):
        if not 100 <= self.size <= MAX_PASSAGE_CHARS:
            raise ValueError(f"chunk size must be 100..{MAX_PASSAGE_CHARS}, got {self.size}")
        if not 0 <= self.overlap < self.size:
            raise ValueError(f"chunk overlap must be 0..size-1, got {self.overlap}")


def _splitter(settings: ChunkSettings):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=settings.size,
        chunk_overlap=settings.overlap,
        separators=["\n\n", "\n", r"(?<=[.!?])\s+", r"(?<=[;,])\s+", " ", ""],
        is_separator_regex=True,
        keep_separator="end",
        strip_whitespace=True,
    )


def section_spans(paper: Paper, min_section: int) -> list[tuple[int, int]]:
    """Top-level stretches of the paper, short ones merged into the next."""
    starts = sorted({0, *(s for s, title in paper.sections if " › " not in title)})
    bounds = [*starts, len(paper.text)]
    spans = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
    merged: list[tuple[int, int]] = []
    pending = None
    for a, b in spans:
        if pending is not None:
            a = pending
            pending = None
        if b - a < min_section and (a, b) != spans[-1]:
            pending = a
            continue
        merged.append((a, b))
    if pending is not None:
        merged.append((pending, len(paper.text)))
    return merged


def chunk_paper(paper: Paper, settings: ChunkSettings = ChunkSettings()) -> list[Passage]:
    """Split ``paper.text`` into passages of about ``settings.size`` characters.

    Chunks do not cross top-level sections. Each passage carries its doc_id,
    section, page and offsets, so ``paper.text[p.start:p.end] == p.text``.
    """
    splitter = _splitter(settings)
    spans: list[tuple[int, int]] = []
    for a, b in section_spans(paper, settings.min_section):
        spans.extend(_merge_small(_piece_spans(paper.text, a, b, splitter, settings), settings))
    passages: list[Passage] = []
    for start, end in spans:
        section_offset = start
        # A chunk that begins just before a heading belongs to that heading.
        head = paper.text.find("\n", start, min(end, start + 200))
        if head >= 0 and paper.section_at(head + 1) != paper.section_at(start):
            section_offset = head + 1
        passages.append(
            Passage(
                passage_id=f"{paper.doc_id}#{len(passages):04d}",
                doc_id=paper.doc_id,
                start=start,
                end=end,
                section=paper.section_at(section_offset),
                page=paper.page_at(start),
                text=paper.text[start:end],
            )
        )
    return passages


def _piece_spans(text: str, a: int, b: int, splitter, settings: ChunkSettings) -> list[tuple[int, int]]:
    """Offsets of the splitter's pieces of ``text[a:b]``."""
    segment = text[a:b]
    out = []
    cursor = 0
    for piece in splitter.split_text(segment):
        at = segment.find(piece, max(0, cursor - settings.overlap - len(piece)))
        if at < 0:
            at = segment.find(piece)
        if at < 0:  # the splitter never changes text; this would be a bug
            raise AssertionError(f"chunk not found in section at offset {a}")
        cursor = at + len(piece)
        out.append((a + at, a + at + len(piece)))
    return out


def _merge_small(spans: list[tuple[int, int]], settings: ChunkSettings) -> list[tuple[int, int]]:
    """Merge pieces shorter than ``min_chunk`` into the next (or previous) piece."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        start, end = spans[i]
        if end - start < settings.min_chunk:
            if i + 1 < len(spans) and spans[i + 1][1] - start <= MAX_PASSAGE_CHARS:
                spans[i + 1] = (start, spans[i + 1][1])
                i += 1
                continue
            if out and end - out[-1][0] <= MAX_PASSAGE_CHARS:
                out[-1] = (out[-1][0], end)
                i += 1
                continue
        out.append((start, end))
        i += 1
    return out
