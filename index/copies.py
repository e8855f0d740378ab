"""Copies by content: a file whose text is (nearly) that of an indexed paper is not indexed twice.

Two files are the same paper when their texts, normalised as the contract
normalises them, share nearly all their word 5-grams ("shingles"): at least
``THRESHOLD`` (0.9) of the smaller paper's shingles occur in the other, and
the smaller has at least ``MIN_SIZE_RATIO`` of the larger's. A journal's PDF
of a paper indexed as text shares 0.98–1.0 (running heads, page numbers and
hyphens are gone from both); two different papers of the corpus share under 0.01.

Each index version keeps one small sketch per paper (``signatures.npy``: the
``SKETCH`` smallest shingle hashes, and the number of distinct shingles;
``signatures.json`` names the papers), so a new file is compared with every
indexed paper by its sketch alone (a few milliseconds at 20,000 papers) and
only a likely copy is confirmed on the two full texts. Copies found are
recorded (``copies.json``: path, content hash, the paper it copies), so the
next ingest skips an unchanged copy without reading it again and the Papers
page can offer to replace the indexed version by it.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from sisterqa.ingest.normalize import normalize

K = 5  # words per shingle
SKETCH = 256  # smallest hashes kept per paper
THRESHOLD = 0.9  # share of the smaller paper's shingles found in the other
MIN_SIZE_RATIO = 0.5  # an excerpt (an abstract of a paper) is not a copy of the paper
LOOKUP = 16  # smallest hashes a paper is looked up by
# An index written before sketches gets them at its next ingest, read from the papers' texts (5-10 ms a
# paper), up to this many papers; a larger one (a synthetic bench index) checks new files against the
# papers added since, and `ingest --full` sketches every paper.
MIGRATE_MAX = 2000
_NONE = np.zeros(0, np.uint64)
SIGNATURES = "signatures.npy"
SIGNATURES_META = "signatures.json"
COPIES = "copies.json"
FORMAT = 1

_MULT = np.uint64(0x9E3779B97F4A7C15)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: well-spread 64-bit hashes."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def shingles(text: str) -> np.ndarray:
    """The sorted distinct 64-bit hashes of the normalised text's word 5-grams."""
    words = normalize(text).split()
    if not words:
        return np.zeros(0, np.uint64)
    codes = {w: zlib.crc32(w.encode("utf-8")) for w in set(words)}
    w = np.fromiter((codes[x] for x in words), np.uint64, len(words))
    if len(w) < K:
        w = np.concatenate([w, np.zeros(K - len(w), np.uint64)])
    h = np.zeros(len(w) - K + 1, np.uint64)
    with np.errstate(over="ignore"):
        for j in range(K):
            h = h * _MULT + w[j:len(w) - K + 1 + j]
    return np.unique(_mix(h))


@dataclass(frozen=True)
class Signature:
    """A paper's sketch: its ``SKETCH`` smallest shingle hashes and its number of distinct shingles."""

    sketch: np.ndarray  # uint64, sorted, at most SKETCH values
    size: int


def signature(text: str) -> Signature:
    s = shingles(text)
    return Signature(s[:SKETCH].copy(), int(len(s)))


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(share of the smaller set found in the other, smaller size / larger size) of two shingle sets."""
    if not len(a) or not len(b):
        return 0.0, 0.0
    inter = len(np.intersect1d(a, b, assume_unique=True))
    small, large = sorted((len(a), len(b)))
    return inter / small, small / large


def estimate(x: Signature, y: Signature) -> float:
    """The estimated share of the smaller paper's shingles found in the other, from the sketches."""
    if not x.size or not y.size:
        return 0.0
    union = np.union1d(x.sketch, y.sketch)[:SKETCH]
    both = np.intersect1d(np.intersect1d(x.sketch, y.sketch, assume_unique=True), union, assume_unique=True)
    j = len(both) / len(union)
    inter = j * (x.size + y.size) / (1 + j)
    return inter / min(x.size, y.size)


def is_copy(contained: float, ratio: float) -> bool:
    return contained >= THRESHOLD and ratio >= MIN_SIZE_RATIO


class Signatures:
    """The indexed papers' sketches, by doc id."""

    def __init__(self, items: dict[str, Signature] | None = None):
        self.items: dict[str, Signature] = dict(items or {})
        self._lookup: dict[int, list[str]] | None = None  # each paper's LOOKUP smallest hashes → papers

    def add(self, doc_id: str, sig: Signature) -> None:
        self.items[doc_id] = sig
        if self._lookup is not None:
            for h in sig.sketch[:LOOKUP].tolist():
                self._lookup.setdefault(h, []).append(doc_id)

    def candidates(self, sig: Signature) -> set[str]:
        """The papers sharing one of ``sig``'s LOOKUP smallest hashes: every likely copy (a paper
        sharing 80 % of the shingles shares its smallest hash with probability 0.8, and one of its
        16 smallest with near certainty), in time that does not grow with the number of papers."""
        if self._lookup is None:
            self._lookup = {}
            for doc, s in self.items.items():
                for h in s.sketch[:LOOKUP].tolist():
                    self._lookup.setdefault(h, []).append(doc)
        out: set[str] = set()
        for h in sig.sketch[:LOOKUP].tolist():
            out.update(self._lookup.get(h, ()))
        return out

    @classmethod
    def load(cls, version: Path | None) -> "Signatures | None":
        """The sketches a version stored, or None (an index written before sketches, or damaged)."""
        if version is None:
            return None
        try:
            meta = json.loads((version / SIGNATURES_META).read_text(encoding="utf-8"))
            arr = np.load(version / SIGNATURES, allow_pickle=False)
            if meta.get("format") != FORMAT or arr.shape != (len(meta["docs"]), SKETCH):
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        out = {}
        for row, doc, size in zip(arr, meta["docs"], meta["sizes"]):
            out[doc] = Signature(row[: min(int(size), SKETCH)].copy(), int(size))
        return cls(out)

    def save(self, build: Path, doc_ids: list[str]) -> None:
        """Write the sketches of ``doc_ids`` (in that order) into a build directory."""
        arr = np.full((len(doc_ids), SKETCH), np.iinfo(np.uint64).max, np.uint64)
        sizes = []
        for i, d in enumerate(doc_ids):
            sig = self.items[d]
            arr[i, :len(sig.sketch)] = sig.sketch
            sizes.append(sig.size)
        np.save(build / SIGNATURES, arr)
        (build / SIGNATURES_META).write_text(
            json.dumps({"format": FORMAT, "k": K, "sketch": SKETCH, "docs": list(doc_ids), "sizes": sizes}),
            encoding="utf-8")

    def find(self, text: str, sig: Signature, text_of: Callable[[str], str],
             exclude: set[str] = frozenset()) -> tuple[str, float] | None:
        """The paper ``text`` is a copy of, with the share of shingles they have in common, or None.

        Every sketch is compared (cheap); papers whose estimate comes near the
        threshold are confirmed on their full texts, best estimate first.
        """
        cands = sorted(((estimate(sig, self.items[d]), d) for d in self.candidates(sig)
                        if d not in exclude and d in self.items), reverse=True)
        mine = None
        for est, doc in cands:
            if est < THRESHOLD - 0.15:
                break
            mine = shingles(text) if mine is None else mine
            try:
                contained, ratio = overlap(mine, shingles(text_of(doc)))
            except (OSError, KeyError):
                continue
            if is_copy(contained, ratio):
                return doc, contained
        return None


def read_copies(version: Path | None) -> dict[str, dict]:
    """The copies recorded by a version: {path: {"sha256", "of", "title", "of_path"}}."""
    if version is None:
        return {}
    try:
        data = json.loads((version / COPIES).read_text(encoding="utf-8"))
        return {str(k): dict(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError, AttributeError, TypeError):
        return {}


def write_copies(build: Path, copies: dict[str, dict]) -> None:
    if copies:
        (build / COPIES).write_text(json.dumps(copies, ensure_ascii=False, indent=1), encoding="utf-8")


class CopyCheck:
    """What one ingest needs to keep copies out: the previous version's sketches and recorded copies,
    the papers this ingest adds, and what to write into the new version."""

    def __init__(self, old_version: Path | None, old: dict | None, root: Path):
        self.old_version = old_version
        self.root = Path(root)
        self.old_papers = {p["doc_id"]: p for p in (old or {}).get("papers", [])} if old_version else {}
        self.recorded = read_copies(old_version)
        self.found: dict[str, dict] = {}  # path → record, for copies.json
        self._live: Signatures | None = None
        self._kept: set[str] = set()
        self._texts: dict[str, str] = {}  # papers added by this ingest
        self._meta: dict[str, dict] = {}
        self.new: dict[str, Signature] = {}

    def known_copy(self, rel: str, sha: str) -> str | None:
        """The one-line message for a file recorded as a copy, unchanged, whose paper is still indexed."""
        rec = self.recorded.get(rel)
        if not rec or rec.get("sha256") != sha or rec.get("of") not in self.old_papers:
            return None
        of = self.old_papers[rec["of"]]
        of_file = Path(of["path"]) if Path(of["path"]).is_absolute() else self.root / of["path"]
        if not of_file.exists():
            return None  # the paper it copied is gone: read it as a paper of its own
        self.found[rel] = rec
        return copy_message(rel, of.get("title", ""), of["path"])

    def keep(self, doc_ids) -> None:
        """The indexed papers this ingest keeps as they are: new files are compared with them (and
        with the papers added before them), not with papers that are read again or removed."""
        self._kept.update(doc_ids)

    def _text(self, doc: str) -> str:
        if doc in self._texts:
            return self._texts[doc]
        return (self.old_version / "papers" / f"{doc}.txt").read_text(encoding="utf-8")

    def live(self) -> Signatures:
        """The sketches of the indexed papers (computed once for an index written before sketches)."""
        if self._live is None:
            loaded = Signatures.load(self.old_version) or Signatures()
            items = {d: s for d, s in loaded.items.items() if d in self._kept}
            missing = [d for d in self._kept if d not in items]
            for d in missing:
                if len(missing) > MIGRATE_MAX:
                    items[d] = Signature(_NONE, 0)  # unsketched: never a match
                    continue
                try:
                    items[d] = signature(self._text(d))
                except OSError:
                    continue
            self._live = Signatures(items)
        return self._live

    def check(self, rel: str, sha: str, paper, prev_doc: str | None) -> str | None:
        """The one-line message when ``paper`` (read from ``rel``) copies an indexed paper or one
        added earlier in this ingest; else None, and it counts as indexed from now on."""
        sig = signature(paper.text)
        live = self.live()
        exclude = {prev_doc} if prev_doc else set()
        hit = live.find(paper.text, sig, self._text, exclude)
        if hit is not None:
            doc, share = hit
            of = self._meta.get(doc) or self.old_papers[doc]
            self.found[rel] = {"sha256": sha, "of": doc, "title": of.get("title", ""), "of_path": of["path"],
                               "overlap": round(share, 4)}
            return copy_message(rel, of.get("title", ""), of["path"])
        live.add(paper.doc_id, sig)
        self.new[paper.doc_id] = sig
        self._texts[paper.doc_id] = paper.text
        self._meta[paper.doc_id] = {"title": paper.title, "path": paper.path}
        return None

    def write(self, build: Path, papers_out: list[dict]) -> None:
        """Write the new version's sketches (every paper it holds) and its recorded copies."""
        old = self.live().items
        items = {}
        for p in papers_out:
            d = p["doc_id"]
            sig = self.new.get(d) or old.get(d)
            if sig is None and len(papers_out) > MIGRATE_MAX:
                sig = Signature(_NONE, 0)
            if sig is None:
                try:
                    sig = signature((build / "papers" / f"{d}.txt").read_text(encoding="utf-8"))
                except OSError:
                    sig = Signature(np.zeros(0, np.uint64), 0)
            items[d] = sig
        Signatures(items).save(build, [p["doc_id"] for p in papers_out])
        write_copies(build, self.found)


def copy_message(path: str, title: str, of_path: str) -> str:
    """``x.pdf is a copy of 'Kendala …' (y.txt); not indexed``."""
    short = " ".join(str(title).split())
    short = short if len(short) <= 60 else short[:59].rsplit(" ", 1)[0] + " …"
    return f"{Path(path).name} is a copy of '{short}' ({Path(of_path).name}); not indexed"


__all__ = ["Signature", "Signatures", "signature", "shingles", "overlap", "estimate", "is_copy",
           "read_copies", "write_copies", "copy_message", "THRESHOLD"]
