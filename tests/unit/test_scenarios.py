"""Saved scenarios: editors save, replace and delete (audited); anyone lists, loads and compares."""

import pytest

from lib.auth import PermissionDenied, User
from lib.charts import rank_shift_chart
from lib.criteria import DEFAULT_WEIGHTS
from lib.scenarios import (
    ScenarioExists,
    compare_views,
    delete_scenario,
    list_scenarios,
    load_scenario,
    save_scenario,
    scenarios_frame,
)
from lib.scoring import rank_companies
from lib.viewstate import ViewState

EDITOR = User(name="Aigerim", role="editor")
VIEWER = User(name="Deputy minister", role="viewer")
SCALE_ONLY = ViewState(weights={cid: (100 if cid == "company_scale" else 0) for cid in DEFAULT_WEIGHTS})


def audit_rows(store):
    return store.fetch_all("SELECT actor, action, record_key FROM audit_log WHERE table_name = 'scenarios' "
                           "ORDER BY audit_id")


def test_save_and_load_round_trip_with_who_and_when(store):
    view = ViewState(method="topsis", sectors=["ITC"], statuses=["Withdrawal"], min_revenue_usd_m=500,
                     company=3, lang="ru")
    saved = save_scenario(store, EDITOR, "  IT exits  ", view, note="for the Q3 briefing")
    loaded = load_scenario(store, saved.scenario_id)
    assert loaded.name == "IT exits" and loaded.created_by == "Aigerim" and loaded.note == "for the Q3 briefing"
    assert loaded.view == view.scoring_part()  # the company and language are not part of a scenario
    assert loaded.view.method == "topsis" and loaded.view.sectors == ["ITC"]
    assert [s.name for s in list_scenarios(store)] == ["IT exits"]
    assert audit_rows(store) == [("Aigerim", "save_scenario", "IT exits")]


def test_viewer_cannot_save_or_delete_and_nothing_changes(store):
    saved = save_scenario(store, EDITOR, "Base", ViewState())
    before = store.table_checksums()
    with pytest.raises(PermissionDenied):
        save_scenario(store, VIEWER, "Mine", ViewState())
    with pytest.raises(PermissionDenied):
        delete_scenario(store, VIEWER, saved.scenario_id)
    assert store.table_checksums() == before


def test_same_name_is_refused_unless_replaced(store):
    save_scenario(store, EDITOR, "Base", ViewState())
    with pytest.raises(ScenarioExists):
        save_scenario(store, EDITOR, "Base", SCALE_ONLY)
    assert list_scenarios(store)[0].view == ViewState()
    replaced = save_scenario(store, User(name="Nurlan", role="editor"), "Base", SCALE_ONLY, replace=True)
    (only,) = list_scenarios(store)
    assert only.scenario_id == replaced.scenario_id and only.view == SCALE_ONLY and only.created_by == "Nurlan"
    assert [row[1] for row in audit_rows(store)] == ["save_scenario", "replace_scenario"]
    before = store.fetch_one("SELECT before FROM audit_log WHERE action = 'replace_scenario'")[0]
    assert "Aigerim" in before


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_bad_names_are_refused(store, name):
    with pytest.raises(ValueError):
        save_scenario(store, EDITOR, name, ViewState())
    assert list_scenarios(store) == []


def test_delete_removes_and_audits(store):
    saved = save_scenario(store, EDITOR, "Temp", ViewState())
    assert delete_scenario(store, EDITOR, saved.scenario_id)
    assert load_scenario(store, saved.scenario_id) is None
    assert not delete_scenario(store, EDITOR, saved.scenario_id)
    assert audit_rows(store)[-1] == ("Aigerim", "delete_scenario", "Temp")


def test_scenarios_frame_describes_weights_and_filters(store):
    save_scenario(store, EDITOR, "Scale", SCALE_ONLY.model_copy(update={"exclude_high_risk": True}))
    row = scenarios_frame(list_scenarios(store)).iloc[0]
    assert row["weights"] == "Company scale 100%"
    assert "compliance risk" in row["filters"]


def test_comparing_a_view_with_itself_moves_nothing(universe):
    comparison = compare_views(universe, ViewState(), ViewState(), top_n=10)
    assert len(comparison.table) == 10
    assert set(comparison.table["movement"]) == {"stayed"}
    assert (comparison.table["shift"] == 0).all()


def test_comparison_matches_two_independent_rankings(universe):
    top_n = 10
    comparison = compare_views(universe, ViewState(), SCALE_ONLY, top_n=top_n)
    rank_a = rank_companies(universe.companies, universe.values, ViewState().settings()).table
    rank_b = rank_companies(universe.companies, universe.values, SCALE_ONLY.settings()).table
    top_a, top_b = set(rank_a["company_id"].head(top_n)), set(rank_b["company_id"].head(top_n))
    table = comparison.table.set_index("company_id")
    assert set(table.index) == top_a | top_b
    assert set(table.index[table["movement"] == "entered"]) == top_b - top_a
    assert set(table.index[table["movement"] == "left"]) == top_a - top_b
    assert top_a != top_b  # the two views really differ, so the test is not vacuous
    for company_id, row in table.iterrows():
        expected_a = int(rank_a.loc[rank_a["company_id"] == company_id, "rank"].iloc[0])
        expected_b = int(rank_b.loc[rank_b["company_id"] == company_id, "rank"].iloc[0])
        assert (row["rank_a"], row["rank_b"], row["shift"]) == (expected_a, expected_b, expected_a - expected_b)


def test_a_company_filtered_out_in_b_has_no_rank_there(universe):
    only_it = ViewState(sectors=["ITC"])
    comparison = compare_views(universe, ViewState(), only_it, top_n=5)
    left = comparison.table[comparison.table["movement"] == "left"]
    assert comparison.ranked_b < comparison.ranked_a
    assert left["rank_b"].isna().any()


def test_rank_shift_chart_has_two_points_per_company_and_clips_outsiders(universe):
    comparison = compare_views(universe, ViewState(), SCALE_ONLY, top_n=5)
    spec = rank_shift_chart(comparison.table, "Default", "Scale only", 5).to_dict()
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 2 * len(comparison.table)
    assert {d["scenario"] for d in data} == {"Default", "Scale only"}
    assert max(d["shown"] for d in data) <= 6
    outsiders = [d for d in data if d["rank"] is not None and d["rank"] > 5]
    assert outsiders and all(d["shown"] == 6 for d in outsiders)
    assert spec["layer"][0]["mark"]["type"] == "line"
