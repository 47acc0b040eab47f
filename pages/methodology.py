"""Methodology page: the criteria, the formulas and the data sources, in plain language."""

import pandas as pd
import streamlit as st

from lib import ui
from lib.criteria import CRITERIA
from lib.i18n import _, fmt_date, fmt_number

ui.route_through_app()  # first: run inside app.py's navigation (see lib/ui/state.py)

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
    "counts as: neutral (0.5), worst case (0), or leave the company out. Data completeness is the share of "
    "the eight criteria backed by a real fact; it is shown next to every score."
))
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
shown = ui.get_store().sectors()  # highest priority first, as everywhere else in the app
st.subheader(_("Sector priorities"))
st.table(pd.DataFrame({
    _("Sector"): shown["name"].map(_), "ISIC": shown["isic"], _("Priority (0-5)"): shown["kz_priority"].map(fmt_number),
    _("Why"): shown["priority_reason"].map(_), _("Source"): shown["source"],
    _("As of"): shown["as_of"].map(lambda d: fmt_date(pd.Timestamp(d).date())),
}), hide_index=True, border="horizontal")
