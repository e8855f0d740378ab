"""The Streamlit chat app, driven by Streamlit's AppTest over the real index and engine.

Each test points the app at its own copy of the built index through
SISTERQA_INDEX_DIR / SISTERQA_CORPUS_DIR. Uploads are tested twice: through
the app's st.file_uploader (AppTest supports it) and through
``app.library.add_uploads``, the function the app calls, with more cases.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sisterqa.app import library as lib
from sisterqa.app import ui_helpers as h
from sisterqa.app.references import format_reference
from sisterqa.app.settings import load_settings
from sisterqa.index.store import open_snapshot
from sisterqa.ingest.read import doc_id_for

ROOT = Path(__file__).resolve().parent.parent
UI = str(ROOT / "app" / "ui.py")
TIMEOUT = 300

STALL = "Why did the cooperation between South Tangerang and Daejeon stall?"

SCRIPT_PAPER = """# Twin towns and <script>alert("pwned")</script> markup

## Findings

The Zanzibar–Oulu twinning council met <b>every spring</b> to review the ferry subsidy programme.
The council agreed that the ferry subsidy programme would end in 2031 because of falling ridership.
Costs of $5 and $7 per ticket were *mentioned* in [the minutes](javascript:alert(1)).
"""


# ---------------------------------------------------------------- helpers


def app(monkeypatch, index_dir: Path, corpus_dir: Path | None = None) -> AppTest:
    monkeypatch.setenv("SISTERQA_INDEX_DIR", str(index_dir))
    if corpus_dir is not None:
        monkeypatch.setenv("SISTERQA_CORPUS_DIR", str(corpus_dir))
    for var in ("SISTERQA_LLM_BASE_URL", "SISTERQA_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    at = AppTest.from_file(UI, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.main.error, [e.value for e in at.main.error]
    return at


def plain(markdown: str) -> str:
    """Markdown escaped by md_escape, back to the text it shows."""
    return re.sub(r"\\(.)", r"\1", markdown)


def turns(at: AppTest):
    return at.session_state["ui"].turns


def htmls(at: AppTest) -> list[str]:
    return [e.proto.body for e in at.get("html")]


def markdowns(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.fixture
def index_copy(tmp_path, built_index) -> Path:
    dst = tmp_path / "idx"
    shutil.copytree(built_index, dst)
    return dst


# ---------------------------------------------------------------- chat flows


def test_ask_shows_answer_citations_reference_and_passages(monkeypatch, index_copy):
    at = app(monkeypatch, index_copy)
    assert at.chat_input, "no chat input"
    assert any("Papers (5)" in s.value for s in at.sidebar.subheader)
    ask(at, STALL)

    [turn] = turns(at)
    answer = turn.answer
    assert not answer.abstained and answer.citations
    # How far to trust it, in words, above the answer (issue 20.2)
    said = [m.value for m in [*at.success, *at.info] if "confidence" in m.value]
    assert said and said[0].startswith(("The papers answer this directly", "Partly answered — check the quotes"))
    assert f"{answer.confidence:.0%}" in said[0]
    # The answer with its inline markers.
    body = next(m for m in markdowns(at) if "(#sq-cite-0-1)" in m)
    for c in answer.citations:  # each marker links to its citation's card
        assert f"[**\\[{c.n}\\]**](#sq-cite-0-{c.n})" in body
        assert any(f'id="sq-cite-0-{c.n}"' in b for b in htmls(at))
    # Under it, every citation: title, year, section, page and the quote highlighted.
    snap = open_snapshot(index_copy)
    shown = htmls(at)
    for c in answer.citations:
        head = next(b for b in shown if f'<span class="sq-n">[{c.n}]</span>' in b)
        assert h.html_text(snap.paper_meta(c.doc_id)["title"]) in head
        assert str(c.year or "n.d.") in head
        if c.section:
            assert h.html_text(c.section) in head
        assert "<mark>" in head
        marked = head.split("<mark>", 1)[1].split("</mark>", 1)[0]
        assert marked == h.html_text(c.quote)
    assert "stall" in body.lower() or "daejeon" in body.lower() or "stagn" in body.lower()
    # "Copy reference": a formatted reference in a code block (which has a copy button).
    refs = [c.value for c in at.code]
    first = snap.paper_meta(answer.citations[0].doc_id)
    assert format_reference(first) in refs
    assert any("(" in r and ")." in r for r in refs)
    # "Why these passages": every retrieved passage with its scores.
    why = next(e for e in at.expander if e.label == "Why these passages")
    why_html = "".join(x.proto.body for x in why.get("html"))
    assert why_html.count('class="sq-hit"') == len(answer.hits) >= 10
    assert "dense 0." in why_html and "fused" in why_html
    assert "cited [1]" in why_html


def test_show_in_paper_opens_the_passage_in_context(monkeypatch, index_copy):
    at = app(monkeypatch, index_copy)
    ask(at, STALL)
    c = turns(at)[0].answer.citations[0]
    assert not any('class="sq-context"' in b for b in htmls(at))
    at.button(key="show-0-1").click().run()
    assert not at.exception
    ctx = next(b for b in htmls(at) if 'class="sq-context"' in b)
    text = open_snapshot(index_copy).paper_text(c.doc_id)
    passage = next(x.passage for x in turns(at)[0].answer.hits if x.passage.passage_id == c.passage_id)
    # The quote is highlighted inside its passage; what opens starts at the quote's own paragraph
    # (the highlight is at the top, not paragraphs below), and goes on past the passage.
    assert f"<mark>{h.html_text(c.quote)}</mark>" in ctx
    assert '<span class="passage">' in ctx
    body = re.sub(r"<[^>]+>", "", ctx.split('<div class="sq-text">', 1)[1])
    spans = h.paragraph_spans(text)
    k = next(i for i, (a, b) in enumerate(spans) if b > c.start)
    assert body.startswith(h.html_text(text[spans[k][0]:spans[k][1]][:40]))
    if k > 0:
        assert h.html_text(text[spans[k - 1][0]:spans[k - 1][1]][-40:]) not in body
    after = text[passage.end:].lstrip()[:40]
    assert h.html_text(after.split("\n")[0][:30]) in body
    assert "paragraphs" in ctx
    assert at.button(key="show-0-1").label == "Hide paper"
    at.button(key="show-0-1").click().run()
    assert not any('class="sq-context"' in b for b in htmls(at))


def test_follow_up_uses_the_earlier_turn_and_new_chat_clears(monkeypatch, index_copy):
    at = app(monkeypatch, index_copy)
    ask(at, "Who signed the friendship cooperation with Daejeon?")
    ask(at, "Why did it stall?")
    first, second = turns(at)
    assert at.session_state["ui"].chat.history == [first.question, second.question]
    assert first.question in second.answer.retrieval_query
    assert not second.answer.abstained
    assert any("daejeon" in c.doc_id or "tangerang" in c.doc_id for c in second.answer.citations)
    assert len(at.chat_message) == 4
    at.button(key="new-chat").click().run()
    assert turns(at) == [] and at.session_state["ui"].chat.history == []
    assert len(at.chat_message) == 0


def test_filter_by_paper(monkeypatch, index_copy):
    at = app(monkeypatch, index_copy)
    only = "semarang-jung-gu-kendala-sister-city"
    at.multiselect(key="papers").set_value([only]).run()
    ask(at, STALL)
    [turn] = turns(at)
    assert turn.hits and {x.doc_id for x in turn.hits} == {only}
    assert {c.doc_id for c in turn.answer.citations} <= {only}
    assert "only Kendala" in turn.scope
    at.multiselect(key="papers").set_value([]).run()
    ask(at, STALL)
    assert "south-tangerang-daejeon-friendship-cooperation" in {x.doc_id for x in turns(at)[1].hits}


def test_abstains_on_what_the_papers_do_not_say(monkeypatch, index_copy):
    at = app(monkeypatch, index_copy)
    ask(at, "What is the population of Lima?")
    [turn] = turns(at)
    assert turn.answer.abstained and not turn.answer.citations
    assert any("do not seem to answer" in w.value for w in at.warning)
    near = [b for b in htmls(at) if 'class="sq-hit"' in b]
    assert near and near[0].count('class="sq-hit"') == 3  # the nearest passages, shown
    assert not [b for b in htmls(at) if 'class="sq-n"' in b]  # no citations


def test_answer_mode_is_offered_only_with_an_llm_server(monkeypatch, index_copy):
    at = app(monkeypatch, index_copy)
    assert not at.radio
    monkeypatch.setenv("SISTERQA_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # configured, never called here
    monkeypatch.setenv("SISTERQA_LLM_MODEL", "some-model")
    at = AppTest.from_file(UI, default_timeout=TIMEOUT)
    at.run()
    mode = at.radio(key="mode")
    assert mode.options == ["LLM (generated, cited)", "Extractive"] and mode.value == "llm"
    mode.set_value("extractive").run()
    ask(at, STALL)
    assert turns(at)[0].answer.mode == "extractive"
    assert "extractive answer" in " ".join(c.value for c in at.caption)


def test_no_index_offers_to_build_it(monkeypatch, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "twin.md").write_text(SCRIPT_PAPER, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    at = app(monkeypatch, tmp_path / "index", corpus)
    assert any("no index yet" in plain(i.value) for i in at.info)
    assert not at.chat_input
    at.button(key="build-index").click().run()
    assert not at.exception and not at.error
    assert at.chat_input
    assert any("Papers (1)" in s.value for s in at.sidebar.subheader)


def test_damaged_index_is_an_error_message_not_a_traceback(monkeypatch, index_copy):
    (index_copy / "CURRENT").write_text("v-does-not-exist", encoding="utf-8")
    at = app(monkeypatch, index_copy)
    assert not at.exception
    assert any("damaged" in plain(e.value) and "ingest --full" in plain(e.value) for e in at.error)
    assert at.button(key="build-index").label == "Rebuild the index"


# ---------------------------------------------------------------- uploads and paper text as text


def test_upload_good_and_bad_files_then_ask_about_script_text(monkeypatch, work_copy):
    monkeypatch.chdir(work_copy)
    corpus = work_copy / "corpus"
    before = sorted(p.name for p in corpus.iterdir())
    at = app(monkeypatch, work_copy / ".sisterqa", corpus)
    at.file_uploader[0].set_value([
        ("Twin towns <script>.md", SCRIPT_PAPER.encode(), "text/markdown"),
        ("../../escape.pdf", b"this is not a pdf at all", "application/pdf"),
        ("binary.txt", bytes(range(256)) * 8, "text/plain"),
    ]).run()
    at.button(key="add-files").click().run()
    assert not at.exception
    saved_as = "Twin towns _script.md"
    assert [plain(s.value) for s in at.success] == [f"Added Twin towns <script>.md (saved as {saved_as})"]
    info = [plain(i.value) for i in at.info]
    assert len(info) == 1 and "added 1" in info[0] and "failed 2" in info[0]  # both refused files count
    assert not at.toast  # no toast over the results (they are scrolled into view in the browser)
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 2
    assert any("escape" in e and "not a PDF" in e for e in errors)
    assert any("binary" in e and "not text" in e for e in errors)
    after = sorted(p.name for p in corpus.iterdir())
    assert after == sorted(before + [saved_as])  # nothing rejected stays behind
    assert not (work_copy / "escape.pdf").exists()
    # The paper list and the index refreshed without a restart.
    assert any("Papers (6)" in s.value for s in at.sidebar.subheader)
    listed = " ".join(m.value for m in at.sidebar.markdown)
    assert r"\<script\>alert" in listed and not re.search(r"(?<!\\)<script", listed)

    ask(at, "Why will the Zanzibar–Oulu ferry subsidy programme end?")
    [turn] = turns(at)
    assert not turn.answer.abstained
    assert any(c.doc_id == doc_id_for(Path(saved_as)) for c in turn.answer.citations)
    # Paper text is shown as text: escaped in HTML, backslash-escaped in Markdown.
    assert not any("<script" in x or "<b>every" in x for x in htmls(at))
    raw_tag = re.compile(r"(?<!\\)<(script|/script|b>|/b>)")  # a "<" that Markdown would not show as text
    assert not any(raw_tag.search(x) for x in markdowns(at) + [m.value for m in at.sidebar.markdown])
    assert any(r"\<b\>every spring\</b\>" in x for x in markdowns(at))
    assert any("&lt;script&gt;" in x or "&lt;b&gt;every spring&lt;/b&gt;" in x for x in htmls(at))
    at.button(key="show-0-1").click().run()
    ctx = next(b for b in htmls(at) if 'class="sq-context"' in b)
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in ctx
    assert "&lt;b&gt;every spring&lt;/b&gt;" in ctx


def test_add_uploads_checks_names_types_sizes_and_cleans_up(work_copy):
    settings = load_settings(env={"SISTERQA_MAX_FILE_MB": "0.01"}, cwd=work_copy)
    corpus = work_copy / "corpus"
    before = {p.name for p in corpus.iterdir()}
    outcome = lib.add_uploads([
        ("../../../Kerja sama Bandung–Seoul: kota kembar.md", SCRIPT_PAPER.encode(), ),
        ("/etc/passwd.txt", "Surabaya and Seattle keep a sister-city bond since 1992.\n".encode()),
        ("big.txt", b"word " * 5000),
        ("fake.pdf", b"<html>not a pdf</html>"),
        ("notes.docx", b"PK\x03\x04"),
        ("empty.md", b""),
        ("latin1.txt", "Kerjasama kota kembar \xe9t\xe9 \x00".encode("latin-1")),
        ("copy.md", SCRIPT_PAPER.encode()),
        ("pdf-named.txt", b"%PDF-1.4 ..."),
        ("broken.pdf", b"%PDF-1.4\n garbage that no parser can read"),
    ], settings)
    added = dict(outcome.added)
    rejected = dict(outcome.rejected)
    assert set(added) == {"../../../Kerja sama Bandung–Seoul: kota kembar.md", "/etc/passwd.txt"}
    assert Path(added["../../../Kerja sama Bandung–Seoul: kota kembar.md"]).parent == corpus
    assert Path(added["../../../Kerja sama Bandung–Seoul: kota kembar.md"]).name == "Kerja sama Bandung–Seoul_ kota kembar.md"
    assert Path(added["/etc/passwd.txt"]) == corpus / "passwd.txt"
    assert "over the size limit" in rejected["big.txt"]
    assert "not a PDF" in rejected["fake.pdf"]
    assert "unsupported file type .docx" in rejected["notes.docx"]
    assert "empty" in rejected["empty.md"]
    assert "binary" in rejected["latin1.txt"]
    assert "already in the corpus" in rejected["copy.md"]
    assert "rename it to .pdf" in rejected["pdf-named.txt"]
    assert "PDF" in rejected["broken.pdf"]  # rejected by ingest's parser, then removed
    assert {p.name for p in corpus.iterdir()} == before | {"Kerja sama Bandung–Seoul_ kota kembar.md", "passwd.txt"}
    assert not list(work_copy.parent.glob("*.md")) and not (work_copy / "passwd.txt").exists()
    snap = open_snapshot(work_copy / ".sisterqa")
    paths = {p["path"] for p in snap.papers}
    assert "corpus/passwd.txt" in paths and "corpus/Kerja sama Bandung–Seoul_ kota kembar.md" in paths
    assert len(snap.papers) == 7
    # The same name again: saved beside it, never over it.
    again = lib.add_uploads([("passwd.txt", b"A different paper about Medan and Kuching ties.\n")], settings)
    assert [Path(p).name for _, p in again.added] == ["passwd (2).txt"]
    # A copy of a paper already there, under another name: refused before anything is written.
    existing = (corpus / "semarang-jung-gu-kendala-sister-city.txt").read_bytes()
    dup = lib.add_uploads([("Semarang copy.txt", existing)], load_settings(env={}, cwd=work_copy))
    assert dup.added == [] and "already in the corpus" in dict(dup.rejected)["Semarang copy.txt"]
    assert not (corpus / "Semarang copy.txt").exists()


def test_safe_filename():
    assert lib.safe_filename("../../x.txt") == "x.txt"
    assert lib.safe_filename("/abs/path/paper.PDF") == "paper.pdf"
    assert lib.safe_filename("..\\..\\win.md") == "win.md"
    assert lib.safe_filename("..") == "paper"
    assert lib.safe_filename(".hidden.txt") == "hidden.txt"
    assert lib.safe_filename("-rf.txt") == "rf.txt"
    assert lib.safe_filename("Kerjasama Kota Semarang – Jung-gu (2016).pdf") == "Kerjasama Kota Semarang – Jung-gu (2016).pdf"
    assert lib.safe_filename("서울 도시 협력.md") == "서울 도시 협력.md"
    assert lib.safe_filename("a\x00b\nc|d?.txt") == "a_b_c_d.txt"
    long = lib.safe_filename("ü" * 300 + ".txt")
    assert long.endswith(".txt") and len(long.encode()) <= lib.MAX_NAME_BYTES


def test_text_is_escaped_and_highlighted():
    text = 'Before <script>alert("x")</script> and the *quote* here. After.'
    start = text.index("the *quote*")
    out = h.html_highlight(text, [(0, len(text), "passage"), (start, start + 16, "quote")])
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<mark>the *quote* here</mark>" in out and out.startswith('<span class="passage">')
    assert h.md_escape("<script>$5 *x*") == r"\<script\>\$5 \*x\*"
    md = h.answer_markdown("**Paper** <b>a</b> costs $5 [1]", ["<b>a</b> costs $5"])
    assert md == r"**Paper** \<b\>a\</b\> costs \$5 :blue[**[1]**]"
    linked = h.answer_markdown("Costs rose [1] [12].", turn=3)
    assert linked == r"Costs rose [**\[1\]**](#sq-cite-3-1) [**\[12\]**](#sq-cite-3-12)."
    assert h.cite_anchor(3, 12) == "sq-cite-3-12"


def test_format_reference():
    assert format_reference({
        "title": "Paradiplomacy and the Future of Smart City", "authors": ["Reza Noormansyah", "Ghaziah Nurika Akhni"],
        "year": 2024, "venue": "Jurnal X",
    }) == "Noormansyah, R., & Akhni, G. N. (2024). Paradiplomacy and the Future of Smart City. Jurnal X."
    assert format_reference({"title": "Alasan", "authors": [], "year": None}) == "Alasan. (n.d.)."


def test_whitespace_question_leaves_no_empty_bubble(monkeypatch, index_copy):
    at = app(monkeypatch, index_copy)
    at.chat_input[0].set_value("   \n  ").run()
    assert not at.exception
    assert len(at.chat_message) == 0  # no user bubble, no answer bubble
    assert [e.value for e in at.main.error] == ["The question is empty; ask something about the papers."]
    assert turns(at) == []


def test_upload_messages_name_once_and_count_every_failure():
    from sisterqa.index.build import IngestReport

    report = IngestReport(added=["corpus/a.md"], failed=[("/x/corpus/b.pdf", "is a corrupt PDF")], chunks=9)
    outcome = lib.UploadOutcome(
        added=[("a.md", "/x/corpus/a.md"), ("Kota: kembar.md", "/x/corpus/Kota_ kembar.md")],
        rejected=[("fake.pdf", "is not a PDF"), ("b.pdf", "is a corrupt PDF")],
        report=report,
    )
    msgs = lib.upload_messages(outcome)
    assert msgs[0] == ("success", "Added a.md")
    assert msgs[1] == ("success", "Added Kota: kembar.md (saved as Kota_ kembar.md)")
    assert [m for m in msgs if m[0] == "error"] == [("error", "fake.pdf: is not a PDF"), ("error", "b.pdf: is a corrupt PDF")]
    assert msgs[-1][0] == "info" and "failed 2" in msgs[-1][1] and "added 1" in msgs[-1][1]
    assert h.size_text(50 * 1024 * 1024) == "50 MB"


def test_uploads_stay_in_the_corpus_when_indexing_cannot_run(work_copy):
    """Another ingest holds the lock: the checked upload is kept (and says so), not deleted."""
    from sisterqa.index.store import IndexDir

    settings = load_settings(env={}, cwd=work_copy)
    with IndexDir(work_copy / ".sisterqa").lock():
        outcome = lib.add_uploads([("medan.md", b"# Medan\n\nMedan and Kuching signed a letter in 1990.\n")],
                                settings)
    assert outcome.error and "another ingest" in outcome.error
    assert [n for n, _ in outcome.interrupted] == ["medan.md"] and outcome.added == []
    assert (work_copy / "corpus" / "medan.md").exists()
    assert any("not indexed yet" in text for _, text in lib.upload_messages(outcome))


def test_tests_index_only_their_five_papers(tmp_path):
    """Item 4: a paper uploaded into the repository's corpus/ changes nothing the tests see."""
    from conftest import PAPERS, copy_corpus

    src = copy_corpus(tmp_path / "repo-corpus")
    (src / "uploaded through the UI.md").write_text("# Another paper\n\nText.\n", encoding="utf-8")
    dst = copy_corpus(tmp_path / "test-corpus", src=src)
    assert sorted(p.name for p in dst.iterdir()) == sorted(PAPERS + ("metadata.json",))


def test_filter_labels_are_short_distinct_and_end_with_an_ellipsis(built_index):
    snap = open_snapshot(built_index)
    labels = [h.filter_label(p) for p in snap.papers]
    assert len(set(labels)) == len(labels) == 5
    assert all(len(x) <= 72 for x in labels)  # whole words, enough of them to tell papers apart
    assert all(len(x.split()) >= 6 for x in labels)
    assert all("…" in x for x, p in zip(labels, snap.papers) if len(p["title"]) > 64)


def test_one_language_label_and_long_questions_as_kept():
    """Issue 23 item 8: "(Indonesian)" before every sentence becomes one line; a long question's
    bubble shows what the answerer kept."""
    text = "_(Quoted in Indonesian)_\n- Kota itu lambat [1]\n- Anggaran kurang [2]"  # as app.compose writes it
    assert h.one_language(text) == ("- Kota itu lambat [1]\n- Anggaran kurang [2]", "Indonesian")
    mixed = "_(Indonesian)_ Kota itu [1] The city was slow [2]"
    assert h.one_language(mixed) == (mixed, None)  # one sentence unlabelled: labels stay
    assert h.one_language("Plain [1]") == ("Plain [1]", None)
    q = "word " * 1200
    shown = h.shown_question(q, 2000)
    assert len(shown) <= 2002 and shown.endswith(" …") and h.shown_question("short?", 2000) == "short?"
