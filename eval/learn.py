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
from dataclasses import replace
from pathlib import Path

import numpy as np

from sisterqa.app.extract import FEATURES
from sisterqa.app.session import Engine
from sisterqa.app.settings import load_settings

from .metrics import quote_overlaps


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


def confidence_rows(engine: Engine, items: list[dict]) -> list[tuple[dict, bool, bool]]:
    """(evidence, the answer would be right, the item is unanswerable) for each item, answered with
    the engine's current sentence weights and never abstaining (``app.confidence.EVIDENCE``)."""
    from .calibration import is_right

    rows = []
    for it in items:
        query, hits = engine.turn(it["question"], list(it.get("history", [])))
        d = engine.extractive.draft(query, hits, engine.snapshot)
        right = False
        if d.chosen and it["type"] != "unanswerable":
            a = engine.extractive.write(query, d, hits, engine.snapshot, shown=10).to_json(engine.snapshot)
            right = is_right(it, a)
        rows.append((d.evidence, right, it["type"] == "unanswerable"))
    return rows


def table_rows(engine: Engine, cells: list[dict]) -> list[tuple[dict, bool, bool]]:
    """(evidence, the cell's answer would be right, the cell is not stated) for each gold table cell:
    the question asked of the row's paper alone at a cell's length, never abstaining; right when a
    cited quote overlaps the cell's evidence (``eval/table.py``'s cell support)."""
    from dataclasses import replace

    from sisterqa.app.table import CELL_SENTENCES, cell_context

    from .table import doc_ids

    docs = doc_ids(cells, engine.snapshot, strict=False)
    s = engine.extractive.settings
    s = replace(s, max_sentences=CELL_SENTENCES, factoid_sentences=min(s.factoid_sentences, CELL_SENTENCES))
    rows = []
    for c in cells:
        if c["doc"] not in docs:
            continue
        query, hits = engine.turn(c["question"], (), {docs[c["doc"]]}, about=cell_context(engine.snapshot, docs[c["doc"]]))
        d = engine.extractive.draft(query, hits, engine.snapshot, s)
        quotes = [ev["quote"] for ev in c.get("evidence", [])]
        right = bool(c["stated"]) and any(quote_overlaps(x.text, q) for x in d.chosen for q in quotes)
        rows.append((d.evidence, right, not c["stated"]))
    return rows


def _logistic_fit(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 4000, lr: float = 0.3) -> tuple:
    """(weights, bias) of an L2-penalised logistic regression on standardised ``x``."""
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        w -= lr * (x.T @ (p - y) / len(y) + l2 * w / len(y))
        b -= lr * float((p - y).mean())
    return w, b


def platt(z: np.ndarray, y: np.ndarray) -> list[float]:
    """(a, b) with P(y | z) = 1 / (1 + exp(-(a z + b))), by Platt's targets (no overconfident 0/1)."""
    n1, n0 = y.sum(), len(y) - y.sum()
    t = np.where(y > 0, (n1 + 1) / (n1 + 2), 1 / (n0 + 2))
    a, b = 1.0, 0.0
    for _ in range(5000):
        p = 1 / (1 + np.exp(-(a * z + b)))
        a -= 0.1 * float(((p - t) * z).mean())
        b -= 0.1 * float((p - t).mean())
    return [round(a, 4), round(b, 4)]


def fit_confidence(rows: list[tuple[dict, bool, bool]], l2: float = 8.0, max_false_abstention: float = 0.02) -> dict:
    """The confidence model (``app.confidence.ConfidenceModel``) of the tuning rows. Two logistic scores
    of the same evidence: whether the papers answer the question at all (answerable against not), which
    decides abstention, and whether the answer given is right (its citations support the evidence),
    which is the answer's confidence; each turned into a probability by a Platt scaling (an abstention's
    confidence: P(unanswerable) from the first). The threshold on the first is the highest score that
    abstains on at most ``max_false_abstention`` of the answerable rows (2 %, well under the 5 % a
    student may tolerate, so that held-out questions stay under it too)."""
    from sisterqa.app.confidence import EVIDENCE

    x = np.array([[ev[k] for k in EVIDENCE] for ev, _, _ in rows], dtype=np.float64)
    y = np.array([r for _, r, _ in rows], dtype=np.float64)
    u = np.array([un for _, _, un in rows], dtype=np.float64)
    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-9] = 1.0
    xs = (x - mean) / scale
    wa, ba = _logistic_fit(xs, 1.0 - u, l2)  # answerable
    wr, br = _logistic_fit(xs, y, l2)  # right
    za, zr = xs @ wa + ba, xs @ wr + br
    answerable = np.sort(za[u == 0])
    k = int(np.floor(max_false_abstention * len(answerable)))  # this many answerable rows may abstain
    threshold = _below(answerable[k]) if len(answerable) else 0.0
    r4 = lambda v: [round(float(t), 4) for t in v]  # noqa: E731
    return {"features": list(EVIDENCE), "mean": [round(float(v), 6) for v in mean],
            "scale": [round(float(v), 6) for v in scale],
            "answerable": {"weights": r4(wa), "bias": round(float(ba), 4), "platt": platt(za, u)},
            "right": {"weights": r4(wr), "bias": round(float(br), 4), "platt": platt(zr, y)},
            "threshold": threshold,
            "learned_on": {"rows": len(rows), "right": int(y.sum()), "unanswerable": int(u.sum())}}


def _below(score: float) -> float:
    """A threshold just under ``score`` (at 4 decimals, so that the written file keeps it under)."""
    import math

    return math.floor(float(score) * 1e4 - 1e-9) / 1e4


def cell_threshold(model: dict, rows: list[tuple[dict, bool, bool]], max_false_abstention: float = 0.02) -> float:
    """The score under which a table cell says "not stated", by the questions' rule on the gold table's
    tuning cells: the highest that calls at most ``max_false_abstention`` of the stated cells not stated."""
    from sisterqa.app.confidence import ConfidenceModel

    m = ConfidenceModel(model)
    stated = np.sort([m.answerable(ev) for ev, _, un in rows if not un])
    k = int(np.floor(max_false_abstention * len(stated)))
    return _below(stated[k]) if len(stated) else float(model["threshold"])


def learned_for_file(settings) -> Path:
    """The shipped weights file of the main index's embedder (app/weights/<embedder>.json)."""
    from sisterqa.app.learned import DEFAULT_EMBEDDER, weights_file
    from sisterqa.index.store import open_snapshot

    snap = open_snapshot(settings.index_dir, settings.search.milvus)
    path = weights_file(snap.manifest["settings"].get("embedder_name") or "")
    return path if path.exists() else weights_file(DEFAULT_EMBEDDER)


def main(argv: list[str] | None = None) -> None:
    from .corpus import available, engine_and_gold

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="tune")
    ap.add_argument("--corpus", action="append", default=None,
                    help="a named corpus to learn from (repeat; default: every one present)")
    ap.add_argument("--index-dir", default=None)
    ap.add_argument("--l2", type=float, default=0.3)
    ap.add_argument("--pointwise", action="store_true", help="plain logistic regression instead of listwise")
    ap.add_argument("--drop", default="", help="comma-separated features left out (for an ablation)")
    ap.add_argument("--keep-weights", action="store_true",
                    help="keep the current sentence weights; learn only the confidence model")
    ap.add_argument("--out", default=None, help="write the weights and the confidence model to this JSON file "
                    "(app/weights/<embedder>.json is the one an index built with that embedder uses)")
    args = ap.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    settings = load_settings({"index_dir": args.index_dir}, cwd=root)
    # the engines answer with the current sentence weights alone: the confidence is what is learned
    import json
    import tempfile

    current_file = Path(tempfile.mkdtemp()) / "weights.json"
    sentence_weights = {k: v for k, v in json.loads(
        (settings.answer_weights or learned_for_file(settings)).read_text(encoding="utf-8"))["weights"].items()}
    current_file.write_text(json.dumps({"weights": sentence_weights}), encoding="utf-8")
    settings = replace(settings, answer_weights=current_file)
    corpora = args.corpus or available()
    engines = {}
    for name in corpora:
        engine, items = engine_and_gold(settings, name, progress=lambda m: print(m, flush=True))
        engines[name] = (engine, items)
    data = {(c, sp): [item_candidates(e, it)[:2] for it in items if it.get("split") == sp and it["type"] != "unanswerable"]
            for c, (e, items) in engines.items() for sp in ("tune", "heldout")}
    first = next(iter(engines.values()))[0]
    current = np.array([first.extractive.weights.get(k, 0.0) for k in FEATURES])
    if args.keep_weights:
        w = current
    else:
        keep = np.array([k not in args.drop.split(",") for k in FEATURES], dtype=float)
        learn_on = [(x * keep, y) for (c, sp), d in data.items() if sp == args.split for x, y in d]
        w = (fit if args.pointwise else fit_listwise)(learn_on, l2=args.l2)
    for key, d in data.items():
        print(f"{key[0]:9s} {key[1]:8s} learned {ranking(d, w)}  current {ranking(d, current)}")
    weights = {k: round(float(v), 2) for k, v in zip(FEATURES, w)}
    for e, _ in engines.values():  # the confidence is learned on answers written with these weights
        e.extractive.weights = dict(weights)
    rows = {(c, sp): confidence_rows(e, [it for it in items if it.get("split") == sp])
            for c, (e, items) in engines.items() for sp in ("tune", "heldout")}
    if "sisterqa" in engines:  # the literature table's cells, asked of one paper each
        from .table import GOLD_TABLE, load_gold_table

        if GOLD_TABLE.exists():
            cells = load_gold_table(GOLD_TABLE)
            for sp in ("tune", "heldout"):
                rows[("table", sp)] = table_rows(engines["sisterqa"][0], [c for c in cells if c.get("split") == sp])
    model = fit_confidence([r for (c, sp), rs in rows.items() if sp == args.split and c != "table" for r in rs])
    if ("table", args.split) in rows:
        model["cell_threshold"] = cell_threshold(model, rows[("table", args.split)])
    report_confidence(model, rows)
    if args.out:
        import json

        rankings = {f"{c}/{sp}": {k: float(v) for k, v in ranking(d, w).items()} for (c, sp), d in data.items()}
        Path(args.out).write_text(json.dumps({
            "embedder": first.snapshot.manifest["settings"].get("embedder_name"),
            "learned_on": {"split": args.split, "corpora": corpora},
            "method": "pointwise" if args.pointwise else "listwise", "l2": args.l2,
            "ranking": rankings, "weights": weights, "confidence": model,
        }, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


def report_confidence(model: dict, rows: dict) -> None:
    """Abstention, false abstention, AUROC of the score and ECE of the calibrated confidence, per corpus and split."""
    from sisterqa.app.confidence import ConfidenceModel

    from .calibration import auroc

    m = ConfidenceModel(model)
    for (c, sp), rs in rows.items():
        conf, right = [], []
        abst = fa = n_un = n_an = 0
        for ev, r, un in rs:
            j = m.judge(ev, cell=c == "table")
            n_un += un
            n_an += not un
            abst += un and j.abstain
            fa += (not un) and j.abstain
            conf.append(j.confidence)
            right.append(un if j.abstain else r)
        ece = _ece(conf, right)
        print(f"{c:9s} {sp:8s} abstention {abst}/{n_un}, false abstention {fa}/{n_an}, "
              f"AUROC {auroc(conf, right) or 0:.3f}, ECE {ece:.3f}, right {sum(right)}/{len(right)}")


def _ece(conf: list[float], right: list[bool], bins: int = 10) -> float:
    total = 0.0
    for b in range(bins):
        idx = [i for i, c in enumerate(conf) if b / bins <= c < (b + 1) / bins or (b == bins - 1 and c == 1.0)]
        if idx:
            total += len(idx) / len(conf) * abs(sum(conf[i] for i in idx) / len(idx) - sum(right[i] for i in idx) / len(idx))
    return total


if __name__ == "__main__":
    main()
