"""Links that reproduce a view: reading one safely, applying a saved view, the "Share this view" box."""

from __future__ import annotations

from typing import TypeVar

import streamlit as st
from pydantic import BaseModel

from lib import viewstate
from lib.i18n import _
from lib.incentives.packages import locations
from lib.radar import Universe
from lib.ui.state import get_packages, get_store, get_universe, ranking_version, sector_names

SHARE_BOX = "share_box"  # the "Share this view" expander; True in session state while it is open

M = TypeVar("M", bound=BaseModel)


@st.cache_resource(show_spinner=False, max_entries=8)
def _vocabulary(_universe: Universe, path: str, data_version: int, sectors: tuple[tuple[str, str], ...],
                sites: tuple[str, ...]) -> viewstate.Vocabulary:
    companies = _universe.companies
    return viewstate.Vocabulary(
        sectors=dict(sectors), countries=tuple(companies["hq_country"].dropna().unique()),
        companies=dict(zip(companies["company_id"].astype(int), companies["name"], strict=True)), sites=sites)


def link_vocabulary() -> viewstate.Vocabulary:
    """The sectors, countries, companies and incentive sites a link may name (built once per universe: ~15 ms a run
    otherwise)."""
    store = get_store()
    return _vocabulary(get_universe(), store.location, ranking_version(), tuple(sorted(sector_names().items())),
                       tuple(locations(get_packages())))


def read_link_once() -> None:
    """On a session's first run, check the link's parameters and seed the widgets; show notes on every run.

    Reading the link ourselves accepts ids and labels in any language and says what was dropped; the incentive
    assumptions and the pages' own parameters (viewstate.PAGE_PARAMS) are seeded the same way, before their
    widgets exist.
    """
    if "link_notes" not in st.session_state:
        raw = {key: st.query_params.get_all(key) for key in st.query_params}
        parsed = viewstate.parse_query(raw, link_vocabulary())
        values = {**viewstate.widget_values(parsed.view), **viewstate.assumption_widget_values(parsed.view.assumptions),
                  **parsed.page_values}
        for key in parsed.present - {"lang"}:  # the language switch reads ?lang= itself
            st.session_state[key] = values[key]
        st.session_state["link_notes"] = parsed.notes
    notes: list[viewstate.LinkNote] = st.session_state["link_notes"]
    if notes:
        box = st.container(border=True)
        box.warning(_("Parts of this link could not be used, so defaults apply there:") + "\n\n"
                    + "\n".join(f"- {viewstate.describe(note)}" for note in notes), icon=":material/link_off:")
        box.button(_("Dismiss"), key="dismiss_link_notes", on_click=st.session_state.__setitem__,
                   args=("link_notes", []))


def page_state(model: type[M]) -> M:
    """A page's own parameters (call before its widgets): defaults seeded into session state, values read back.

    The widgets use the field names as keys and take no default argument: session state is their one source,
    so a link's value (seeded by read_link_once) and the address bar (write_url) always agree with them.
    """
    for key, info in model.model_fields.items():
        st.session_state.setdefault(key, info.get_default(call_default_factory=True))
    return viewstate.valid_params(model, st.session_state)


def apply_view(view: viewstate.ViewState) -> None:
    """Put a saved view into the sidebar widgets (call from a button's on_click, before they are drawn)."""
    vocab = link_vocabulary()
    values = viewstate.widget_values(view)
    # Choices that no longer exist (a sector renamed, a country gone) would make the widget raise.
    values["sector"] = [s for s in values["sector"] if s in vocab.sectors]
    values["country"] = [c for c in values["country"] if c in vocab.countries]
    for key in viewstate.VIEW_KEYS:
        if key not in ("lang", "company"):
            st.session_state[key] = values[key]


def page_url() -> str:
    """This page's address in the user's browser, without the query; relative when unknown (tests).

    st.context.url (streamlit >= 1.67) already ends with the current page's path ("…/incentives"); adding the
    page again named it twice and the link opened a blank page.
    """
    url = st.context.url
    return url if url else "./"


def write_url(view: viewstate.ViewState, params: BaseModel | None) -> None:
    """The address bar: the view and this page's parameters, written from the view model and nothing else.

    Only the parameters the app writes are touched (Streamlit's own must not be).
    """
    wanted: dict[str, list[str]] = {}
    for key, value in viewstate.query_pairs(view, params, link_vocabulary()):
        wanted.setdefault(key, []).append(value)
    owned = set(viewstate.VIEW_KEYS) | set(viewstate.ASSUMPTION_KEYS) | set(viewstate.page_keys())
    for key in [k for k in st.query_params if k in owned and k not in wanted]:
        del st.query_params[key]
    changed = {key: values if len(values) > 1 else values[0] for key, values in wanted.items()
               if st.query_params.get_all(key) != values}
    if changed:
        st.query_params.update(changed)


def share_link(view: viewstate.ViewState, params: BaseModel | None) -> str:
    """The "Copy link" box: the full address that reproduces this view (st.code has a copy button)."""
    url = viewstate.share_url(page_url(), view, params, link_vocabulary())
    # Built only while open (a rerun opens it): the link changes with every slider move, and a closed box need
    # not send and redraw a code block each time (issue 25). st.session_state["share_url"] has the link either way.
    box = st.sidebar.expander(_("Share this view"), icon=":material/link:", key=SHARE_BOX, on_change="rerun")
    if box.open:
        box.caption(_("Copy this link (button at the right). Whoever opens it sees this ranking and can try "
                      "other weights, but cannot change shared data unless signed in as an editor."))
        box.code(url, language=None, wrap_lines=True)
    st.session_state["share_url"] = url
    return url
