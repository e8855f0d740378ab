"""The question-answering engine and the chat session that the CLI, the UI and eval share."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field, replace

from sisterqa.index.search import Searcher
from sisterqa.ingest.errors import SisterQAError

from .answer import Answer, verify
from .extract import FEATURES, ExtractiveAnswerer
from .learned import learned_for
from .retrieve import Retriever
from .settings import Settings

MAX_QUESTION_CHARS = 2000


class BadQuestion(SisterQAError):
    """A question that cannot be answered as asked (for example, an empty one)."""


class Engine:
    """Everything loaded once per process: the index, the embedder, the answerers."""

    def __init__(self, settings: Settings, searcher: Searcher | None = None):
        self.settings = settings
        self.searcher = searcher or Searcher(settings.index_dir, settings.search)
        self.retriever = Retriever(self.searcher, settings.turn)
        self._extractive, self._extractive_for = None, None
        self.weights_notice: str | None = None  # no weights learned for the index's embedder
        self._llm = None

    @property
    def snapshot(self):
        return self.searcher.snapshot

    @property
    def extractive(self) -> ExtractiveAnswerer:
        """The extractive answerer with the weights learned for the index's embedder."""
        embedder = self.snapshot.manifest["settings"].get("embedder_name") or ""
        if self._extractive is None or self._extractive_for != embedder:
            learned, self.weights_notice = learned_for(embedder, self.settings.answer_weights, FEATURES)
            self._extractive, self._extractive_for = ExtractiveAnswerer(self.settings.answer, learned), embedder
            self._extractive.is_name = lambda w: self.searcher.router().is_name(w)
            self._extractive.lexicon = self.searcher.lexicon
        return self._extractive

    def refresh(self) -> bool:
        """Pick up a newly published index; True when it changed."""
        return self.searcher.refresh()

    def turn(self, question: str, history: list[str] | tuple = (), doc_ids: set[str] | None = None,
             about: str | None = None):
        """(query, ranked passages) for a question in its conversation: the ``Query`` is built once and
        carries its focus and sides; ``answer_depth`` passages are ranked (the answerer reads their scores)."""
        query = self.retriever.query(question, history, doc_ids, about=about)
        return self.retriever.rank(query, depth=self.settings.turn.answer_depth)

    def answer(self, question: str, history: list[str] | tuple = (), doc_ids: set[str] | None = None,
               mode: str | None = None, max_sentences: int | None = None, about: str | None = None) -> Answer:
        """Retrieve and answer ``question``; ``history`` holds the earlier user turns, oldest first;
        ``about``: what the question is about whatever its wording (a table row's paper title).

        ``max_sentences``: a literature table's cell, at most this many sentences (with the cell's own
        threshold for "not stated", ``app.confidence``).
        """
        t0 = time.perf_counter()
        question = " ".join(_CONTROL.sub(" ", question or "").split())
        if not question:
            raise BadQuestion("the question is empty; ask something about the papers")
        if not any(c.isalnum() for c in question):
            raise BadQuestion("the question has no words; ask something about the papers")
        if mode == "auto":
            mode = None
        if mode not in (None, "extractive", "llm"):
            raise BadQuestion(f"unknown answer mode {mode!r}; use auto, extractive or llm")
        if mode == "llm" and not self._llm_enabled():
            from .llm import LLMUnavailable

            raise LLMUnavailable()
        notice = None
        if len(question) > MAX_QUESTION_CHARS:
            question = question[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0]
            notice = f"the question was cut to its first {MAX_QUESTION_CHARS} characters"
        if _other_script(question):
            notice = "; ".join(x for x in (notice, OTHER_SCRIPT_NOTICE) if x)
        history = [" ".join(h.split()) for h in history if h and h.strip()]
        query, ranked = self.turn(question, history, doc_ids, about=about)
        hits = ranked[: max(10, self.settings.search.k)]
        t1 = time.perf_counter()
        extractive = self.extractive
        settings = extractive.settings
        if max_sentences:  # a table cell: its length, and whether its paper states it
            settings = replace(settings, max_sentences=max_sentences, cell=True,
                               factoid_sentences=min(settings.factoid_sentences, max_sentences))
        parts = self.retriever.parts(query, self.settings.turn.answer_depth) if settings.parts else []
        if parts:
            answer = extractive.answer_parts(query, parts, ranked, self.snapshot, shown=len(hits), settings=settings)
        else:
            answer = extractive.answer(query, ranked, self.snapshot, shown=len(hits), settings=settings)
        if mode == "llm" or (mode is None and self.settings.llm.configured and self._llm_enabled()):
            answer = self._llm_answer(question, list(query.context), hits, answer)
        verify(answer, self.snapshot)
        t2 = time.perf_counter()
        notice = "; ".join(x for x in (notice, self.weights_notice) if x) or None
        return replace(
            answer,
            timings={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000},
            notice=answer.notice or notice,
            retrieval_query=query.search_text,
            followup=query.followup,
        )

    def _llm_enabled(self) -> bool:
        """Whether an LLM server is configured (base URL and model)."""
        return self.settings.llm.configured

    def _llm_answer(self, question, history, hits, fallback: Answer) -> Answer:
        """The LLM's cited answer; ``fallback`` (with a notice) when the server fails."""
        from .llm import LLMAnswerer

        if self._llm is None:
            self._llm = LLMAnswerer(self.settings.llm)  # raises LLMUnavailable when not configured
        return self._llm.answer(question, history, hits, self.snapshot, self.searcher.embedder, fallback)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
OTHER_SCRIPT_NOTICE = (
    "the papers are in English and Indonesian; a question in either language finds them best"
)


def _other_script(text: str) -> bool:
    """Whether most letters of ``text`` are not Latin (Korean, Chinese, Arabic, …)."""
    import unicodedata

    letters = [c for c in text if c.isalpha()]
    other = sum(1 for c in letters if not unicodedata.name(c, "").startswith("LATIN"))
    return bool(letters) and other * 2 > len(letters)


@dataclass
class ChatSession:
    """One conversation: the user's earlier turns feed follow-up questions."""

    engine: Engine
    history: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    def ask(self, question: str, doc_ids: set[str] | None = None, mode: str | None = None) -> Answer:
        answer = self.engine.answer(question, self.history, doc_ids=doc_ids, mode=mode)
        self.history.append(answer.question)
        self.answers.append(answer)
        return answer

    def reset(self) -> None:
        self.history.clear()
        self.answers.clear()


__all__ = ["Engine", "ChatSession", "BadQuestion"]
