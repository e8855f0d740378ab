"""Literature tables timed on a synthetic index: 100 papers × 6 columns (``sisterqa bench --only table``).

The index is written by ``eval.scale_e2e.build_synthetic`` in the real format (papers of 50
passages of 5 sentences, half tagged English, half Indonesian) and read through
``SyntheticEmbedder`` (no model). Each cell is the real ``Engine.answer`` with the paper filter,
as in ``app.table.build_table``; the preset questions are not words of the synthetic text, so
the answers are not meaningful, but the work per cell (retrieval within the paper, its sentences
scored, the answer cited and verified) is the real one. Tables of 25, 50 and 100 papers show
whether the cost stays linear in cells.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

PAPERS = 100
ROW_COUNTS = (25, 50, 100)


def synthetic_engine(index_root: Path, dim: int):
    """An Engine over the synthetic index at ``index_root``, queries embedded by SyntheticEmbedder."""
    from sisterqa.app.session import Engine
    from sisterqa.app.settings import LLMSettings, load_settings
    from sisterqa.index.search import Searcher

    from .scale_e2e import SyntheticEmbedder

    settings = replace(load_settings({"index_dir": str(index_root)}, env={}, cwd=index_root.parent),
                       llm=LLMSettings())
    return Engine(settings, searcher=Searcher(index_root, settings.search, embedder=SyntheticEmbedder(dim)))


def bench_synthetic_table(papers: int = PAPERS, row_counts=ROW_COUNTS, work: Path | None = None,
                          progress=lambda m: None) -> dict:
    """Build a synthetic index of ``papers`` papers, then time tables of the six preset questions
    over the first ``row_counts`` papers (warm: one row answered first)."""
    from sisterqa.app.table import PRESETS, build_table

    from .scale_e2e import PASSAGES_PER_PAPER, build_synthetic

    tmp = Path(tempfile.mkdtemp(prefix="sisterqa-table-", dir=work))
    try:
        progress(f"table: writing a synthetic index of {papers} papers")
        t0 = time.perf_counter()
        built = build_synthetic(tmp / "index", papers * PASSAGES_PER_PAPER, n_queries=1)
        build_s = time.perf_counter() - t0
        engine = synthetic_engine(tmp / "index", built["dim"])
        docs = [p["doc_id"] for p in engine.snapshot.papers]
        questions = [q for _, q in PRESETS]
        build_table(engine, questions, docs[:1])  # warm: caches, the lexicon
        runs = []
        for n in sorted(set(min(r, len(docs)) for r in row_counts)):
            progress(f"table: {n} papers × {len(questions)} columns (synthetic)")
            t = build_table(engine, questions, docs[:n])
            ms = [c.ms for c in t.cells]
            runs.append({"papers": n, "columns": len(questions), "cells": len(t.cells),
                         "table_s": round(t.seconds, 3), "ms_per_cell": round(t.seconds * 1000 / len(t.cells), 2),
                         "cell_ms_p50": round(float(np.percentile(ms, 50)), 2),
                         "cell_ms_p95": round(float(np.percentile(ms, 95)), 2),
                         "stated_cells": sum(c.stated for c in t.cells)})
        return {"papers": len(docs), "passages": built["passages"], "build_s": round(build_s, 2), "runs": runs}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
