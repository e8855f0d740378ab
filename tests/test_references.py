"""References and BibTeX by kind of paper (app/references.py), read back by two BibTeX parsers.

Every entry type the library writes is parsed by pybtex and by bibtexparser,
including titles and authors with unbalanced braces, backslashes and the
other LaTeX specials: both must read the whole file, every entry, with its
fields.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sisterqa.app.references import TYPES, bibtex, bibtex_fields, doi_of, format_reference, paper_type, venue_of

ROOT = Path(__file__).resolve().parent.parent

BASE = {"title": "Sister Cities and Smart Cities", "authors": ["Nisa Ristadina", "Reza Noormansyah"],
        "year": 2022, "language": "id"}
PAPERS = {
    "article": {**BASE, "type": "article", "venue": "Jurnal Hubungan Internasional", "doi": "10.1234/jhi.v1.2"},
    "inproceedings": {**BASE, "type": "inproceedings", "venue": "Proceedings of ICoSPA 2022",
                      "url": "https://example.org/p/1"},
    "phdthesis": {**BASE, "type": "phdthesis", "institution": "Universitas Gadjah Mada"},
    "mastersthesis": {**BASE, "type": "mastersthesis", "institution": "Universitas Indonesia"},
    "thesis": {**BASE, "type": "thesis", "institution": "Universitas Diponegoro"},
    "proposal": {**BASE, "type": "proposal", "venue": "Proposal skripsi"},
    "techreport": {**BASE, "type": "techreport", "institution": "Bappeda Kota Semarang"},
    "misc": {**BASE, "type": "misc"},
}
EXPECTED_ENTRY = {"article": "article", "inproceedings": "inproceedings", "phdthesis": "phdthesis",
                  "mastersthesis": "mastersthesis", "thesis": "misc", "proposal": "misc",
                  "techreport": "techreport", "misc": "misc"}
HOSTILE = [
    {"title": "A title ending in {unbalanced", "authors": ["Evil}", "Back\\slash Person"], "year": 2020,
     "type": "article", "venue": "J}ournal {of"},
    {"title": "}}}{{{ % # $ & _ ~ ^ \\ @misc{x,", "authors": ["A and B"], "year": 2021},
    {"title": "Normal after the hostile ones", "authors": ["Ana Lima"], "year": 2019, "venue": "Jurnal X"},
]


def parse_both(text: str) -> tuple[dict, list]:
    """(pybtex entries by key, bibtexparser entries): both must read ``text`` without an error."""
    import bibtexparser
    from pybtex.database import parse_string

    pyb = parse_string(text, "bibtex")
    lib = bibtexparser.parse_string(text)
    assert not lib.failed_blocks, [b.error for b in lib.failed_blocks]
    return dict(pyb.entries), lib.entries


def test_every_kind_is_its_own_entry_type_and_both_parsers_read_it():
    assert set(PAPERS) == set(TYPES)
    text = bibtex(PAPERS.values())
    pyb, entries = parse_both(text)
    assert len(pyb) == len(entries) == len(PAPERS)
    by_type = {}
    for (kind, meta), e in zip(PAPERS.items(), entries):
        assert e.entry_type == EXPECTED_ENTRY[kind], (kind, e.entry_type)
        by_type[kind] = {k: f.value for k, f in e.fields_dict.items()}
        assert pyb[e.key].type == EXPECTED_ENTRY[kind]
        assert pyb[e.key].persons["author"][0].last_names == ["Ristadina"]
    assert by_type["article"]["journal"] == "Jurnal Hubungan Internasional"
    assert by_type["article"]["doi"] == "10.1234/jhi.v1.2"
    assert by_type["inproceedings"]["booktitle"] == "Proceedings of ICoSPA 2022"
    assert by_type["inproceedings"]["url"] == "https://example.org/p/1"
    assert by_type["phdthesis"]["school"] == "Universitas Gadjah Mada"
    assert by_type["mastersthesis"]["school"] == "Universitas Indonesia"
    assert by_type["thesis"]["howpublished"] == "Undergraduate thesis, Universitas Diponegoro"
    assert by_type["proposal"]["howpublished"] == "Undergraduate thesis proposal"
    assert by_type["techreport"]["institution"] == "Bappeda Kota Semarang"
    assert "journal" not in by_type["proposal"] and "journal" not in by_type["misc"]


def test_missing_required_fields_fall_back_to_misc_so_bibtex_has_nothing_to_warn_about():
    kind, fields = bibtex_fields({"title": "No journal", "authors": ["A B"], "year": 2020, "type": "article"})
    assert kind == "misc" and ("note", "Journal article") in fields
    kind, fields = bibtex_fields({"title": "No year", "authors": ["A B"], "type": "article", "venue": "J"})
    assert kind == "misc" and ("howpublished", "J") in fields
    kind, _ = bibtex_fields({"title": "Thesis", "authors": ["A B"], "year": 2020, "type": "phdthesis"})
    assert kind == "misc"  # no school


def test_a_doi_written_into_the_venue_becomes_its_own_field():
    meta = {"title": "T", "authors": ["A B"], "year": 2021,
            "venue": "Perspektif, Universitas Medan Area (doi:10.31289/perspektif.v10i2.4850)"}
    assert doi_of(meta) == "10.31289/perspektif.v10i2.4850"
    assert venue_of(meta) == "Perspektif, Universitas Medan Area"
    kind, fields = bibtex_fields(meta)
    assert kind == "article"
    assert ("journal", "Perspektif, Universitas Medan Area") in fields
    assert ("doi", "10.31289/perspektif.v10i2.4850") in fields


def test_kind_guessed_from_the_venue_when_not_given():
    assert paper_type({"venue": "Proposal skripsi (undergraduate thesis proposal)"}) == "proposal"
    assert paper_type({"venue": "Skripsi, Universitas Diponegoro"}) == "thesis"
    assert paper_type({"venue": "Prosiding Seminar Nasional"}) == "inproceedings"
    assert paper_type({"venue": "Jurnal X"}) == "article"
    assert paper_type({}) == "misc"


def test_unbalanced_braces_and_specials_parse_in_both_with_every_entry():
    text = bibtex(HOSTILE)
    pyb, entries = parse_both(text)
    assert len(pyb) == len(entries) == 3  # none dropped, none swallowed by the one before
    first = entries[0].fields_dict
    assert "unbalanced" in first["title"].value and first["journal"].value.count("textbrace") == 2
    assert [p.last_names for p in pyb[entries[0].key].persons["author"]][0] == ["Evil\\textbraceright{}"]
    assert len(pyb[entries[1].key].persons["author"]) == 1  # "A and B" is one name, not two
    assert entries[2].fields_dict["title"].value == "{Normal after the hostile ones}"


def test_the_corpus_metadata_parses_and_says_what_each_paper_is():
    meta = json.loads((ROOT / "corpus" / "metadata.json").read_text(encoding="utf-8"))
    text = bibtex(meta.values())
    pyb, entries = parse_both(text)
    assert len(entries) == len(meta) == 5
    kinds = {e.key: e.entry_type for e in entries}
    assert kinds["puspitarini2021praktik"] == "article"
    assert next(v for k, v in kinds.items() if k.startswith("alasan")) == "misc"


@pytest.mark.parametrize("kind,expected", [
    ("article", "Ristadina, N., & Noormansyah, R. (2022). Sister Cities and Smart Cities. "
                "Jurnal Hubungan Internasional. https://doi.org/10.1234/jhi.v1.2"),
    ("thesis", "Ristadina, N., & Noormansyah, R. (2022). Sister Cities and Smart Cities "
               "[Undergraduate thesis, Universitas Diponegoro]."),
    ("proposal", "Ristadina, N., & Noormansyah, R. (2022). Sister Cities and Smart Cities "
                 "[Undergraduate thesis proposal]."),
    ("techreport", "Ristadina, N., & Noormansyah, R. (2022). Sister Cities and Smart Cities (Report). "
                   "Bappeda Kota Semarang."),
    ("inproceedings", "Ristadina, N., & Noormansyah, R. (2022). Sister Cities and Smart Cities. "
                      "In Proceedings of ICoSPA 2022. https://example.org/p/1"),
])
def test_reference_by_kind(kind, expected):
    assert format_reference(PAPERS[kind]) == expected


def test_one_formatter_for_the_chat_and_the_export():
    from sisterqa.app.export import md_text, reference_entry

    meta = PAPERS["article"]
    entry = reference_entry({"n": 2, "section": "Results", "page": 3, "quote": "A quote."}, meta)
    assert entry.startswith("2. " + format_reference(meta, escape=md_text) + " Section: Results, p. 3.")
    assert "**Sister Cities and Smart Cities**" in entry
