"""AppTest: the Back-test page shows the arrivals' ranks, the baselines and learned weights that load into the
sliders; narrowing the evidence changes the arrivals."""

from streamlit.testing.v1 import AppTest

from tests.conftest import APP


def open_backtest() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/backtest.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_backtest_page_shows_arrivals_baselines_and_loads_learned_weights(app_db):
    at = open_backtest()
    metrics = {m.label: m.value for m in at.metric}
    assert 0 <= float(metrics["AUC of the current view"]) <= 1
    evaluations, arrivals = at.dataframe[0].value, at.dataframe[1].value
    assert {"Current view", "Random order (expected)", "Company scale alone"} <= set(evaluations["ranking"])
    assert arrivals["rank"].notna().all() and len(arrivals) >= 10
    learned = at.dataframe[3].value
    assert learned["Learned weight"].sum() in range(98, 103)  # rounded shares of 100
    at.button(key="bt_load").click().run()
    weight = {c: at.session_state[f"w_{c}"] for c in ("company_scale", "exit_firmness")}
    shown = dict(zip(learned["Criterion"], learned["Learned weight"], strict=True))
    assert weight["company_scale"] == shown["Company scale"]


def test_only_confirmed_outcomes_give_fewer_arrivals(app_db):
    at = open_backtest()
    everything = len(at.dataframe[1].value)
    at.multiselect(key="bt_levels").set_value(["confirmed"]).run()
    assert not at.exception
    assert len(at.dataframe[1].value) < everything


def test_backtest_page_validates_the_likelihood_out_of_sample(app_db):
    at = open_backtest()
    validation = [d.value for d in at.dataframe[4:6]]
    for table in validation:
        assert {"Expected value (likelihood × value)", "Likelihood of coming", "Random order (expected)",
                "Company scale alone"} <= set(table["ranking"])
        assert table["auc"].between(0, 1).all()
    assert any(m.value.startswith("**Leave one arrival out**") for m in at.markdown)
    assert any(m.value.startswith("**Time split**") for m in at.markdown)
    # Which facts the likelihood reads: every group tried, the ones it reads raise the out-of-sample AUC.
    groups = next(d.value for d in at.dataframe if "in_model" in d.value.columns)
    assert set(groups["group"]) >= {"size", "presence", "sector", "status", "production", "russia"}
    read = groups[groups["in_model"]]
    assert set(read["group"]) == {"size", "presence"} and (read["gain"] > 0).all()
    assert (groups["gain"] == groups["auc_with"] - groups["auc_without"]).all()
