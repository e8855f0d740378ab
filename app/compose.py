"""Compose an answer from chosen sentences: the direct answer first, shaped by the question's type.

factoid / when / who / how many: the sentence holding the asked fact first.
why: the causes, one per line. list: the items, one per line. compare: each side
under its own name, then anything else. A label line is never a quote and carries
no ``[n]``; every quoted sentence carries exactly one.
"""

from __future__ import annotations

from sisterqa.index.search import Hit
from sisterqa.index.store import Snapshot
from sisterqa.ingest.language import LANGUAGES

from .answer import MARKER, Answer, Citation
from .question import FACT_PATTERNS, Question
from .sentences import Candidate


def order(chosen: list[Candidate], q: Question) -> list[Candidate]:
    """Reading order: the fact first (when one is asked for), then best paper first, in text order."""
    if q.kind and q.qtype not in ("why", "list", "compare"):
        first = [c for c in chosen if FACT_PATTERNS[q.kind].search(c.text)][:1]
        rest = [c for c in chosen if c not in first]
        return first + order(rest, Question(q.text, q.lang, q.qtype, None, q.terms))
    if q.qtype in ("why", "list"):
        return list(chosen)  # best first: the strongest cause or item leads
    doc_rank: dict[str, int] = {}
    for c in chosen:
        doc_rank.setdefault(c.doc_id, len(doc_rank))
    best = chosen[:1]
    rest = sorted(chosen[1:], key=lambda c: (doc_rank[c.doc_id], c.start))
    return best + rest


def _citation(n: int, c: Candidate, snapshot: Snapshot) -> Citation:
    meta = snapshot.paper_meta(c.doc_id)
    p = c.hit.passage
    return Citation(
        n=n, passage_id=p.passage_id, doc_id=c.doc_id, quote=c.text, start=c.start, end=c.end,
        title=meta["title"], section=p.section, page=p.page, year=meta.get("year"),
        language=meta.get("language", ""),
    )


def _other_language(chosen: list[Candidate], question_lang: str) -> str | None:
    """The one language, other than the question's, that every quoted sentence is in (said once, before
    the answer), or None (each sentence in another language than the question's is labelled itself)."""
    langs = {c.lang for c in chosen}
    return next(iter(langs)) if len(langs) == 1 and question_lang not in langs else None


def _said_once(text: str, lang: str | None, lines: bool) -> str:
    """``text`` after the one label of the language all its quotes are in."""
    if lang is None or not text:
        return text
    return f"_(Quoted in {LANGUAGES.get(lang, lang)})_" + ("\n" if lines else " ") + text


def _line(c: Candidate, n: int, question_lang: str) -> str:
    """One quoted sentence and its marker; ``question_lang`` None: no language label (said once)."""
    body = " ".join(c.text.split())
    # A paper's own numbered reference ("METAFONT [6]") is not one of the answer's [n] markers.
    body = MARKER.sub(r"[ref. \1]", body)
    if question_lang is not None and c.lang != question_lang:
        body = f"_({LANGUAGES.get(c.lang, c.lang)})_ {body}"
    if c.about:  # the only evidence is about another partnership: say so
        body = f"_(on {c.about})_ {body}"
    return f"{body} [{n}]"


def compose(q: Question, chosen: list[Candidate], hits: list[Hit], snapshot: Snapshot,
            sides: list[tuple[str, set[str]]] | None = None) -> Answer:
    """Write the chosen sentences as Markdown, each followed by its [n]."""
    citations: list[Citation] = []
    once = _other_language(chosen, q.lang)
    lang = None if once else q.lang
    if q.qtype == "compare" and sides and len(sides) > 1:
        parts, used = [], set()
        groups = [(label, [c for c in chosen if c.doc_id in docs]) for label, docs in sides]
        rest = [c for c in chosen if not any(c.doc_id in docs for _, docs in sides)]
        if rest:
            groups.append(("Also", rest))
        for label, cs in groups:
            cs = [c for c in cs if id(c) not in used]
            if not cs:
                continue
            lines = []
            for c in sorted(cs, key=lambda c: (c.doc_id, c.start)):
                used.add(id(c))
                citations.append(_citation(len(citations) + 1, c, snapshot))
                lines.append(f"- {_line(c, len(citations), lang)}")
            parts.append(f"**{label}**\n" + "\n".join(lines))
        text = _said_once("\n\n".join(parts), once, True)
    else:
        lines = []
        for c in order(chosen, q):
            citations.append(_citation(len(citations) + 1, c, snapshot))
            lines.append(_line(c, len(citations), lang))
        listed = q.qtype in ("why", "list") and len(lines) > 1
        text = _said_once("\n".join(f"- {x}" for x in lines) if listed else " ".join(lines), once, listed)
    return Answer(question=q.text, text=text, citations=tuple(citations), hits=tuple(hits), abstained=False)


def compose_parts(q: Question, groups: list[tuple[str | None, Question, list[Candidate], str]], hits: list[Hit],
                  snapshot: Snapshot) -> Answer:
    """An answer in parts (``app.parts``): each group (label or None, its question, its sentences, a note
    when it has none) in turn; a labelled group is a bold label, then its sentences one a line; an
    unlabelled one is its sentences in reading order. A sentence is quoted once."""
    citations: list[Citation] = []
    seen: set[tuple[str, int]] = set()
    blocks = []
    once = _other_language([c for *_, cs, _ in groups for c in cs], q.lang)
    lang = None if once else q.lang
    for label, part_q, chosen, note in groups:
        lines = []
        for c in (order(chosen, part_q) if label is None else chosen):
            if (c.doc_id, c.start) in seen:
                continue
            seen.add((c.doc_id, c.start))
            citations.append(_citation(len(citations) + 1, c, snapshot))
            lines.append(_line(c, len(citations), lang))
        if label is None:
            if lines:
                blocks.append(" ".join(lines))
        elif lines or note:
            blocks.append(f"**{label}**\n" + ("\n".join(f"- {x}" for x in lines) if lines else f"_{note}_"))
    text = _said_once("\n\n".join(blocks), once, any(label for label, *_ in groups))
    return Answer(question=q.text, text=text, citations=tuple(citations), hits=tuple(hits), abstained=False)
