"""Reading the index: the live version loaded as a ``Snapshot`` (manifest, passages, vectors, BM25).

The index directory's layout and versions are ``index.versions``, a paper's
files ``index.paperfiles``, the manifest and its checks ``index.manifest``,
the packed store ``index.packs``. The names of those modules that callers used
to import from here are still importable from here.

Passages are numbered in manifest order (paper after paper); that number is
the row of ``dense.faiss`` and what ``bm25.scores`` indexes.

Readers open whatever CURRENT names. A build is written into a temporary
directory and renamed into place before CURRENT flips to it, so a crash or a
concurrent reader never sees half an index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sisterqa.ingest.blocks import KINDS, sentence_codes
from sisterqa.ingest.paper import Paper, Passage

from .backends.base import MilvusSettings
from .bm25 import BM25Index, BM25Shard
from .errors import IndexCorrupt, IndexMissing
from .manifest import (CHECKSUM_MAX_BYTES, FORMAT, MANIFEST, check_files, file_checksums, file_sizes,
                       read_manifest)
from .packs import LazyPassages, PackedStore
from .paperfiles import (link_paper_files, paper_files, paper_from_record, paper_record, read_paper_record,
                         read_passages, read_vectors, write_paper_files)
from .vectors import VectorIndex
from .versions import CURRENT, IndexDir, fsync_dir, write_atomic

__all__ = [
    "Snapshot", "open_snapshot", "load_version", "DENSE", "BM25_DIR",
    # index.versions
    "CURRENT", "IndexDir", "fsync_dir", "write_atomic",
    # index.paperfiles
    "paper_record", "read_paper_record", "paper_from_record", "write_paper_files", "paper_files",
    "link_paper_files", "read_passages", "read_vectors",
    # index.manifest
    "FORMAT", "MANIFEST", "CHECKSUM_MAX_BYTES", "file_checksums", "file_sizes", "read_manifest", "check_files",
]

DENSE = "dense.faiss"
BM25_DIR = "bm25"


@dataclass
class Snapshot:
    """One loaded index version: manifest, passages, vectors, BM25.

    ``passages[i]`` is passage number ``i`` (the dense row and the BM25 score
    position). With packs (every index written by this version of sisterqa) it
    is read from memory-mapped files when asked for; an index from before packs
    is read whole into memory.
    """

    path: Path
    manifest: dict
    passages: "list[Passage] | LazyPassages"
    dense: VectorIndex
    bm25: BM25Index
    _texts: dict[str, str] = field(default_factory=dict)
    _sentences: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    _boxes: dict[str, np.ndarray | None] = field(default_factory=dict)
    _store: PackedStore | None = None
    _cache: dict = field(default_factory=dict)

    @property
    def papers(self) -> list[dict]:
        return self.manifest["papers"]

    def memo(self, kind: str, key, make, limit: int = 512):
        """``make()`` computed once per (kind, key) for this index version and kept with it (the
        readers' per-index caches live here, not in module globals); at most ``limit`` keys a kind,
        the oldest dropped first."""
        table = self._cache.setdefault(f"memo:{kind}", {})
        if key not in table:
            if len(table) >= limit:
                table.pop(next(iter(table)))
            table[key] = make()
        return table[key]

    def _doc_index(self) -> dict[str, int]:
        if "doc_index" not in self._cache:
            self._cache["doc_index"] = {p["doc_id"]: i for i, p in enumerate(self.papers)}
        return self._cache["doc_index"]

    def paper_meta(self, doc_id: str) -> dict:
        i = self._doc_index().get(doc_id)
        if i is None:
            raise KeyError(doc_id)
        return self.papers[i]

    def paper_text(self, doc_id: str) -> str:
        """The cleaned text of a paper (what citations quote)."""
        if self._store is not None:
            if doc_id not in self._store.doc_index:
                raise KeyError(doc_id)
            return self._store.text(doc_id)
        if doc_id not in self._texts:
            try:
                self._texts[doc_id] = (self.path / "papers" / f"{doc_id}.txt").read_text(
                    encoding="utf-8"
                )
            except FileNotFoundError as e:
                raise IndexCorrupt(self.path, f"papers/{doc_id}.txt is missing") from e
        return self._texts[doc_id]

    def sentences(self, doc_id: str) -> tuple[np.ndarray, np.ndarray]:
        """A paper's sentence offsets (n×2) and their unit vectors (n×dim)."""
        if self._store is not None:
            return self._store.sentences(doc_id)
        if doc_id not in self._sentences:
            spans = read_vectors(self.path, doc_id, "sentences")
            vecs = read_vectors(self.path, doc_id, "sentvec")
            if len(spans) != len(vecs):
                raise IndexCorrupt(self.path, f"{doc_id}: {len(spans)} sentences, {len(vecs)} vectors")
            self._sentences[doc_id] = (spans, vecs)
        return self._sentences[doc_id]

    def sentence_kind_codes(self, doc_id: str) -> np.ndarray:
        """For each sentence row of ``sentences(doc_id)``, the number in ``ingest.blocks.KINDS`` of the
        block it lies in (uint8)."""
        if self._store is not None:
            return self._store.sentence_kinds(doc_id)
        key = f"sentkinds:{doc_id}"
        if key not in self._cache:
            path = self.path / "papers" / f"{doc_id}.sentkinds.npy"
            if path.exists():
                codes = read_vectors(self.path, doc_id, "sentkinds")
            else:  # an index from before block kinds: the record's blocks, if any
                spans, _ = self.sentences(doc_id)
                codes = sentence_codes(self.paper(doc_id).blocks, spans)
            self._cache[key] = np.asarray(codes, dtype=np.uint8)
        return self._cache[key]

    def sentence_kinds(self, doc_id: str) -> list[str]:
        """For each sentence row of ``sentences(doc_id)``, the kind of the block it lies in: one of
        ``ingest.blocks.KINDS`` (prose, heading, list, code, figure, table, equation, caption, title,
        footnote, reference, other, fragment). Only prose and list sentences read as answers;
        ``fragment`` is a sentence cut by a page, column or float that could not be rejoined."""
        return [KINDS[c] if c < len(KINDS) else "other" for c in self.sentence_kind_codes(doc_id).tolist()]

    def blocks(self, doc_id: str) -> list[tuple[int, int, str]]:
        """The paper's blocks: (start, end, kind) offsets into ``paper_text(doc_id)``, in order."""
        if self._store is not None:
            rows = self._store.blocks(doc_id)
            return [(int(a), int(b), KINDS[int(k)] if int(k) < len(KINDS) else "other") for a, b, k in rows]
        return list(self.paper(doc_id).blocks)

    def quote_boxes(self, doc_id: str, start: int, end: int) -> list[dict]:
        """Where ``paper_text(doc_id)[start:end]`` is printed, for a PDF: [{"page", "x0", "y0", "x1", "y1"}]
        in PDF points, origin top-left, one or more per line; [] for papers without boxes."""
        from sisterqa.ingest.pdf import quote_rects

        if doc_id not in self._boxes:
            path = self.path / "papers" / f"{doc_id}.boxes.npy"
            try:
                self._boxes[doc_id] = np.load(path, mmap_mode="c", allow_pickle=False) if path.exists() else None
            except (ValueError, OSError, EOFError) as e:
                raise IndexCorrupt(self.path, f"{path.name} is unreadable") from e
        boxes = self._boxes[doc_id]
        if boxes is None or start >= end:
            return []
        return quote_rects(np.asarray(boxes), start, end)

    def paper(self, doc_id: str) -> Paper:
        """The full Paper (text, sections, pages) as it was indexed."""
        d = read_paper_record(self.path, doc_id)
        return paper_from_record(d, self.paper_text(doc_id))

    # -- per-passage arrays and candidate-only helpers (cost independent of the index size
    #    where they take passage numbers)

    @property
    def passage_docs(self) -> np.ndarray:
        """For each passage number, the index of its paper in ``papers`` (int32)."""
        if self._store is not None:
            return self._store.passage_doc
        if "passage_docs" not in self._cache:
            idx = self._doc_index()
            self._cache["passage_docs"] = np.array([idx[p.doc_id] for p in self.passages], dtype=np.int32)
        return self._cache["passage_docs"]

    def passage_column(self, name: str) -> np.ndarray:
        """One field of every passage as an array: "start", "end", "page" (-1: none) or
        "section" (numbers into ``section_names()``)."""
        if self._store is not None:
            return self._store.column(name)
        key = f"col:{name}"
        if key not in self._cache:
            if name == "section":
                names = self.section_names()
                pos = {s: i for i, s in enumerate(names)}
                self._cache[key] = np.array([pos[p.section] for p in self.passages], dtype=np.int64)
            else:
                get = {"start": lambda p: p.start, "end": lambda p: p.end,
                       "page": lambda p: -1 if p.page is None else p.page}[name]
                self._cache[key] = np.array([get(p) for p in self.passages], dtype=np.int64)
        return self._cache[key]

    def section_names(self) -> list[str]:
        """The section names ``passage_column("section")`` numbers."""
        if self._store is not None:
            return self._store.section_names()
        if "sections" not in self._cache:
            self._cache["sections"] = list(dict.fromkeys(p.section for p in self.passages))
        return self._cache["sections"]

    def passage_fields(self, ids) -> np.ndarray:
        """For the passage numbers ``ids``: rows (paper index, start, end, page or -1, section number
        into ``section_names()``), reading only those passages."""
        if self._store is not None:
            return self._store.fields(ids)
        ids = np.asarray(ids, dtype=np.int64)
        cols = [self.passage_docs] + [self.passage_column(c) for c in ("start", "end", "page", "section")]
        return np.stack([np.asarray(c, dtype=np.int64)[ids] for c in cols], axis=1).reshape(len(ids), 5)

    def paper_passages(self, doc_id: str) -> range:
        """The passage numbers of one paper (they are consecutive)."""
        if self._store is not None:
            return self._store.paper_range(doc_id)
        if "paper_ranges" not in self._cache:
            docs = self.passage_docs
            bounds = np.searchsorted(docs, np.arange(len(self.papers) + 1))
            self._cache["paper_ranges"] = [range(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]
        return self._cache["paper_ranges"][self._doc_index()[doc_id]]

    def passage_sentences(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Offsets and vectors of the sentences that overlap passage ``i``."""
        p = self.passages[int(i)]
        spans, vecs = self.sentences(p.doc_id)
        if not len(spans):
            return spans, vecs
        inside = np.nonzero((spans[:, 0] < p.end) & (spans[:, 1] > p.start))[0]
        return spans[inside], vecs[inside]

    def best_sentence(self, ids, query_vec: np.ndarray) -> np.ndarray:
        """For each passage number in ``ids``, its best sentence's similarity to ``query_vec``
        (0 for a passage without sentences). Reads only those passages' papers."""
        out = np.zeros(len(ids), dtype=np.float64)
        if self._store is None:
            for k, i in enumerate(ids):
                _, vecs = self.passage_sentences(int(i))
                if len(vecs):
                    out[k] = float(np.max(np.asarray(vecs) @ query_vec))
            return out
        by_doc: dict[int, list[tuple[int, int, int]]] = {}
        for k, i in enumerate(ids):  # passages grouped by paper: each paper's sentences read once
            d, start, end = self._store.span(int(i))
            by_doc.setdefault(d, []).append((k, start, end))
        for d, items in by_doc.items():
            spans = self._store.sentence_spans(d)
            if not len(spans):
                continue
            for k, start, end in items:
                inside = np.nonzero((spans[:, 0] < end) & (spans[:, 1] > start))[0]
                if len(inside):  # only these rows' vectors are read
                    vecs = self._store.sentence_vectors(d, int(inside[0]), int(inside[-1]) + 1)
                    out[k] = float(np.max(vecs[inside - inside[0]] @ query_vec))
        return out


def _current_bytes(root: Path) -> bytes | None:
    try:
        return (Path(root) / CURRENT).read_bytes()
    except OSError:
        return None


def open_snapshot(root: Path, milvus: MilvusSettings = MilvusSettings()) -> Snapshot:
    """Load the live index version, checking it is whole (``milvus``: how to reach the milvus
    backend's engine, for an index built with it).

    An ingest may publish a new version, and delete an older one, while this
    reads: when a read fails and CURRENT changed meanwhile, it starts again on
    the new version. The papers' texts and sentence arrays are read (or
    mapped) here, so a snapshot keeps answering after its version is deleted.
    """
    index_dir = IndexDir(root)
    attempts = 20
    for attempt in range(attempts):
        before = _current_bytes(root)
        try:
            version = index_dir.current()
            if version is None:
                raise IndexMissing(root)
            return load_version(Path(root), version, milvus)
        except IndexCorrupt:
            if attempt + 1 < attempts and _current_bytes(root) != before:
                continue  # a new version was published under us: read that one
            raise
    raise AssertionError("unreachable")


def load_version(root: Path, version: Path, milvus: MilvusSettings = MilvusSettings()) -> Snapshot:
    """Load one version of the index at ``root``, or raise IndexCorrupt saying what is wrong."""
    manifest = read_manifest(version)
    check_files(version, manifest)
    try:
        dense = VectorIndex.load(version / DENSE)
    except Exception as e:  # noqa: BLE001 - faiss raises RuntimeError, others on garbage
        raise IndexCorrupt(root, f"{DENSE} is unreadable") from e
    papers = manifest["papers"]
    if papers and all(isinstance(p.get("store"), dict) for p in papers):
        try:
            packed = PackedStore(version, papers)
        except Exception as e:  # noqa: BLE001 - a damaged pack fails in numpy, json or our checks
            raise IndexCorrupt(root, f"packs/ are unreadable ({type(e).__name__}: {e})") from e
        if dense.ntotal != packed.n:
            raise IndexCorrupt(root, f"{dense.ntotal} vectors for {packed.n} passages")
        snap = Snapshot(path=version, manifest=manifest, passages=LazyPassages(packed), dense=dense,
                        bm25=packed.bm25, _store=packed)
        info = manifest.get("backend") or {}
        if info.get("name", "faiss") != "faiss":
            from .backends import get_backend

            get_backend(info["name"], milvus).attach(Path(root), snap, info)
        return snap
    return _load_eager(root, version, manifest, dense)


def _load_eager(root: Path, version: Path, manifest: dict, dense: VectorIndex) -> Snapshot:
    """An index without packs (written before them, or empty): everything read into memory."""
    passages: list[Passage] = []
    texts: dict[str, str] = {}
    sentences: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    boxes: dict[str, np.ndarray] = {}
    for paper in manifest["papers"]:
        doc_id = paper["doc_id"]
        passages.extend(read_passages(version, doc_id))
        try:
            texts[doc_id] = (version / "papers" / f"{doc_id}.txt").read_text(encoding="utf-8")
        except (OSError, ValueError) as e:
            raise IndexCorrupt(root, f"papers/{doc_id}.txt is unreadable ({type(e).__name__})") from e
        if (version / "papers" / f"{doc_id}.sentences.npy").exists():
            spans = read_vectors(version, doc_id, "sentences", mmap=True)
            vecs = read_vectors(version, doc_id, "sentvec", mmap=True)
            if spans.ndim != 2 or len(spans) != len(vecs):
                raise IndexCorrupt(root, f"{doc_id}: {len(spans)} sentences, {len(vecs)} vectors")
            sentences[doc_id] = (spans, vecs)
        if (version / "papers" / f"{doc_id}.boxes.npy").exists():
            boxes[doc_id] = read_vectors(version, doc_id, "boxes", mmap=True)
    if dense.ntotal != len(passages):
        raise IndexCorrupt(root, f"{dense.ntotal} vectors for {len(passages)} passages")
    try:
        bm25 = _load_legacy_bm25(version / BM25_DIR, len(passages))
    except Exception as e:  # noqa: BLE001 - bm25s's loaders raise many types on damaged files
        raise IndexCorrupt(root, f"{BM25_DIR}/ is unreadable ({type(e).__name__})") from e
    return Snapshot(path=version, manifest=manifest, passages=passages, dense=dense, bm25=bm25,
                    _texts=texts, _sentences=sentences, _boxes=boxes)


def _load_legacy_bm25(path: Path, size: int) -> BM25Index:
    """BM25 as saved by bm25s before shards (``bm25/params.index.json``), or as shards."""
    if not size:
        return BM25Index([], [], 0)
    if not (path / "params.index.json").exists():
        return BM25Index.load(path, size)
    import bm25s

    r = bm25s.BM25.load(str(path))
    sc = r.scores
    shard = BM25Shard(np.asarray(sc["data"]), np.asarray(sc["indices"]), np.asarray(sc["indptr"]),
                      dict(r.vocab_dict), int(sc["num_docs"]))
    if shard.num_docs != size:
        raise ValueError(f"BM25 holds {shard.num_docs} passages, expected {size}")
    return BM25Index([shard], [np.arange(size)], size)
