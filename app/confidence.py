"""How far to trust a response: a calibrated confidence from the answerer's own evidence, and the
decision to abstain that follows from it.

The evidence (``EVIDENCE``) is what the answerer already knows when it has chosen its
sentences: how probable its best sentence is and by how much it beats the next, how
similar it is to the question in meaning and in words, whether the kind of fact asked
(a date, an amount, a count, a person) was found and tied to the question's subject,
whether the question's names are in the papers at all and the best sentence is in the
papers they name, and whether the dense and lexical rankings agree. A logistic model
learned on the tuning halves of the gold sets turns it into a score; two Platt scalings,
also learned there, turn the score into the probability that an answer is right and,
for an abstention, that the papers indeed do not answer. Below a threshold chosen on the
tuning halves the response abstains. The off-corpus similarity floor and the asked-kind
rule are inputs here, not switches; nothing names a language, a corpus or an embedder:
the model is a data file per embedder (``app/learned.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EVIDENCE = (
    "best_prob", "best_z", "margin", "best_sim", "max_sim", "sim_gap5", "lex_top", "lex_max", "names_top",
    "unknown_names", "has_names", "focus", "top_in_focus", "asks_kind", "lacks_kind", "agree", "followup",
    "terms", "chosen",
)


def evidence(query, cands: list, chosen: list, hits: list, lacks_kind: bool) -> dict[str, float]:
    """The answerer's evidence for one response (see the module doc); ``cands`` best first."""
    if not cands:
        return {k: 0.0 for k in EVIDENCE} | {"lacks_kind": float(lacks_kind), "unknown_names": query.unknown_names,
                                              "has_names": float(bool(query.names)), "followup": float(query.followup)}
    best = cands[0]
    second = cands[1].score if len(cands) > 1 else best.score - 5.0
    sims = np.array([c.sim for c in cands])
    top5 = cands[:5]
    dense = [h.passage.passage_id for h in sorted(hits[:10], key=lambda h: -h.scores.get("dense", 0.0))[:5]]
    lexical = [h.passage.passage_id for h in sorted(hits[:10], key=lambda h: -h.scores.get("bm25", 0.0))[:5]]
    return {
        "best_prob": best.prob, "best_z": best.score, "margin": min(best.score - second, 5.0),
        "best_sim": best.sim, "max_sim": float(sims.max()),
        "sim_gap5": float(sims.max() - np.sort(sims)[-min(5, len(sims))]),
        "lex_top": best.features.get("lex_idf", 0.0), "lex_max": max(c.features.get("lex", 0.0) for c in top5),
        "names_top": best.features.get("names", 0.0), "unknown_names": query.unknown_names,
        "has_names": float(bool(query.names)), "focus": float(bool(query.focus)),
        "top_in_focus": float(best.doc_id in query.focus), "asks_kind": float(query.question.kind in ASKED_KINDS),
        "lacks_kind": float(lacks_kind), "agree": len(set(dense) & set(lexical)) / 5.0,
        "followup": float(query.followup), "terms": min(len(query.question.terms), 12) / 12.0,
        "chosen": min(len(chosen), 6) / 6.0,
    }


ASKED_KINDS = ("amount", "date", "count", "person")


@dataclass(frozen=True)
class Judgement:
    """The decision on one response: abstain or answer, and the confidence to report."""

    abstain: bool
    confidence: float  # answer: P(its citations hold what was asked); abstention: P(the papers do not answer)
    score: float  # the model's score (higher: more likely right)


def _platt(ab, z: float) -> float:
    a, b = ab
    return 1.0 / (1.0 + math.exp(-(a * z + b)))


class ConfidenceModel:
    """The learned model of ``app/weights/<embedder>.json``'s ``"confidence"`` (``python -m
    sisterqa.eval.learn``): an "answerable" score that decides abstention and a "right" score that is
    an answer's confidence, over the same standardised evidence."""

    def __init__(self, data: dict):
        self.features = tuple(data["features"])
        self.mean = np.array(data["mean"], dtype=np.float64)
        self.scale = np.array(data["scale"], dtype=np.float64)
        self.wa, self.ba = np.array(data["answerable"]["weights"]), float(data["answerable"]["bias"])
        self.wr, self.br = np.array(data["right"]["weights"]), float(data["right"]["bias"])
        self.abstain_platt = tuple(data["answerable"]["platt"])  # P(unanswerable | answerable score)
        self.answer_platt = tuple(data["right"]["platt"])  # P(right | right score)
        self.threshold = float(data["threshold"])
        self.cell_threshold = float(data.get("cell_threshold", self.threshold))

    def _x(self, ev: dict[str, float]) -> np.ndarray:
        return (np.array([ev.get(k, 0.0) for k in self.features]) - self.mean) / self.scale

    def answerable(self, ev: dict[str, float]) -> float:
        return float(self._x(ev) @ self.wa + self.ba)

    def right(self, ev: dict[str, float]) -> float:
        return float(self._x(ev) @ self.wr + self.br)

    def judge(self, ev: dict[str, float], cell: bool = False) -> Judgement:
        """Abstain below the threshold (a table cell's own, learned on the gold table's tuning cells:
        whether one paper states something is another decision than whether the papers answer)."""
        za = self.answerable(ev)
        if za < (self.cell_threshold if cell else self.threshold):
            return Judgement(True, _platt(self.abstain_platt, za), za)
        return Judgement(False, _platt(self.answer_platt, self.right(ev)), za)


class RuleJudge:
    """For an embedder without a learned confidence model: the rules the model learns from (the
    asked kind of fact missing; a similarity floor, when its file has one) and, as confidence, the
    best sentence's probability (not calibrated)."""

    def __init__(self, floor: float | None):
        self.floor = floor

    def judge(self, ev: dict[str, float], cell: bool = False) -> Judgement:
        if ev["lacks_kind"] or (self.floor is not None and ev["max_sim"] < self.floor):
            return Judgement(True, 0.5, 0.0)
        return Judgement(False, float(ev["best_prob"]), float(ev["best_z"]))


def judge_for(learned) -> ConfidenceModel | RuleJudge:
    return ConfidenceModel(learned.confidence) if learned.confidence else RuleJudge(learned.abstain_below)


def words(confidence: float | None, abstained: bool, high: float = 0.7) -> str:
    """The confidence in words a student reads at a glance."""
    if abstained:
        return "The papers do not seem to answer this; nearest passages below"
    if confidence is not None and confidence >= high:
        return "The papers answer this directly"
    return "Partly answered — check the quotes"
