"""Company page: the facts behind a company's score, with sources, and the score breakdown."""

import pandas as pd
import streamlit as st

from lib import ui
from lib.charts import breakdown_chart, timeline_chart
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
    sort_by_name,
    tracker_grade_text,
    translate,
)
from lib.likelihood import explain_company
from lib.profile import (
    FACT_LABELS,
    current_fact_text,
    evidence_warnings,
    explain_score,
    observation_text,
    period_text,
)
from lib.scoring import criteria_matrix
from lib.shortlist import confidential_ids
from lib.status_history import CURRENT_STATUS_RULE, disagreements, history, tracker_label
from lib.timeline import timeline_events
from lib.ui.offer import offer_section
from lib.ui.screening import screening_section
from lib.viewstate import CompanyParams, limits

view = ui.page_view()  # first: the view app.py passes on (and a page run alone goes through app.py)

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
ui.watch_toggle(int(company_id), company["name"])
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
# DESIGN.md: where the trackers disagree, show both with dates (each tracker's latest word).
if disagree := disagreements(store, [int(company_id)], fmt_date).get(int(company_id)):
    st.warning(_("The trackers disagree on this company's Russia status: %(list)s") % {"list": md_text(disagree)})
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
                                "period": _("Date or period it describes"),
                                "recorded_on": st.column_config.DateColumn(_("Recorded on"), format="YYYY-MM-DD"),
                                "source": _("Source"), "note": _("Note and how it was matched")})
st.caption(_("Status source: %(source)s (as of %(date)s)")
           % {"source": md_source(company["source"]), "date": fmt_date(pd.Timestamp(company["as_of"]).date())})

screening_section(int(company_id))

st.subheader(_("Why it scores what it scores"))
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

st.subheader(_("How likely it is to come"))
model, _likelihoods = ui.get_likelihood()
why = explain_company(model, universe.companies, int(company_id))
if why is None:
    st.info(_("Not a relocation candidate: no likelihood is estimated."))
else:
    st.metric(_("Likelihood of coming"), fmt_percent(why.probability, 1),
              help=_("Chance of a recorded arrival in Kazakhstan, fitted on the companies that came (Back-test "
                     "page). Expected value = likelihood × value to Kazakhstan: %(ev)s")
              % {"ev": fmt_number(why.probability * (explained.row["score"] if explained else 0), 3)})
    raise_col, lower_col = st.columns(2)
    raise_col.markdown(_("**Raises it**") + "\n" + ("\n".join(f"- {_(label)}" for label, _v in why.raising)
                                                      or _("nothing stands out")))
    lower_col.markdown(_("**Lowers it**") + "\n" + ("\n".join(f"- {_(label)}" for label, _v in why.lowering)
                                                      or _("nothing stands out")))

st.subheader(_("Timeline"))
# Outreach stages are pipeline data: signed-in users only, and never for a confidential entry (Outreach page only).
events = timeline_events(store, int(company_id), include_pipeline=ui.current_user().can_see_pipeline
                         and int(company_id) not in confidential_ids(store))
st.altair_chart(timeline_chart(events), width="stretch")
st.caption(_(CURRENT_STATUS_RULE))
statuses = history(store, int(company_id))
shown_statuses = statuses.assign(tracker=statuses["tracker"].map(tracker_label),
                                 status=statuses["status"].map(translate),
                                 tracker_grade=statuses["tracker_grade"].map(tracker_grade_text),
                                 current=statuses["current"].map(lambda c: _("current") if c else ""))
st.container(key="status_history_box").dataframe(  # the key: a stable handle for the browser test
    shown_statuses, hide_index=True,
    column_order=["date", "status", "tracker", "tracker_grade", "recorded_on", "source", "current"],
    column_config={"date": _("Date it describes"), "status": _("Russia status"), "tracker": _("Tracker"),
                   "tracker_grade": _("Tracker's own words"),
                   "recorded_on": st.column_config.DateColumn(_("Recorded on"), format="YYYY-MM-DD"),
                   "source": _("Source"), "current": _("Current")})

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

offer_section(company)
