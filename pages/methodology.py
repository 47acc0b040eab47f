"""Methodology page: the criteria, the formulas and the data sources, in plain language."""

import pandas as pd
import streamlit as st

from lib import ui
from lib.criteria import CRITERIA
from lib.i18n import _, fmt_date, fmt_number
from lib.investment import KZ_SHARE_OF_RUSSIA, MARKET_SOURCES, OFFICIAL_AVERAGE, intensity_frame
from lib.status_history import CURRENT_STATUS_RULE

ui.page_view()  # first: this page needs no view, but a page run alone must go through app.py

st.title(_("Methodology and sources"))
st.markdown(_(
    "Relocation Radar ranks foreign companies that curtailed their Russian operations since 2022 by how "
    "well they fit Kazakhstan. Each company gets a value between 0 and 1 on eight criteria, oriented so that "
    "higher is better. The weights you set in the sidebar are scaled to add up to 100%."
))
st.subheader(_("Criteria"))
# Static tables: a methodology is read, so every description is shown in full rather than cut at the cell edge.
st.table(pd.DataFrame({
    _("Criterion"): [_(c.label) for c in CRITERIA],
    _("Direction"): [_("benefit") if c.direction == "benefit" else _("cost") for c in CRITERIA],
    _("Default weight"): [fmt_number(c.default_weight) for c in CRITERIA],
    _("What it measures"): [_(c.description) for c in CRITERIA],
}), hide_index=True, border="horizontal")

st.subheader(_("Coverage: how many candidates each criterion knows"))
values = ui.get_universe().values[ui.get_universe().companies["is_candidate"].astype(bool)]
st.table(pd.DataFrame({
    _("Criterion"): [_(c.label) for c in CRITERIA],
    _("Candidates with a sourced value"): [fmt_number(int(values[c.id].notna().sum())) for c in CRITERIA],
    _("Imputed by the missing-data policy"): [fmt_number(int(values[c.id].isna().sum())) for c in CRITERIA],
}), hide_index=True, border="horizontal")

st.subheader(_("Value, likelihood and the order of the table"))
st.markdown(_(
    "**Value to Kazakhstan** is the weighted score below: what the weights say Kazakhstan wants. **Likelihood of "
    "coming** is a probability that the company opens or expands in Kazakhstan, estimated from the companies that "
    "did (Back-test page) by a regularised logistic regression on the stored facts: worldwide size (log revenue, "
    "from staff where only staff is known) and Kazakhstan presence with its age. Russian revenue, staff and "
    "production, sector, tracker status, headquarters region and group membership are tried on every data "
    "version and left out while they lower the out-of-sample fit (Back-test page: which facts the likelihood "
    "reads). An unknown fact is a feature of its own, never a middle value. Companies with no recorded arrival "
    "are treated as unlabelled: the figure is the chance of a recorded "
    "arrival, a lower bound on the chance of coming. **Expected value** = likelihood × value, the default order: "
    "a company that fits but will not come, or will come but brings little, ranks lower. The Back-test page shows "
    "how each order did on companies the model had not seen."
))

st.subheader(_("Methods"))
st.markdown(_(
    "**Weighted sum** (default): score = Σ wᵢ·xᵢ. Each term wᵢ·xᵢ is the criterion's contribution; the "
    "contributions add up to the score, which is why the rank page can show them as stacked bars."
))
st.markdown(_(
    "**TOPSIS** (Hwang and Yoon, 1981): each criterion column is divided by its Euclidean length, weighted, "
    "and every company is placed between the best (ideal) and worst (anti-ideal) value of each criterion. "
    "The score is the distance to the anti-ideal divided by the sum of both distances."
))
st.markdown(_(
    "**Missing data**: most companies lack most facts. For each criterion you choose what a missing value "
    "counts as: neutral (0.5), worst case (0, the pessimistic policy), or leave the company out. A missing fact "
    "is never shown as known. **Data completeness** is the share of the six company facts that are known "
    "(worldwide revenue and employees, Russian revenue and employees, Russian production and its state, "
    "Kazakhstan presence and its level); nothing derived from the tracker grade or the sector counts, so a "
    "company about which nothing was found shows 0 %. A search that found no Kazakhstan presence is a known "
    "fact (none found)."
))
st.markdown(_(
    "**Evidence**: every fact is a dated observation with its source, the date or period it describes, when it "
    "was recorded and, where it applies, a state. Russian production is suspended (1), sold or closed (0.5), "
    "operating (0.25) or none (0). A sold or closed plant scores half: the company has produced for the region "
    "and the market that plant served needs a supplier, which is a motive, but there is no idle plant or team "
    "to move. Kazakhstan presence is an own plant (1), a subsidiary (0.75), a representative office (0.5), a "
    "distributor or licensee (0.25), none found or ended (0). Footprint and scale take the larger of their "
    "known facts, so more evidence of the same thing never scores lower than less."
))
st.markdown(_(
    "**Worked example**: a company with Russian revenue of 1,000 USD million and 5,000 Russian employees has a "
    "footprint of max(log(1 + 1,000) / log(1 + largest revenue), log(1 + 5,000) / log(1 + largest staff)). Its "
    "plant, sold in 2023, adds 0.5 × the production weight; it is not counted again in the footprint."
))
st.markdown(_(
    "**Ties**: equal scores share a rank, shown as “100=”; within a tie the more complete record comes first. "
    "**Groups**: a parent and its brands are one candidate, ranked under the parent; the profile lists the "
    "other names."
))
st.markdown(_(
    "**Green corridor**: the Foreign Ministry's project score (order 11-1-4/746, in force 19 January 2025) weighs "
    "investment amount, technology, membership of the Forbes Global 2000 and social orientation; projects up to "
    "150,000 MCI go to the regional pool, larger ones to the national pool. Its point weights are not published "
    "in our sources, so the preset gives the four equal weight (an assumption) and maps them onto company scale "
    "(amount and Forbes membership), sector priority (technology) and production (jobs). Not covered: the "
    "project's own technology level and social commitments, which only the project documents show. Forbes "
    "membership is a company fact where the 2025 list has the company, and unknown (not 'no') elsewhere."
))
st.subheader(_("Investment estimate and incentive fit"))
st.markdown(_(
    "A company's Kazakhstan project is estimated from its Russian business: Russian revenue (or Russian staff × its "
    "worldwide revenue per employee) divided by its sector's sales per dollar of invested capital gives the capital "
    "behind the Russian business; scaled by Kazakhstan's economy as a share of Russia's (%(share)s: IMF GDP per "
    "capita 2025 × population) it is the point used, a plant serving Kazakhstan's market. The high end of the "
    "range is the whole Russian operation moved. For context, Kazakhstan counted 41 relocated companies worth "
    "over USD 1.5 bn in March 2024 (about USD 37 m each). The estimate is tested against each package's minimum "
    "in MCI; the incentive fit is the best eligible package's value in US dollars, log-scaled. Where the Russian "
    "size or the sector's capital intensity is unknown there is no estimate; a figure can be set per company on "
    "its profile, or for all companies on the Incentives page."
) % {"share": fmt_number(KZ_SHARE_OF_RUSSIA * 100, 1) + " %"})
intensity = intensity_frame()
st.table(pd.DataFrame({
    _("Sector"): intensity["sector_code"], _("Sales per dollar of capital"): intensity["sales_to_capital"].map(
        lambda v: fmt_number(v, 2)), _("Industry rows (Damodaran, January 2024)"): intensity["industries"],
    _("Source"): intensity["source"]}), hide_index=True, border="horizontal")
st.caption(" · ".join([MARKET_SOURCES, OFFICIAL_AVERAGE[1]]))

st.subheader(_("Data sources"))
st.markdown(_(
    "- **Companies and Russia status**: Yale Chief Executive Leadership Institute (CELI) list of companies "
    "leaving and staying in Russia, grades A–F mapped to Withdrawal … Digging in, as scraped on 21 May 2025 by "
    "the public repository donBarbos/Yale_CELI_List_Parser (CC BY-NC-SA 4.0).\n"
    "- **Size**: Fortune Global 500 (2024), Forbes Global 2000 (2025, 2022), Fortune 1000 (2023).\n"
    "- **Russian footprint**: KSE Institute #LeaveRussia company pages, an unofficial Yale companion table "
    "(2022), news and company pages; each fact carries its own source on the company page.\n"
    "- **Kazakhstan's incentives**: adilet.zan.kz, invest.gov.kz, aifc.kz, astanahub.com, PwC and law-firm "
    "notes. The regime changed on 1 January 2026."
))
st.caption(_("The company data is derived from the Yale CELI list copy licensed CC BY-NC-SA 4.0: it may be "
             "shared with attribution, for non-commercial use, under the same licence."))
st.markdown(_("**Russia status over time.** Every status a tracker gives (Yale CELI, KSE Institute, or the agency's "
              "own research) is kept with its source, the date it describes and the day it was recorded; a newer "
              "file adds to this history and never overwrites it. %(rule)s Where the trackers, each at its latest "
              "word, disagree, the Rank page marks the company and its profile shows each status with its date.")
            % {"rule": _(CURRENT_STATUS_RULE)})
shown = ui.get_store().sectors()  # highest priority first, as everywhere else in the app
st.subheader(_("Sector priorities"))
st.table(pd.DataFrame({
    _("Sector"): shown["name"].map(_), "ISIC": shown["isic"], _("Priority (0-5)"): shown["kz_priority"].map(fmt_number),
    _("Why"): shown["priority_reason"].map(_), _("Source"): shown["source"],
    _("As of"): shown["as_of"].map(lambda d: fmt_date(pd.Timestamp(d).date())),
}), hide_index=True, border="horizontal")
