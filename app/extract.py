"""The extractive answerer: choose the papers' sentences that answer the question.

Candidates are the sentences of the papers the question is about (all of them,
not only those of the retrieved passages) and of the best retrieved passages.
Each is described by features that say whether it *answers* rather than
*resembles* the question (see ``FEATURES``), and scored by a logistic model
whose weights were learned on the tuning halves of the gold sets
(``python -m sisterqa.eval.learn``; a data file per embedder, ``app/weights/``)
and are reported on the held-out halves. The answer takes the best sentence and
the next ones only while they stay close to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from sisterqa.index.lexicon import lexicon
from sisterqa.index.search import Hit
from sisterqa.index.store import Snapshot
from sisterqa.ingest.normalize import normalize

from .confidence import evidence, judge_for
from .learned import Learned
from .query import Query, QueryTerms, query_terms
from .question import FACT_PATTERNS, FLOATS_ASKED, Question
from .sentences import (STATIC, Candidate, PaperSentences, compound_in, paper_passages, paper_sentences,
                        partnerships)

FEATURES = (
    "bias", "sim", "sim_lang", "sim_gap", "near", "lex", "lex_idf", "names", "passage", "focus", "off_focus", "same_lang",
    "cue", "kind", "aim", "method", "meta", "sec_abstract", "sec_intro", "sec_theory", "sec_method",
    "sec_aim", "sec_result", "sec_conclusion", "sec_match", "position", "length",
)




# ---------------------------------------------------------------- scoring

@dataclass(frozen=True)
class AnswerSettings:
    """How extractive answers are built."""

    max_words: int = 150
    max_sentences: int = 6
    factoid_sentences: int = 4  # factoid, when, who, how many: the fact and what frames it
    candidate_passages: int = 8  # sentences of this many top passages are candidates, whatever their paper
    whole_papers: bool = True  # … and every sentence of the papers the question is about
    duplicate_above: float = 0.92  # sentences this similar to a chosen one are dropped
    keep_within: float = 0.05  # later sentences need at least this share of the best one's probability
    min_probability: float = 0.002  # … and at least this probability
    fact_window: int = 8  # a question asking for a kind of fact abstains when none of these gives one
    fact_tie: float = 0.15  # … with at least this share of the question's (rarity-weighted) words
    parts: bool = True  # comparisons and questions with several asks answered part by part (app.parts)
    part_sentences: int = 2  # … each part's best sentences first, then the whole question's
    stay_on_partnership: bool = True  # leave out sentences about a partnership the question does not name
    stay_window: int = 40  # … judged among this many best sentences
    cell: bool = False  # a literature table's cell: "is it stated in this paper?" (its own threshold)
    block_kinds: bool = True  # quote only whole sentences of prose, lists, footnotes (False: any, an ablation)


def lexical(stems: frozenset, terms: QueryTerms) -> tuple[list[float], float]:
    """(for each question word: 1 if the sentence has it, ½ if it has a translation, else 0; share of names)."""
    got = [1.0 if own & stems else (0.5 if tr & stems else 0.0) for own, tr in zip(terms.own, terms.translated)]
    names = sum(1 for f in terms.names if f & stems) / len(terms.names) if terms.names else 0.0
    return got, names


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


PAPER_CACHE = 512  # papers whose sentences an answerer keeps between questions (per index version)


class ExtractiveAnswerer:
    """Builds a cited answer from the sentences that answer the question (see the module doc)."""

    mode = "extractive"

    def __init__(self, settings: AnswerSettings, learned: Learned):
        self.settings = settings
        self.learned = learned
        self.weights = dict(learned.weights)
        self.judge = judge_for(learned)

    is_name = None  # set by the engine: the index's name test (routing statistics)
    lexicon = staticmethod(lexicon)  # the dictionary; the engine sets the searcher's (the settings' dict_dir)

    def paper(self, snapshot: Snapshot, doc_id: str) -> PaperSentences:
        """A paper's sentences (kept with the index version: a large index keeps the papers asked about lately)."""
        kinds = self.settings.block_kinds
        return snapshot.memo("sentences" if kinds else "sentences-any-kind", doc_id,
                             lambda: paper_sentences(snapshot, doc_id, kinds), limit=PAPER_CACHE)

    def candidates(self, query: Query, hits: list[Hit], snapshot: Snapshot) -> list[Candidate]:
        """Every quotable sentence of the focus papers and of the top passages, with its features."""
        s = self.settings
        q, query_vec, focus, terms = query.question, query.vector, query.focus, query.terms
        top = hits[: s.candidate_passages]
        fused = np.array([h.score for h in hits], dtype=np.float64) if hits else np.zeros(0)
        prior = (fused - fused.min()) / np.ptp(fused) if len(hits) > 1 and np.ptp(fused) > 0 else np.ones(len(hits))
        docs = list(dict.fromkeys([*sorted(focus), *(h.passage.doc_id for h in top)]))
        if not focus:  # no paper named: the papers of the best passages
            docs = list(dict.fromkeys(h.passage.doc_id for h in hits[:5]))
        out: list[Candidate] = []
        floats = bool(FLOATS_ASKED.search(query.question.text))  # captions and tables may answer it
        for doc_id in docs:
            ps = self.paper(snapshot, doc_id)
            if not len(ps.spans):
                continue
            # which sentences lie in which retrieved passage (for the passage prior and the citation)
            in_hit: dict[int, tuple[float, Hit]] = {}
            for hit, pr in zip(hits, prior):
                p = hit.passage
                if p.doc_id != doc_id:
                    continue
                inner = np.minimum(ps.spans[:, 1], p.end) - np.maximum(ps.spans[:, 0], p.start)
                for i in np.nonzero(inner * 2 >= (ps.spans[:, 1] - ps.spans[:, 0]))[0]:
                    if int(i) not in in_hit or in_hit[int(i)][0] < pr:
                        in_hit[int(i)] = (float(pr), hit)
            if doc_id in focus and s.whole_papers:
                rows = ps.kept(floats)
            else:  # a paper the question does not name: only its sentences in the top passages
                top_ids = {h.passage.passage_id for h in top}
                rows = np.array([i for i, (_, h) in in_hit.items() if h.passage.passage_id in top_ids
                                 and ps.keep(i, floats)], dtype=np.int64)
            if not len(rows):
                continue
            all_sims = ps.vecs @ query_vec
            for i in rows:
                i = int(i)
                sim = all_sims[i]
                near = max(all_sims[max(0, i - 1):i].max(initial=-1.0), all_sims[i + 1:i + 2].max(initial=-1.0))
                info = ps.row(i)
                got, names = lexical(info.stems, terms)
                lex = sum(got) / len(got) if got else 0.0
                sec = ps.sections[i]
                sec_words = set(re.findall(r"\w+", sec.lower()))
                sec_match = (sum(1 for own, tr in zip(terms.own, terms.translated) if (own | tr) & sec_words)
                             / len(terms.own)) if terms.own else 0.0
                st = dict(zip(STATIC, info.static))
                if q.asks_method:
                    st["method"] = st["sec_method"] = 0.0
                if q.asks_aim:
                    st["aim"] = st["sec_aim"] = 0.0
                pr, hit = in_hit.get(i, (0.0, None))
                text = ps.texts[i]
                f = {
                    "bias": 1.0, "sim": float(sim), "near": float(near), "lex": lex, "names": names,
                    "passage": pr, "_got": got,
                    "focus": float(doc_id in focus), "off_focus": float(bool(focus) and doc_id not in focus),
                    "same_lang": float(info.lang == q.lang),
                    "cue": float(info.cues.get(q.qtype, False)),
                    "kind": float(bool(q.kind) and info.kinds[q.kind]),
                    "sec_match": sec_match, **st,
                }
                out.append(Candidate(doc_id, int(ps.spans[i, 0]), int(ps.spans[i, 1]), text, float(sim),
                                     ps.vecs[i], f, hit=hit, section=sec, lang=str(info.lang)))
        _language_features(out)
        _informative_overlap(out)
        w = np.array([self.weights.get(k, 0.0) for k in FEATURES])
        if out:
            x = np.array([[c.features[k] for k in FEATURES] for c in out])
            z = x @ w
            for c, zi in zip(out, z):
                c.score = float(zi)
                c.prob = float(logistic(zi))
        out.sort(key=lambda c: -c.score)
        return out

    def draft(self, query: Query, hits: list[Hit], snapshot: Snapshot, settings: AnswerSettings | None = None) -> "Draft":
        """The candidates, the sentences an answer would quote, and the evidence for judging it."""
        s = settings or self.settings
        cands = self.candidates(query, hits, snapshot)
        if query.focus and s.stay_on_partnership:
            cands = stay_on(cands, query, snapshot, self.is_name, s, self.lexicon)
        lacks = bool(cands) and lacks_asked_fact(query.question, cands, s.fact_window, s.fact_tie)
        chosen = choose(cands, query.question, s, list(query.sides) or None)
        return Draft(cands, chosen, evidence(query, cands, chosen, hits, lacks), lacks)

    def answer(self, query: Query, hits: list[Hit], snapshot: Snapshot, shown: int = 10,
               settings: AnswerSettings | None = None):
        """The cited answer to ``query``, or an abstention when the confidence in it is too low
        (``app.confidence``): every response carries its confidence.

        ``hits`` are the ranked passages (their scores are the passage prior); the first ``shown``
        are the answer's passages, followed by any cited passage ranked lower. ``settings``: this
        answer's settings when not the answerer's own (say, fewer sentences for a table cell).
        """
        from .answer import abstain

        d = self.draft(query, hits, snapshot, settings)
        j = self.judge.judge(d.evidence, cell=(settings or self.settings).cell) if d.chosen else None
        if j is None or j.abstain:
            a = abstain(query.text, hits[:shown], snapshot, kind=query.question.kind if d.lacks_kind else None)
            return replace(a, confidence=j.confidence if j else 1.0)
        return replace(self.write(query, d, hits, snapshot, shown), confidence=j.confidence)

    @staticmethod
    def write(query: Query, d: "Draft", hits: list[Hit], snapshot: Snapshot, shown: int = 10):
        """The answer that quotes the draft's chosen sentences (whatever its confidence)."""
        from .compose import compose

        chosen, shown_hits = _cited(d.chosen, hits[:shown], snapshot)
        return compose(query.question, chosen, shown_hits, snapshot, list(query.sides) or None)

    def answer_parts(self, query: Query, parts: list, hits: list[Hit], snapshot: Snapshot, shown: int = 10,
                     settings: AnswerSettings | None = None):
        """The answer of a comparison or a question with several asks, part by part (``app.parts``):
        each part's best sentences by the full answerer within its own words (a side within its papers)
        first, so that every part is answered, then the whole question's best sentences up to the
        answer's length; for a comparison, the papers' own statement of the difference first. It
        abstains when the whole question and every part would; its confidence is the best of theirs."""
        from .answer import abstain
        from .compose import compose_parts
        from .parts import states_difference

        s = settings or self.settings
        s_part = replace(s, max_sentences=min(s.max_sentences, s.part_sentences),
                         factoid_sentences=min(s.factoid_sentences, s.part_sentences), max_words=s.max_words // len(parts))
        whole = self.draft(query, hits, snapshot, s)
        drafts = [(label, pq, self.draft(pq, ph, snapshot, s_part)) for label, pq, ph in parts]
        judged = [self.judge.judge(d.evidence, cell=s.cell) for d in [whole, *(d for *_, d in drafts)] if d.chosen]
        answered = [j for j in judged if not j.abstain]
        if not answered:
            lacks = whole.lacks_kind or any(d.lacks_kind for *_, d in drafts)
            a = abstain(query.text, hits[:shown], snapshot, kind=query.question.kind if lacks else None)
            return replace(a, confidence=min((j.confidence for j in judged), default=1.0))
        groups: list[tuple[str | None, Question, list[Candidate], str]] = []
        if query.sides:  # a comparison: the papers' own statement of the difference, when one makes it
            forms = [query_terms(query.question, label_names(label), None).names for label, _ in query.sides]
            said = [c for d in [whole, *(d for *_, d in drafts)] for c in d.cands[:10]
                    if states_difference(c.text, [_mentions(c.text, f) for f in forms])]
            if said:
                groups.append((None, query.question, [max(said, key=lambda c: c.prob)], ""))
        for label, pq, d in drafts:
            note = "" if label is None else f"The papers do not say this of {label}."
            groups.append((label, pq.question, list(d.chosen), note))
        _fill_parts(groups, whole.chosen, dict(query.sides), s, query.question)
        chosen, shown_hits = _cited([c for *_, cs, _ in groups for c in cs], hits[:shown], snapshot)
        return replace(compose_parts(query.question, groups, shown_hits, snapshot),
                       confidence=max(j.confidence for j in answered))


def _fill_parts(groups: list, more: list[Candidate], sides: dict, s: AnswerSettings, q: Question) -> None:
    """Add the whole question's sentences (``more``, best first) to the parts' groups while the answer
    stays within its length: a sentence goes to the side whose papers hold it (a question's asks: the
    last group; a comparison's sentence of no side: "Also")."""
    unique = {(c.doc_id, c.start): c for *_, cs, _ in groups for c in cs}
    have = set(unique)
    words = sum(len(c.text.split()) for c in unique.values())
    n = len(have)
    limit = s.max_sentences if q.qtype in ("why", "list", "compare") or sides else min(
        s.max_sentences, s.factoid_sentences + s.part_sentences)
    for c in more:
        w = len(c.text.split())
        if (c.doc_id, c.start) in have or words + w > s.max_words or n >= limit:
            continue
        label = next((lab for lab, docs in sides.items() if c.doc_id in docs), "Also" if sides else None)
        target = next((g for g in groups if g[0] == label), None) if label else groups[-1]
        if target is None:
            target = (label, q, [], "")
            groups.append(target)
        target[2].append(c)
        have.add((c.doc_id, c.start))
        words += w
        n += 1


@dataclass
class Draft:
    """What the answerer would say before deciding whether to say it."""

    cands: list[Candidate]  # every candidate sentence, best first
    chosen: list[Candidate]  # the sentences an answer would quote
    evidence: dict  # ``app.confidence.EVIDENCE``
    lacks_kind: bool  # the question asks for a kind of fact no best sentence gives


def _informative_overlap(cands: list[Candidate]) -> None:
    """``lex_idf``: the question's words the sentence has, each weighted by how rare it is among the candidates.

    A word every candidate has (the partnership's own names) says little; one few have says much.
    """
    if not cands or not cands[0].features["_got"]:
        for c in cands:
            c.features["lex_idf"] = 0.0
            c.features.pop("_got", None)
        return
    got = np.array([c.features.pop("_got") for c in cands])
    df = (got > 0).sum(0)
    idf = np.log((len(cands) + 1) / (df + 0.5))
    idf = np.clip(idf, 0.0, None)
    total = idf.sum()
    scores = got @ idf / total if total > 0 else np.zeros(len(cands))
    for c, v in zip(cands, scores):
        c.features["lex_idf"] = float(v)


def _language_features(cands: list[Candidate]) -> None:
    """Similarity as it compares within each sentence language (e5 favours the question's language).

    ``sim_lang``: the similarity minus the best one in the same language, plus the overall best, so
    the best sentence of each language starts equal; ``sim_gap``: how far below the overall best.
    """
    if not cands:
        return
    langs = np.array([c.lang for c in cands])
    sims = np.array([c.sim for c in cands])
    best = sims.max()
    for g in np.unique(langs):
        m = langs == g
        top = sims[m].max()
        for i in np.nonzero(m)[0]:
            cands[i].features["sim_lang"] = float(sims[i] - top + best)
            cands[i].features["sim_gap"] = float(best - sims[i])


# ---------------------------------------------------------------- choosing and answering

def choose(cands: list[Candidate], q: Question, settings: AnswerSettings,
           sides: list[tuple[str, set[str]]] | None = None) -> list[Candidate]:
    """The best sentence, then the next ones while they stay close to it (and are not repeats)."""
    if not cands:
        return []
    s = settings
    limit = s.max_sentences if q.qtype in ("why", "list", "compare") else s.factoid_sentences
    chosen: list[Candidate] = []
    words = 0

    def take(c: Candidate) -> bool:
        nonlocal words
        if any(float(c.vec @ x.vec) > s.duplicate_above or (c.doc_id == x.doc_id and c.start == x.start)
               for x in chosen):
            return False
        w = len(c.text.split()) + 1 + (c.lang != q.lang)
        if chosen and words + w > s.max_words:
            return False
        chosen.append(c)
        words += w
        return True

    if q.qtype == "compare" and sides and len(sides) > 1:
        # each side's best sentences first, so neither side is left out
        per_side = max(1, limit // len(sides))
        for _, docs in sides:
            side = [c for c in cands if c.doc_id in docs]
            if not side:
                continue
            best = side[0].prob
            n = 0
            for c in side:
                if n >= per_side or (n and c.prob < max(s.min_probability, s.keep_within * best)):
                    break
                n += take(c)
        return chosen
    best = cands[0].prob
    for c in cands:
        if len(chosen) >= limit:
            break
        if chosen and c.prob < max(s.min_probability, s.keep_within * best):
            break
        take(c)
    return chosen


def gives_new_fact(q: Question, text: str) -> bool:
    """Whether ``text`` gives a fact of the kind asked that the question does not already name."""
    asked = f" {normalize(q.text)} "
    for m in FACT_PATTERNS[q.kind].finditer(text):
        words = normalize(m.group()).split()
        if words and any(f" {w} " not in asked for w in words):
            return True
    return False


def lacks_asked_fact(q: Question, cands: list[Candidate], window: int, tie: float) -> bool:
    """A question asking for a kind of fact (an amount, a date, a count, a person) whose best
    sentences give none that is new to the question and tied to what it asks about (its rarer words)."""
    if q.kind not in ("amount", "date", "count", "person") or len(q.terms) < 2:
        return False  # nothing asked of a subject (a bare follow-up): no way to tell
    for c in cands[:window]:
        tied = c.features["lex_idf"] >= tie or c.features["names"] >= 0.5
        if c.features["kind"] and tied and gives_new_fact(q, c.text):
            return False
    return True


def stay_on(cands: list[Candidate], query: Query, snapshot: Snapshot, is_name, s: AnswerSettings,
            lexicon) -> list[Candidate]:
    """Sentences about the partnerships the question names: one that sets another partnership side by
    side ("Semarang–Beihai" when Semarang–Jung-Gu was asked) is left out while a sentence not about
    another one is probable enough to quote; when none is, it stays, labelled with what it is about.
    ``lexicon``: a function giving the dictionary the names' translations come from."""
    if is_name is None:
        return cands
    named = query.terms.names + query_terms(query.question, list(query.context_names), lexicon()).names
    forms = set().union(*named) if named else set()

    def asked(side: str) -> bool:
        return bool(set(normalize(side).split()) & forms)

    for c in cands[: s.stay_window]:
        compound = snapshot.memo("compound", c.doc_id, lambda: compound_in(snapshot.paper_text(c.doc_id)), limit=64)
        other = [p for p in partnerships(c.text, is_name, compound) if not (asked(p[0]) and asked(p[1]))]
        c.about = f"{other[0][0]}–{other[0][1]}" if other else None
    on = [c for c in cands if c.about is None]
    if on and on[0].prob >= max(s.min_probability, s.keep_within * cands[0].prob):
        return on
    return cands


def _cited(chosen: list[Candidate], shown: list[Hit], snapshot: Snapshot) -> tuple[list[Candidate], list[Hit]]:
    """The chosen sentences with their passages, and the passages shown: ``shown``, then any cited
    passage that retrieval ranked lower."""
    chosen = [_with_hit(c, snapshot) for c in chosen]
    shown = list(shown)
    ids = {h.passage.passage_id for h in shown}
    for c in chosen:
        if c.hit.passage.passage_id not in ids:
            ids.add(c.hit.passage.passage_id)
            shown.append(Hit(passage=c.hit.passage, rank=len(shown) + 1, scores=dict(c.hit.scores)))
            c.hit = shown[-1]
    return chosen, shown


def label_names(label: str) -> list[str]:
    """The lower-cased words of a side's label (its names)."""
    return [w.lower() for w in re.findall(r"[^\W\d_][\w'’]*", label)]


def _mentions(text: str, name_forms: list[set]) -> bool:
    """Whether ``text`` names one of a side's names (any of its forms)."""
    words = set(normalize(text).split())
    return any(f & words for f in name_forms)


def _with_hit(c: Candidate, snapshot: Snapshot) -> Candidate:
    """A candidate outside the retrieved passages is cited from the passage that holds it."""
    if c.hit is None:
        holding = [p for p in paper_passages(snapshot, c.doc_id) if p.start <= c.start < p.end]
        p = max(holding, key=lambda p: min(p.end, c.end) - max(p.start, c.start))
        c.hit = Hit(passage=p, rank=0, scores={"fused": 0.0})
    return c


