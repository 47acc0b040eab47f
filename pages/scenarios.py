"""Scenarios page: save the current view under a name, load one into the sidebar, compare two."""

import streamlit as st
from pydantic import ValidationError

from lib import ui
from lib.auth import PermissionDenied
from lib.charts import rank_shift_chart
from lib.i18n import _, fmt_date, fmt_number, md_text
from lib.scenarios import (
    MOVEMENT_LABELS,
    ScenarioExists,
    compare_views,
    delete_scenario,
    list_scenarios,
    save_scenario,
    scenarios_frame,
)
from lib.viewstate import ScenariosParams, limits

view = ui.page_view()  # first: the view app.py passes on (and a page run alone goes through app.py)

CURRENT = 0  # the compare selectors' id for the view in the sidebar (scenario ids start at 1)

store, user = ui.get_store(), ui.current_user()
current = view.scoring_part()
scenarios = {s.scenario_id: s for s in list_scenarios(store)}

st.title(_("Scenarios"))
st.caption(_("A scenario is a named set of weights, method, missing-data policy and filters. Save the view in "
             "the sidebar, load a colleague's scenario, or compare two to see how the top of the ranking moves."))

st.subheader(_("Save the current view"))
if not user.can_edit:
    st.info(_("You are a viewer: you can load and compare scenarios. Saving needs an editor sign-in (sidebar)."))
with st.form("save_scenario", clear_on_submit=False):
    name = st.text_input(_("Scenario name"), max_chars=80, key="scenario_name")
    note = st.text_area(_("Note (optional)"), max_chars=500, key="scenario_note",
                        placeholder=_("Why these weights, for which briefing"))
    replace = st.checkbox(_("Replace a scenario with the same name"), key="scenario_replace")
    submitted = st.form_submit_button(_("Save scenario"), type="primary", disabled=not user.can_edit)
if submitted:
    try:
        saved = save_scenario(store, user, name, current, note, replace=replace)
    except PermissionDenied:
        st.error(_("Only editors can save scenarios. Sign in as an editor in the sidebar."))
    except ScenarioExists as exc:
        st.warning(str(exc))
    except ValidationError:
        st.error(_("Give the scenario a name of 1 to 80 characters."))
    else:
        st.success(_("Saved “%(name)s”.") % {"name": md_text(saved.name)})
        scenarios[saved.scenario_id] = saved

st.subheader(_("Saved scenarios"))
if not scenarios:
    st.info(_("No scenario saved yet."))
else:
    frame = scenarios_frame(list(scenarios.values())).sort_values("created_at", ascending=False)
    frame["created_at"] = frame["created_at"].map(lambda t: fmt_date(t.date()))
    st.dataframe(frame, hide_index=True, column_order=["name", "created_by", "created_at", "method", "weights",
                                                        "filters", "note"],
                 column_config={"name": _("Scenario"), "created_by": _("Saved by"), "created_at": _("Saved on"),
                                "method": _("Method"), "weights": _("Weights"), "filters": _("Filters"),
                                "note": _("Note")})
    chosen = st.selectbox(_("Scenario"), list(scenarios), format_func=lambda i: scenarios[i].name,
                          key="scenario_chosen")
    left, right = st.columns(2)
    left.button(_("Load into the sidebar"), key="scenario_load", icon=":material/upload:",
                on_click=ui.apply_view, args=(scenarios[chosen].view,),
                help=_("Sets the weights and filters in the sidebar; the link in the address bar follows."))
    if right.button(_("Delete"), key="scenario_delete", icon=":material/delete:", disabled=not user.can_edit):
        try:
            delete_scenario(store, user, chosen)
        except PermissionDenied:
            st.error(_("Only editors can delete scenarios."))
        else:
            st.rerun()

st.subheader(_("Compare two scenarios"))
options = [CURRENT, *scenarios]


def label(option: int) -> str:
    return _("Current view (sidebar)") if option == CURRENT else scenarios[option].name


col_a, col_b, col_n = st.columns([2, 2, 1])
a = col_a.selectbox(_("Scenario A"), options, format_func=label, key="compare_a",
                    index=min(1, len(options) - 1))
b = col_b.selectbox(_("Scenario B"), options, format_func=label, key="compare_b")
ui.page_state(ScenariosParams)
low, high = map(int, limits("compare_top_n"))
top_n = col_n.number_input(_("Top N"), min_value=low, max_value=high, step=1, key="compare_top_n")
if a == b:
    st.info(_("Choose two different scenarios to compare (save the current view first to have two)."))
    st.stop()

comparison = compare_views(ui.get_universe(), current if a == CURRENT else scenarios[a].view,
                           current if b == CURRENT else scenarios[b].view, int(top_n))
entered, left_top = comparison.names("entered"), comparison.names("left")
m1, m2, m3 = st.columns(3)
m1.metric(_("Entered the top %(n)d") % {"n": top_n}, fmt_number(len(entered)))
m2.metric(_("Left the top %(n)d") % {"n": top_n}, fmt_number(len(left_top)))
m3.metric(_("Stayed"), fmt_number(len(comparison.names("stayed"))))
st.altair_chart(rank_shift_chart(comparison.table, label(a), label(b), int(top_n)), width="stretch")
shown = comparison.table.assign(movement=comparison.table["movement"].map(lambda m: _(MOVEMENT_LABELS[m])))
st.dataframe(shown, hide_index=True, column_order=["name", "rank_a", "rank_b", "shift", "movement"],
             column_config={"name": _("Company"), "rank_a": _("Rank in A"), "rank_b": _("Rank in B"),
                            "shift": st.column_config.NumberColumn(_("Places gained in B"), format="%+d"),
                            "movement": _("Change")})
st.caption(_("A: %(a)s companies ranked; B: %(b)s. An empty rank means the company is filtered out there.")
           % {"a": fmt_number(comparison.ranked_a), "b": fmt_number(comparison.ranked_b)})
