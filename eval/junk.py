"""Junk citations: quotes no careful reader would cite, judged by their text alone.

``junk_kind(quote)`` names what a cited quote is when it is not a sentence of prose, or None. The
rules read only the quote (the baselines' citations carry no block kinds), in this order:

- ``caption``: opens like a figure's or a table's caption: "Figure 4:", "Table 2.", "Gambar 1 –",
  "Tabel 3:", "Source:/Sumber:";
- ``code``: program code or program output: a prompt (``R>``, ``>>>``, ``$ ``, ``In [1]:``), an
  assignment with ``<-``, calls such as ``Fstats(RealInt ~ 1, vcov = kernHAC)``, LaTeX commands,
  braces and semicolons, or a high share of code symbols — on the quote or any line of it;
- ``title``: title-block lines: an e-mail address, an affiliation or address without a sentence,
  "Received … Accepted …" dates, a bare list of names, keywords, or a title block glued to the
  abstract (``Wirtschaftsuniversität Wien Abstract The party package …``);
- ``figure``: figure or table text: a run of four or more bare numbers (tick labels, table cells:
  ``0 0.2 0.4 0.6 0.8 1``), or a quote that is mostly numbers;
- ``equation``: mathematics or garbled symbols: Greek letters, operators, arrows, modifier marks
  (``Ψˆconst``) making up a good part of a short quote;
- ``question``: ends with a question mark (a paper's own rhetorical question answers nothing);
- ``fragment``: no terminal punctuation (. ! ? …, or ; closing a list item) at its end, or it starts
  in lower case (mid-sentence, after a cut); a list item opened by its marker ("2. …", "(b) …",
  "- …") is not held to that.

``eval.metrics`` reports ``junk_citations``: the share of all cited quotes (answerable and
unanswerable items) that ``junk_kind`` flags, for the system and the baselines alike.
"""

from __future__ import annotations

import re

from sisterqa.ingest.blocks import (
    CAPTION_LOOSE, code_score, front_kind, has_terminal, is_author_list, is_caption, is_code, is_equation,
    is_keywords, list_marker, numeric_run, numeric_share, symbol_share, word_share,
)

JUNK_KINDS = ("caption", "code", "figure", "equation", "title", "question", "fragment")

_PROMPT_ANYWHERE = re.compile(r"(?:^|\s)(?:R>|>>>|In \[\d*\]:)\s")
_GLUED_ABSTRACT = re.compile(r"^(?P<head>.{3,}?)\s+(?:abstract|abstrak|summary)\b\W{0,3}\s*[A-Z]", re.I)
_OPEN_QUOTE = "\"'“‘(["


def junk_kind(quote: str) -> str | None:
    """What a cited quote is when it is not a sentence of prose (one of JUNK_KINDS), or None."""
    q = " ".join(quote.split())
    if not q:
        return "fragment"
    if is_caption(q) or CAPTION_LOOSE.match(q) and not has_terminal(q) and len(q.split()) <= 25:
        return "caption"
    if _PROMPT_ANYWHERE.search(q) or any(is_code(line) for line in quote.splitlines() if line.strip()) \
            or is_code(q) or code_score(q) >= 3 and word_share(q) < 0.75:
        return "code"
    if _title_line(q):
        return "title"
    if numeric_run(q) >= 4 or (len(q.split()) >= 3 and numeric_share(q) >= 0.5):
        return "figure"
    if is_equation(q) or symbol_share(q) >= 0.25:
        return "equation"
    if q.rstrip("\"'”’)]").endswith("?"):
        return "question"
    if list_marker(q):
        return None  # a list item ("2. Adanya kepentingan …") need not be a whole sentence
    start = q.lstrip(_OPEN_QUOTE)
    if not (has_terminal(q) or q.endswith(";")) or (start[:1].islower() and not re.match(r"^[a-z]+[A-Z-]", start)):
        return "fragment"
    return None


def _title_line(q: str) -> bool:
    """An e-mail, affiliation, address, dates, keywords or names of a title block, or such a line glued
    to the abstract that follows it."""
    if is_keywords(q) or is_author_list(q):
        return True
    if front_kind(q) and not (has_terminal(q) and word_share(q) >= 0.8 and len(q.split()) >= 12):
        return True
    m = _GLUED_ABSTRACT.match(q)
    if m and not has_terminal(m.group("head")) and len(m.group("head").split()) <= 25:
        return True  # "Wirtschaftsuniversität Wien Abstract The party package …"
    return False


def junk_share(quotes: list[str]) -> float:
    """The share of ``quotes`` that ``junk_kind`` flags (0 for none)."""
    return sum(junk_kind(q) is not None for q in quotes) / len(quotes) if quotes else 0.0
