"""Links that reproduce a view: reading one safely, applying a saved view, the "Share this view" box."""

from __future__ import annotations

import streamlit as st

from lib import viewstate
from lib.i18n import _
from lib.models import Filters, ScoringSettings
from lib.ui.state import get_universe, sector_names


def link_vocabulary() -> viewstate.Vocabulary:
    """The sectors, countries and companies a link may name."""
    companies = get_universe().companies
    return viewstate.Vocabulary(
        sectors=sector_names(), countries=tuple(companies["hq_country"].dropna().unique()),
        companies=dict(zip(companies["company_id"].astype(int), companies["name"], strict=True)))


def read_link_once() -> None:
    """On a session's first run, check the link's parameters and seed the widgets; show notes on every run.

    Streamlit seeds bound widgets from the URL by their shown label and silently drops what it cannot
    read. Reading the link ourselves first lets us accept ids and labels in any language (set through
    st.session_state, which Streamlit uses when it rejects the URL value) and say what was dropped.
    """
    if "link_notes" not in st.session_state:
        raw = {key: st.query_params.get_all(key) for key in st.query_params}
        parsed = viewstate.parse_query(raw, link_vocabulary())
        values = viewstate.widget_values(parsed.view)
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


def share_link(settings: ScoringSettings, filters: Filters) -> str:
    """The "Copy link" box: the full address that reproduces this view (st.code has a copy button)."""
    view = viewstate.ViewState.from_view(settings, filters, lang=st.session_state.get("lang") or "en",
                                         company=st.session_state.get("company"))
    url = viewstate.share_url(page_url(), view, link_vocabulary())
    # Parameters of other pages (e.g. the incentive assumptions) travel along as the URL has them.
    extra = [(key, value) for key in sorted(viewstate.OTHER_KEYS - {"embed", "embed_options"})
             if key in st.query_params for value in st.query_params.get_all(key)]
    if extra:
        from urllib.parse import urlencode
        url += ("&" if "?" in url else "?") + urlencode(extra)
    with st.sidebar.expander(_("Share this view"), icon=":material/link:"):
        st.caption(_("Copy this link (button at the right). Whoever opens it sees this ranking and can try "
                     "other weights, but cannot change shared data unless signed in as an editor."))
        st.code(url, language=None, wrap_lines=True)
    st.session_state["share_url"] = url
    return url
