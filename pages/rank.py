"""Rank page: the ranked relocation candidates and what their scores are made of."""

import streamlit as st

from lib import ui
from lib.auth import PermissionDenied
from lib.i18n import (
    _,
    fmt_number,
    fmt_percent,
    grid_number_format,
    md_text,
    name_matches,
    ngettext,
    translate,
)
from lib.models import ORDER_LABELS
from lib.radar import group_names
from lib.ranking_export import ranking_xlsx, readable
from lib.scoring import already_producing, rank_label
from lib.screening import STATUS_LABELS
from lib.shortlist import ScreeningHold, add_to_shortlist, shortlisted_stages
from lib.status_history import CURRENT_STATUS_RULE
from lib.ui.screening import screening_filter

CHARTS_BOX = "rank_charts"  # the charts section; True in session state while it is open

view = ui.page_view()  # first: the view app.py passes on (and a page run alone goes through app.py)

settings, filters = view.settings(), view.filters()
ranking = ui.current_ranking()
table = ranking.table

st.title(_("Relocation candidates"))
st.caption(_("Foreign companies that curtailed operations in Russia since 2022. Value to Kazakhstan is what the "
             "weights in the sidebar say Kazakhstan wants; likelihood of coming is fitted on the companies that "
             "came (Back-test page); the table is ordered by %(order)s. Open a company to see why.")
           % {"order": _(ORDER_LABELS[view.order]).lower()})
if view.order != "value" and not view.new_entrants_only:
    companies = ui.get_universe().companies
    producing = companies.loc[already_producing(companies), "company_id"]
    if n := int(table["company_id"].head(30).isin(producing).sum()):
        st.caption(ngettext(
            "%(n)d of the first 30 already produces in Kazakhstan: this order finds who is likely to come *or "
            "expand*. Tick “New entrants only” in the sidebar to look for companies that would bring a new plant.",
            "%(n)d of the first 30 already produce in Kazakhstan: this order finds who is likely to come *or "
            "expand*. Tick “New entrants only” in the sidebar to look for companies that would bring a new plant.",
            n) % {"n": n})

if table.empty:
    st.info(_("No company matches the filters. Widen the sector, country or status filters, or lower the "
              "minimum revenue."))
    st.stop()

left, middle, right = st.columns(3)
left.metric(_("Companies ranked"), fmt_number(len(table)))
middle.metric(_("Method"), _(ui.METHOD_LABELS[ranking.method]))
right.metric(_("Median data completeness"), fmt_percent(table["completeness"].median()))
if ranking.excluded_missing:
    st.caption(ngettext("%(n)d company was left out because of missing data.",
                        "%(n)d companies were left out because of missing data.",
                        ranking.excluded_missing) % {"n": ranking.excluded_missing})

query = st.text_input(_("Find a company"), key="rank_search", max_chars=100,
                      placeholder=_("Part of the name, e.g. siemens or nestle"),
                      help=_("Narrows the table to matching names; ranks stay those of the whole ranking. Case and "
                             "accents are ignored, in Latin and Cyrillic names."))
if query.strip():
    also_named = table["company_id"].map(group_names(ui.get_universe().companies)).fillna("")
    matching = table[name_matches(table["name"], query) | name_matches(also_named, query)]
    st.caption(ngettext("%(n)d of %(total)s companies matches “%(query)s”.",
                        "%(n)d of %(total)s companies match “%(query)s”.", len(matching))
               % {"n": len(matching), "total": fmt_number(len(table)), "query": md_text(query.strip())})
    if matching.empty:
        st.info(_("No company name contains “%(query)s”. Check the spelling, or clear the search to see every "
                  "company.") % {"query": md_text(query.strip())})
        st.stop()
    table = matching

# Sanctions screening (computed once per data version, not per rerun) and its filter, part of a shared link.
table, status_of = screening_filter(table)

user = ui.current_user()
# The outreach stage is pipeline data: colleagues and editors only, never on a public link.
# Confidential entries show nowhere but on the Outreach page, to editors who ask (and that is audited).
stages = shortlisted_stages(ui.get_store()) if user.can_see_pipeline else {}
disagreeing = ui.get_disagreeing()
screening_shown = {status: _(label) for status, label in STATUS_LABELS.items()}  # translated once, not per row
shown = readable(table, ui.sector_names()).assign(
    completeness=table["completeness"] * 100,
    likelihood=table["likelihood"] * 100,
    rank_shown=[rank_label(r, t) for r, t in zip(table["rank"], table["tied"], strict=True)],
    shortlist=table["company_id"].map({cid: translate(stage) for cid, stage in stages.items()}),
    screening=table["company_id"].map(lambda cid: screening_shown[status_of.get(cid, "no_match")]),
    trackers=table["company_id"].isin(disagreeing).map({True: _("disagree"), False: ""}),
)
selection = st.dataframe(
    shown,
    # The grid's selection is by row position: a new order gets a fresh grid, so a selection made
    # before a slider move can never point at another company.
    key=ui.selection_key("ranked_table", table["company_id"]),
    hide_index=True,
    on_select="rerun",
    selection_mode="multi-row",
    column_order=["rank_shown", "name", "sector", "hq_country", "status", "trackers", "expected", "likelihood",
                  "score", "completeness", "screening",
                  *(["shortlist"] if user.can_see_pipeline else [])],
    column_config={
        "rank_shown": st.column_config.TextColumn(_("Rank"), width="small",
                                                  help=_("Equal scores share a rank, shown with “=”; within a tie "
                                                         "the more complete record comes first.")),
        "name": st.column_config.TextColumn(_("Company")),
        "sector": st.column_config.TextColumn(_("Sector"), width="medium"),
        "hq_country": st.column_config.TextColumn(_("HQ country")),
        "status": st.column_config.TextColumn(_("Russia status"), help=_(CURRENT_STATUS_RULE)),
        "trackers": st.column_config.TextColumn(_("Trackers"), width="small",
                                                help=_("“disagree” when Yale CELI, KSE Institute or own research, "
                                                       "each at its latest word, give different statuses; the "
                                                       "profile shows each with its date")),
        "score": st.column_config.ProgressColumn(_("Value to Kazakhstan"), min_value=0.0, max_value=1.0,
                                                 **grid_number_format(3),
                                                 help=_("The weighted score, 0 to 1: how well the company fits "
                                                        "what the weights say Kazakhstan wants")),
        "likelihood": st.column_config.NumberColumn(_("Likelihood of coming, %"), format="%.1f",
                                                    help=_("Chance of a recorded arrival in Kazakhstan, fitted on "
                                                           "the companies that came; a lower bound, since not "
                                                           "every arrival is recorded")),
        "expected": st.column_config.NumberColumn(_("Expected value"), format="%.3f",
                                                  help=_("Likelihood of coming × value to Kazakhstan")),
        "completeness": st.column_config.NumberColumn(_("Data completeness, %"), format="%.0f",
                                                      help=_("Share of the six company facts that are known "
                                                             "(size, Russian footprint, production, Kazakhstan)")),
        "screening": st.column_config.TextColumn(_("Sanctions screening"),
                                                 help=_("Against the sanctions lists: the company, its group "
                                                        "parent and the buyer of its Russian business")),
        "shortlist": st.column_config.TextColumn(_("Outreach stage"),
                                                 help=_("Stage on the shortlist; empty when not shortlisted")),
    },
)
rows = [i for i in selection.selection.rows if i < len(table)]
selected = [int(table.iloc[i]["company_id"]) for i in rows]
if selected:
    st.caption(_("Selected: %(names)s") % {"names": ", ".join(map(md_text, table.iloc[rows]["name"]))})
if selected and st.button(_("Open the profile of the selected company"), type="primary"):
    st.session_state["company"] = selected[0]
    st.switch_page("pages/company.py")
if not selected:
    st.caption(_("Select a row to open the company's profile."))
if selected and st.button(_("Add selected to the shortlist"), icon=":material/playlist_add:", key="add_to_shortlist"):
    picked = table.iloc[rows][["company_id", "score", "rank"]].to_dict("records")
    try:  # the score, rank and current view are recorded with each entry
        added = add_to_shortlist(ui.get_store(), ui.current_user(), picked, (settings, filters))
    except (PermissionDenied, ScreeningHold) as exc:
        st.error(md_text(str(exc)))  # names in the message are data: shown as text, never as markdown
    else:
        st.success(added.summary())
        st.page_link("pages/outreach.py", label=_("Open the outreach pipeline"), icon=":material/handshake:")

st.download_button(_("Download the ranking (.xlsx)"), key="rank_xlsx", icon=":material/download:",
                   data=ui.in_this_language(ranking_xlsx, ranking, settings, filters, ui.sector_names(),
                                            st.session_state.get("share_url")),
                   file_name="relocation_radar_ranking.xlsx", on_click="ignore",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   help=_("Every ranked company with its score and what it is made of, and a sheet with the "
                          "weights, filters and link behind it. The name search above does not narrow it."))
# The charts are built only while their section is open (a rerun opens it): their Vega-Lite renderer and altair
# were the largest part of a first visit beyond a bare table (issue 25), and the table answers the first question.
charts = st.expander(_("Charts: who is likely to come, and what the scores are made of"), key=CHARTS_BOX,
                     icon=":material/scatter_plot:", on_change="rerun")
if charts.open:
    from lib.charts import contribution_chart, quadrant_chart, score_chart  # altair: imported when first opened

    with charts:
        picked = st.altair_chart(quadrant_chart(table, set(stages)), width="stretch", key="quadrant",
                                 on_select="rerun", selection_mode="company")
        clicked = [p.get("company_id") for p in (picked.selection.get("company") or []) if isinstance(p, dict)]
        if clicked and clicked[0] in set(table["company_id"]):
            st.session_state["company"] = int(clicked[0])
            st.switch_page("pages/company.py")
        if ranking.method == "wsm":
            st.altair_chart(contribution_chart(table), width="stretch")
        else:
            st.altair_chart(score_chart(table), width="stretch")
