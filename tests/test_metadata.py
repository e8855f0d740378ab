"""Metadata corrections (the Papers page's library side): checked, saved beside the paper, and
published by an incremental ingest that embeds nothing. About 5 s (no model is loaded)."""

from __future__ import annotations

import json

import pytest

from sisterqa.app.metadata import BadMetadata, clean_fields, save_metadata
from sisterqa.index.build import BuildSettings, ingest
from sisterqa.index.store import open_snapshot


def test_clean_fields_checks_and_normalises():
    f = clean_fields(" A  title ", "Ana Lima\n\n Budi  Santoso ; Citra", "2021", "ID", "  ")
    assert f == {"title": "A title", "authors": ["Ana Lima", "Budi Santoso", "Citra"], "year": 2021,
                 "language": "id", "venue": None}
    assert clean_fields("T", [], "", "", "")["year"] is None
    for bad in ({"title": " "}, {"year": "20x1"}, {"year": "1066"}, {"language": "english!"}):
        args = {"title": "T", "authors": "", "year": "", "language": "en", "venue": "", **bad}
        with pytest.raises(BadMetadata):
            clean_fields(**args)


def test_a_correction_is_saved_and_published_without_embedding(work_copy):
    index = work_copy / ".sisterqa"
    before = open_snapshot(index)
    paper = next(p for p in before.papers if p["doc_id"].startswith("magelang"))
    file = save_metadata(paper, clean_fields("Paradiplomacy and Smart Cities: Magelang and Tula",
                                             paper["authors"], "2024", "en", "Jurnal Tidar"), work_copy)
    data = json.loads(file.read_text(encoding="utf-8"))
    entry = data["magelang-tula-paradiplomacy-smart-city.txt"]
    assert entry["venue"] == "Jurnal Tidar" and entry["institution"] == "Universitas Tidar"  # others kept
    assert len(data) == 5
    report = ingest([work_copy / "corpus"], index, BuildSettings(), root=work_copy)
    assert report.embedded == 0 and not report.added and not report.changed and len(report.unchanged) == 5
    after = open_snapshot(index)
    meta = after.paper_meta(paper["doc_id"])
    assert meta["title"] == "Paradiplomacy and Smart Cities: Magelang and Tula" and meta["venue"] == "Jurnal Tidar"
    npy = f"papers/{paper['doc_id']}.npy"
    assert (after.path / npy).stat().st_ino == (before.path / npy).stat().st_ino  # vectors reused as they were


def test_bibliographic_fields_are_checked_saved_and_published(work_copy):
    f = clean_fields("T", "", "", "en", "", type="thesis", institution=" Universitas  Diponegoro ",
                     doi="https://doi.org/10.1234/ABC.1", url="https://example.org/t")
    assert (f["type"], f["institution"], f["doi"], f["url"]) == (
        "thesis", "Universitas Diponegoro", "10.1234/ABC.1", "https://example.org/t")
    for bad in ({"type": "novel"}, {"doi": "not a doi"}, {"url": "javascript:alert(1)"}):
        with pytest.raises(BadMetadata):
            clean_fields("T", "", "", "en", "", **bad)
    index = work_copy / ".sisterqa"
    paper = next(p for p in open_snapshot(index).papers if p["doc_id"].startswith("semarang"))
    save_metadata(paper, clean_fields(paper["title"], paper["authors"], "2022", "id", "", type="thesis",
                                      institution="Universitas Diponegoro", doi="", url=""), work_copy)
    report = ingest([work_copy / "corpus"], index, BuildSettings(), root=work_copy)
    assert report.embedded == 0
    meta = open_snapshot(index).paper_meta(paper["doc_id"])
    assert meta["type"] == "thesis" and meta["institution"] == "Universitas Diponegoro" and "doi" not in meta
    from sisterqa.app.references import bibtex_entry

    assert bibtex_entry(meta).startswith("@misc{ristadina2022kendala,")
    assert "howpublished = {Undergraduate thesis, Universitas Diponegoro}" in bibtex_entry(meta)
