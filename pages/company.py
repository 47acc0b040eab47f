"""Company page: the facts behind a company's score, with sources, and the score breakdown."""

import pandas as pd
import streamlit as st

from lib import ui
from lib.charts import breakdown_chart
from lib.i18n import _, fmt_date, fmt_number, fmt_percent
from lib.profile import FACT_LABELS, score_breakdown
from lib.scoring import rank_companies

universe = ui.get_universe()
companies = universe.companies.sort_values("name", key=lambda s: s.str.casefold())
names = dict(zip(companies["company_id"], companies["name"], strict=True))

st.title(_("Company profile"))
company_id = st.selectbox(_("Company"), list(names), format_func=names.__getitem__, key="company",
                          bind="query-params", index=None, placeholder=_("Choose a company"))
if company_id is None:
    st.info(_("Choose a company above, or select one in the ranked table."))
    st.stop()

store = ui.get_store()
company = store.company(int(company_id))
facts = store.company_facts(int(company_id))
st.header(company["name"])
cols = st.columns(4)
cols[0].metric(_("HQ country"), company["hq_country"] or "—")
cols[1].metric(_("Sector"), _(company["sector_name"]) if company["sector_name"] else "—")
cols[2].metric(_("Russia status"), _(company["status"]), help=company["tracker_grade"])
cols[3].metric(_("Status as of"), fmt_date(pd.Timestamp(company["status_date"]).date()))
if not company["is_candidate"]:
    st.warning(_("Not a relocation candidate: %(reason)s") % {"reason": _(company["exclusion_reason"])})

st.subheader(_("Facts and sources"))
if facts.empty:
    st.info(_("No size or Russia facts were found in public sources for this company: its score uses the "
              "missing-data policy for those criteria."))
else:
    facts = facts.assign(fact=facts["fact"].map(lambda f: _(FACT_LABELS.get(f, f))),
                         value=facts["value"].map(lambda v: {"true": _("yes"), "false": _("no")}.get(v, v)))
    st.dataframe(facts, hide_index=True, column_config={
        "fact": _("Fact"), "value": _("Value"), "period": _("Period"),
        "source": _("Source"), "note": _("How it was matched")})
st.caption(_("Status source: %(source)s (as of %(date)s)")
           % {"source": company["source"], "date": fmt_date(pd.Timestamp(company["as_of"]).date())})

st.subheader(_("Why it scores what it scores"))
settings, filters = ui.current_view()
ranking = rank_companies(universe.companies, universe.values, settings.model_copy(update={"method": "wsm"}),
                         filters.model_copy(update={"candidates_only": False}))
breakdown = score_breakdown(ranking, int(company_id))
if breakdown is None:
    st.info(_("This company is outside the current filters or was excluded for missing data."))
else:
    row = ranking.table[ranking.table["company_id"] == company_id].iloc[0]
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
        "weight": st.column_config.NumberColumn(_("Weight, %"), format="%.1f"),
        "company": st.column_config.NumberColumn(_("Contribution"), format="%.3f"),
        "top_average": st.column_config.NumberColumn(_("Top-10 average"), format="%.3f")})
