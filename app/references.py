"""References to papers, one formatter for the chat and the exports: APA-style text and BibTeX.

A paper's bibliographic metadata is what ``corpus/metadata.json`` (or the
Papers page) says about it, as the index carries it (``snapshot.paper_meta``):
``title``, ``authors``, ``year``, ``venue`` (the journal, proceedings or
publisher), and optionally ``type`` (one of ``TYPES``), ``institution``
(the school of a thesis, the institution of a report), ``doi`` and ``url``.

``format_reference`` is the reference the chat's "Copy reference" shows and
the numbered entry of every Markdown export (``app.export``); ``bibtex`` is
``sisterqa docs --bibtex`` and the exports' BibTeX, one entry type per kind of
paper (``@article``, ``@inproceedings``, ``@phdthesis``, ``@mastersthesis``,
``@techreport``, ``@misc``). Every value is escaped so that braces stay
balanced: pybtex and bibtexparser read the whole file whatever a title holds.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Callable, Iterable

from sisterqa.ingest.language import LANGUAGES
from sisterqa.ingest.read import BIB_FIELDS  # besides title, authors, year, language, venue

# type → (label on the Papers page, BibTeX entry type, the field ``venue`` becomes, the field
# ``institution`` becomes, the required fields, the thesis kind said in a reference)
TYPES: dict[str, tuple[str, str, str | None, str | None, tuple[str, ...], str]] = {
    "article": ("Journal article", "article", "journal", None, ("author", "title", "journal", "year"), ""),
    "inproceedings": ("Conference paper", "inproceedings", "booktitle", None,
                      ("author", "title", "booktitle", "year"), ""),
    "phdthesis": ("Doctoral thesis", "phdthesis", None, "school", ("author", "title", "school", "year"),
                  "Doctoral dissertation"),
    "mastersthesis": ("Master's thesis", "mastersthesis", None, "school", ("author", "title", "school", "year"),
                      "Master's thesis"),
    "thesis": ("Undergraduate thesis (skripsi)", "misc", "howpublished", None, (), "Undergraduate thesis"),
    "proposal": ("Thesis proposal", "misc", "howpublished", None, (), "Undergraduate thesis proposal"),
    "techreport": ("Report", "techreport", None, "institution", ("author", "title", "institution", "year"), ""),
    "misc": ("Other", "misc", "howpublished", None, (), ""),
}

_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s,;()\[\]{}\"<>]+[^\s,;()\[\]{}\"<>.])")
_DOI_NOTE = re.compile(r"\s*[\(\[]?\s*(?:doi\s*:\s*|https?://(?:dx\.)?doi\.org/)(10\.\d{4,9}/[^\s,;()\[\]]+)"
                       r"\s*[\)\]]?", re.I)


def paper_type(meta: dict) -> str:
    """The paper's kind: its ``type`` when it names one of TYPES, else guessed from its venue."""
    t = str(meta.get("type") or "").strip().lower()
    if t in TYPES:
        return t
    venue = str(meta.get("venue") or "").lower()
    if re.search(r"proposal", venue):
        return "proposal"
    if re.search(r"\b(skripsi|undergraduate thesis|bachelor)", venue):
        return "thesis"
    if re.search(r"\b(disertasi|dissertation|ph\.? ?d|doctoral)", venue):
        return "phdthesis"
    if re.search(r"\b(tesis|master)", venue):
        return "mastersthesis"
    if re.search(r"\b(proceedings?|prosiding|conference|konferensi|seminar|symposium)\b", venue):
        return "inproceedings"
    if re.search(r"\b(report|laporan|working paper)\b", venue):
        return "techreport"
    return "article" if venue else "misc"


def doi_of(meta: dict) -> str:
    """The paper's DOI (``10.…/…``): its ``doi`` field, or one written inside its venue or URL."""
    for key in ("doi", "venue", "url"):
        m = _DOI.search(str(meta.get(key) or ""))
        if m:
            return m.group(1)
    return ""


def venue_of(meta: dict) -> str:
    """The venue without a DOI written into it (``Perspektif (doi:10.…)`` → ``Perspektif``)."""
    venue = _DOI_NOTE.sub("", " ".join(str(meta.get("venue") or "").split()))
    return venue.strip(" ,;.")


def _clean(text) -> str:
    return " ".join(str(text or "").split())


# ---------------------------------------------------------------- APA-style text


def authors_text(authors: Iterable[str]) -> str:
    """``A, B and C``: the names as written."""
    names = [_clean(a) for a in (authors or []) if a and str(a).strip()]
    if len(names) > 2:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return " and ".join(names)


def _apa_name(name: str) -> str:
    parts = str(name).split()
    if len(parts) < 2:
        return " ".join(parts)
    initials = " ".join(p[0].upper() + "." for p in parts[:-1] if p[0].isalpha())
    return f"{parts[-1]}, {initials}" if initials else " ".join(parts)


def format_reference(meta: dict, escape: Callable[[str], str] | None = None) -> str:
    """An APA-style reference: ``Surname, I., & Other, J. (2024). Title. Venue. https://doi.org/…``.

    By kind: a thesis says ``Title [Undergraduate thesis, School]``, a report
    ``Title (Report). Institution``, a conference paper ``Title. In Proceedings``.
    ``escape`` (e.g. Markdown escaping) is applied to every piece of paper text;
    with it, the title is set in bold.
    """
    esc = escape or (lambda s: s)
    kind = paper_type(meta)
    names = [_apa_name(a) for a in (meta.get("authors") or []) if a and str(a).strip()]
    who = (", ".join(names[:-1]) + ", & " + names[-1]) if len(names) > 1 else (names[0] if names else "")
    year = meta.get("year") or "n.d."
    title = _clean(meta.get("title") or meta.get("doc_id") or "Untitled").rstrip(".")
    title = f"**{esc(title)}**" if escape else title
    venue = venue_of(meta)
    school = _clean(meta.get("institution"))
    thesis = TYPES[kind][5]
    if thesis:
        title += " [" + esc(", ".join(x for x in (thesis, school) if x)) + "]"
    elif kind == "techreport":
        title += " (Report)"
    head = f"{esc(who)} ({year}). {title}." if who else f"{title}. ({year})."
    tail = []
    if kind == "inproceedings" and venue:
        tail.append(f"In {esc(venue)}.")
    elif venue and not thesis:  # a thesis names its school, not a venue
        tail.append(esc(venue.rstrip(".")) + ".")
    if kind == "techreport" and school:
        tail.append(esc(school) + ".")
    doi = doi_of(meta)
    url = _clean(meta.get("url"))
    if doi:
        tail.append(esc(f"https://doi.org/{doi}"))
    elif url:
        tail.append(esc(url))
    return " ".join([head] + tail)


# ---------------------------------------------------------------- BibTeX

_TEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
                "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}
LANGUAGE_NAMES = {code: name.lower() for code, name in LANGUAGES.items()}  # BibTeX's language names


def tex(text) -> str:
    """A field value for BibTeX: LaTeX specials escaped, whitespace folded.

    Braces from the text become ``\\textbraceleft{}`` / ``\\textbraceright{}``,
    so every value's braces are balanced (``\\{`` would still count for BibTeX:
    one ``{unbalanced`` title used to break the whole file).
    """
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in _clean(text))


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


def _bib_author(name: str) -> str:
    name = tex(name)
    # " and " inside one name would split it into two authors: keep it one name.
    return "{" + name + "}" if re.search(r"\sand\s", name, re.I) else name


def bibtex_fields(meta: dict) -> tuple[str, list[tuple[str, str]]]:
    """The entry type and its (field, value) pairs, values escaped; fields the paper lacks are left out.

    A kind whose required fields are missing (an article without a journal or a
    year, a thesis without a school) is written as ``@misc`` with what there is,
    so BibTeX has nothing to warn about.
    """
    kind = paper_type(meta)
    _, entry, venue_field, inst_field, required, thesis = TYPES[kind]
    fields: list[tuple[str, str]] = []
    if meta.get("title"):
        fields.append(("title", "{" + tex(meta["title"]) + "}"))  # double braces keep its case
    authors = [_clean(a) for a in (meta.get("authors") or []) if a and str(a).strip()]
    if authors:
        fields.append(("author", " and ".join(_bib_author(a) for a in authors)))
    if meta.get("year"):
        fields.append(("year", tex(meta["year"])))
    venue, school = venue_of(meta), _clean(meta.get("institution"))
    if venue_field == "howpublished":
        how = ", ".join(x for x in (thesis, school) if x) if thesis else venue
        if how:
            fields.append(("howpublished", tex(how)))
    elif venue_field and venue:
        fields.append((venue_field, tex(venue)))
    if inst_field and school:
        fields.append((inst_field, tex(school)))
    doi, url = doi_of(meta), _clean(meta.get("url"))
    if doi:
        fields.append(("doi", tex(doi)))
    if url:
        fields.append(("url", tex(url)))
    if meta.get("language"):
        fields.append(("language", LANGUAGE_NAMES.get(meta["language"], tex(meta["language"]))))
    have = {k for k, _ in fields}
    if any(r not in have for r in required):
        # A journal article without a journal or year, a thesis without a school: @misc with what there is.
        label = TYPES[kind][0]
        fields = [f for f in fields if f[0] not in ("journal", "booktitle", "school", "institution")]
        where = venue or school
        if where and "howpublished" not in have:
            fields.insert(min(3, len(fields)), ("howpublished", tex(where)))
        if kind not in ("misc",):
            fields.append(("note", tex(label)))
        entry = "misc"
    return entry, fields


def bibtex_entry(meta: dict, key: str | None = None) -> str:
    """One entry of the paper's kind (``@article{…}``, ``@phdthesis{…}``, …)."""
    entry, fields = bibtex_fields(meta)
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@{entry}{{{key or bibtex_key(meta)},\n{body}\n}}\n"


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
    "TYPES", "BIB_FIELDS", "paper_type", "doi_of", "venue_of", "authors_text", "format_reference",
    "tex", "bibtex_key", "bibtex_fields", "bibtex_entry", "bibtex",
]
