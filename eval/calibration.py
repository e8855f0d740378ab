"""Is the confidence honest? Reliability, expected calibration error and AUROC of ``confidence``.

A response is right (the contract's third-wave additions) when, for an answerable item,
it answers and its citations support the gold evidence (``citation_support``: a cited
passage covers an evidence quote), and, for an unanswerable item, when it abstains.
"""

from __future__ import annotations

from .metrics import covers


def is_right(item: dict, answer: dict) -> bool:
    """Whether one response is right (see the module doc)."""
    if item["type"] == "unanswerable":
        return bool(answer["abstained"])
    if answer["abstained"]:
        return False
    by_id = {p.get("passage_id"): p["text"] for p in answer["passages"]}
    cited = [by_id[c.get("passage_id")] for c in answer["citations"] if c.get("passage_id") in by_id]
    return any(covers(text, ev["quote"]) for text in cited for ev in item["evidence"])


def calibration(items: list[dict], answers: list[dict], bins: int = 10) -> dict:
    """``{"ece", "auroc", "n", "accuracy", "bins": [{"lo", "hi", "n", "mean_confidence", "accuracy"}]}``
    over the responses that carry a confidence (equal-width bins over [0, 1])."""
    pairs = [(float(a["confidence"]), is_right(it, a)) for it, a in zip(items, answers)
             if a.get("confidence") is not None]
    out_bins, ece = [], 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, r) for c, r in pairs if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if not inside:
            out_bins.append({"lo": lo, "hi": hi, "n": 0, "mean_confidence": None, "accuracy": None})
            continue
        conf = sum(c for c, _ in inside) / len(inside)
        acc = sum(r for _, r in inside) / len(inside)
        ece += len(inside) / len(pairs) * abs(conf - acc)
        out_bins.append({"lo": lo, "hi": hi, "n": len(inside), "mean_confidence": conf, "accuracy": acc})
    return {"ece": ece if pairs else None, "auroc": auroc([c for c, _ in pairs], [r for _, r in pairs]),
            "n": len(pairs), "accuracy": sum(r for _, r in pairs) / len(pairs) if pairs else None,
            "bins": out_bins}


def auroc(scores: list[float], labels: list[bool]) -> float | None:
    """The probability that a right response has a higher confidence than a wrong one (ties half)."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def confident_mistakes(items: list[dict], answers: list[dict], n: int = 5) -> list[dict]:
    """The wrong responses given the highest confidence."""
    wrong = [(float(a["confidence"]), it, a) for it, a in zip(items, answers)
             if a.get("confidence") is not None and not is_right(it, a)]
    wrong.sort(key=lambda x: -x[0])
    return [{"id": it["id"], "type": it["type"], "question": it["question"], "confidence": c,
             "abstained": a["abstained"], "answer": a["answer"][:240]} for c, it, a in wrong[:n]]


def reliability_png(cal: dict, path, title: str = "Reliability of the confidence") -> None:
    """The reliability diagram: accuracy against mean confidence per bin, with the bins' sizes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfect calibration")
    pts = [b for b in cal["bins"] if b["n"]]
    ax.plot([b["mean_confidence"] for b in pts], [b["accuracy"] for b in pts], "o-", color="#1f5fa8",
            label=f"system (ECE {cal['ece']:.3f})" if cal.get("ece") is not None else "system")
    for b in pts:
        ax.annotate(str(b["n"]), (b["mean_confidence"], b["accuracy"]), textcoords="offset points",
                    xytext=(4, -10), fontsize=8, color="#555")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("confidence given")
    ax.set_ylabel("share of responses right")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
