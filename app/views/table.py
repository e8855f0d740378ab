"""The Table page: the same questions asked of every paper, side by side (``app.table``).

Columns are the six presets of this field (checkable) and any question the user types; rows are
the papers chosen in the page's paper filter (all by default). "Fill the table" answers every
cell, each with the answerer focused on its row's paper, showing cells as they are computed; a
cell's ``[n]`` opens its quote in the paper (the chat's citation view: the quote in its passage
and paragraphs and, for a PDF, the printed page with the quote highlighted); "Full answer" asks
the same question of the same paper at the chat's length. Cells are kept for the session, so a
new column or paper computes only its own cells. Download as CSV or as Markdown (with references
and BibTeX). At phone width the columns stack: each cell then shows its question.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from sisterqa.app import ui_helpers as h
from sisterqa.app.table import CELL_SENTENCES, MAX_COLUMNS, NOT_STATED, PRESETS, build_table, cell_context
from sisterqa.ingest.errors import SisterQAError
from sisterqa.ingest.language import LANGUAGES

LABELS = {  # the presets' short names (the pills and the header); the question stays the column's text
    "cities": "Cities studied", "signed": "Agreement signed", "fields": "Fields of cooperation",
    "obstacles": "Obstacles", "method": "Research method", "recommendations": "Recommendations",
}
PRESET_QUESTIONS = [q for _, q in PRESETS]
SHORT = {q: LABELS[i] for i, q in PRESETS}

CSS = """<style>
.stMainBlockContainer, [data-testid="stMainBlockContainer"] { max-width: 100%; }
.st-key-sq-table [data-testid="stMarkdownContainer"] p { font-size: 0.86rem; line-height: 1.45; }
.st-key-sq-table .stButton button { min-height: 1.6rem; padding: 0 0.2rem; }
.sq-tq { display: none; color: #4b5563; font-size: 0.8rem; font-weight: 600; margin-bottom: -0.4rem; }
.sq-th { font-weight: 700; font-size: 0.88rem; }
.sq-th-q { color: #6b7280; font-size: 0.78rem; line-height: 1.3; }
.sq-paper { font-weight: 700; font-size: 0.88rem; line-height: 1.35; overflow-wrap: break-word; hyphens: auto; }
.sq-paper-meta { color: #6b7280; font-size: 0.8rem; }
[class*="st-key-tc-"] button p { color: #1d4ed8; font-weight: 700; }
@media (min-width: 641px) {
  [data-testid="stElementContainer"]:has(.sq-tq) { display: none; }
}
@media (max-width: 640px) {
  .st-key-sq-table-head { display: none; }
  .sq-tq { display: block; }
}
</style>"""


def _state() -> dict:
    return st.session_state.setdefault("table-state", {"cache": {}, "full": {}, "custom": [], "live": False})


def _label(q: str) -> str:
    return SHORT.get(q) or h.shorten(q, 48)


def _key(doc_id: str, question: str) -> str:
    return hashlib.sha1(f"{doc_id}\x00{question}".encode()).hexdigest()[:12]


def _add_column(state: dict) -> None:
    q = " ".join(str(st.session_state.get("table-new") or "").split())
    st.session_state["table-new"] = ""
    if not any(c.isalnum() for c in q):
        return
    if q not in PRESET_QUESTIONS and q not in state["custom"]:
        state["custom"].append(q)
    chosen = list(st.session_state.get("table-columns") or [])
    if q not in chosen and len(chosen) < MAX_COLUMNS:
        st.session_state["table-columns"] = chosen + [q]


def _fill(state: dict) -> None:
    state["live"] = True


def render(engine, s, lock) -> None:
    st.html(CSS)
    state = _state()
    st.title("Table")
    st.caption(
        "The same questions asked of every paper, side by side: each cell answers from its row's paper "
        "alone, in one or two of the paper's own sentences, each cited, or says the paper does not "
        "state it. Questions in English fill cells from Indonesian papers and the reverse."
    )
    papers = engine.snapshot.papers
    by_id = {p["doc_id"]: p for p in papers}
    options = PRESET_QUESTIONS + state["custom"]
    chosen_cols = st.pills(
        "Columns", options, selection_mode="multi", default=PRESET_QUESTIONS, key="table-columns",
        format_func=_label, help="Each column is a question asked of every paper. Add your own below.",
    ) or []
    with st.form("table-add", border=False, clear_on_submit=False):
        row = st.container(horizontal=True, vertical_alignment="bottom", gap="small")
        row.text_input("Add a column: a question for every paper", key="table-new",
                       placeholder="e.g. Who initiated the cooperation?", width="stretch")
        row.form_submit_button("Add column", icon=":material/add:", on_click=_add_column, args=(state,))
    chosen = [d for d in st.session_state.get("table-papers", []) if d in by_id]
    if chosen != st.session_state.get("table-papers", []):
        st.session_state["table-papers"] = chosen
    selected = st.multiselect("Rows: papers", list(by_id), key="table-papers", placeholder="All papers",
                              format_func=lambda d: h.filter_label(by_id[d], 40))
    questions = [q for q in options if q in chosen_cols]
    docs = selected or list(by_id)
    st.button("Fill the table", type="primary", icon=":material/table_view:", key="table-fill",
              on_click=_fill, args=(state,), disabled=not questions)
    if not questions:
        st.info("Choose at least one column.")
        return
    cache = state["cache"]
    version = str(engine.snapshot.path)
    have = {(d, q) for (v, d, q, *_), _ in cache.items() if v == version}
    missing = sum((d, q) not in have for d in docs for q in questions)
    if not state["live"] and missing == len(docs) * len(questions):
        st.caption(f"{len(docs)} papers × {len(questions)} questions: press Fill the table.")
        return
    downloads = st.empty()
    bar = st.progress(0.0, text="Answering…") if missing and state["live"] else None
    slots = _grid(engine, s, state, docs, questions, by_id)
    if missing and not state["live"]:
        st.caption(f"{missing} cells are not filled yet: press Fill the table.")
        return

    def progress(done: int, total: int, cell) -> None:
        slot = slots.get((cell.doc_id, cell.question))
        if slot is not None:  # a cell computed in this run: show it now
            with slot.container():
                _cell(engine, s, state, cell, by_id)
            slots.pop((cell.doc_id, cell.question))
        if bar is not None:
            title = h.shorten(by_id[cell.doc_id]["title"], 50)
            bar.progress(done / total, text=f"Answered {done} of {total}: {title} · {_label(cell.question)}")

    try:
        with lock:
            table = build_table(engine, questions, docs, progress=progress, cache=cache)
    except SisterQAError as e:
        st.error(h.md_escape(str(e)))
        return
    if bar is not None:
        bar.empty()
    stated = sum(c.stated for c in table.cells)
    with downloads.container():
        row = st.container(horizontal=True, gap="small", vertical_alignment="center")
        row.download_button("Download CSV", data=table.to_csv(), file_name="sisterqa-table.csv", mime="text/csv",
                            icon=":material/download:", key="table-csv",
                            help="One line per paper, a column per question; each cell's quotes' pages or sections "
                                 "in brackets.")
        row.download_button("Download Markdown", data=table.to_markdown(), file_name="sisterqa-table.md",
                            mime="text/markdown", icon=":material/download:", key="table-md",
                            help="The table, its numbered references and the papers as BibTeX.")
        row.caption(f"{len(table.rows)} papers × {len(table.columns)} questions · {stated} of "
                    f"{len(table.cells)} cells stated")


def _grid(engine, s, state, docs, questions, by_id) -> dict:
    """The table: a header, then one bordered row per paper; cells already computed are shown, the
    others are slots (returned, keyed by (doc_id, question)) that fill as they are computed."""
    version = str(engine.snapshot.path)
    cached = {(k[1], k[2]): c for k, c in state["cache"].items() if k[0] == version and k[3:] == (CELL_SENTENCES, "extractive")}
    spec = [1.5] + [2] * len(questions)
    slots = {}
    with st.container(key="sq-table"):
        with st.container(border=True, key="sq-table-head"):
            cols = st.columns(spec, gap="small")
            cols[0].html('<div class="sq-th">Paper</div>')
            for col, q in zip(cols[1:], questions):
                sub = "" if q not in SHORT else f'<div class="sq-th-q">{h.html_text(q)}</div>'
                col.html(f'<div class="sq-th">{h.html_text(_label(q) if q in SHORT else q)}</div>{sub}')
        for d in docs:
            p = by_id[d]
            with st.container(border=True, key=f"sq-row-{_key(d, '')}"):
                cols = st.columns(spec, gap="small")
                meta = " · ".join(x for x in (str(p.get("year") or "n.d."),
                                              LANGUAGES.get(p.get("language"), p.get("language") or "")) if x)
                cols[0].html(f'<div class="sq-paper">{h.html_text(h.shorten(p["title"], 110))}</div>'
                             f'<div class="sq-paper-meta">{h.html_text(meta)}</div>')
                for col, q in zip(cols[1:], questions):
                    with col:
                        st.html(f'<div class="sq-tq">{h.html_text(q)}</div>')
                        cell = cached.get((d, q))
                        if cell is not None:
                            _cell(engine, s, state, cell, by_id)
                        else:
                            slot = st.empty()
                            slot.caption("…")
                            slots[(d, q)] = slot
    return slots


def _cell(engine, s, state, cell, by_id) -> None:
    """One cell: its text (the quotes with their [n]), then a button per [n] and "Full answer"."""
    key = _key(cell.doc_id, cell.question)
    if cell.stated:
        st.markdown(h.answer_markdown(cell.text, [c.quote for c in cell.citations]))
    else:
        st.markdown(f":gray[{h.md_escape(NOT_STATED)}]")
    row = st.container(horizontal=True, gap=None, key=f"sq-cell-{key}")
    for c in cell.citations:
        if row.button(f"[{c.n}]", key=f"tc-{key}-{c.n}", type="tertiary",
                      help="Show this quote in the paper"):
            _citation_dialog(engine, s, cell, c.n)
    if row.button("Full answer", key=f"tf-{key}", type="tertiary", icon=":material/open_in_full:",
                  help="The same question asked of this paper, answered at the chat's length"):
        _full_dialog(engine, s, state, cell, by_id)


@st.dialog("In the paper", width="large")
def _citation_dialog(engine, s, cell, n: int) -> None:
    from sisterqa.app.page_view import citation_pages

    answer = cell.answer
    st.caption(h.md_escape(f"{cell.question} · {h.shorten(engine.snapshot.paper_meta(cell.doc_id)['title'], 90)}"))
    views = [v for v in h.citation_views(answer, engine.snapshot) if v.n == n]
    pages = citation_pages(answer, engine.snapshot, s.root, s.build.limits.memory_mb)
    for cv in views:
        _card(cv, pages.get(cv.n), open_paper=True)


@st.dialog("Full answer", width="large")
def _full_dialog(engine, s, state, cell, by_id) -> None:
    from sisterqa.app.page_view import citation_pages

    title = by_id.get(cell.doc_id, {}).get("title", cell.doc_id)
    st.markdown(f"**{h.md_escape(cell.question)}**")
    st.caption(h.md_escape(f"From {h.shorten(title, 100)} alone"))
    key = (str(engine.snapshot.path), cell.doc_id, cell.question)
    answer = state["full"].get(key)
    if answer is None:
        try:
            with st.spinner("Answering…"):
                answer = engine.answer(cell.question, (), doc_ids={cell.doc_id}, mode="extractive",
                                       about=cell_context(engine.snapshot, cell.doc_id))
        except SisterQAError as e:
            st.error(h.md_escape(str(e)))
            return
        state["full"][key] = answer
    if answer.abstained:
        st.markdown(h.md_escape(NOT_STATED))
        return
    st.markdown(h.answer_markdown(answer.text, [c.quote for c in answer.citations]))
    pages = citation_pages(answer, engine.snapshot, s.root, s.build.limits.memory_mb)
    for cv in h.citation_views(answer, engine.snapshot):
        _card(cv, pages.get(cv.n), open_paper=False)


def _card(cv, shot, open_paper: bool) -> None:
    """A citation as the chat shows it: [n], title, where; the quote highlighted in its passage; in
    its paragraphs of the paper; and for a PDF, the page as printed with the quote highlighted."""
    from sisterqa.app.page_view import render_page

    meta = " · ".join(str(x) for x in (cv.year or "n.d.", cv.section, f"p. {cv.page}" if cv.page else "") if x)
    in_paper = (
        f'<div class="sq-head sq-meta">In the paper · '
        f'{h.html_text(h.where(cv.section, cv.page) or "before the first heading")}'
        f' · {h.html_text(cv.context_note)}</div><div class="sq-text">{cv.context_html}</div>'
    )
    with st.container(border=True):
        st.html(
            f'<div class="sq-head"><span class="sq-n">[{cv.n}]</span><b>{h.html_text(cv.title)}</b> '
            f'<span class="sq-meta">· {h.html_text(meta)}</span></div>'
            f'<div class="sq-text sq-snippet">{cv.snippet_html}</div>'
        )
        if open_paper:
            st.html(f'<div class="sq-context">{in_paper}</div>')
            if shot is not None:
                st.image(render_page(shot), caption=f"Page {shot.page}, as printed", width="stretch")
        else:
            with st.expander("In the paper", icon=":material/menu_book:"):
                st.html(f'<div class="sq-context">{in_paper}</div>')
                if shot is not None:
                    st.image(render_page(shot), caption=f"Page {shot.page}, as printed", width="stretch")
