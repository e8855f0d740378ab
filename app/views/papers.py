"""The Papers page: every indexed paper's metadata, correctable in place; copies, removal, trash.

A correction is saved to the ``metadata.json`` beside the paper
(``app.metadata``) and an incremental ingest publishes it without embedding
anything again; the chat, the citations, the exports and ``sisterqa docs``
show it at once. A file found to be a copy of a paper (its PDF, say) is
listed under that paper with "Replace"; "Remove" asks first, then moves the
paper's file to the trash beside the corpus folder, and "Undo" (or the
trash list) puts it back. Every action is ``app.library``'s.
"""

from __future__ import annotations

import streamlit as st

from sisterqa.app import library
from sisterqa.app import ui_helpers as h
from sisterqa.app.references import TYPES, paper_type
from sisterqa.ingest.language import LANGUAGES


def render(engine, s, lock) -> None:
    st.title("Papers")
    st.caption(
        "The papers in the index and what citations and exports say about them. Correct a title, "
        "the authors, the year, the language, the type, the venue, the DOI here: it is saved to the paper's "
        "metadata.json and shown everywhere at once, without embedding anything again."
    )
    for kind, text in st.session_state.pop("papers-messages", []):
        getattr(st, kind)(h.md_escape(text))
    undo = st.session_state.get("papers-undo")
    if undo and st.button(f"Undo: put {undo['name']} back", icon=":material/undo:", key="undo-remove"):
        st.session_state.pop("papers-undo", None)
        _act(lambda: library.restore_paper(s, undo["id"]), engine, lock, "Putting it back and indexing it…")
    copies = library.waiting_copies(s)
    for p in engine.snapshot.papers:
        _paper_form(p, engine, s, lock, copies.get(p["doc_id"], []))
    _trash(engine, s, lock)
    _refused(s)


def _refused(s) -> None:
    """The files ingest refused (index/refused.py), while they are still there."""
    from pathlib import Path

    from sisterqa.index import refused

    rows = [r for r in refused.listed(s.index_dir) if (Path(s.root) / str(r.get("path", ""))).exists()]
    if rows:
        st.subheader("Refused files")
        st.caption("Files in the corpus folder that ingest refused. They are not read again until they change "
                   "(or the limits do); the other papers are indexed as usual.")
        for r in rows:
            st.error(h.md_escape(f"{r['path']}: {r['reason']}"), icon=":material/block:")


def _act(action, engine, lock, spinner: str, undo: dict | None = None) -> None:
    """Run a library action (it ingests), refresh the engine, show its messages after the rerun."""
    from sisterqa.ingest.errors import SisterQAError

    try:
        with st.spinner(spinner):
            result = action()
    except SisterQAError as e:
        st.error(h.md_escape(str(e)))
        return
    msgs, item = result if isinstance(result, tuple) else (result, None)
    with lock:
        engine.refresh()
    st.session_state["papers-messages"] = msgs
    if undo is not None and item is not None:
        st.session_state["papers-undo"] = {"id": item["id"], "name": item["from"].rsplit("/", 1)[-1]}
    st.rerun()


def _copies(p: dict, copies: list[dict], engine, s, lock) -> None:
    """The files found to be copies of this paper, each with Replace and Move to the trash."""
    for c in copies:
        name = c["path"].rsplit("/", 1)[-1]
        share = f" ({c['overlap']:.0%} of the text in common)" if isinstance(c.get("overlap"), float) else ""
        with st.container(border=True, key=f"copy-{p['doc_id']}-{name}"):
            st.markdown(h.md_escape(f"{name} is a copy of this paper{share}; it is not indexed. Replace "
                                    f"{p['path'].rsplit('/', 1)[-1]} by it to keep this metadata and, for "
                                    "a PDF, show cited pages as printed."))
            row = st.container(horizontal=True, gap="small")
            if row.button(f"Replace by {name}", key=f"replace-{p['doc_id']}-{name}", type="primary",
                          icon=":material/swap_horiz:"):
                from pathlib import Path

                path = Path(c["path"]) if Path(c["path"]).is_absolute() else Path(s.root) / c["path"]
                _act(lambda: library.replace_paper(s, path), engine, lock, "Replacing and indexing…", undo={})


def _trash(engine, s, lock) -> None:
    items = library.trash_items(s)
    if not items:
        return
    with st.expander(h.md_escape(f"Trash ({len(items)}): {library.trash_dir(s).name}/"), icon=":material/delete:"):
        for i in items:
            c1, c2 = st.columns([4, 1], vertical_alignment="center")
            c1.markdown(h.md_escape(f"{h.shorten(i.get('title') or i['from'], 70)} · {i['from']} · removed "
                                    f"{i.get('removed', '')}"))
            if c2.button("Restore", key=f"restore-{i['id']}", icon=":material/restore_from_trash:"):
                _act(lambda: library.restore_paper(s, i["id"]), engine, lock, "Putting it back and indexing it…")


def _paper_form(p: dict, engine, s, lock, copies: list[dict] = ()) -> None:
    doc = p["doc_id"]
    year = p.get("year") or "n.d."
    label = f"{h.shorten(p['title'], 80)} ({year})" + (" · a copy is waiting" if copies else "")
    # Open while a copy waits for it, and after a Remove, Cancel or Save in it (a rerun would close it).
    keep_open = bool(copies) or st.session_state.get("papers-open") == doc
    with st.expander(h.md_escape(label), icon=":material/description:", expanded=keep_open):
        st.caption(h.md_escape(f"{p.get('path', '')} · {p.get('chunks', 0)} passages · {doc}"))
        _copies(p, list(copies), engine, s, lock)
        with st.form(key=f"meta-{doc}", border=False):
            title = st.text_input("Title", value=p.get("title") or "", key=f"title-{doc}")
            authors = st.text_area("Authors (one a line)", value="\n".join(p.get("authors") or []),
                                   key=f"authors-{doc}", height=100)
            c1, c2 = st.columns(2)
            year_in = c1.text_input("Year", value=str(p.get("year") or ""), key=f"year-{doc}",
                                    help="An empty field keeps what ingest found in the paper.")
            langs = list(LANGUAGES) + ([p["language"]] if p.get("language") not in LANGUAGES and p.get(
                "language") else [])
            language = c2.selectbox("Language", langs, index=langs.index(p["language"]) if p.get(
                "language") in langs else 0, format_func=lambda c: LANGUAGES.get(c, c), key=f"lang-{doc}")
            c3, c4 = st.columns(2)
            kinds = list(TYPES)
            kind = c3.selectbox("Type", kinds, index=kinds.index(paper_type(p)), key=f"type-{doc}",
                                format_func=lambda t: TYPES[t][0],
                                help="Decides the BibTeX entry (@article, @phdthesis, @misc…) and the reference.")
            venue = c4.text_input("Venue (journal or proceedings)", value=p.get("venue") or "",
                                  key=f"venue-{doc}")
            institution = st.text_input("Institution (the school of a thesis, the publisher of a report)",
                                        value=p.get("institution") or "", key=f"inst-{doc}")
            c5, c6 = st.columns(2)
            doi = c5.text_input("DOI", value=p.get("doi") or "", key=f"doi-{doc}", placeholder="10.1234/…")
            url = c6.text_input("URL", value=p.get("url") or "", key=f"url-{doc}", placeholder="https://…")
            if st.form_submit_button("Save", type="primary"):
                save(p, dict(title=title, authors=authors, year=year_in, language=language, venue=venue,
                             type=kind, institution=institution, doi=doi, url=url),
                     engine, s, lock)
        _remove(p, engine, s, lock)


def _remove(p: dict, engine, s, lock) -> None:
    """Remove, with a confirm step: the file moves to the trash, Undo brings it back."""
    doc = p["doc_id"]
    key = f"confirm-remove-{doc}"
    if not st.session_state.get(key):
        if st.button("Remove from the library…", key=f"remove-{doc}", type="tertiary", icon=":material/delete:"):
            st.session_state[key] = True
            st.session_state["papers-open"] = doc
            st.rerun()
        return
    name = p["path"].rsplit("/", 1)[-1]
    with st.container(border=True, key=f"confirm-box-{doc}"):
        st.warning(h.md_escape(f"Remove '{h.shorten(p['title'], 70)}'? {name} moves to "
                               f"{library.trash_dir(s).name}/ and the paper leaves the index; Undo puts it back."))
        row = st.container(horizontal=True, gap="small")
        if row.button(f"Yes, move {name} to the trash", key=f"remove-yes-{doc}", type="primary"):
            st.session_state.pop(key, None)
            _act(lambda: library.remove_paper(s, doc), engine, lock, "Removing…", undo={})
        if row.button("Cancel", key=f"remove-no-{doc}"):
            st.session_state.pop(key, None)
            st.session_state["papers-open"] = doc
            st.rerun()


def save(p: dict, form: dict, engine, s, lock) -> None:
    """Save the corrected metadata, publish it with an incremental ingest, refresh the engine."""
    with st.spinner("Saving…"):
        msgs = library.save_paper_metadata(p, form, s)
    if msgs and msgs[0][0] == "error" and len(msgs) == 1:
        st.error(h.md_escape(msgs[0][1]))
        return
    with lock:
        engine.refresh()
    st.session_state["papers-messages"] = msgs
    st.rerun()
