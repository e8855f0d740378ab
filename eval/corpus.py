"""``sisterqa eval --corpus DIR``: the gold set over another copy of the papers (e.g. the same papers as PDFs).

DIR is ingested into its own index directory, ``.sisterqa-corpora/<hash of DIR's path>/`` beside
the main index (incremental: a second run over the same files reuses it), and the evaluation runs
against that index. Gold evidence names a paper by file name (``x.txt``); a copy named ``x.pdf``
in DIR is the same paper: the names are matched by file stem.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import replace
from pathlib import Path

from sisterqa.ingest.errors import SisterQAError

CORPORA_DIR = ".sisterqa-corpora"
EVAL_DIR = Path(__file__).resolve().parent

# Named corpora with their gold sets: ``sisterqa eval --corpus NAME``. "sisterqa" is the project's own
# corpus/ (the main index); the others are folders of real papers kept under eval/corpora/.
NAMED = {
    "sisterqa": (None, EVAL_DIR / "gold.jsonl"),
    "debian": (EVAL_DIR / "corpora" / "debian", EVAL_DIR / "gold-debian.jsonl"),
}


def named(name: str) -> tuple[Path | None, Path]:
    """(papers folder or None for corpus/, gold file) of a named corpus."""
    if name not in NAMED:
        raise CorpusUnreadable(f"no corpus named {name!r}; known: {', '.join(NAMED)} (or give a folder)")
    return NAMED[name]


def available() -> list[str]:
    """The named corpora whose papers and gold file are present."""
    return [n for n, (folder, gold) in NAMED.items() if gold.exists() and (folder is None or folder.is_dir())]


def engine_and_gold(settings, name: str, progress=lambda m: None):
    """(Engine over the named corpus's index, its gold items with evidence named as in its folder)."""
    from sisterqa.app.session import Engine

    from .run import load_gold

    folder, gold = named(name)
    items = load_gold(gold)
    if folder is None:
        return Engine(settings), items
    corpus_settings, _ = index_corpus(settings, folder, progress)
    return Engine(corpus_settings), gold_for_corpus(items, folder)


class CorpusUnreadable(SisterQAError):
    exit_code = 2


def corpus_index_dir(settings, corpus: Path) -> Path:
    """Where DIR's own index lives: beside the main index, named by DIR's resolved path."""
    key = hashlib.sha256(str(Path(corpus).resolve()).encode()).hexdigest()[:16]
    return Path(settings.index_dir).resolve().parent / CORPORA_DIR / key


def index_corpus(settings, corpus: Path, progress=lambda m: None):
    """Ingest DIR into its own index; the settings pointing at it, and the ingest report."""
    from sisterqa.index.build import ingest

    corpus = Path(corpus)
    if not corpus.is_dir():
        raise CorpusUnreadable(f"{corpus}: is not a folder of papers")
    index_dir = corpus_index_dir(settings, corpus)
    progress(f"indexing {corpus} into {index_dir}")
    report = ingest([corpus], index_dir, settings.build, root=settings.root)
    if report.failed and not (report.added or report.changed or report.unchanged):
        raise CorpusUnreadable(f"{corpus}: no paper could be read ({report.failed[0][0]}: {report.failed[0][1]})")
    return replace(settings, index_dir=index_dir, corpus_dir=corpus), report


def gold_for_corpus(items: list[dict], corpus: Path) -> list[dict]:
    """Gold items with each evidence ``doc`` renamed to the file of the same stem in DIR."""
    by_stem = {p.stem: p.name for p in Path(corpus).iterdir() if p.is_file()}
    out = []
    for it in items:
        ev = [{**e, "doc": by_stem.get(Path(e["doc"]).stem, e["doc"])} for e in it.get("evidence", [])]
        out.append({**it, "evidence": ev})
    return out


def evaluate_corpus(settings, corpus: Path, gold: Path, baselines: bool = True, progress=lambda m: None) -> dict:
    """``eval.run.evaluate`` over DIR's own index, gold evidence matched by file stem."""
    from .run import evaluate, load_gold

    corpus_settings, report = index_corpus(settings, corpus, progress)
    items = gold_for_corpus(load_gold(gold), corpus)
    with tempfile.TemporaryDirectory() as tmp:
        g = Path(tmp) / "gold.jsonl"
        g.write_text("".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items), encoding="utf-8")
        result = evaluate(corpus_settings, g, baselines=baselines, progress=progress)
    result["corpus"] = {"dir": str(corpus), "index_dir": str(corpus_settings.index_dir),
                        "papers": len(report.added) + len(report.changed) + len(report.unchanged),
                        "failed": [f"{f}: {r}" for f, r in report.failed]}
    return result
