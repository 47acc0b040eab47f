"""The language switch and the shared sidebar: weights, method, missing data, filters."""

from __future__ import annotations

from functools import lru_cache

import streamlit as st

from lib import viewstate
from lib.criteria import CRITERIA, MISSING_POLICIES
from lib.i18n import (
    LANGUAGES,
    _,
    fmt_country,
    fmt_percent,
    get_language,
    name_key,
    resolve_language,
    set_language,
)
from lib.models import METHODS, ORDER_LABELS, ORDERS, STATUSES, ScoringSettings
from lib.ui.account import account_panel
from lib.ui.alerts import alerts_badge
from lib.ui.links import read_link_once, share_link, write_url
from lib.ui.state import get_universe, sector_names

METHOD_LABELS = viewstate.METHOD_LABELS


MISSING_LABELS = viewstate.MISSING_LABELS
MISSING_BOX = "missing_box"  # the "Missing data" expander; True in session state while it is open
DEFAULT_MISSING = {f"m_{cid}": policy for cid, policy in viewstate.ViewState().missing.items()}


def _relabel_choices() -> None:
    """After a language change, re-set every text choice from its id so its label follows the language.

    Select boxes, radios and multiselects send back their *shown* label; after the switch the old label
    matches no option and Streamlit would hand the page the English label instead of the id (a sector
    filter that matches nothing, a method that fails validation). Re-assigning the ids, which Session
    State still holds, makes Streamlit re-label them. Only str / list-of-str values are touched: buttons,
    uploads, editors and table selections cannot be set and are never such values.
    """
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        is_text = isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        if key != "lang" and is_text:
            st.session_state[key] = value


# Sorting Latin and Cyrillic names alike (name_key) took ~4 ms of every run: the orders are kept per language (the
# language in force is part of the key, as the choices are).
@lru_cache(maxsize=16)
def _sectors_in_name_order(language: str, names: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Sector codes in the order of their translated names."""
    return tuple(sorted((code for code, _name in names), key=lambda code: name_key(_(dict(names)[code]))))


@lru_cache(maxsize=16)
def _countries_in_name_order(language: str, codes: tuple[str, ...]) -> dict[str, str]:
    """Country code -> its name in the language, in the order of those names."""
    return dict(sorted(((code, fmt_country(code)) for code in codes), key=lambda pair: name_key(pair[1])))


def language_switch() -> str:
    """The language selector; sets the language for this run (the address bar always names it, see write_url)."""
    if st.session_state.get("lang") not in LANGUAGES:
        st.session_state["lang"] = resolve_language(st.query_params.get("lang"), None, st.context.locale)
    else:  # re-assigned: a selectbox drawn under another page id (see _leave_pages_folder_mode) would start at English
        st.session_state["lang"] = st.session_state["lang"]
    # The label stays trilingual on purpose: it must be readable whatever language is on screen.
    code = st.sidebar.selectbox("Language / Язык / Тіл", list(LANGUAGES), format_func=LANGUAGES.__getitem__,
                                key="lang", on_change=_relabel_choices)
    return set_language(code)


def scoring_sidebar(page: str) -> viewstate.ViewState:
    """Weights, method, missing-data policy and filters: the view of every page, written to the URL here.

    No widget is bound to the URL (bind="query-params" drops a parameter whose value equals the widget's
    default, or one it cannot read as a label, and a reload then lost it): the link is read once into
    session state (read_link_once) and the address bar is written from the view on every run (write_url).
    The widgets take their values from session state only, so none has a default argument of its own.
    """
    universe = get_universe()
    side = st.sidebar
    if "link_notes" not in st.session_state:  # a session's first run: the defaults, then the link's values
        default = viewstate.ViewState()
        for key, value in {**viewstate.widget_values(default),
                           **viewstate.assumption_widget_values(default.assumptions)}.items():
            if key not in ("lang", "company") and key not in st.session_state:
                st.session_state[key] = value
    read_link_once()  # before the widgets below exist, so a link's values can still seed them
    side.header(_("Scoring"))
    # Values are taken from what the widgets return: every read of st.session_state runs a widget's
    # deserializer again (a multiselect formats each option), ~15 ms a run for the whole sidebar.
    values = {"lang": st.session_state["lang"], "company": st.session_state.get("company")}
    # The incentive assumptions: set on the Incentives page (its widgets keep their values on every page) or by
    # a company's investment on its profile; they are part of the view wherever it is shown.
    values.update({key: st.session_state.get(key) for key in viewstate.ASSUMPTION_KEYS})
    values["order"] = side.radio(
        _("Order the table by"), ORDERS, format_func=lambda o: _(ORDER_LABELS[o]), key="order",
        help=_("Expected value: the likelihood that a company comes (fitted on the companies that came, see the "
               "Back-test page) times its value to Kazakhstan (the weights below). Value alone is what the "
               "weights say Kazakhstan wants; likelihood alone is who is likely to come."))
    values["method"] = side.radio(
        _("Method"), METHODS, format_func=lambda m: _(METHOD_LABELS[m]), key="method", horizontal=True,
        help=_("Weighted sum shows how much each criterion adds; TOPSIS ranks by closeness to an ideal company."))
    side.caption(_("Weights (0-100, normalised to 100% when scoring)"))
    # Step 1, not 5: rank-order-centroid and preset weights (Decision quality page) need whole percents.
    for c in CRITERIA:
        values[f"w_{c.id}"] = side.slider(_(c.label), 0, viewstate.WEIGHT_MAX, step=1, key=f"w_{c.id}",
                                          help=_(c.description))
    # Built only while open (a rerun opens it): its 8 select boxes were redrawn by the browser on every slider move
    # (~70 ms of the move on this 2-vCPU machine, issue 25) though most visitors keep the default policies.
    missing = side.expander(_("Missing data"), key=MISSING_BOX, on_change="rerun")
    for c in CRITERIA:
        key = f"m_{c.id}"
        if missing.open:
            values[key] = missing.selectbox(_(c.label), MISSING_POLICIES, key=key,
                                            format_func=lambda p: _(MISSING_LABELS[p]))
        else:  # re-assigned, because Streamlit drops the state of a widget that a run does not draw
            values[key] = st.session_state[key] = st.session_state.get(key, DEFAULT_MISSING[key])
    side.header(_("Filters"))
    names = sector_names()
    values["sector"] = side.multiselect(_("Sector"), _sectors_in_name_order(get_language(), tuple(names.items())),
                                        key="sector", format_func=lambda s: _(names[s]), placeholder=_("All sectors"))
    country_names = _countries_in_name_order(get_language(), tuple(universe.companies["hq_country"].dropna().unique()))
    values["country"] = side.multiselect(_("HQ country"), list(country_names), format_func=country_names.__getitem__,
                                         key="country", placeholder=_("All countries"))
    values["status"] = side.multiselect(_("Russia status"), STATUSES, format_func=_, key="status",
                                        placeholder=_("All statuses"))
    values["min_rev"] = side.number_input(
        _("Minimum worldwide revenue, USD million"), min_value=0, max_value=viewstate.MIN_REVENUE_MAX, step=1000,
        key="min_rev", help=_("Companies whose revenue is unknown are left out when this is above 0."))
    values["no_high_risk"] = side.checkbox(
        _("Exclude high compliance risk"), key="no_high_risk",
        help=_("Leaves out companies still operating in Russia (Buying time, Digging in)."))
    values["new_only"] = side.checkbox(
        _("New entrants only"), key="new_only",
        help=_("Leaves out companies that already produce in Kazakhstan. The default order (expected value) ranks "
               "them high, because companies already producing are the likeliest to expand: tick this to look for "
               "companies that would bring a new plant."))
    view = viewstate.view_from_widgets(values)
    if view.all_weights_zero:
        side.warning(_("All weights are 0: the default weights are used until one is above 0."))
    side.caption(normalised_weights_text(view.settings()))
    params = viewstate.page_values(page, st.session_state)
    write_url(view, params)
    # The sidebar is the one place on every page: sharing and signing in live here too.
    share_link(view, params)
    account_panel()
    alerts_badge()
    return view


def normalised_weights_text(settings: ScoringSettings) -> str:
    """One line with every criterion's share in percent, as the scoring uses it."""
    shares = ", ".join(f"{_(c.label)} {fmt_percent(share)}" for c, share in zip(
        CRITERIA, settings.normalised_weights().values(), strict=True))
    return _("Normalised weights: %(shares)s") % {"shares": shares}


def set_weights(values: dict[str, int]) -> None:
    """Put slider values into the sidebar sliders (use as an on_click callback: it runs before they are drawn)."""
    for c in CRITERIA:
        st.session_state[f"w_{c.id}"] = int(values.get(c.id, 0))
