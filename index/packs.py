"""Packs: the per-paper files of many papers in a few memory-mapped files, read by number.

A version's per-paper files (``papers/<doc>.*``) stay the source of truth and
what an incremental ingest reuses. For reading, each ingest that adds papers
also writes one pack of them:

    packs/<name>/
      texts.bin        the papers' cleaned texts, UTF-8, one after another
      passages.npy     int64 rows (start, end, page or -1, section number), one per passage
      sections.json    the section names the rows number
      ids.json         passage ids that do not follow "<doc_id>#<nnnn>" (normally {})
      sentences.npy    int64 (start, end) of every sentence, paper after paper
      sentvec.npy      float32 sentence vectors, the same rows
      sentkinds.npy    uint8 each sentence's block kind (a number into ingest.blocks.KINDS), the same rows
      blocks.npy       int64 rows (start, end, kind number) of every block, paper after paper
      bm25/<i>/        BM25 shards over the pack's passages (index/bm25.py)

and the manifest records, for each paper, where it lies: ``"store": {"pack":
name, "text": [first byte, end byte], "rows": [first passage row, end],
"sent": [first sentence row, end], "blocks": [first block row, end]}``. A later ingest hard-links the packs of
the papers it keeps and writes a pack for the new ones only; a removed or
changed paper's rows stay in their pack, unused, until packs are rewritten
(``compact``: more than ``MAX_PACKS`` packs, or more unused rows than used).

Opening keeps these files open (a handful per pack, whatever the number of
papers) and reads them by slices (``index/filearray.py``): nothing is parsed
until asked for, and they stay readable after an ingest deletes the version.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import OrderedDict
from pathlib import Path
from typing import Callable

import numpy as np

from sisterqa.ingest.blocks import KIND_CODE, sentence_codes
from sisterqa.ingest.paper import Passage

from .bm25 import SHARD_SIZE, BM25Index, BM25Shard, build_shards
from .filearray import FileArray

PACKS = "packs"
MAX_PACKS = 8
TEXT_CACHE = 256  # decoded paper texts kept per snapshot


def new_pack_name() -> str:
    return f"p-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"


def write_pack(build: Path, papers: list[dict], bm25_text: Callable[[dict, Passage], str],
               read_passages, read_array) -> dict[str, dict]:
    """Write one pack in ``build`` from the papers' files there; each doc_id's ``store`` entry.

    ``bm25_text(paper, passage)`` is the text BM25 indexes for a passage;
    ``read_passages(build, doc_id)`` and ``read_array(build, doc_id, kind)`` read
    the per-paper files (index.paperfiles's readers).
    """
    name = new_pack_name()
    out = build / PACKS / name
    out.mkdir(parents=True)
    entries: dict[str, dict] = {}
    # Sizes first (array headers only), so the sentence arrays are written in place.
    sent_counts, dim = [], None
    for p in papers:
        spans = read_array(build, p["doc_id"], "sentences", mmap=True)
        sent_counts.append(len(spans))
        if dim is None and len(spans):
            dim = read_array(build, p["doc_id"], "sentvec", mmap=True).shape[1]
    dim = dim or 384
    total_s = int(sum(sent_counts))
    # Streamed with plain writes (a header, then each paper's rows): no mapping of the whole file.
    spans_out = _npy_writer(out / "sentences.npy", "<i8", (total_s, 2))
    vecs_out = _npy_writer(out / "sentvec.npy", "<f4", (total_s, dim))
    kinds_out = _npy_writer(out / "sentkinds.npy", "|u1", (total_s,))
    block_rows: list[np.ndarray] = []
    rows: list[np.ndarray] = []  # one small array a paper: no million-tuple list on the heap
    n_rows = 0
    sections: dict[str, int] = {}
    odd_ids: dict[str, str] = {}

    def papers_in_order():
        """One pass over the papers: texts, rows and sentences written, BM25 texts handed on in batches."""
        nonlocal n_rows
        byte = sent = n_blocks = 0
        texts, langs = [], []
        with open(out / "texts.bin", "wb") as tf:
            for p, n_sent in zip(papers, sent_counts):
                doc_id = p["doc_id"]
                text = (build / "papers" / f"{doc_id}.txt").read_bytes()
                tf.write(text)
                passages = read_passages(build, doc_id)
                mine = np.empty((len(passages), 4), dtype=np.int64)
                lang = p.get("language") or "en"
                for j, passage in enumerate(passages):
                    if passage.passage_id != f"{doc_id}#{j:04d}":
                        odd_ids[str(n_rows + j)] = passage.passage_id
                    sec = sections.setdefault(passage.section, len(sections))
                    mine[j] = (passage.start, passage.end, -1 if passage.page is None else passage.page, sec)
                    texts.append(bm25_text(p, passage))
                    langs.append(lang)
                rows.append(mine)
                spans = read_array(build, doc_id, "sentences", mmap=True) if n_sent else None
                if n_sent:
                    spans_out.write(np.ascontiguousarray(spans, "<i8").tobytes())
                    vecs_out.write(np.ascontiguousarray(read_array(build, doc_id, "sentvec", mmap=True),
                                                        "<f4").tobytes())
                blocks = _paper_blocks(build, doc_id)
                if n_sent:
                    kinds = (read_array(build, doc_id, "sentkinds", mmap=True)
                             if (build / "papers" / f"{doc_id}.sentkinds.npy").exists()
                             else sentence_codes(blocks, spans))
                    if len(kinds) != n_sent:
                        raise ValueError(f"{doc_id}: {len(kinds)} sentence kinds for {n_sent} sentences")
                    kinds_out.write(np.ascontiguousarray(kinds, "|u1").tobytes())
                block_rows.append(blocks)
                entries[doc_id] = {"pack": name, "text": [byte, byte + len(text)],
                                   "rows": [n_rows, n_rows + len(passages)], "sent": [sent, sent + n_sent],
                                   "blocks": [n_blocks, n_blocks + len(blocks)]}
                n_blocks += len(blocks)
                n_rows += len(passages)
                byte += len(text)
                sent += n_sent
                if len(texts) >= SHARD_SIZE:
                    yield texts, langs
                    texts, langs = [], []
        if texts:
            yield texts, langs

    build_shards(papers_in_order(), out / "bm25")
    spans_out.close()
    vecs_out.close()
    kinds_out.close()
    np.save(out / "blocks.npy", np.vstack(block_rows) if block_rows else np.zeros((0, 3), dtype=np.int64))
    np.save(out / "passages.npy", np.vstack(rows) if rows else np.zeros((0, 4), dtype=np.int64))
    (out / "sections.json").write_text(json.dumps(list(sections), ensure_ascii=False), encoding="utf-8")
    (out / "ids.json").write_text(json.dumps(odd_ids, ensure_ascii=False), encoding="utf-8")
    return entries


def _paper_blocks(build: Path, doc_id: str) -> np.ndarray:
    """A paper's blocks as int64 rows (start, end, kind number), from its record."""
    try:
        record = json.loads((build / "papers" / f"{doc_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}
    rows = [(int(a), int(b), KIND_CODE.get(k, KIND_CODE["other"])) for a, b, k in record.get("blocks") or ()]
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _npy_writer(path: Path, descr: str, shape: tuple[int, int]):
    """A file open for writing a C-order .npy array of ``shape`` row block by row block."""
    f = open(path, "wb")
    np.lib.format.write_array_header_1_0(f, {"descr": descr, "fortran_order": False, "shape": shape})
    return f


def link_pack(old_version: Path, build: Path, name: str) -> None:
    """Reuse a pack of the previous version (hard links; a copy where links fail)."""
    src, dst = old_version / PACKS / name, build / PACKS / name
    for f in sorted(src.rglob("*")):
        target = dst / f.relative_to(src)
        if f.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(f, target)
        except OSError:
            shutil.copy2(f, target)


def pack_sizes(version: Path, name: str) -> int:
    """Passage rows a pack of ``version`` holds (used or not)."""
    return int(np.load(version / PACKS / name / "passages.npy", mmap_mode="r").shape[0])


class Pack:
    """One pack, memory-mapped."""

    def __init__(self, path: Path):
        self.path = path
        self.name = path.name
        # Read by slices (index/filearray.py), not mapped: a question's memory is what it reads.
        self.texts = FileArray(path / "texts.bin", dtype=np.uint8)
        self.rows = FileArray(path / "passages.npy")
        self.sections = json.loads((path / "sections.json").read_text(encoding="utf-8"))
        self.odd_ids = json.loads((path / "ids.json").read_text(encoding="utf-8"))
        self.spans = FileArray(path / "sentences.npy")
        self.vecs = FileArray(path / "sentvec.npy")
        # packs written before block kinds have neither file (their index is rebuilt on the next ingest)
        self.kinds = FileArray(path / "sentkinds.npy") if (path / "sentkinds.npy").exists() else None
        self.blocks = FileArray(path / "blocks.npy") if (path / "blocks.npy").exists() else None
        if self.rows.ndim != 2 or self.rows.shape[1] != 4 or len(self.spans) != len(self.vecs) or (
                self.kinds is not None and len(self.kinds) != len(self.spans)) or (
                self.blocks is not None and (self.blocks.ndim != 2 or self.blocks.shape[1] != 3)):
            raise ValueError(f"pack {self.name} is inconsistent")
        self.shards = []
        i = 0
        while (path / "bm25" / str(i) / "vocab.json").exists():
            self.shards.append(BM25Shard.load(path / "bm25" / str(i)))
            i += 1
        if sum(s.num_docs for s in self.shards) != len(self.rows):
            raise ValueError(f"pack {self.name}: BM25 covers {sum(s.num_docs for s in self.shards)} "
                             f"of {len(self.rows)} passages")


class PackedStore:
    """The papers of one version, read from its packs by passage and sentence number."""

    def __init__(self, version: Path, papers: list[dict]):
        names = []
        for p in papers:
            if p["store"]["pack"] not in names:
                names.append(p["store"]["pack"])
        self.packs = [Pack(version / PACKS / n) for n in names]
        by_name = {pk.name: i for i, pk in enumerate(self.packs)}
        self.papers = papers
        self.doc_index = {p["doc_id"]: i for i, p in enumerate(papers)}
        counts = np.array([p["store"]["rows"][1] - p["store"]["rows"][0] for p in papers], dtype=np.int64)
        self.paper_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        n = int(self.paper_start[-1])
        self.n = n
        self.passage_doc = np.repeat(np.arange(len(papers), dtype=np.int32), counts)
        self.paper_pack = np.array([by_name[p["store"]["pack"]] for p in papers], dtype=np.int32)
        self.paper_row0 = np.array([p["store"]["rows"][0] for p in papers], dtype=np.int64)
        # BM25: each pack's rows → passage numbers (-1: a paper no longer indexed).
        owner = [np.full(len(pk.rows), -1, dtype=np.int64) for pk in self.packs]
        for i, p in enumerate(papers):
            r0, r1 = p["store"]["rows"]
            owner[self.paper_pack[i]][r0:r1] = np.arange(self.paper_start[i], self.paper_start[i + 1])
        shards, rows = [], []
        for pk, own in zip(self.packs, owner):
            start = 0
            for s in pk.shards:
                shards.append(s)
                rows.append(own[start:start + s.num_docs])
                start += s.num_docs
        self.bm25 = BM25Index(shards, rows, n)
        self._texts: OrderedDict[str, str] = OrderedDict()

    def text(self, doc_id: str) -> str:
        t = self._texts.get(doc_id)
        if t is None:
            p = self.papers[self.doc_index[doc_id]]
            a, b = p["store"]["text"]
            t = bytes(self.packs[self.paper_pack[self.doc_index[doc_id]]].texts[a:b]).decode("utf-8")
            self._texts[doc_id] = t
            if len(self._texts) > TEXT_CACHE:
                self._texts.popitem(last=False)
        else:
            self._texts.move_to_end(doc_id)
        return t

    def sentences(self, doc_id: str) -> tuple[np.ndarray, np.ndarray]:
        i = self.doc_index[doc_id]
        a, b = self.papers[i]["store"]["sent"]
        pk = self.packs[self.paper_pack[i]]
        return np.asarray(pk.spans[a:b]), np.asarray(pk.vecs[a:b])

    def sentence_kinds(self, doc_id: str) -> np.ndarray:
        """Each sentence's block kind (uint8 numbers into ingest.blocks.KINDS); prose (0) for a pack
        written before block kinds."""
        i = self.doc_index[doc_id]
        a, b = self.papers[i]["store"]["sent"]
        pk = self.packs[self.paper_pack[i]]
        if pk.kinds is None:
            return np.zeros(b - a, dtype=np.uint8)
        return np.asarray(pk.kinds[a:b], dtype=np.uint8)

    def blocks(self, doc_id: str) -> np.ndarray:
        """The paper's blocks: int64 rows (start, end, kind number); none for an older pack."""
        i = self.doc_index[doc_id]
        pk = self.packs[self.paper_pack[i]]
        span = self.papers[i]["store"].get("blocks")
        if pk.blocks is None or not span:
            return np.zeros((0, 3), dtype=np.int64)
        return np.asarray(pk.blocks[span[0]:span[1]], dtype=np.int64)

    def sentence_spans(self, d: int) -> np.ndarray:
        """The sentence offsets of paper number ``d``."""
        a, b = self.papers[d]["store"]["sent"]
        return np.asarray(self.packs[self.paper_pack[d]].spans[a:b])

    def sentence_vectors(self, d: int, lo: int, hi: int) -> np.ndarray:
        """The vectors of sentences ``lo:hi`` of paper number ``d`` (only those rows are read)."""
        a, _ = self.papers[d]["store"]["sent"]
        return np.asarray(self.packs[self.paper_pack[d]].vecs[a + lo:a + hi])

    def passage(self, i: int) -> Passage:
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        d = int(self.passage_doc[i])
        j = i - int(self.paper_start[d])
        pk = self.packs[self.paper_pack[d]]
        row = int(self.paper_row0[d]) + j
        start, end, page, sec = (int(x) for x in pk.rows[row])
        doc_id = self.papers[d]["doc_id"]
        return Passage(
            passage_id=pk.odd_ids.get(str(row), f"{doc_id}#{j:04d}"), doc_id=doc_id, start=start, end=end,
            section=pk.sections[sec], page=None if page < 0 else page, text=self.text(doc_id)[start:end],
        )

    def span(self, i: int) -> tuple[int, int, int]:
        """(paper index, start, end) of passage ``i``, without reading its text."""
        d = int(self.passage_doc[i])
        row = int(self.paper_row0[d]) + i - int(self.paper_start[d])
        start, end = self.packs[self.paper_pack[d]].rows[row, :2]
        return d, int(start), int(end)

    def fields(self, ids: np.ndarray) -> np.ndarray:
        """Rows (paper index, start, end, page or -1, section number into ``section_names()``) of the
        passage numbers ``ids``, read from the packs for those passages only."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.empty((len(ids), 5), dtype=np.int64)
        if not len(ids):
            return out
        d = self.passage_doc[ids].astype(np.int64)
        row = self.paper_row0[d] + ids - self.paper_start[d]
        pack = self.paper_pack[d]
        offsets = self.section_offsets()
        out[:, 0] = d
        for pk in np.unique(pack):
            m = pack == pk
            rows = self.packs[pk].rows[row[m]]
            out[m, 1:4] = rows[:, :3]
            out[m, 4] = rows[:, 3] + offsets[pk]
        return out

    def paper_range(self, doc_id: str) -> range:
        """The passage numbers of one paper."""
        i = self.doc_index[doc_id]
        return range(int(self.paper_start[i]), int(self.paper_start[i + 1]))

    def column(self, name: str) -> np.ndarray:
        """One field of every passage, as an array: "start", "end", "page" (-1: none) or "section"
        (numbers into ``section_names()``, the same for every pack)."""
        col = {"start": 0, "end": 1, "page": 2, "section": 3}[name]
        parts = []
        offsets = self.section_offsets() if name == "section" else None
        for d in range(len(self.papers)):
            pk = self.paper_pack[d]
            r0 = self.paper_row0[d]
            vals = np.asarray(self.packs[pk].rows[r0:r0 + self.paper_start[d + 1] - self.paper_start[d], col])
            parts.append(vals + offsets[pk] if offsets is not None else vals)
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def section_offsets(self) -> list[int]:
        if getattr(self, "_section_offsets", None) is not None:
            return self._section_offsets
        out, n = [], 0
        for pk in self.packs:
            out.append(n)
            n += len(pk.sections)
        self._section_offsets = out
        return out

    def section_names(self) -> list[str]:
        if getattr(self, "_section_names", None) is None:
            self._section_names = [s for pk in self.packs for s in pk.sections]
        return self._section_names


class LazyPassages:
    """``snapshot.passages``: a read-only sequence of Passage, each read from the packs when asked."""

    def __init__(self, store: PackedStore):
        self._store = store

    def __len__(self) -> int:
        return self._store.n

    def __bool__(self) -> bool:
        return self._store.n > 0

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self._store.passage(j) for j in range(*i.indices(self._store.n))]
        return self._store.passage(int(i))

    def __iter__(self):
        for j in range(self._store.n):
            yield self._store.passage(j)
