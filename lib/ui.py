"""Streamlit glue: cached store and universe, the shared sidebar, and the current view.

The only module in lib/ that imports streamlit; pages call these helpers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from lib import viewstate
from lib.auth import AuthConfig, SignInLocked, User, sign_in
from lib.criteria import CRITERIA, MISSING_POLICIES
from lib.i18n import (
    LANGUAGES,
    _,
    fmt_country,
    fmt_percent,
    get_language,
    md_text,
    name_key,
    resolve_language,
    set_language,
)
from lib.incentives import (
    ASSUMPTION_KEYS,
    Assumptions,
    assumptions_from_params,
    locations,
    parse_packages,
    sector_name_map,
    url_params,
    widget_values,
)
from lib.models import METHODS, STATUSES, Filters, IncentivePackage, ScoringSettings
from lib.radar import Universe, load_universe
from lib.scoring import Ranking, rank_companies
from lib.store import Store, StoreUnavailable, db_path, open_store

T = TypeVar("T")
BIND = "query-params"
METHOD_LABELS = viewstate.METHOD_LABELS
MISSING_LABELS = viewstate.MISSING_LABELS


def start_run() -> None:
    """Called first by app.py on every run: forget what the previous run memoised."""
    st.session_state["_run_memo"] = {}


def _once_per_run(key: str, compute: Callable[[], T]) -> T:
    """compute() once per script run: the sidebar and the page ask for the same things several times."""
    memo = st.session_state.get("_run_memo")
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def route_through_app() -> None:
    """Call first on every page: make sure the page runs inside app.py's navigation.

    On a fresh server, the first request for /<page> finds the `pages/` folder and takes
    Streamlit's legacy folder-based multipage path, running the page file alone (no shared
    sidebar, no link handling). Switching that path off and rerunning sends the same request
    through app.py, whose st.navigation url_paths equal the file names.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return open_store(path)


def get_store() -> Store:
    """The process-wide store; each query inside opens its own cursor.

    A store that cannot be opened stops the page with the reason and what to do (not cached: the next
    run tries again, so a restored file works without restarting the app).
    """
    try:
        return _store(str(db_path()))
    except StoreUnavailable as exc:
        st.error(md_text(exc), icon=":material/database:")
        st.stop()


@st.cache_resource(show_spinner=False, max_entries=8)
def _universe(path: str, data_version: int, assumptions_json: str) -> Universe:
    return load_universe(_store(path), Assumptions.model_validate_json(assumptions_json))


def get_universe(assumptions: Assumptions | None = None) -> Universe:
    """Companies and criterion values, recomputed only when the data or the assumptions change.

    Without an argument the incentive assumptions set on the Incentives page are used, so the
    `incentive fit` criterion of every page follows what the user set there.
    """
    if assumptions is None:
        return _once_per_run("universe", lambda: get_universe(current_assumptions()))
    store = get_store()
    return _universe(str(store.path), store.data_version(), assumptions.model_dump_json())


@st.cache_resource(show_spinner=False, max_entries=4)
def _packages(path: str, data_version: int) -> list[IncentivePackage]:
    return parse_packages(_store(path).incentive_packages())


def get_packages() -> list[IncentivePackage]:
    """The incentive packages as validated models, re-read when the data changes."""
    store = get_store()
    return _packages(str(store.path), store.data_version())


def current_assumptions() -> Assumptions:
    """The incentive assumptions of this session (computed once per run; see _current_assumptions)."""
    return _once_per_run("assumptions", _current_assumptions)


def _current_assumptions() -> Assumptions:
    """The incentive assumptions of this session: the Incentives page's widgets, else the link's parameters.

    The widgets keep their values across pages (persist_state="session") and in the URL, so a shared
    link reproduces the incentive fit even when it opens on another page. Bad values fall back to defaults;
    the notes are kept in st.session_state["assumption_notes"] for the page to show.
    """
    sites = locations(get_packages())
    params = {key: st.session_state[key] if key in st.session_state else st.query_params.get(key)
              for key in ASSUMPTION_KEYS}
    assumptions, notes = assumptions_from_params(params, sites)
    st.session_state["assumption_notes"] = notes
    # A link's values become the session's, so they survive a page switch (which clears the URL) and
    # seed the Incentives page's widgets.
    for key, value in widget_values(assumptions).items():
        if key not in st.session_state and key in st.query_params:
            st.session_state[key] = value
    # Bound widgets write the URL only on their own page; mirror the values on the others so that a link
    # copied from any page carries them.
    in_url, _notes = assumptions_from_params(st.query_params.to_dict(), sites)
    for key, text in url_params(assumptions).items():
        name = ASSUMPTION_KEYS[key]
        if getattr(in_url, name) != getattr(assumptions, name) or (text is None and key in st.query_params):
            try:
                if text is None:
                    del st.query_params[key]
                else:
                    st.query_params[key] = text
            except StreamlitAPIException:  # bound on this page: its widget keeps the URL up to date
                pass
    return assumptions


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


def current_view() -> tuple[ScoringSettings, Filters]:
    """The settings and filters set in the sidebar during this run."""
    return st.session_state.get("view") or (ScoringSettings(), Filters())


def current_ranking() -> Ranking:
    universe = get_universe()
    settings, filters = current_view()
    return rank_companies(universe.companies, universe.values, settings, filters)


def in_this_language(build: Callable[..., T], *args: object) -> Callable[[], T]:
    """A download's builder, run only when clicked: in another thread, so it carries this run's language."""
    language = get_language()

    def run() -> T:
        set_language(language)
        return build(*args)
    return run


EDITS = ("edited_rows", "added_rows", "deleted_rows")


def edited_table(name: str, current: pd.DataFrame, **editor_args: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A data editor over the rows as this user first saw them; returns (edited rows, those first rows).

    The editor tracks edits by row position. While it holds unsaved edits it keeps showing the rows it
    opened with, so an edit never slides onto another row when a colleague saves in between; the save
    then writes only this user's changes (lib.steward's `base`). Without edits it shows the store as it is.
    """
    key = f"{name}_{st.session_state.get(f'{name}_generation', 0)}"
    pending = st.session_state.get(key) or {}
    if f"{name}_base" not in st.session_state or not any(pending.get(part) for part in EDITS):
        st.session_state[f"{name}_base"] = current
    st.session_state[f"{name}_key"] = key  # tests put edits here
    base = st.session_state[f"{name}_base"]
    return st.data_editor(base, key=key, **editor_args), base


def reset_edited_table(name: str) -> None:
    """Forget unsaved edits: the editor shows the store afresh on the next run (after a save or a conflict)."""
    st.session_state[f"{name}_generation"] = st.session_state.get(f"{name}_generation", 0) + 1
    st.session_state.pop(f"{name}_base", None)
    st.session_state.pop(f"{name}_conflict", None)


def ranked_table_key(company_ids: pd.Series) -> str:
    """The ranked table's widget key: a new one when the order changes under a selection.

    The grid reports selected row *positions*; after a re-rank those positions hold other companies.
    A fresh key gives a fresh, unselected grid then, so a selection never moves to another company.
    Without a selection the key stays, because redrawing the grid from scratch costs the browser
    about 150 ms on every slider move. The key is kept in session state for tests.
    """
    digest = hashlib.blake2b(company_ids.to_numpy(dtype="int64").tobytes(), digest_size=8).hexdigest()
    generation = st.session_state.get("ranked_table_generation", 0)
    key = f"ranked_table_{generation}"
    previous = st.session_state.get("ranked_table_order")
    selection = st.session_state.get(key) or {}
    if previous is not None and previous != digest and (selection.get("selection") or {}).get("rows"):
        generation += 1
        key = f"ranked_table_{generation}"
    st.session_state.update(ranked_table_order=digest, ranked_table_generation=generation, ranked_table_key=key)
    return key


def sector_names() -> dict[str, str]:
    """Sector code -> English name from the sectors table (translate when showing), read once per run."""
    return _once_per_run("sector_names", lambda: sector_name_map(get_store().sectors()))


# -- shared links --------------------------------------------------------------------------------
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
    """This page's address in the user's browser, without the query; relative when unknown (tests)."""
    try:
        from streamlit.runtime.context_util import maybe_add_page_path
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        if st.context.url and ctx is not None:
            return maybe_add_page_path(st.context.url, ctx.pages_manager)
    except (ImportError, AttributeError):  # a private helper: fall back to a relative link if it moves
        pass
    return "./"


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


# -- who is using the app ----------------------------------------------------------------------------
def auth_config() -> AuthConfig:
    """Sign-in settings from st.secrets; no secrets file means a local run. A broken file fails closed."""
    try:
        raw = st.secrets.to_dict()
    except FileNotFoundError:  # StreamlitSecretNotFoundError: no secrets.toml at all
        raw = {}
    try:
        return AuthConfig.from_secrets(raw)
    except ValueError:  # a malformed [radar] section: read-only for everyone rather than open
        return AuthConfig(hosted=True)


def current_user() -> User:
    """Who acts in this session: the signed-in editor, an st.login user, else anonymous (see AuthConfig)."""
    if isinstance(st.session_state.get("user"), User):
        return st.session_state["user"]
    config = auth_config()
    if config.oidc and st.user.is_logged_in:
        return config.oidc_user(st.user.get("email"), st.user.get("name"))
    return config.anonymous()


def _sign_out() -> None:
    st.session_state.pop("user", None)


def account_panel() -> None:
    """Who you are and what you may do; the editor sign-in form on a hosted app."""
    config, user = auth_config(), current_user()
    side = st.sidebar
    if not config.hosted:
        side.caption(_("Local run without sign-in: you act as “%(name)s”, an editor.") % {"name": md_text(user.name)})
        return
    if user.can_edit or "user" in st.session_state:
        side.caption(_("Signed in as %(name)s (%(role)s).") % {"name": md_text(user.name), "role": _(user.role)})
        side.button(_("Sign out"), key="sign_out", on_click=_sign_out)
        return
    if config.oidc and st.user.is_logged_in:
        side.caption(_("Signed in as %(name)s, read-only: ask an administrator for editor rights.")
                     % {"name": md_text(user.name)})
        side.button(_("Sign out"), key="sign_out_oidc", on_click=st.logout)
        return
    side.caption(_("Read-only: you can change the view and share links. Editors sign in to change "
                   "shortlists, scenarios and data."))
    with side.expander(_("Editor sign-in"), icon=":material/login:"):
        if config.oidc:
            st.button(_("Sign in with your organisation account"), key="sign_in_oidc", on_click=st.login)
        if config.editors:
            with st.form("sign_in", clear_on_submit=True, border=False):
                username = st.text_input(_("Username"), key="sign_in_username")
                password = st.text_input(_("Password"), type="password", key="sign_in_password")
                submitted = st.form_submit_button(_("Sign in"))
            if submitted:
                try:
                    signed_in = sign_in(config, username, password)
                except SignInLocked:
                    st.error(_("Too many failed attempts for this username; try again in 15 minutes."))
                    return
                if signed_in is None:
                    st.error(_("Wrong username or password."))
                else:
                    st.session_state["user"] = signed_in
                    st.rerun()
