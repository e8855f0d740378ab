"""The index directory: immutable versions, an atomically switched CURRENT, a lock.

    <index dir>/
      CURRENT              names the live version (replaced by rename)
      lock                 held by the one ingest allowed at a time
      v-<time>-<pid>/      one complete build
        manifest.json      settings, versions, papers, file sizes
        papers/<doc>.txt   cleaned text (citations quote it; the UI shows it)
        papers/<doc>.json  metadata, sections, pages, blocks (start, end, kind)
        papers/<doc>.passages.jsonl   passages (offsets into the text)
        papers/<doc>.npy   the passages' vectors, reused by incremental ingest
        papers/<doc>.sentences.npy / .sentvec.npy   sentence offsets and vectors
        papers/<doc>.sentkinds.npy   each sentence's block kind (a number into ingest.blocks.KINDS)
        papers/<doc>.boxes.npy   PDFs only: each text character's (page, x0, top, x1, bottom)
        dense.faiss        vector index over all passages, in manifest order
        packs/<name>/      the papers' texts, passage rows, sentences, sentence vectors,
                           sentence kinds, blocks and BM25 shards, memory-mapped for reading (index/packs.py)

Passages are numbered in manifest order (paper after paper); that number is
the row of ``dense.faiss`` and what ``bm25.scores`` indexes.

Readers open whatever CURRENT names. A build is written into a temporary
directory and renamed into place before CURRENT flips to it, so a crash or a
concurrent reader never sees half an index.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sisterqa.ingest.blocks import KINDS, sentence_codes
from sisterqa.ingest.paper import Paper, Passage

from .bm25 import BM25Index, BM25Shard
from .errors import IndexCorrupt, IndexMissing, IngestLocked
from .packs import LazyPassages, PackedStore
from .vectors import VectorIndex

FORMAT = 1
MANIFEST = "manifest.json"
CURRENT = "CURRENT"
DENSE = "dense.faiss"
BM25_DIR = "bm25"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


class IndexDir:
    """An index directory on disk (default ``.sisterqa/``)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def current(self) -> Path | None:
        """The live version's directory, or None when nothing was built yet."""
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None  # nothing built here yet (or the index directory is a file)
        except (OSError, UnicodeDecodeError) as e:
            raise IndexCorrupt(self.root, f"CURRENT is unreadable ({type(e).__name__})") from e
        if not name or "/" in name or name.startswith(".") or len(name) > 200 or not name.isprintable():
            raise IndexCorrupt(self.root, "CURRENT names no version")
        path = self.root / name
        if not path.is_dir():
            raise IndexCorrupt(self.root, f"CURRENT names {name}, which is missing")
        return path

    @contextlib.contextmanager
    def lock(self):
        """Hold the writer lock; refuse at once if another ingest holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        f = open(self.root / "lock", "a+")
        try:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                holder = f.read().strip() or "another process"
                raise IngestLocked(
                    f"another ingest is running on {self.root} ({holder}); "
                    "wait for it to finish and run this again"
                ) from None
            f.seek(0)
            f.truncate()
            f.write(f"pid {os.getpid()} since {time.strftime('%H:%M:%S')}")
            f.flush()
            yield
        finally:
            f.close()

    def remove_dead_builds(self) -> int:
        """Delete what a killed ingest left behind: unfinished builds, a temporary CURRENT.

        Call with the lock held (only the lock holder builds). Returns the number
        of build directories removed.
        """
        removed = 0
        for child in self.root.iterdir():
            if child.name.startswith(".build-") and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
            elif child.name.startswith(f".{CURRENT}.") and child.name.endswith(".tmp"):
                child.unlink(missing_ok=True)
        return removed

    def new_build(self) -> Path:
        """A fresh temporary directory for a build (ignored by readers)."""
        path = self.root / f".build-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        (path / "papers").mkdir(parents=True)
        return path

    def publish(self, build: Path) -> Path:
        """Rename a finished build into place, flip CURRENT to it, drop old versions."""
        final = self.root / f"v-{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}"
        fsync_dir(build)
        os.replace(build, final)
        fsync_dir(self.root)
        try:
            previous = self.current()
        except IndexCorrupt:
            previous = None  # a damaged CURRENT is simply replaced
        write_atomic(self.root / CURRENT, final.name.encode())
        self._cleanup(keep={final.name, previous.name if previous else ""})
        return final

    def _cleanup(self, keep: set[str]) -> None:
        """Remove old versions and dead builds; the previous version stays for readers."""
        for child in self.root.iterdir():
            if child.name in keep or not child.is_dir():
                continue
            if child.name.startswith("v-") or child.name.startswith(".build-"):
                shutil.rmtree(child, ignore_errors=True)


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


# Up to this many bytes of files, the manifest records each file's CRC-32 and opening checks
# them all (a few milliseconds for the corpus): damage that keeps a file's size is found too.
# Past it, opening checks sizes only, so that it stays fast at any size.
CHECKSUM_MAX_BYTES = 256 * 2**20


def _crc32(path: Path) -> int:
    import zlib

    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def file_checksums(version: Path, sizes: dict[str, int]) -> dict[str, int] | None:
    """CRC-32 of every file listed in ``sizes``, or None when they add up past CHECKSUM_MAX_BYTES."""
    if sum(sizes.values()) > CHECKSUM_MAX_BYTES:
        return None
    return {name: _crc32(version / name) for name in sizes}


def file_sizes(version: Path) -> dict[str, int]:
    return {
        str(p.relative_to(version)): p.stat().st_size
        for p in sorted(version.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def read_manifest(version: Path) -> dict:
    try:
        manifest = json.loads((version / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise IndexCorrupt(version, f"{MANIFEST} is unreadable ({type(e).__name__})") from e
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorrupt(version, f"{MANIFEST} has an unknown format")
    papers, settings = manifest.get("papers"), manifest.get("settings")
    if (
        not isinstance(papers, list) or not isinstance(settings, dict) or "embedder" not in settings
        or not isinstance(manifest.get("files", {}), dict)
        or not all(isinstance(p, dict) and _safe_doc_id(p.get("doc_id")) for p in papers)
    ):
        raise IndexCorrupt(version, f"{MANIFEST} is incomplete")
    return manifest


def _safe_doc_id(doc_id) -> bool:
    """A doc id names files in papers/: no path separators, no hidden names."""
    return (
        isinstance(doc_id, str) and bool(doc_id) and not doc_id.startswith(".")
        and not any(c in doc_id for c in "/\\\x00")
    )


def check_files(version: Path, manifest: dict) -> None:
    """Every file the manifest lists is there with its recorded size, and its CRC-32 where the
    manifest has checksums (indexes up to CHECKSUM_MAX_BYTES)."""
    for name, size in manifest.get("files", {}).items():
        try:
            actual = (version / name).stat().st_size
        except OSError:
            raise IndexCorrupt(version.parent, f"{name} is missing") from None
        if actual != size:
            raise IndexCorrupt(version.parent, f"{name} has {actual} bytes, expected {size}")
    checksums = manifest.get("checksums")
    if isinstance(checksums, dict):
        for name, crc in checksums.items():
            try:
                ok = _crc32(version / name) == crc
            except OSError:
                ok = False
            if not ok:
                raise IndexCorrupt(version.parent, f"{name} is damaged (its checksum changed)")


def _current_bytes(root: Path) -> bytes | None:
    try:
        return (Path(root) / CURRENT).read_bytes()
    except OSError:
        return None


def open_snapshot(root: Path) -> Snapshot:
    """Load the live index version, checking it is whole.

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
            return load_version(Path(root), version)
        except IndexCorrupt:
            if attempt + 1 < attempts and _current_bytes(root) != before:
                continue  # a new version was published under us: read that one
            raise
    raise AssertionError("unreachable")


def load_version(root: Path, version: Path) -> Snapshot:
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

            get_backend(info["name"]).attach(Path(root), snap, info)
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
