"""Typed errors of the index layer."""

from __future__ import annotations

from sisterqa.ingest.errors import SisterQAError

REBUILD = "run `sisterqa ingest --full` to rebuild it"


class IndexMissing(SisterQAError):
    """No index has been built in the index directory yet."""

    def __init__(self, index_dir):
        super().__init__(
            f"no index in {index_dir}; run `sisterqa ingest` to build it "
            "(or point --index-dir / SISTERQA_INDEX_DIR at an existing one)"
        )


class IndexCorrupt(SisterQAError):
    """An index file is truncated, missing or unreadable."""

    def __init__(self, index_dir, detail: str):
        self.detail = detail
        super().__init__(f"the index in {index_dir} is damaged ({detail}); {REBUILD}")


class EmbedderMismatch(SisterQAError):
    """A query asked for a different embedder than the index was built with."""

    def __init__(self, built: str, requested: str):
        super().__init__(
            f"the index was built with embedder {built!r} but {requested!r} was requested; "
            f"query with {built!r}, or {REBUILD} with the new embedder"
        )


class IngestLocked(SisterQAError):
    """Another ingest holds the index directory's lock.

    ``public`` says so without the index's path or the holder's pid: what a chat user is shown."""

    public = ("another ingest is running (an upload, “Update the index” or `sisterqa ingest`); "
              "wait for it to finish, then use “Update the index”")


class EmbedderUnavailable(SisterQAError):
    """The embedding model cannot be loaded."""
