"""Block kinds of a typeset PDF (issue 25, item 1): a paper built here with fpdf2 as a typesetter would
print it — a title block, an abstract, a list, a program listing in a monospaced font with its
output, a plot drawn between the two halves of a sentence (axes, ticks, tick labels, a legend) and
its caption, a ruled table, a displayed equation in a math font, a footnote, references — read back
by ingest.pdf."""

from __future__ import annotations

from pathlib import Path

import pytest

from sisterqa.ingest.blocks import sentence_kinds
from sisterqa.ingest.read import read_paper, read_report
from sisterqa.ingest.sentences import split_sentences

FONTS = Path("/usr/share/fonts/truetype/dejavu")

INTRO = ("The water boards of Yogyakarta and Leiden exchanged engineers from 2015 to 2019. The first group "
         "of four engineers studied how the polders are drained, and two of them later led the canal works "
         "in Yogyakarta. The exchange was funded by three bodies:")
ITEMS = ["the city of Yogyakarta, which paid the travel;", "the Leiden water board, which paid the housing;",
         "a Dutch foundation, which paid the courses."]
CODE = ['R> flows <- read.csv("flows.csv")', "R> fit <- lm(level ~ rain, data = flows)", "R> coef(fit)",
        "(Intercept)        rain", "    1.2345      0.0871"]
BEFORE = ("The model fits the levels of the main canal well. Measured over the five years of the exchange, "
          "the canal levels after heavy rain fell by a third, which the engineers attribute to the new "
          "pumps and to the fact")
AFTER = ("that the gates are now opened before the rain comes rather than after it. The second canal shows "
         "the same pattern, though less clearly.")
TABLE = [("Year", "Engineers", "Cost"), ("2015", "4", "120"), ("2016", "6", "150"), ("2017", "5", "135")]
CLOSING = ("The exchange ended in 2019 when the Leiden water board merged with its neighbour and the new "
           "board did not renew the agreement with Yogyakarta.")


def _paper_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    for style, suffix in (("", ""), ("B", "-Bold"), ("I", "-Italic")):
        pdf.add_font("Serif", style, str(FONTS / f"DejaVuSerif{suffix}.ttf"))
    pdf.add_font("Mono", "", str(FONTS / "DejaVuSansMono.ttf"))
    pdf.add_font("Math", "", str(FONTS / "DejaVuMathTeXGyre.ttf"))
    left, width = 72.0, 451.0
    pdf.add_page()
    y = 72.0

    def para(text, size=10, style="", lead=13.0, x=left, w=width, align="J", font="Serif"):
        nonlocal y
        pdf.set_font(font, style, size)
        pdf.set_xy(x, y)
        pdf.multi_cell(w, lead, text, align=align)
        y = pdf.get_y()

    para("Water Boards of Two Cities", 17, "B", 21, align="C")
    y += 6
    para("Ana María Ruiz, Budi Santoso and Chen Wei", 10, "", 13, align="C")
    para("Department of Civil Engineering, Universitas Gadjah Mada, Yogyakarta, Indonesia", 9, "", 12, align="C")
    para("ana.ruiz@example.org", 9, "", 12, align="C")
    y += 14
    para("Abstract", 11, "B", 14)
    y += 2
    para("The water boards of Yogyakarta and Leiden exchanged engineers for five years. This paper tells "
         "what the exchange achieved and why it ended.")
    y += 10
    para("1 Introduction", 11, "B", 14)
    y += 2
    para(INTRO)
    y += 4
    for item in ITEMS:
        pdf.set_font("Serif", "", 10)
        pdf.set_xy(left + 10, y)
        pdf.cell(10, 13, "•")
        para(item, x=left + 22, w=width - 22, align="L")
    y += 8
    for line in CODE:
        pdf.set_font("Mono", "", 9)
        pdf.set_xy(left + 14, y)
        pdf.cell(300, 12, line)
        y += 12
    y += 10
    para(BEFORE)
    # a plot set between the two halves of the sentence (content order: text, plot, caption, text)
    y_plot = y + 12
    x0, x1, top, bottom = left + 60, left + 330, y_plot, y_plot + 120
    pdf.set_line_width(0.6)
    pdf.line(x0, bottom, x1, bottom)
    pdf.line(x0, top, x0, bottom)
    pdf.set_font("Serif", "", 7)
    for k in range(6):
        tx = x0 + k * (x1 - x0) / 5
        pdf.line(tx, bottom, tx, bottom + 3)
        pdf.set_xy(tx - 8, bottom + 4)
        pdf.cell(16, 8, f"{2014 + k}", align="C")
        ty = bottom - k * (bottom - top) / 5
        pdf.line(x0 - 3, ty, x0, ty)
        pdf.set_xy(x0 - 22, ty - 4)
        pdf.cell(18, 8, f"{k * 0.2:.1f}", align="R")
    pdf.set_line_width(1.2)
    pts = [(x0 + k * (x1 - x0) / 5, bottom - (0.2 + 0.12 * (k % 3)) * (bottom - top)) for k in range(6)]
    for a, b in zip(pts, pts[1:]):
        pdf.line(*a, *b)
    pdf.rect(x1 - 70, top + 4, 8, 8, style="F")
    pdf.set_xy(x1 - 60, top + 4)
    pdf.cell(50, 8, "Main canal")
    y = bottom + 20
    para("Figure 1: Levels of the main canal after heavy rain, 2014 to 2019.", 9, "", 12, align="C")
    y += 10
    para(AFTER)
    y += 10
    para("Table 1: Engineers sent and cost of each year (thousand euro).", 9, "", 12, align="C")
    y += 4
    pdf.set_line_width(0.8)
    pdf.line(left + 90, y, left + 360, y)
    y += 3
    for r, row in enumerate(TABLE):
        pdf.set_font("Serif", "B" if r == 0 else "", 9)
        for c, cell in enumerate(row):
            pdf.set_xy(left + 100 + c * 90, y)
            pdf.cell(80, 12, cell)
        y += 12
        if r == 0:
            pdf.set_line_width(0.4)
            pdf.line(left + 90, y + 1, left + 360, y + 1)
            y += 3
    pdf.set_line_width(0.8)
    pdf.line(left + 90, y + 2, left + 360, y + 2)
    y += 16
    pdf.set_font("Math", "", 11)
    pdf.set_xy(left, y)
    pdf.cell(width, 14, "y = α + βx + ε,   ε ∼ N(0, σ)", align="C")
    y += 24
    para(CLOSING)
    pdf.set_line_width(0.4)
    pdf.line(left, 760, left + 120, 760)
    pdf.set_font("Serif", "", 7.5)
    pdf.set_xy(left, 764)
    pdf.cell(width, 10, "1 The engineers kept diaries, which the Leiden archive holds.")
    pdf.add_page()
    y = 72.0
    para("References", 11, "B", 14)
    y += 4
    para("Ruiz, A. M. (2018). Polders and canals. Journal of Water Works, 12(3), 44-59.", 9, "", 12, align="L")
    para("Santoso, B. (2020). Sister cities and water. Leiden: Brill.", 9, "", 12, align="L")
    return bytes(pdf.output())


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    f = tmp_path_factory.mktemp("blocks") / "water-boards.pdf"
    f.write_bytes(_paper_pdf())
    return read_paper(f)


def _kind(paper, needle: str) -> str:
    return paper.kind_at(paper.text.index(needle))


def test_pdf_block_kinds(paper):
    want = {
        "Water Boards of Two Cities": "title",
        "Ana María Ruiz": "title",
        "Universitas Gadjah Mada": "title",
        "ana.ruiz@example.org": "title",
        "Abstract": "heading",
        "The water boards of Yogyakarta and Leiden exchanged engineers for five years": "prose",
        "Introduction": "heading",
        "The first group of four engineers": "prose",
        "the city of Yogyakarta, which paid": "list",
        "a Dutch foundation": "list",
        'R> flows <- read.csv("flows.csv")': "code",
        "(Intercept)": "code",
        "1.2345": "code",
        "Main canal": "figure",
        "Figure 1: Levels of the main canal": "caption",
        "Table 1: Engineers sent": "caption",
        "Engineers Cost": "table",
        "2016 6 150": "table",
        "y = α + βx": "equation",
        "The exchange ended in 2019": "prose",
        "The engineers kept diaries": "footnote",
        "References": "heading",
        "Ruiz, A. M. (2018)": "reference",
        "Santoso, B. (2020)": "reference",
    }
    got = {needle: _kind(paper, needle) for needle in want}
    assert got == want
    assert paper.kind_at(paper.text.index("2016", paper.text.index("Main canal") - 200)) == "figure"


def test_a_sentence_cut_by_a_float_is_rejoined(paper):
    """The figure and its caption sit between "… and to the fact" and "that the gates …": the sentence is
    whole in the text, a prose sentence; the figure's text follows its paragraph."""
    whole = "which the engineers attribute to the new pumps and to the fact that the gates are now opened"
    assert whole in paper.text
    spans = split_sentences(paper.text)
    kinds = dict(zip((paper.text[a:b] for a, b in spans), sentence_kinds(paper.blocks, spans)))
    sentence = next(s for s in kinds if "to the fact that the gates" in s)
    assert kinds[sentence] == "prose" and sentence.endswith("rather than after it.")
    assert paper.text.index("Main canal") > paper.text.index("rather than after it.")
    assert not [s for s, k in kinds.items() if k == "fragment"]


def test_blocks_are_paragraphs_and_read_json_shows_them(paper, tmp_path):
    for a, b, _ in paper.blocks:
        assert not paper.text[a].isspace() and not paper.text[b - 1].isspace()
    code = next(paper.text[a:b] for a, b, k in paper.blocks if k == "code")
    assert code.split("\n")[:3] == CODE[:3]  # a listing keeps its lines
    # no block glues the title block to the abstract
    assert not any(k == "prose" and "example.org" in paper.text[a:b] for a, b, k in paper.blocks)
    f = tmp_path / "water-boards.pdf"
    f.write_bytes(_paper_pdf())
    r = read_report(f)
    kinds = [b["kind"] for b in r["blocks"]]
    assert {"title", "heading", "prose", "list", "code", "figure", "caption", "table", "equation",
            "footnote", "reference"} <= set(kinds)
    assert {b["page"] for b in r["blocks"] if b["kind"] == "reference"} == {2}
