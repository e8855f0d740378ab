"""The question-answering engine and the chat session that the CLI, the UI and eval share."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np

from dataclasses import replace

from sisterqa.index.fusion import interleave
from sisterqa.index.search import Searcher
from sisterqa.ingest.errors import SisterQAError

from .answer import Answer, verify
from .extract import AnswerSettings, ExtractiveAnswerer, load_weights, query_terms
from .question import analyse, question_type
from .settings import Settings

MAX_QUESTION_CHARS = 2000


class BadQuestion(SisterQAError):
    """A question that cannot be answered as asked (for example, an empty one)."""


class Engine:
    """Everything loaded once per process: the index, the embedder, the answerers."""

    def __init__(self, settings: Settings, searcher: Searcher | None = None,
                 answer_settings: AnswerSettings | None = None):
        self.settings = settings
        self.searcher = searcher or Searcher(settings.index_dir, settings.search)
        if answer_settings is None:
            answer_settings = AnswerSettings()
            if settings.answer_weights is not None:  # weights learned for another embedder
                answer_settings = replace(answer_settings,
                                          weights=tuple(load_weights(settings.answer_weights).items()))
        self.extractive = ExtractiveAnswerer(answer_settings)
        self._llm = None

    @property
    def snapshot(self):
        return self.searcher.snapshot

    def refresh(self) -> bool:
        """Pick up a newly published index; True when it changed."""
        return self.searcher.refresh()

    followup = "vector"  # how earlier turns feed retrieval: concat, vector, entities, none (see README)
    followup_weight = 0.5  # "vector": weight of the earlier turn's vector
    compare_sides = True  # a comparison retrieves for each side it names, then merges
    answer_depth = 30  # passages ranked for the answerer's passage prior (the first k are shown)
    side_depth = 3  # … taking this many passages of each side first
    side_merge = "global-first"  # the general ranking's best, then each side's, in turn ("sides-first": sides only)

    def retrieval_query(self, question: str, history: list[str]) -> str:
        """The text searched for: a follow-up carries the earlier turn along."""
        if not history or self.followup == "none":
            return question
        if self.followup == "entities":
            return f"{question} {' '.join(_entities(history[-1]))}".strip()
        return f"{history[-1]} {question}"

    def query_vector(self, question: str, query: str, history: list[str]) -> np.ndarray:
        """The dense query: of the retrieval query, or the question plus the earlier turn's vector."""
        if history and self.followup == "vector":
            v = self.searcher.embedder.embed_queries([question, history[-1]])
            q = v[0] + self.followup_weight * v[1]
            return q / np.linalg.norm(q)
        return self.searcher.embed_query(query)

    def retrieve(self, question: str, history: list[str], doc_ids: set[str] | None = None,
                 depth: int | None = None):
        """(retrieval query, query vector, hits) for a question in its conversation.

        ``depth`` passages are ranked (the answerer reads their scores); the first ``k`` are shown.
        """
        query = self.retrieval_query(question, history)
        qvec = self.query_vector(question, query, history)
        k = max(10, self.settings.search.k, depth or 0)
        hits = self.searcher.search(query, k=k, doc_ids=doc_ids, query_vec=qvec)
        if self.compare_sides and question_type(question) == "compare":
            view = _papers_of(hits)
            sides = self.sides(question, self.focus(question, history, view), view)
            if len(sides) > 1:  # each side's best passages, in turn, then the rest
                per_side = [self.searcher.search(query, k=k, query_vec=qvec,
                                                 doc_ids=docs & doc_ids if doc_ids else docs)
                            for _, docs in sides]
                if self.side_merge == "global-first":
                    merged = interleave([hits[:self.side_depth], *[p[:self.side_depth] for p in per_side]],
                                        self.side_depth * (len(sides) + 1), key=lambda h: h.passage.passage_id)
                else:
                    merged = interleave(per_side, self.side_depth * len(sides), key=lambda h: h.passage.passage_id)
                merged = _fill(merged, hits, k)
                hits = [replace(h, rank=i + 1) for i, h in enumerate(merged)]
        return query, qvec, hits

    def answer(self, question: str, history: list[str] | tuple = (), doc_ids: set[str] | None = None,
               mode: str | None = None, max_sentences: int | None = None) -> Answer:
        """Retrieve and answer ``question``; ``history`` holds the earlier user turns, oldest first.

        ``max_sentences``: at most this many sentences in an extractive answer (a table cell's length).
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
        query, qvec, ranked = self.retrieve(question, history, doc_ids, depth=self.answer_depth)
        hits = ranked[: max(10, self.settings.search.k)]
        t1 = time.perf_counter()
        answer = self.extractive_answer(question, history, qvec, ranked, shown=len(hits), doc_ids=doc_ids,
                                        max_sentences=max_sentences)
        if mode == "llm" or (mode is None and self.settings.llm.configured and self._llm_enabled()):
            answer = self._llm_answer(question, history, hits, answer)
        verify(answer, self.snapshot)
        t2 = time.perf_counter()
        return replace(
            answer,
            timings={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000},
            notice=answer.notice or notice,
            retrieval_query=query,
        )

    def focus(self, question: str, history: list[str], view: set[str] | None = None) -> set[str]:
        """The papers a question is about: those its names point to, else those of the earlier turns
        (``view``: the papers its passages come from, among which a large index routes)."""
        router = self.searcher.router(view)
        for text in [question, *reversed(history)]:
            f = router.focus(text, by_groups=question_type(text) == "compare")
            if f:
                return f
        return set()

    def sides(self, question: str, focus: set[str], view: set[str] | None = None) -> list[tuple[str, set[str]]]:
        """For a comparison: each side the question names (a partnership, a city, a paper) and its papers."""
        from .compose import paper_label, side_label

        router = self.searcher.router(view)
        sides: list[tuple[str, set[str]]] = []
        for g, docs in router.group_papers(question):
            for i, (label, other) in enumerate(sides):
                if docs == other or docs < other:
                    break
                if docs > other:
                    sides[i] = (side_label(g.text), docs)
                    break
            else:
                sides.append((side_label(g.text), docs))
        if len(sides) < 2 and len(focus) > 1:  # one partnership, several papers: each paper is a side
            sides = [(paper_label(self.snapshot, d), {d}) for d in sorted(focus)]
        return sides

    def extractive_answer(self, question: str, history: list[str], qvec, hits, shown: int = 10,
                          doc_ids: set[str] | None = None, max_sentences: int | None = None) -> Answer:
        """The extractive answer from ``hits``; ``doc_ids`` (a paper filter) bounds what it may quote."""
        q = analyse(question)
        view = _papers_of(hits)
        focus = self.focus(question, history, view)
        if doc_ids:
            focus &= set(doc_ids)
        router = self.searcher.router(view)
        from sisterqa.index.lexicon import lexicon

        terms = query_terms(q, router.names(question), lexicon())
        sides = self.sides(question, focus, view) if q.qtype == "compare" else None
        if sides and doc_ids:
            sides = [(label, docs & set(doc_ids)) for label, docs in sides if docs & set(doc_ids)]
        settings = None
        if max_sentences is not None:  # a shorter answer: the answerer's settings with fewer sentences
            s = self.extractive.settings
            settings = replace(s, max_sentences=max_sentences,
                               factoid_sentences=min(s.factoid_sentences, max_sentences))
        return self.extractive.answer(q, qvec, hits, self.snapshot, focus, terms, sides, shown, settings=settings)

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


def _papers_of(hits) -> set[str]:
    return {h.passage.doc_id for h in hits}


def _fill(first: list, rest: list, k: int) -> list:
    """``first``, then the passages of ``rest`` not in it, up to ``k``."""
    ids = {h.passage.passage_id for h in first}
    return (first + [h for h in rest if h.passage.passage_id not in ids])[:k]


def _entities(text: str) -> list[str]:
    """Names, numbers and acronyms of a sentence: what a follow-up's pronouns refer to."""
    words = re.findall(r"[\w][\w\-’']*", text)
    return [w for i, w in enumerate(words) if (i > 0 and w[:1].isupper()) or w.isupper() or w[:1].isdigit()]


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
