"""The Papers page: every indexed paper's metadata, correctable in place.

A correction is saved to the ``metadata.json`` beside the paper
(``app.metadata``) and an incremental ingest publishes it without embedding
anything again; the chat, the citations, the exports and ``sisterqa docs``
show it at once.
"""

from __future__ import annotations

import streamlit as st

from sisterqa.app import ui_helpers as h
from sisterqa.app.metadata import BadMetadata, clean_fields, save_metadata
from sisterqa.ingest.errors import SisterQAError

LANGUAGES = {"en": "English", "id": "Indonesian"}


def render(engine, s, lock) -> None:
    st.title("Papers")
    st.caption(
        "The papers in the index and what citations and exports say about them. Correct a title, "
        "the authors, the year, the language or the venue here: it is saved to the paper's "
        "metadata.json and shown everywhere at once, without embedding anything again."
    )
    for kind, text in st.session_state.pop("papers-messages", []):
        getattr(st, kind)(h.md_escape(text))
    for p in engine.snapshot.papers:
        _paper_form(p, engine, s, lock)


def _paper_form(p: dict, engine, s, lock) -> None:
    doc = p["doc_id"]
    year = p.get("year") or "n.d."
    label = f"{h.shorten(p['title'], 80)} ({year})"
    with st.expander(h.md_escape(label), icon=":material/description:"):
        st.caption(h.md_escape(f"{p.get('path', '')} · {p.get('chunks', 0)} passages · {doc}"))
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
            venue = st.text_input("Venue (journal, thesis, …)", value=p.get("venue") or "",
                                  key=f"venue-{doc}")
            if st.form_submit_button("Save", type="primary"):
                save(p, dict(title=title, authors=authors, year=year_in, language=language, venue=venue),
                     engine, s, lock)


def save(p: dict, form: dict, engine, s, lock) -> None:
    """Save the corrected metadata, publish it with an incremental ingest, refresh the engine."""
    from sisterqa.index.build import ingest

    try:
        fields = clean_fields(**form)
        file = save_metadata(p, fields, s.root)
        with st.spinner("Saving…"):
            report = ingest([s.corpus_dir], s.index_dir, s.build, root=s.root)
        with lock:
            engine.refresh()
    except BadMetadata as e:
        st.error(h.md_escape(str(e)))
        return
    except SisterQAError as e:
        st.error(h.md_escape(f"Saved to {file.name}, but the index was not updated: {e}"))
        return
    msgs = [("success", f"Saved {fields['title']} to {file.name} (embedded again: {report.embedded} "
                        "passages)")]
    msgs += [("warning", f"{path}: {reason}") for path, reason in report.failed]
    st.session_state["papers-messages"] = msgs
    st.rerun()
