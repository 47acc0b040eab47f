"""The likelihood of coming: a planted signal is found and a shuffled one is not, unknowns are indicators (never a
middle value), seeded output is stable, the orders (value reproduces the weighted ranking exactly), validation on
the seed, and the CLI."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from lib import likelihood as lk
from lib.backtest import BacktestSettings, auc, fit_likelihood, run_backtest
from lib.models import ScoringSettings
from lib.outcomes import stored_outcomes
from lib.scoring import rank_companies
from tests.unit.test_backtest import cli, db  # noqa: F401  (the fixture)


def synthetic(n: int = 1500, seed: int = 0, shuffle: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Companies whose chance of arriving rises with revenue (planted), with a fifth of revenues unknown."""
    rng = np.random.default_rng(seed)
    revenue = 10 ** rng.uniform(1, 5, n)
    p = 1 / (1 + np.exp(-(3.0 * (np.log10(revenue) - 3) - 4)))
    y = rng.random(n) < p
    revenue[rng.random(n) < 1 / 5] = np.nan
    companies = pd.DataFrame({
        "company_id": np.arange(1, n + 1), "revenue_worldwide_usd_m": revenue, "employees_worldwide": np.nan,
        "russia_revenue_usd_m": np.nan, "russia_employees": np.nan, "kazakhstan_presence": None,
        "kazakhstan_presence_since": np.nan, "russia_production": None, "group_parent_id": np.nan,
        "hq_country": "Germany", "status": "Withdrawal", "sector_code": "IND", "is_candidate": True})
    if shuffle:
        y = rng.permutation(y)
    return companies, y


def out_of_sample_auc(companies: pd.DataFrame, y: np.ndarray) -> float:
    x = lk.feature_frame(companies)
    return auc(lk.leave_one_arrival_out(x, y), y)


def test_a_planted_signal_is_found_out_of_sample():
    companies, y = synthetic()
    assert y.sum() >= 20
    assert out_of_sample_auc(companies, y) > 0.75
    model = lk.fit(lk.feature_frame(companies), y)
    weights = model.weights().set_index("feature")["log_odds_per_sd"]
    assert weights["log_size"] > 0 and weights["log_size"] == weights.abs().max()


def test_a_shuffled_signal_is_not_found():
    companies, y = synthetic(shuffle=True)
    assert 0.35 < out_of_sample_auc(companies, y) < 0.65


def test_unknowns_are_an_indicator_not_a_middle_value():
    companies, _y = synthetic(n=200)
    x = lk.feature_frame(companies)
    unknown = companies["revenue_worldwide_usd_m"].isna().to_numpy()
    assert (x["revenue_unknown"].to_numpy() == unknown).all()
    # The unknown rows all carry one fill value (the mean of the known logs), and the indicator says so.
    assert x.loc[unknown, "log_revenue"].nunique() == 1
    assert x.loc[unknown, "log_revenue"].iloc[0] == pytest.approx(x.loc[~unknown, "log_revenue"].mean())
    assert x["staff_unknown"].eq(1).all()
    # Size, as the model reads it: revenue where known (no staff here), the same indicator where not.
    assert (x["size_unknown"].to_numpy() == unknown).all()
    assert np.allclose(x.loc[~unknown, "log_size"], x.loc[~unknown, "log_revenue"])


def test_size_from_staff_follows_the_line_of_the_companies_with_both():
    companies, _y = synthetic(n=300)
    companies["employees_worldwide"] = companies["revenue_worldwide_usd_m"] * 4  # 0.25 m revenue per head
    only_staff = companies.index[:20]
    companies.loc[only_staff, "employees_worldwide"] = 4000.0
    companies.loc[only_staff, "revenue_worldwide_usd_m"] = np.nan
    x = lk.feature_frame(companies)
    estimated = x.loc[only_staff, "log_size"]
    assert np.log10(900) < estimated.min() <= estimated.max() < np.log10(1100)  # 4,000 staff: about 1,000 m
    assert x.loc[only_staff, "size_unknown"].eq(0).all()


def test_the_model_reads_its_groups_and_the_others_only_when_asked():
    companies, y = synthetic(n=400)
    x = lk.feature_frame(companies)
    model = lk.fit(x, y)
    assert {lk.feature_group(f) for f in model.features} <= set(lk.MODEL_GROUPS)
    assert "log_size" in model.features and "log_revenue" not in model.features
    everything = lk.fit(x, y, groups=None)
    assert set(everything.features) == set(x.columns)
    with_sector = lk.fit(x, y, groups=(*lk.MODEL_GROUPS, "sector"))
    assert "sector_IND" in with_sector.features


def test_seeded_output_is_stable():
    companies, y = synthetic(n=600)
    x = lk.feature_frame(companies)
    first, second = lk.leave_one_arrival_out(x, y, seed=3), lk.leave_one_arrival_out(x, y, seed=3)
    assert np.array_equal(first, second)
    assert np.array_equal(lk.fit(x, y).coef, lk.fit(x, y).coef)


def test_the_fit_is_scikit_learns_l2_logistic_regression_on_the_seed(universe, store):
    """The fit minimises LogisticRegression's objective with scipy (scikit-learn is not imported by the app): on
    the seed's features and arrivals, and on a planted signal, the coefficients equal scikit-learn's."""
    from sklearn.linear_model import LogisticRegression

    from lib.backtest import training_set

    _kept, seed_x, seed_y, _dates = training_set(universe, store.company_facts(), stored_outcomes(store))
    companies, y = synthetic(n=800)
    for x, labels in ((seed_x, np.asarray(seed_y, dtype=int)), (lk.feature_frame(companies), y.astype(int))):
        assert labels.sum() >= 5
        x = x[lk.model_columns(x.columns, lk.MODEL_GROUPS)]
        ours = lk.fit(x, labels)
        z = (x.to_numpy(dtype=float) - ours.mean) / ours.scale
        c = lk.PENALTY_SCALE / labels.sum()
        theirs = LogisticRegression(C=c, tol=1e-12, max_iter=10_000).fit(z, labels)
        assert np.abs(ours.coef - theirs.coef_[0]).max() < 1e-6
        assert abs(ours.intercept - theirs.intercept_[0]) < 1e-6


def test_contributions_add_up_to_the_log_odds():
    companies, y = synthetic(n=400)
    x = lk.feature_frame(companies)
    model = lk.fit(x, y)
    total = model.contributions(x).sum(axis=1).to_numpy() + model.base_logit
    assert np.allclose(total, model.logit(x))


def test_time_split_refuses_too_few_arrivals():
    companies, y = synthetic(n=400)
    dates = pd.Series(np.where(y, "2022-06", ""))  # no arrival after the cut
    assert lk.time_split(lk.feature_frame(companies), y, dates) is None


def test_value_order_is_the_weighted_ranking_exactly(universe, store):
    ranking = rank_companies(universe.companies, universe.values, ScoringSettings())
    _model, likelihood = fit_likelihood(universe, store.company_facts(), stored_outcomes(store))
    by_value = lk.order_table(ranking.table, likelihood, "value")
    assert by_value[["company_id", "rank", "tied", "score"]].equals(ranking.table[["company_id", "rank", "tied",
                                                                                    "score"]])
    expected = lk.order_table(ranking.table, likelihood, "expected")
    assert (np.diff(expected["expected"].to_numpy()) <= 1e-12).all()
    assert expected["expected"].to_numpy() == pytest.approx(
        (expected["likelihood"] * expected["score"]).to_numpy())
    assert set(expected["company_id"]) == set(ranking.table["company_id"])
    assert likelihood.between(0, 1).all() and likelihood.index.isin(ranking.table["company_id"]).all()


def test_validation_on_the_seed_reports_both_splits_beside_the_baselines(universe, store):
    result = run_backtest(universe, store.company_facts(), stored_outcomes(store), ScoringSettings(),
                          backtest=BacktestSettings(bootstrap=100))
    assert set(result.validation["split"]) == {"leave_one_out", "time_split"}
    for _split, rows in result.validation.groupby("split"):
        kinds = set(rows["kind"])
        assert {"expected", "likelihood", "view", "random", "criterion", "preset"} <= kinds
        assert rows["auc"].between(0, 1).all()
        assert (rows["auc_low"] <= rows["auc"] + 1e-9).all() and (rows["auc"] <= rows["auc_high"] + 1e-9).all()
    assert result.calibration["companies"].sum() == result.n_ranked
    assert not result.model_weights.empty


def test_cli_rank_orders_by_expected_value_and_value_reproduces_the_old_ranking(db):  # noqa: F811
    code, out, err = cli(db, "rank", "--format", "csv")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert {"likelihood", "expected", "score"} <= set(table.columns)
    assert (np.diff(table["expected"].to_numpy()) <= 1e-9).all()
    code, out, err = cli(db, "rank", "--order", "value", "--format", "csv")
    assert code == 0, err
    by_value = pd.read_csv(io.StringIO(out))
    assert (np.diff(by_value["score"].to_numpy()) <= 1e-9).all() and "likelihood" not in by_value
    code, _out, err = cli(db, "rank", "--order", "nonsense")
    assert code == 2 and "order" in err


def test_cli_backtest_reports_the_likelihood_validation(db):  # noqa: F811
    code, out, err = cli(db, "backtest", "--format", "json", "--bootstrap", "50")
    assert code == 0, err
    payload = json.loads(out)
    kinds = {(r["split"], r["kind"]) for r in payload["likelihood_validation"]}
    assert ("leave_one_out", "expected") in kinds and ("time_split", "likelihood") in kinds
    assert payload["likelihood_features"] and "leave_one_out: expected value AUC" in err


def test_feature_group_trials_show_what_each_group_adds_on_the_same_folds():
    from lib.backtest import feature_group_trials

    companies, y = synthetic(n=800)
    x = lk.feature_frame(companies)
    trials = feature_group_trials(x, y).set_index("group")
    model_auc = auc(lk.leave_one_arrival_out(x, y), y)
    assert trials.loc["size", "in_model"] and trials.loc["size", "auc_with"] == pytest.approx(model_auc)
    assert trials.loc["size", "gain"] > 0.2  # the planted signal is in the size
    # A group the model does not read is tried on top of it: its "without" is the model itself.
    assert not trials.loc["sector", "in_model"] and trials.loc["sector", "auc_without"] == pytest.approx(model_auc)
