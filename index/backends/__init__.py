"""Index backends: where the passages' vectors and BM25 weights are searched.

- ``faiss`` (the default): the files of the index directory, searched in
  this process (``index/vectors.py``, ``index/bm25.py``).
- ``milvus``: a Milvus collection holding every passage's dense vector and
  its BM25 weights as a sparse vector, searched by the engine: Milvus Lite
  (embedded, a file beside the index; ``pip install milvus-lite``) or a
  Milvus server or cluster (``SISTERQA_MILVUS_URI=http://host:19530``).

Either way the index directory keeps the papers, passages and sentences
(packs) that answers quote; the backend only replaces ``snapshot.dense`` and
``snapshot.bm25`` with objects of the same interface: ``dense.search(vectors,
k)`` → (scores, passage numbers) and ``bm25.scores(query)`` /
``bm25.top(query, k)``. The manifest records the backend an index was built
with, and every reader uses it.
"""

from __future__ import annotations

from .base import Backend, BackendUnavailable, LocalBackend, MilvusSettings

DEFAULT = "faiss"
KNOWN = ("faiss", "milvus")


def available() -> list[str]:
    """The backends whose client libraries are installed, the default first."""
    out = [DEFAULT]
    try:
        import pymilvus  # noqa: F401

        out.append("milvus")
    except ImportError:
        pass
    return out


def get_backend(name: str | None, milvus: MilvusSettings = MilvusSettings()) -> Backend:
    """The backend called ``name`` (None: the default); ``milvus``: where the milvus backend's engine is."""
    name = (name or DEFAULT).strip().lower()
    if name == "faiss":
        return LocalBackend()
    if name == "milvus":
        from .milvus import MilvusBackend

        return MilvusBackend(milvus)
    raise BackendUnavailable(f"unknown index backend {name!r}; use one of: {', '.join(KNOWN)}")


__all__ = ["Backend", "BackendUnavailable", "LocalBackend", "MilvusSettings", "available", "get_backend", "DEFAULT",
           "KNOWN"]
