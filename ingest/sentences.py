"""Split cleaned text into sentences, keeping offsets (quotes are cut from these)."""

from __future__ import annotations

import re

# Words after which a full stop does not end a sentence.
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "no", "nos", "vol", "vols", "pp", "p", "e.g", "i.e", "etc",
    "al", "st", "jl", "jln", "kec", "kab", "tbk", "sdr", "bpk", "ir", "drs", "dra", "h", "hj",
    "s.ip", "m.si", "m.a", "s.h", "sh", "ph.d", "fig", "figs", "art", "ed", "eds", "cf", "vs",
    "inc", "ltd", "co", "corp", "dll", "dsb", "dkk", "yth", "u.s", "m.hub.int", "approx", "ca",
}
_END = re.compile(r"[.!?…]+[\"”’')\]]*(?=\s+|$)")
_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:[-•*]\s|\d+[.)]\s|[a-z][.)]\s))")


def _ends_sentence(text: str, dot: int, after: int) -> bool:
    """Whether the punctuation at ``dot`` ends a sentence (``after`` is the next word's start)."""
    if text[dot] != ".":
        return True
    word = re.search(r"([\w.]+)$", text[:dot])
    if word:
        w = word.group(1).lower()
        if w in _ABBREV or w.rstrip(".") in _ABBREV:
            return False
        if len(w) == 1 and w.isalpha():  # an initial: "H. Soedarto", "A. Latar"
            return False
        if w.isdigit() and len(w) <= 2 and dot - word.start() <= 2 and (
            word.start() == 0 or text[word.start() - 1] in "\n "
        ) and (word.start() == 0 or text[max(0, word.start() - 1)] == "\n"):
            return False  # a list number at the start of a line: "1. Culture"
    nxt = text[after:after + 1]
    return not nxt or not nxt.islower()


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text[start:end]``, whitespace trimmed."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    blocks = []
    pos = start
    for m in _BREAK.finditer(text, start, end):
        blocks.append((pos, m.start()))
        pos = m.end()
    blocks.append((pos, end))
    for a, b in blocks:
        s = a
        for m in _END.finditer(text, a, b):
            after = m.end()
            while after < b and text[after].isspace():
                after += 1
            if after < b and not _ends_sentence(text, m.start(), after):
                continue
            spans.append((s, m.end()))
            s = after
        spans.append((s, b))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a >= 2:
            out.append((a, b))
    return out
