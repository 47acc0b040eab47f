"""Weight elicitation: rank-order centroid weights, slider rounding, and the presets."""

from fractions import Fraction

import pytest
from pydantic import ValidationError

from lib.criteria import CRITERION_IDS
from lib.elicitation import (
    PRESETS,
    CriteriaRanking,
    matching_preset,
    roc_weights,
    to_slider_values,
    weights_from_ranking,
)
from lib.models import ScoringSettings
from lib.scoring import rank_companies


def roc_by_definition(n: int) -> list[Fraction]:
    """Barron & Barrett (1996), eq. for ROC: w_i = (1/n) * sum_{k=i}^{n} 1/k, in exact arithmetic."""
    return [Fraction(1, n) * sum(Fraction(1, k) for k in range(i, n + 1)) for i in range(1, n + 1)]


@pytest.mark.parametrize("n", range(1, 9))
def test_roc_weights_match_the_published_formula(n):
    ours = roc_weights(n)
    assert len(ours) == n
    for got, exact in zip(ours, roc_by_definition(n), strict=True):
        assert got == pytest.approx(float(exact), abs=1e-15)
    assert sum(ours) == pytest.approx(1.0)
    assert all(a > b for a, b in zip(ours, ours[1:], strict=False))


@pytest.mark.parametrize("n, published", [
    (2, [0.7500, 0.2500]),
    (3, [0.6111, 0.2778, 0.1111]),
    (4, [0.5208, 0.2708, 0.1458, 0.0625]),
    (5, [0.4567, 0.2567, 0.1567, 0.0900, 0.0400]),
])
def test_roc_weights_match_the_published_table(n, published):
    assert roc_weights(n) == pytest.approx(published, abs=5e-5)


def test_roc_needs_a_criterion():
    with pytest.raises(ValueError):
        roc_weights(0)


@pytest.mark.parametrize("shares", [roc_weights(8), roc_weights(3), [1, 1, 1], [0.5, 0, 0.5], [2, 1]])
def test_slider_values_sum_to_100_and_stay_within_one_point(shares):
    values = to_slider_values(shares)
    assert sum(values) == 100
    exact = [s / sum(shares) * 100 for s in shares]
    assert all(abs(v - e) < 1 for v, e in zip(values, exact, strict=True))
    assert all(v == 0 for v, s in zip(values, shares, strict=True) if s == 0)


def test_all_eight_ranked_criteria_keep_a_weight_above_zero():
    values = weights_from_ranking(CriteriaRanking(order=list(reversed(CRITERION_IDS))))
    assert sum(values.values()) == 100
    assert values[CRITERION_IDS[-1]] == 34 and values[CRITERION_IDS[0]] == 2
    ordered = [values[c] for c in reversed(CRITERION_IDS)]
    assert ordered == sorted(ordered, reverse=True) and min(ordered) > 0


def test_unranked_criteria_get_zero():
    values = weights_from_ranking(CriteriaRanking(order=["sector_priority", "exit_firmness", "incentive_fit"]))
    assert values["sector_priority"] == 61 and values["exit_firmness"] == 28 and values["incentive_fit"] == 11
    assert all(values[c] == 0 for c in CRITERION_IDS if c not in ("sector_priority", "exit_firmness",
                                                                   "incentive_fit"))
    ScoringSettings(weights=values)  # valid slider values


@pytest.mark.parametrize("order", [[], ["nope"], ["exit_firmness", "exit_firmness"]])
def test_bad_rankings_are_refused(order):
    with pytest.raises(ValidationError):
        CriteriaRanking(order=order)


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_presets_are_complete_and_explained(preset):
    assert set(preset.weights) == set(CRITERION_IDS)
    assert sum(preset.weights.values()) == 100
    assert len(preset.rationale) > 40 and preset.label
    ScoringSettings(weights=preset.weights)
    assert matching_preset(preset.weights) == preset.id
    assert matching_preset({c: w * 0.5 for c, w in preset.weights.items()}) == preset.id  # same when normalised


def test_presets_differ_and_unknown_weights_match_none():
    assert len({tuple(p.weights.values()) for p in PRESETS}) == len(PRESETS)
    assert matching_preset({c: 1 for c in CRITERION_IDS}) is None


def test_quick_wins_preset_lifts_companies_already_in_kazakhstan(universe):
    presets = {p.id: p for p in PRESETS}

    def present_in_top(preset_id: str) -> int:
        table = rank_companies(universe.companies, universe.values,
                               ScoringSettings(weights=presets[preset_id].weights)).table.head(30)
        # A presence of some level (a licensee at least), not "none found", "ended" or unknown.
        present = universe.values["regional_presence"].set_axis(universe.companies["company_id"]) > 0
        return int(present.reindex(table["company_id"]).sum())

    assert present_in_top("quick_wins") > present_in_top("balanced")
