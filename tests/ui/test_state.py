"""The view state follows the page's URL in a session built from its websocket: under
``serve --num-procs`` the websocket may reach another process than the page's ``GET``,
which builds the session again with the websocket's location (no query) and the page's
arguments (from its token); it must show the page's dataset, not the landing page."""

from __future__ import annotations

import types
import weakref

import panel as pn


def _session_doc(uri: str, arguments: dict):
    from bokeh.document import Document

    request = types.SimpleNamespace(uri=uri, host="127.0.0.1:5006", protocol="http",
                                    arguments=arguments, headers={}, cookies={})
    context = type("Context", (), {"request": request, "session": None, "id": "t"})()
    doc = Document()
    doc._session_context = weakref.ref(context)
    doc._test_context = context  # kept alive with the document
    return doc


def _synced(doc):
    from panel.io.state import set_curdoc

    from portal.ui.state import ViewState

    with set_curdoc(doc):
        state = ViewState()
        state.sync_url()
        return state, pn.state.location.search


def test_a_session_built_from_its_websocket_follows_the_pages_parameters():
    doc = _session_doc("/ws", {"dataset": [b"argo"], "kind": [b"profile"],
                               "bokeh-session-id": [b"x"]})
    state, search = _synced(doc)
    assert (state.dataset, state.kind) == ("argo", "profile")
    assert "dataset=argo" in search and "bokeh-session-id" not in search


def test_the_pages_own_query_wins():
    doc = _session_doc("/?dataset=glider&kind=map", {"dataset": [b"glider"],
                                                     "kind": [b"map"]})
    state, search = _synced(doc)
    assert (state.dataset, state.kind) == ("glider", "map") and search.startswith("?dataset=")


def test_the_landing_page_has_no_query():
    from portal.ui.state import page_search

    state, _ = _synced(_session_doc("/ws", {"bokeh-session-id": [b"x"]}))
    assert state.dataset == "" and state.kind == ""
    assert page_search({"bokeh-session-id": [b"x"]}) == ""
