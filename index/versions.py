"""The index directory: immutable versions, an atomically switched CURRENT, a lock.


    <index dir>/
      CURRENT              names the live version (replaced by rename)
      lock                 held by the one ingest allowed at a time
      v-<time>-<pid>/      one complete build
        manifest.json      settings, versions, papers, file sizes
        papers/<doc>.*     one paper's files (index/paperfiles.py lists them)
        dense.faiss        vector index over all passages, in manifest order
        packs/<name>/      the papers' texts, passage rows, sentences, sentence vectors,
                           sentence kinds, blocks and BM25 shards, memory-mapped for reading (index/packs.py)

Passages are numbered in manifest order (paper after paper); that number is
the row of ``dense.faiss`` and what ``bm25.scores`` indexes.

Readers open whatever CURRENT names. A build is written into a temporary
directory and renamed into place before CURRENT flips to it, so a crash or a
concurrent reader never sees half an index.

Here: the directory's versions and their lifecycle (``IndexDir``: CURRENT, the
ingest lock, new builds, publishing, cleaning up). A version's files are
``index.paperfiles`` (papers/), ``index.manifest`` (manifest.json and its
checks), ``index.packs`` (packs/) and ``index.store`` (reading a version: the
Snapshot).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
from pathlib import Path

from .errors import IndexCorrupt, IngestLocked

CURRENT = "CURRENT"


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
