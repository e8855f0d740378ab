"""Rendering for the Streamlit UI (app/ui.py, app/views/): text as text, and the view models.

Everything that turns paper text into something shown on screen goes through
here, and paper text is always treated as text: ``html_*`` helpers escape it
before adding their own markup, ``md_escape`` backslash-escapes Markdown.
``citation_views`` and ``hit_views`` capture what a turn shows of its
citations and passages. Nothing here changes the library: uploads, "Update
the index", metadata corrections, replacing and removing papers are
``app.library``; references and BibTeX are ``app.references``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable

from sisterqa.ingest.errors import public_error  # noqa: F401 - the UI's one wording of errors
from sisterqa.ingest.language import LANGUAGES
from sisterqa.ingest.validtext import shown_text

from .answer import short_title
from .references import format_reference

# ---------------------------------------------------------------- text as text

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:^=&\"'])")


def md_escape(text: str) -> str:
    """``text`` as literal Markdown: every markup character backslash-escaped.

    Raw HTML (``<script>``) then shows as its characters, ``$`` does not start
    a formula and ``*`` does not start emphasis. Control characters (a NUL in an
    uploaded file's name) and lone surrogates are shown as ``�``.
    """
    return _MD_SPECIAL.sub(r"\\\1", shown_text(text or ""))




def cite_anchor(turn: int, n: int) -> str:
    """The HTML id of citation ``n``'s card in chat turn ``turn`` (what an inline ``[n]`` links to)."""
    return f"sq-cite-{turn}-{n}"


def answer_markdown(text: str, quotes: Iterable[str] = (), turn: int | None = None) -> str:
    """An answer's Markdown with the paper sentences it quotes escaped.

    The answerer's own markup (``**title**``, ``- `` lists, ``_(Indonesian)_``,
    the ``[n]`` markers) stays; any quoted paper text inside it is shown as
    text. ``$`` and ``<``/``>`` are escaped everywhere (answers hold neither
    formulas nor HTML). Each ``[n]`` marker is shown bold and blue; with
    ``turn``, it is a link to its citation's card (``#sq-cite-<turn>-<n>``).
    """
    out = text or ""
    for q in sorted({" ".join(q.split()) for q in quotes if q and q.strip()}, key=len, reverse=True):
        if q in out:
            out = out.replace(q, "\x00" + md_escape(q) + "\x01")
    # outside the escaped quotes: escape raw HTML, dollar signs and link or image brackets (a title in
    # a comparison's heading is text: ``![t](http://…)`` must not fetch anything, ``[x](javascript:…)``
    # must not be a link); the ``[n]`` markers stay
    parts = re.split(r"(\x00[^\x01]*\x01)", out)
    fixed = []
    for part in parts:
        if part.startswith("\x00"):
            fixed.append(part[1:-1])
        else:
            part = re.sub(r"\[(\d+)\](?!\()", "\x02\\1\x03", shown_text(part).replace("\\", "\\\\"))
            part = re.sub(r"([$<>\[\]])", r"\\\1", part)
            fixed.append(part.replace("\x02", "[").replace("\x03", "]"))
    marker = (r":blue[**[\1]**]" if turn is None
              else r"[**\[\1\]**](#sq-cite-" + str(int(turn)) + r"-\1)")
    return re.sub(r"(?<![\\\w])\[(\d+)\](?!\()", marker, "".join(fixed))


_LANG_LABEL = re.compile(r"_\((English|Indonesian)\)_ ?")


def one_language(text: str) -> tuple[str, str | None]:
    """An answer whose quotes are all in one language other than the question's carries that language's
    label once, before it (``app.compose``): the text without it, and the language (said by the UI in
    words); otherwise the text as it is and None."""
    m = re.match(r"_\(Quoted in (English|Indonesian)\)_[ \n]", text or "")
    return (text[m.end():], m.group(1)) if m else (text, None)


def html_text(text: str) -> str:
    """Paper text as HTML text (escaped)."""
    return html.escape(text or "", quote=True)


def html_highlight(text: str, regions: list[tuple[int, int, str]]) -> str:
    """``text`` escaped, with each (start, end, css class) region wrapped in a tag.

    A region with class ``"quote"`` becomes ``<mark>``, any other a
    ``<span class=…>``. Regions may nest (a quote inside its passage) but must
    not cross; crossing regions are clipped to their parent.
    """
    n = len(text)
    regions = sorted(
        ((max(0, min(a, n)), max(0, min(b, n)), c) for a, b, c in regions if b > a),
        key=lambda r: (r[0], -r[1]),
    )
    out: list[str] = []
    pos = 0
    stack: list[tuple[int, str]] = []  # (end, closing tag)

    def close_until(limit: int):
        nonlocal pos
        while stack and stack[-1][0] <= limit:
            end, tag = stack.pop()
            out.append(html_text(text[pos:end]))
            out.append(tag)
            pos = end

    for a, b, cls in regions:
        close_until(a)
        if stack:
            b = min(b, stack[-1][0])
        if b <= a or a < pos:
            continue
        out.append(html_text(text[pos:a]))
        pos = a
        if cls == "quote":
            out.append("<mark>")
            stack.append((b, "</mark>"))
        else:
            out.append(f'<span class="{html_text(cls)}">')
            stack.append((b, "</span>"))
    close_until(n)
    out.append(html_text(text[pos:]))
    return "".join(out)


def size_text(n_bytes: int) -> str:
    """A size limit in the words ingest's error uses: ``52428800`` → ``50 MB``."""
    from sisterqa.ingest.load import _size

    return _size(n_bytes)


def filter_label(paper: dict, n: int = 64) -> str:
    """A paper in the paper filter: its title cut with an ellipsis, then its year or first author.

    Short enough to fit the sidebar's list; the year (or the author) tells
    apart papers whose titles start alike.
    """
    tail = paper.get("year") or next(iter(paper.get("authors") or []), "") or ""
    tail = str(tail).split()[-1] if tail else ""
    return shorten(paper.get("title") or paper.get("doc_id", ""), n) + (f" ({tail})" if tail else "")


def shorten(title: str, n: int = 90) -> str:
    """A title on one line, cut at a word boundary to at most ``n`` characters (``answer.short_title``)."""
    return short_title(" ".join((title or "").split()), n)


# ---------------------------------------------------------------- citations in context


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of ``text``'s paragraphs (separated by blank lines)."""
    spans = []
    for m in re.finditer(r"[^\n](?:.|\n(?!\s*\n))*", text):
        a, b = m.start(), m.end()
        if text[a:b].strip():
            spans.append((a, b))
    return spans


def context_window(text: str, start: int, end: int, before: int = 0, after: int = 2) -> tuple[int, int]:
    """The span from ``before`` paragraphs before the one holding ``start`` to ``after`` paragraphs
    after the one holding ``end``. The page view starts at the quote's own paragraph (``before`` 0),
    so that the highlight is at the top of what opens, not paragraphs below it."""
    spans = paragraph_spans(text)
    if not spans:
        return 0, len(text)
    first = next((i for i, (a, b) in enumerate(spans) if b > start), len(spans) - 1)
    last = next((i for i in range(len(spans) - 1, -1, -1) if spans[i][0] < end), first)
    lo = max(0, min(first, last) - before)
    hi = min(len(spans) - 1, max(first, last) + after)
    return spans[lo][0], spans[hi][1]


def snippet_window(start: int, end: int, q_start: int, q_end: int, text: str, pad: int = 200) -> tuple[int, int]:
    """Part of a passage (start..end) around its quote, cut at word boundaries."""
    a = max(start, q_start - pad)
    b = min(end, q_end + pad)
    if a > start:
        sp = text.find(" ", a, q_start)
        a = sp + 1 if sp != -1 else a
    if b < end:
        sp = text.rfind(" ", q_end, b)
        b = sp if sp != -1 else b
    return a, b


@dataclass(frozen=True)
class CitationView:
    """Everything the UI shows for one ``[n]``, captured when the answer was made."""

    n: int
    doc_id: str
    title: str
    year: int | None
    language: str
    section: str
    page: int | None
    quote: str
    snippet_html: str  # the quote highlighted inside (part of) its passage
    context_html: str  # the passage in its surrounding paragraphs, quote highlighted
    context_note: str  # e.g. "paragraphs 12–16 of 40"
    reference: str


@dataclass(frozen=True)
class HitView:
    """A retrieved passage as 'Why these passages' shows it."""

    rank: int
    doc_id: str
    title: str
    section: str
    page: int | None
    scores: dict
    text_html: str
    cited: tuple[int, ...] = ()


def citation_views(answer, snapshot) -> list[CitationView]:
    """The citations of ``answer`` with their passages and context, read from ``snapshot``."""
    passages = {h.passage.passage_id: h.passage for h in answer.hits}
    out = []
    for c in answer.citations:
        meta = _meta(snapshot, c.doc_id)
        text = snapshot.paper_text(c.doc_id)
        q_start, q_end = c.start, c.end
        if text[q_start:q_end] != c.quote:  # the paper changed under the answer: find the quote
            i = text.find(c.quote)
            q_start, q_end = (i, i + len(c.quote)) if i >= 0 else (0, 0)
        p = passages.get(c.passage_id)
        if p is not None and p.start <= q_start and q_end <= p.end:
            p_start, p_end = p.start, p.end
        else:
            p_start, p_end = q_start, q_end
        a, b = snippet_window(p_start, p_end, q_start, q_end, text)
        snippet = (
            ("… " if a > p_start else "")
            + html_highlight(text[a:b], [(q_start - a, q_end - a, "quote")])
            + (" …" if b < p_end else "")
        )
        snippet = re.sub(r"\n[ \t]*\n\s*", "\n", snippet.strip())  # no blank lines in a snippet
        # From the quote's paragraph (the passage may start earlier) to two paragraphs past the passage.
        ca, cb = context_window(text, q_start if q_end > q_start else p_start, max(p_end, q_end))
        context = html_highlight(
            text[ca:cb], [(p_start - ca, p_end - ca, "passage"), (q_start - ca, q_end - ca, "quote")]
        )
        paras = paragraph_spans(text)
        idx = [i for i, (x, y) in enumerate(paras) if y > ca and x < cb]
        note = (f"paragraphs {idx[0] + 1}–{idx[-1] + 1} of {len(paras)}" if idx else "")
        if q_end <= q_start:
            note = "the paper changed since this answer; the quote is no longer in it"
        out.append(CitationView(
            n=c.n, doc_id=c.doc_id, title=c.title or meta.get("title", c.doc_id),
            year=c.year if c.year is not None else meta.get("year"),
            language=c.language or meta.get("language", ""), section=c.section, page=c.page,
            quote=c.quote, snippet_html=snippet, context_html=context, context_note=note,
            reference=format_reference(meta or {"title": c.title}),
        ))
    return out


def hit_views(answer, snapshot, max_chars: int = 450) -> list[HitView]:
    """The retrieved passages of ``answer`` with their scores and which citations use them."""
    cited: dict[str, list[int]] = {}
    for c in answer.citations:
        cited.setdefault(c.passage_id, []).append(c.n)
    out = []
    for h in answer.hits:
        p = h.passage
        text = " ".join(p.text.split())
        if len(text) > max_chars:
            text = text[:max_chars].rsplit(" ", 1)[0] + " …"
        out.append(HitView(
            rank=h.rank, doc_id=p.doc_id, title=_meta(snapshot, p.doc_id).get("title", p.doc_id),
            section=p.section, page=p.page, scores=dict(h.scores), text_html=html_text(text),
            cited=tuple(cited.get(p.passage_id, ())),
        ))
    return out


def _meta(snapshot, doc_id: str) -> dict:
    try:
        return snapshot.paper_meta(doc_id)
    except KeyError:
        return {}


def format_scores(scores: dict) -> str:
    """``dense 0.842 · bm25 12.1 · fused 0.033`` (missing signals as —)."""
    keys = ["dense", "bm25", "fused"] + sorted(k for k in scores if k not in ("dense", "bm25", "fused"))
    parts = []
    for k in keys:
        if k not in scores and k in ("bm25",):
            continue
        v = scores.get(k)
        parts.append(f"{k} {v:.3f}" if isinstance(v, (int, float)) else f"{k} —")
    return " · ".join(parts)


def shown_question(question: str, limit: int) -> str:
    """A question as its bubble shows it: cut where the answerer cut it (its first ``limit``
    characters, at a word), with an ellipsis, so the bubble and the note agree."""
    question = question or ""
    if len(question) <= limit:
        return question
    return question[:limit].rsplit(" ", 1)[0] + " …"


def language_name(code: str | None) -> str:
    """``id`` → ``Indonesian``; an unknown code as it is, none as ``?``."""
    return LANGUAGES.get(code or "", code or "?")


def where(section: str, page: int | None) -> str:
    """``Section › Sub, p. 3`` (either part may be missing)."""
    return ", ".join(x for x in (section, f"p. {page}" if page else "") if x)


__all__ = [
    "md_escape", "answer_markdown", "html_text", "html_highlight", "shorten", "paragraph_spans",
    "context_window", "snippet_window", "CitationView", "HitView", "citation_views", "hit_views",
    "format_scores", "where", "size_text", "cite_anchor", "filter_label", "language_name", "LANGUAGES",
    "one_language", "shown_question",
]
