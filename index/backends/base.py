"""The index backend interface, and the local one (the index directory's own files)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sisterqa.ingest.errors import SisterQAError


@dataclass(frozen=True)
class MilvusSettings:
    """Where the milvus backend's engine is (app/settings.py: SISTERQA_MILVUS_URI, SISTERQA_MILVUS_TOKEN).

    ``uri``: a Milvus Lite ``.db`` file or ``http://host:19530``, used at ingest and recorded in the
    manifest (None: the index's recorded one, or ``milvus.db`` in the index directory); ``token``: sent
    at each connection, never recorded or printed.
    """

    uri: str | None = None
    token: str = field(default="", repr=False)


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
