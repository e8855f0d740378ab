"""The sisterqa chat app: a thin Streamlit shell over Engine / ChatSession.

Run it with ``sisterqa ui`` (or ``streamlit run app/ui.py -- --index-dir DIR``).
The index directory comes from ``--index-dir``, ``SISTERQA_INDEX_DIR`` or
``sisterqa.toml`` like every other command; the corpus folder from
``SISTERQA_CORPUS_DIR`` (default ``corpus``).

Paper text is never rendered as HTML or Markdown: it is escaped by the
helpers in ``app/ui_helpers.py`` before any markup is added.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from sisterqa.app import export, library
from sisterqa.app import ui_helpers as h
from sisterqa.app.answer import Answer
from sisterqa.app.confidence import words as confidence_words
from sisterqa.app.page_view import citation_pages, page_height, page_html, quote_span, render_band, render_page
from sisterqa.app.session import MAX_QUESTION_CHARS, ChatSession, Engine
from sisterqa.app.settings import Settings, load_settings
from sisterqa.index.errors import IndexMissing
from sisterqa.ingest.errors import SisterQAError

log = logging.getLogger("sisterqa.ui")

EXAMPLES = [
    "Why did the cooperation between South Tangerang and Daejeon stall?",
    "Mengapa Tangerang Selatan memilih Daejeon sebagai mitra sister city?",
    "Compare the smart city cooperation of Bandung–Seoul and Magelang–Tula.",
]

CSS = """<style>
.sq-head { font-size: 0.92rem; margin-bottom: 0.35rem; line-height: 1.4; }
.sq-n { display: inline-block; min-width: 1.9rem; font-weight: 700; color: #1d4ed8; }
.sq-meta { color: #6b7280; }
.sq-text { font-size: 0.9rem; line-height: 1.55; white-space: pre-wrap; overflow-wrap: anywhere;
           color: #1f2937; }
.sq-snippet { border-left: 3px solid #cbd5e1; padding-left: 0.7rem; }
.sq-text mark { background: #fde68a; color: inherit; padding: 0.05rem 0.1rem; border-radius: 2px; }
.sq-peek { display: none; }
.sq-card:target ~ .sq-peek { display: block; margin-top: 0.7rem; }
.sq-context, .sq-peek { border: 1px solid #e5e7eb; border-radius: 0.5rem; padding: 0.8rem 1rem;
              background: #fafafa; }
.sq-context .passage, .sq-peek .passage { background: #e0ecff; border-radius: 2px; }
.sq-hit { border-bottom: 1px solid #eef0f3; padding: 0.45rem 0; }
.sq-scores { font-family: ui-monospace, monospace; font-size: 0.78rem; color: #4b5563; }
.sq-cited { color: #1d4ed8; font-weight: 600; }
/* An inline [n] links to its citation's card: the card scrolls into view and is outlined. */
.sq-card { scroll-margin-top: 5rem; }
.sq-card:target { outline: 2px solid #1d4ed8; outline-offset: 4px; border-radius: 0.3rem; }
/* Paper titles in the filter: the list shows each label whole (wrapped); a chosen paper's tag is cut
   with an ellipsis, never mid-letter. */
[data-testid="stMultiSelectDropdown"] [role="option"] > div { white-space: normal; overflow-wrap: anywhere; }
[data-testid="stMultiSelect"] [data-baseweb="tag"] span {
    text-overflow: ellipsis; white-space: nowrap; overflow: hidden; }
/* Example questions: whole, left-aligned, wrapped on narrow screens. */
.st-key-examples button p { white-space: normal; text-align: left; }
/* The PDF page view: the page as wide as the reading pane, zoomable inside its own box. */
.sq-pagebox { overflow: auto; border: 1px solid #e5e7eb; border-radius: 0.5rem; background: #f3f4f6;
              margin: 0.3rem 0 0.6rem 0; }
.sq-pagebox.sq-whole { max-height: 80vh; }
.sq-pageinner { position: relative; min-width: 100%; }
.sq-pageinner img { display: block; width: 100%; height: auto; }
.sq-snap { position: absolute; left: 0; width: 1px; height: 1px; }
/* The upload limit is said once, in the uploader's label (Streamlit adds "50MB per file"). */
[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }
</style>"""


# Installed once in the page (from a zero-height component, which may reach its parent page): an
# inline [n] scrolls to its card and keeps it there while the card's "in the paper" view opens
# (Streamlit keeps a chat scrolled to the bottom pinned there as it grows, which used to carry the
# view back to the end of the page), and a whole-page PDF view opens scrolled to the quote.
SCROLL_JS = """<script>
// Runs in the page itself (a script element added to it), not in this frame: a frame's listeners
// stop when Streamlit replaces the frame at the next rerun.
(function () {
  const doc = window.parent.document;
  if (doc.getElementById("sisterqa-scroll")) return;
  const s = doc.createElement("script");
  s.id = "sisterqa-scroll";
  s.textContent = "(" + function () {
    function release(el) {  // as a reader's wheel scrolling up would: Streamlit lets go of the bottom
      el.dispatchEvent(new WheelEvent("wheel", {deltaY: -120, bubbles: true, cancelable: true}));
    }
    let settling = 0;  // the current settle loop's number; a reader's own scrolling ends it
    ["wheel", "touchstart", "keydown", "mousedown"].forEach(function (kind) {
      window.addEventListener(kind, function (e) { if (e.isTrusted) settling += 1; }, true);
    });
    function settle(card) {  // keep the card in view while its view opens below it (at most 4 s)
      const t0 = performance.now(), me = ++settling;
      let still = 0;
      function step() {
        if (me !== settling) return;
        const top = card.getBoundingClientRect().top;
        if (top < 40 || top > 160) {
          release(card);
          card.scrollIntoView({block: "start"});
          still = 0;
        } else {
          still += 1;
        }
        const t = performance.now() - t0;
        if (t < 4000 && (t < 600 || still < 20)) window.requestAnimationFrame(step);
      }
      window.requestAnimationFrame(step);
    }
    document.addEventListener("click", function (e) {
      const a = e.target.closest && e.target.closest('a[href*="#sq-cite-"]');
      if (!a) return;
      const id = a.getAttribute("href").split("#").pop();
      const card = document.getElementById(id);
      if (!card) return;
      e.preventDefault();
      e.stopPropagation();
      // A fragment navigation, so that the card's :target view opens (CSS); then the card is kept in
      // view while that view and its page image open below it.
      // First release Streamlit's hold on the bottom of the chat, else it carries the view back down
      // as the card opens below it.
      release(card);
      if (window.location.hash === "#" + id) window.history.replaceState(null, "", "#");
      window.location.hash = id;
      card.scrollIntoView({block: "start"});
      settle(card);
    }, true);
    function toQuote() {
      document.querySelectorAll(".sq-whole:not([data-sq-done])").forEach(function (box) {
        const mark = box.querySelector(".sq-snap"), img = box.querySelector("img");
        if (!mark || !img) return;
        const go = function () {
          box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight * 0.25);
          box.setAttribute("data-sq-done", "1");
        };
        if (img.complete && img.naturalHeight) go(); else img.addEventListener("load", go, {once: true});
      });
    }
    function toResults() {  // what an upload or "Update the index" did: scrolled into view, once
      const box = document.querySelector(".st-key-ingest-messages:not([data-sq-done])");
      if (!box) return;
      box.setAttribute("data-sq-done", "1");
      box.scrollIntoView({block: "start"});
    }
    new MutationObserver(function () { toQuote(); toResults(); })
      .observe(document.body, {childList: true, subtree: true});
    toQuote();
  } + ")();";
  doc.head.appendChild(s);
})();
</script>"""


@dataclass
class Turn:
    """One question and its answer, with what the UI shows captured at answer time."""

    question: str
    answer: Answer
    cites: list[h.CitationView]
    hits: list[h.HitView]
    scope: str = ""  # "all papers" or the chosen papers
    pages: dict = field(default_factory=dict)  # citation n → page_view.PageShot, for PDFs


@dataclass
class UIState:
    """What one browser session keeps between reruns."""

    chat: ChatSession | None = None
    turns: list[Turn] = field(default_factory=list)
    open: set = field(default_factory=set)  # (turn index, n) of citations shown in their paper
    upload_gen: int = 0
    messages: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) from the last ingest
    export_slot: object = None  # the sidebar placeholder of "Download the conversation"


# ---------------------------------------------------------------- engine, once per process


def settings_from_args(argv: list[str]) -> Settings:
    """Settings from ``--index-dir DIR`` after ``--`` on the streamlit command line, env, config."""
    flags = {}
    for i, arg in enumerate(argv):
        if arg == "--index-dir" and i + 1 < len(argv):
            flags["index_dir"] = argv[i + 1]
        elif arg.startswith("--index-dir="):
            flags["index_dir"] = arg.split("=", 1)[1]
    return load_settings(flags)


@st.cache_resource(show_spinner=False)
def _engine(key: str, _settings: Settings) -> Engine:
    engine = Engine(_settings)
    engine.searcher.embed_query("warm up")  # load the embedding model now, not on the first question
    return engine


@st.cache_resource(show_spinner=False)
def _lock(key: str) -> threading.RLock:
    """One engine call at a time per index (sessions run in threads; the model is shared)."""
    return threading.RLock()


def engine_key(s: Settings) -> str:
    return "|".join(map(str, (Path(s.index_dir).resolve(), s.search, s.llm.base_url, s.llm.model)))


def get_engine(s: Settings) -> Engine:
    """The process's engine for this index, refreshed if a new index was published."""
    key = engine_key(s)
    with st.spinner("Loading the index and the embedding model…"):
        engine = _engine(key, s)
    with _lock(key):
        try:
            engine.refresh()
        except IndexMissing:
            _engine.clear()
            raise
    return engine


# ---------------------------------------------------------------- ingest with a progress bar


def progress_callback(bar):
    """An ingest progress callback that drives ``bar`` (an st.progress).

    If the browser session goes away (tab closed) or reruns while ingest runs,
    Streamlit raises a stop/rerun request from the next ``bar`` update; it is
    held back here (in ``update.held``) so the ingest finishes and publishes
    its index anyway. (With Streamlit's fast reruns, a rerun stops this run
    and starts a new one at once, which answers a question typed meanwhile;
    a held rerun request is raised afterwards by ``resume``.)
    """

    def update(stage: str, done: int, total: int, detail: str):
        if update.held is not None:
            return
        try:
            _update(stage, done, total, detail)
        except (StopException, RerunException) as e:
            update.held = e
            log.info("the session stopped or reran during an ingest; the ingest goes on")

    def _update(stage: str, done: int, total: int, detail: str):
        frac = done / total if total else 0.0
        name = h.md_escape(Path(detail).name) if detail else ""
        if stage == "read":
            value, text = 0.1 * frac, f"Reading {name}"
        elif stage == "load model":
            value, text = 0.1, "Loading the embedding model"
        elif stage == "embed":
            value, text = 0.1 + 0.85 * frac, f"Embedding {name}: {done} of {total} passages and sentences"
        elif stage == "index":
            value, text = 0.96, "Building the vector index"
        else:
            value, text = 1.0, "Done"
        bar.progress(min(1.0, max(0.0, value)), text=text)

    update.held = None
    return update


def resume(progress) -> None:
    """Raise the rerun request held back during an ingest, or rerun now."""
    if isinstance(progress.held, RerunException):
        raise progress.held
    st.rerun()


def run_ingest(s: Settings, ui: UIState, full: bool = False):
    """Ingest the corpus folder with a progress bar; the outcome goes to ``ui.messages``.

    Returns the progress callback (for ``resume``)."""
    bar = st.progress(0.0, text="Looking for new or changed papers…")
    progress = progress_callback(bar)
    try:
        ui.messages = library.update_index(s, full=full, progress=progress)
    finally:
        try:
            bar.empty()
        except (StopException, RerunException):
            pass
    return progress


def add_uploaded(files, s: Settings, ui: UIState):
    """Save, check and ingest the uploaded files; one message per file.

    Returns the progress callback (for ``resume``)."""
    bar = st.progress(0.0, text="Checking the files…")
    progress = progress_callback(bar)
    try:
        outcome = library.add_uploads([(f.name, f.getvalue()) for f in files], s, progress=progress)
    finally:
        try:
            bar.empty()
        except (StopException, RerunException):
            pass
    ui.messages = ([("error", f"Not indexed: {outcome.error}")] if outcome.error else []) \
        + library.upload_messages(outcome)
    return progress


def show_messages(ui: UIState, where) -> None:
    for kind, text in ui.messages:
        getattr(where, kind)(h.md_escape(text))


# ---------------------------------------------------------------- sidebar


def sidebar(engine: Engine, s: Settings, ui: UIState):
    """The corpus panel; returns (doc_ids or None, mode or None)."""
    sb = st.sidebar
    sb.title("sisterqa")
    sb.caption("Cited answers from research papers on sister-city cooperation.")
    sb.button("New chat", icon=":material/add_comment:", on_click=_new_chat, args=(ui,),
              width="stretch", key="new-chat")

    mode = None
    if s.llm.configured:
        mode = sb.radio(
            "Answer mode", ["llm", "extractive"], key="mode", horizontal=True,
            format_func=lambda m: {"llm": "LLM (generated, cited)", "extractive": "Extractive"}[m],
            help="Extractive answers are built from the papers' own sentences; LLM answers are "
                 f"written by {s.llm.model} from the same passages.",
        )

    papers = engine.snapshot.papers
    by_id = {p["doc_id"]: p for p in papers}
    chosen = [d for d in st.session_state.get("papers", []) if d in by_id]
    if chosen != st.session_state.get("papers", []):
        st.session_state["papers"] = chosen
    sb.subheader(f"Papers ({len(papers)})")
    selected = sb.multiselect(
        "Answer only from", list(by_id), key="papers", placeholder="All papers",
        format_func=lambda d: h.filter_label(by_id[d]),
    )
    for p in papers:
        year = p.get("year") or "n.d."
        lang = h.language_name(p.get("language"))
        mark = "✓ " if p["doc_id"] in selected else ""
        sb.markdown(
            f"{mark}**{h.md_escape(h.shorten(p['title'], 110))}**  \n"
            f":gray[{year} · {lang} · {_plural(p.get('chunks', 0), 'passage')}]"
        )

    sb.subheader("Add papers")
    limit = h.size_text(s.build.max_bytes)
    files = sb.file_uploader(  # no type=: Streamlit's own check of it fails the session on a NUL in a
        # name before this script runs; add_uploads checks types itself ("unsupported file type …")
        f"PDF, TXT or Markdown files, at most {limit} each", type=None,
        accept_multiple_files=True, key=f"upload-{ui.upload_gen}",
        help=f"Saved into {s.corpus_dir}/ first, then indexed.",
    )
    with sb:
        if st.button("Add to the corpus", disabled=not files, key="add-files", type="primary"):
            progress = add_uploaded(files, s, ui)
            ui.upload_gen += 1
            _refresh(engine, s)
            resume(progress)
        if st.button(f"Update the index from {Path(s.corpus_dir).name}/", key="update-index",
                     help="Index papers put into the corpus folder by hand (only new or changed ones)."):
            progress = run_ingest(s, ui)
            _refresh(engine, s)
            resume(progress)
    ui.export_slot = sb.empty()
    conversation_download(engine, ui)
    return (set(selected) if selected else None), mode


def conversation_download(engine: Engine, ui: UIState) -> None:
    """The sidebar's "Download the conversation" button (in its slot, so a new answer adds it)."""
    if not ui.turns or ui.export_slot is None:
        return
    with ui.export_slot.container():
        st.download_button(
            "Download the conversation", data=export.conversation_markdown(
                [t.answer for t in ui.turns], engine.snapshot),
            file_name="sisterqa-conversation.md", mime="text/markdown", icon=":material/download:",
            key=f"download-chat-{len(ui.turns)}",
            help="Every question and answer, with references and BibTeX (Markdown).",
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _refresh(engine: Engine, s: Settings) -> None:
    with _lock(engine_key(s)):
        engine.refresh()


def _new_chat(ui: UIState) -> None:
    if ui.chat is not None:
        ui.chat.reset()
    ui.turns.clear()
    ui.open.clear()


def _toggle(ui: UIState, key: tuple[int, int]) -> None:
    ui.open.symmetric_difference_update({key})


def _ask_example(question: str) -> None:
    st.session_state["pending"] = question


# ---------------------------------------------------------------- chat


def media_url(data: bytes, key: str, mimetype: str = "image/png") -> str:
    """A URL the browser loads ``data`` from: Streamlit's media files (sent once, not with every
    rerun's HTML); a data: URL where there is no Streamlit runtime."""
    try:
        from streamlit import runtime

        if runtime.exists():
            return runtime.get_instance().media_file_mgr.add(data, mimetype, key)
    except Exception:  # noqa: BLE001 - a missing or changed internal API: inline the image instead
        log.debug("media file manager unavailable", exc_info=True)
    import base64

    return f"data:{mimetype};base64," + base64.b64encode(data).decode("ascii")


def render_page_view(i: int, cv: h.CitationView, shot, where) -> None:
    """The opened page view of a PDF citation: around the quote (default) or the whole page, at a
    zoom; always as wide as the reading pane, the quote in view."""
    box = where.container(key=f"pageview-{i}-{cv.n}")
    row = box.container(horizontal=True, gap="small", vertical_alignment="center")
    whole = row.segmented_control("Page view", ["Around the quote", "Whole page"], default="Around the quote",
                                  key=f"pv-mode-{i}-{cv.n}", label_visibility="collapsed") == "Whole page"
    zoom = row.segmented_control("Zoom", [100, 150, 200], default=100, format_func=lambda z: f"{z} %",
                                 key=f"pv-zoom-{i}-{cv.n}", label_visibility="collapsed") or 100
    alt = f"Page {shot.page} of {cv.title}, the quote highlighted"
    if whole:
        top = quote_span(shot, page_height(shot))[0]
        html = page_html(media_url(render_page(shot, 1400), f"sq-page-{i}-{cv.n}"), top=top, zoom=zoom,
                         whole=True, alt=alt)
    else:
        band, _, _ = render_band(shot)
        html = page_html(media_url(band, f"sq-band-{i}-{cv.n}-open"), zoom=zoom, whole=False, alt=alt)
    box.html(html)
    box.caption(h.md_escape(f"Page {shot.page}, as printed" + ("" if whole else " (the part around the quote)")))


def render_citation(i: int, cv: h.CitationView, ui: UIState, shot=None) -> None:
    meta = " · ".join(str(x) for x in (cv.year or "n.d.", cv.section, f"p. {cv.page}" if cv.page else "") if x)
    is_open = (i, cv.n) in ui.open
    in_paper = (
        f'<div class="sq-head sq-meta">In the paper · '
        f'{h.html_text(h.where(cv.section, cv.page) or "before the first heading")}'
        f' · {h.html_text(cv.context_note)}</div>'
        f'<div class="sq-text">{cv.context_html}</div>'
    )
    page_peek = ""
    if shot is not None and not is_open:  # an inline [n] opens the page too: the part around the quote
        band, _, _ = render_band(shot)
        page_peek = (f'<div class="sq-head sq-meta">Page {shot.page}, as printed</div>'
                     + page_html(media_url(band, f"sq-band-{i}-{cv.n}"), whole=False,
                                 alt=f"Page {shot.page} of {cv.title}, the quote highlighted"))
    with st.container(border=True):
        st.html(
            f'<div class="sq-head sq-card" id="{h.cite_anchor(i, cv.n)}"><span class="sq-n">[{cv.n}]</span><b>{h.html_text(cv.title)}</b> '
            f'<span class="sq-meta">· {h.html_text(meta)}</span></div>'
            f'<div class="sq-text sq-snippet">{cv.snippet_html}</div>'
            # Opened in the browser, without a round trip, when the answer's [n] link targets the card.
            + ("" if is_open else f'<div class="sq-peek">{page_peek}{in_paper}</div>')
        )
        row = st.container(horizontal=True, gap="small")
        row.button("Hide paper" if is_open else "Show in paper", key=f"show-{i}-{cv.n}", type="tertiary",
                   icon=":material/menu_book:", on_click=_toggle, args=(ui, (i, cv.n)))
        with row.popover("Copy reference", icon=":material/content_copy:", type="tertiary"):
            st.code(cv.reference, language=None, wrap_lines=True)
        if is_open:
            if shot is not None:  # a PDF: the page itself, first, the quote highlighted where it is printed
                render_page_view(i, cv, shot, st)
            st.html(f'<div class="sq-context">{in_paper}</div>')


def render_hits(hits: list[h.HitView]) -> None:
    parts = []
    for hv in hits:
        cited = (f' <span class="sq-cited">cited {" ".join(f"[{n}]" for n in hv.cited)}</span>'
                 if hv.cited else "")
        parts.append(
            f'<div class="sq-hit"><div class="sq-head"><b>#{hv.rank}</b> {h.html_text(h.shorten(hv.title, 90))}'
            f' <span class="sq-meta">· {h.html_text(h.where(hv.section, hv.page))}</span>{cited}<br>'
            f'<span class="sq-scores">{h.html_text(h.format_scores(hv.scores))}</span></div>'
            f'<div class="sq-text">{hv.text_html}</div></div>'
        )
    if parts:
        st.html("".join(parts))


def render_turn(i: int, turn: Turn, ui: UIState) -> None:
    a = turn.answer
    if a.abstained:
        st.warning(confidence_words(a.confidence, True), icon=":material/search_off:")
        st.markdown(h.md_escape(a.text))
        if turn.hits:
            st.caption("The nearest passages:")
            render_hits(turn.hits[:3])
    else:
        said = confidence_words(a.confidence, False)
        direct = said.startswith("The papers answer")
        (st.success if direct else st.info)(
            said + (f" (confidence {a.confidence:.0%})" if a.confidence is not None else ""),
            icon=":material/task_alt:" if direct else ":material/rule:")
        text, language = h.one_language(a.text)
        if language:  # every quote is in the same other language: said once, not before each sentence
            st.caption(h.md_escape(f"Quoted in {language}, the language of the paper"
                                   + ("s" if len({c.doc_id for c in a.citations}) > 1 else "") + "."))
        st.markdown(h.answer_markdown(text, [c.quote for c in a.citations], turn=i))
    if a.notice:
        st.caption(h.md_escape(f"Note: {a.notice}"))
    if a.unsupported:
        st.warning(h.md_escape("Not supported by a citation: " + " / ".join(a.unsupported)))
    total = a.timings.get("total")
    bits = [f"{a.mode} answer", turn.scope] + ([f"{total / 1000:.1f} s"] if total else [])
    st.caption(h.md_escape(" · ".join(b for b in bits if b)))
    for cv in turn.cites:
        render_citation(i, cv, ui, turn.pages.get(cv.n))
    if a.citations:
        st.download_button(
            "Download", data=_answer_export(a), file_name=f"sisterqa-answer-{i + 1}.md",
            mime="text/markdown", icon=":material/download:", type="tertiary", key=f"download-{i}",
            help="This answer with its numbered references and BibTeX (Markdown).",
        )
    with st.expander("Why these passages", icon=":material/manage_search:"):
        st.caption(
            "The passages retrieved for "
            + h.md_escape(f"“{a.retrieval_query or a.question}”")
            + ", best first, with each signal's score (dense: cosine similarity of the "
              "multilingual embeddings; bm25: keyword match; fused: the combined rank score)."
        )
        render_hits(turn.hits)


def _answer_export(answer: Answer) -> str:
    """The answer as Markdown, with the papers' metadata as the index has it now."""
    engine = st.session_state["ui"].chat.engine
    return export.answer_markdown(answer, engine.snapshot)


def ask(question: str, engine: Engine, s: Settings, ui: UIState, doc_ids, mode) -> None:
    if not question.strip():
        st.error("The question is empty; ask something about the papers.")
        return
    bubble = st.empty()
    with bubble.container():
        with st.chat_message("user"):  # as the answerer kept it: the note below says it was cut
            st.markdown(h.md_escape(h.shown_question(question, MAX_QUESTION_CHARS)))
    with st.chat_message("assistant"):
        try:
            with st.spinner("Searching the papers…"):
                with _lock(engine_key(s)):
                    answer = ui.chat.ask(question, doc_ids=doc_ids, mode=mode)
                    snap = engine.snapshot
                    turn = Turn(
                        question=answer.question, answer=answer,
                        cites=h.citation_views(answer, snap), hits=h.hit_views(answer, snap),
                        scope=_scope(doc_ids, snap),
                        pages=citation_pages(answer, snap, s.root, s.build.limits.memory_mb),
                    )
        except SisterQAError as e:
            bubble.empty()  # no user bubble for a question that was not asked
            st.error(h.md_escape(str(e)))
            return
        ui.turns.append(turn)
        render_turn(len(ui.turns) - 1, turn, ui)
    conversation_download(engine, ui)


def _scope(doc_ids, snap) -> str:
    if not doc_ids:
        return "all papers"
    titles = [h.shorten(snap.paper_meta(d)["title"], 40) for d in sorted(doc_ids)]
    return "only " + "; ".join(titles)


def welcome() -> None:
    st.markdown(
        "Ask about the papers on sister-city cooperation, in English or Indonesian. Every "
        "sentence of an answer cites the passage it comes from; follow-up questions keep the context."
    )
    with st.container(key="examples"):  # one a line, each shown whole (and as its tooltip)
        for q in EXAMPLES:
            st.button(q, key=f"example-{q}", on_click=_ask_example, args=(q,), width="stretch", help=q,
                      icon=":material/chat_bubble:")


def no_index(s: Settings, ui: UIState, error: SisterQAError) -> None:
    """No usable index: say why and offer to build it."""
    st.title("sisterqa")
    missing = isinstance(error, IndexMissing)
    if missing:
        st.info(h.md_escape(f"There is no index yet in {s.index_dir}. Build it from the papers in "
                            f"{s.corpus_dir}/ to start asking."), icon=":material/info:")
    else:
        st.error(h.md_escape(str(error)))
    label = "Build the index" if missing else "Rebuild the index"
    if st.button(label, type="primary", key="build-index"):
        progress = run_ingest(s, ui, full=not missing)
        _engine.clear()
        resume(progress)
    show_messages(ui, st)


def chat_page(engine: Engine, s: Settings, ui: UIState) -> None:
    """The chat: the corpus panel in the sidebar, the conversation, the question box."""
    if ui.chat is None:
        ui.chat = ChatSession(engine)
    ui.chat.engine = engine
    doc_ids, mode = sidebar(engine, s, ui)
    question = st.chat_input("Ask about the papers, in English or Indonesian") or st.session_state.pop(
        "pending", None)  # (the box stays pinned to the bottom of the page)
    if question:
        ui.messages = []  # a new question: the last upload's report has been seen
    if ui.messages:  # what the last upload or index update did, at the top where it is seen
        with st.container(key="ingest-messages"):
            show_messages(ui, st)
    intro = st.empty()
    if not ui.turns:
        with intro.container():
            welcome()
    for i, turn in enumerate(ui.turns):
        with st.chat_message("user"):
            st.markdown(h.md_escape(h.shown_question(turn.question, MAX_QUESTION_CHARS)))
        with st.chat_message("assistant"):
            render_turn(i, turn, ui)
    if question:
        intro.empty()
        ask(question, engine, s, ui, doc_ids, mode)
    import streamlit.components.v1 as components

    components.html(SCROLL_JS, height=0)


def main() -> None:
    st.set_page_config(page_title="sisterqa", page_icon=":material/forum:", layout="centered")
    st.html(CSS)
    ui: UIState = st.session_state.setdefault("ui", UIState())
    s = settings_from_args(sys.argv[1:] if Path(sys.argv[0]).name == "ui.py" else [])
    try:
        engine = get_engine(s)
    except SisterQAError as e:
        no_index(s, ui, e)
        return
    from sisterqa.app.views import papers, quality, table

    pages = [
        st.Page(lambda: chat_page(engine, s, ui), title="Chat", icon=":material/forum:",
                url_path="chat", default=True),
        st.Page(lambda: table.render(engine, s, _lock(engine_key(s))), title="Table",
                icon=":material/table_view:", url_path="table"),
        st.Page(lambda: papers.render(engine, s, _lock(engine_key(s))), title="Papers",
                icon=":material/library_books:", url_path="papers"),
        st.Page(lambda: quality.render(s), title="Quality", icon=":material/monitoring:",
                url_path="quality"),
    ]
    st.navigation(pages).run()


def run() -> None:
    """Run the app; typed errors become messages and no traceback reaches the page."""
    try:
        main()
    except SisterQAError as e:
        st.error(h.md_escape(str(e)))
    except Exception as e:  # noqa: BLE001 - the last guard: log it, show one line
        log.exception("sisterqa ui failed")
        st.error(f"Something went wrong ({type(e).__name__}); the details are in the server log.")


run()
