"""Decision quality page: set the weights by preset or by ranking the criteria, and see how robust the ranking is."""

import pandas as pd
import streamlit as st

from lib import ui
from lib.charts import rank_interval_chart, weight_share_chart
from lib.criteria import CRITERIA
from lib.elicitation import PRESETS, PRESETS_BY_ID, CriteriaRanking, matching_preset, weights_from_ranking
from lib.i18n import _, fmt_number
from lib.robustness import (
    UNCERTAINTIES,
    UNCERTAINTY_LABELS,
    RobustnessSettings,
    method_agreement,
    rank_robustness,
    weight_intervals,
)
from lib.scoring import criteria_matrices
from lib.viewstate import QualityParams, limits

view = ui.page_view()  # first: the view app.py passes on (and a page run alone goes through app.py)

settings, filters = view.settings(), view.filters()
universe = ui.get_universe()
label = {c.id: _(c.label) for c in CRITERIA}

st.title(_("Decision quality"))
st.caption(_("Would the same companies still come out on top if the weights were a little different? Set the "
             "weights from a preset or by ranking the criteria, then see how stable the ranking is."))

st.header(_("Set the weights"))
presets_tab, roc_tab = st.tabs([_("Presets"), _("Rank the criteria")])
with presets_tab:
    preset = PRESETS_BY_ID[st.selectbox(_("Preset"), [p.id for p in PRESETS], key="preset",
                                        format_func=lambda p: _(PRESETS_BY_ID[p].label))]
    st.write(_(preset.rationale))
    st.button(_("Use these weights"), key="apply_preset", on_click=ui.set_weights, args=(preset.weights,),
              help=_("Sets the sliders in the sidebar; you can still adjust them afterwards."))
with roc_tab:
    order = st.multiselect(_("Criteria from most to least important"), list(label), format_func=label.get,
                           key="roc_order", placeholder=_("Pick the most important criterion first"),
                           help=_("Criteria you leave out get weight 0."))
    st.caption(_("Rank-order centroid weights (Barron and Barrett, 1996): the i-th of n ranked criteria gets "
                 "(1/n)(1/i + 1/(i+1) + ... + 1/n), the centre of all weightings that respect your order."))
    if order:
        roc = weights_from_ranking(CriteriaRanking(order=order))
        st.dataframe(pd.DataFrame({"criterion": [label[c] for c in order], "weight": [roc[c] for c in order]}),
                     hide_index=True, column_config={
                         "criterion": _("Criterion"),
                         "weight": st.column_config.NumberColumn(_("Weight, %"), format="%d")})
        st.button(_("Use rank-order weights"), key="apply_roc", on_click=ui.set_weights, args=(roc,))

st.header(_("Robustness of the ranking"))
left, right = st.columns(2)
ui.page_state(QualityParams)
low, high = map(int, limits("rob_k"))
top_k = left.number_input(_("Top places that count (K)"), min_value=low, max_value=high, key="rob_k",
                          help=_("How long the list is that the minister will see."))
uncertainty = right.radio(_("How sure are we of the weights?"), UNCERTAINTIES, key="rob_unc",
                          format_func=lambda u: _(UNCERTAINTY_LABELS[u]))
robust_settings = RobustnessSettings(top_k=int(top_k), uncertainty=uncertainty)
matched = matching_preset(settings.weights)
if matched:
    st.caption(_("The current weights are the preset “%(name)s”.") % {"name": _(PRESETS_BY_ID[matched].label)})
intervals = weight_intervals(settings.weights, robust_settings.concentration)
st.altair_chart(weight_share_chart(intervals.assign(criterion=intervals["criterion_id"].map(label))),
                width="stretch")

matrix, unknown_cells = criteria_matrices(universe.companies, universe.values, settings, filters)
if matrix.empty:
    st.info(_("No company matches the filters in the sidebar: widen them to see the robustness of the ranking."))
    st.stop()
sample_unknowns = st.toggle(
    _("Also draw the unknown facts"), value=True, key="rob_unknowns", disabled=settings.method != "wsm",
    help=_("Each sample also replaces every fact the company lacks by a value drawn from the companies whose fact "
           "is known, so the chance of the top K shows what missing data could change (weighted sum only)."))
unknown = unknown_cells if sample_unknowns else None
robust = rank_robustness(matrix, settings.weights, robust_settings, settings.method, unknown=unknown)
k = min(robust_settings.top_k, len(matrix))
cols = st.columns(3)
cols[0].metric(_("Weight samples"), fmt_number(robust_settings.samples))
cols[1].metric(_("Firmly in the top %(k)d") % {"k": k}, _("%(n)d of %(k)d") % {"n": robust.stable_in_top, "k": k},
               help=_("Companies in the top K now that stay there in at least 90% of the weight samples."))
cols[2].metric(_("Method"), _(ui.METHOD_LABELS[settings.method]))
st.altair_chart(rank_interval_chart(robust.table, k), width="stretch")
shown = robust.table.head(max(25, k)).assign(p_top_k=lambda t: t["p_top_k"] * 100)
st.dataframe(shown, hide_index=True, column_order=["rank", "name", "p_top_k", "rank_low", "rank_median", "rank_high"],
             column_config={
                 "rank": st.column_config.NumberColumn(_("Rank now"), width="small"),
                 "name": _("Company"),
                 "p_top_k": st.column_config.ProgressColumn(_("Chance of the top %(k)d") % {"k": k}, min_value=0,
                                                            max_value=100, format="%.0f%%"),
                 "rank_low": st.column_config.NumberColumn(_("Best rank (5%)"), format="%d"),
                 "rank_median": st.column_config.NumberColumn(_("Median rank"), format="%d"),
                 "rank_high": st.column_config.NumberColumn(_("Worst rank (95%)"), format="%d")})
st.caption(_("Weights are drawn %(n)s times around the current ones (Dirichlet distribution); companies with "
             "identical data share a rank.") % {"n": fmt_number(robust_settings.samples)}
           + (" " + _("Unknown facts are drawn in every sample too.") if unknown is not None
              and settings.method == "wsm" else ""))

st.header(_("Do the two methods agree?"))
agreement = method_agreement(matrix, settings.weights, top_k=k)
cols = st.columns(2)
cols[0].metric(_("Kendall's tau, weighted sum vs TOPSIS"), fmt_number(agreement.kendall_tau, 2),
               help=_("1 = the same order, 0 = unrelated orders, -1 = reversed; over every company ranked."))
cols[1].metric(_("In the top %(k)d of both") % {"k": k}, _("%(n)d of %(k)d") % {"n": agreement.top_k_overlap, "k": k})
differences = agreement.differences.assign(shift=agreement.differences["shift"].abs())
st.dataframe(differences, hide_index=True, column_order=["name", "rank_wsm", "rank_topsis", "shift"], column_config={
    "name": _("Company"),
    "rank_wsm": st.column_config.NumberColumn(_("Rank, weighted sum"), format="%d"),
    "rank_topsis": st.column_config.NumberColumn(_("Rank, TOPSIS"), format="%d"),
    "shift": st.column_config.NumberColumn(_("Places apart"), format="%d")})
st.caption(_("The companies whose rank differs most between the methods, among the top 50 of either: TOPSIS "
             "rewards being close to the best company on every criterion, the weighted sum rewards the total."))
