"""A turn's query and its ranked passages: follow-ups, focus, and comparisons searched side by side.

``Retriever.query`` analyses the question once (``Query``); ``Retriever.rank``
searches the index for it, for a comparison also within each side's papers, and
fills in the papers the question is about (focus) and its sides, which the
answerer then reads from the same ``Query``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sisterqa.index.fusion import interleave
from sisterqa.index.search import Hit, Searcher
from sisterqa.ingest.language import LANGUAGES

from .answer import short_title
from .parts import side_question, split_asks
from .query import Query, TurnSettings, entities, query_terms, refers_back
from .question import CHOICE, COMPARE_CUE, analyse, content_terms, question_type


class Retriever:
    """Builds each turn's ``Query`` and ranks passages for it."""

    def __init__(self, searcher: Searcher, settings: TurnSettings = TurnSettings()):
        self.searcher = searcher
        self.settings = settings

    @property
    def snapshot(self):
        return self.searcher.snapshot

    # ------------------------------------------------------------ the query

    def query(self, question: str, history: list[str] | tuple = (), doc_ids: set[str] | None = None,
              about: str | None = None) -> Query:
        """The turn's ``Query``: analysis, names, follow-up or not, search text and vector. ``about``: a
        subject every such question is about whatever its wording (a literature table's row: its paper's
        title), carried as an earlier turn it always leans on."""
        q = analyse(question)
        history = tuple(history)
        router = self.searcher.router()
        names = tuple(router.names(question))
        context = self.context(q, history, router)
        if about:
            context = (about, *context)
        search_text = self._search_text(question, context)
        return Query(
            question=q, names=names, terms=query_terms(q, list(names), self.searcher.lexicon()),
            history=history, followup=bool(context), context=context, search_text=search_text,
            context_names=tuple(dict.fromkeys(n for t in context for n in router.names(t))),
            vector=self._vector(question, search_text, context),
            doc_ids=frozenset(doc_ids) if doc_ids else None,
        )

    def context(self, q, history: tuple[str, ...], router) -> tuple[str, ...]:
        """The earlier turns a question leans on, oldest first (empty: it stands alone).

        Each turn is judged against the one before it (``refers_back``): it leans on it when it opens
        elliptically ("And why …?"), or uses a pronoun or demonstrative or has no subject of its own,
        unless it names other papers than the earlier turn was about. A follow-up carries the turns back
        to the last one that stood alone (at most ``context_turns``).
        """
        s = self.settings
        if not history or s.followup == "none":
            return ()
        if not s.decide_followup:
            return history
        turns = [*history, q.text]
        leans, about = [False], [router.focus(turns[0], by_groups=question_type(turns[0]) == "compare")]
        for i in range(1, len(turns)):
            a = q if i == len(turns) - 1 else analyse(turns[i])
            own = router.focus(a.text, by_groups=a.qtype == "compare")
            refers, elliptic = refers_back(a, tuple(router.names(a.text)), own_subject=bool(own))
            other = bool(own and about[-1] and not own & about[-1])  # names other papers
            follow = elliptic or (refers and not other)
            leans.append(follow)
            about.append(own or (about[-1] if follow else set()))
        if not leans[-1]:
            return ()
        start = len(turns) - 2
        while start > 0 and leans[start] and len(turns) - 1 - start < s.context_turns:
            start -= 1
        return tuple(turns[start:-1])

    def _search_text(self, question: str, context: tuple[str, ...]) -> str:
        """The text BM25 searches: a follow-up carries the nearest earlier turn along (the whole chain
        is for focus: carried into the search, its first turn outweighs what the follow-up asks)."""
        if not context:
            return question
        if self.settings.followup == "entities":
            return f"{question} {' '.join(entities(context[-1]))}".strip()
        return f"{context[-1]} {question}"

    def _vector(self, question: str, search_text: str, context: tuple[str, ...]) -> np.ndarray:
        """The dense query: the question plus the earlier turn's vector, or of the search text."""
        if context and self.settings.followup == "vector":
            v = self.searcher.embedder.embed_queries([question, context[-1]])
            q = v[0] + self.settings.followup_weight * v[1]
            return q / np.linalg.norm(q)
        return self.searcher.embed_query(search_text)

    # ------------------------------------------------------------ ranking

    def rank(self, query: Query, depth: int | None = None) -> tuple[Query, list[Hit]]:
        """The ranked passages for ``query`` (``depth`` of them), and the query with its focus and sides.

        A comparison that names two or more sides also searches within each side's papers and
        interleaves the sides' best passages with the general ranking's.
        """
        s = self.settings
        doc_ids = set(query.doc_ids) if query.doc_ids else None
        k = max(10, self.searcher.settings.k, depth or 0)
        hits = self.searcher.search(query.search_text, k=k, doc_ids=doc_ids, query_vec=query.vector)
        view = _papers_of(hits)
        router = self.searcher.router(view)
        names = tuple(router.names(query.text))  # a large index routes among the papers found
        if names != query.names:
            query = replace(query, names=names,
                            terms=query_terms(query.question, list(names), self.searcher.lexicon()))
        focus = self.focus(query, view)
        sides = self.sides(query, focus, view) if self.compares(query) else []
        if s.compare_sides and len(sides) > 1:  # each side's best passages, in turn, then the rest
            per_side = [self.searcher.search(query.search_text, k=k, query_vec=query.vector,
                                             doc_ids=docs & doc_ids if doc_ids else docs)
                        for _, docs in sides]
            if s.side_merge == "global-first":
                merged = interleave([hits[:s.side_depth], *[p[:s.side_depth] for p in per_side]],
                                    s.side_depth * (len(sides) + 1), key=lambda h: h.passage.passage_id)
            else:
                merged = interleave(per_side, s.side_depth * len(sides), key=lambda h: h.passage.passage_id)
            merged = _fill(merged, hits, k)
            hits = [replace(h, rank=i + 1) for i, h in enumerate(merged)]
        if doc_ids:  # a paper filter bounds the focus; a question that names no paper is about the filter's
            focus = (focus & doc_ids) or set(doc_ids)
            sides = [(label, docs & doc_ids) for label, docs in sides if docs & doc_ids]
        unknown = sum(1 for n in names if not router.name_scores(n)[0]) / len(names) if names else 0.0
        return replace(query, focus=frozenset(focus), sides=tuple(sides), unknown_names=unknown), hits

    def focus(self, query: Query, view: set[str] | None = None) -> set[str]:
        """The papers a question is about: those its names point to, else those of the earlier turns
        it leans on (``view``: the papers its passages come from, among which a large index routes)."""
        router = self.searcher.router(view)
        for text in [query.text, *reversed(query.context)]:
            f = router.focus(text, by_groups=question_type(text) == "compare")
            if f:
                return f
        return set()

    def parts(self, query: Query, depth: int | None = None) -> list[tuple[str | None, Query, list[Hit]]]:
        """A comparison's sides or a question's asks, each as its own query with its own passages
        (``app.parts``); empty for a question asked as one."""
        if len(query.sides) > 1 and not self.paper_sides(query):
            labels = [label for label, _ in query.sides]
            return [(label, *self.part(query, side_question(query.text, label, [x for x in labels if x != label]),
                                       docs, depth))
                    for label, docs in query.sides]
        asks = split_asks(query.text, content_terms)
        if len(asks) < 2:
            return []
        return [(None, *self.part(query, ask, None, depth)) for ask in asks]

    def part(self, query: Query, text: str, docs: set[str] | None, depth: int | None = None):
        """(query, ranked passages) for one part of ``query``: its own words, within ``docs`` when given
        (a side's papers); an ask of a question (no ``docs``) is searched with the whole question
        beside it, so that "…, and how long do the civil servants stay?" keeps its subject. The turn's
        context and paper filter are kept."""
        q = analyse(text, skip=("compare",))
        names = tuple(self.searcher.router(set(docs) if docs else None).names(text))
        if docs:
            search_text = self._search_text(text, query.context)
            vector = self._vector(text, search_text, query.context)
        else:
            search_text = f"{query.search_text} {text}"
            v = self.searcher.embed_query(text) + query.vector
            vector = v / np.linalg.norm(v)
            names = tuple(dict.fromkeys(names + query.names))
        doc_ids = set(query.doc_ids) if query.doc_ids else None
        if docs:
            doc_ids = docs & doc_ids if doc_ids else set(docs)
        k = max(10, self.searcher.settings.k, depth or 0)
        hits = self.searcher.search(search_text, k=k, doc_ids=doc_ids, query_vec=vector)
        part = replace(query, question=q, names=names, terms=query_terms(q, list(names), self.searcher.lexicon()),
                       search_text=search_text, vector=vector, doc_ids=frozenset(doc_ids) if doc_ids else None,
                       focus=frozenset(docs) if docs else query.focus, sides=())
        return part, hits

    def paper_sides(self, query: Query) -> bool:
        """Whether the sides are the papers of one partnership (the question named one), not named sides."""
        return all(label == paper_label(self.snapshot, next(iter(docs))) for label, docs in query.sides)

    @staticmethod
    def compares(query: Query) -> bool:
        """A comparison: typed so, or a word that sets things against each other or offers a choice
        ("… share", "…, X or Y?"), which ``sides`` then confirms by two sides named."""
        return query.qtype == "compare" or bool(COMPARE_CUE.search(query.text) or CHOICE.search(query.text))

    def sides(self, query: Query, focus: set[str], view: set[str] | None = None) -> list[tuple[str, set[str]]]:
        """For a comparison: each side the question names (a partnership, a city, a paper) and its papers."""
        router = self.searcher.router(view)
        sides: list[tuple[str, set[str]]] = []
        for g, docs in router.group_papers(query.text):
            for i, (label, other) in enumerate(sides):
                if docs == other or docs < other:
                    break
                if docs > other:
                    sides[i] = (side_label(g.text), docs)
                    break
            else:
                sides.append((side_label(g.text), docs))
        if len(sides) < 2 and len(focus) > 1 and query.qtype == "compare":  # one partnership, several papers:
            # each paper is a side
            sides = [(paper_label(self.snapshot, d), {d}) for d in sorted(focus)]
        return sides


def side_label(text: str) -> str:
    return " ".join(text.split()).strip(" ,.;:")


def paper_label(snapshot, doc_id: str) -> str:
    meta = snapshot.paper_meta(doc_id)
    lang = LANGUAGES.get(meta.get("language", ""), "")
    return f"{short_title(meta['title'], 60)}" + (f" ({lang})" if lang else "")


def _papers_of(hits) -> set[str]:
    return {h.passage.doc_id for h in hits}


def _fill(first: list, rest: list, k: int) -> list:
    """``first``, then the passages of ``rest`` not in it, up to ``k``."""
    ids = {h.passage.passage_id for h in first}
    return (first + [h for h in rest if h.passage.passage_id not in ids])[:k]
