"""Text made valid where it is read (issue 24): no lone surrogates, private-use, unassigned or control
characters ever reach the index, a manifest, an embedder or a browser.

A PDF's glyphs can map to anything (a ToUnicode map to ``<D800>``, a symbol font to the private-use
area); such characters cannot be written as UTF-8 (a lone surrogate) or mean nothing as text. The
readers drop them and say how many they dropped.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_ASCII = re.compile(r"[^\x00-\x7e]")
KEEP = "\ufffe"  # PDFium's mark of a line-end hyphen: the PDF reader turns it into "-"
DROPPED = "\u200b"  # what ``valid_same_length`` puts in place of a character (the PDF reader drops it)


def is_invalid(ch: str) -> bool:
    """A lone surrogate, a private-use or unassigned code point, or a C1 control character (or DEL)."""
    if ch == KEEP:
        return False
    o = ord(ch)
    if 0x7F <= o <= 0x9F:
        return True
    return unicodedata.category(ch) in ("Cs", "Co", "Cn")


def valid_same_length(text: str) -> tuple[str, int]:
    """``text`` with each invalid character replaced by a zero-width space (which the PDF reader drops),
    so offsets stay those of PDFium's characters; and how many were replaced."""
    if text.isascii():
        return text, 0
    bad = [m.start() for m in _NOT_ASCII.finditer(text) if is_invalid(m.group())]
    if not bad:
        return text, 0
    chars = list(text)
    for i in bad:
        chars[i] = DROPPED
    return "".join(chars), len(bad)


def valid_text(text: str) -> tuple[str, int]:
    """``text`` without its invalid characters; and how many were dropped."""
    if text.isascii():
        return text, 0
    n = 0

    def drop(m: re.Match) -> str:
        nonlocal n
        if is_invalid(m.group()):
            n += 1
            return ""
        return m.group()

    out = _NOT_ASCII.sub(drop, text)
    return out, n


def valid(text) -> str:
    """A metadata value (title, author, venue) as valid text (invalid characters dropped)."""
    if not isinstance(text, str):
        return text
    return valid_text(text.replace(KEEP, "-"))[0]


def dropped_warning(n: int) -> str:
    return (f"{n} character{'s' if n != 1 else ''} that are not valid text (lone surrogates, private-use, "
            "unassigned or control characters) dropped")


_UNSHOWABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def shown_text(text: str) -> str:
    """``text`` safe to send to a browser: control characters and lone surrogates as ``�`` (a NUL in
    an uploaded file's name)."""
    return _UNSHOWABLE.sub("\ufffd", text)
