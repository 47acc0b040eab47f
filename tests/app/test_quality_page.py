"""AppTest: the Decision quality page, presets and rank-order weights driving the sidebar, and the what-if."""

import pytest
from streamlit.testing.v1 import AppTest

from lib.criteria import CRITERION_IDS
from lib.elicitation import PRESETS_BY_ID, CriteriaRanking, weights_from_ranking
from lib.models import ScoringSettings
from lib.radar import load_universe
from lib.scoring import rank_companies
from lib.store import open_store
from tests.conftest import APP


@pytest.fixture
def quality(open_page):
    return open_page("pages/quality.py")


def sliders(at: AppTest) -> dict[str, int]:
    return {s.key.removeprefix("w_"): s.value for s in at.slider if s.key.startswith("w_")}


def robustness_table(at: AppTest):
    return next(d.value for d in at.dataframe if "p_top_k" in d.value.columns)


def test_page_shows_robustness_and_method_agreement(quality):
    assert quality.title[0].value == "Decision quality"
    metrics = {m.label: m.value for m in quality.metric}
    assert metrics["Weight samples"] == "1,000"
    assert -1 <= float(metrics["Kendall's tau, weighted sum vs TOPSIS"]) <= 1
    table = robustness_table(quality)
    assert len(table) >= 25
    assert table["p_top_k"].between(0, 100).all()
    assert list(table["rank"]) == sorted(table["rank"])
    assert (table["rank_low"] <= table["rank_high"]).all()


def test_preset_sets_the_sliders_and_the_ranking(quality, app_db):
    quality.selectbox(key="preset").set_value("quick_wins").run()
    quality.button(key="apply_preset").click().run()
    assert not quality.exception
    preset = PRESETS_BY_ID["quick_wins"].weights
    assert sliders(quality) == preset
    assert quality.query_params["w_regional_presence"] == "35"
    assert any("Quick wins" in c.value for c in quality.caption)  # the page names the preset now in use
    # The Rank page ranks with exactly these weights (ordered by the value they give).
    quality.radio(key="order").set_value("value").run()
    quality.switch_page("pages/rank.py").run()
    universe = load_universe(open_store(app_db))
    expected = rank_companies(universe.companies, universe.values, ScoringSettings(weights=preset)).table
    assert list(quality.dataframe[0].value["name"].head(10)) == list(expected["name"].head(10))


def test_rank_order_weights_set_the_sliders(quality):
    order = ["production_intensity", "russian_footprint", "sector_priority", "exit_firmness"]
    quality.multiselect(key="roc_order").set_value(order).run()
    quality.button(key="apply_roc").click().run()
    assert not quality.exception
    expected = weights_from_ranking(CriteriaRanking(order=order))
    assert sliders(quality) == expected
    assert [sliders(quality)[c] for c in order] == [52, 27, 15, 6]
    assert all(sliders(quality)[c] == 0 for c in CRITERION_IDS if c not in order)
    assert any("Normalised weights:" in c.value and "Production intensity 52%" in c.value for c in quality.caption)


def test_more_uncertainty_widens_the_intervals(quality):
    def mean_width() -> float:
        table = robustness_table(quality).head(25)
        return float((table["rank_high"] - table["rank_low"]).mean())

    quality.radio(key="rob_unc").set_value("low").run()
    narrow = mean_width()
    quality.radio(key="rob_unc").set_value("high").run()
    assert not quality.exception
    assert mean_width() > narrow


def test_top_k_changes_the_probabilities(quality):
    before = robustness_table(quality)["p_top_k"].sum()
    quality.number_input(key="rob_k").set_value(20).run()
    after = robustness_table(quality)["p_top_k"].sum()
    assert after > before


def test_no_company_left_shows_a_note(quality):
    quality.number_input(key="min_rev").set_value(1_000_000).run()
    assert not quality.exception
    assert any("No company matches" in i.value for i in quality.info)


def test_company_profile_says_which_weight_change_lifts_it(app_db):
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.radio(key="order").set_value("value").run()  # the what-if moves the value to Kazakhstan, the weights' rank
    company_id = int(at.dataframe[0].value.iloc[14]["company_id"])
    at.session_state["company"] = company_id
    at.switch_page("pages/company.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(m.value.startswith("Rank 15 now.") for m in at.markdown)
    at.number_input(key="explain_k").set_value(20).run()
    assert any(m.value == "Rank 15: already in the top 20." for m in at.markdown)


@pytest.mark.parametrize("params, k", [({"rob_k": "20"}, 20), ({"rob_k": "abc", "rob_unc": "bogus"}, 10),
                                       ({"rob_k": "100000"}, 10), ({"rob_k": "-3"}, 10)])
def test_link_parameters_set_k_and_bad_ones_fall_back(app_db, params, k):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(params)
    at.switch_page("pages/quality.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="rob_k").value == k
    assert at.radio(key="rob_unc").value == "medium"
    assert any(m.label == f"Firmly in the top {k}" for m in at.metric)
