"""Per-run memo, the view handed to the page, the cached store, universe and incentive packages."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import pandas as pd
import streamlit as st

from lib import viewstate
from lib.criteria import CRITERION_IDS
from lib.i18n import _
from lib.incentives.assumptions import Assumptions
from lib.incentives.packages import parse_packages, sector_name_map
from lib.incentives.params import ASSUMPTION_KEYS
from lib.likelihood import order_table
from lib.models import Filters, IncentivePackage, ScoringSettings
from lib.outcomes import stored_outcomes
from lib.radar import Universe, load_universe
from lib.scoring import Ranking, RankingBase, rank_base, ranking_base
from lib.status_history import disagreeing_ids
from lib.store import Store, StoreUnavailable, as_store_problem, check_usable, database_location, open_store
from lib.viewstate import ViewState

if TYPE_CHECKING:  # lib.backtest pulls in scipy: imported when the Back-test page runs, not on every first visit
    from streamlit.navigation.page import StreamlitPage

    from lib.backtest import Backtest, BacktestSettings
    from lib.likelihood import LikelihoodModel

T = TypeVar("T")
log = logging.getLogger(__name__)


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


# The view app.py got from the sidebar, for the page it runs next (set by run_page, taken with page_view). A context
# variable, not session state: it lives for the page's run alone, in the thread that runs this session's script.
_PAGE_VIEW: ContextVar[ViewState | None] = ContextVar("page_view", default=None)
ROOT = Path(__file__).resolve().parents[2]  # the folder of app.py and pages/


def run_page(page: StreamlitPage, view: ViewState) -> None:
    """Run the page app.py's navigation chose, handing it the view the sidebar returned."""
    token = _PAGE_VIEW.set(view)
    try:
        page.run()
    finally:
        _PAGE_VIEW.reset(token)


def page_view() -> ViewState:
    """The view app.py passed on to this page: call first on every page.

    A page run without app.py has none: Streamlit's pages/ folder mode (see _leave_pages_folder_mode) ran it
    alone; that run is sent through app.py instead, so every page always has the shared sidebar and the view.
    """
    view = _PAGE_VIEW.get()
    if view is None:
        _leave_pages_folder_mode()
    return view


def _leave_pages_folder_mode() -> NoReturn:
    """Run this request through app.py, in this run, with public API only (the one place this app handles the
    pages/ folder).

    Streamlit (1.67) starts every process in its legacy folder mode because a `pages/` folder sits next to app.py:
    until some run calls st.navigation, a request runs a page file by itself (on a fresh server's first request
    to /rank, and on every AppTest run, which resets the mode). Here the page, run alone, first declares the
    pages the folder mode offered (app.py as the default, then pages/*.py: the page asked for is among them, so no
    "Page not found" dialog), which switches that mode off for the process; then it runs app.py in this same run
    (not a rerun: that would lose this run's button click). app.py's own navigation has the same url paths (a
    page's identity is its url path), so it runs this page again, with the sidebar and the view; then the bare run
    stops. Measured alternative: page files in a sub-folder of pages/ (nothing for the folder mode to run) open the
    right page too, but the folder mode answers the first request to /<page> with a "Page not found" dialog.
    """
    scripts = sorted(p for p in (ROOT / "pages").glob("*.py") if not p.name.startswith((".", "_")))
    st.navigation([st.Page(ROOT / "app.py", default=True), *map(st.Page, scripts)], position="hidden")
    app = ROOT / "app.py"
    exec(compile(app.read_text(encoding="utf-8"), str(app), "exec"),  # noqa: S102 - our own entry script
         {"__name__": "__main__", "__file__": str(app)})
    st.stop()


@st.cache_resource(show_spinner=False)
def _store(path: str) -> Store:
    return open_store(path, create=False)  # a mistyped RADAR_DB never becomes a new, empty store


def get_store() -> Store:
    """The process-wide store (checked once per run); each query inside opens its own cursor."""
    return _once_per_run("store", _checked_store)


def _checked_store() -> Store:
    """The process-wide store; each query inside opens its own cursor.

    A store that cannot be opened stops the page with the reason and what to do (not cached: the next
    run tries again, so a restored file works without restarting the app).
    """
    try:
        store = _store(database_location())
        usable = check_usable(store)  # a broken connection or a replaced file is reopened, not kept forever
        if usable is not store:
            _clear_store_caches()
        return usable
    except StoreUnavailable as exc:
        store_failed(exc)


def _clear_store_caches() -> None:
    """Forget the store and everything read from it (a restored file may hold other data)."""
    st.cache_resource.clear()
    st.cache_data.clear()


def store_failed(exc: StoreUnavailable) -> None:
    """Stop the page: the operator's message (path, reason, what to do) to the log, one message without any
    server path to the visitor; under RADAR_EXIT_ON_FATAL=1 the process exits for systemd to restart it."""
    _clear_store_caches()  # not cached: the next run tries again, so a restored file works without a restart
    log.error("store unusable: %s", exc)
    if os.environ.get("RADAR_EXIT_ON_FATAL") == "1":
        os._exit(3)
    st.error(_(exc.public), icon=":material/database:")
    st.stop()


@contextmanager
def store_guard() -> Iterator[None]:
    """Around the sidebar and the page (app.py): a store that breaks mid-run (a damaged block met while reading,
    a file deleted under a write) ends the run with store_failed's message instead of an exception."""
    try:
        yield
    except Exception as exc:
        problem = as_store_problem(exc)
        if problem is None:
            raise
        store_failed(problem)


def ranking_version() -> int:
    """The store's ranking version, read once per run: each read is a query (about 1.5 ms on DuckDB, a round trip
    on PostgreSQL) and a run needs it for every cache below. A commit in this process reads it again, so a run
    that writes sees its own write; another process's write is seen from the next run on, as before."""
    store = get_store()
    return _once_per_run(f"ranking_version/{store.commits}", store.ranking_version)


@st.cache_resource(show_spinner=False, max_entries=8)
def _universe(path: str, version: int, assumptions_json: str) -> Universe:
    return load_universe(_store(path), Assumptions.model_validate_json(assumptions_json))


def get_universe(assumptions: Assumptions | None = None) -> Universe:
    """Companies and criterion values, recomputed only when the data or the assumptions change.

    Without an argument the view's incentive assumptions (current_assumptions) are used, so the
    `incentive fit` criterion of every page follows what the user set on the Incentives page.
    """
    if assumptions is None:
        assumptions = current_assumptions()
        return _once_per_run(f"universe/{id(assumptions)}", lambda: get_universe(assumptions))
    store = get_store()
    return _universe(store.location, ranking_version(), assumptions.model_dump_json())


@st.cache_resource(show_spinner=False, max_entries=4)
def _packages(path: str, version: int) -> list[IncentivePackage]:
    return parse_packages(_store(path).incentive_packages())


def get_packages() -> list[IncentivePackage]:
    """The incentive packages as validated models, re-read when the data changes."""
    store = get_store()
    return _packages(store.location, ranking_version())


@st.cache_resource(show_spinner=False, max_entries=4)
def _disagreeing(path: str, version: int) -> frozenset[int]:
    return frozenset(disagreeing_ids(_store(path)))


def get_disagreeing() -> frozenset[int]:
    """Companies whose trackers disagree on the Russia status (read once per data version)."""
    return _disagreeing(get_store().location, ranking_version())


@st.cache_resource(show_spinner=False, max_entries=4)
def _rule_sources(path: str, version: int) -> pd.DataFrame:
    return _store(path).incentive_rule_sources()


def get_rule_sources() -> pd.DataFrame:
    """Where each rule field of each package comes from (read once per data version, not on every rerun)."""
    store = get_store()
    return _rule_sources(store.location, ranking_version())


def current_assumptions() -> Assumptions:
    """The incentive assumptions of the view: the page's (app.py passes it on); in the sidebar and in callbacks,
    before the view exists, the ones the assumption widgets hold (the view is built from the same values)."""
    view = _PAGE_VIEW.get()
    if view is not None:
        return view.assumptions
    return _once_per_run("assumptions", lambda: viewstate.view_from_widgets(
        {key: st.session_state.get(key) for key in ASSUMPTION_KEYS}).assumptions)


@st.cache_resource(show_spinner=False, max_entries=16)
def _backtest(path: str, version: int, assumptions_json: str, settings_json: str, filters_json: str,
              backtest_json: str) -> Backtest:
    from lib.backtest import BacktestSettings, run_backtest

    store = _store(path)
    return run_backtest(_universe(path, version, assumptions_json), store.company_facts(), stored_outcomes(store),
                        ScoringSettings.model_validate_json(settings_json), Filters.model_validate_json(filters_json),
                        BacktestSettings.model_validate_json(backtest_json))


def get_backtest(settings: ScoringSettings, filters: Filters, backtest: BacktestSettings) -> Backtest:
    """The back-test of a view, computed once per data version and view (a few seconds: 16 rankings and a fit)."""
    store = get_store()
    return _backtest(store.location, ranking_version(), current_assumptions().model_dump_json(),
                     settings.model_dump_json(), filters.model_dump_json(), backtest.model_dump_json())


def current_view() -> ViewState:
    """The view app.py passed on to the page running now (the defaults outside a page's run)."""
    return _PAGE_VIEW.get() or ViewState()


@st.cache_resource(show_spinner=False, max_entries=16)
def _ranking_base(path: str, data_version: int, assumptions_json: str, filters_json: str, missing_json: str,
                  weighted: tuple[bool, ...]) -> RankingBase:
    universe = _universe(path, data_version, assumptions_json)
    settings = ScoringSettings(missing=json.loads(missing_json),
                               weights={cid: float(on) for cid, on in zip(CRITERION_IDS, weighted, strict=True)})
    return ranking_base(universe.companies, universe.values, settings, Filters.model_validate_json(filters_json))


@st.cache_resource(show_spinner=False, max_entries=8)
def _likelihood(path: str, version: int, assumptions_json: str) -> tuple[LikelihoodModel, pd.Series]:
    from lib.backtest import fit_likelihood  # scipy: imported on first use only

    store = _store(path)
    return fit_likelihood(_universe(path, version, assumptions_json), store.company_facts(),
                          stored_outcomes(store))


def get_likelihood() -> tuple[LikelihoodModel, pd.Series]:
    """The likelihood model and every candidate's likelihood of coming, refitted once per data version."""
    store = get_store()
    return _likelihood(store.location, ranking_version(), current_assumptions().model_dump_json())


@st.cache_data(show_spinner=False, max_entries=8)
def _research_queue(path: str, version: int, assumptions_json: str, settings_json: str, filters_json: str,
                    order: str, top: int, include_searched: bool) -> pd.DataFrame:
    from lib.research import research_queue

    store = _store(path)
    model, likelihood = _likelihood(path, version, assumptions_json)
    return research_queue(_universe(path, version, assumptions_json), ScoringSettings.model_validate_json(
        settings_json), model, likelihood, store.company_facts(), order=order, top=top,
        filters=Filters.model_validate_json(filters_json), include_searched=include_searched)


def get_research_queue(top: int, include_searched: bool) -> pd.DataFrame:
    """The research queue for the current view (its weights, filters and order), once per data version."""
    store, view = get_store(), current_view()
    return _research_queue(store.location, ranking_version(), current_assumptions().model_dump_json(),
                           view.settings().model_dump_json(), view.filters().model_dump_json(), view.order, top,
                           include_searched)


def current_ranking() -> Ranking:
    """The ranking of the current view, once per run; what the weights do not change is kept across runs.
    The table carries the value (score), the likelihood and the expected value, in the view's order."""
    def rank() -> Ranking:
        store, view = get_store(), current_view()
        settings = view.settings()
        base = _ranking_base(store.location, ranking_version(), current_assumptions().model_dump_json(),
                             view.filters().model_dump_json(), json.dumps(settings.missing, sort_keys=True),
                             tuple(settings.weights[cid] > 0 for cid in CRITERION_IDS))
        ranking = rank_base(base, settings)
        return replace(ranking, table=order_table(ranking.table, get_likelihood()[1], view.order))
    return _once_per_run("ranking", rank)


@st.cache_resource(show_spinner=False, max_entries=4)
def _sector_names(path: str, version: int) -> dict[str, str]:
    return sector_name_map(_store(path).sectors())


def sector_names() -> dict[str, str]:
    """Sector code -> English name from the sectors table (translate when showing), read once per data version
    (sector edits change the ranking version); a copy, so a caller cannot change the cached one."""
    return _once_per_run("sector_names", lambda: dict(_sector_names(get_store().location, ranking_version())))


@st.cache_resource(show_spinner=False, max_entries=4)
def _screening(path: str, version: int) -> tuple[dict, pd.DataFrame]:
    from lib.screening import screen_companies, screening_frame

    screenings = screen_companies(_store(path))
    return screenings, screening_frame(screenings)


def get_screening() -> tuple[dict, pd.DataFrame]:
    """Every company screened against the sanctions lists (lib.screening), once per data version: a review, a new
    list or an import changes the version; a slider move or a rerun does not."""
    store = get_store()  # the data version, read once per run like the ranking version (a review changes only it)
    return _screening(store.location, _once_per_run(f"data_version/{store.commits}", store.data_version))
