"""The chat's Table page (app/views/table.py), driven by Streamlit's AppTest over the real index.

The page's own render function runs with a real engine (about 10 s in all); the browser test of
the page (citations, downloads, phone width) is tests/test_table_browser.py.
"""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from sisterqa.app.table import NOT_STATED, PRESETS


def table_page(index_dir: str) -> None:
    """The Table page alone (the app registers it beside Chat, Papers and Quality)."""
    import threading

    import streamlit as st

    from sisterqa.app.session import Engine
    from sisterqa.app.settings import load_settings
    from sisterqa.app.views import table

    @st.cache_resource
    def engine(path: str):
        return Engine(load_settings({"index_dir": path}, env={})), threading.RLock()

    e, lock = engine(index_dir)
    table.render(e, load_settings({"index_dir": index_dir}, env={}), lock)


@pytest.fixture
def at(built_index) -> AppTest:
    at = AppTest.from_function(table_page, args=(str(built_index),), default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def test_presets_are_the_columns_and_fill_answers_every_cell(at):
    pills = at.pills(key="table-columns")
    assert pills.options == ["Cities studied", "Agreement signed", "Fields of cooperation", "Obstacles",
                             "Research method", "Recommendations"]  # short names of the questions …
    assert pills.value == [q for _, q in PRESETS]  # … all checked
    assert not at.download_button  # nothing to download before the table is filled
    pills.set_value([PRESETS[0][1], PRESETS[4][1]]).run()  # cities, method
    at.multiselect(key="table-papers").set_value(
        ["magelang-tula-paradiplomacy-smart-city", "semarang-jung-gu-kendala-sister-city"]).run()
    at.button(key="table-fill").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.main.error
    state = at.session_state["table-state"]
    assert len(state["cache"]) == 4  # 2 papers × 2 columns
    shown = "\n".join(texts(at))
    for cell in state["cache"].values():
        assert (cell.text.split(" [")[0][:40] if cell.stated else NOT_STATED) in shown.replace("\\", "")
    # one [n] button per citation, and "Full answer" per cell
    buttons = [b for b in at.button if b.key and b.key.startswith("tc-")]
    assert len(buttons) == sum(len(c.citations) for c in state["cache"].values())
    assert len([b for b in at.button if b.key and b.key.startswith("tf-")]) == 4
    labels = [d.label for d in at.download_button]
    assert labels == ["Download CSV", "Download Markdown"]


def test_a_typed_column_is_added_and_only_its_cells_are_computed(at):
    at.pills(key="table-columns").set_value([PRESETS[4][1]]).run()
    at.multiselect(key="table-papers").set_value(["semarang-jung-gu-kendala-sister-city"]).run()
    at.button(key="table-fill").click().run()
    state = at.session_state["table-state"]
    assert len(state["cache"]) == 1
    at.text_input(key="table-new").input("Who initiated the cooperation?")
    at.form_submit_button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Who initiated the cooperation?" in at.pills(key="table-columns").options
    assert "Who initiated the cooperation?" in at.pills(key="table-columns").value
    assert len(state["cache"]) == 2  # the new column's one cell, the other kept
    assert any("Who initiated the cooperation?" in h.proto.body for h in at.get("html"))
