"""The ``table`` section of ``sisterqa bench``: literature tables timed.

- ``corpus``: the six preset columns over every paper of the corpus index (5 × 6 on the corpus
  here), warm (the engine loaded and one table answered first), the median of ``repeats``; and
  tables of 1, 2, … papers to show that the cost grows with the cells.
- ``synthetic``: 100 papers × 6 columns on a synthetic index (``eval/table_synthetic.py``).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

TARGET_S = 3.0  # a 5 × 6 table, warm


def corpus_index(index_dir: Path | None, work: Path, corpus: Path, progress) -> Path:
    """The index to time: ``index_dir`` (the bench's own), else the project's index when it is built,
    else the corpus indexed into ``work``."""
    from sisterqa.app.settings import load_settings
    from sisterqa.index.build import BuildSettings, ingest
    from sisterqa.index.store import IndexDir

    if index_dir is not None:
        return Path(index_dir)
    s = load_settings({})
    if IndexDir(s.index_dir).current() is not None:
        return Path(s.index_dir)
    progress("table: indexing the corpus")
    target = work / "table-index"
    ingest([corpus], target, BuildSettings(), root=corpus.parent)
    return target


def bench_corpus_table(index_dir: Path, repeats: int = 3, progress=lambda m: None) -> dict:
    from sisterqa.app.session import Engine
    from sisterqa.app.settings import load_settings
    from sisterqa.app.table import PRESETS, build_table

    engine = Engine(load_settings({"index_dir": str(index_dir)}))
    questions = [q for _, q in PRESETS]
    docs = [p["doc_id"] for p in engine.snapshot.papers]
    t0 = time.perf_counter()
    engine.searcher.embed_query("warm up")
    first = build_table(engine, questions)
    first_s = time.perf_counter() - t0
    progress(f"table: {len(docs)} papers × {len(questions)} columns, warm, {repeats} times")
    runs = [build_table(engine, questions) for _ in range(repeats)]
    seconds = [t.seconds for t in runs]
    grow = []
    for n in range(1, len(docs) + 1):
        t = build_table(engine, questions, docs[:n])
        grow.append({"papers": n, "cells": len(t.cells), "table_s": round(t.seconds, 3)})
    ms = [c.ms for t in runs for c in t.cells]
    return {
        "papers": len(docs), "columns": len(questions), "cells": len(first.cells),
        "first_table_s": round(first_s, 3), "table_s": round(statistics.median(seconds), 3),
        "table_s_runs": [round(x, 3) for x in seconds],
        "ms_per_cell": round(statistics.median(seconds) * 1000 / max(1, len(first.cells)), 2),
        "cell_ms_p50": round(statistics.median(ms), 2) if ms else 0.0,
        "cell_ms_p95": round(sorted(ms)[int(0.95 * (len(ms) - 1))], 2) if ms else 0.0,
        "stated_cells": sum(c.stated for c in runs[-1].cells), "by_papers": grow,
    }


def bench_table(index_dir: Path | None, work: Path, corpus: Path, quick: bool = False, repeats: int = 3,
                progress=lambda m: None) -> dict:
    """The bench's ``table`` section (its JSON under ``"table"``)."""
    from .table_synthetic import bench_synthetic_table

    out = {"corpus": bench_corpus_table(corpus_index(index_dir, work, corpus, progress), repeats, progress)}
    out["synthetic"] = bench_synthetic_table(20 if quick else 100, (10, 20) if quick else (25, 50, 100), work,
                                             progress)
    c = out["corpus"]
    out["target"] = {"5x6_warm_s<=3": c["table_s"] <= TARGET_S if c["cells"] >= 30 else None}
    return out
