"""Clean conversion artefacts of text files so passages and quotes read like the paper
(PDFs are cleaned as they are read, by ingest.pdf).

Removes markdown emphasis (``**bold**``, ``*italic*``) and heading markers,
rejoins words hyphenated across line breaks and paragraphs split by page
breaks, turns a link whose text is a bare scheme (``[http://](http://x.id)``)
into its address, rejoins a long word whose last letter was split off
(``Multidimensiona l``), and folds runs of blank lines. Markdown heading lines are reported so
section detection still sees them.
"""

from __future__ import annotations

import re

_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S)
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HYPHEN_BREAK = re.compile(r"(\w+)-[ \t]*\n(?:[ \t]*\n)*[ \t]*([a-z]\w*)")
# A paragraph that stops mid-sentence and goes on after a blank line (a page break).
_SPLIT_PARAGRAPH = re.compile(r"([^\s.!?:;\"”'’)\]])[ \t]*\n(?:[ \t]*\n)+[ \t]*(?=[a-z(]|\d(?!\d*\.\s))")
# A long line cut mid-sentence by a page break, going on with a capitalised word ("soldiers from
# / Keighley, UK, who …"); headings are short or in capitals, so they are not joined.
_SPLIT_LONG_LINE = re.compile(r"(?m)^(?=[^\n]{80,}$)([^\n]*[a-z,])[ \t]*\n(?:[ \t]*\n)+[ \t]*(?=[A-Z][a-z])")
_BLANK_RUNS = re.compile(r"\n(?:[ \t]*\n){2,}")
# A markdown link whose text is only a scheme, as converters write a bare address: the address.
_SCHEME_LINK = re.compile(r"\[\s*(?:https?:)?/{0,2}\s*\]\(((?:https?://|www\.)[^)\s]+)\)")
# A long word whose last letter a converter split off ("Multidimensiona l layer"): a lone
# word-final consonant (l n r s t d g m k) after 10+ letters ending in a vowel. Vowels
# (a, i, e, o, u), variables (x, n after a consonant) and prefixes ("e-government") are left alone.
_SPLIT_LAST_LETTER = re.compile(
    r"(?<![\w-])([A-Za-z]{9,}[aeiou]) ([lnrstdgmk])(?=[ \t]|[,;:.](?:\s|$)|$)", re.M)
# Control characters (terminal escapes among them) are never part of a paper's text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_emphasis(text: str) -> str:
    """Remove ``**bold**`` and ``*italic*`` markers, keeping the words."""
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    return text.replace("****", "")


def _rejoin_hyphen(m: re.Match) -> str:
    left, right = m.group(1), m.group(2)
    # Indonesian reduplication keeps its hyphen: masing-masing, negara-negara.
    if right.lower().startswith(left.lower()) and len(left) > 1:
        return f"{left}-{right}"
    return f"{left}{right}"


_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def _code_parts(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into (is a fenced code block, piece) in order; the fences stay in their piece."""
    parts: list[tuple[bool, list[str]]] = []
    fence = None
    for line in text.split("\n"):
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)
            parts.append((True, [line]))
            continue
        if fence is not None:
            parts[-1][1].append(line)
            if m and m.group(1) == fence:
                fence = None
            continue
        if not parts or parts[-1][0]:
            parts.append((False, []))
        parts[-1][1].append(line)
    return [(code, "\n".join(lines)) for code, lines in parts]


def clean_page(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Clean one page of raw text.

    Returns the cleaned text and the markdown headings found in it as
    (offset of the heading line, level) pairs. Fenced code blocks (```) are kept as written.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = text.replace("\f", "\n\n")
    text = _CONTROL.sub("", text)
    parts = _code_parts(text)
    if len(parts) > 1 or parts and parts[0][0]:
        pieces = []
        for code, piece in parts:
            piece = "\n".join(ln.rstrip() for ln in piece.split("\n")).strip("\n") if code else _clean_text(piece)
            if piece.strip():
                pieces.append(piece)
        text = "\n\n".join(pieces)
    else:
        text = _clean_text(text)
    headings: list[tuple[int, int]] = []
    out: list[str] = []
    pos = 0
    for line in text.split("\n"):
        if line.startswith("\x00"):
            level = int(line[1])
            line = line[2:].strip()
            headings.append((pos, level))
        out.append(line)
        pos += len(line) + 1
    return "\n".join(out), headings


def _clean_text(text: str) -> str:
    """The cleaning rules over text that is not code; heading lines keep a marker (NUL, level)."""
    text = _SCHEME_LINK.sub(r"\1", text)
    text = _SPLIT_LAST_LETTER.sub(r"\1\2", text)
    lines = [line.rstrip() for line in text.split("\n")]
    marked = []
    for line in lines:
        m = _MD_HEADING.match(line.strip())
        if m:
            marked.append("\x00" + str(len(m.group(1))) + m.group(2))
        else:
            marked.append(line)
    text = "\n".join(marked)
    text = strip_emphasis(text)
    text = _HYPHEN_BREAK.sub(_rejoin_hyphen, text)
    text = _SPLIT_PARAGRAPH.sub(r"\1 ", text)
    text = _SPLIT_LONG_LINE.sub(r"\1 ", text)
    return _BLANK_RUNS.sub("\n\n", text).strip("\n")
