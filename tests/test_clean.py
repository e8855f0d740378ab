"""Cleaning artefacts of converted papers (issue 14, item 8): cheap, no index needed (< 1 s)."""

from __future__ import annotations

from pathlib import Path

from sisterqa.ingest.clean import clean_page

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def clean(text: str) -> str:
    return clean_page(text)[0]


def test_a_link_whose_text_is_a_bare_scheme_becomes_its_address():
    assert clean("Website: [http://](http://www.fisip.undip.ac.id) here") == "Website: http://www.fisip.undip.ac.id here"
    assert clean("see [https://](https://x.id/a?b=1).") == "see https://x.id/a?b=1."
    assert clean("[//](www.x.id)") == "www.x.id"
    # a real link text stays as it is
    assert clean("[the minutes](http://x.id)") == "[the minutes](http://x.id)"


def test_a_long_word_with_its_last_letter_split_off_is_rejoined():
    assert clean("Multidimensiona l layer\t(2) Promotional") == "Multidimensional layer\t(2) Promotional"
    assert clean("the Multidimensiona l.") == "the Multidimensional."
    # words of their own, prefixes and short words stay apart
    for text in ("efficacious e-government", "implementing smart city and e-government",
                 "a cooperation a year", "Indonesia i think", "sample size n = 30",
                 "dimensional x",
                 "parameters n is", "kerjasama internasional c-1", "Multidimensiona li"):
        assert clean(text) == text, text


def test_the_five_papers_lose_exactly_these_artefacts():
    semarang = clean((CORPUS / "semarang-jung-gu-kendala-sister-city.txt").read_text(encoding="utf-8"))
    magelang = clean((CORPUS / "magelang-tula-paradiplomacy-smart-city.txt").read_text(encoding="utf-8"))
    assert "[http://](" not in semarang and "Website: http://www.fisip.undip.ac.id" in semarang
    assert "Multidimensiona l" not in magelang and "Multidimensional layer" in magelang
    assert "e-government" in magelang
