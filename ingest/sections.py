"""Find the section headings these papers use.

Top-level: markdown ``#``/``##`` headings, ALL-CAPS lines (``RESULTS AND
DISCUSSION``, ``PENDAHULUAN``), ``BAB I`` lines and the usual bare heading
words (Abstract, Introduction, Kesimpulan …). Sub-level: deeper markdown
headings and short stand-alone title lines (``Implemented Cooperation``).
A passage's section is the path ``TOP › Sub`` in force where it starts.
"""

from __future__ import annotations

import re

SEP = " › "
_BAB = re.compile(r"^BAB\s+[IVXLC]+\b")
_TOP_WORDS = {
    "abstract", "abstrak", "introduction", "pendahuluan", "background", "literature review",
    "tinjauan pustaka", "method", "methods", "methodology", "metode", "metode penelitian",
    "results", "results and discussion", "discussion", "hasil dan pembahasan", "pembahasan",
    "conclusion", "conclusions", "kesimpulan", "penutup", "references", "referensi",
    "daftar pustaka", "bibliography", "keywords", "kata kunci", "acknowledgements",
    "acknowledgments", "ucapan terima kasih",
}
_CAPTION = re.compile(r"^(?:gambar|figure|fig\.|table|tabel|sumber|source)\b", re.I)
NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[A-H]\.|[IVX]+\.)\s+\S")  # "2.1 Methods", "B. Results"
# The names a reference list goes by (a section path whose part starts with one is a reference list).
REFERENCE_SECTIONS = ("references", "referensi", "daftar pustaka", "bibliography", "refbacks", "article metrics")


def is_reference_section(path: str) -> bool:
    """Whether a section path (``A › B``) is, or lies in, a reference list."""
    return any(part.strip().lower().startswith(REFERENCE_SECTIONS) for part in path.split("›"))


def _is_caps_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return (
        len(letters) >= 4
        and all(c.isupper() for c in letters)
        and len(line) <= 160
        and len(line.split()) <= 20
        and not line.endswith((".", ","))
        and not line.startswith(("- ", "• "))
    )


def _is_sub_heading(line: str, prev_blank: bool, next_line: str | None) -> bool:
    if not prev_blank or next_line is None or next_line.strip():
        return False  # a heading stands alone between blank lines
    words = line.split()
    return (
        2 <= len(line) <= 90
        and 1 <= len(words) <= 12
        and (line[0].isupper() or NUMBERED.match(line) is not None)
        and not line.rstrip().endswith((".", ",", ";", ":", "?", "!"))
        and "@" not in line
        and ";" not in line
        and not _CAPTION.match(line)
        and "http" not in line
        and not line.startswith(("- ", "• ", "(", "["))
    )


def is_top_heading(line: str) -> bool:
    """A heading line that is always top-level: ALL CAPS, ``BAB I …`` or a usual top word (Abstract …)."""
    line = line.strip()
    return bool(_BAB.match(line)) or _is_caps_heading(line) or line.lower().rstrip(":") in _TOP_WORDS


def find_sections(text: str, md_headings: list[tuple[int, int]] = ()) -> list[tuple[int, str]]:
    """Return (start offset, heading path) for each heading in ``text``."""
    md = dict(md_headings)
    lines = text.split("\n")
    out: list[tuple[int, str]] = []
    top = ""
    pos = 0
    prev_blank = True
    for i, raw in enumerate(lines):
        line = raw.strip()
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        level = 0
        if line:
            if _BAB.match(line) and len(line.split()) <= 8:
                level = 1
            elif pos in md:
                level = 1 if md[pos] == 1 or _is_caps_heading(line) else 2
            elif _is_caps_heading(line) or (
                line.lower().rstrip(":") in _TOP_WORDS and len(line) < 40
            ):
                level = 1
            elif _is_sub_heading(line, prev_blank, nxt):
                level = 2
        if level == 1:
            top = line
            out.append((pos, top))
        elif level == 2:
            out.append((pos, f"{top}{SEP}{line}" if top else line))
        prev_blank = not line
        pos += len(raw) + 1
    return out
