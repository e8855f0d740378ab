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
import unicodedata
from typing import Iterable

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


def authors_text(authors: Iterable[str]) -> str:
    names = [" ".join(str(a).split()) for a in (authors or []) if a and str(a).strip()]
    if len(names) > 2:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return " and ".join(names)


def reference_entry(c: dict, meta: dict) -> str:
    """One numbered reference: ``1. Title. Authors (2024). Venue. Section, p. 3.`` then the quote."""
    title = " ".join(str(meta.get("title") or c.get("title") or c.get("doc_id") or "Untitled").split())
    bits = [f"**{md_text(title.rstrip('.'))}**."]
    who = authors_text(meta.get("authors") or [])
    year = meta.get("year")
    if who:
        bits.append(f"{md_text(who)} ({year or 'n.d.'}).")
    else:
        bits.append(f"({year or 'n.d.'}).")
    if meta.get("venue"):
        bits.append(md_text(str(meta["venue"]).rstrip(".")) + ".")
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
    out.append((answer.text or "").strip() + "\n")
    if getattr(answer, "notice", None):
        out.append(f"_Note: {md_text(answer.notice)}_\n")
    cites = _citation_dicts(answer)
    if cites:
        out.append(f"{h}# {heading}\n")
        out.append("\n".join(reference_entry(c, _meta(snapshot, c["doc_id"])) for c in cites) + "\n")
        if with_bibtex:
            docs = list(dict.fromkeys(c["doc_id"] for c in cites))
            out.append(f"{h}# BibTeX\n")
            out.append("```bibtex\n" + bibtex([_meta(snapshot, d) for d in docs]) + "```\n")
    return "\n".join(out)


def conversation_markdown(answers: list, snapshot, title: str = "sisterqa conversation") -> str:
    """A whole chat: each question and answer with its own references, then one BibTeX list."""
    out = [f"# {md_text(title)}\n"]
    for a in answers:
        out.append(answer_markdown(a, snapshot, level=2, with_bibtex=False))
    docs = list(dict.fromkeys(c.doc_id for a in answers for c in a.citations))
    if docs:
        out.append("## BibTeX\n")
        out.append("```bibtex\n" + bibtex([_meta(snapshot, d) for d in docs]) + "```\n")
    return "\n".join(out)


# ---------------------------------------------------------------- BibTeX

_TEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
LANGUAGE_NAMES = {"en": "english", "id": "indonesian"}


def tex(text) -> str:
    """A field value for BibTeX: LaTeX specials escaped, whitespace folded."""
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in " ".join(str(text).split()))


def _ascii_word(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


_KEY_SKIP = {"the", "a", "an", "of", "on", "and", "in"}


def bibtex_key(meta: dict) -> str:
    """``surname2024word``: the first author's last name, the year, the title's first real word
    (``word2024`` without authors)."""
    authors = [a for a in (meta.get("authors") or []) if a and str(a).strip()]
    who = _ascii_word(str(authors[0]).split()[-1]) if authors else ""
    words = [_ascii_word(w) for w in str(meta.get("title") or "").split()]
    word = next((w for w in words if w and w not in _KEY_SKIP), "")
    key = f"{who}{meta.get('year') or ''}{word}" if who else f"{word}{meta.get('year') or ''}"
    return key or _ascii_word(meta.get("doc_id") or "paper") or "paper"


def bibtex_entry(meta: dict, key: str | None = None) -> str:
    """One ``@article`` entry; fields the paper lacks are left out."""
    fields = []
    if meta.get("title"):
        fields.append(("title", "{" + tex(meta["title"]) + "}"))  # double braces keep its case
    authors = [" ".join(str(a).split()) for a in (meta.get("authors") or []) if a and str(a).strip()]
    if authors:
        fields.append(("author", " and ".join(tex(a) for a in authors)))
    if meta.get("year"):
        fields.append(("year", str(meta["year"])))
    if meta.get("venue"):
        fields.append(("journal", tex(meta["venue"])))
    if meta.get("language"):
        fields.append(("language", LANGUAGE_NAMES.get(meta["language"], tex(meta["language"]))))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@article{{{key or bibtex_key(meta)},\n{body}\n}}\n"


def bibtex(papers: Iterable[dict]) -> str:
    """BibTeX entries for ``papers`` (metadata dicts), with unique keys (``…a``, ``…b`` on a clash)."""
    out, used = [], set()
    for meta in papers:
        base = bibtex_key(meta)
        key, i = base, 0
        while key in used:
            key = base + "abcdefghijklmnopqrstuvwxyz"[i % 26] * (1 + i // 26)
            i += 1
        used.add(key)
        out.append(bibtex_entry(meta, key))
    return "\n".join(out)


__all__ = [
    "plain_text", "md_text", "reference_entry", "answer_markdown", "conversation_markdown",
    "bibtex", "bibtex_entry", "bibtex_key", "tex",
]
