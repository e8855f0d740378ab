"""Tell English from Indonesian text by counting function words."""

from __future__ import annotations

import re

# The languages sisterqa tells apart, by code: the one map every label and prompt uses.
LANGUAGES = {"en": "English", "id": "Indonesian"}

EN_WORDS = frozenset(
    "the and of to in is that for with as by on was are this be from which were has have its "
    "it an or not their these been between".split()
)
ID_WORDS = frozenset(
    "yang dan di dengan untuk dalam ini dari pada tidak adalah oleh sebagai akan juga atau ke "
    "telah bahwa kerjasama kota antara dapat tersebut serta karena maka belum sudah masih".split()
)
_WORD = re.compile(r"[a-zA-Z]+")


def detect_language(text: str) -> str:
    """Return "id" for Indonesian text and "en" otherwise (English is the default)."""
    words = [w.lower() for w in _WORD.findall(text[:200_000])]
    en = sum(w in EN_WORDS for w in words)
    idn = sum(w in ID_WORDS for w in words)
    return "id" if idn > en else "en"
