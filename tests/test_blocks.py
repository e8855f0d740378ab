"""Block kinds at ingest (issue 25, item 1): what each block of a paper is, for text and Markdown
files and in the index (snapshot.sentence_kinds), on the real corpus and on a Markdown paper
written here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sisterqa.ingest.blocks import KINDS, sentence_kinds
from sisterqa.ingest.read import read_metadata, read_paper, read_report
from sisterqa.ingest.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

MARKDOWN = """# Water Boards of Two Cities

Ana María Ruiz¹, Budi Santoso², and Chen Wei³

¹Department of Civil Engineering, Universitas Gadjah Mada, Yogyakarta, Indonesia
²Faculty of Law, University of Leiden, the Netherlands
Email: ana.ruiz@example.org

Received 3 March 2021; Revised 9 May 2021; Accepted 1 June 2021

## Abstract

The water boards of Yogyakarta and Leiden exchanged engineers from 2015 to 2019. The exchange
ended when the Leiden board merged with its neighbour.

Keywords: water boards, sister city, engineering exchange

## Introduction

The first exchange brought four engineers to Leiden in 2015. They studied how the polders are
drained, and two of them later led the canal works in Yogyakarta.

The exchange was funded by three bodies:

- the city of Yogyakarta, which paid the travel;
- the Leiden water board, which paid the housing;
- a Dutch foundation, which paid the courses.

```r
R> flows <- read.csv("flows.csv")
R> summary(lm(level ~ rain, data = flows))
```

    fit <- lm(level ~ rain, data = flows)
    plot(fit)

| year | engineers | cost |
|------|-----------|------|
| 2015 | 4         | 120  |
| 2016 | 6         | 150  |

Figure 2: Canal levels in Yogyakarta before and after the works.

0 0.2 0.4 0.6 0.8 1.0

## References

Ruiz, A. M. (2018). Polders and canals. Journal of Water Works, 12(3), 44-59.

Santoso, B. (2020). Sister cities and water. Leiden: Brill.
"""


@pytest.fixture(scope="module")
def corpus_papers():
    meta = read_metadata(CORPUS)
    return [read_paper(f, meta.get(f.name, {})) for f in sorted(CORPUS.glob("*.txt"))]


def _kind_of(paper, needle: str) -> str:
    at = paper.text.index(needle)
    return paper.kind_at(at)


def test_blocks_cover_the_text_in_order_on_printed_characters(corpus_papers):
    for p in corpus_papers:
        assert p.blocks, p.doc_id
        prev = 0
        covered = np.zeros(len(p.text), dtype=bool)
        for a, b, k in p.blocks:
            assert k in KINDS
            assert prev <= a < b <= len(p.text), (p.doc_id, a, b)
            assert not p.text[a].isspace() and not p.text[b - 1].isspace(), (p.doc_id, p.text[a:b][:40])
            covered[a:b] = True
            prev = b
        loose = [i for i, c in enumerate(p.text) if not c.isspace() and not covered[i]]
        assert not loose, (p.doc_id, p.text[loose[0]:loose[0] + 40])


def test_corpus_kinds(corpus_papers):
    by = {p.doc_id: p for p in corpus_papers}
    mag = by["magelang-tula-paradiplomacy-smart-city"]
    for needle in ("PARADIPLOMACY AND THE FUTURE OF SMART CITY", "Reza Noormansyah", "reza.noormansvah@untidar",
                   "Received 21 May 2024", "Department of Public Administration"):
        assert _kind_of(mag, needle) == "title", needle
    assert _kind_of(mag, "Table 1. Three Layers of Paradiplomacy") == "caption"
    assert _kind_of(mag, "Paradiplomacy Layers\tSister City Cooperation") == "table"
    assert _kind_of(mag, "a) The first layer of paradiplomacy focuses") == "list"
    assert _kind_of(mag, "Wolff, Stefan. 2007.") == "reference"
    assert _kind_of(mag, "In the era of globalization, the growing capacity") == "prose"
    sem = by["semarang-jung-gu-kendala-sister-city"]
    assert _kind_of(sem, "Nisa Ristadina") == "title"
    assert _kind_of(sem, "Jalan Prof. H. Soedarto") == "title"
    assert _kind_of(sem, "Keywords: Sister city, Obstacle") == "title"
    assert _kind_of(sem, "Sister city cooperation appears as a form of paradiplomacy") == "prose"
    st = by["south-tangerang-daejeon-friendship-cooperation"]
    assert _kind_of(st, "Email: raihanhafiez@gmail.com") == "title"
    assert _kind_of(st, "INTRODUCTION") == "heading"
    ts = by["tangerang-selatan-daejeon-alasan-kerjasama"]
    assert _kind_of(ts, "Gambar 1 Jarak Kota Tangerang Selatan") == "caption"
    assert _kind_of(ts, "Sumber: kabartangsel.com") == "caption"
    assert _kind_of(ts, "BAB I PENDAHULUAN") == "heading"  # no title block: the text starts with a chapter
    bdg = by["bandung-seoul-smart-city-paradiplomacy"]
    assert _kind_of(bdg, "Universitas Airlangga") == "title"
    assert _kind_of(bdg, "Aldecoa, F., & Keating, M. (1999)") == "reference"
    # a sentence cut by a page break that the cleaning does not rejoin is a fragment
    assert _kind_of(ts, "Kebijakan Science &") == "fragment"


def test_corpus_prose_is_prose(corpus_papers):
    """Almost every sentence the answerer may quote lies in a prose or list block, none is a fragment."""
    from sisterqa.app.sentences import quotable

    kinds = []
    for p in corpus_papers:
        spans = split_sentences(p.text)
        for (a, b), k in zip(spans, sentence_kinds(p.blocks, spans)):
            section = p.section_at(a)
            if quotable(p.text[a:b]) and not section.lower().startswith(("references", "referensi", "daftar")):
                kinds.append(k)
    share = sum(k in ("prose", "list") for k in kinds) / len(kinds)
    assert share >= 0.97, share
    assert kinds.count("fragment") == 0


def test_markdown_kinds(tmp_path):
    f = tmp_path / "water-boards.md"
    f.write_text(MARKDOWN, encoding="utf-8")
    p = read_paper(f)
    want = {
        "Water Boards of Two Cities": "title",
        "Ana María Ruiz¹, Budi Santoso²": "title",
        "¹Department of Civil Engineering": "title",
        "Email: ana.ruiz@example.org": "title",
        "Received 3 March 2021": "title",
        "Abstract": "heading",
        "The water boards of Yogyakarta and Leiden exchanged": "prose",
        "Keywords: water boards": "title",
        "The exchange was funded by three bodies:": "prose",
        "- the city of Yogyakarta": "list",
        "- the Leiden water board": "list",
        "R> flows <- read.csv": "code",
        "fit <- lm(level ~ rain": "code",
        "| year | engineers | cost |": "table",
        "| 2016 | 6": "table",
        "Figure 2: Canal levels": "caption",
        "0 0.2 0.4 0.6 0.8 1.0": "figure",
        "Ruiz, A. M. (2018). Polders and canals.": "reference",
        "Santoso, B. (2020).": "reference",
    }
    got = {needle: _kind_of(p, needle) for needle in want}
    assert got == want
    # three list items, one block each; a fenced block with its fences is one code block
    assert sum(k == "list" for _, _, k in p.blocks) == 3
    fence = [p.text[a:b] for a, b, k in p.blocks if k == "code" and "```" in p.text[a:b]]
    assert len(fence) == 1 and fence[0].count("R>") == 2
    # no sentence spans two blocks
    spans = split_sentences(p.text)
    starts = [a for a, _, _ in p.blocks]
    import bisect

    for a, b in spans:
        i = bisect.bisect_right(starts, a) - 1
        assert p.blocks[i][0] <= a and b <= p.blocks[i][1], p.text[a:b]


def test_cut_sentences_are_fragments(tmp_path):
    f = tmp_path / "cut.txt"
    f.write_text("Ports of Two Cities\n\nINTRODUCTION\n\nThe port of Semarang and the port of Busan agreed in "
                 "2014 to train pilots together. Only for the largest ships, it has to be assured in addition "
                 "that\n\nRESULTS\n\nTable 3. Ships by tonnage\n\nThe training ended in 2018 when the Busan "
                 "budget was cut.\n", encoding="utf-8")
    p = read_paper(f)
    spans = split_sentences(p.text)
    kinds = dict(zip((p.text[a:b] for a, b in spans), sentence_kinds(p.blocks, spans)))
    assert kinds["Only for the largest ships, it has to be assured in addition that"] == "fragment"
    assert kinds["The port of Semarang and the port of Busan agreed in 2014 to train pilots together."] == "prose"
    assert kinds["Ships by tonnage"] == "caption"  # "Table 3." and its text, both the caption
    assert kinds["The training ended in 2018 when the Busan budget was cut."] == "prose"


def test_read_json_shows_blocks(tmp_path):
    f = tmp_path / "water-boards.md"
    f.write_text(MARKDOWN, encoding="utf-8")
    r = read_report(f)
    assert r["error"] is None and r["blocks"]
    for blk in r["blocks"]:
        assert set(blk) == {"kind", "start", "end", "page"} and blk["kind"] in KINDS
    assert [b["kind"] for b in r["blocks"]][:2] == ["title", "title"]
    out = subprocess.run([sys.executable, "-m", "sisterqa", "read", str(f)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "blocks:" in out.stdout and "code" in out.stdout.split("blocks:")[1].split("\n")[0]
    out = subprocess.run([sys.executable, "-m", "sisterqa", "read", str(f), "--json"], capture_output=True,
                         text=True, cwd=tmp_path, timeout=120)
    obj = json.loads(out.stdout.splitlines()[0])
    assert obj["blocks"] == r["blocks"]
    for key in ("path", "title", "authors", "year", "language", "pages", "sections", "text", "warnings", "error"):
        assert key in obj


def test_snapshot_sentence_kinds_from_the_packs(built_index):
    from sisterqa.index.store import open_snapshot, read_paper_record

    snap = open_snapshot(built_index)
    assert snap.manifest["settings"]["blocks"] >= 1
    pack = next((built_index / snap.path.name / "packs").iterdir()) if (built_index / snap.path.name).exists() \
        else next((snap.path / "packs").iterdir())
    assert (pack / "sentkinds.npy").exists() and (pack / "blocks.npy").exists()
    for p in snap.papers:
        spans, _ = snap.sentences(p["doc_id"])
        kinds = snap.sentence_kinds(p["doc_id"])
        assert len(kinds) == len(spans) and set(kinds) <= set(KINDS)
        record = read_paper_record(snap.path, p["doc_id"])
        blocks = [tuple(b) for b in record["blocks"]]
        assert snap.blocks(p["doc_id"]) == blocks  # the packs hold what the per-paper record holds
        assert kinds == sentence_kinds(blocks, spans)
    mag = "magelang-tula-paradiplomacy-smart-city"
    text = snap.paper_text(mag)
    spans, _ = snap.sentences(mag)
    kinds = snap.sentence_kinds(mag)
    by_text = {text[a:b]: k for (a, b), k in zip(spans.tolist(), kinds)}
    assert by_text["Received 21 May 2024 Revised 19 June 2024 Accepted 22 June 2024"] == "title"
    assert snap.paper(mag).blocks == tuple(snap.blocks(mag))


def test_an_index_without_block_kinds_is_rebuilt_with_a_reason(work_copy):
    from sisterqa.index.build import BuildSettings, ingest
    from sisterqa.index.store import IndexDir

    root, index_dir = work_copy, work_copy / ".sisterqa"
    for f in list((root / "corpus").glob("*.txt"))[1:]:
        f.unlink()  # keep the rebuild small: one paper
    version = IndexDir(index_dir).current()
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    del manifest["settings"]["blocks"]  # as an index written before block kinds
    (version / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = ingest([root / "corpus"], index_dir, BuildSettings(), root=root)
    assert report.rebuild_reason and "without block kinds" in report.rebuild_reason
    assert len(report.rebuilt) == 1


def test_only_whole_sentences_of_prose_lists_and_footnotes_are_quotable():
    from sisterqa.ingest.blocks import quotable_kind

    assert quotable_kind("prose", "The agreement was signed in 2016.")
    assert quotable_kind("footnote", "The algorithm is implemented in the preprocessor since version 4.")
    assert quotable_kind("list", "forecasts are stored in a time series;")  # a list item may open in lower case
    for kind in ("code", "figure", "table", "equation", "caption", "title", "heading", "reference", "other"):
        assert not quotable_kind(kind, "The agreement was signed in 2016."), kind
    # a sentence that goes on from a display or a cut is not a sentence alone
    assert not quotable_kind("prose", "where T is upper triangular and Q is orthogonal.")
    # a block cut by a page or a float: only its whole sentences
    assert quotable_kind("fragment", "Sensitivity results are saved on the disk.")
    assert not quotable_kind("fragment", "els, Monte Carlo filtering, Global Sensitivity Analysis.")
    assert not quotable_kind("fragment", "The second component of the prior is constructed from")


def test_captions_and_tables_answer_only_a_question_about_a_figure_or_a_table():
    from sisterqa.app.question import FLOATS_ASKED
    from sisterqa.app.sentences import PaperSentences

    texts = ["Figure 3 shows the growth of exports from 2010 to 2020.", "Exports grew fast in the decade."]
    spans = np.array([[0, 56], [57, 90]])
    ps = PaperSentences("d", "en", spans, np.zeros((2, 4), dtype=np.float32), texts, ["", ""], 90, "", [],
                        blocks=["caption", "prose"])
    assert list(ps.kept()) == [1]
    assert list(ps.kept(floats=True)) == [0, 1]
    assert FLOATS_ASKED.search("What does Figure 3 show?") and FLOATS_ASKED.search("Apa isi tabel 2?")
    assert not FLOATS_ASKED.search("Why did the cooperation stall?")
