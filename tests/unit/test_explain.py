"""Explanations: the company's rank as the table shows it, and the smallest single weight change into the top K."""

import numpy as np
import pandas as pd
import pytest

from lib.criteria import CRITERION_IDS
from lib.explain import WhatIf, current_rank, what_if, what_if_text
from lib.models import ScoringSettings
from lib.scoring import criteria_matrix, rank_companies

LABELS = {cid: cid.replace("_", " ") for cid in CRITERION_IDS}
TWO = {cid: 0.0 for cid in CRITERION_IDS} | {"exit_firmness": 50.0, "russian_footprint": 50.0}


def toy() -> pd.DataFrame:
    """Four companies on the first two criteria; the others are 0 for everybody."""
    values = np.zeros((4, len(CRITERION_IDS)))
    values[:, :2] = [[1.0, 0.0], [0.0, 1.0], [0.4, 0.4], [0.0, 0.0]]
    out = pd.DataFrame(values, columns=list(CRITERION_IDS))
    out.insert(0, "name", ["Alpha", "Beta", "Gamma", "Zeta"])
    out.insert(0, "company_id", [1, 2, 3, 4])
    return out


def test_smallest_move_by_hand():
    # Gamma (0.4, 0.4) scores 0.4 against 0.5 for Alpha and Beta. It passes Alpha when
    # 0.4 (w1 + w2) > w1, i.e. w1 < w2 / 1.5 = 33.3: exit firmness 50 -> 33 (17 points); the other way,
    # w2 > 75 needs 26 points. Beta still leads, so the new rank is 2.
    result = what_if(toy(), TWO, company_id=3, top_k=2)
    assert result.rank_now == 3
    move = result.into_top_k
    assert (move.criterion_id, move.from_weight, move.to_weight, move.rank_after) == ("exit_firmness", 50, 33, 2)
    assert move.share == pytest.approx(33 / 83)
    assert result.best_move == move


def test_no_move_can_help_a_company_with_nothing():
    result = what_if(toy(), TWO, company_id=4, top_k=2)
    assert result.rank_now == 4 and result.into_top_k is None
    # The most a move can do is a shared third place: exit firmness at 0 leaves Zeta level with Alpha (both 0).
    assert (result.best_move.criterion_id, result.best_move.to_weight, result.best_move.rank_after) == \
        ("exit_firmness", 0, 3)
    assert "No single weight change within 0-100" in what_if_text(result, LABELS)


def test_already_in_the_top():
    result = what_if(toy(), TWO, company_id=1, top_k=2)
    assert result.rank_now == 1 and result.into_top_k is None
    assert what_if_text(result, LABELS) == "Rank 1: already in the top 2."


def test_ties_share_a_rank_as_in_the_table():
    # Alpha and Beta tie at 0.5: both are rank 1 ("1="), Gamma after them is 3.
    assert current_rank(toy(), TWO, 1) == 1 and current_rank(toy(), TWO, 2) == 1
    assert current_rank(toy(), TWO, 3) == 3


def test_unknown_company_is_an_error():
    with pytest.raises(KeyError):
        what_if(toy(), TWO, company_id=99, top_k=1)


@pytest.mark.parametrize("position", [0, 6, 40, 250])
def test_rank_now_is_the_rank_in_the_table(universe, position):
    settings = ScoringSettings()
    table = rank_companies(universe.companies, universe.values, settings).table
    matrix = criteria_matrix(universe.companies, universe.values, settings)
    row = table.iloc[position]
    assert current_rank(matrix, settings.weights, int(row["company_id"])) == row["rank"]


@pytest.mark.parametrize("method", ["wsm", "topsis"])
def test_suggested_move_really_lifts_the_company_and_is_the_smallest(universe, method):
    settings = ScoringSettings(method=method)
    table = rank_companies(universe.companies, universe.values, settings).table
    matrix = criteria_matrix(universe.companies, universe.values, settings)
    found = 0
    for position in range(10, 40):
        company_id = int(table.iloc[position]["company_id"])
        result = what_if(matrix, settings.weights, company_id, top_k=10, method=method)
        if result.into_top_k is None:
            continue
        found += 1
        move = result.into_top_k
        # Independently: the real ranking with the suggested slider value puts the company at rank_after.
        moved = ScoringSettings(weights=settings.weights | {move.criterion_id: move.to_weight}, method=method)
        ranked = rank_companies(universe.companies, universe.values, moved).table
        assert int(ranked.loc[ranked["company_id"] == company_id, "rank"].iloc[0]) == move.rank_after <= 10
        # No smaller move on any criterion reaches the top 10.
        size = int(abs(move.change))
        for cid in CRITERION_IDS:
            for delta in range(-size + 1, size):
                value = settings.weights[cid] + delta
                if 0 <= value <= 100 and delta:
                    weights = settings.weights | {cid: value}
                    assert current_rank(matrix, weights, company_id, method) > 10
        if found == 3:
            break
    assert found >= 1


def test_texts_name_the_move():
    result = what_if(toy(), TWO, company_id=3, top_k=2)
    text = what_if_text(result, LABELS)
    assert "Rank 3 now" in text and "exit firmness" in text and "from 50 to 33" in text and "rank 2" in text
    stuck = WhatIf(top_k=1, rank_now=3, into_top_k=None, best_move=result.into_top_k)
    assert "The most one change can do" in what_if_text(stuck, LABELS)
