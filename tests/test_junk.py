"""Junk citations (issue 25, "Measure it"): pure text rules that flag quotes no careful reader would
cite, checked on the quotes the issue reports and on the corpus's own prose, which they must leave
alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from sisterqa.eval.junk import JUNK_KINDS, junk_kind, junk_share
from sisterqa.eval.metrics import compute
from sisterqa.ingest.blocks import sentence_kinds
from sisterqa.ingest.read import read_metadata, read_paper
from sisterqa.ingest.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

# Quotes the system cited on real statistics-software papers (issue 25), and title-block lines of the corpus.
JUNK = [
    ("R> rollmean(z2, 5, fill = NA)", "code"),
    ("fs <- Fstats(RealInt ~ 1, vcov = kernHAC)", "code"),
    (">>> import numpy as np", "code"),
    ("\\usepackage[utf8]{inputenc}", "code"),
    ("0 0.2 0.4 0.6 0.8 1 Figure 4: Conditional inference tree for the Boston housing data.", "figure"),
    ("2015 2016 2017 2018 2019 120 135 150", "figure"),
    ("Wirtschaftsuniversität Wien Abstract The party package provides a toolkit for recursive partytioning.",
     "title"),
    ("… why would anybody want yet another package providing infrastructure for irregular time series?",
     "question"),
    ("Only for HC estimators the sandwich has to be computed, it has to be assured in addition that", "fragment"),
    ("Best splitting variable: tax Perform split?", "question"),
    ("Ψˆconst", "equation"),
    ("Figure 4: Conditional inference tree for the Boston housing data.", "caption"),
    ("Tabel 1. Bidang kerjasama Semarang dan Jung-Gu", "caption"),
    ("Gambar 2 Peta Kota Tangerang Selatan", "caption"),
    ("Email: raihanhafiez@gmail.com", "title"),
    ("Departemen Hubungan Internasional, Fakultas Ilmu Sosial dan Ilmu Politik Universitas Diponegoro", "title"),
    ("Received 21 May 2024 Revised 19 June 2024 Accepted 22 June 2024", "title"),
    ("Reza Noormansyah, Ghaziah Nurika Akhni, Sigid Widyantoro, Hendra Lana Saputra", "title"),
    ("Keywords: Sister city, Obstacle, Semarang, Jung-Gu.", "title"),
    ("and the city of Daejeon agreed to exchange officials every year.", "fragment"),
]


@pytest.mark.parametrize("quote,kind", JUNK)
def test_junk_quotes_are_named(quote, kind):
    assert junk_kind(quote) == kind


PROSE = [
    "One of the reasons why the smart city collaboration between South Tangerang and Daejeon is less "
    "successful is the lack of communication.",
    "The human resources of the South Tangerang City administration exhibit weaknesses in managing the "
    "collaboration with Daejeon.",
    "Kerjasama sister city antara Kota Semarang dengan Kota Jung-Gu ditandatangani pada tanggal 25 November 2016.",
    "In 2019, 45 % of the 120 respondents (n = 120) said the programme had helped them.",
    "The α-level was 0.05 in every test.",
    "3. Adanya kesamaan status administrasi dan kesetaraan karakteristik antara Tangerang Selatan dan Daejeon",
    "The layers determine the focus of cooperation (Wolff 2007).",
    "e-Government services were launched in 2018.",
]


@pytest.mark.parametrize("quote", PROSE)
def test_prose_is_not_junk(quote):
    assert junk_kind(quote) is None


def test_the_corpus_prose_is_clean():
    """≥ 99 % of the sentences the answerer may quote (quotable, not in a reference list, in a prose or
    list block) pass every rule."""
    from sisterqa.app.sentences import quotable

    meta = read_metadata(CORPUS)
    kinds, flagged, n = {}, [], 0
    for f in sorted(CORPUS.glob("*.txt")):
        p = read_paper(f, meta.get(f.name, {}))
        spans = split_sentences(p.text)
        for (a, b), kind in zip(spans, sentence_kinds(p.blocks, spans)):
            s = p.text[a:b]
            if kind not in ("prose", "list") or not quotable(s) or p.section_at(a).lower().startswith(
                    ("references", "referensi", "daftar pustaka")):
                continue
            n += 1
            k = junk_kind(s)
            if k:
                flagged.append((k, s))
                kinds[k] = kinds.get(k, 0) + 1
    assert n > 600
    assert 1 - len(flagged) / n >= 0.99, flagged


def test_junk_citations_metric_counts_every_cited_quote():
    items = [{"type": "why", "evidence": [], "key_facts": []}, {"type": "unanswerable", "evidence": [], "key_facts": []}]

    def ans(quotes):
        return {"answer": "x", "abstained": False, "passages": [],
                "citations": [{"n": i + 1, "doc_id": "d", "quote": q, "passage_id": "p"} for i, q in enumerate(quotes)]}

    answers = [ans([PROSE[0], JUNK[0][0]]), ans([JUNK[7][0], PROSE[1]])]
    m = compute(items, answers, {"d": ""})
    assert m["junk_citations"] == pytest.approx(0.5)
    assert junk_share([]) == 0.0
    assert set(k for _, k in JUNK) <= set(JUNK_KINDS)
