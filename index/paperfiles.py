"""One paper's files in an index version (``papers/<doc>.*``): written by a build, hard-linked
into the next build while the paper is unchanged, read back by the packs' writer and by readers of
indexes without packs.

    papers/<doc>.txt              cleaned text (citations quote it; the UI shows it)
    papers/<doc>.json             metadata, sections, pages, blocks (start, end, kind)
    papers/<doc>.passages.jsonl   passages (offsets into the text)
    papers/<doc>.npy              the passages' vectors, reused by incremental ingest
    papers/<doc>.sentences.npy / .sentvec.npy   sentence offsets and vectors
    papers/<doc>.sentkinds.npy    each sentence's block kind (a number into ingest.blocks.KINDS)
    papers/<doc>.boxes.npy        PDFs only: each text character's (page, x0, top, x1, bottom)
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from sisterqa.ingest.blocks import sentence_codes
from sisterqa.ingest.paper import Paper, Passage

from .errors import IndexCorrupt


def paper_record(paper: Paper) -> dict:
    d = paper.meta()
    d["sections"] = [list(s) for s in paper.sections]
    d["pages"] = [list(p) for p in paper.pages]
    d["blocks"] = [[int(a), int(b), k] for a, b, k in paper.blocks]
    return d


def read_paper_record(version: Path, doc_id: str) -> dict:
    try:
        return json.loads((version / "papers" / f"{doc_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:  # ValueError: bad JSON or not UTF-8
        raise IndexCorrupt(version, f"papers/{doc_id}.json is unreadable") from e


def paper_from_record(d: dict, text: str) -> Paper:
    return Paper(
        doc_id=d["doc_id"], path=d["path"], title=d["title"], authors=tuple(d["authors"]),
        year=d["year"], language=d["language"], sha256=d["sha256"], text=text,
        sections=tuple((int(a), b) for a, b in d["sections"]),
        pages=tuple((int(a), int(b)) for a, b in d["pages"]), venue=d.get("venue"),
        blocks=tuple((int(a), int(b), str(k)) for a, b, k in d.get("blocks") or ()),
    )


def write_paper_files(
    build: Path, paper: Paper, passages: list[Passage], vectors: np.ndarray,
    sentences: np.ndarray, sentence_vectors: np.ndarray,
):
    """Write one paper's files into a build directory."""
    base = build / "papers" / paper.doc_id
    base.with_suffix(".txt").write_text(paper.text, encoding="utf-8")
    base.with_suffix(".json").write_text(
        json.dumps(paper_record(paper), ensure_ascii=False), encoding="utf-8"
    )
    with open(f"{base}.passages.jsonl", "w", encoding="utf-8") as f:
        for p in passages:
            f.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
    np.save(base.with_suffix(".npy"), np.asarray(vectors, dtype=np.float32))
    np.save(f"{base}.sentences.npy", np.asarray(sentences, dtype=np.int64).reshape(-1, 2))
    np.save(f"{base}.sentvec.npy", np.asarray(sentence_vectors, dtype=np.float32))
    # each sentence's block kind (a number into ingest.blocks.KINDS), aligned with the sentence rows
    np.save(f"{base}.sentkinds.npy", sentence_codes(paper.blocks, sentences))
    if paper.boxes is not None:  # PDFs: where each character of the text is printed
        np.save(f"{base}.boxes.npy", np.asarray(paper.boxes, dtype=np.float32).reshape(-1, 5))


def paper_files(version: Path, doc_id: str) -> list[Path]:
    base = version / "papers" / doc_id
    return [
        base.with_suffix(".txt"), base.with_suffix(".json"),
        Path(f"{base}.passages.jsonl"), base.with_suffix(".npy"),
        Path(f"{base}.sentences.npy"), Path(f"{base}.sentvec.npy"),
    ] + [Path(f"{base}.{kind}.npy") for kind in ("sentkinds", "boxes") if Path(f"{base}.{kind}.npy").exists()]


def link_paper_files(old: Path, build: Path, doc_id: str) -> None:
    """Reuse an unchanged paper's files in a new build (hard links: no copying)."""
    for src in paper_files(old, doc_id):
        dst = build / "papers" / src.name
        try:
            os.link(src, dst)
        except OSError:
            try:
                shutil.copy2(src, dst)
            except OSError as e:
                raise IndexCorrupt(old, f"papers/{src.name} is unreadable ({type(e).__name__})") from e


def read_passages(version: Path, doc_id: str) -> list[Passage]:
    path = version / "papers" / f"{doc_id}.passages.jsonl"
    try:
        with open(path, encoding="utf-8") as f:
            return [Passage.from_dict(json.loads(line)) for line in f if line.strip()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise IndexCorrupt(version, f"{path.name} is unreadable ({type(e).__name__})") from e


def read_vectors(version: Path, doc_id: str, kind: str = "", mmap: bool = False) -> np.ndarray:
    """A paper's stored array: passage vectors (kind ""), "sentences", "sentvec", "sentkinds" or "boxes".

    ``mmap`` maps the file instead of reading it (copy-on-write): the array stays
    valid after the file is deleted, and pages are read only when used.
    """
    path = version / "papers" / (f"{doc_id}.{kind}.npy" if kind else f"{doc_id}.npy")
    try:
        if mmap:
            return np.asarray(np.load(path, mmap_mode="c", allow_pickle=False))
        return np.load(path, allow_pickle=False)
    except (FileNotFoundError, ValueError, OSError, EOFError) as e:
        raise IndexCorrupt(version, f"{path.name} is unreadable") from e
