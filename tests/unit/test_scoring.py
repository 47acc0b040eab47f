"""Scoring formulas against hand-computed cases and an independent TOPSIS (pymcdm)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pymcdm.methods import TOPSIS
from pymcdm.normalizations import vector_normalization

from lib.criteria import CRITERION_IDS, DEFAULT_WEIGHTS
from lib.models import Filters, ScoringSettings
from lib.scoring import (
    apply_missing,
    column_reduce,
    competition_ranks,
    criteria_matrix,
    criteria_values,
    fact_completeness,
    filter_mask,
    rank_companies,
    rank_label,
    rank_order,
    scores_for_weights,
    sorted_competition_ranks,
    tie_key,
)


def topsis(matrix, weights):
    return scores_for_weights(matrix, weights[None, :], "topsis")[0]


def test_weighted_sum_by_hand():
    matrix = np.array([[1.0, 0.0], [0.5, 0.5], [0.2, 1.0]])
    scores = scores_for_weights(matrix, np.array([[0.75, 0.25]]), "wsm")[0]
    assert scores == pytest.approx([0.75, 0.5, 0.4])


def test_topsis_by_hand():
    # Two companies, two criteria, equal weights: A=(1,0), B=(0,1) are symmetric -> 0.5 each;
    # C=(1,1) is the ideal -> 1.
    matrix = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    scores = topsis(matrix, np.array([0.5, 0.5]))
    assert scores == pytest.approx([0.5, 0.5, 1.0])


def test_topsis_matches_pymcdm_on_random_matrices():
    rng = np.random.default_rng(7)
    for _ in range(20):
        matrix = rng.random((40, 8))
        weights = rng.dirichlet(np.ones(8))
        ours = topsis(matrix, weights)
        theirs = TOPSIS(vector_normalization)(matrix, weights, np.ones(8))
        assert np.max(np.abs(ours - theirs)) < 1e-12


def test_contributions_add_up_to_score(universe):
    settings = ScoringSettings(weights={"exit_firmness": 40, "company_scale": 5})
    table = rank_companies(universe.companies, universe.values, settings).table
    contributions = table[[f"c_{c}" for c in CRITERION_IDS]].sum(axis=1)
    assert np.allclose(contributions, table["score"], atol=1e-12)
    assert (np.diff(table["score"].to_numpy()) <= 1e-9).all()
    # A rank is the position of the first company with that score; only tied rows share one.
    positions = np.arange(1, len(table) + 1)
    assert (table["rank"] == positions)[~table["tied"]].all()
    assert table["rank"].is_monotonic_increasing and table["tied"].any()


def test_weights_are_normalised():
    settings = ScoringSettings(weights={c: 10 for c in CRITERION_IDS})
    assert sum(settings.normalised_weights().values()) == pytest.approx(1.0)
    assert set(settings.normalised_weights().values()) == {1 / 8}


@pytest.mark.parametrize("bad", [{"nope": 1}, {"exit_firmness": -1}, {"exit_firmness": 101},
                                 {c: 0 for c in DEFAULT_WEIGHTS}])
def test_bad_weights_rejected(bad):
    with pytest.raises(ValueError):
        ScoringSettings(weights=bad)


def test_every_value_in_unit_interval(universe):
    values = universe.values
    assert list(values.columns) == list(CRITERION_IDS)
    known = values.stack().dropna()
    assert len(known) > 0
    assert ((known >= 0) & (known <= 1)).all()


def _frame(**columns):
    base = {
        "company_id": [1, 2, 3], "name": ["A", "B", "C"], "hq_country": ["X", "Y", "X"],
        "sector_code": ["IND", "FIN", None], "status": ["Withdrawal", "Digging in", "Suspension"],
        "russia_revenue_usd_m": [100.0, None, None], "russia_employees": [None, None, None],
        "russia_production": ["sold", None, None], "revenue_worldwide_usd_m": [1000.0, 100000.0, None],
        "employees_worldwide": [None, None, None], "kz_priority": [5, 2, None],
        "kazakhstan_presence": [None, "none_found", "production_site"], "dual_use": [True, False, None],
        "is_candidate": [True] * 3,
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_criteria_values_hand_computed():
    companies = _frame()
    values = criteria_values(companies, pd.Series([50.0, 25.0, None]))  # USD m
    a, b, c = (values.iloc[i] for i in range(3))
    assert a["exit_firmness"] == 1.0 and b["exit_firmness"] == 0.0 and c["exit_firmness"] == 0.75
    assert a["sector_priority"] == 1.0 and b["sector_priority"] == pytest.approx(0.4)
    assert np.isnan(c["sector_priority"]) and np.isnan(c["incentive_fit"])
    # Incentive fit: log1p(value) / log1p(largest value): A 1, B log(26)/log(51).
    assert a["incentive_fit"] == 1.0 and b["incentive_fit"] == pytest.approx(np.log(26) / np.log(51))
    # Russian footprint of A: log1p(100)/log1p(100) = 1 from revenue alone; production is not counted in it.
    assert a["russian_footprint"] == 1.0 and np.isnan(b["russian_footprint"])
    # Production of A: a sold plant is worth half of a suspended one.
    assert a["production_intensity"] == 0.5 and np.isnan(b["production_intensity"])
    # Scale: log-scaled between 1,000 and 100,000 -> A 0, B 1
    assert a["company_scale"] == 0.0 and b["company_scale"] == 1.0
    # Compliance risk (cost, inverted): A = 1 - (0.75*0 + 0.25*1) = 0.75; B = 1 - 0.75 = 0.25
    assert a["compliance_risk"] == pytest.approx(0.75) and b["compliance_risk"] == pytest.approx(0.25)
    # Presence: own plant 1, none found (a searched fact) 0, unknown stays unknown.
    assert c["regional_presence"] == 1.0 and b["regional_presence"] == 0.0 and np.isnan(a["regional_presence"])


def test_less_evidence_never_scores_higher_than_more_of_the_same():
    # A knows only its Russian revenue; B knows the same revenue and its Russian staff as well. The mean of
    # the known facts would rank A above B (1.0 against 0.5 + ...); the maximum never does.
    companies = _frame(russia_revenue_usd_m=[1000.0, 1000.0, 10.0], russia_employees=[None, 50.0, 5000.0],
                       revenue_worldwide_usd_m=[5000.0, 5000.0, 100.0], employees_worldwide=[None, 10.0, None])
    values = criteria_values(companies)
    a, b = values.iloc[0], values.iloc[1]
    assert b["russian_footprint"] >= a["russian_footprint"]
    assert b["company_scale"] >= a["company_scale"]
    # A production-only company gets no footprint at all: production is a criterion of its own.
    only_production = criteria_values(_frame(russia_revenue_usd_m=[None] * 3, russia_production=["suspended"] * 3))
    assert only_production["russian_footprint"].isna().all()
    assert (only_production["production_intensity"] == 1.0).all()


@pytest.mark.parametrize("state, expected", [("suspended", 1.0), ("sold", 0.5), ("closed", 0.5), ("reported", 0.5),
                                             ("operating", 0.25), ("none", 0.0), (None, None)])
def test_a_sold_plant_counts_as_what_it_is(state, expected):
    value = criteria_values(_frame(russia_production=[state] * 3))["production_intensity"].iloc[0]
    assert np.isnan(value) if expected is None else value == expected


def test_a_licensee_is_weaker_than_a_subsidiary_and_ended_is_not_unknown():
    levels = ["distributor_licensee", "subsidiary", "ended"]
    values = criteria_values(_frame(kazakhstan_presence=levels))["regional_presence"]
    assert list(values) == [0.25, 0.75, 0.0]
    assert np.isnan(criteria_values(_frame(kazakhstan_presence=[None] * 3))["regional_presence"]).all()


def test_completeness_counts_company_facts_only():
    companies = _frame(revenue_worldwide_usd_m=[1000.0, None, None], russia_revenue_usd_m=[None] * 3,
                       russia_production=[None] * 3, kazakhstan_presence=[None, None, "none_found"])
    # C has a sector-free, fact-free record except one searched presence; B has nothing at all.
    assert list(fact_completeness(companies)) == [pytest.approx(1 / 6), 0.0, pytest.approx(1 / 6)]
    ranking = rank_companies(companies, criteria_values(companies), ScoringSettings())
    by_name = ranking.table.set_index("name")
    assert by_name.loc["B", "completeness"] == 0.0 and by_name.loc["B", "facts_known"] == 0


def test_ties_share_a_rank_and_the_more_complete_record_comes_first():
    companies = _frame(name=["Zeta", "Alpha", "Mid"], status=["Withdrawal"] * 3, sector_code=["IND"] * 3,
                       kz_priority=[5, 5, 5], dual_use=[True] * 3, russia_revenue_usd_m=[None] * 3,
                       russia_production=[None] * 3, revenue_worldwide_usd_m=[None] * 3,
                       kazakhstan_presence=["none_found", None, None])
    # Presence "none found" and unknown presence both count 0 (worst by default): equal scores, one rank.
    ranking = rank_companies(companies, criteria_values(companies, pd.Series([1.0] * 3)), ScoringSettings())
    table = ranking.table
    assert list(table["rank"]) == [1, 1, 1] and table["tied"].all()
    assert list(table["name"]) == ["Zeta", "Alpha", "Mid"]  # Zeta has one fact; the others by name
    assert rank_label(1, True) == "1=" and rank_label(7, False) == "7"
    assert list(competition_ranks(np.array([0.9, 0.8, 0.8 + 1e-16, 0.7]))) == [1, 2, 2, 4]


@pytest.mark.parametrize("policy, expected", [("neutral", 0.5), ("worst", 0.0)])
def test_missing_policy_fills(policy, expected):
    values = pd.DataFrame({c: [np.nan, 1.0] for c in CRITERION_IDS})
    filled, unknown = apply_missing(values, ScoringSettings(missing={c: policy for c in CRITERION_IDS}))
    assert (filled.iloc[0] == expected).all()
    assert unknown.iloc[0].all() and not unknown.iloc[1].any()


def test_missing_policy_exclude_drops_only_weighted_criteria():
    values = pd.DataFrame({c: [np.nan if c == "company_scale" else 0.3, 0.6] for c in CRITERION_IDS})
    settings = ScoringSettings(missing={"company_scale": "exclude"})
    filled, _ = apply_missing(values, settings)
    assert len(filled) == 1
    unweighted = ScoringSettings(missing={"company_scale": "exclude"}, weights={"company_scale": 0})
    assert len(apply_missing(values, unweighted)[0]) == 2


def test_hard_filters():
    companies = _frame()
    assert list(filter_mask(companies, Filters(sectors=["IND"]))) == [True, False, False]
    assert list(filter_mask(companies, Filters(countries=["X"]))) == [True, False, True]
    assert list(filter_mask(companies, Filters(statuses=["Digging in"]))) == [False, True, False]
    assert list(filter_mask(companies, Filters(min_revenue_usd_m=5000))) == [False, True, False]
    assert list(filter_mask(companies, Filters(exclude_high_risk=True))) == [True, False, False]


def test_new_entrants_only_leaves_out_companies_already_producing_in_kazakhstan():
    """Only an own plant leaves a company out: an office, a subsidiary, "none found" or a presence never looked up
    (unknown is not a plant) stay in."""
    companies = _frame().assign(kazakhstan_presence=["production_site", None, "subsidiary"])
    assert list(filter_mask(companies, Filters(new_entrants_only=True))) == [False, True, True]
    assert list(filter_mask(companies, Filters())) == [True, True, True]


def test_filters_change_the_ranking(universe):
    everyone = rank_companies(universe.companies, universe.values, ScoringSettings()).table
    it_only = rank_companies(universe.companies, universe.values, ScoringSettings(),
                             Filters(sectors=["ITC"])).table
    assert 0 < len(it_only) < len(everyone)
    assert set(it_only["sector_code"]) == {"ITC"}


def test_ranking_excludes_non_candidates(universe):
    table = rank_companies(universe.companies, universe.values, ScoringSettings()).table
    non_candidates = set(universe.companies.loc[~universe.companies["is_candidate"], "company_id"])
    assert non_candidates and not non_candidates & set(table["company_id"])


def test_a_heavier_weight_moves_the_ranking(universe):
    base = rank_companies(universe.companies, universe.values, ScoringSettings()).table
    only_scale = ScoringSettings(weights={c: (100 if c == "company_scale" else 0) for c in CRITERION_IDS})
    heavy = rank_companies(universe.companies, universe.values, only_scale).table
    assert list(base["company_id"].head(10)) != list(heavy["company_id"].head(10))


# -- the fast paths of issue 25 give exactly the old results -------------------------------------------------------
@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0.1, 0.2, 0.3, 0.3 + 1e-12, 0.30000001, 0.5, float("nan")]), min_size=1,
                max_size=60), st.randoms(use_true_random=False))
def test_rank_order_is_the_lexsort_order_with_ties_by_within_tie(scores, rnd):
    scores = np.array(scores)
    within_tie = np.array(rnd.sample(range(len(scores)), len(scores)))
    order = rank_order(scores, within_tie)
    np.testing.assert_array_equal(order, np.lexsort((within_tie, -tie_key(scores))))
    np.testing.assert_array_equal(sorted_competition_ranks(scores[order]), competition_ranks(scores[order]))


@pytest.mark.parametrize("rows", [1, 7, 255, 256, 257, 5000])
def test_column_reduce_equals_numpy_max_and_min(rows):
    x = np.random.default_rng(rows).random((rows, 8))
    x[::3, 2] = np.nan
    for op, plain in ((np.maximum, np.max), (np.minimum, np.min)):
        np.testing.assert_array_equal(column_reduce(op, x), plain(x, axis=0))


def test_topsis_kernel_equals_the_textbook_form_to_1e9_on_the_seed(universe):
    settings = ScoringSettings()
    x = criteria_matrix(universe.companies, universe.values, settings)[list(CRITERION_IDS)].to_numpy(dtype=float)
    w = np.array([DEFAULT_WEIGHTS[c] for c in CRITERION_IDS], dtype=float)
    w = w / w.sum()
    r = x / np.linalg.norm(x, axis=0)
    v = r * w
    d_plus = np.linalg.norm(v - v.max(axis=0), axis=1)
    d_minus = np.linalg.norm(v - v.min(axis=0), axis=1)
    np.testing.assert_allclose(topsis(x, w), d_minus / (d_plus + d_minus), rtol=0, atol=1e-9)
