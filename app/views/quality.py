"""The Quality page: the latest ``sisterqa eval`` report and ``sisterqa bench`` figures.

Both are read from ``eval/reports/`` (``report.md``, ``chart.png``,
``bench.json``, ``load.json``; another folder with ``SISTERQA_REPORTS_DIR``),
as the last runs of ``sisterqa eval``, ``sisterqa bench --out
eval/reports/bench.json`` and ``sisterqa bench --only load --out
eval/reports/load.json`` wrote them, so a reviewer sees how far to trust the answers.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import streamlit as st

REPORTS = Path(__file__).resolve().parents[2] / "eval" / "reports"

BENCH_ROWS = [  # (label, key in bench.json, key in its "vanilla" part, unit)
    ("Ingest, the whole corpus", "ingest_full_s", "ingest_full_s", "s"),
    ("Ingest, one more paper", "ingest_add_one_paper_s", None, "s"),
    ("Cold start to the first answer", "cold_start_s", None, "s"),
    ("Question, median", "query_ms_p50", "query_ms_p50", "ms"),
    ("Question, 95th percentile", "query_ms_p95", "query_ms_p95", "ms"),
    ("Peak memory", "peak_rss_mb", "peak_rss_mb", "MB"),
]


def reports_dir() -> Path:
    return Path(os.environ.get("SISTERQA_REPORTS_DIR") or REPORTS)


def split_report(md: str) -> list[tuple[str, str]]:
    """``report.md`` as (heading, body) sections; image lines are dropped (the chart is shown apart)."""
    md = re.sub(r"(?m)^!\[[^\]]*\]\([^)]*\)\s*$", "", md)
    md = re.sub(r"(?m)^# .*$", "", md)  # the report's own title: the page has its headings
    parts = re.split(r"(?m)^## +(.+)$", md)
    out = [("", parts[0])]
    out += [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    return [(h, b.strip()) for h, b in out if b.strip()]


def bench_table(bench: dict) -> list[dict]:
    """The headline bench figures, this system against the vanilla pipeline."""
    rows = []
    v = bench.get("vanilla") or {}
    for label, key, vkey, unit in BENCH_ROWS:
        if key not in bench:
            continue
        rows.append({"figure": label, "sisterqa": f"{bench[key]:,.2f} {unit}",
                     "vanilla": f"{v[vkey]:,.2f} {unit}" if vkey and vkey in v else ""})
    load = bench.get("load")
    if load and "sessions" in load:
        rows.append({"figure": f"{load['sessions']} chat sessions at once, 95th percentile",
                     "sisterqa": f"{load['answer_s_p95']:,.2f} s", "vanilla": ""})
    return rows


def _age(path: Path) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(path.stat().st_mtime))


def render(s=None) -> None:
    st.title("Quality")
    st.caption("How well the answers hold up, measured on the gold questions (eval/gold.jsonl) "
               "against two baselines, and how fast the system is. Figures from the last runs of "
               "`sisterqa eval` and `sisterqa bench`.")
    folder = reports_dir()
    report = folder / "report.md"
    st.header("Evaluation", anchor="evaluation")
    if report.exists():
        st.caption(f"From {report.name}, written {_age(report)}.")
        sections = split_report(report.read_text(encoding="utf-8"))
        for heading, body in sections:
            if heading:
                st.subheader(heading)
            st.markdown(body)  # written by sisterqa eval: tables of figures
            if heading.lower() == "overall" and (folder / "chart.png").exists():
                st.image(str(folder / "chart.png"), caption="System against the baselines")
    else:
        st.info("No evaluation report yet: run `sisterqa eval` (it writes eval/reports/report.md).")
    st.header("Performance", anchor="performance")
    bench_file = folder / "bench.json"
    if bench_file.exists():
        try:
            bench = json.loads(bench_file.read_text(encoding="utf-8"))
        except ValueError:
            st.warning(f"{bench_file.name} is not valid JSON; run `sisterqa bench --out {bench_file}`.")
            return
        m = bench.get("machine") or {}
        st.caption(f"From {bench_file.name}, written {_age(bench_file)}"
                   + (f", on {m.get('cpus', '?')} CPUs" if m else "") + ".")
        load_file = folder / "load.json"
        if "load" not in bench and load_file.exists():  # `sisterqa bench --only load --out …/load.json`
            try:
                bench["load"] = json.loads(load_file.read_text(encoding="utf-8")).get("load")
            except ValueError:
                pass
        st.table(bench_table(bench))
        scale = bench.get("scale") or []
        if scale:
            st.subheader("At scale (synthetic vectors)")
            st.table([{"passages": f"{x['chunks']:,}", "index": x["index"],
                       "query p50 (ms)": f"{x['query_ms_p50']:.2f}",
                       "recall@10": f"{x['recall_at_10_vs_exact']:.3f}",
                       "memory (MB)": f"{x['memory_mb']:.0f}"} for x in scale])
    else:
        st.info("No bench figures yet: run `sisterqa bench --out eval/reports/bench.json`.")
