"""The ``sisterqa eval`` and ``sisterqa bench`` commands: the measuring shell, added to the app's
command group (``sisterqa.cli``), so that the app never imports eval (data flows ingest ← index ← app ← eval)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sisterqa.app.cli import _check_backend, _fail, _settings, index_dir_option, main
from sisterqa.ingest.errors import SisterQAError


@main.command("eval")
@click.option("--gold", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Gold Q&A file (JSONL); default eval/gold.jsonl.")
@click.option("--gold-table", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Gold table (JSONL, one line per paper and column) for the literature table's section; "
                   "default eval/gold-table.jsonl when it exists.")
@click.option("--predictions", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the system's answer objects here, one per line, with the item's id.")
@click.option("--failures", "show_failures", is_flag=True,
              help="List items whose evidence was not retrieved, with what came back instead.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where report.md and chart.png go (default eval/reports).")
@click.option("--no-baselines", is_flag=True, help="Measure the system alone (faster).")
@click.option("--corpus", "corpus", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Evaluate over another folder of papers (e.g. the papers as PDFs), indexed into its own "
                   "directory, or a named corpus with its gold set (sisterqa, debian).")
@click.option("--backend", default=None,
              help="Evaluate on this index backend (also $SISTERQA_BACKEND); an index built with another "
                   "one is first copied into INDEX_DIR-NAME with this backend.")
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.pass_context
def eval_cmd(ctx, gold, gold_table, predictions, show_failures, report_dir, no_baselines, corpus, backend, index_dir,
             as_json):
    """Measure the system and the baselines on the gold Q&A set.

    \b
    Example:
      sisterqa eval                      # table, report and chart in eval/reports/
      sisterqa eval --json --predictions /tmp/pred.jsonl --failures
    """
    from sisterqa.eval.run import GOLD, breakdown_table, evaluate, failures, public, table, write_report

    s = _settings(ctx, index_dir=index_dir, backend=backend)
    say = lambda m: click.echo(f"eval: {m}…", err=True)  # noqa: E731
    try:
        if corpus is not None:
            from sisterqa.eval.corpus import NAMED, evaluate_corpus, named

            if str(corpus) in NAMED:  # a named corpus: its folder and its gold set
                folder, named_gold = named(str(corpus))
                gold = gold or named_gold
                corpus = folder
        if corpus is not None:
            result = evaluate_corpus(s, corpus, gold or GOLD, baselines=not no_baselines, progress=say)
        else:
            s = _index_for_backend(s, say)
            result = evaluate(s, gold or GOLD, baselines=not no_baselines, progress=say, gold_table=gold_table)
    except SisterQAError as e:
        _fail(e)
    if predictions:
        with open(predictions, "w", encoding="utf-8") as f:
            for it, a in zip(result["_items"], result["_predictions"]):
                f.write(json.dumps({"id": it["id"], **a}, ensure_ascii=False) + "\n")
    if report_dir is None and corpus is not None:
        report_dir = Path(result["corpus"]["index_dir"]) / "report"  # eval/reports stays the text corpus's
    md, png = write_report(result, report_dir or Path(__file__).resolve().parent.parent / "eval" / "reports")
    if as_json:
        out = public(result)
        if show_failures:
            out["failures"] = failures(result)
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    click.echo(table(result))
    click.echo("")
    click.echo(breakdown_table(result))
    if result.get("table"):
        from sisterqa.eval.table import report as table_report

        click.echo(f"\nLiterature table\n\n{table_report(result['table'])}")
    click.echo(f"\n{result['n']} items in {result['runtime_s']} s; report: {md}, chart: {png}")
    if show_failures:
        for f in failures(result):
            click.echo(f"\n{f['id']}: {f['question']}")
            for m in f["missing"]:
                click.echo(f"  missing [{m['doc']}]: {m['quote']}")
            for g in f["got"]:
                click.echo(f"  got {g['rank']}. {g['passage_id']}: {g['text'][:100]}")


def _index_for_backend(s, progress):
    """The settings with an index built with ``s.build.backend``: the index itself when it was,
    else ``INDEX_DIR-NAME``, brought up to date from the corpus with that backend (incremental)."""
    from dataclasses import replace

    from sisterqa.index.store import IndexDir, read_manifest

    from sisterqa.app.library import run_ingest

    name = s.build.backend
    if not name:
        return s
    _check_backend(name)
    current = IndexDir(s.index_dir).current()
    built = ((read_manifest(current).get("backend") or {}).get("name") or "faiss") if current else None
    if built == name:
        return s
    target = s.index_dir.with_name(f"{s.index_dir.name}-{name}")
    if current is not None and IndexDir(target).current() is None:
        import os
        import shutil

        # Start from the live version (hard links: versions are immutable), so nothing is embedded again.
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        shutil.copytree(current, target / current.name, copy_function=os.link)
        (target / "CURRENT").write_text(current.name, encoding="utf-8")
    progress(f"indexing {s.corpus_dir.name}/ with the {name} backend into {target}")
    report = run_ingest(s, index_dir=target)
    if report.failed:
        raise SisterQAError(f"ingest with the {name} backend failed for {len(report.failed)} file(s): "
                            f"{report.failed[0][0]}: {report.failed[0][1]}")
    return replace(s, index_dir=target)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@click.option("--quick", is_flag=True, help="A smoke run for CI: one small paper, a few questions, 10k vectors.")
@click.option("--sizes", default=None,
              help="Scale sizes in chunks, comma-separated (default 10000,100000,1000000; 0 skips the scale part).")
@click.option("--repeats", type=click.IntRange(1, 20), default=None,
              help="Runs per timing, the median reported (default 3; 1 with --quick).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the JSON to this file.")
@click.option("--only", default=None, metavar="NAME[,NAME…]",
              help="Run only these sections, comma-separated: system, vanilla, scale, scale_e2e, pdf (seconds a "
                   "page reading typeset PDFs), load (20 browser sessions at once against a real `sisterqa ui`; "
                   "needs Chromium and Playwright), table (literature tables: 5 × 6 over the corpus, 100 × 6 "
                   "on a synthetic index).")
@click.option("--sessions", type=click.IntRange(1, 100), default=None,
              help="Browser sessions of the load section (default 20; 5 with --quick).")
@click.option("--e2e-sizes", default=None,
              help="Passages of the scale_e2e indexes, comma-separated (default 10000,100000,1000000).")
@click.option("--e2e-backends", default="faiss", show_default=True,
              help="Index backends the scale_e2e section measures, comma-separated (faiss, milvus).")
def bench(as_json, quick, sizes, repeats, out, only, sessions, e2e_sizes, e2e_backends):
    """Measure ingest, cold start, query latency and memory, against the vanilla pipeline, and
    the vector and BM25 indexes at 10k-1M chunks.

    \b
    Example:
      sisterqa bench --json --quick     # about a minute
      sisterqa bench                    # the full run of the README (about half an hour on 2 cores)
      sisterqa bench --only load        # 20 chat sessions at once against `sisterqa ui`
      sisterqa bench --only scale_e2e --e2e-sizes 10000,100000
    """
    from sisterqa.eval.bench import parse_only, run_bench, summary

    def _sizes(text):
        if text is None:
            return None
        return [int(x) for x in text.replace("_", "").split(",") if x.strip() and int(x) > 0]

    sections_named = only is not None
    try:
        only = parse_only(only)
    except ValueError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    result = run_bench(quick=quick, sizes=_sizes(sizes), repeats=repeats, only=only, load_sessions=sessions,
                       e2e_sizes=_sizes(e2e_sizes),
                       e2e_backends=[x.strip() for x in e2e_backends.split(",") if x.strip()],
                       progress=lambda m: click.echo(f"bench: {m}…", err=True))
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    if as_json or sections_named:  # --only prints the contract's JSON with just those sections' fields
        click.echo(text)
        return
    click.echo(summary(result))
    if "targets" in result:
        click.echo(f"\ntargets: {json.dumps(result['targets'])}")
