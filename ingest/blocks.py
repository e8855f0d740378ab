"""What each block of a paper is: prose, heading, list item, code, figure text, table, equation,
caption, title block, footnote, reference entry, or a cut sentence (``fragment``).

A paper's ``blocks`` are ``(start, end, kind)`` spans of its cleaned text, in order, not
overlapping; every character that is not white space lies in exactly one block, and blocks begin
and end on printed characters. PDFs get their blocks from the layout (``ingest.pdf``: fonts,
sizes, positions, the page's images and drawings) refined by the text rules here; text and
Markdown files from the text rules alone (fences, indentation, list markers, ``#`` headings,
table pipes, "Figure N:" lines, the reference section, the lines of a title block).

The rules are general: English and Indonesian words for "Figure/Gambar", "Table/Tabel",
"Abstract/Abstrak", "Keywords/Kata kunci", "References/Daftar Pustaka" and the like, typographic
and syntactic signs, never the words of one corpus.

Only ``prose`` and ``list`` sentences read as answers; ``fragment`` marks a sentence of prose
that a page, column or float cut and that could not be rejoined (it ends without terminal
punctuation, or starts in lower case after a cut).
"""

from __future__ import annotations

import bisect
import re

import numpy as np

# Append only: the index stores kinds by their number in this tuple.
KINDS = ("prose", "heading", "list", "code", "figure", "table", "equation", "caption", "title",
         "footnote", "reference", "other", "fragment")
KIND_CODE = {k: i for i, k in enumerate(KINDS)}
QUOTABLE = frozenset({"prose", "list", "footnote"})  # what an answer may quote (app.sentences)


def quotable_kind(kind: str, sentence: str) -> bool:
    """Whether a sentence lying in a block of ``kind`` may be quoted: prose, a list item or a footnote;
    in a block cut by a page, a column or a float (``fragment``), only a sentence that is whole by its
    text (opens in upper case or a digit, ends with its terminal punctuation)."""
    s = sentence.strip().lstrip("\"'“‘([")
    if s[:1].islower() and kind != "list":
        return False  # it goes on from something before it (a display, a cut): not a sentence alone
    if kind in QUOTABLE:
        return True
    return kind == "fragment" and (s[:1].isupper() or s[:1].isdigit()) and has_terminal(s) and not is_code(s)
# Bumped whenever what ingest stores about blocks changes: the index rebuilds (index/build.py).
BLOCKS_VERSION = 1

Block = tuple[int, int, str]

# ---------------------------------------------------------------- text rules (one line or one quote)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://|\bwww\.\w|\bdoi:\s*10\.|\bdoi\.org/", re.I)
_AFFILIATION = re.compile(
    r"\b(?:universit(?:y|ies|as|ät|at|é|e|à|ario|eit)|institut(?:e|o|ion)?|department|departemen|"
    r"dept\.|faculty|fakultas|college|school of|laborator(?:y|ium)|research (?:center|centre|unit|group)|"
    r"jurusan|program studi|prodi|politeknik|sekolah tinggi|academy|akademi|ministry|kementerian|"
    r"hospital|rumah sakit|corporation|gmbh|inc\.|ltd\.)\b", re.I)
_DATE_WORD = (r"(?:received|revised|accepted|published(?: online)?|available online|submitted|"
              r"diterima|direvisi|disetujui|dipublikasikan|diterbitkan|tersedia online)")
_DATES = re.compile(_DATE_WORD + r"\b\W{0,3}(?:in\s+|on\s+|:\s*|tanggal\s+)?(?:\d{1,2}[\s./-]+)?"
                    r"(?:[A-Za-z]{3,10}\.?[\s./-]+)?(?:\d{1,2},?\s+)?(?:19|20)\d{2}\b", re.I)
_FRONT_WORDS = re.compile(r"^\W*(?:corresponding author|penulis korespondensi|\*\s*corresponding|orcid|"
                          r"article (?:history|info)|riwayat artikel|info artikel|e-?mail\s*:|"
                          r"how to cite|cara mengutip|copyright|©|licensed under|this is an open access)",
                          re.I)
_KEYWORDS = re.compile(r"^\W*(?:key\s*-?words?|index terms|kata\s*-?\s*kunci)\b\W*", re.I)
_CAPTION_WORD = (r"(?:fig(?:ure)?s?\.?|table|tab\.|gambar|tabel|grafik|diagram|chart|bagan|plate|scheme|skema|"
                 r"listing|algorithm|exhibit|illustration|ilustrasi|foto|photo|map|peta)")
_CAPTION_NUMBER = r"\s*(?:[A-Z]?\d+(?:[.\-]\d+)*[a-z]?|[IVXL]{1,5})"
# "Figure 3:", "Table 2.", "Gambar 1 –", "FIG. 2." (a number and punctuation: "Figure 3 shows" is prose)
CAPTION = re.compile(r"^\W{0,2}" + _CAPTION_WORD + _CAPTION_NUMBER + r"\s*[:.|–—-](?!\d)", re.I)
# the same without the punctuation ("Gambar 1 Peta wilayah"): a caption when the layout says so too
CAPTION_LOOSE = re.compile(r"^\W{0,2}" + _CAPTION_WORD + _CAPTION_NUMBER + r"\b(?!\s*(?:[,;)]|and\b|dan\b))",
                           re.I)
_SOURCE_LINE = re.compile(r"^\W{0,2}(?:source|sumber)\s*:", re.I)
_REF_HEADING = re.compile(r"^\W*(?:\d+(?:\.\d+)*\.?\s+|[IVX]+\.\s+)?(?:references?|referensi|bibliography|"
                          r"bibliografi|daftar pustaka|daftar referensi|pustaka|literature cited|works cited|"
                          r"cited literature|sumber rujukan|rujukan)\s*:?\s*$", re.I)
_BODY_START = re.compile(
    r"^\W*(?:\d+(?:\.\d+)*\.?\s+|[IVX]+\.\s+|bab\s+[ivxlc\d]+\W*)?(?:abstract|abstrak|summary|ringkasan|"
    r"intisari|introduction|pendahuluan|background|latar belakang|overview|preface|kata pengantar|"
    r"contents|table of contents|daftar isi)\b", re.I)
_NUMBERED_HEADING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.|bab\s+[ivxlc\d]+)\s+\S", re.I)
_LIST_MARKER = re.compile(r"^\s*(?:[-•◦▪▫‣⁃●○■□►▸➢✓*+–—·\x80-\x9f](?=\s)|\(?\d{1,2}[.)](?=\s)|\(\d{1,2}\)(?=\s)|"
                          r"\(?[a-z][.)](?=\s)|\((?:i|ii|iii|iv|v|vi|vii|viii|ix|x)\)(?=\s)|"
                          r"(?:i|ii|iii|iv|v|vi|vii|viii|ix|x)\.(?=\s))")
_PROMPT = re.compile(r"^\s*(?:R[>+]\s|>>>\s?|\.\.\.\s(?=\S)|In \[\d*\]:|Out\[\d+\]:|julia>|sh>|bash\$|"
                     r"\$\s(?=[a-z./~-])|#\s?(?=[a-z]+\s+-)|[\w.-]+@[\w.-]+:\S*[$#]\s|C:\\>|>\s(?=[a-z_]\w*\s*(?:<-|=|\()))")
_ASSIGN = re.compile(r"(?:^|[\s(;])[A-Za-z_][\w.$]*(?:\[[^\]]*\])?\s*(?:<<?-|:=|\+=|-=|\*=|/=|==|!=|=(?![=>]))\s*\S")
_CALL = re.compile(r"(?<![\s(])\b[A-Za-z_][\w.]*\((?:[^()\s]|\s(?=\S))*\)")
_CODE_SHAPE = re.compile(
    r"(?:[{};]\s*$|^\s*[{}]|^\s*(?:def|class|return|import|from\s+[\w.]+\s+import|library|require|function|"
    r"for\s*\(|if\s*\(|while\s*\(|else\b|elif\b|#include|#define|public|private|static|void|int|var|let|const)\b|"
    r"^\s*\\[A-Za-z@]+|\\(?:begin|end|usepackage|documentclass|newcommand|renewcommand|def|makeatletter)\b|"
    r"[A-Za-z_]\w*_[A-Za-z]\w*|[a-z]+[A-Z]\w*\(|->|=>|::|\$\w)")
_CODE_CHARS = set("{}[]<>=;$\\_^~|#&*+/%@`")
_MATH_CHARS = set("±×÷·∘√∞∑∏∫∂∇∆≤≥≠≈≡∼≃∝∈∉∋⊂⊃⊆⊇∪∩∧∨¬∀∃→←↔⇒⇐⇔↦′″ˆ˜¯")
_DOT_LEADER = re.compile(r"(?:\.\s?){5,}|…{2,}|_{5,}")
_NUMBER = re.compile(r"^[-−+±]?[(\[]?[$€£]?\d+(?:[.,]\d+)*%?[)\]]?[*†‡]*$")
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*\s*$|[.!?…]\s*\[\d+(?:[,–-]\d+)*\]\s*$"
                       r"|[^\W\d_][.!?…][\"'”’)\]]*[\d*†‡¹²³⁴⁵⁶⁷⁸⁹]{1,2}\s*$")  # (a footnote's mark: "box.2")
_NAME_PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "du", "dos", "das", "la", "le",
                   "bin", "binti", "al", "el", "ibn", "y", "ten", "ter", "zu"}


# Greek letters, operators, arrows, math alphanumerics, combining and modifier marks (Ψˆ)
_MATH_RE = re.compile("[" + re.escape("".join(sorted(_MATH_CHARS))) + "\u0391-\u03c9\u2190-\u21ff\u2200-\u22ff"
                      "\u27c0-\u27ef\u2a00-\u2aff\U0001d400-\U0001d7ff\u0300-\u036f\u02c2-\u02c5\u02d2-\u02df"
                      "\u02e5-\u02ff]")


def _math_char(c: str) -> bool:
    return _MATH_RE.match(c) is not None


_CODE_RE = re.compile(r"[{}\[\]<>=;$\\_^~|#&*+/%@`]")


def symbol_share(s: str) -> float:
    """Share of the non-space characters that are code symbols ({}[]<>=;$\\_^~|#&*+/%@`)."""
    n = len(s) - sum(map(s.count, " \n\t"))
    return len(_CODE_RE.findall(s)) / n if n > 0 else 0.0


def math_share(s: str) -> float:
    """Share of the non-space characters that are mathematical (Greek letters, operators, arrows …)."""
    n = len(s) - sum(map(s.count, " \n\t"))
    return len(_MATH_RE.findall(s)) / n if n > 0 else 0.0


def word_share(s: str) -> float:
    """Share of the tokens that are plain words (letters, with a trailing comma or full stop at most)."""
    toks = s.split()
    if not toks:
        return 0.0
    return sum(bool(re.fullmatch(r"[\"'“‘(]?[^\W\d_]{2,}(?:[-'’][^\W\d_]+)*[\"'”’)]?[.,;:!?]?[\"'”’)]?", t))
               for t in toks) / len(toks)


def code_score(s: str) -> int:
    """How many signs of program code or program output a line carries (0: none)."""
    if _PROMPT.match(s):
        return 4
    score = 0
    if "<-" in s and re.search(r"[\w)\]]\s*<<?-\s*\S", s):
        score += 2
    score += min(2, len(_CALL.findall(s)))
    if _ASSIGN.search(s):
        score += 1
    if _CODE_SHAPE.search(s):
        score += 1
    if symbol_share(s) >= 0.08:
        score += 1
    if symbol_share(s) >= 0.2:
        score += 1
    return score


def is_code(s: str) -> bool:
    """A line of program code or program output, by its text alone."""
    s = s.strip()
    if not s:
        return False
    score = code_score(s)
    if score >= 4:
        return True
    prose = word_share(s) >= 0.7 and _TERMINAL.search(s) is not None
    return (score >= 3 and not prose) or (score >= 2 and word_share(s) < 0.55)


def numeric_run(s: str) -> int:
    """The longest run of bare numbers among the tokens (tick labels, table cells: "0 0.2 0.4 0.6")."""
    best = run = 0
    for t in s.split():
        if _NUMBER.match(t):
            run += 1
            best = max(best, run)
        else:
            run = 0
    return best


def numeric_share(s: str) -> float:
    toks = s.split()
    return sum(bool(_NUMBER.match(t)) for t in toks) / len(toks) if toks else 0.0


def is_figure_text(s: str) -> bool:
    """Tick labels, legends or table cells read as a line: runs of short numeric tokens."""
    toks = s.split()
    if len(toks) < 3:
        return False
    return numeric_run(s) >= 4 or (numeric_share(s) >= 0.6 and len(toks) >= 3)


_OPERATOR_TOKEN = re.compile(r"^[=+\-−×·/<>≤≥±∓≈≠→]$")


def is_equation(s: str) -> bool:
    """A line of mathematics or garbled symbols: Greek letters, operators, modifier marks; or short
    tokens and operators ("(s + 0.5 + 10i)(s + 0.5 − 10i) = s(10s2 + 2s + 2.6)")."""
    toks = s.split()
    if len(toks) >= 5 and sum(bool(_OPERATOR_TOKEN.match(t)) for t in toks) >= 0.3 * len(toks) \
            and word_share(s) < 0.3:
        return True
    m = len(_MATH_RE.findall(s))
    if not m:
        return False
    s = s.strip()
    n = len(s) - sum(map(s.count, " \n\t"))
    letters = sum(c.isalpha() for c in s)
    return (m / max(1, n) >= 0.12 and (n <= 40 or word_share(s) < 0.8)) or (m >= 2 and letters <= 12)


def is_caption(s: str) -> bool:
    return bool(CAPTION.match(s) or _SOURCE_LINE.match(s))


def is_keywords(s: str) -> bool:
    return bool(_KEYWORDS.match(s))


def is_author_list(s: str) -> bool:
    """A bare list of personal names ("A. Name¹, B. Other*, and C. Third")."""
    s = re.sub(r"\^\{[^}]*\}|[\d*†‡§¶¹²³⁴⁵⁶⁷⁸⁹⁰#()\[\]{}^]", " ", s).strip(" ,;")
    if not s or _TERMINAL.search(s) and not re.search(r"\b[A-Z]\.$", s):
        return False
    parts = [p.strip() for p in re.split(r",|;|&|\band\b|\bdan\b|\bund\b|\bet\b", s) if p.strip()]
    if not parts or len(parts) > 25:
        return False
    multi = 0
    for p in parts:
        toks = p.split()
        if not 1 <= len(toks) <= 5:
            return False
        for t in toks:
            if t.lower() in _NAME_PARTICLES:
                continue
            if not (re.fullmatch(r"[A-Z][.]?(?:-[A-Z]\.?)?", t) or re.fullmatch(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?", t)
                    and t[0].isupper() and not t.isupper() or re.fullmatch(r"[A-Z]{2,3}", t) and len(toks) > 1):
                return False
        multi += len(toks) >= 2
    return multi >= 1 and (len(parts) >= 2 or len(parts[0].split()) <= 4)


def is_affiliation(s: str) -> bool:
    """An affiliation or address line: an institution word, no sentence."""
    s = s.strip()
    if not _AFFILIATION.search(s) or len(s.split()) > 25:
        return False
    return not (_TERMINAL.search(s) and word_share(s) > 0.85 and len(s.split()) > 12)


def is_dates(s: str) -> bool:
    """A title block's dates ("Received 21 May 2024; Accepted 22 June 2024")."""
    return bool(_DATES.search(s)) and (len(s.split()) <= 25 or len(_DATES.findall(s)) >= 2)


def front_kind(s: str) -> bool:
    """A line of a title block by its text alone: e-mails, addresses, affiliations, dates, notes."""
    s = re.sub(r"^[\d*†‡§¶¹²³⁴⁵⁶⁷⁸⁹⁰]+(?=[^\W\d_])", "", s.strip())  # an affiliation's mark: ¹Universitas …
    if not s:
        return False
    if _EMAIL.search(s) and len(s.split()) <= 20:
        return True
    if _URL.search(s) and len(s.split()) <= 12 and word_share(s) < 0.8:
        return True
    return bool(_FRONT_WORDS.match(s) or is_keywords(s) or is_dates(s) or is_affiliation(s))


def list_marker(s: str) -> bool:
    return bool(_LIST_MARKER.match(s))


def is_reference_heading(s: str) -> bool:
    return bool(_REF_HEADING.match(s.strip()))


def is_body_start(s: str) -> bool:
    """A heading that ends a title block: Abstract, Introduction, a numbered section, BAB I …"""
    s = s.strip()
    return bool(_BODY_START.match(s)) or (bool(_NUMBERED_HEADING.match(s)) and len(s.split()) <= 10)


def has_terminal(s: str) -> bool:
    return _TERMINAL.search(s) is not None


def line_kind(s: str) -> str | None:
    """The kind a line of text shows by itself (None: nothing but prose): code, figure, equation,
    caption or title (a title block's e-mail, affiliation or date line)."""
    s = s.strip()
    if not s:
        return None
    if _DOT_LEADER.search(s):
        return "other"
    if is_caption(s):
        return "caption"
    if is_code(s):
        return "code"
    if is_figure_text(s):
        return "figure"
    if is_equation(s):
        return "equation"
    if front_kind(s) and not (has_terminal(s) and word_share(s) >= 0.8 and len(s.split()) >= 10):
        return "title"
    return None


# ---------------------------------------------------------------- text and Markdown files

_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$|^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$|(?:\s\|\s.*){2,}")


def text_blocks(text: str, headings: set[int] | frozenset[int] = frozenset(), markdown: bool = False,
                title: str = "") -> list[Block]:
    """The blocks of a text or Markdown paper's cleaned ``text``; ``headings`` are the offsets of its
    heading lines (ingest.sections)."""
    lines: list[tuple[int, int]] = []
    pos = 0
    for raw in text.split("\n"):
        lines.append((pos, pos + len(raw)))
        pos += len(raw) + 1
    kinds: list[str | None] = []
    fence = None
    for a, b in lines:
        s = text[a:b]
        st = s.strip()
        m = _FENCE.match(s)
        if fence is not None:
            kinds.append("code")
            if m and m.group(1) == fence:
                fence = None
            continue
        if m:
            fence = m.group(1)
            kinds.append("code")
            continue
        own = line_kind(st) if st else None
        if not st:
            kinds.append(None)
        elif _TABLE_ROW.search(s) and st.count("|") >= 2 or re.search(r"\S\t+\s*\S", st):
            kinds.append("table")  # Markdown table pipes, or cells separated by tabs
        elif own in ("caption", "code", "figure", "equation") or is_keywords(st) and len(st.split()) > 2:
            kinds.append("title" if own is None or own == "title" else own)
        elif a in headings or a + len(s) - len(s.lstrip()) in headings:
            kinds.append("heading")
        elif list_marker(s) and not is_code(st):
            kinds.append("list")
        else:
            kinds.append(own or "prose")
    # indented code blocks: a paragraph every line of which is indented by four spaces or a tab
    i = 0
    while i < len(lines):
        if kinds[i] is None:
            i += 1
            continue
        j = i
        while j < len(lines) and kinds[j] is not None:
            j += 1
        para = [text[a:b] for a, b in lines[i:j]]
        if all(re.match(r"^(?: {4}|\t)", s) for s in para) and "heading" not in kinds[i:j] and (
                markdown or sum(is_code(s) for s in para) * 2 >= len(para)):
            for k in range(i, j):
                kinds[k] = "code"
        i = j
    # lines → blocks: a paragraph's lines of one kind are one block; a list marker starts an item
    blocks: list[list] = []
    prev = None
    for (a, b), kind in zip(lines, kinds):
        if kind is None:
            if prev == "code" and fence_open(blocks, text):
                continue
            prev = None
            continue
        st = text[a:b].strip()
        if not st:
            continue
        a += len(text[a:b]) - len(text[a:b].lstrip())
        b = a + len(st)
        cont = prev is not None and (kind == prev and kind not in ("list", "heading")
                                     or prev == "list" and kind == "prose"
                                     or prev == "caption" and kind == "prose"
                                     or prev == "heading" and kind == "heading")
        if cont:
            blocks[-1][1] = b
        else:
            blocks.append([a, b, kind])
        prev = "list" if kind == "prose" and prev == "list" else ("caption" if kind == "prose" and prev == "caption"
                                                                  else kind)
    return finish_blocks(text, [tuple(x) for x in blocks], title=title)


def fence_open(blocks: list, text: str) -> bool:
    """Whether the last code block is a fence still open (blank lines inside a fence stay in it)."""
    if not blocks or blocks[-1][2] != "code":
        return False
    body = text[blocks[-1][0]:blocks[-1][1]]
    fences = [ln for ln in body.split("\n") if _FENCE.match(ln)]
    return len(fences) % 2 == 1


# ---------------------------------------------------------------- rules over whole blocks


def finish_blocks(text: str, blocks: list[Block], title: str = "", first_page_end: int | None = None
                  ) -> list[Block]:
    """Blocks refined by the rules that need their neighbours: the title block before the abstract or
    the first section, keyword lines, the reference list, captions, and cut sentences."""
    out = [list(b) for b in blocks if b[1] > b[0]]
    if not out:
        return []
    _title_block(text, out, title, first_page_end)
    _references(text, out)
    for blk in out:
        s = text[blk[0]:blk[1]]
        if blk[2] == "prose" and (is_caption(s) or CAPTION_LOOSE.match(s) and not has_terminal(s)
                                  and len(s.split()) <= 30):
            blk[2] = "caption"  # "Figure 2: …", or "Gambar 1 Peta …" set apart on its own
        elif blk[2] in ("prose", "list") and is_keywords(s):
            blk[2] = "title"
    return _fragments(text, out)


def _title_block(text: str, out: list[list], title: str, first_page_end: int | None) -> None:
    """The blocks before the abstract or the first section that are the title, names, affiliations,
    e-mails, addresses or dates become ``title``; so do keyword lines anywhere near them."""
    end = None
    limit = first_page_end if first_page_end is not None else len(text)
    for i, (a, b, kind) in enumerate(out):
        s = text[a:b]
        if a >= limit:
            end = i
            break
        if kind == "heading" and is_body_start(s) and not is_keywords(s):
            end = i
            break
        if kind == "prose" and s[:12].lower().startswith(("abstract", "abstrak")) and len(s.split()) > 25:
            end = i  # an abstract with its heading run in ("Abstract. The package …")
            break
        if kind == "prose" and len(s.split()) >= 60:
            end = i  # a long paragraph: the body (or an abstract without a heading) has begun
            break
    if end is None:
        end = min(len(out), 12)
    from .normalize import normalize

    want = normalize(title)
    first_text = True
    for blk in out[:end]:
        a, b, kind = blk
        s = text[a:b]
        one = normalize(s)
        if kind in ("code", "table", "figure", "equation", "caption", "footnote") and not (
                kind in ("table", "figure") and (front_kind(s) or is_author_list(s))):
            continue
        if first_text and len(s.split()) <= 40 and kind in ("prose", "heading", "other"):
            blk[2] = "title"  # the title itself
        elif want and (one == want or (len(want) > 20 and want in one and len(one) < 2 * len(want))):
            blk[2] = "title"
        elif kind == "heading" or any(front_kind(ln) or is_author_list(ln) for ln in s.split("\n")) \
                or is_author_list(s) or front_kind(s):
            blk[2] = "title"
        elif kind in ("prose", "other") and not has_terminal(s) and len(s.split()) <= 12:
            blk[2] = "title"  # a short line of the title block (a city and country, a note)
        first_text = False
    # the keywords right after the abstract, and the "Keywords" heading's own list
    for i, blk in enumerate(out):
        s = text[blk[0]:blk[1]]
        if blk[2] in ("heading", "title") and is_keywords(s) and len(s.split()) <= 3 and i + 1 < len(out) \
                and out[i + 1][2] in ("prose", "list", "other"):
            blk[2] = "title"
            out[i + 1][2] = "title"


def with_headings(text: str, blocks, offsets) -> list[Block]:
    """Blocks with a one-line block that starts at a heading found in the text (``offsets``, from
    ingest.sections) made a ``heading``."""
    offsets = set(offsets)
    out = []
    for a, b, k in blocks:
        s = text[a:b]
        words = s.split()
        if a in offsets and k in ("prose", "fragment", "other", "title") and "\n" not in s and len(words) <= 12 \
                and sum(c.isalpha() for c in s) >= 4 and word_share(s) >= 0.5 and not is_equation(s) \
                and (k in ("prose", "title") or len(words) >= 2):
            k = "heading" if k != "title" or is_body_start(s) else k
        out.append((a, b, k))
    return out


_REF_ENTRY = re.compile(
    r"^\W{0,2}(?:\[\d+[a-z]?\]|\d{1,3}\.\s+[A-Z]|[A-Z][\w'’\-]+,\s+(?:[A-Z]\.|[A-Z][a-z]+)|[A-Z][\w'’\-]+\s+[A-Z]\.)"
    r"|\(\s*(?:19|20)\d{2}[a-z]?\s*\)|\b(?:19|20)\d{2}[a-z]?\.|\bdoi\b|https?://|\bpp?\.\s*\d|\bvol\.|\bISBN\b|"
    r"\bIn:|\bet al\.|\bretrieved\b|\b(?:19|20)\d{2}[a-z]?\)")


def looks_reference(s: str) -> bool:
    """A reference list's entry: "[3] …", "Surname, A. (2019). …", a year, a DOI, pages, a URL."""
    return bool(_REF_ENTRY.search(s))


def _references(text: str, out: list[list]) -> None:
    """The entries under a References / Daftar Pustaka heading. The list ends at the next heading
    (unless entries go on under it: "Books", "Journals") or at a paragraph of prose that is no entry
    (an example bibliography shown in the text is followed by the text again)."""
    inside = False
    for i, blk in enumerate(out):
        s = text[blk[0]:blk[1]]
        if blk[2] == "heading" or (blk[2] == "prose" and is_reference_heading(s)):
            if is_reference_heading(s):
                blk[2] = "heading"
                inside = True
            elif inside:
                nxt = next((o for o in out[i + 1:i + 3] if o[2] != "heading"), None)
                inside = nxt is not None and looks_reference(text[nxt[0]:nxt[1]]) and not is_top_heading_text(s)
            continue
        if not inside:
            continue
        if blk[2] in ("prose", "fragment") and not looks_reference(s) and has_terminal(s) \
                and len(s.split()) >= 20 and len(re.findall(r"[.!?]\s+[A-Z]", s)) >= 1 and word_share(s) >= 0.8 \
                and not re.search(r"[\"“”]", s):
            inside = False  # the text goes on after an example list (not an entry's second half)
            continue
        if blk[2] in ("prose", "list", "other", "fragment", "title", "code", "figure", "equation", "table"):
            blk[2] = "reference"


def is_top_heading_text(s: str) -> bool:
    from .sections import is_top_heading

    return is_top_heading(s) or bool(_NUMBERED_HEADING.match(s.strip()))


def _fragments(text: str, out: list[list]) -> list[Block]:
    """A prose block's last sentence that ends without terminal punctuation, or its first sentence when
    it begins in lower case, is cut off: it becomes its own ``fragment`` block. A prose block of a
    few words without a sentence is ``other``."""
    from .sentences import split_sentences

    result: list[Block] = []
    prev = None  # the block before, as (kind, text)
    for a, b, kind in out:
        before, prev = prev, (kind, text[a:b])
        if kind != "prose":
            result.append((a, b, kind))
            continue
        s = text[a:b]
        if len(s.split()) < 4 and not has_terminal(s):
            result.append((a, b, "other"))
            continue
        spans = [(a + x, a + y) for x, y in split_sentences(s)]  # (on the block alone: fast)
        if not spans:
            result.append((a, b, kind))
            continue
        cut: set[int] = set()
        last = text[spans[-1][0]:spans[-1][1]]
        if not has_terminal(last) and not last.rstrip().endswith((":", ";")) and len(last.split()) >= 3:
            cut.add(len(spans) - 1)
        first = text[spans[0][0]:spans[0][1]]
        after_cut = before is not None and (
            before[0] in ("equation", "code", "figure", "table", "caption", "footnote", "fragment")
            or before[0] == "prose" and not has_terminal(before[1]) and not before[1].rstrip().endswith((":", ";")))
        if first[:1].islower() and first[:1].isalpha() and after_cut and not re.match(r"^[a-z]+[A-Z-]", first) \
                and not re.match(r"^\S+\s+[A-Z]", first):  # (a label before its sentence: "tmpdir The …")
            cut.add(0)
        if not cut:
            result.append((a, b, kind))
            continue
        pos = a
        for k in sorted(cut):
            sa, sb = spans[k]
            if sa > pos:
                result.append((pos, _trim_end(text, pos, sa), "prose"))
            result.append((sa, sb, "fragment"))
            pos = _skip_space(text, sb, b)
        if pos < b:
            result.append((pos, b, "prose"))
    return [(x, y, k) for x, y, k in result if y > x]


def _trim_end(text: str, a: int, b: int) -> int:
    while b > a and text[b - 1].isspace():
        b -= 1
    return b


def _skip_space(text: str, a: int, b: int) -> int:
    while a < b and text[a].isspace():
        a += 1
    return a


# ---------------------------------------------------------------- sentences and blocks


def kind_at(blocks, offset: int) -> str:
    """The kind of the block holding ``offset`` ("prose" outside every block)."""
    starts = [blk[0] for blk in blocks]
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and blocks[i][0] <= offset < blocks[i][1]:
        return blocks[i][2]
    return "prose"


def sentence_codes(blocks, spans) -> np.ndarray:
    """For each sentence span (n×2), the number (in KINDS) of the block it lies in: the block that
    holds most of it; 0 (prose) where there are no blocks."""
    spans = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(len(spans), dtype=np.uint8)
    if not len(blocks) or not len(spans):
        return out
    bs = np.array([b[0] for b in blocks], dtype=np.int64)
    be = np.array([b[1] for b in blocks], dtype=np.int64)
    codes = np.array([KIND_CODE.get(b[2], KIND_CODE["other"]) if isinstance(b[2], str) else int(b[2])
                      for b in blocks], dtype=np.uint8)
    first = np.clip(np.searchsorted(bs, spans[:, 0], side="right") - 1, 0, len(bs) - 1)
    last = np.clip(np.searchsorted(bs, spans[:, 1], side="left") - 1, 0, len(bs) - 1)
    for k in range(len(spans)):
        i, j = int(first[k]), int(last[k])
        if i == j:
            out[k] = codes[i]
            continue
        a, b = spans[k]
        overlap = np.minimum(be[i:j + 1], b) - np.maximum(bs[i:j + 1], a)
        out[k] = codes[i + int(np.argmax(overlap))]
    return out


def sentence_kinds(blocks, spans) -> list[str]:
    """For each sentence span, the kind of the block it lies in (``fragment`` for a cut sentence)."""
    return [KINDS[c] for c in sentence_codes(blocks, spans)]


def counts(blocks) -> dict[str, int]:
    """Blocks by kind, in the order of KINDS (kinds with none left out)."""
    c: dict[str, int] = {}
    for blk in blocks:
        c[blk[2]] = c.get(blk[2], 0) + 1
    return {k: c[k] for k in KINDS if k in c}
