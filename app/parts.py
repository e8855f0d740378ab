"""Comparisons and two-part questions, answered part by part.

A comparison that names its sides ("How do the Bandung–Seoul and Magelang–Tula
partnerships differ?") becomes one sub-question per side, the question without the
other sides ("How do the Bandung–Seoul partnerships differ?"), each retrieved and
answered within that side's papers by the full answerer; the answers are set side by
side under each side's name, after the papers' own statement of the difference when
one of them makes it (a sentence naming both sides with a word of comparison). A
question with two asks ("What is the Heart to Heart program and how long do the civil
servants stay?") is answered ask by ask. Pure text rules: the connectives of questions
in English and Indonesian, never the words of one corpus.
"""

from __future__ import annotations

import re

# A second ask joined to the first: ", and how …", " dan kapan …"
_ASK = re.compile(
    r",?\s+(?:and|dan|serta)\s+(?=(?:how|when|why|what|who|whom|where|which|is|are|does|do|did|was|were|"
    r"berapa|kapan|mengapa|kenapa|apa|apakah|siapa|siapakah|bagaimana|di mana|dimana)\b)", re.I)
# Words that join or set against each other the sides of a comparison.
_JOIN = r"(?:and|or|dan|atau|serta|with|dengan|compared (?:with|to)|dibandingkan dengan|versus|vs\.?|to)"
_COMPARE = re.compile(
    r"\b(while|whereas|unlike|both|differ\w*|different|difference|similar\w*|same|compared?|contrast|"
    r"whereas|sedangkan|sementara|berbeda|perbedaan|keduanya|sama|serupa|dibandingkan|berbanding)\b", re.I)


def split_asks(question: str, content_terms) -> list[str]:
    """The asks of a question: two or more when it joins them (", and how …"), each with at least two
    content words of its own ("…, dan kapan?" is one ask: its date rides on the first part)."""
    parts = [p.strip(" ,;") for p in _ASK.split(question) if p and p.strip(" ,;")]
    if len(parts) < 2 or any(len(content_terms(p)) < 2 for p in parts):
        return [question]
    return [p if p.endswith("?") else p + "?" for p in parts]


def side_question(question: str, label: str, others: list[str]) -> str:
    """The comparison asked of one side: the question without the other sides' names (and the words
    that joined them to this one)."""
    out = question
    for o in sorted(others, key=len, reverse=True):
        out = out.replace(o, "\x00")
    out = re.sub(rf"\s*,?\s*\b{_JOIN}\s*(?:the\s+)?\x00|\x00\s*,?\s*\b{_JOIN}\b", " ", out, flags=re.I)
    out = out.replace("\x00", " ")
    return " ".join(out.split()).replace(" ?", "?").replace(" ,", ",")


def states_difference(text: str, mentions: list[bool]) -> bool:
    """A sentence that names two or more sides and sets them against each other."""
    return sum(mentions) >= 2 and bool(_COMPARE.search(text))
