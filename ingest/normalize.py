"""The contract's text normalisation, shared by metrics and citation checks."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+")
_MARKUP = re.compile(r"[*_]")


def normalize(text: str) -> str:
    """Normalise text as ../shared/CONTRACT.md defines it.

    Unicode NFKC, lower case, ``*`` and ``_`` removed, every other non-word
    character a space, runs of space folded.

    >>> normalize("The **Letter of Intent** (LoI), 2015!")
    'the letter of intent loi 2015'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _MARKUP.sub("", text)
    text = _NON_WORD.sub(" ", text)
    return " ".join(text.split())
