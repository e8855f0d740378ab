"""The contract's metrics, as pure functions over gold items and answer objects."""

from __future__ import annotations

import statistics
from functools import lru_cache

from sisterqa.ingest.normalize import normalize

from .junk import junk_share

HIT_KS = (1, 3, 5, 10)
ALLEV_KS = (5, 10)


@lru_cache(maxsize=4096)
def _grams(text: str, n: int = 4) -> frozenset[tuple[str, ...]]:
    words = normalize(text).split()
    if len(words) < n:
        return frozenset([tuple(words)]) if words else frozenset()
    return frozenset(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def covers(passage: str, quote: str) -> bool:
    """A passage covers a quote when at least half of the quote's word 4-grams occur in it.

    A quote of fewer than four words must occur whole.
    """
    q = _grams(quote)
    if not q:
        return False
    if len(next(iter(q))) < 4:
        return f" {normalize(quote)} " in f" {normalize(passage)} "
    p = _grams(passage)
    return 2 * len(q & p) >= len(q)


def first_cover(passages: list[str], quote: str, k: int = 10) -> int | None:
    """1-based rank of the first of the top ``k`` passages covering ``quote``, or None."""
    for i, text in enumerate(passages[:k], start=1):
        if covers(text, quote):
            return i
    return None


def quote_overlaps(quote: str, evidence: str) -> bool:
    """A citation's quote overlaps an evidence quote: half of either one's 4-grams occur in the other."""
    return covers(evidence, quote) or covers(quote, evidence)


def citation_scores(answerable: list[tuple[dict, dict]]) -> dict:
    """``citation_precision`` and ``citation_support`` over (gold item, answer) pairs (answerable only).

    Precision: share of all citations whose quote overlaps a gold evidence quote of its item.
    Support: share of items where a cited passage (the returned passage with the citation's
    ``passage_id``) covers a gold evidence quote.
    """
    cites = precise = supported = 0
    for it, a in answerable:
        quotes = [ev["quote"] for ev in it["evidence"]]
        by_id = {p.get("passage_id"): p["text"] for p in a["passages"]}
        for c in a["citations"]:
            cites += 1
            precise += any(quote_overlaps(c["quote"], q) for q in quotes)
        cited = [by_id[c.get("passage_id")] for c in a["citations"] if c.get("passage_id") in by_id]
        supported += any(covers(text, q) for text in cited for q in quotes)
    return {"citation_precision": precise / cites if cites else 0.0,
            "citation_support": supported / max(1, len(answerable))}


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    v = sorted(values)
    pos = (len(v) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def compute(items: list[dict], answers: list[dict], paper_texts: dict[str, str] | None = None,
            latencies_ms: list[float] | None = None) -> dict:
    """All metrics for one system over the gold ``items`` and its answer objects.

    ``paper_texts`` maps doc_id to the paper's normalised text, for citation validity.
    """
    answerable = [(it, a) for it, a in zip(items, answers) if it["type"] != "unanswerable"]
    unanswerable = [(it, a) for it, a in zip(items, answers) if it["type"] == "unanswerable"]
    out: dict[str, float] = {}
    firsts, all_ranks = [], []
    for it, a in answerable:
        texts = [p["text"] for p in a["passages"]]
        ranks = [first_cover(texts, ev["quote"], 10) for ev in it["evidence"]]
        all_ranks.append(ranks)
        found = [r for r in ranks if r is not None]
        firsts.append(min(found) if found else None)
    n = max(1, len(answerable))
    for k in HIT_KS:
        out[f"hit@{k}"] = sum(1 for f in firsts if f is not None and f <= k) / n
    for k in ALLEV_KS:
        out[f"allev@{k}"] = sum(
            1 for ranks in all_ranks if ranks and all(r is not None and r <= k for r in ranks)
        ) / n
    out["mrr@10"] = sum(1 / f for f in firsts if f is not None) / n
    facts = found_facts = 0
    for it, a in answerable:
        ans = f" {normalize(a['answer'])} "
        for fact in it["key_facts"]:
            facts += 1
            found_facts += normalize(fact) in ans
    out["keyfact_recall"] = found_facts / max(1, facts)
    out.update(citation_scores(answerable))
    cites = valid = 0
    for it, a in zip(items, answers):
        for c in a["citations"]:
            cites += 1
            text = (paper_texts or {}).get(c["doc_id"], "")
            q = normalize(c["quote"])
            valid += bool(q) and q in text
    out["citation_validity"] = valid / cites if cites else 1.0
    # junk_citations: the share of all cited quotes that are not prose (eval.junk), all items alike
    out["junk_citations"] = junk_share([c["quote"] for a in answers for c in a["citations"]])
    out["abstention_accuracy"] = (
        sum(1 for _, a in unanswerable if a["abstained"]) / len(unanswerable) if unanswerable else 0.0
    )
    out["false_abstention"] = sum(1 for _, a in answerable if a["abstained"]) / n
    words = [len(a["answer"].split()) for _, a in answerable if not a["abstained"]]
    out["answer_words_median"] = float(statistics.median(words)) if words else 0.0
    lat = latencies_ms or []
    out["latency_ms_p50"] = percentile(lat, 50)
    out["latency_ms_p95"] = percentile(lat, 95)
    return out
