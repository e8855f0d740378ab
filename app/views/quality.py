"""The Quality page: the latest ``sisterqa eval`` report and ``sisterqa bench`` figures, in plain words.

Both are read from the reports folder (``eval/reports/`` unless the settings'
``reports_dir`` says otherwise, e.g. ``SISTERQA_REPORTS_DIR``): ``report.md``,
``chart.png``, ``reliability.png`` (the confidence's reliability diagram, when
an eval wrote one), ``bench.json`` and ``load.json``, as the last runs of
``sisterqa eval``, ``sisterqa bench --out eval/reports/bench.json`` and
``sisterqa bench --only load --out eval/reports/load.json`` wrote them. Each
metric is one sentence a reviewer can read without the metric's name ("found
the evidence in the first 5 passages for 80 of 91 questions"); the tables
show this system's figures, narrow enough for the page, with the baselines
beside them only where they fit.
"""

from __future__ import annotations

import json
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

# metric → (short label for tables, what it measures in a few words)
LABELS = {
    "hit@1": ("evidence first", "the best passage holds the evidence"),
    "hit@5": ("evidence in top 5", "the evidence is among the first 5 passages"),
    "hit@10": ("evidence in top 10", "the evidence is among the first 10 passages"),
    "allev@5": ("all evidence in top 5", "all the evidence is among the first 5 passages"),
    "allev@10": ("all evidence in top 10", "all the evidence is among the first 10 passages"),
    "mrr@10": ("rank of first evidence (MRR)", "1 ÷ the rank of the first passage with evidence, averaged"),
    "keyfact_recall": ("key facts stated", "share of the reference answers' key facts the answer states"),
    "citation_precision": ("citations on the gold evidence", "share of citations quoting the gold evidence"),
    "citation_support": ("answers with a supporting citation", "a cited passage holds the gold evidence"),
    "citation_validity": ("quotes found verbatim", "share of quotes found word for word in the paper"),
    "abstention_accuracy": ("unanswerable: said so", "share of unanswerable questions it declined"),
    "false_abstention": ("answerable: wrongly declined", "share of answerable questions it declined"),
    "answer_words_median": ("answer length, median words", ""),
    "latency_ms_p50": ("time per answer, median (ms)", ""),
    "latency_ms_p95": ("time per answer, 95th percentile (ms)", ""),
}
GROUP_COLUMNS = ["hit@5", "allev@10", "mrr@10", "keyfact_recall", "citation_precision"]


def reports_dir(s=None) -> Path:
    """The reports folder: the settings' ``reports_dir`` (SISTERQA_REPORTS_DIR), else eval/reports."""
    return Path(getattr(s, "reports_dir", None) or REPORTS)


def split_report(md: str) -> list[tuple[str, str]]:
    """``report.md`` as (heading, body) sections; image lines are dropped (the chart is shown apart)."""
    md = re.sub(r"(?m)^!\[[^\]]*\]\([^)]*\)\s*$", "", md)
    md = re.sub(r"(?m)^# .*$", "", md)  # the report's own title: the page has its headings
    parts = re.split(r"(?m)^## +(.+)$", md)
    out = [("", parts[0])]
    out += [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    return [(h, b.strip()) for h, b in out if b.strip()]


def parse_table(md: str) -> tuple[list[str], list[list[str]]]:
    """A Markdown table's header and rows (cells stripped); ([], []) when ``md`` holds none."""
    lines = [x.strip() for x in md.splitlines() if x.strip().startswith("|")]
    if len(lines) < 2:
        return [], []
    cells = [[c.strip() for c in x.strip("|").split("|")] for x in lines]
    return cells[0], [r for r in cells[2:] if len(r) == len(cells[0])]


def _num(x: str) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def read_report(md: str) -> dict:
    """What report.md says, as numbers: {"n", "overall": {metric: {system, bm25, vanilla}},
    "groups": {group: {"n", metric: value}}, "splits": {metric: {"tune", "heldout"}}, "unanswerable"}."""
    out: dict = {"n": None, "overall": {}, "groups": {}, "splits": {}, "unanswerable": 0}
    m = re.search(r"(\d+) gold items", md)
    out["n"] = int(m.group(1)) if m else None
    for heading, body in split_report(md):
        header, rows = parse_table(body)
        if not header:
            continue
        name = heading.lower()
        if name == "overall":
            for r in rows:
                out["overall"][r[0]] = {h: _num(v) for h, v in zip(header[1:], r[1:])}
        elif name.startswith("by group"):
            for r in rows:
                d = {"n": int(_num(r[1]) or 0)}
                for h, v in zip(header[2:], r[2:]):
                    if h.endswith("(system)"):
                        d[h[: -len(" (system)")]] = _num(v)
                out["groups"][r[0]] = d
        elif name.startswith("by split"):
            for r in rows:
                vals = dict(zip(header[1:], r[1:]))
                out["splits"][r[0]] = {
                    "tune": _num(next((v for h, v in vals.items() if h.startswith("tune system")), None)),
                    "heldout": _num(next((v for h, v in vals.items() if h.startswith("heldout system")), None)),
                }
    out["unanswerable"] = out["groups"].get("type=unanswerable", {}).get("n", 0)
    return out


def _of(value: float | None, n: int) -> str:
    return f"{round(value * n)} of {n}" if value is not None and n else "—"


def sentences(rep: dict) -> list[tuple[str, str]]:
    """(metric, one plain sentence) for each figure of the overall table, this system's value."""
    o = {k: v.get("system") for k, v in rep["overall"].items()}
    base = {k: (v.get("bm25"), v.get("vanilla")) for k, v in rep["overall"].items()}
    n_all = rep.get("n") or 0
    n_unans = rep.get("unanswerable") or 0
    n = n_all - n_unans  # answerable questions
    out = []

    def vs(metric: str) -> str:
        b, v = base.get(metric, (None, None))
        if b is None or v is None or not n:
            return ""
        return f" (keyword search alone: {_of(b, n)}; the textbook pipeline: {_of(v, n)})"

    for k, words in (("hit@1", "the first passage it found held the evidence"),
                     ("hit@5", "it found the evidence in the first 5 passages"),
                     ("hit@10", "it found the evidence in the first 10 passages"),
                     ("allev@5", "it found all the evidence a question needs in the first 5 passages"),
                     ("allev@10", "it found all the evidence a question needs in the first 10 passages")):
        if o.get(k) is not None:
            out.append((k, f"For {_of(o[k], n)} questions, {words}{vs(k)}."))
    if o.get("mrr@10") is not None:
        out.append(("mrr@10", f"The first passage with evidence ranks {o['mrr@10']:.2f} on a scale where 1.00 "
                              "means first every time, 0.50 second every time and 0 never in the first 10 "
                              "(mean reciprocal rank)."))
    if o.get("keyfact_recall") is not None:
        out.append(("keyfact_recall", f"The answers state {o['keyfact_recall']:.0%} of the key facts the reference "
                                      "answers list (word for word, after normalising case and punctuation)."))
    if o.get("citation_support") is not None:
        out.append(("citation_support", f"For {_of(o['citation_support'], n)} questions, at least one cited passage "
                                        "holds the gold evidence."))
    if o.get("citation_precision") is not None:
        out.append(("citation_precision", f"{o['citation_precision']:.0%} of the citations quote a sentence of the "
                                          "gold evidence; the others quote sentences the gold set does not list, "
                                          "relevant or not."))
    if o.get("citation_validity") is not None:
        out.append(("citation_validity", f"{o['citation_validity']:.0%} of the quotes are found word for word in "
                                         "the paper they cite."))
    if o.get("abstention_accuracy") is not None and n_unans:
        out.append(("abstention_accuracy", f"Of the {n_unans} questions the papers do not answer, it said so for "
                                           f"{round(o['abstention_accuracy'] * n_unans)}."))
    if o.get("false_abstention") is not None and n:
        out.append(("false_abstention", f"It wrongly said the papers do not answer for {_of(o['false_abstention'], n)}"
                                        " questions they do answer."))
    if o.get("answer_words_median") is not None:
        out.append(("answer_words_median", f"Half the answers are at most {o['answer_words_median']:.0f} words long."))
    if o.get("latency_ms_p50") is not None and o.get("latency_ms_p95") is not None:
        out.append(("latency_ms_p50", f"Half the answers took at most {o['latency_ms_p50']:.0f} ms, 95 % at most "
                                      f"{o['latency_ms_p95']:.0f} ms (the question's embedding included)."))
    return out


def overall_rows(rep: dict) -> list[dict]:
    """The overall table with metrics named in words: system, keyword search, textbook pipeline."""
    rows = []
    for k, v in rep["overall"].items():
        label = LABELS.get(k, (k, ""))[0]
        fmt = (lambda x: "—" if x is None else (f"{x:.0f}" if k.startswith(("answer_words", "latency")) else f"{x:.3f}"))
        rows.append({"figure": f"{label} ({k})", "sisterqa": fmt(v.get("system")), "keyword search": fmt(v.get("bm25")),
                     "textbook pipeline": fmt(v.get("vanilla"))})
    return rows


def group_rows(rep: dict) -> list[dict]:
    """By group, this system only: a few columns that fit the page."""
    rows = []
    for g, d in rep["groups"].items():
        if g == "type=unanswerable":
            continue
        row = {"questions": GROUP_NAMES.get(g, g), "n": d.get("n")}
        for k in GROUP_COLUMNS:
            if d.get(k) is not None:
                row[LABELS[k][0]] = f"{d[k]:.2f}"
        rows.append(row)
    return rows


GROUP_NAMES = {"en-about-id": "English, about Indonesian papers", "lang=en": "in English",
               "lang=id": "in Indonesian", "type=compare": "comparisons", "type=factoid": "facts",
               "type=followup": "follow-ups", "type=list": "lists", "type=why": "why"}


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


CSS = """<style>
/* Tables fit the reading pane: long labels wrap, a wide table scrolls inside the pane. */
.st-key-quality [data-testid="stTable"], .st-key-quality [data-testid="stMarkdownContainer"] table {
    display: block; max-width: 100%; overflow-x: auto; }
.st-key-quality [data-testid="stTable"] td, .st-key-quality [data-testid="stTable"] th {
    white-space: normal; overflow-wrap: anywhere; }
</style>"""


def render(s=None) -> None:
    st.html(CSS)
    with st.container(key="quality"):
        _render(s)


def _render(s=None) -> None:
    st.title("Quality")
    st.caption("How well the answers hold up, measured on the gold questions (eval/gold.jsonl: questions with "
               "reference answers, key facts and the evidence sentences, written by hand) against two baselines, "
               "and how fast the system is. Figures from the last runs of `sisterqa eval` and `sisterqa bench`.")
    folder = reports_dir(s)
    report = folder / "report.md"
    st.header("Evaluation", anchor="evaluation")
    if report.exists():
        md = report.read_text(encoding="utf-8")
        rep = read_report(md)
        n_ans = (rep["n"] or 0) - rep["unanswerable"]
        st.caption(f"From {report.name}, written {_age(report)}: {rep['n']} questions, {n_ans} that the papers "
                   f"answer and {rep['unanswerable']} that they do not.")
        st.subheader("In plain words")
        st.markdown("\n".join(f"- {text}" for _, text in sentences(rep)))
        if (folder / "chart.png").exists():
            st.image(str(folder / "chart.png"), caption="System against the baselines")
        st.subheader("Confidence")
        reliability = folder / "reliability.png"
        if reliability.exists():
            st.image(str(reliability), caption="Reliability diagram: of the answers given a confidence of about "
                                               "x, the share that were right (on the diagonal when calibrated)")
        else:
            st.info("The reliability diagram (how often answers given each confidence were right) appears here "
                    f"once `sisterqa eval` writes {folder.name}/reliability.png.", icon=":material/insights:")
        st.subheader("Overall")
        st.caption("Keyword search: BM25 alone. Textbook pipeline: 1,000-character chunks, MiniLM embeddings, "
                   "nearest chunks. Shares are between 0 and 1; higher is better except for wrong declines, "
                   "length and time.")
        st.table(overall_rows(rep))
        if rep["splits"]:
            st.subheader("By split (tuning / held-out)")
            st.caption("The answerer's weights were fitted on the tuning half; the held-out half was never used "
                       "to choose anything, so it shows what to expect on new questions.")
            st.table([{"figure": f"{LABELS.get(k, (k,))[0]} ({k})",
                       "tuning": "—" if v["tune"] is None else f"{v['tune']:.3f}",
                       "held-out": "—" if v["heldout"] is None else f"{v['heldout']:.3f}"}
                      for k, v in rep["splits"].items()])
        if rep["groups"]:
            st.subheader("By group")
            st.caption("This system's figures by kind of question (n: how many).")
            st.table(group_rows(rep))
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
