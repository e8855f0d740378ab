"""The question-answering engine and the chat session that the CLI, the UI and eval share."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from index.search import Searcher
from ingest.errors import SisterQAError
from ingest.language import detect_language

from .answer import Answer, AnswerSettings, ExtractiveAnswerer, verify
from .settings import Settings

MAX_QUESTION_CHARS = 2000


class BadQuestion(SisterQAError):
    """A question that cannot be answered as asked (for example, an empty one)."""


class Engine:
    """Everything loaded once per process: the index, the embedder, the answerers."""

    def __init__(self, settings: Settings, searcher: Searcher | None = None,
                 answer_settings: AnswerSettings = AnswerSettings()):
        self.settings = settings
        self.searcher = searcher or Searcher(settings.index_dir, settings.search)
        self.extractive = ExtractiveAnswerer(answer_settings)
        self._llm = None

    @property
    def snapshot(self):
        return self.searcher.snapshot

    def refresh(self) -> bool:
        """Pick up a newly published index; True when it changed."""
        return self.searcher.refresh()

    def retrieval_query(self, question: str, history: list[str]) -> str:
        """The text searched for: a follow-up carries the earlier turn along."""
        if not history:
            return question
        return f"{history[-1]} {question}"

    def answer(self, question: str, history: list[str] | tuple = (), doc_ids: set[str] | None = None,
               mode: str | None = None) -> Answer:
        """Retrieve and answer ``question``; ``history`` holds the earlier user turns, oldest first."""
        t0 = time.perf_counter()
        question = " ".join((question or "").split())
        if not question:
            raise BadQuestion("the question is empty; ask something about the papers")
        notice = None
        if len(question) > MAX_QUESTION_CHARS:
            question = question[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0]
            notice = f"the question was cut to its first {MAX_QUESTION_CHARS} characters"
        history = [" ".join(h.split()) for h in history if h and h.strip()]
        query = self.retrieval_query(question, history)
        qvec = self.searcher.embed_query(query)
        hits = self.searcher.search(query, k=max(10, self.settings.search.k), doc_ids=doc_ids,
                                    query_vec=qvec)
        t1 = time.perf_counter()
        lang = detect_language(question)
        answer = self.extractive.answer(question, query, qvec, hits, self.snapshot, lang)
        if mode == "llm" or (mode is None and self.settings.llm.configured and self._llm_enabled()):
            answer = self._llm_answer(question, history, hits, answer)
        verify(answer, self.snapshot)
        t2 = time.perf_counter()
        from dataclasses import replace

        return replace(
            answer,
            timings={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000},
            notice=answer.notice or notice,
            retrieval_query=query,
        )

    def _llm_enabled(self) -> bool:
        return False

    def _llm_answer(self, question, history, hits, fallback: Answer) -> Answer:
        return fallback


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


__all__ = ["Engine", "ChatSession", "BadQuestion", "np"]
