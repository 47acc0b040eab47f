"""Company page: the facts behind a company's score, with sources, and the score breakdown."""

import pandas as pd
import streamlit as st

from lib import incentives as inc
from lib import ui
from lib.charts import breakdown_chart
from lib.criteria import CRITERIA
from lib.evidence import COMPANY_FACTS
from lib.explain import what_if, what_if_text
from lib.i18n import (
    _,
    fmt_country,
    fmt_date,
    fmt_number,
    fmt_percent,
    grid_number_format,
    md_source,
    md_text,
    ngettext,
    sort_by_name,
    tracker_grade_text,
    translate,
)
from lib.profile import (
    FACT_LABELS,
    current_fact_text,
    evidence_warnings,
    explain_score,
    observation_text,
    period_text,
)
from lib.scoring import criteria_matrix
from lib.steward import tracker_statuses
from lib.viewstate import CompanyParams, limits

ui.route_through_app()  # first: run inside app.py's navigation (see lib/ui/state.py)

universe = ui.get_universe()
companies = sort_by_name(universe.companies)
names = dict(zip(companies["company_id"], companies["name"], strict=True))

st.title(_("Company profile"))
if st.session_state.get("company") not in names:
    st.session_state["company"] = None  # a company no longer in the data
company_id = st.selectbox(_("Company"), list(names), format_func=names.__getitem__, key="company",
                          placeholder=_("Choose a company"))
if company_id is None:
    st.info(_("Choose a company above, or select one in the ranked table."))
    st.stop()

store = ui.get_store()
company = store.company(int(company_id))
facts = store.company_facts(int(company_id))
st.header(md_text(company["name"]))
cols = st.columns(4)
cols[0].metric(_("HQ country"), fmt_country(company["hq_country"]))
sector = translate(company["sector_name"])  # "Materials: chemicals, ...": the short part fits the metric
cols[1].metric(_("Sector"), sector.split(":")[0], help=sector)
cols[2].metric(_("Russia status"), translate(company["status"]), help=tracker_grade_text(company["tracker_grade"]))
status_date = company["status_date"]
cols[3].metric(_("Status as of"), "—" if pd.isna(status_date) else fmt_date(pd.Timestamp(status_date).date()),
               help=_("The tracker's own date of the status, where it gives one. The list was copied on %(date)s.")
               % {"date": fmt_date(pd.Timestamp(company["as_of"]).date())})
if company.get("sector_reason"):
    st.caption(_("Sector: %(reason)s Source: %(source)s") % {
        "reason": md_text(company["sector_reason"]), "source": md_source(company.get("sector_source") or "—")})
trackers = tracker_statuses(ui.get_store(), int(company_id))
if trackers["status"].nunique() > 1:  # DESIGN.md: where the trackers disagree, show both with dates
    st.warning(_("The trackers disagree on this company's Russia status: %(list)s") % {"list": "; ".join(
        f"{md_text(row.tracker or '—')}: {translate(row.status)} "
        f"({'—' if pd.isna(row.status_date) else fmt_date(pd.Timestamp(row.status_date).date())})"
        for row in trackers.itertuples())})
if not company["is_candidate"]:
    st.warning(_("Not a relocation candidate: %(reason)s")
               % {"reason": md_text(translate(company["exclusion_reason"]))})
parent_id = company.get("group_parent_id")
if parent_id is not None and not pd.isna(parent_id):
    st.info(_("Ranked with its group under %(parent)s.") % {"parent": md_text(names.get(int(parent_id), "—"))})
members = store.group_members(int(company_id))
if not members.empty:
    st.info(_("Ranked once for its group; also listed as: %(names)s.")
            % {"names": ", ".join(md_text(n) for n in members["name"])})
for warning in evidence_warnings(company, facts):
    st.warning(md_text(warning), icon=":material/report:")
st.dataframe(pd.DataFrame({_("Fact"): [_(FACT_LABELS[f]) for f in COMPANY_FACTS],
                           _("Now"): [current_fact_text(company, f) for f in COMPANY_FACTS]}),
             hide_index=True)

st.subheader(_("Facts and sources"))
if facts.empty:
    st.info(_("No size or Russia facts were found in public sources for this company: its score uses the "
              "missing-data policy for those criteria."))
else:
    texts = [observation_text(r.fact, r.value, r.state) for r in facts.itertuples()]
    shown = facts.assign(value=[t[0] for t in texts], state=[t[1] for t in texts],
                         fact=facts["fact"].map(lambda f: _(FACT_LABELS.get(f, f))),
                         period=facts["period"].map(period_text))
    st.dataframe(shown[["fact", "value", "state", "period", "recorded_on", "source", "note"]], hide_index=True,
                 column_config={"fact": _("Fact"), "value": _("Value"), "state": _("State"),
                                "period": _("Date or period it describes"), "recorded_on": _("Recorded on"),
                                "source": _("Source"), "note": _("Note and how it was matched")})
pool, in_mci = inc.green_corridor_pool(ui.current_assumptions(), store.mci_table())
if pool:
    st.caption(_("Green corridor: an assumed investment of %(mci)s MCI belongs to the %(pool)s pool (the national "
                 "pool starts above 150,000 MCI; set the investment on the Incentives page).")
               % {"mci": fmt_number(in_mci, 0), "pool": _("national") if pool == "national" else _("regional")})
st.caption(_("Status source: %(source)s (as of %(date)s)")
           % {"source": md_source(company["source"]), "date": fmt_date(pd.Timestamp(company["as_of"]).date())})

st.subheader(_("Why it scores what it scores"))
view = ui.current_view()
settings, filters = view.settings(), view.filters()
explained = explain_score(universe.companies, universe.values, settings, filters, int(company_id))
if explained is None:
    st.info(_("The company was excluded by the missing-data policy."))
else:
    row, breakdown = explained.row, explained.breakdown
    if explained.outside_filters:
        st.caption(_("The company is outside the current filters; its score is computed over all companies."))
    st.metric(_("Weighted-sum score"), fmt_number(row["score"], 3),
              help=_("The contributions below add up to this score."))
    st.caption(_("Data completeness: %(share)s") % {"share": fmt_percent(row["completeness"])})
    long = pd.concat([
        breakdown.assign(who=_("This company"), contribution=breakdown["company"]),
        breakdown.assign(who=_("Top-10 average"), contribution=breakdown["top_average"]),
    ])
    long["criterion"] = long["criterion"].map(_)
    st.altair_chart(breakdown_chart(long), width="stretch")
    shown = breakdown.assign(criterion=breakdown["criterion"].map(_), weight=breakdown["weight"] * 100)
    st.dataframe(shown.drop(columns="criterion_id"), hide_index=True, column_config={
        "criterion": _("Criterion"),
        "weight": st.column_config.NumberColumn(_("Weight, %"), **grid_number_format(1)),
        "company": st.column_config.NumberColumn(_("Contribution"), **grid_number_format(3)),
        "top_average": st.column_config.NumberColumn(_("Top-10 average"), **grid_number_format(3))})

# What-if on the ranking the Rank page shows (current method, filters and candidates only).
ui.page_state(CompanyParams)
low, high = map(int, limits("explain_k"))
top_k = st.number_input(_("Top places that count (K)"), min_value=low, max_value=high, key="explain_k",
                        help=_("What single weight change would bring this company into the top K?"))
matrix = criteria_matrix(universe.companies, universe.values, settings, filters)
if company_id in set(matrix["company_id"]):
    result = what_if(matrix, settings.weights, int(company_id), int(top_k), settings.method)
    st.markdown(what_if_text(result, {c.id: _(c.label) for c in CRITERIA}))
else:
    st.caption(_("Not in the current ranking (a non-candidate, outside the filters, or excluded for missing data)."))

st.subheader(_("What Kazakhstan can offer"))
assumptions = ui.current_assumptions()
packages = {p.package_id: p for p in ui.get_packages()}
offer, other_periods = inc.offer_for_company(company, packages.values(), assumptions, store.mci_table(),
                                              ui.sector_names())
values = [e.value_pct for e in offer if e.eligible and e.value_pct is not None]
cols = st.columns(2)
cols[0].metric(_("Eligible packages"), fmt_number(sum(e.eligible for e in offer)))
cols[1].metric(_("Best value, % of investment"), fmt_number(max(values, default=None), 1),
               help=_("Present value of the best eligible package; it drives the incentive fit criterion."))
for result in (e for e in offer if e.outcome != "not_eligible"):
    package = packages[result.package_id]
    symbol, outcome = inc.OUTCOME_SYMBOLS[result.outcome], _(inc.OUTCOME_LABELS[result.outcome])
    with st.expander(f"{symbol} {md_text(translate(result.name))} · {outcome}"):
        st.dataframe(inc.checks_frame(result), hide_index=True, column_config={
            "rule": _("Rule"), "result": _("Result"), "reason": _("Why")})
        st.markdown(inc.value_text(result))
        st.caption(md_text(f"{inc.benefits_text(package)}. {inc.package_text(package.other_benefits)}"))
        if package.uncertain:
            st.warning(_("Uncertain: %(note)s") % {"note": md_text(inc.package_text(package.uncertainty_note))})
        st.caption(_("Source: %(source)s (as of %(date)s)") % {"source": md_source(package.source),
                                                               "date": fmt_date(package.as_of)})
refused = inc.not_eligible_frame(offer)
if not refused.empty:
    with st.expander(_("Not eligible (%(n)s)") % {"n": fmt_number(len(refused))}):
        st.dataframe(refused, hide_index=True, column_config={"package": _("Package"), "why_not": _("Why not")})
st.caption(_("Assumes: %(assumptions)s.") % {"assumptions": "; ".join(
    f"{label} {value}" for label, value in inc.assumption_lines(assumptions))})
if other_periods:
    st.caption(ngettext("%(n)d package of another period is not shown; change the regime on the Incentives page.",
                        "%(n)d packages of other periods are not shown; change the regime on the Incentives page.",
                        other_periods) % {"n": other_periods})
st.page_link("pages/incentives.py", label=_("Change the assumptions"), icon=":material/tune:")
