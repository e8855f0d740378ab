"""The index backend interface, and the local one (the index directory's own files)."""

from __future__ import annotations

from pathlib import Path

from sisterqa.ingest.errors import SisterQAError


class BackendUnavailable(SisterQAError):
    """The backend's engine cannot be reached or is not installed; the message says how to start it."""


class Backend:
    """Where passages are searched. ``publish`` fills the engine at ingest, ``attach`` at open.

    ``publish(index_root, store, papers, removed, old_info)`` is called with the
    new version's ``PackedStore`` (packs written) before the version goes live:
    it indexes the papers of ``papers`` (manifest entries) that the engine does
    not hold yet, drops ``removed`` doc ids, and returns what the manifest
    records under ``"backend"`` (``{"name": …, …}``). ``attach(snapshot, info)``
    replaces ``snapshot.dense`` and ``snapshot.bm25`` with engine-backed ones.
    """

    name = "base"

    def check(self, index_root: Path, old_info: dict | None) -> None:
        """Raise BackendUnavailable (saying how to start the engine) unless it can be reached."""
        return None

    def publish(self, index_root: Path, store, papers: list[dict], fresh: list[dict],
                old_info: dict | None) -> dict:
        raise NotImplementedError

    def attach(self, index_root: Path, snapshot, info: dict) -> None:
        raise NotImplementedError


class LocalBackend(Backend):
    """faiss and the sharded BM25 files of the version: nothing to publish, nothing to attach."""

    name = "faiss"

    def publish(self, index_root, store, papers, fresh, old_info) -> dict:
        return {"name": self.name}

    def attach(self, index_root, snapshot, info) -> None:
        return None
