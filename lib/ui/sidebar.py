"""The language switch and the shared sidebar: weights, method, missing data, filters."""

from __future__ import annotations

import streamlit as st

from lib import viewstate
from lib.criteria import CRITERIA, MISSING_POLICIES
from lib.i18n import LANGUAGES, _, fmt_country, fmt_percent, name_key, resolve_language, set_language
from lib.models import METHODS, STATUSES, Filters, ScoringSettings
from lib.ui.account import account_panel
from lib.ui.links import read_link_once, share_link
from lib.ui.state import get_universe, sector_names

BIND = "query-params"


METHOD_LABELS = viewstate.METHOD_LABELS


MISSING_LABELS = viewstate.MISSING_LABELS


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


def language_switch() -> str:
    """The language selector; sets the language for this run and keeps ?lang= explicit in the URL.

    Not bound with bind="query-params": a bound widget drops its parameter when it equals the default,
    so an English link opened in a Russian-locale browser would turn Russian. Writing lang on every run
    means a copied link always opens in the sender's language; the browser locale only decides when the
    link has none.
    """
    if st.session_state.get("lang") not in LANGUAGES:
        st.session_state["lang"] = resolve_language(st.query_params.get("lang"), None, st.context.locale)
    # The label stays trilingual on purpose: it must be readable whatever language is on screen.
    code = st.sidebar.selectbox("Language / Язык / Тіл", list(LANGUAGES), format_func=LANGUAGES.__getitem__,
                                key="lang", on_change=_relabel_choices)
    if st.query_params.get("lang") != code:
        st.query_params["lang"] = code
    return set_language(code)


def scoring_sidebar() -> tuple[ScoringSettings, Filters]:
    """Weights, method, missing-data policy and filters; every widget is bound to the URL."""
    universe = get_universe()
    side = st.sidebar
    read_link_once()  # before the widgets below exist, so a link's values can still seed them
    side.header(_("Scoring"))
    method = side.radio(_("Method"), METHODS, format_func=lambda m: _(METHOD_LABELS[m]), key="method",
                        bind=BIND, horizontal=True,
                        help=_("Weighted sum shows how much each criterion adds; TOPSIS ranks by "
                               "closeness to an ideal company."))
    side.caption(_("Weights (0-100, normalised to 100% when scoring)"))
    # Step 1, not 5: rank-order-centroid and preset weights (Decision quality page) need whole percents.
    weights = {
        c.id: side.slider(_(c.label), 0, 100, int(c.default_weight), step=1, key=f"w_{c.id}",
                          bind=BIND, help=_(c.description))
        for c in CRITERIA
    }
    side.caption(normalised_weights_text(weights))
    with side.expander(_("Missing data")):
        missing = {
            c.id: st.selectbox(_(c.label), MISSING_POLICIES, index=MISSING_POLICIES.index(c.default_missing),
                               format_func=lambda p: _(MISSING_LABELS[p]), key=f"m_{c.id}",
                               bind=BIND)
            for c in CRITERIA
        }
    side.header(_("Filters"))
    names = sector_names()
    chosen_sectors = side.multiselect(_("Sector"), sorted(names, key=lambda s: name_key(_(names[s]))),
                                      format_func=lambda s: _(names[s]),
                                      key="sector", bind=BIND, placeholder=_("All sectors"))
    country_names = {c: fmt_country(c) for c in universe.companies["hq_country"].dropna().unique()}
    countries = sorted(country_names, key=lambda c: name_key(country_names[c]))
    chosen_countries = side.multiselect(_("HQ country"), countries, format_func=country_names.__getitem__,
                                        key="country", bind=BIND,
                                        placeholder=_("All countries"))
    chosen_statuses = side.multiselect(_("Russia status"), STATUSES, format_func=_, key="status",
                                       bind=BIND, placeholder=_("All statuses"))
    min_revenue = side.number_input(_("Minimum worldwide revenue, USD million"), min_value=0, max_value=1_000_000,
                                    value=0, step=1000, key="min_rev", bind=BIND,
                                    help=_("Companies whose revenue is unknown are left out when this is above 0."))
    no_high_risk = side.checkbox(_("Exclude high compliance risk"), key="no_high_risk", bind=BIND,
                                 help=_("Leaves out companies still operating in Russia (Buying time, Digging in)."))
    if sum(weights.values()) == 0:
        side.warning(_("All weights are 0: the default weights are used until one is above 0."))
        weights = {c.id: c.default_weight for c in CRITERIA}
    settings = ScoringSettings(weights=weights, method=method, missing=missing)
    filters = Filters(sectors=chosen_sectors, countries=chosen_countries, statuses=chosen_statuses,
                      min_revenue_usd_m=min_revenue, exclude_high_risk=no_high_risk)
    st.session_state["view"] = (settings, filters)
    # The sidebar is the one place on every page: sharing and signing in live here too.
    share_link(settings, filters)
    account_panel()
    return settings, filters


def normalised_weights_text(weights: dict[str, float]) -> str:
    """One line with every criterion's share in percent, as the scoring uses it."""
    total = sum(weights.values()) or 1
    shares = ", ".join(f"{_(c.label)} {fmt_percent(weights[c.id] / total)}" for c in CRITERIA)
    return _("Normalised weights: %(shares)s") % {"shares": shares}


def set_weights(values: dict[str, int]) -> None:
    """Put slider values into the sidebar sliders (use as an on_click callback: it runs before they are drawn)."""
    for c in CRITERIA:
        st.session_state[f"w_{c.id}"] = int(values.get(c.id, 0))
