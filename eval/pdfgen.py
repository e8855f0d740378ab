"""Typeset the corpus texts as journal-like PDFs (test data for the PDF reader; rebuilt, never committed).

Each layout prints a paper's cleaned text (what the text version indexes) as a
real typesetter would: a title block in a large font with the authors under
it, headings in bold, justified paragraphs broken into lines with line-end
hyphenation (at a syllable-like point, or at a real hyphen such as
"Magelang-Tula"), running heads and page numbers on every page, optionally
two columns, ligature glyphs (ﬁ, ﬂ) and words placed one by one with no space
characters between them (as TeX does), so a reader must space words from the
gaps between them.

    python -m sisterqa.eval.pdfgen OUT_DIR [--layout two-column] [--corpus corpus]

``expected_text`` gives the words a layout printed, for measuring fidelity.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class Layout:
    name: str
    columns: int = 1
    font: str = "DejaVuSerif"  # file stem under FONT_DIR
    size: float = 10.5
    gap_spacing: bool = False  # words placed one by one: no space characters in the PDF
    ligatures: bool = False  # print fi / fl as the ligature glyphs
    hyphenate: bool = True
    running_head: str = "Journal of Sister-City Studies"
    metadata_title: bool = True  # set the PDF's /Title
    # "large": the title in large bold type across the page, the authors under it; "journal": a
    # two-column journal template's title block at the top of the first column (title in the body's
    # size in capitals, authors with marks, affiliations, e-mails, "Received … Accepted …")
    title_block: str = "large"


LAYOUTS = {
    "one-column": Layout("one-column"),
    "two-column": Layout("two-column", columns=2, font="DejaVuSans", size=8.5,
                         gap_spacing=True, ligatures=True, metadata_title=False),
    "two-column-serif": Layout("two-column-serif", columns=2, font="DejaVuSerifCondensed",
                               size=9, gap_spacing=False, running_head="Jurnal Hubungan Internasional"),
    # a pandoc/XeLaTeX journal template: no /Title, the running head names the journal and volume
    "journal": Layout("journal", columns=2, font="DejaVuSerif", size=9, gap_spacing=True, ligatures=True,
                      running_head="Jurnal Studi Kota Kembar, Vol. 7, No. 2", metadata_title=False,
                      title_block="journal"),
}


@dataclass(frozen=True)
class Front:
    """What a title block prints besides the title: authors, affiliations, e-mails, dates."""

    authors: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    year: int | None = None

    @classmethod
    def of(cls, paper, meta: dict) -> "Front":
        affiliations = tuple(a.strip() for a in (meta.get("institution") or "").split(";") if a.strip())
        emails = tuple(dict.fromkeys(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", paper.text)))[:2]
        year = meta.get("year")
        return cls(tuple(meta.get("authors") or ()), affiliations, emails,
                   int(year) if isinstance(year, (int, str)) and str(year).isdigit() else None)

    def author_marks(self) -> list[tuple[str, str]]:
        """(name, superscript mark): each author's affiliation number, and * for the first (corresponding)."""
        n = len(self.affiliations)
        return [(a, (str(min(i, n - 1) + 1) if n > 1 else "1" if n else "") + ("*" if i == 0 and self.emails else ""))
                for i, a in enumerate(self.authors)]

    def dates(self) -> str:
        if self.year is None:
            return ""
        return f"Received 14 March {self.year}; Revised 2 May {self.year}; Accepted 20 June {self.year}"

    def lines(self) -> list[str]:
        """The printed lines after the title (the words ``expected_text`` counts)."""
        out = []
        if self.authors:
            marks = self.author_marks()
            out.append(" ".join(f"{a}{',' if i + 1 < len(marks) else ''}{m}" for i, (a, m) in enumerate(marks)))
        marks = len(self.affiliations) > 1 or bool(self.authors)
        out += [f"{i + 1 if marks else ''}{a}" for i, a in enumerate(self.affiliations)]
        if self.emails:
            out.append("*Corresponding author: " + ", ".join(self.emails))
        if self.dates():
            out.append(self.dates())
        return out

_VOWELS = set("aeiouyAEIOUY")


def _hyphen_points(word: str) -> list[int]:
    """Where a typesetter may break ``word`` (after a vowel before a consonant; ≥ 3 letters each side)."""
    if not word.isalpha() or len(word) < 7:
        return []
    return [i for i in range(3, len(word) - 2)
            if word[i - 1] in _VOWELS and word[i] not in _VOWELS and word[i].isalpha()]


class _Typesetter:
    def __init__(self, layout: Layout, title: str, authors: str, short_title: str, front: Front | None = None):
        from fpdf import FPDF

        self.L = layout
        pdf = FPDF(unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        for style, suffix in (("", ""), ("B", "-Bold"), ("I", "-Italic")):
            if (FONT_DIR / f"{layout.font}{suffix}.ttf").exists():
                pdf.add_font(layout.font, style, str(FONT_DIR / f"{layout.font}{suffix}.ttf"))
        pdf.set_title(title if layout.metadata_title else "")
        pdf.set_creator("sisterqa eval.pdfgen")
        self.pdf = pdf
        self.short_title = short_title
        self.page_w, self.page_h = 595.28, 841.89
        self.margin = 56.0
        self.top = 72.0
        self.bottom = self.page_h - 64.0
        self.col_gap = 18.0
        width = self.page_w - 2 * self.margin
        self.col_w = (width - self.col_gap * (layout.columns - 1)) / layout.columns
        self.col = 0
        self.y = 0.0
        self.front = front or Front()
        if layout.title_block == "journal" and self.front.year:
            self.running_head = f"{layout.running_head} ({self.front.year})"
        else:
            self.running_head = layout.running_head
        self.new_page()
        if layout.title_block == "journal":
            self.journal_title_block(title)
        else:
            self.title_block(title, authors)

    # -- pages
    def new_page(self):
        pdf = self.pdf
        pdf.add_page()
        n = pdf.page_no()
        pdf.set_font(self.L.font, "", 7.5)
        head = self.running_head if n % 2 else self.short_title
        pdf.set_xy(self.margin, 36)
        pdf.cell(self.page_w - 2 * self.margin, 10, head, align="C")
        pdf.set_xy(self.margin, self.page_h - 44)
        pdf.cell(self.page_w - 2 * self.margin, 10, str(n), align="C")
        self.col = 0
        self.y = self.top

    def x0(self) -> float:
        return self.margin + self.col * (self.col_w + self.col_gap)

    def need(self, h: float):
        if self.y + h > self.bottom:
            if self.col + 1 < self.L.columns:
                self.col += 1
                self.y = self.top_of_columns
            else:
                self.new_page()
                self.top_of_columns = self.top

    def title_block(self, title: str, authors: str):
        width = self.page_w - 2 * self.margin
        self._centred(title, width, "B", 17, 20, 21)
        self.y += 6
        if authors:
            self._centred(authors, width, "", 10, 12, 13)
        self.y += 18
        self.top_of_columns = self.y

    def journal_title_block(self, title: str):
        """The title in capitals in the body's size at the top of the first column, then the authors
        (with superscript marks), affiliations, e-mails and dates in smaller type."""
        self.top_of_columns = self.top
        size = self.L.size
        self._left(title.upper(), "B", size, size * 1.3)
        self.y += size * 0.8
        front = self.front
        if front.authors:
            self._marked([(a + ("," if i + 1 < len(front.authors) else ""), m)
                          for i, (a, m) in enumerate(front.author_marks())], size)
            self.y += size * 0.4
        marks = len(front.affiliations) > 1 or bool(front.authors)
        for i, aff in enumerate(front.affiliations):
            self._marked([(aff, "")], size - 1, lead_mark=str(i + 1) if marks else "")
        if front.emails:
            self._left("*Corresponding author: " + ", ".join(front.emails), "", size - 1, (size - 1) * 1.3)
        if front.dates():
            self.y += size * 0.3
            self._left(front.dates(), "I", size - 1, (size - 1) * 1.3)
        self.y += size * 1.6

    def _left(self, text: str, style: str, size: float, lead: float):
        self.pdf.set_font(self.L.font, style, size)
        for line in self._wrap(text, self.col_w, hyphenate=False):
            self.need(lead)
            self.pdf.set_xy(self.x0(), self.y)
            self.pdf.cell(self.col_w, lead, " ".join(line))
            self.y += lead

    def _marked(self, items: list[tuple[str, str]], size: float, lead_mark: str = ""):
        """Words with superscript marks (raised, smaller), wrapped to the column, left-aligned."""
        pdf = self.pdf
        lead = size * 1.35
        x = self.x0()
        self.need(lead)

        def put(text: str, sup: bool):
            nonlocal x
            pdf.set_font(self.L.font, "", size * 0.65 if sup else size)
            w = pdf.get_string_width(text)
            if not sup and x + w > self.x0() + self.col_w and x > self.x0():
                self.y += lead
                self.need(lead)
                x = self.x0()
                text = text.lstrip()
                w = pdf.get_string_width(text)
            pdf.set_xy(x, self.y - (size * 0.35 if sup else 0))
            pdf.cell(w + 0.01, lead, text)
            x += w

        if lead_mark:
            put(lead_mark, True)
        for text, mark in items:
            for k, word in enumerate(text.split()):
                put(("" if k == 0 and (x == self.x0() or lead_mark and x < self.x0() + 10) else " ") + word, False)
            if mark:
                put(mark, True)
        self.y += lead

    def _centred(self, text: str, width: float, style: str, size: float, height: float, step: float):
        """``text`` wrapped to ``width``, each line centred, ``step`` points below the last."""
        self.pdf.set_font(self.L.font, style, size)
        for line in self._wrap(text, width, hyphenate=False):
            self.pdf.set_xy(self.margin, self.y)
            self.pdf.cell(width, height, " ".join(line), align="C")
            self.y += step

    # -- text
    def _glyphs(self, s: str) -> str:
        if self.L.ligatures:
            s = s.replace("ffi", "\ufb03").replace("fi", "\ufb01").replace("fl", "\ufb02")
        return s

    def _width(self, s: str) -> float:
        return self.pdf.get_string_width(self._glyphs(s))

    def _wrap(self, text: str, width: float, hyphenate: bool) -> list[list[str]]:
        """Greedy line breaking with hyphenation; a line is a list of words (a split word ends in '-')."""
        space = self._width(" ")
        lines: list[list[str]] = []
        line: list[str] = []
        used = 0.0
        words = text.split()
        i = 0
        while i < len(words):
            w = words[i]
            ww = self._width(w)
            add = ww + (space if line else 0)
            if used + add <= width or not line:
                line.append(w)
                used += add
                i += 1
                continue
            if hyphenate:
                room = width - used - space
                best = None
                for k in (w.find("-") + 1,) if "-" in w[1:-1] else ():
                    if self._width(w[:k]) <= room:
                        best = (w[:k], w[k:])
                m = re.match(r"^([\"“(']*)([A-Za-z]+)(.*)$", w)
                if best is None and m:
                    pre, core, post = m.groups()
                    for k in reversed(_hyphen_points(core)):
                        left = pre + core[:k] + "-"
                        if self._width(left) <= room:
                            best = (left, core[k:] + post)
                            break
                if best:
                    line.append(best[0])
                    words[i] = best[1]
            lines.append(line)
            line, used = [], 0.0
        if line:
            lines.append(line)
        return lines

    def paragraph(self, text: str, heading: bool = False):
        pdf = self.pdf
        size = self.L.size + (1.5 if heading else 0)
        pdf.set_font(self.L.font, "B" if heading else "", size)
        lead = size * 1.3
        if heading:
            self.need(lead * 3)
            self.y += lead * 0.6
        lines = self._wrap(text, self.col_w, hyphenate=self.L.hyphenate and not heading)
        for n, words in enumerate(lines):
            self.need(lead)
            last = n == len(lines) - 1
            self._line(words, justify=not last and not heading, h=lead)
            self.y += lead
        self.y += lead * (0.5 if heading else 0.45)

    def _line(self, words: list[str], justify: bool, h: float):
        pdf = self.pdf
        x = self.x0()
        widths = [self._width(w) for w in words]
        gaps = len(words) - 1
        space = self._width(" ")
        extra = (self.col_w - sum(widths) - space * gaps) / gaps if justify and gaps else 0.0
        extra = max(0.0, min(extra, space * 2.5))
        for n, (w, ww) in enumerate(zip(words, widths)):
            pdf.set_xy(x, self.y)
            # gap_spacing: no space characters at all; otherwise each word carries its space
            text = w if self.L.gap_spacing or n == gaps else w + " "
            pdf.cell(ww + space + 0.01, h, self._glyphs(text))
            x += ww + space + extra


def _printed(paper, meta: dict) -> tuple[str, str, list[tuple[str, bool]]]:
    """(title, authors line, [(block text, is heading)]) of a paper as a journal would print it."""
    sections = {o for o, _ in paper.sections}
    title = meta.get("title") or paper.title
    authors = ", ".join(meta.get("authors") or ())
    blocks: list[tuple[str, bool]] = []
    pos = 0
    for line in paper.text.split("\n"):
        s = line.strip()
        if s:
            blocks.append((s, pos in sections))
        pos += len(line) + 1
    if blocks and blocks[0][0] == title:
        blocks = blocks[1:]
    return title, authors, blocks


def expected_text(paper, meta: dict, layout: Layout | None = None) -> str:
    """The text a generated PDF prints (title, authors, then the paper's cleaned text); the journal
    layout's title block prints affiliations, e-mails and dates too."""
    title, authors, blocks = _printed(paper, meta)
    if layout is not None and layout.title_block == "journal":
        head = [title.upper()] + Front.of(paper, meta).lines()
    else:
        head = [title] + ([authors] if authors else [])
    return "\n\n".join(head + [b for b, _ in blocks])


def paper_pdf(paper, meta: dict, layout: Layout) -> bytes:
    title, authors, blocks = _printed(paper, meta)
    short = title if len(title) < 70 else title[:67].rsplit(" ", 1)[0] + " …"
    ts = _Typesetter(layout, title, authors, short, Front.of(paper, meta))
    for text, heading in blocks:
        ts.paragraph(text, heading=heading)
    return bytes(ts.pdf.output())


def generate(corpus: Path, out: Path, layout: Layout) -> list[tuple[Path, str]]:
    """Write every corpus text as ``out/<stem>.pdf``; returns (pdf, expected text) pairs."""
    from sisterqa.ingest.read import read_metadata, read_paper

    corpus, out = Path(corpus), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    metadata = read_metadata(corpus)
    made = []
    for src in sorted(corpus.glob("*.txt")) + sorted(corpus.glob("*.md")):
        meta = metadata.get(src.name, {})
        paper = read_paper(src, meta)
        dst = out / f"{src.stem}.pdf"
        dst.write_bytes(paper_pdf(paper, meta, layout))
        made.append((dst, expected_text(paper, meta, layout)))
    return made


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--layout", choices=sorted(LAYOUTS), default="two-column")
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent.parent / "corpus")
    a = ap.parse_args(argv)
    for pdf, _ in generate(a.corpus, a.out, LAYOUTS[a.layout]):
        print(pdf)


if __name__ == "__main__":
    main(sys.argv[1:])


def words(text: str) -> list[str]:
    """Normalised words (the contract's text normalisation) for comparing a reading with the print."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text).lower().replace("*", "").replace("_", "")
    return re.sub(r"[^\w]+", " ", text).split()


def word_fidelity(expected: str, got: str) -> float:
    """Word-level similarity 2·matches / (|expected| + |got|) over the normalised word sequences."""
    from difflib import SequenceMatcher

    a, b = words(expected), words(got)
    if not a and not b:
        return 1.0
    m = SequenceMatcher(None, a, b, autojunk=False)
    return 2 * sum(x.size for x in m.get_matching_blocks()) / (len(a) + len(b))
