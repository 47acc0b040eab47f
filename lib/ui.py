"""Streamlit glue: cached store and universe, the shared sidebar, and the current view.

The only module in lib/ besides nothing else that imports streamlit; pages call these helpers.
"""

from __future__ import annotations

import streamlit as st

from lib.auth import User
from lib.criteria import CRITERIA, MISSING_POLICIES
from lib.i18n import DEFAULT_LANGUAGE, LANGUAGES, _, set_language
from lib.incentives import Assumptions
from lib.models import METHODS, STATUSES, Filters, ScoringSettings
from lib.radar import Universe, load_universe
from lib.scoring import Ranking, rank_companies
from lib.store import Store, db_path, open_store

BIND = "query-params"
METHOD_LABELS = {"wsm": "Weighted sum", "topsis": "TOPSIS"}
MISSING_LABELS = {"neutral": "Neutral (0.5)", "worst": "Worst case (0)", "exclude": "Exclude the company"}


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return open_store(path)


def get_store() -> Store:
    """The process-wide store; each query inside opens its own cursor."""
    return _store(str(db_path()))


@st.cache_resource(show_spinner=False, max_entries=8)
def _universe(path: str, data_version: int, assumptions_json: str) -> Universe:
    return load_universe(_store(path), Assumptions.model_validate_json(assumptions_json))


def get_universe(assumptions: Assumptions | None = None) -> Universe:
    """Companies and criterion values, recomputed only when the data or the assumptions change."""
    store = get_store()
    assumptions = assumptions or Assumptions()
    return _universe(str(store.path), store.data_version(), assumptions.model_dump_json())


def language_switch() -> str:
    """The language selector (bound to ?lang=); sets the language for this run."""
    if "lang" not in st.session_state and "lang" not in st.query_params:
        browser = (st.context.locale or "").split("-")[0].lower()
        if browser in LANGUAGES:
            st.session_state["lang"] = browser
    code = st.sidebar.selectbox(
        "Language / Язык / Тіл", list(LANGUAGES), format_func=LANGUAGES.__getitem__,
        key="lang", bind=BIND, index=list(LANGUAGES).index(DEFAULT_LANGUAGE),
    )
    return set_language(code)


def scoring_sidebar() -> tuple[ScoringSettings, Filters]:
    """Weights, method, missing-data policy and filters; every widget is bound to the URL."""
    universe = get_universe()
    side = st.sidebar
    side.header(_("Scoring"))
    method = side.radio(_("Method"), METHODS, format_func=lambda m: _(METHOD_LABELS[m]), key="method",
                        bind=BIND, horizontal=True,
                        help=_("Weighted sum shows how much each criterion adds; TOPSIS ranks by "
                               "closeness to an ideal company."))
    side.caption(_("Weights (0-100, normalised to 100% when scoring)"))
    weights = {
        c.id: side.slider(_(c.label), 0, 100, int(c.default_weight), step=5, key=f"w_{c.id}",
                          bind=BIND, help=_(c.description))
        for c in CRITERIA
    }
    with side.expander(_("Missing data")):
        missing = {
            c.id: st.selectbox(_(c.label), MISSING_POLICIES, index=MISSING_POLICIES.index(c.default_missing),
                               format_func=lambda p: _(MISSING_LABELS[p]), key=f"m_{c.id}",
                               bind=BIND)
            for c in CRITERIA
        }
    side.header(_("Filters"))
    names = sector_names()
    chosen_sectors = side.multiselect(_("Sector"), sorted(names), format_func=lambda s: _(names[s]),
                                      key="sector", bind=BIND, placeholder=_("All sectors"))
    countries = sorted(universe.companies["hq_country"].dropna().unique())
    chosen_countries = side.multiselect(_("HQ country"), countries, key="country", bind=BIND,
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
    return settings, filters


def current_view() -> tuple[ScoringSettings, Filters]:
    """The settings and filters set in the sidebar during this run."""
    return st.session_state.get("view") or (ScoringSettings(), Filters())


def current_ranking() -> Ranking:
    universe = get_universe()
    settings, filters = current_view()
    return rank_companies(universe.companies, universe.values, settings, filters)


def sector_names() -> dict[str, str]:
    """Sector code -> English name (translate with _ when showing)."""
    companies = get_universe().companies.dropna(subset=["sector_code"]).drop_duplicates("sector_code")
    return dict(zip(companies["sector_code"], companies["sector_name"], strict=True))


def current_user() -> User:
    """The signed-in user. Until sign-in exists (issue 6), a local run acts as an editor."""
    return st.session_state.get("user") or User(name="local user", role="editor")
