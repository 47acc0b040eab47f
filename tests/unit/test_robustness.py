"""Robustness of the ranking under sampled weights, and agreement between weighted sum and TOPSIS."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from lib.charts import rank_interval_chart, weight_share_chart
from lib.criteria import CRITERION_IDS, DEFAULT_WEIGHTS
from lib.models import ScoringSettings
from lib.robustness import (
    RobustnessSettings,
    method_agreement,
    rank_robustness,
    sample_unknown_scores,
    sample_weights,
    weight_intervals,
)
from lib.scoring import criteria_matrix, scores_for_weights, tie_key, top_k_wsm


def topsis(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """TOPSIS for one weight vector, written out as in Hwang and Yoon: the reference for the batched kernel."""
    norms = np.sqrt((matrix**2).sum(axis=0))
    weighted = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0) * weights
    d_plus = np.sqrt(((weighted - weighted.max(axis=0)) ** 2).sum(axis=1))
    d_minus = np.sqrt(((weighted - weighted.min(axis=0)) ** 2).sum(axis=1))
    total = d_plus + d_minus
    return np.divide(d_minus, total, out=np.full_like(total, 0.5), where=total > 0)

EQUAL = {cid: 10.0 for cid in CRITERION_IDS}


def frame(values: np.ndarray, names: list[str] | None = None) -> pd.DataFrame:
    """A criteria matrix as lib.scoring.criteria_matrix returns it."""
    out = pd.DataFrame(values, columns=list(CRITERION_IDS))
    out.insert(0, "name", names or [f"Company {i:04d}" for i in range(len(values))])
    out.insert(0, "company_id", np.arange(1, len(values) + 1))
    return out


def test_dominating_criterion_gives_the_obvious_winner_probability_one():
    rng = np.random.default_rng(1)
    values = rng.random((300, 8))
    values[:, 0] = rng.uniform(0, 0.5, 300)
    values[42] = 0.5
    values[42, 0] = 1.0  # the only company strong on the criterion that dominates
    weights = {cid: 10 / 7 for cid in CRITERION_IDS} | {"exit_firmness": 90}
    result = rank_robustness(frame(values), weights, RobustnessSettings(top_k=1, uncertainty="high"))
    winner = result.table.iloc[0]
    assert winner["company_id"] == 43
    assert winner["p_top_k"] >= 0.99
    assert (winner["rank_low"], winner["rank_high"]) == (1, 1)
    assert result.table["p_top_k"].iloc[1:].max() <= 0.01


def test_identical_companies_get_identical_probabilities_and_intervals():
    rng = np.random.default_rng(2)
    values = rng.random((200, 8))
    values[[10, 60, 150]] = values[5]  # four identical companies
    result = rank_robustness(frame(values), DEFAULT_WEIGHTS, RobustnessSettings(top_k=20, uncertainty="high"))
    twins = result.table[result.table["company_id"].isin([6, 11, 61, 151])]
    assert len(twins) == 4
    for column in ("rank", "p_top_k", "rank_low", "rank_median", "rank_high"):
        assert twins[column].nunique() == 1, column


def test_all_companies_equal_share_every_place():
    result = rank_robustness(frame(np.full((5, 8), 0.3)), EQUAL, RobustnessSettings(top_k=1))
    assert set(result.table["p_top_k"]) == {1.0}
    assert set(result.table["rank"]) == {1}


@pytest.mark.parametrize("method", ["wsm", "topsis"])
@pytest.mark.parametrize("data", ["mostly distinct", "many identical"])
def test_vectorised_result_matches_a_plain_loop(method, data):
    rng = np.random.default_rng(3)
    if data == "mostly distinct":
        values = np.round(rng.random((120, 8)), 1)  # rounding makes score ties between different rows
    else:  # like the real data, where unknown facts are filled the same way: the distinct-rows path
        values = rng.choice([0.0, 0.5, 1.0], size=(120, 8), p=[0.1, 0.8, 0.1])
        assert len(np.unique(values, axis=0)) < 0.6 * len(values)
    settings = RobustnessSettings(top_k=7, samples=200, seed=5)
    result = rank_robustness(frame(values), DEFAULT_WEIGHTS, settings, method, interval_for=120)
    w = np.array([DEFAULT_WEIGHTS[c] for c in CRITERION_IDS], dtype=float)
    draws = sample_weights(w / w.sum(), settings.concentration, settings.samples, settings.seed)
    ranks = np.array([rankdata(-(values @ d if method == "wsm" else topsis(values, d)), method="min")
                      for d in draws])
    expected = pd.DataFrame({"company_id": np.arange(1, 121), "p_top_k": (ranks <= 7).mean(axis=0),
                             "rank_low": np.quantile(ranks, 0.05, axis=0, method="lower"),
                             "rank_median": np.quantile(ranks, 0.5, axis=0, method="lower"),
                             "rank_high": np.quantile(ranks, 0.95, axis=0, method="higher")})
    got = result.table.sort_values("company_id").reset_index(drop=True)
    # A few scores can differ in the last bit between the two ways of computing them; allow one sample.
    assert np.abs(got["p_top_k"] - expected["p_top_k"]).max() <= 1 / settings.samples
    for column in ("rank_low", "rank_median", "rank_high"):
        assert np.abs(got[column] - expected[column]).max() <= 1, column


def test_topsis_scores_for_many_weight_vectors_match_topsis():
    rng = np.random.default_rng(4)
    matrix = rng.random((50, 8))
    matrix[:, 3] = 0.0  # a criterion nobody has
    rows = rng.dirichlet(np.ones(8), size=30)
    batch = scores_for_weights(matrix, rows, "topsis")
    for i, w in enumerate(rows):
        assert np.max(np.abs(batch[i] - topsis(matrix, w))) < 1e-12


def test_weight_samples_centre_on_the_weights_and_keep_zeros():
    w = np.array([0.4, 0.3, 0.2, 0.1, 0, 0, 0, 0])
    draws = sample_weights(w, 100.0, 20_000, seed=0)
    assert np.allclose(draws.sum(axis=1), 1.0)
    assert (draws[:, 4:] == 0).all()
    assert np.abs(draws.mean(axis=0) - w).max() < 0.005
    # Dirichlet variance w(1-w)/(c+1)
    assert draws[:, 0].var() == pytest.approx(0.4 * 0.6 / 101, rel=0.05)


def test_more_uncertainty_gives_wider_rank_intervals():
    rng = np.random.default_rng(6)
    matrix = frame(rng.random((400, 8)))
    widths = {}
    for level in ("low", "medium", "high"):
        table = rank_robustness(matrix, DEFAULT_WEIGHTS, RobustnessSettings(uncertainty=level)).table.head(30)
        widths[level] = (table["rank_high"] - table["rank_low"]).mean()
    assert widths["low"] < widths["medium"] < widths["high"]


def test_weight_intervals_bracket_each_weight():
    table = weight_intervals({"exit_firmness": 60, "company_scale": 40, "compliance_risk": 0}, 100.0)
    active = table[table["weight"] > 0]
    assert (active["low"] < active["weight"]).all() and (active["weight"] < active["high"]).all()
    assert (table.loc[table["weight"] == 0, ["low", "high"]] == 0).all().all()


def test_robustness_on_the_seed_universe(universe):
    settings = ScoringSettings()
    matrix = criteria_matrix(universe.companies, universe.values, settings)
    result = rank_robustness(matrix, settings.weights, RobustnessSettings(top_k=10))
    table = result.table
    assert len(table) == len(matrix)
    assert table["p_top_k"].between(0, 1).all()
    assert table["rank"].is_monotonic_increasing
    known = table.dropna(subset=["rank_low"])
    assert len(known) >= 100
    assert (known["rank_low"] <= known["rank_median"]).all() and (known["rank_median"] <= known["rank_high"]).all()
    # Every company with a chance of the top 10 has an interval, and P(top 10) sums to at least 10 places.
    assert table.loc[table["p_top_k"] > 0, "rank_low"].notna().all()
    assert table["p_top_k"].sum() >= 10 - 1e-9
    assert 0 <= result.stable_in_top <= 10


def test_empty_matrix_gives_an_empty_table():
    result = rank_robustness(frame(np.empty((0, 8))), DEFAULT_WEIGHTS, RobustnessSettings())
    assert result.table.empty and result.stable_in_top == 0


def test_methods_agree_fully_on_a_single_criterion():
    rng = np.random.default_rng(7)
    agreement = method_agreement(frame(rng.random((80, 8))), {"company_scale": 100}, top_k=10)
    assert agreement.kendall_tau == pytest.approx(1.0)
    assert agreement.top_k_overlap == 10
    assert (agreement.differences["shift"] == 0).all()


def test_method_disagreement_is_found():
    # B is extreme on one criterion: the weighted sum puts it first, TOPSIS (distance to the ideal) last.
    values = np.zeros((3, 8))
    values[0, :2] = [1.0, 0.0]  # "Alpha": all on the first criterion
    values[1, :2] = [0.45, 0.6]
    values[2, :2] = [0.5, 0.5]
    agreement = method_agreement(frame(values, ["Alpha", "Beta", "Gamma"]), {"exit_firmness": 55,
                                                                            "russian_footprint": 45}, top_k=1)
    ranks = agreement.differences.set_index("name")
    assert ranks.loc["Alpha", "rank_wsm"] == 1 and ranks.loc["Alpha", "rank_topsis"] == 3
    assert agreement.kendall_tau < 0
    assert agreement.differences.iloc[0]["name"] == "Alpha"


def test_rank_interval_chart_draws_the_top_companies():
    rng = np.random.default_rng(8)
    table = rank_robustness(frame(rng.random((300, 8))), DEFAULT_WEIGHTS, RobustnessSettings()).table
    spec = rank_interval_chart(table, top_k=10, top_n=12).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rule", "tick", "point", "rule"]
    rows = next(iter(spec["datasets"].values()))
    assert [r["name"] for r in rows] == list(table["name"].head(12))
    assert spec["layer"][0]["encoding"]["x2"]["field"] == "rank_high"


def test_weight_share_chart_shows_percent_and_range():
    table = weight_intervals(DEFAULT_WEIGHTS, 100.0).assign(criterion=list(CRITERION_IDS))
    spec = weight_share_chart(table).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["bar", "errorbar"]
    rows = next(iter(spec["datasets"].values()))
    assert sum(r["weight"] for r in rows) == pytest.approx(100.0)


@pytest.mark.parametrize("k", [1, 50, 999, 2000])
def test_top_k_wsm_fast_path_matches_a_full_sort(k):
    # lib.scoring.top_k_wsm is the numpy fast path the benchmark times at 1M companies.
    rng = np.random.default_rng(9)
    matrix = np.round(rng.random((1000, 8)), 1)  # many ties, also at the cut
    w = rng.dirichlet(np.ones(8))
    scores = matrix @ w
    expected = np.lexsort((np.arange(1000), -scores))[:k]
    rows, top = top_k_wsm(matrix, w, k)
    assert list(rows) == list(expected)
    assert np.array_equal(top, scores[expected])


@pytest.mark.parametrize("k", [1, 50, 999])
def test_top_k_wsm_treats_scores_within_float_noise_as_tied_also_at_the_cut(k):
    rng = np.random.default_rng(k)
    matrix = np.round(rng.random((1000, 8)), 1)
    matrix[:, 0] += rng.choice([-3e-10, 0.0, 3e-10], 1000)  # below the tie rule's 1e-9 grid
    w = np.full(8, 1 / 8)
    scores = matrix @ w
    expected = np.lexsort((np.arange(1000), -tie_key(scores)))[:k]
    rows, top = top_k_wsm(matrix, w, k)
    assert list(rows) == list(expected)
    assert np.array_equal(top, scores[expected])


def test_unknown_facts_are_sampled_so_a_company_with_nothing_known_is_uncertain():
    # Two companies: A known at 0.6 on both criteria; B unknown on both (filled with 0.5). Known values of the
    # other companies are 0 or 1. Weights alone never move B (0.5 < 0.6 always); drawn unknowns sometimes do.
    x = pd.DataFrame({c: [0.6, 0.5, 0.0, 1.0] for c in CRITERION_IDS})
    matrix = x.assign(company_id=[1, 2, 3, 4], name=["A", "B", "C", "D"])
    unknown = pd.DataFrame({c: [False, True, False, False] for c in CRITERION_IDS})
    settings = RobustnessSettings(top_k=2, samples=400)
    weights_only = rank_robustness(matrix, dict.fromkeys(CRITERION_IDS, 1.0), settings).table.set_index("name")
    with_unknowns = rank_robustness(matrix, dict.fromkeys(CRITERION_IDS, 1.0), settings,
                                    unknown=unknown).table.set_index("name")
    assert weights_only.loc["B", "p_top_k"] == 0.0
    assert 0.0 < with_unknowns.loc["B", "p_top_k"] < 1.0
    assert with_unknowns.loc["D", "p_top_k"] == 1.0  # known facts stay fixed
    # Drawn values come from the known ones (0, 0.6, 1): B's score never leaves [0, 1].
    scores = sample_unknown_scores(x.to_numpy(), unknown.to_numpy(), np.full((50, len(CRITERION_IDS)), 1 / 8), 0)
    assert ((scores[:, 1] >= 0) & (scores[:, 1] <= 1)).all() and len(np.unique(scores[:, 1])) > 1
    assert (scores[:, 0] == 0.6).all()
