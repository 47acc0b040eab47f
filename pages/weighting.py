"""Group weighting page: a round that several officials answer their own way (sliders, swing or AHP), pooled
weights with the disagreement shown, loaded into the sliders or saved as a scenario."""

import pandas as pd
import streamlit as st

from lib import group_weights as gw
from lib import rounds, ui
from lib.auth import PermissionDenied
from lib.criteria import CRITERIA, CRITERION_IDS
from lib.i18n import _, fmt_number, fmt_percent, md_text
from lib.scenarios import save_scenario
from lib.scoring import criteria_matrix
from lib.viewstate import ViewState, WeightingParams

view = ui.page_view()  # first: the view app.py passes on (and a page run alone goes through app.py)
store, user = ui.get_store(), ui.current_user()
label = {c.id: _(c.label) for c in CRITERIA}
st.title(_("Group weighting"))
st.caption(_("Each official states the weights their own way; the round pools them and shows where they "
             "disagree. Share the round's link with the participants."))

if user.can_edit:
    with st.form("new_round", clear_on_submit=True, border=False):
        name = st.text_input(_("Open a new round"), placeholder=_("e.g. Committee, March 2027"), max_chars=120)
        if st.form_submit_button(_("Open the round")) and name.strip():
            st.session_state["round"] = rounds.open_round(store, user, name)
all_rounds = rounds.rounds(store)
if all_rounds.empty:
    st.info(_("No weighting round yet. An editor opens one here and shares its link."))
    st.stop()
ids = list(all_rounds["round_id"].astype(int))
if ui.page_state(WeightingParams).round not in ids:  # none in the link, or one that no longer exists
    st.session_state["round"] = ids[0]
names = dict(zip(ids, all_rounds["name"], strict=True))
round_id = st.selectbox(_("Round"), ids, format_func=lambda i: f"{names[i]} (#{i})", key="round")
st.code(f"{ui.page_url()}?round={round_id}", language=None)
open_now = rounds.is_open(store, round_id)
if not open_now:
    st.info(_("This round is closed: its submissions and pooled weights stay readable."))
elif user.can_see_pipeline:
    with st.expander(_("Your weighting"), expanded=True):
        who = st.text_input(_("Your name"), value=user.name if user.can_edit else "", max_chars=120, key="w_who")
        mode = st.radio(_("How"), gw.MODES, format_func=lambda m: _(gw.MODE_LABELS[m]), horizontal=True,
                        key="w_mode")
        if mode == "ahp":
            st.caption(_("For each pair: which matters more, and how much (1 equal, 3 moderately, 5 strongly, "
                         "7 very strongly, 9 extremely)."))
            answers = {f"{a}|{b}": st.select_slider(
                f"{label[a]} · {label[b]}", gw.SAATY_SCALE, value=1.0, key=f"w_ahp_{a}_{b}",
                format_func=lambda v, a=a, b=b: _("equal") if v == 1 else
                f"{label[a] if v > 1 else label[b]} ×{round(v if v > 1 else 1 / v)}") for a, b in gw.pairs()}
            submission = dict(judgements=answers)
        else:
            if mode == "swing":
                st.caption(_("Imagine every criterion at its worst. The swing to best you value most gets 100; "
                             "rate the others against it."))
            values = {c.id: st.slider(label[c.id], 0, 100, int(c.default_weight), key=f"w_{mode}_{c.id}")
                      for c in CRITERIA}
            submission = {"sliders" if mode == "sliders" else "swings": values}
        if st.button(_("Submit my weighting"), type="primary", key="w_submit"):
            try:
                rounds.submit(store, user, round_id, gw.Submission(participant=who or user.name, mode=mode,
                                                                   **submission))
                st.success(_("Submitted. You can change it by submitting again."))
            except (ValueError, PermissionDenied, rounds.RoundClosed) as exc:
                st.error(md_text(exc))
else:
    st.info(_("Sign in to take part in this round."))

answers = rounds.submissions(store, round_id)
if not answers:
    st.info(_("Nobody has submitted yet."))
    st.stop()
st.subheader(_("What each participant said"))
weights = {s.participant: s.weight_vector() for s in answers}
checks = {s.participant: gw.ahp(s.matrix()) for s in answers if s.mode == "ahp"}  # consistency, once each
table = pd.DataFrame([{_("Participant"): s.participant, _("How"): _(gw.MODE_LABELS[s.mode]).split(" (")[0],
                       _("Consistency ratio"): fmt_number(checks[s.participant].consistency_ratio, 3)
                       if s.participant in checks else "—",
                       **{label[c]: fmt_percent(weights[s.participant][i], 0) for i, c in enumerate(CRITERION_IDS)}}
                      for s in answers])
st.dataframe(table, hide_index=True)
for who, result in checks.items():
    if not result.acceptable:
        i, j = result.worst_pair
        st.warning(_("%(who)s: consistency ratio %(cr)s is above 0.10. Review the comparison %(a)s · %(b)s first.")
                   % {"who": md_text(who), "cr": fmt_number(result.consistency_ratio, 2),
                      "a": label[CRITERION_IDS[i]], "b": label[CRITERION_IDS[j]]})

st.subheader(_("The group's weights"))
method = st.radio(_("Pool by"), ("judgements", "priorities"), format_func=lambda m: _(gw.POOL_LABELS[m]),
                  key="w_pool")
pooled = gw.pooled_weights(answers, method)
spread = gw.spread(answers)
st.dataframe(pd.DataFrame({_("Criterion"): [label[c] for c in CRITERION_IDS],
                           _("Pooled"): [fmt_percent(w, 0) for w in pooled],
                           _("Lowest"): [fmt_percent(spread[c][0], 0) for c in CRITERION_IDS],
                           _("Highest"): [fmt_percent(spread[c][2], 0) for c in CRITERION_IDS]}), hide_index=True)
slider_values = {c: round(float(w) * 100) for c, w in zip(CRITERION_IDS, pooled, strict=True)}
left, right = st.columns(2)
left.button(_("Load the pooled weights into the sliders"), key="w_load", on_click=ui.set_weights,
            args=(slider_values,))
if user.can_edit:
    scenario = right.text_input(_("Save as scenario"), key="w_scen",
                                value=_("%(round)s (pooled)") % {"round": names[round_id]})
    if right.button(_("Save"), key="w_save"):
        try:
            save_scenario(store, user, scenario, ViewState(weights=slider_values), replace=True)
            right.success(_("Saved as scenario “%(name)s”.") % {"name": md_text(scenario)})
        except (ValueError, PermissionDenied) as exc:
            right.error(md_text(exc))

st.subheader(_("Where they disagree: each participant's top 10"))
universe = ui.get_universe()
settings, filters = view.settings(), view.filters()
matrix = criteria_matrix(universe.companies, universe.values, settings, filters)
tops = gw.top_k_by_participant(matrix, {**weights, _("Pooled"): pooled}, 10)
group_top = set(tops[_("Pooled")])
st.dataframe(pd.DataFrame([{_("Participant"): who, _("Also in the pooled top 10"): len(set(top) & group_top),
                            _("Their top 10"): ", ".join(top)} for who, top in tops.items()]), hide_index=True)
shares = gw.top_k_share(matrix, list(weights.values()), 10)
st.dataframe(shares.assign(share=shares["share"] * 100), hide_index=True, column_order=["name", "share"],
             column_config={"name": _("Company"), "share": st.column_config.ProgressColumn(
                 _("Participants who put it in their top 10"), min_value=0, max_value=100, format="%.0f%%")})
if user.can_edit and open_now and st.button(_("Close the round"), key="w_close"):
    rounds.close_round(store, user, round_id)
    st.rerun()
st.caption(_("Consistency ratio with Donegan and Dodd's random index (as ahpy); the pooled judgements are the "
             "geometric mean of everyone's, which keeps them reciprocal (Forman and Peniwati, 1998). In a geometric "
             "mean a weight of 0 from one participant pulls the criterion to almost 0: a veto."))
