"""A literature table: the same questions asked of every paper, side by side.

Each column is a question, each row a paper, and each cell the answerer's answer to that question
from that paper alone (``Engine.answer(question, doc_ids={paper}, max_sentences=2)``): one or two
of the paper's own sentences, each cited ``[n]`` and checked verbatim against its own row's paper
(``verify``), or ``stated: false`` with the one line "Not stated in this paper." when the answer
abstains (its calibrated confidence too low, ``app.confidence``). A cell quotes the paper as
written and marks its language once, at its start, when that is not the question's language.

``build_table`` is what ``sisterqa table``, the chat's Table page and ``eval/table.py`` call;
``Table.to_json`` is the contract's ``table --json``, ``to_csv`` and ``to_markdown`` the exports.
"""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from sisterqa.ingest.errors import SisterQAError
from sisterqa.ingest.language import LANGUAGES, detect_language

from .answer import MARKER, Answer, Citation, CitationError, verify

# The Table page's preset columns, in this order (ids as in eval/gold-table.jsonl).
PRESETS: tuple[tuple[str, str], ...] = (
    ("cities", "Which cities does the paper study?"),
    ("signed", "When was the cooperation agreement signed?"),
    ("fields", "In which fields do the cities cooperate?"),
    ("obstacles", "What obstacles did the cooperation face?"),
    ("method", "What research method does the study use?"),
    ("recommendations", "What does the paper recommend?"),
)
NOT_STATED = "Not stated in this paper."
CELL_SENTENCES = 2  # a cell is one or two sentences
MAX_COLUMNS = 20

Progress = Callable[[int, int, "Cell"], None]


class UnknownPaper(SisterQAError):
    """A paper id that is not in the index."""

    exit_code = 2


class BadTable(SisterQAError):
    """A table that cannot be built as asked (no questions, an empty question)."""

    exit_code = 2


@dataclass(frozen=True)
class Column:
    id: str  # c1, c2, … in the order given
    question: str


@dataclass(frozen=True)
class Cell:
    """One (paper, question): the cell's Markdown text with ``[n]`` markers and its citations."""

    doc_id: str
    column: str
    question: str
    stated: bool
    text: str
    citations: tuple[Citation, ...] = ()
    confidence: float | None = None
    languages: tuple[str, ...] = ()  # the languages of the quoted sentences, in order (en, id)
    ms: float = 0.0  # how long the answer took
    answer: Answer | None = field(default=None, repr=False, compare=False)  # the answerer's own

    def to_json(self, snapshot=None) -> dict:
        return {"column": self.column, "stated": self.stated, "answer": self.text,
                "citations": [c.to_json(snapshot) for c in self.citations]}

    def plain(self) -> str:
        """The cell's text without markers or markup: what the CSV holds, before its places."""
        from .export import plain_text

        return " ".join(MARKER.sub("", plain_text(self.text)).split())

    def places(self) -> list[str]:
        """Where its quotes are: ``p. 3`` for a page, else the section, each once, in order."""
        out: list[str] = []
        for c in self.citations:
            where = f"p. {c.page}" if c.page else (" ".join(c.section.split()) or "before the first heading")
            if where not in out:
                out.append(where)
        return out


@dataclass(frozen=True)
class Row:
    doc_id: str
    title: str
    year: int | None
    language: str
    cells: tuple[Cell, ...]


@dataclass
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    seconds: float = 0.0
    snapshot: object = field(default=None, repr=False)

    def cell(self, doc_id: str, column: str) -> Cell:
        row = next(r for r in self.rows if r.doc_id == doc_id)
        return next(c for c in row.cells if c.column == column)

    @property
    def cells(self) -> list[Cell]:
        return [c for r in self.rows for c in r.cells]

    def to_json(self) -> dict:
        """The contract's ``table --json``."""
        return {
            "columns": [{"id": c.id, "question": c.question} for c in self.columns],
            "rows": [{"doc_id": r.doc_id, "title": r.title, "year": r.year,
                      "cells": [c.to_json(self.snapshot) for c in r.cells]} for r in self.rows],
        }

    def to_csv(self) -> str:
        """One line per paper (after a header), a column per question: each cell's text without
        markers, then its quotes' pages or sections in brackets."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow([_csv_safe(x) for x in ("doc_id", "title", "year", *(c.question for c in self.columns))])
        for r in self.rows:
            w.writerow([_csv_safe(x) for x in (r.doc_id, r.title, r.year or "", *(_csv_cell(c) for c in r.cells))])
        return out.getvalue()

    def to_markdown(self, title: str = "Literature table", bibtex: bool = True) -> str:
        """The table in Markdown (``[n]`` numbered through the whole table), then the numbered
        references (title, authors, year, venue, section, page, quote) and the papers as BibTeX."""
        from .export import bibtex as bibtex_entries
        from .export import fenced, md_text, reference_entry

        refs: list[tuple[int, Citation]] = []
        seen: dict[tuple, int] = {}
        lines = [f"# {md_text(title)}\n",
                 "| Paper | " + " | ".join(md_text(c.question) for c in self.columns) + " |",
                 "| --- |" + " --- |" * len(self.columns)]
        for r in self.rows:
            bits = [str(r.year or "n.d."), LANGUAGES.get(r.language, r.language)]
            paper = f"**{md_text(r.title)}** ({', '.join(b for b in bits if b)})"
            cells = []
            for c in r.cells:
                numbers = {}
                for cit in c.citations:  # a quote cited in several cells keeps one number
                    key = (cit.doc_id, cit.start, cit.end)
                    if key not in seen:
                        refs.append((len(refs) + 1, cit))
                        seen[key] = len(refs)
                    numbers[cit.n] = seen[key]
                cells.append(_md_cell(c, numbers))
            lines.append(f"| {paper} | " + " | ".join(cells) + " |")
        out = ["\n".join(lines) + "\n"]
        if refs:
            out.append("## References\n")
            out.append("\n".join(reference_entry(
                {"n": n, "doc_id": c.doc_id, "title": c.title, "section": c.section, "page": c.page,
                 "quote": c.quote}, _meta(self.snapshot, c.doc_id)) for n, c in refs) + "\n")
        if bibtex and self.rows:
            out.append("## BibTeX\n")
            out.append(fenced(bibtex_entries([_meta(self.snapshot, r.doc_id) for r in self.rows]), "bibtex"))
        return "\n".join(out)


def _csv_safe(value) -> str:
    """A CSV field a spreadsheet shows as text: one starting like a formula (``=``, ``+``, ``-``, ``@``)
    gets a leading ``'`` (a paper's list item "- a) …" is not a formula to run)."""
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_cell(c: Cell) -> str:
    text = c.plain()
    places = c.places()
    return f"{text} [{'; '.join(places)}]" if places else text


def _md_cell(c: Cell, numbers: dict[int, int]) -> str:
    """A cell's text for a Markdown table: paper text escaped, markers renumbered, one line."""
    from .export import md_text

    text = c.text
    mark = ""
    m = _LEAD_MARK.match(text)
    if m:
        mark, text = m.group(0).strip() + " ", text[m.end():]
    held = MARKER.sub(lambda n: f"\x00{numbers.get(int(n.group(1)), n.group(1))}\x01", text)
    return mark + re.sub("\x00(\\d+)\x01", r"[\1]", md_text(held))


def _meta(snapshot, doc_id: str) -> dict:
    try:
        return dict(snapshot.paper_meta(doc_id))
    except (KeyError, AttributeError):
        return {"doc_id": doc_id}


# ---------------------------------------------------------------- one cell

_LANG_MARK = re.compile(r"_\((?:Quoted in )?(?:Indonesian|English)\)_\s*")
_LEAD_MARK = re.compile(r"_\([A-Z][a-z]+(?: and [A-Z][a-z]+)?\)_\s+")


def language_mark(langs: Iterable[str], question_lang: str) -> str:
    """The one marker a cell carries: ``_(Indonesian)_`` when it quotes another language than the
    question's (``_(Indonesian and English)_`` when it quotes both), else nothing."""
    langs = list(dict.fromkeys(langs))
    if not langs or set(langs) == {question_lang}:
        return ""
    return "_(" + " and ".join(LANGUAGES.get(x, x) for x in langs) + ")_ "


def cell_from_answer(answer: Answer, doc_id: str, column: str, snapshot) -> Cell:
    """A table cell from ``answer`` (asked of ``doc_id`` alone): its sentences on one line, the
    language marked once, each citation checked to quote this paper verbatim."""
    confidence = answer.confidence
    if answer.abstained or not answer.citations:
        return Cell(doc_id, column, answer.question, False, NOT_STATED, (), confidence,
                    ms=answer.timings.get("total", 0.0), answer=answer)
    for c in answer.citations:
        if c.doc_id != doc_id:  # a paper filter bounds what an answer may quote: never hidden
            raise CitationError(f"[{c.n}] of a cell of {doc_id} quotes another paper, {c.doc_id}")
    lines = [re.sub(r"^\s*[-*]\s+", "", x).strip() for x in answer.text.splitlines()]
    text = " ".join(_LANG_MARK.sub("", " ".join(x for x in lines if x)).split())
    langs: tuple[str, ...] = ()
    if answer.mode == "extractive":  # quotes as written: say their language once
        langs = tuple(dict.fromkeys(detect_language(c.quote) for c in answer.citations))
        text = language_mark(langs, detect_language(answer.question)) + text
    verify(replace(answer, text=text), snapshot)
    return Cell(doc_id, column, answer.question, True, text, tuple(answer.citations), confidence, langs,
                ms=answer.timings.get("total", 0.0), answer=answer)


def cell_context(snapshot, doc_id: str) -> str | None:
    """What every cell of a row is about: its paper's title, carried into the cell's question as an
    earlier turn it leans on (``Engine.answer(about=…)``), so that "the paper", "the cities" or "the
    cooperation" of a column's question are the row's own."""
    title = " ".join(str(snapshot.paper_meta(doc_id).get("title") or "").split())
    return title or None


def answer_cell(engine, question: str, doc_id: str, column: str = "c1", max_sentences: int = CELL_SENTENCES,
                mode: str | None = "extractive") -> Cell:
    """One cell: ``question`` asked of ``doc_id`` alone, after its title (``cell_context``)."""
    answer = engine.answer(question, (), doc_ids={doc_id}, mode=mode, max_sentences=max_sentences,
                           about=cell_context(engine.snapshot, doc_id))
    return cell_from_answer(answer, doc_id, column, engine.snapshot)


# ---------------------------------------------------------------- the table


def columns_of(questions: Iterable[str]) -> tuple[Column, ...]:
    """The columns for ``questions`` (ids c1, c2, … in order); a one-line error when there are none
    or one is empty."""
    qs = [" ".join(str(q or "").split()) for q in questions]
    if not qs:
        raise BadTable("no questions: give at least one question, one per column")
    for i, q in enumerate(qs, 1):
        if not any(ch.isalnum() for ch in q):
            raise BadTable(f"the question of column {i} is empty; every column needs a question")
    if len(qs) > MAX_COLUMNS:
        raise BadTable(f"{len(qs)} questions: a table has at most {MAX_COLUMNS} columns")
    return tuple(Column(f"c{i}", q) for i, q in enumerate(qs, 1))


def papers_of(snapshot, doc_ids: Iterable[str] | None = None) -> list[dict]:
    """The rows' papers: all indexed papers in index order, or ``doc_ids`` in the order given."""
    papers = list(snapshot.papers)
    if doc_ids is None:
        return papers
    by_id = {p["doc_id"]: p for p in papers}
    chosen = list(dict.fromkeys(doc_ids))
    unknown = [d for d in chosen if d not in by_id]
    if unknown:
        raise UnknownPaper(f"unknown paper id {unknown[0]!r}; `sisterqa docs` lists the papers' ids")
    return [by_id[d] for d in chosen]


def build_table(engine, questions: Iterable[str], doc_ids: Iterable[str] | None = None,
                progress: Progress | None = None, max_sentences: int = CELL_SENTENCES,
                mode: str | None = "extractive", cache: dict | None = None) -> Table:
    """Ask every question of every paper (``doc_ids``, or all indexed papers): one row per paper.

    ``progress(done, total, cell)`` is called after each cell. ``cache``: a dict that keeps cells
    between calls (keyed by index version, paper, question and length), so a table that gains a
    column computes only that column. ``mode``: the answerer (extractive by default: the papers' own
    sentences; ``None`` lets an LLM write them when one is configured).
    """
    t0 = time.perf_counter()
    columns = columns_of(questions)
    snapshot = engine.snapshot
    papers = papers_of(snapshot, doc_ids)
    total, done = len(papers) * len(columns), 0
    rows = []
    for p in papers:
        cells = []
        for col in columns:
            key = (str(snapshot.path), p["doc_id"], col.question, max_sentences, mode)
            cell = cache.get(key) if cache is not None else None
            if cell is None:
                cell = answer_cell(engine, col.question, p["doc_id"], col.id, max_sentences, mode)
                if cache is not None:
                    cache[key] = cell
            cell = replace(cell, column=col.id)
            cells.append(cell)
            done += 1
            if progress is not None:
                progress(done, total, cell)
        rows.append(Row(p["doc_id"], p.get("title") or p["doc_id"], p.get("year"), p.get("language", ""),
                        tuple(cells)))
    return Table(columns, tuple(rows), time.perf_counter() - t0, snapshot)


__all__ = ["PRESETS", "NOT_STATED", "CELL_SENTENCES", "Column", "Cell", "Row", "Table", "build_table",
           "answer_cell", "cell_from_answer", "columns_of", "papers_of", "language_mark", "UnknownPaper",
           "BadTable"]
