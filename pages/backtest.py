"""Back-test page: would the ranking have found the companies that came? Where the arrivals rank, AUC and
precision at 10/50/100 with honest intervals, the baselines side by side, and weights learned from outcomes."""

import pandas as pd
import streamlit as st

from lib import ui
from lib.backtest import BacktestSettings
from lib.criteria import CRITERIA, CRITERIA_BY_ID
from lib.elicitation import PRESETS_BY_ID
from lib.i18n import _, fmt_number, md_text
from lib.outcomes import EVIDENCE_LABELS, EVIDENCE_LEVELS, OUTCOME_KINDS, OUTCOME_LABELS
from lib.viewstate import BacktestParams

view = ui.page_view()  # first: the view app.py passes on (and a page run alone goes through app.py)

st.title(_("Back-test: would the ranking have found the companies that came?"))
st.caption(_("Companies that put something in Kazakhstan after February 2022, from statements of officials, the "
             "press and confirmed openings, against the ranking of the current view. Each arrival is scored on what "
             "was known before its outcome."))
ui.page_state(BacktestParams)
left, middle, right = st.columns(3)
kinds = left.multiselect(_("What counts as arriving"), OUTCOME_KINDS,
                         format_func=lambda k: _(OUTCOME_LABELS[k]), key="bt_kinds")
levels = middle.multiselect(_("Evidence levels included"), EVIDENCE_LEVELS,
                            format_func=lambda k: _(EVIDENCE_LABELS[k]), key="bt_levels",
                            help=_("Officials' lists include firms that had been in Kazakhstan for years (DW, March "
                                   "2023); leave them out to test against the press or confirmed openings only."))
facts = right.radio(_("Facts used for arrivals"), ("point-in-time", "current"), key="bt_facts",
                    format_func=lambda f: _("Known before the outcome") if f == "point-in-time" else _("Today's facts"),
                    help=_("Today's facts leak the outcome: a presence in Kazakhstan that came with the relocation "
                           "would count as a reason for it."))
if not kinds or not levels:
    st.info(_("Choose at least one kind of outcome and one evidence level."))
    st.stop()
settings, filters = view.settings(), view.filters()
with st.spinner(_("Ranking every company under every baseline…")):
    result = ui.get_backtest(settings, filters, BacktestSettings(arrivals=kinds, evidence=levels, facts=facts))
if result.arrivals.empty:
    st.info(_("No recorded outcome matches these choices: widen them, or import outcomes on the Data page."))
    st.stop()

ours = result.evaluations.iloc[0]  # the current view's row
n = len(result.arrivals)
cols = st.columns(4)
cols[0].metric(_("Arrivals ranked"), _("%(n)d of %(total)s") % {"n": n, "total": fmt_number(result.n_ranked)})
cols[1].metric(_("AUC of the current view"), fmt_number(ours["auc"], 2),
               help=_("The chance that an arrival ranks above a company that did not come: 0.5 is a coin toss, "
                      "1 is perfect."))
cols[2].metric(_("95% interval"), f"{fmt_number(ours['auc_low'], 2)} – {fmt_number(ours['auc_high'], 2)}",
               help=_("Bootstrap over the arrivals and the rest: with so few arrivals the interval is wide."))
cols[3].metric(_("Arrivals in the top 50"), fmt_number(round(ours["p_at_50"] * 50)))


def ranking_name(row: pd.Series) -> str:
    if row["kind"] == "criterion":
        label = CRITERIA_BY_ID[row.at["key"]].label
        return _("%(criterion)s alone") % {"criterion": _(label)}
    if row["kind"] == "preset":
        label = PRESETS_BY_ID[row.at["key"]].label
        return _("Preset: %(name)s") % {"name": _(label)}
    return {"view": _("Current view"), "random": _("Random order (expected)"),
            "learned": _("Learned from these outcomes (in-sample)"),
            "expected": _("Expected value (likelihood × value)"), "likelihood": _("Likelihood of coming")}[row["kind"]]


st.subheader(_("The current view beside the baselines"))
table = result.evaluations.assign(ranking=result.evaluations.apply(ranking_name, axis=1))
percent = {c: table[c] * 100 for c in table.columns if c.startswith(("p_at", "r_at"))}
st.dataframe(table.assign(**percent), hide_index=True,
             column_order=["ranking", "auc", "auc_low", "auc_high", "p_at_10", "p_at_50", "p_at_50_low",
                           "p_at_50_high", "p_at_100", "r_at_100"],
             column_config={"ranking": _("Ranking"), "auc": st.column_config.NumberColumn("AUC", format="%.2f"),
                            "auc_low": st.column_config.NumberColumn(_("AUC, low"), format="%.2f"),
                            "auc_high": st.column_config.NumberColumn(_("AUC, high"), format="%.2f"),
                            **{c: st.column_config.NumberColumn(label, format="%.0f%%") for c, label in (
                                ("p_at_10", _("Precision at 10")), ("p_at_50", _("Precision at 50")),
                                ("p_at_50_low", _("at 50, low")), ("p_at_50_high", _("at 50, high")),
                                ("p_at_100", _("Precision at 100")), ("r_at_100", _("Recall at 100")))}})

st.subheader(_("Where the arrivals rank"))
arrived = result.arrivals.assign(outcomes=result.arrivals["outcomes"].map(
    lambda t: ", ".join(_(OUTCOME_LABELS[k]) for k in t.split(", "))), evidence=result.arrivals["evidence"].map(
    lambda t: ", ".join(_(EVIDENCE_LABELS[k]) for k in t.split(", "))))
st.dataframe(arrived.sort_values("rank"), hide_index=True,
             column_order=["rank", "company", "outcome_date", "outcomes", "evidence"],
             column_config={"rank": st.column_config.NumberColumn(_("Rank now"), format="%d"),
                            "company": _("Company"), "outcome_date": _("When"), "outcomes": _("What happened"),
                            "evidence": _("Evidence")})
if result.unranked:
    st.caption(_("Not in the ranking (not a candidate, or outside the filters): %(names)s")
               % {"names": ", ".join(map(md_text, result.unranked))})

st.subheader(_("Which criteria separate arrivals from the rest"))
sep = result.separation.assign(criterion=result.separation["criterion"].map(_),
                               **{c: result.separation[c] * 100 for c in ("arrivals_unknown", "others_unknown")})
st.dataframe(sep, hide_index=True, column_order=["criterion", "arrivals_mean", "others_mean", "auc_alone",
                                                 "arrivals_unknown", "others_unknown"],
             column_config={"criterion": _("Criterion"),
                            "arrivals_mean": st.column_config.NumberColumn(_("Arrivals, mean"), format="%.2f"),
                            "others_mean": st.column_config.NumberColumn(_("Others, mean"), format="%.2f"),
                            "auc_alone": st.column_config.NumberColumn(_("AUC alone"), format="%.2f"),
                            "arrivals_unknown": st.column_config.NumberColumn(_("Arrivals, unknown"), format="%.0f%%"),
                            "others_unknown": st.column_config.NumberColumn(_("Others, unknown"), format="%.0f%%")})

st.subheader(_("Weights learned from the outcomes"))
learned = {cid: round(w * 100) for cid, w in result.learned.items()}
st.caption(_("Non-negative weights summing to 100 that best separate these %(n)d arrivals (logistic regression). "
             "In-sample AUC %(auc)s; leave-one-arrival-out AUC %(loo)s: the gap is how much is fitted to these few "
             "cases. Treat them as a hint, not a verdict.")
           % {"n": n, "auc": fmt_number(result.learned_auc, 2), "loo": fmt_number(result.learned_loo_auc, 2)})
st.dataframe(pd.DataFrame({_("Criterion"): [_(c.label) for c in CRITERIA],
                           _("Learned weight"): [learned[c.id] for c in CRITERIA]}), hide_index=True)
st.button(_("Load the learned weights into the sliders"), icon=":material/tune:", key="bt_load",
          on_click=ui.set_weights, args=(learned,))
AUC_COLUMNS = {"ranking": _("Ranking"), "auc": st.column_config.NumberColumn("AUC", format="%.2f"),
               "auc_low": st.column_config.NumberColumn(_("AUC, low"), format="%.2f"),
               "auc_high": st.column_config.NumberColumn(_("AUC, high"), format="%.2f"),
               "p_at_50": st.column_config.NumberColumn(_("Precision at 50"), format="%.0f%%")}
st.subheader(_("Likelihood of coming, tested on companies the model did not see"))
st.caption(_("Leave one arrival out: each arrival and a share of the other companies are scored by a model fitted "
             "without them. Time split: fitted on arrivals up to December 2022, tested on later ones. The value "
             "of the current view, every criterion and every preset are measured on the same held-out companies."))
for split, title in (("leave_one_out", _("Leave one arrival out")), ("time_split", _("Time split"))):
    if split in result.splits_note:
        st.info(_("%(title)s: no figure shown. %(why)s") % {"title": title, "why": result.splits_note[split]})
        continue
    rows = result.validation[result.validation["split"] == split]
    if rows.empty:
        continue
    st.markdown(f"**{title}** " + _("(%(n)d held-out arrivals among %(total)s companies)")
                % {"n": int(rows.iloc[0]["arrivals"]), "total": fmt_number(int(rows.iloc[0]["companies"]))})
    shown = rows.assign(ranking=rows.apply(ranking_name, axis=1), p_at_50=rows["p_at_50"] * 100)
    st.dataframe(shown, hide_index=True, column_order=list(AUC_COLUMNS), column_config=AUC_COLUMNS)
if not result.calibration.empty:
    with st.expander(_("Calibration: predicted against observed arrivals, by tenth of the likelihood")):
        st.dataframe(result.calibration.assign(predicted=result.calibration["predicted"] * 100,
                                               observed=result.calibration["observed"] * 100), hide_index=True,
                     column_config={"decile": _("Tenth (1 = least likely)"), "companies": _("Companies"),
                                    "predicted": st.column_config.NumberColumn(_("Predicted, %"), format="%.2f"),
                                    "observed": st.column_config.NumberColumn(_("Observed, %"), format="%.2f"),
                                    "arrivals": _("Arrivals")})
with st.expander(_("What the likelihood rests on")):
    st.caption(_("Change in the odds of coming per standard deviation of each fact (above 1 raises, below 1 "
                 "lowers), fitted on every recorded arrival. Few arrivals: read the largest effects only."))
    st.dataframe(result.model_weights.assign(label=result.model_weights["label"].map(_)), hide_index=True,
                 column_order=["label", "odds_ratio_per_sd"],
                 column_config={"label": _("Fact"), "odds_ratio_per_sd": st.column_config.NumberColumn(
                     _("Odds ratio per standard deviation"), format="%.2f")})
if not result.feature_groups.empty:
    with st.expander(_("Which facts the likelihood reads, and why")):
        st.caption(_("Each group of facts added to the model (or, for a group it reads, taken out), with the "
                     "leave-one-arrival-out AUC with and without it. The model reads the groups that raise it; "
                     "the others are left out and tried again on every data version. Chosen on these same "
                     "outcomes, so the figures above are mildly optimistic; the time split is the fairer test."))
        groups = result.feature_groups
        st.dataframe(groups.assign(label=groups["label"].map(_)), hide_index=True,
                     column_order=["label", "in_model", "auc_with", "auc_without", "gain"],
                     column_config={"label": _("Facts"), "in_model": _("Read by the model"),
                                    "auc_with": st.column_config.NumberColumn(_("AUC with"), format="%.3f"),
                                    "auc_without": st.column_config.NumberColumn(_("AUC without"), format="%.3f"),
                                    "gain": st.column_config.NumberColumn(_("Gain"), format="%+.3f")})


if result.undated:
    title = _("Facts that could not be dated (%(n)d), left out for the arrivals") % {"n": len(result.undated)}
    with st.expander(title):
        st.markdown("\n".join(f"- {md_text(t)}" for t in result.undated))
st.caption(_("Outcomes: statements of the Prime Minister and the Ministry of Foreign Affairs 2022-2024, "
                     "the press, and openings confirmed by the companies; each with its source on the Data page."))
