"""The Milvus backend: dense vectors and BM25 weights (as sparse vectors) searched by Milvus.

One collection per index holds a row per passage: its dense vector, its
BM25 weights as a sparse vector (token → the same precomputed BM25 score
bm25s gives the passage for that token; tokens keyed by CRC-32), and where it
lies (``doc_id``, the paper's ``sha`` prefix, its number ``j`` in the paper).
A query's sparse vector has weight 1 for each of its tokens, so the engine's
inner product is the passage's BM25 score: the same ranking as the local
index with the same tokeniser and stemmers (Milvus's own BM25 function would
tokenise differently). Dense search is exact (FLAT) on Milvus Lite, HNSW on a
server.

Where: ``SISTERQA_MILVUS_URI`` at ingest (recorded in the manifest): a
``.db`` file path for Milvus Lite, embedded, in this process (default: the
file ``milvus.db`` in the index directory), or ``http://host:19530`` for a
Milvus server or cluster (``SISTERQA_MILVUS_TOKEN`` if it needs one, sent at
each open and never recorded). Both are settings (app/settings.py), given to
the backend as ``MilvusSettings``. An incremental ingest inserts the new papers'
rows and deletes the removed or changed papers' rows; nothing else is
re-sent.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

from ..bm25 import tokenize_query
from .base import Backend, BackendUnavailable, MilvusSettings

ENV_URI = "SISTERQA_MILVUS_URI"  # the setting's variable (read by app/settings.py), named in messages
ENV_TOKEN = "SISTERQA_MILVUS_TOKEN"
LITE_FILE = "milvus.db"
MAX_LIMIT = 16_384  # Milvus's largest top-k
BATCH = 2_000
START_HINT = (
    "start a Milvus server (e.g. the milvus-standalone docker compose file, port 19530) and set "
    f"{ENV_URI}=http://HOST:19530, or use embedded Milvus Lite (pip install milvus-lite) with "
    f"{ENV_URI} unset or naming a .db file"
)

_CLIENTS: dict = {}


def _short(e: Exception) -> str:
    return " ".join(str(e).split())[:160]


def resolve_uri(index_root: Path, uri: str | None) -> str:
    """A server URL as given; a Lite file relative to the index directory."""
    uri = uri or LITE_FILE
    if "://" in uri:
        return uri
    p = Path(uri)
    return str(p if p.is_absolute() else Path(index_root) / p)


def client(uri: str, token: str = ""):
    """One MilvusClient per URI (and token) in this process (Milvus Lite runs one embedded server per file)."""
    key = (uri, token)
    if key not in _CLIENTS:
        try:
            from pymilvus import MilvusClient
        except ImportError:
            raise BackendUnavailable(
                "the milvus backend needs pymilvus (and milvus-lite for the embedded engine): "
                "pip install pymilvus milvus-lite") from None
        if "://" not in uri:
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        try:
            c = MilvusClient(uri=uri, token=token, timeout=10)
            c.list_collections()
        except Exception as e:  # noqa: BLE001 - pymilvus raises many types for an unreachable server
            raise BackendUnavailable(f"Milvus at {uri} is not reachable ({type(e).__name__}: {_short(e)}); "
                                     f"{START_HINT}") from None
        _CLIENTS[key] = c
    return _CLIENTS[key]


def row_id(doc_id: str, sha: str, j: int) -> int:
    h = hashlib.blake2b(f"{doc_id}\0{sha}\0{j}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") & (2**63 - 1)


def token_key(token: str) -> int:
    return zlib.crc32(token.encode("utf-8"))


def _sparse_rows(store) -> dict[int, dict[int, float]]:
    """Each passage number's BM25 weights {token key: weight}, from the packs' shards."""
    out: dict[int, dict[int, float]] = {}
    for shard, rows in zip(store.bm25.shards, store.bm25.rows):
        indptr = np.asarray(shard.indptr)
        words = [""] * (len(indptr) - 1)
        for w, i in shard.vocab.items():
            words[i] = w
        keys = np.array([token_key(w) for w in words], dtype=np.int64)
        tok = np.repeat(np.arange(len(words)), np.diff(indptr))
        docs = np.asarray(shard.indices)
        vals = np.asarray(shard.data, dtype=np.float32)
        order = np.argsort(docs, kind="stable")
        docs, tok, vals = docs[order], tok[order], vals[order]
        bounds = np.searchsorted(docs, np.arange(shard.num_docs + 1))
        for d in range(shard.num_docs):
            g = int(rows[d])
            if g < 0:
                continue
            a, b = bounds[d], bounds[d + 1]
            weights: dict[int, float] = {}
            for k, v in zip(keys[tok[a:b]].tolist(), vals[a:b].tolist()):
                weights[k] = weights.get(k, 0.0) + v  # a CRC-32 collision adds up
            out[g] = weights or {0: 0.0}
    return out


class MilvusBackend(Backend):
    name = "milvus"

    def __init__(self, settings: MilvusSettings = MilvusSettings()):
        self.settings = settings

    def _uri(self, index_root, old_info) -> str:
        was = old_info if old_info and old_info.get("name") == self.name else None
        return resolve_uri(index_root, self.settings.uri or (was or {}).get("uri"))

    def _client(self, uri: str):
        return client(uri, self.settings.token)

    def check(self, index_root, old_info) -> None:
        self._client(self._uri(index_root, old_info))

    def publish(self, index_root, store, papers, fresh, old_info, removed_keys=(), vectors=None) -> dict:
        was = old_info if old_info and old_info.get("name") == self.name else None
        uri = self._uri(index_root, old_info)
        c = self._client(uri)
        same = was is not None and resolve_uri(index_root, was.get("uri")) == uri
        collection = old_info["collection"] if same else (
            "sisterqa_" + hashlib.sha1(str(Path(index_root).resolve()).encode()).hexdigest()[:12])
        dim = int(vectors(papers[0]).shape[1]) if papers else 384
        try:
            if not same or not c.has_collection(collection):
                if c.has_collection(collection):
                    c.drop_collection(collection)
                self._create(c, collection, dim, lite="://" not in uri)
                todo, removed_keys = papers, ()
            else:
                todo = fresh
            for key in removed_keys:
                c.delete(collection, filter=f'key == "{key}"')
            sparse = _sparse_rows(store) if todo else {}
            batch = []
            for p in todo:
                d = store.doc_index[p["doc_id"]]
                start = int(store.paper_start[d])
                vecs = vectors(p)
                sha = p["sha256"][:16]
                for j in range(int(store.paper_start[d + 1]) - start):
                    batch.append({"id": row_id(p["doc_id"], sha, j), "key": f"{p['doc_id']}@{sha}",
                                  "doc_id": p["doc_id"], "sha": sha, "j": j,
                                  "dense": vecs[j].astype(np.float32).tolist(), "sparse": sparse[start + j]})
                    if len(batch) >= BATCH:
                        c.upsert(collection, batch)
                        batch = []
            if batch:
                c.upsert(collection, batch)
            c.flush(collection)
            c.load_collection(collection)
        except (BackendUnavailable, ValueError, KeyError, TypeError, IndexError):
            raise
        except Exception as e:  # noqa: BLE001 - the engine failed mid-way: the version is not published
            raise BackendUnavailable(f"Milvus at {uri} failed while indexing ({type(e).__name__}: "
                                     f"{_short(e)}); {START_HINT}") from None
        return {"name": self.name, "uri": uri if "://" in uri else os.path.relpath(uri, index_root),
                "collection": collection, "dim": dim}

    @staticmethod
    def _create(c, collection: str, dim: int, lite: bool) -> None:
        from pymilvus import DataType

        schema = c.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("key", DataType.VARCHAR, max_length=600)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
        schema.add_field("sha", DataType.VARCHAR, max_length=16)
        schema.add_field("j", DataType.INT32)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        ip = c.prepare_index_params()
        if lite:
            ip.add_index("dense", index_type="FLAT", metric_type="IP")
        else:
            ip.add_index("dense", index_type="HNSW", metric_type="IP", params={"M": 32, "efConstruction": 64})
        ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        c.create_collection(collection, schema=schema, index_params=ip, consistency_level="Strong")

    def attach(self, index_root, snapshot, info) -> None:
        uri = resolve_uri(index_root, info.get("uri"))
        c = self._client(uri)
        try:
            ok = c.has_collection(info["collection"])
            if ok:
                c.load_collection(info["collection"])  # a fresh process finds it released
        except Exception as e:  # noqa: BLE001
            raise BackendUnavailable(f"Milvus at {uri} is not reachable ({type(e).__name__}: {_short(e)}); "
                                     f"{START_HINT}") from None
        if not ok:
            raise BackendUnavailable(f"the Milvus collection {info['collection']} is missing at {uri}; "
                                     "run sisterqa ingest --backend milvus --full")
        where = _Locator(snapshot)
        snapshot.dense = MilvusDense(c, info["collection"], where, int(info.get("dim") or snapshot.dense.dim))
        snapshot.bm25 = MilvusBM25(c, info["collection"], where, snapshot.papers)


class _Locator:
    """Milvus rows (doc_id, sha, j) → this snapshot's passage numbers (-1: not in this version)."""

    def __init__(self, snap):
        counts = [int(p["chunks"]) for p in snap.papers]
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.n = int(starts[-1])
        self.where = {(p["doc_id"], p["sha256"][:16]): (int(starts[i]), counts[i]) for i, p in enumerate(snap.papers)}

    def row_ids(self, snap_papers: list[dict], numbers: np.ndarray) -> list[int]:
        """The Milvus primary keys of passage numbers."""
        if getattr(self, "_starts", None) is None:
            self._starts = np.array([self.where[(p["doc_id"], p["sha256"][:16])][0] for p in snap_papers],
                                    dtype=np.int64)
        starts = self._starts
        d = np.searchsorted(starts, numbers, side="right") - 1
        return [row_id(snap_papers[int(i)]["doc_id"], snap_papers[int(i)]["sha256"][:16], int(n - starts[i]))
                for i, n in zip(d, numbers)]

    def number(self, entity: dict) -> int:
        hit = self.where.get((entity["doc_id"], entity["sha"]))
        if hit is None or not 0 <= int(entity["j"]) < hit[1]:
            return -1
        return hit[0] + int(entity["j"])


def _search(c, collection, data, field, limit, filter: str = ""):
    try:
        return c.search(collection, data=data, anns_field=field, limit=limit, filter=filter,
                        output_fields=["doc_id", "sha", "j"], search_params={"metric_type": "IP"})
    except Exception as e:  # noqa: BLE001
        raise BackendUnavailable(f"Milvus search failed ({type(e).__name__}: {_short(e)}); {START_HINT}") from None


class MilvusDense:
    """``snapshot.dense`` on Milvus: the VectorIndex search interface."""

    kind = "milvus"

    def __init__(self, c, collection: str, where: _Locator, dim: int):
        self._c, self._coll, self._where, self._dim = c, collection, where, dim

    @property
    def ntotal(self) -> int:
        return self._where.n

    @property
    def dim(self) -> int:
        return self._dim

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        k = max(1, min(k, self.ntotal, MAX_LIMIT)) if self.ntotal else 1
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        res = _search(self._c, self._coll, [q.tolist() for q in queries], "dense", k)
        for r, hits in enumerate(res):
            col = 0
            for h in hits:
                i = self._where.number(h["entity"])
                if i >= 0 and col < k:
                    scores[r, col], ids[r, col] = h["distance"], i
                    col += 1
        return scores, ids


class MilvusBM25:
    """``snapshot.bm25`` on Milvus: BM25 as a sparse inner product (``scores`` and ``top``)."""

    def __init__(self, c, collection: str, where: _Locator, papers: list[dict]):
        self._c, self._coll, self._where, self._papers = c, collection, where, papers
        self.size = where.n

    def _query(self, query: str) -> dict[int, float]:
        out: dict[int, float] = {}
        for t in tokenize_query(query):
            out[token_key(t)] = 1.0
        return out

    def top(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = self._query(query)
        if not q or not self.size:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        res = _search(self._c, self._coll, [q], "sparse", max(1, min(k, MAX_LIMIT)))
        pairs = [(self._where.number(h["entity"]), float(h["distance"])) for h in res[0]]
        pairs = sorted(((i, s) for i, s in pairs if i >= 0 and s > 0), key=lambda x: (-x[1], x[0]))
        return (np.array([i for i, _ in pairs], dtype=np.int64), np.array([s for _, s in pairs], dtype=np.float32))

    def top_and_scores(self, query, k: int, ids) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """As ``BM25Index.top_and_scores``: the ``k`` best (a text, or (text, weight) pairs summed
        as one sparse query) and the scores of the passage numbers ``ids``, in two searches."""
        parts = [(query, 1.0)] if isinstance(query, str) else [(q, w) for q, w in query if q and w]
        q: dict[int, float] = {}
        for text, w in parts:
            for key in self._query(text):
                q[key] = q.get(key, 0.0) + float(w)
        want = np.zeros(0 if ids is None else len(ids), dtype=np.float32)
        top_ids, top_sc = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if not q or not self.size:
            return top_ids, top_sc, want
        if k > 0:
            res = _search(self._c, self._coll, [q], "sparse", max(1, min(k, MAX_LIMIT)))
            pairs = [(self._where.number(h["entity"]), float(h["distance"])) for h in res[0]]
            pairs = sorted(((i, s) for i, s in pairs if i >= 0 and s > 0), key=lambda x: (-x[1], x[0]))
            top_ids = np.array([i for i, _ in pairs], dtype=np.int64)
            top_sc = np.array([s for _, s in pairs], dtype=np.float32)
        if want.size:
            numbers = np.asarray(ids, dtype=np.int64)
            pos = {int(n): j for j, n in enumerate(numbers)}
            keys = self._where.row_ids(self._papers, numbers)
            for a in range(0, len(keys), MAX_LIMIT):
                chunk = keys[a:a + MAX_LIMIT]
                res = _search(self._c, self._coll, [q], "sparse", len(chunk), filter=f"id in {chunk}")
                for h in res[0]:
                    i = self._where.number(h["entity"])
                    if i in pos:
                        want[pos[i]] = float(h["distance"])
        return top_ids, top_sc, want

    def scores(self, query: str) -> np.ndarray:
        """BM25 of every passage; past Milvus's top-k limit (16,384 matches) the rest count 0."""
        out = np.zeros(self.size, dtype=np.float32)
        ids, s = self.top(query, self.size)
        out[ids] = s
        return out
