"""Answers written out for people: plain text for a terminal, Markdown with references, BibTeX.

``answer_markdown`` is what ``sisterqa ask --markdown`` prints and what the
chat's Download buttons save: the answer with its ``[n]`` markers, then a
numbered reference list (title, authors, year, venue, section, page, quote)
and the cited papers as BibTeX. ``bibtex`` is ``sisterqa docs --bibtex``.
Paper metadata is read from the index snapshot (``snapshot.paper_meta``), so
a metadata correction shows in every export at once.
"""

from __future__ import annotations

import re

from .confidence import words as confidence_words
from .references import authors_text, bibtex, bibtex_entry, bibtex_key, format_reference, tex  # noqa: F401

# ---------------------------------------------------------------- plain text

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__", re.S)
_EMPH = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])|(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")


def plain_text(markdown: str) -> str:
    """An answer's Markdown as the plain text it shows: ``_(Indonesian)_`` → ``(Indonesian)``,
    ``**title**`` → ``title``. List dashes, ``[n]`` markers and line breaks stay."""
    text = _BOLD.sub(lambda m: m.group(1) or m.group(2), markdown or "")
    return _EMPH.sub(lambda m: m.group(1) or m.group(2), text)


# ---------------------------------------------------------------- Markdown

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|$])")


def md_text(text: str) -> str:
    """Paper text as literal Markdown text (markup characters escaped, whitespace folded)."""
    return _MD_INLINE.sub(r"\\\1", " ".join(str(text or "").split()))


_BODY_SPECIAL = re.compile(r"([<>\[\]$])")
_MARKER = re.compile(r"\[(\d+)\](?!\()")


def body_markdown(text: str) -> str:
    """An answer's text for a Markdown file: its own markup (``**label**``, ``_(Indonesian)_``, ``- ``
    lists, ``[n]`` markers) kept, and everything a paper (or an LLM) put in it shown as text: raw HTML
    (``<script>``, ``<img onerror>``), link and image syntax (``[x](javascript:…)``, ``![t](http://…)``)
    and autolinks escaped, so a Markdown renderer with raw HTML on still shows the characters."""
    out = _MARKER.sub("\x02\\1\x03", (text or "").replace("\\", "\\\\"))
    out = _BODY_SPECIAL.sub(r"\\\1", out)
    return out.replace("\x02", "[").replace("\x03", "]")


def fenced(code: str, info: str = "") -> str:
    """``code`` in a code fence longer than any run of backticks inside it (a title holding ```
    cannot close the fence and let what follows it be rendered)."""
    runs = [len(m) for m in re.findall(r"`+", code)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{info}\n{code}{'' if code.endswith(chr(10)) else chr(10)}{fence}\n"


def reference_entry(c: dict, meta: dict) -> str:
    """One numbered reference: ``1. Surname, I. (2024). **Title**. Venue. Section: …, p. 3.`` then the quote.

    The reference itself is ``app.references.format_reference``, the one the chat's "Copy
    reference" shows, with paper text escaped as Markdown."""
    meta = dict(meta)
    if not meta.get("title"):
        meta["title"] = c.get("title") or c.get("doc_id") or "Untitled"
    bits = [format_reference(meta, escape=md_text)]
    where = ", ".join(x for x in (
        f"Section: {md_text(c['section'])}" if c.get("section") else "",
        f"p. {c['page']}" if c.get("page") else "",
    ) if x)
    if where:
        bits.append(where + ".")
    quote = md_text(c.get("quote", ""))
    return f"{c['n']}. " + " ".join(bits) + (f"\n   > “{quote}”" if quote else "")


def _citation_dicts(answer) -> list[dict]:
    return [
        {"n": c.n, "doc_id": c.doc_id, "title": c.title, "section": c.section, "page": c.page,
         "quote": c.quote}
        for c in answer.citations
    ]


def _meta(snapshot, doc_id: str) -> dict:
    try:
        return dict(snapshot.paper_meta(doc_id))
    except KeyError:
        return {"doc_id": doc_id}


def answer_markdown(answer, snapshot, heading: str = "References", level: int = 2,
                    with_question: bool = True, with_bibtex: bool = True) -> str:
    """One answer as a Markdown document: question, answer with ``[n]``, references, BibTeX."""
    h = "#" * level
    out = []
    if with_question:
        out.append(f"{h} {md_text(answer.question)}\n")
    conf = getattr(answer, "confidence", None)
    said = confidence_words(conf, bool(getattr(answer, "abstained", False)))
    out.append(f"_{md_text(said)}" + (f" (confidence {conf:.0%})" if conf is not None else "") + "._\n")
    out.append(body_markdown((answer.text or "").strip()) + "\n")
    if getattr(answer, "notice", None):
        out.append(f"_Note: {md_text(answer.notice)}_\n")
    cites = _citation_dicts(answer)
    if cites:
        out.append(f"{h}# {heading}\n")
        out.append("\n".join(reference_entry(c, _meta(snapshot, c["doc_id"])) for c in cites) + "\n")
        if with_bibtex:
            docs = list(dict.fromkeys(c["doc_id"] for c in cites))
            out.append(f"{h}# BibTeX\n")
            out.append(fenced(bibtex([_meta(snapshot, d) for d in docs]), "bibtex"))
    return "\n".join(out)


def conversation_markdown(answers: list, snapshot, title: str = "sisterqa conversation") -> str:
    """A whole chat: each question and answer with its own references, then one BibTeX list."""
    out = [f"# {md_text(title)}\n"]
    for a in answers:
        out.append(answer_markdown(a, snapshot, level=2, with_bibtex=False))
    docs = list(dict.fromkeys(c.doc_id for a in answers for c in a.citations))
    if docs:
        out.append("## BibTeX\n")
        out.append(fenced(bibtex([_meta(snapshot, d) for d in docs]), "bibtex"))
    return "\n".join(out)


__all__ = [
    "plain_text", "md_text", "reference_entry", "answer_markdown", "conversation_markdown",
    "bibtex", "bibtex_entry", "bibtex_key", "tex", "authors_text",
]
