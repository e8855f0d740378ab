"""sisterqa: cited question answering over research papers, offline.

The one import namespace of the project. Its parts live in the repository's
top-level folders, mapped by setuptools ``package-dir``:

    sisterqa.ingest   ingest/   read papers (txt, md, pdf) into cleaned text and passages
    sisterqa.index    index/    the index directory: store, vectors, BM25, search
    sisterqa.app      app/      questions and answers, the CLI and the chat
    sisterqa.eval     eval/     gold sets, metrics, reports, bench

Data flows one way: ingest ← index ← app ← eval.
"""

__version__ = "0.1.0"
