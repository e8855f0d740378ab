"""The library: what the app does to the papers and the index (uploads, updates, corrections).

The one caller of ingest in the app: the chat's uploads (``add_uploads``),
"Update the index" and "Build the index" (``update_index``), the Papers
page's Save (``save_paper_metadata``) and the CLI's ``ingest`` all run
``run_ingest``. Uploads are checked as ingest would check them, saved under a
safe name (complete or not at all) and indexed; a rejected upload never stays
in the corpus folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sisterqa.index.build import IngestReport, ingest
from sisterqa.ingest.errors import BadPaper, SisterQAError, public_error
from sisterqa.ingest.load import SUPPORTED, parse_bytes
from sisterqa.ingest.pdfguard import Limits
from sisterqa.ingest.validtext import shown_text

Progress = Callable[[str, int, int, str], None]


# ---------------------------------------------------------------- the one way into ingest


def run_ingest(settings, sources: list[Path] | None = None, full: bool = False,
               progress: Progress | None = None, embedder=None, index_dir: Path | None = None) -> IngestReport:
    """Bring the index up to date with ``sources`` (default: the corpus folder), incrementally.

    Raises the library's typed errors (another ingest running, a backend that
    cannot be reached); a bad file is a line of ``report.failed``, never an
    exception.
    """
    root = Path(settings.root)
    return ingest(list(sources) if sources else [root / settings.corpus_dir],
                  root / (index_dir or settings.index_dir), settings.build, full=full, root=root,
                  progress=progress, embedder=embedder)


def update_index(settings, full: bool = False, progress: Progress | None = None) -> list[tuple[str, str]]:
    """"Update the index" / "Build the index": ingest the corpus folder; (kind, text) messages."""
    try:
        report = run_ingest(settings, full=full, progress=progress)
    except SisterQAError as e:
        return [("error", public_error(e))]
    msgs = [("error", f"{p}: {reason}") for p, reason in report.failed]
    msgs += [("warning", f"{p}: {w}") for p, w in report.warnings]
    msgs += [("warning", f"{message}; Replace on the Papers page indexes it instead") for _, message in report.copies]
    if report.rebuild_reason:
        msgs.append(("info", report.rebuild_reason))
    msgs.append(("success", f"Index updated: {report.summary()}"))
    return msgs


# ---------------------------------------------------------------- metadata corrections


def save_paper_metadata(paper: dict, form: dict, settings) -> list[tuple[str, str]]:
    """The Papers page's Save: check the fields, write them to the paper's metadata.json, publish
    them with an incremental ingest (nothing is embedded again). Returns (kind, text) messages."""
    from .metadata import BadMetadata, clean_fields, save_metadata

    try:
        fields = clean_fields(**form)
        file = save_metadata(paper, fields, settings.root)
    except BadMetadata as e:
        return [("error", str(e))]
    try:
        report = run_ingest(settings)
    except SisterQAError as e:
        return [("error", f"Saved to {file.name}, but the index was not updated: {public_error(e)}")]
    msgs = [("success", f"Saved {fields['title']} to {file.name} (embedded again: {report.embedded} "
                        "passages)")]
    msgs += [("warning", f"{path}: {reason}") for path, reason in report.failed]
    return msgs


# ---------------------------------------------------------------- upload results

def upload_messages(outcome) -> list[tuple[str, str]]:
    """What the UI says about a batch of uploads: (kind, text) pairs, kind an st.* call.

    One line per file (``Added x.md``, or ``Added x.md (saved as y.md)`` when
    the name had to change), then the index line, whose ``failed`` counts
    every file of the batch that was refused, before or during indexing.
    """
    msgs = []
    warned: dict[str, list[str]] = {}
    for path, warning in getattr(outcome.report, "warnings", None) or []:
        warned.setdefault(str(Path(path).resolve()), []).append(warning)
    for name, path in outcome.added:
        saved = Path(path).name
        msgs.append(("success", f"Added {name}" if saved == name else f"Added {name} (saved as {saved})"))
        msgs += [("warning", f"{name}: {w}") for w in warned.get(str(Path(path).resolve()), [])]
    for name, reason in outcome.rejected:
        msgs.append(("error", f"{name}: {reason}"))
    for name, message in outcome.copies:
        msgs.append(("warning", f"{message}. To use this file instead (same metadata; a PDF shows its "
                                "pages), choose Replace on the Papers page."))
    for path, reason in outcome.other_failures:
        msgs.append(("warning", f"{Path(path).name} (already in the corpus folder): {reason}"))
    if outcome.report is not None:
        failed = len(outcome.rejected) + len(outcome.other_failures)
        summary = re.sub(r"\bfailed \d+", f"failed {failed}", outcome.report.summary())
        msgs.append(("info", f"Index: {summary}"))
    for name, _ in outcome.interrupted:
        msgs.append(("warning", f"{name} is saved in the corpus folder but not indexed yet; "
                                "“Update the index” indexes it"))
    return msgs


# ---------------------------------------------------------------- uploads

MAX_NAME_BYTES = 180
_NAME_OK = set("-_.,()[]'&+–— ")


def safe_filename(name: str) -> str:
    """A file name safe to create inside the corpus folder, readable where possible.

    Only the last path component counts (``../../x.txt`` → ``x.txt``, ``/etc/passwd``
    → ``passwd``); letters of any script, digits, spaces and ``-_.,()[]'&+–—`` stay;
    anything else becomes ``_``; no leading dot or dash; at most 180 UTF-8 bytes.
    """
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    chars = []
    for ch in name:
        cat = unicodedata.category(ch)
        if ch in _NAME_OK or cat[0] in "LN" or cat in ("Mn", "Mc"):
            chars.append(ch)
        elif cat == "Zs" or ch in "\t":
            chars.append(" ")
        else:
            chars.append("_")
    name = "".join(chars)
    name = re.sub(r"\s+", " ", name)
    name = re.sub(r"_{2,}", "_", name)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem.strip(" ._-")
    ext = re.sub(r"[^\w]", "", ext.lower())
    if not stem:
        stem = "paper"
    suffix = f".{ext}" if ext else ""
    while len((stem + suffix).encode("utf-8")) > MAX_NAME_BYTES:
        stem = stem[:-1].rstrip(" ._-") or "paper"
    return stem + suffix


def check_upload(name: str, data: bytes, max_bytes: int, limits: Limits = Limits()) -> None:
    """Raise BadPaper unless ``data`` reads as a paper of the type its name promises.

    The same checks and parsing as ``sisterqa ingest`` (ingest.load.parse_bytes), under the same
    limits (the settings' ``build.limits``).
    """
    parse_bytes(name, data, max_bytes, limits)


@dataclass
class UploadOutcome:
    """What happened to a batch of uploads."""

    added: list[tuple[str, str]] = field(default_factory=list)  # (upload name, saved path)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (upload name, reason)
    other_failures: list[tuple[str, str]] = field(default_factory=list)  # corpus files that failed
    report: object | None = None  # the IngestReport, when ingest ran
    interrupted: list[tuple[str, str]] = field(default_factory=list)  # saved, but indexing did not finish
    copies: list[tuple[str, str]] = field(default_factory=list)  # (upload name, "x.pdf is a copy of …")
    error: str | None = None  # why indexing did not run (say, another ingest is running)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _corpus_hashes(corpus_dir: Path) -> dict[str, Path]:
    out = {}
    if corpus_dir.is_dir():
        for p in sorted(corpus_dir.rglob("*")):
            if p.is_file() and p.suffix.lower() in SUPPORTED and not p.name.startswith("."):
                try:
                    out.setdefault(_sha(p.read_bytes()), p)
                except OSError:
                    continue
    return out


def _indexed_hashes(index_dir: Path, root: Path) -> dict[str, Path]:
    """The papers already indexed (some may live outside the corpus folder), by content hash."""
    from sisterqa.index.store import IndexDir, read_manifest
    from sisterqa.ingest.errors import SisterQAError

    try:
        version = IndexDir(index_dir).current()
        papers = read_manifest(version)["papers"] if version else []
    except (SisterQAError, KeyError, TypeError):
        return {}
    return {p["sha256"]: root / p["path"] for p in papers if p.get("sha256") and p.get("path")}


def save_upload(corpus_dir: Path, name: str, data: bytes) -> Path:
    """Write ``data`` into ``corpus_dir`` under ``safe_filename(name)``, never over another file.

    A taken name gets `` (2)``, `` (3)``… The file appears complete or not at
    all (written to a hidden temporary file, then linked into place).
    """
    corpus_dir = Path(corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    base = safe_filename(name)
    stem, suffix = os.path.splitext(base)
    root = corpus_dir.resolve()
    tmp = corpus_dir / f".upload-{os.getpid()}-{_sha(data)[:12]}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        for i in range(1, 1000):
            candidate = corpus_dir / (base if i == 1 else f"{stem} ({i}){suffix}")
            if candidate.resolve().parent != root:  # cannot happen with a safe name; belt and braces
                raise BadPaper(name, "has a file name that points outside the corpus folder")
            try:
                os.link(tmp, candidate)
            except FileExistsError:
                continue
            return candidate
        raise BadPaper(name, "has a file name that is taken too many times over")
    finally:
        tmp.unlink(missing_ok=True)


def add_uploads(
    files: list[tuple[str, bytes]],
    settings,
    progress: Callable[[str, int, int, str], None] | None = None,
    embedder=None,
) -> UploadOutcome:
    """Check, save and ingest uploaded papers; each bad one is reported and removed.

    ``files`` are (file name as uploaded, content) pairs. Good files go into
    ``settings.corpus_dir`` under a safe name (each written completely before
    indexing starts) and the index is updated incrementally; a file the
    checks or the ingest reject is not left in the corpus. A saved file is
    never removed because indexing did not finish: if ingest stops with a
    typed error (say, another ingest is running) the files stay, are listed
    in ``interrupted`` and the error is in ``error``; if it is interrupted
    (the browser tab closed, the server stopped) they stay and the next
    ingest indexes them.
    """
    root = Path(settings.root)
    corpus_dir = root / settings.corpus_dir  # relative folders are the project root's
    index_dir = root / settings.index_dir
    out = UploadOutcome()
    indexed = _indexed_hashes(index_dir, root)
    in_corpus = _corpus_hashes(corpus_dir)  # saved earlier, perhaps not indexed yet (another ingest ran)
    known: dict[str, Path] = {}  # this batch's files
    saved: dict[str, tuple[str, Path]] = {}  # resolved path -> (upload name, path)
    earlier: set[str] = set()  # saved by an earlier upload: indexed now, never removed here
    for name, data in files:
        shown = shown_text(name or "") or "(no name)"
        try:
            check_upload(safe_filename(name), data, settings.build.max_bytes, settings.build.limits)
            digest = _sha(data)
            if digest in indexed or digest in known:
                same = (indexed.get(digest) or known[digest]).name
                raise BadPaper(shown, f"is already in the corpus (same content as {same})")
            if digest in in_corpus:  # saved before, not indexed yet: index that copy now
                path = in_corpus[digest]
                earlier.add(str(path.resolve()))
            else:
                path = save_upload(corpus_dir, name, data)
        except BadPaper as e:
            out.rejected.append((shown, e.reason))
            continue
        except OSError as e:
            out.rejected.append((shown, f"could not be saved ({e.strerror or e})"))
            continue
        known[digest] = path
        saved[str(path.resolve())] = (shown, path)
    if not saved:
        return out
    try:
        report = run_ingest(settings, progress=progress, embedder=embedder)
    except SisterQAError as e:
        out.interrupted = [(shown, str(path)) for shown, path in saved.values()]
        out.error = public_error(e)  # no index path or pid for a chat user
        return out
    out.report = report
    failed_ours = set()
    for path, message in report.copies:  # kept in the corpus folder: the Papers page can swap it in
        key = str(Path(path).resolve())
        if key in saved:
            out.copies.append((saved[key][0], message))
            failed_ours.add(key)
    for path, reason in report.failed:
        key = str(Path(path).resolve())
        if key in saved:
            shown, p = saved[key]
            if key not in earlier:
                p.unlink(missing_ok=True)
            out.rejected.append((shown, reason))
            failed_ours.add(key)
        else:
            out.other_failures.append((path, reason))
    for key, (shown, path) in saved.items():
        if key not in failed_ours:
            out.added.append((shown, str(path)))
    return out


# ---------------------------------------------------------------- the papers in the index


def _current(settings) -> tuple[Path | None, dict | None]:
    from sisterqa.index.store import IndexDir, read_manifest

    version = IndexDir(Path(settings.root) / settings.index_dir).current()
    return version, (read_manifest(version) if version else None)


def _abs(path: str, root: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else Path(root) / p


def find_paper(settings, which: str) -> dict:
    """The indexed paper named by ``which``: its doc id, its file's path or its file name."""
    _, manifest = _current(settings)
    papers = (manifest or {}).get("papers", [])
    root = Path(settings.root)
    for p in papers:
        if which == p["doc_id"]:
            return p
    target = _abs(which, root)
    for p in papers:
        if which in (p["path"], Path(p["path"]).name) or (
                target.exists() and _abs(p["path"], root).resolve() == target.resolve()):
            return p
    raise SisterQAError(f"no indexed paper is called {which!r} (see `sisterqa docs` for ids and paths)")


def waiting_copies(settings) -> dict[str, list[dict]]:
    """Files ingest found to be copies of indexed papers, still on disk: {doc id: [record]}, each
    record with ``path`` (as ingest saw it), ``of``, ``title``, ``of_path`` and ``overlap``."""
    from sisterqa.index.copies import read_copies

    version, _ = _current(settings)
    out: dict[str, list[dict]] = {}
    for path, rec in read_copies(version).items():
        if _abs(path, Path(settings.root)).is_file():
            out.setdefault(rec.get("of", ""), []).append({**rec, "path": path})
    return out


# ---------------------------------------------------------------- trash: remove, restore, replace

TRASH_LOG = "trash.json"


def trash_dir(settings) -> Path:
    """Where removed papers go: a folder beside the corpus folder (``corpus-trash/``)."""
    corpus = Path(settings.root) / settings.corpus_dir
    return corpus.with_name(corpus.name + "-trash")


def trash_items(settings) -> list[dict]:
    """What the trash holds, newest first: {"id", "file", "from", "doc_id", "title", "removed", …}."""
    import json

    try:
        items = json.loads((trash_dir(settings) / TRASH_LOG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [i for i in items if isinstance(i, dict) and (trash_dir(settings) / str(i.get("file"))).is_file()][::-1]


def _write_trash_log(settings, items: list[dict]) -> None:
    import json

    from sisterqa.index.store import write_atomic

    folder = trash_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / TRASH_LOG, (json.dumps(items, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def _check_no_ingest(settings) -> None:
    """Refuse at once (IngestLocked) while another ingest runs, before any file is moved."""
    from sisterqa.index.store import IndexDir

    with IndexDir(Path(settings.root) / settings.index_dir).lock():
        pass


def _metadata_entry(path: Path, pop: bool = False) -> dict | None:
    """A file's entry in the metadata.json beside it (removed from the file with ``pop``)."""
    import json

    from sisterqa.index.store import write_atomic
    from sisterqa.ingest.read import METADATA_FILE, read_metadata

    try:
        data = read_metadata(path.parent)
    except BadPaper:
        return None
    entry = data.get(path.name)
    if pop and entry is not None:
        del data[path.name]
        write_atomic(path.parent / METADATA_FILE,
                     (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    return entry


def _set_metadata_entry(path: Path, entry: dict) -> None:
    import json

    from sisterqa.index.store import write_atomic
    from sisterqa.ingest.read import METADATA_FILE, read_metadata

    try:
        data = read_metadata(path.parent)
    except BadPaper as e:
        raise SisterQAError(f"{path.parent / METADATA_FILE} cannot be updated: {e.reason}") from e
    data[path.name] = entry
    write_atomic(path.parent / METADATA_FILE,
                 (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def _to_trash(settings, paper: dict, **extra) -> dict:
    """Move a paper's file (and its metadata.json entry) into the trash; the log records how to undo."""
    import time

    root = Path(settings.root)
    src = _abs(paper["path"], root)
    if not src.is_file():
        raise SisterQAError(f"{paper['path']} is not there any more; nothing to move to the trash")
    folder = trash_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"{stamp}-{src.name}"
    n = 2
    while (folder / name).exists():
        name = f"{stamp}-{n}-{src.name}"
        n += 1
    os.replace(src, folder / name) if src.stat().st_dev == folder.stat().st_dev else _move(src, folder / name)
    entry = _metadata_entry(src, pop=True)
    item = {"id": name, "file": name, "from": paper["path"], "doc_id": paper["doc_id"],
            "title": paper.get("title", ""), "metadata": entry, "removed": time.strftime("%Y-%m-%d %H:%M:%S"),
            **extra}
    _write_trash_log(settings, [i for i in trash_items(settings)[::-1]] + [item])
    return item


def _move(src: Path, dst: Path) -> None:
    import shutil

    shutil.copy2(src, dst)
    src.unlink()


def remove_paper(settings, which: str, progress: Progress | None = None) -> tuple[list[tuple[str, str]], dict]:
    """Take a paper out of the index: its file moves to the trash beside the corpus folder (with
    its metadata.json entry) and a new index version without it is published; ``restore_paper``
    undoes it. Returns ((kind, text) messages, the trash record)."""
    paper = find_paper(settings, which)
    _check_no_ingest(settings)
    item = _to_trash(settings, paper)
    try:
        report = run_ingest(settings, progress=progress)
    except SisterQAError as e:
        return [("error", f"Moved {Path(paper['path']).name} to {trash_dir(settings).name}/, but the index "
                          f"was not updated: {e}")], item
    msgs = [("success", f"Removed '{paper.get('title', '')}': {Path(paper['path']).name} is in "
                        f"{trash_dir(settings).name}/ (Undo puts it back)")]
    msgs += [("warning", f"{p}: {reason}") for p, reason in report.failed]
    return msgs, item


def restore_paper(settings, item_id: str | None = None, progress: Progress | None = None) -> list[tuple[str, str]]:
    """Undo a removal: the trash's newest item (or the one whose id, doc id or file name is
    ``item_id``) goes back where it was, with its metadata entry, and is indexed again."""
    items = trash_items(settings)
    if item_id:
        items = [i for i in items if item_id in (i.get("id"), i.get("doc_id"), Path(str(i.get("from"))).name)]
    if not items:
        raise SisterQAError("the trash holds no such paper" if item_id else "the trash is empty")
    item = items[0]
    root = Path(settings.root)
    dst = _abs(item["from"], root)
    if dst.exists():
        raise SisterQAError(f"{item['from']} exists again; move it away first, then restore")
    _check_no_ingest(settings)
    if item.get("replaced_by"):  # undo a replace: the file that took its place steps aside
        try:
            _to_trash(settings, find_paper(settings, item["replaced_by"]))
        except SisterQAError:
            pass  # no longer indexed: nothing to step aside
    dst.parent.mkdir(parents=True, exist_ok=True)
    src = trash_dir(settings) / item["file"]
    os.replace(src, dst) if src.stat().st_dev == dst.parent.stat().st_dev else _move(src, dst)
    if item.get("metadata") is not None and _metadata_entry(dst) is None:
        _set_metadata_entry(dst, item["metadata"])
    _write_trash_log(settings, [i for i in trash_items(settings)[::-1] if i.get("id") != item["id"]])
    sources = None if _inside(dst, root / settings.corpus_dir) else [root / settings.corpus_dir, dst]
    try:
        report = run_ingest(settings, sources, progress=progress)
    except SisterQAError as e:
        return [("error", f"Put {dst.name} back, but the index was not updated: {e}")]
    msgs = [("success", f"Restored '{item.get('title', '')}' ({dst.name}): {report.summary()}")]
    msgs += [("warning", f"{p}: {reason}") for p, reason in report.failed]
    return msgs


def _inside(path: Path, folder: Path) -> bool:
    try:
        Path(path).resolve().relative_to(Path(folder).resolve())
        return True
    except ValueError:
        return False


def copy_of(settings, path: Path) -> dict | None:
    """The indexed paper the file at ``path`` copies (its manifest entry, with ``overlap``), or None.

    A file ingest already recorded as a copy is looked up; any other file is read as ingest reads
    it and compared with every indexed paper by content (index/copies.py)."""
    from sisterqa.index.copies import Signatures, read_copies, signature
    from sisterqa.ingest.read import read_metadata, read_paper

    version, manifest = _current(settings)
    if version is None:
        return None
    root = Path(settings.root)
    papers = {p["doc_id"]: p for p in manifest["papers"]}
    for rel, rec in read_copies(version).items():
        if _abs(rel, root).resolve() == Path(path).resolve() and rec.get("of") in papers:
            return {**papers[rec["of"]], "overlap": rec.get("overlap")}
    try:
        meta = read_metadata(Path(path).parent).get(Path(path).name, {})
    except BadPaper:
        meta = {}
    paper = read_paper(Path(path), meta, root=root, max_bytes=settings.build.max_bytes,
                       limits=settings.build.limits)
    sigs = Signatures.load(version) or Signatures(
        {d: signature((version / "papers" / f"{d}.txt").read_text(encoding="utf-8")) for d in papers})
    hit = sigs.find(paper.text, signature(paper.text),
                    lambda d: (version / "papers" / f"{d}.txt").read_text(encoding="utf-8"),
                    exclude={p["doc_id"] for p in papers.values()
                             if _abs(p["path"], root).resolve() == Path(path).resolve()})
    return {**papers[hit[0]], "overlap": hit[1]} if hit and hit[0] in papers else None


def replace_paper(settings, path: Path, progress: Progress | None = None) -> tuple[list[tuple[str, str]], dict]:
    """Index the file at ``path`` in place of the indexed paper it copies (say, the journal's PDF
    of a paper indexed as text): the file takes over that paper's metadata (title, authors, year,
    venue, type, DOI…), the old file moves to the trash (``restore_paper`` brings it back), and
    a new index version is published. Returns ((kind, text) messages, the trash record)."""
    from .metadata import FIELDS

    path = Path(path)
    if not path.is_file():
        raise SisterQAError(f"{path} does not exist")
    of = copy_of(settings, path)
    if of is None:
        raise SisterQAError(f"{path.name} is not a copy of an indexed paper; ingest it as a paper of its own "
                            "(without --replace)")
    root = Path(settings.root)
    old_file = _abs(of["path"], root)
    entry = {k: of[k] for k in FIELDS if of.get(k) not in (None, "", [])}
    entry.update(_metadata_entry(old_file) or {})  # the old entry's own keys (notes…) too
    _check_no_ingest(settings)
    item = _to_trash(settings, of, replaced_by=str(path.resolve()))
    _set_metadata_entry(path, {**(_metadata_entry(path) or {}), **entry})
    corpus = root / settings.corpus_dir
    sources = None if _inside(path, corpus) else [corpus, path]
    try:
        report = run_ingest(settings, sources, progress=progress)
    except SisterQAError as e:
        return [("error", f"{path.name} takes the place of {old_file.name}, but the index was not updated: "
                          f"{e}")], item
    msgs = []
    if path.resolve() in {_abs(p, root).resolve() for p in report.added}:
        msgs.append(("success", f"Replaced {old_file.name} by {path.name} ('{of.get('title', '')}'); "
                                f"{old_file.name} is in {trash_dir(settings).name}/"))
    msgs += [("error", f"{p}: {reason}") for p, reason in report.failed]
    if not msgs:
        msgs.append(("success", f"Replaced {old_file.name} by {path.name}: {report.summary()}"))
    return msgs, item


__all__ = [
    "run_ingest", "update_index", "save_paper_metadata", "safe_filename", "check_upload", "save_upload",
    "add_uploads", "UploadOutcome", "upload_messages", "MAX_NAME_BYTES", "find_paper", "waiting_copies",
    "trash_dir", "trash_items", "remove_paper", "restore_paper", "copy_of", "replace_paper",
]
