"""The ``scale_e2e`` bench: ``Engine.answer`` over synthetic indexes of 10k, 100k and 1M passages.

The index is written by the real writer (``index.paperfiles.write_paper_files``
for each paper, then ``index.build.finish_build``: vector index, BM25, packs,
manifest, publish), in the real format; only the embedding model is bypassed.

Synthetic data, generated in blocks so that memory stays bounded:

- papers of ``PASSAGES_PER_PAPER`` passages (50, about a real paper's), half
  tagged English, half Indonesian, 10 passages a section;
- a passage is ``SENTENCES_PER_PASSAGE`` (5, as in the corpus: 5.2) sentences
  of 28 words drawn like ``eval.synthetic.synthetic_texts`` (60 % topic words, 40 %
  Zipf general words); the paper's text is its passages, one paragraph each,
  so every offset, quote and citation is checked as for a real paper;
- passage vectors from ``eval.synthetic.Mixture`` (clustered unit vectors); each
  sentence's vector is its passage's plus noise, normalised;
- a query is four words of a target passage and two common words, and its
  vector (what ``SyntheticEmbedder`` returns for that text) is the target
  passage's vector plus noise: dense and BM25 both point at it.

Each size runs in child processes (``eval.bench_child`` tasks ``e2e_build``, ``e2e_query``,
``e2e_add``): the build, then the queries (open the index, answer ``queries`` questions), then one
paper added, so each reports its own peak RSS.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

PASSAGES_PER_PAPER = 50
SENTENCES_PER_PASSAGE = 5
WORDS_PER_SENTENCE = 28
BLOCK_PAPERS = 400  # papers generated at a time (20k passages, 100k sentences: ~0.2 GB)
EMBEDDER = "st:sisterqa-bench-synthetic"  # recorded as the index's embedder; never loaded


class SyntheticEmbedder:
    """The Embedder interface for synthetic indexes: registered query texts map to their vectors.

    Any other text gets a deterministic vector from its CRC-32 (so a question
    that is not registered still gets an answer, as from a real model).
    """

    def __init__(self, dim: int, queries: dict[str, np.ndarray] | None = None):
        from sisterqa.index.embed import embedder_id

        self.id = embedder_id(EMBEDDER)
        self._dim = dim
        self.queries = dict(queries or {})

    @property
    def dim(self) -> int:
        return self._dim

    def _one(self, text: str) -> np.ndarray:
        v = self.queries.get(text)
        if v is None:
            v = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(self._dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._one(t) for t in texts]).astype(np.float32)

    embed_passages = embed_queries


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _status_mb() -> dict[str, float]:
    """This process's resident memory split: RssAnon (its own) and RssFile (mapped files: page
    cache the kernel can drop), in MB."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("RssAnon:", "RssFile:", "VmRSS:")):
                key, value = line.split(":")
                out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def _milvus():
    """Where a milvus index is built and searched: the settings' SISTERQA_MILVUS_URI and _TOKEN (default
    Milvus Lite beside the index), as ingest and search take them."""
    from sisterqa.app.settings import load_settings

    return load_settings().build.milvus


def build_synthetic(index_root: Path, n: int, n_queries: int = 200, seed: int = 0,
                    progress=lambda m: None, add: bool = False, clusters: int | None = None,
                    backend: str | None = None) -> dict:
    """Write a synthetic index of ``n`` passages at ``index_root``; the queries and timings.

    ``add``: add ``n`` passages' papers to the index there, as an incremental
    ingest does (the old papers' files hard-linked, their packs and vector rows
    reused); ``clusters`` then should be the first build's.
    """
    from sisterqa.eval.synthetic import Mixture, synthetic_texts
    from sisterqa.index.build import BuildSettings, finish_build
    from sisterqa.index.manifest import read_manifest
    from sisterqa.index.paperfiles import link_paper_files, write_paper_files
    from sisterqa.index.versions import IndexDir
    from sisterqa.ingest.paper import Paper, Passage

    t_start = time.perf_counter()

    settings = BuildSettings(embedder=EMBEDDER, backend=backend, milvus=_milvus())
    clusters = clusters or max(64, n // 500)
    mix = Mixture(clusters=clusters, seed=seed)
    n_papers = max(1, -(-n // PASSAGES_PER_PAPER))
    rng = np.random.default_rng(seed + 7)
    targets = np.sort(rng.choice(n, min(n, n_queries), replace=False))
    queries: dict[str, list[float]] = {}
    query_list: list[str] = []
    common: list[str] = []
    words_per_passage = SENTENCES_PER_PASSAGE * WORDS_PER_SENTENCE
    gen_s = write_s = 0.0
    index_dir = IndexDir(index_root)
    papers_out = []
    with index_dir.lock():
        old_version = index_dir.current() if add else None
        old = read_manifest(old_version) if old_version else None
        t_link = time.perf_counter()
        build = index_dir.new_build()
        first = 0
        for p in (old or {}).get("papers", []):
            link_paper_files(old_version, build, p["doc_id"])
            papers_out.append(dict(p))
            first += int(p["chunks"])
        link_s = time.perf_counter() - t_link
        first_pno = len(papers_out)
        done = 0
        block = 0
        while done < n:
            t0 = time.perf_counter()
            papers_here = min(BLOCK_PAPERS, n_papers - done // PASSAGES_PER_PAPER)
            m = min(n - done, papers_here * PASSAGES_PER_PAPER)
            texts = synthetic_texts(m, seed=1000 + block + first_pno, words=words_per_passage)
            vecs = mix.sample(m, seed=2000 + block + first_pno)
            noise = np.random.default_rng(3000 + block + first_pno).standard_normal(
                (m * SENTENCES_PER_PASSAGE, mix.dim), dtype=np.float32) * 0.015
            svecs = np.repeat(vecs, SENTENCES_PER_PASSAGE, axis=0) + noise
            svecs /= np.linalg.norm(svecs, axis=1, keepdims=True)
            del noise
            if not common:
                from collections import Counter

                common = [w for w, _ in Counter(w for t in texts[:2000] for w in t.split()).most_common(50)]
            gen_s += time.perf_counter() - t0
            t0 = time.perf_counter()
            for a in range(0, m, PASSAGES_PER_PAPER):
                b = min(m, a + PASSAGES_PER_PAPER)
                pno = first_pno + (done + a) // PASSAGES_PER_PAPER
                doc_id = f"synthetic-{pno:07d}"
                lang = "en" if pno % 2 else "id"
                parts, spans, passages = [], [], []
                pos = 0
                for j in range(a, b):
                    words = texts[j].split()
                    sents = [" ".join(words[s:s + WORDS_PER_SENTENCE]).capitalize() + "."
                             for s in range(0, len(words), WORDS_PER_SENTENCE)]
                    start = pos
                    for k, s in enumerate(sents):
                        spans.append((pos, pos + len(s)))
                        pos += len(s) + (1 if k + 1 < len(sents) else 0)
                    ptext = " ".join(sents)
                    parts.append(ptext)
                    passages.append((start, start + len(ptext), f"Section {(j - a) // 10 + 1}"))
                    pos += 2
                    gj = done + j
                    if len(query_list) < len(targets) and gj == targets[len(query_list)]:
                        qrng = np.random.default_rng(gj)
                        q = " ".join(list(qrng.choice(words, 4, replace=False)) +
                                     list(qrng.choice(common, 2, replace=False)))
                        qv = vecs[j] + qrng.standard_normal(mix.dim).astype(np.float32) * 0.02
                        queries[q] = (qv / np.linalg.norm(qv)).tolist()
                        query_list.append(q)
                text = "\n\n".join(parts)
                sections = tuple((s, sec) for s, _, sec in passages[::10])
                paper = Paper(
                    doc_id=doc_id, path=f"synthetic/{doc_id}.txt", title=f"Synthetic paper {pno}",
                    authors=(f"Author {pno % 997}",), year=2000 + pno % 25, language=lang,
                    sha256=hashlib.sha256(text.encode()).hexdigest(), text=text, sections=sections,
                )
                plist = [Passage(passage_id=f"{doc_id}#{k:04d}", doc_id=doc_id, start=s, end=e, section=sec,
                                 page=None, text=text[s:e]) for k, (s, e, sec) in enumerate(passages)]
                write_paper_files(build, paper, plist, vecs[a:b],
                                  np.array(spans, dtype=np.int64),
                                  svecs[a * SENTENCES_PER_PASSAGE:b * SENTENCES_PER_PASSAGE])
                papers_out.append({**paper.meta(), "chunks": len(plist)})
            write_s += time.perf_counter() - t0
            done += m
            block += 1
            del texts, vecs, svecs
            progress(f"{n}: wrote {done:,} passages")
        t0 = time.perf_counter()
        progress(f"{n}: indexing (vectors, BM25, manifest)")
        stages: dict = {}
        final, chunks = finish_build(index_dir, build, papers_out, settings, old=old, old_version=old_version,
                                     timings=stages)
        index_s = time.perf_counter() - t0
    return {
        "passages": int(chunks), "papers": len(papers_out), "sentences": int(chunks) * SENTENCES_PER_PASSAGE,
        "generate_s": round(gen_s, 2), "write_s": round(write_s, 2), "index_s": round(index_s, 2),
        "build_s": round(write_s + index_s, 2), "total_s": round(time.perf_counter() - t_start, 2),
        "link_s": round(link_s, 2), "clusters": clusters,
        "index_stages": stages, "version": final.name, "queries": queries, "query_list": query_list,
        "dim": mix.dim,
    }


MAX_RSS_MB = int(os.environ.get("SISTERQA_BENCH_MAX_RSS_MB", "6000"))


def candidate_path(searcher, qvec: np.ndarray, query: str, k: int = 10) -> list:
    """Retrieval alone: the searcher's candidate-only ranking (dense top-m, BM25 top-m, the best
    sentence of each candidate, fusion over them) and the ``k`` best passages read."""
    return [h.passage for h in searcher.search(query, k, query_vec=qvec)]


def _watch_rss(limit_mb: float, partial: dict, peaks: dict) -> None:
    """Track peak RssAnon / RssFile; stop this process (printing ``partial``) if its own memory
    (RssAnon) passes ``limit_mb``: the machine is shared."""
    import threading

    def run():
        while True:
            st = _status_mb()
            for k in ("RssAnon", "RssFile"):
                peaks[k] = max(peaks.get(k, 0.0), st.get(k, 0.0))
            if st.get("RssAnon", 0.0) > limit_mb and "engine_started" in partial:
                partial["engine_aborted"] = (f"own memory (RssAnon) passed {limit_mb:.0f} MB "
                                             f"({st['RssAnon']:.0f} MB) in Engine.answer")
                partial["rss_mb"] = _peak_rss_mb()
                partial["peak_anon_mb"], partial["peak_file_mb"] = peaks["RssAnon"], peaks["RssFile"]
                partial.pop("engine_started", None)
                print(json.dumps(partial), flush=True)
                os._exit(0)
            time.sleep(0.05)

    threading.Thread(target=run, daemon=True).start()


def time_answers(index_root: Path, queries: dict[str, list[float]], query_list: list[str], dim: int,
                 progress=lambda m: None, max_rss_mb: float = MAX_RSS_MB) -> dict:
    """Open the index, time the candidate path, then ``Engine.answer`` on each query (warm)."""
    from dataclasses import replace

    from sisterqa.app.session import Engine
    from sisterqa.app.settings import LLMSettings, load_settings
    from sisterqa.index.search import Searcher

    emb = SyntheticEmbedder(dim, {q: np.asarray(v, dtype=np.float32) for q, v in queries.items()})
    settings = replace(load_settings({"index_dir": str(index_root)}, env={}, cwd=index_root.parent),
                       llm=LLMSettings())
    settings = replace(settings, search=replace(settings.search, milvus=_milvus()))
    pct = lambda v, p: round(float(np.percentile(v, p)), 2) if v else 0.0  # noqa: E731
    out: dict = {}
    peaks: dict = {}
    _watch_rss(max_rss_mb, out, peaks)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    engine = Engine(settings, searcher=Searcher(index_root, settings.search, embedder=emb))
    open_s = time.perf_counter() - t0
    out.update({"open_s": round(open_s, 3), "rss_after_open_mb": round(_rss_mb() - rss0, 1),
                "dense_kind": engine.snapshot.dense.kind})
    cand = []
    for q in query_list:
        t0 = time.perf_counter()
        candidate_path(engine.searcher, emb.embed_queries([q])[0], q)
        cand.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.1)
    out.update(candidate_ms_p50=pct(cand[1:], 50), candidate_ms_p95=pct(cand[1:], 95),
               rss_after_candidates_mb=_peak_rss_mb(), candidates_peak_anon_mb=peaks.get("RssAnon"),
               candidates_peak_file_mb=peaks.get("RssFile"), engine_started=True)
    progress("first answer")
    t0 = time.perf_counter()
    first = engine.answer(query_list[0])
    first_s = time.perf_counter() - t0
    lat, retrieve, answer = [], [], []
    found = 0
    for q in query_list[1:]:
        t0 = time.perf_counter()
        a = engine.answer(q)
        lat.append((time.perf_counter() - t0) * 1000)
        retrieve.append(a.timings["retrieve"])
        answer.append(a.timings["answer"])
        if not a.hits:
            raise RuntimeError(f"no passages for {q!r}")
        found += bool(a.citations)
    # The same questions with names in them (capitalised words, as a student names cities): the
    # answerer then routes among the papers of the passages found (index.routing.LazyRouter).
    named = []
    for q in query_list[1:51]:
        w = q.split()
        text = f"Why did {w[0].capitalize()} and {w[1].capitalize()} stall in {' '.join(w[2:])}?"
        emb.queries[text] = emb.queries[q]
        t0 = time.perf_counter()
        engine.answer(text)
        named.append((time.perf_counter() - t0) * 1000)
    out.update({
        "named_query_ms_p50": pct(named, 50), "named_query_ms_p95": pct(named, 95),
        "first_answer_s": round(first_s, 3),
        "query_ms_p50": pct(lat, 50), "query_ms_p95": pct(lat, 95),
        "retrieve_ms_p50": pct(retrieve, 50), "answer_ms_p50": pct(answer, 50),
        "rss_mb": _peak_rss_mb(), "rss_end_mb": _rss_mb(), "queries_timed": len(lat),
        "answers_with_citations": found, "first_answer_citations": len(first.citations),
    })
    time.sleep(0.1)
    out.pop("engine_started", None)
    out.update(peak_anon_mb=peaks.get("RssAnon"), peak_file_mb=peaks.get("RssFile"))
    return out


def bench_scale_e2e(sizes, quick: bool, progress=lambda m: None, work: Path | None = None,
                    backends=("faiss",)) -> dict:
    """One row per size (and backend): build in one child process, open and answer in another,
    then add one paper in a third."""
    from sisterqa.eval.children import child_env, task_child

    rows = []
    for n, backend in ((n, b) for b in backends for n in sizes):
        tmp = Path(tempfile.mkdtemp(prefix=f"sisterqa-e2e-{n}-", dir=work))
        try:
            index, qfile = tmp / "index", tmp / "queries.json"
            progress(f"scale_e2e {n:,} passages: build (child process)")
            b = task_child("e2e_build", {"index": str(index), "n": int(n), "queries": 21 if quick else 201,
                                      "queries_file": str(qfile), "backend": backend}, env=child_env())
            progress(f"scale_e2e {n:,} passages: open and answer (child process)")
            q = task_child("e2e_query", {"index": str(index), "queries_file": str(qfile)}, env=child_env())
            disk = sum(f.stat().st_size for f in index.rglob("*") if f.is_file())  # one version
            progress(f"scale_e2e {n:,} passages: add one paper incrementally (child process)")
            add = task_child("e2e_add", {"index": str(index), "clusters": b["clusters"]}, env=child_env())
            row = {"passages": b["passages"], "open_s": q["open_s"], "query_ms_p50": q.get("query_ms_p50"),
                   "query_ms_p95": q.get("query_ms_p95"), "rss_mb": q["rss_mb"], "build_s": b["build_s"],
                   "backend": backend}
            row.update({k: v for k, v in q.items() if k not in row and not k.startswith("_")})
            row.update(papers=b["papers"], sentences=b["sentences"], generate_s=b["generate_s"],
                       write_s=b["write_s"], index_s=b["index_s"], index_stages=b["index_stages"],
                       build_peak_rss_mb=b["_child_peak_rss_mb"],
                       query_child_peak_rss_mb=q["_child_peak_rss_mb"], disk_mb=round(disk / 2**20, 1),
                       add_one_paper_s=round(add["link_s"] + add["write_s"] + add["index_s"], 2),
                       add_one_paper=dict(passages=add["passages"] - b["passages"], link_s=add["link_s"],
                                          **add["index_stages"], peak_rss_mb=add["_child_peak_rss_mb"]))
            rows.append(row)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return {"scale_e2e": rows}


if __name__ == "__main__":  # python -m sisterqa.eval.scale_e2e 10000 [100000 ...]
    args = [a for a in sys.argv[1:] if not a.startswith("--backend=")]
    chosen = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--backend=")] or ["faiss"]
    sizes = [int(x) for x in args] or [10_000]
    print(json.dumps(bench_scale_e2e(sizes, quick=False, progress=lambda m: print(m, file=sys.stderr),
                                     backends=chosen), indent=1))
