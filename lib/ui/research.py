"""The Data page's research queue: what to look up next, and the form a steward records the answer with."""

from __future__ import annotations

from datetime import date

import streamlit as st
from pydantic import ValidationError

from lib.auth import PermissionDenied, User
from lib.evidence import PRESENCE_LEVEL_LABELS, PRESENCE_LEVELS, PRODUCTION_STATE_LABELS, PRODUCTION_STATES
from lib.export import to_csv_bytes
from lib.i18n import N_, _, fmt_number, md_text
from lib.models import ORDER_LABELS
from lib.research import RECORDABLE, UNKNOWN_BY_ID, FactEntry, record_fact
from lib.store import Store
from lib.ui.state import current_view, get_research_queue

SHOWN_ROWS = 200
FACT_LABELS = {
    "revenue_worldwide_usd_m": N_("Worldwide revenue (USD millions)"),
    "employees_worldwide": N_("Worldwide staff"),
    "russia_revenue_usd_m": N_("Revenue in Russia (USD millions)"),
    "russia_employees": N_("Staff in Russia"),
    "russia_production": N_("Russian production: state"),
    "kazakhstan_presence": N_("Presence in Kazakhstan: level"),
}


def research_panel(store: Store, user: User) -> None:
    """The unknown facts ranked by how likely knowing them moves a company into or out of the top; the form."""
    view = current_view()
    st.caption(_("Which unknown facts to look up first: for each company and each unknown fact, the chance that "
                 "the fact, once known, moves the company into or out of the top of the current order (the "
                 "sidebar's weights, filters and order). Plausible values are the ones known for the other "
                 "companies. A fact a search already answered with \u201cnot found\u201d is left out unless asked "
                 "for."))
    left, right = st.columns(2)
    top = int(left.number_input(_("The top that matters"), min_value=1, max_value=500, value=50, step=10,
                                key="research_top", help=_("Companies whose place in or out of this top could "
                                                           "change come first.")))
    include_searched = right.checkbox(_("Also list facts searched before and not found"), key="research_searched")
    with st.spinner(_("Weighing every unknown fact…")):
        queue = get_research_queue(top, include_searched)
    decisive = queue[queue["chance_of_crossing"] > 0]
    st.markdown(_("**%(n)s** unknown facts listed; **%(decisive)s** could move **%(companies)s** companies into or "
                  "out of the top %(top)s.") % {"n": fmt_number(len(queue)), "decisive": fmt_number(len(decisive)),
                                                "companies": fmt_number(decisive["company_id"].nunique()),
                                                "top": fmt_number(top)})
    if queue.empty:
        st.info(_("No unknown facts in the current view: every ranked company has all its facts."))
    else:
        shown = queue.head(SHOWN_ROWS).assign(what=lambda q: q["unknown"].map(lambda u: _(UNKNOWN_BY_ID[u].label)))
        st.dataframe(shown, hide_index=True, key="research_table",
                     column_order=["priority", "name", "what", "position", "chance_of_crossing", "best_position",
                                   "worst_position", "searched_before", "search_for"],
                     column_config={
                         "priority": _("Priority"), "name": _("Company"), "what": _("Unknown fact"),
                         "position": st.column_config.NumberColumn(_("Place now"), help=_("In the current order.")),
                         "chance_of_crossing": st.column_config.ProgressColumn(
                             _("Chance it changes the top"), min_value=0.0, max_value=1.0, format="percent"),
                         "best_position": _("Place if it is high"), "worst_position": _("Place if it is low"),
                         "searched_before": _("Searched, not found on"), "search_for": _("What to search for")})
        st.caption(_("%(shown)s of %(n)s shown, order: %(order)s. The chance assumes the fact is like the ones known "
                     "for other companies; Russian revenue also moves the investment estimate, which the queue leaves "
                     "aside.") % {"shown": fmt_number(len(shown)), "n": fmt_number(len(queue)),
                                  "order": _(ORDER_LABELS[view.order])})
        st.download_button(_("The whole queue (CSV)"), data=lambda: to_csv_bytes(queue), on_click="ignore",
                           file_name=f"relocation_radar_research_queue_{date.today().isoformat()}.csv",
                           mime="text/csv", key="research_download")
    st.subheader(_("Record a researched fact"))
    if not user.can_edit:
        st.info(_("Recording facts is for editors: sign in as an editor."))
        return
    _fact_form(store, user, queue)


def _fact_form(store: Store, user: User, queue) -> None:  # noqa: ANN001 (a DataFrame)
    from lib.i18n import sort_by_name

    if (done := st.session_state.pop("research_recorded", None)) is not None:
        st.success(done)
    companies = sort_by_name(store.company_sectors())
    names = dict(zip(companies["company_id"], companies["name"], strict=True))
    first = [int(c) for c in dict.fromkeys(queue["company_id"])] if not queue.empty else []
    options = first + [int(c) for c in names if int(c) not in set(first)]
    company_id = st.selectbox(_("Company"), options, format_func=lambda c: names.get(c, str(c)), index=None,
                              key="research_company", placeholder=_("Choose a company (the queue's first)"))
    fact = st.selectbox(_("Fact"), list(RECORDABLE), format_func=lambda f: _(FACT_LABELS[f]), key="research_fact")
    with st.form("research_fact_form", clear_on_submit=False):
        found = st.radio(_("Result"), [True, False], horizontal=True, key="research_found",
                         format_func=lambda f: _("Found") if f else _("Searched, not found"))
        if fact == "russia_production":
            value = st.selectbox(_("State"), [None, *PRODUCTION_STATES], key="research_value_state",
                                 format_func=lambda s: "—" if s is None else _(PRODUCTION_STATE_LABELS[s]))
        elif fact == "kazakhstan_presence":
            value = st.selectbox(_("Level"), [None, *PRESENCE_LEVELS], key="research_value_level",
                                 format_func=lambda s: "—" if s is None else _(PRESENCE_LEVEL_LABELS[s]))
        else:
            value = st.text_input(_("Value"), key="research_value", max_chars=40,
                                  help=_("USD millions for revenue, a headcount for staff. Leave empty if not found."))
        estimate = st.checkbox(_("An estimate (a size class or a lower bound, not a stated figure)"),
                               key="research_estimate")
        period = st.text_input(_("Period the fact describes"), key="research_period", max_chars=20,
                               placeholder="FY2024, 2024, 2024-06")
        since = st.number_input(_("Present in Kazakhstan since (year)"), min_value=1850, max_value=2100, value=None,
                                step=1, key="research_since") if fact == "kazakhstan_presence" else None
        source = st.text_input(_("Source"), key="research_source", max_chars=1000,
                               help=_("The address of the page that states the fact; if not found, the searches "
                                      "you tried, in English and in Russian."))
        note = st.text_area(_("Note"), key="research_note", max_chars=1000,
                            help=_("For a Kazakh entity: its legal name and BIN, if the page names them."))
        saved = st.form_submit_button(_("Record the fact"), type="primary", key="research_record")
    if not saved:
        return
    if company_id is None:
        st.error(_("Choose a company first."))
        return
    try:
        entry = FactEntry(company_id=int(company_id), fact=fact, found=bool(found), value=value or None,
                          estimate=estimate, period=period or None, since=int(since) if since else None,
                          source=source, note=note or None)
    except ValidationError as exc:
        labels = {"value": _("Value"), "period": _("Period the fact describes"), "source": _("Source"),
                  "note": _("Note"), "since": _("Present in Kazakhstan since (year)"), "fact": _("Fact")}
        for error in exc.errors():
            field = labels.get(str(error["loc"][0]), str(error["loc"][0])) if error["loc"] else _("the form")
            st.error(f"{field}: {md_text(error['msg'].removeprefix('Value error, '))}")
        return
    try:
        current = record_fact(store, user, entry)
    except (ValueError, PermissionDenied) as exc:
        st.error(md_text(exc))
        return
    st.session_state["research_recorded"] = (
        _("Recorded for %(company)s; the ranking and the queue use it now.") if current else
        _("Recorded for %(company)s (kept beside a later stored figure, which stays current).")
    ) % {"company": md_text(names.get(int(company_id), company_id))}
    st.rerun()
