"""Group weighting: AHP weights and consistency ratio equal ahpy's, pooled judgements stay reciprocal, swing
weights by hand, rounds checked and audited, the CLI."""

import itertools
import json
import subprocess
import sys

import ahpy
import numpy as np
import pytest

from lib import group_weights as gw
from lib import rounds
from lib.auth import PermissionDenied, User
from lib.criteria import CRITERION_IDS
from tests.conftest import ROOT

EDITOR = User(name="Aigerim", role="editor")
VIEWER = User(name="Visitor", role="viewer")
COLLEAGUE = User(name="Dana", role="colleague")

# Saaty's textbook examples (Saaty 1980 / 2008): a consistent 3x3, the classic 4x4 and a 5x5.
TEXTBOOK = [
    np.array([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]),
    np.array([[1, 5, 9, 7], [1 / 5, 1, 4, 1 / 2], [1 / 9, 1 / 4, 1, 1 / 5], [1 / 7, 2, 5, 1]]),
    np.array([[1, 1 / 3, 1 / 9, 1 / 5, 3], [3, 1, 1, 1, 3], [9, 1, 1, 3, 9], [5, 1, 1 / 3, 1, 5],
              [1 / 3, 1 / 3, 1 / 9, 1 / 5, 1]]),
]


def ahpy_result(matrix: np.ndarray) -> tuple[np.ndarray, float]:
    names = [f"c{i}" for i in range(len(matrix))]
    comparisons = {(names[i], names[j]): float(matrix[i, j]) for i, j in itertools.combinations(range(len(matrix)), 2)}
    compare = ahpy.Compare("x", comparisons, precision=10)
    return np.array([compare.target_weights[n] for n in names]), compare.consistency_ratio


def random_reciprocal(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = np.ones((n, n))
    for i, j in itertools.combinations(range(n), 2):
        a[i, j] = rng.choice(gw.SAATY_SCALE)
        a[j, i] = 1 / a[i, j]
    return a


@pytest.mark.parametrize("matrix", [*TEXTBOOK, *(random_reciprocal(n, s) for n, s in ((4, 1), (6, 2), (8, 3)))])
def test_weights_and_consistency_ratio_equal_ahpys(matrix):
    ours = gw.ahp(matrix)
    weights, cr = ahpy_result(matrix)
    assert np.allclose(ours.weights, weights, atol=1e-6)
    assert ours.consistency_ratio == pytest.approx(cr, abs=1e-6)


def test_a_consistent_matrix_has_cr_zero_and_an_inconsistent_one_names_the_judgement_to_review():
    assert gw.ahp(TEXTBOOK[0]).consistency_ratio == pytest.approx(0, abs=1e-9)
    assert np.allclose(gw.ahp(TEXTBOOK[0]).weights, [4 / 7, 2 / 7, 1 / 7])
    bad = TEXTBOOK[0].copy()
    bad[0, 2], bad[2, 0] = 1 / 9, 9  # a says a >> b >> c but c >> a
    result = gw.ahp(bad)
    assert not result.acceptable and result.worst_pair is not None


def test_pooled_judgements_keep_reciprocity_and_equal_pooled_priorities_for_consistent_inputs():
    matrices = [random_reciprocal(8, s) for s in range(3)]
    pooled = gw.pool_judgements(matrices)
    assert np.allclose(pooled * pooled.T, 1.0)
    w1, w2 = np.array([0.5, 0.3, 0.2]), np.array([0.2, 0.3, 0.5])
    aij = gw.ahp(gw.pool_judgements([gw.consistent_matrix(w1), gw.consistent_matrix(w2)])).weights
    assert np.allclose(aij, gw.pool_priorities([w1, w2]))


def test_swing_weights_by_hand():
    # Best swing: exit firmness (100); scale judged 50, sector 25, the rest nothing: 100/175, 50/175, 25/175.
    weights = gw.swing_weights({"exit_firmness": 100, "company_scale": 50, "sector_priority": 25})
    assert weights["exit_firmness"] == pytest.approx(4 / 7) and weights["company_scale"] == pytest.approx(2 / 7)
    assert weights["sector_priority"] == pytest.approx(1 / 7) and weights["compliance_risk"] == 0
    with pytest.raises(ValueError):
        gw.swing_weights({"exit_firmness": 120})


def test_a_round_takes_named_submissions_checks_roles_and_closes(store):
    with pytest.raises(PermissionDenied):
        rounds.open_round(store, COLLEAGUE, "Committee")
    round_id = rounds.open_round(store, EDITOR, "Committee, March 2027")
    a = gw.Submission(participant="Aigerim", mode="sliders", sliders={"exit_firmness": 60, "company_scale": 40})
    b = gw.Submission(participant="Dana", mode="ahp", judgements={"exit_firmness|company_scale": 1 / 3})
    with pytest.raises(PermissionDenied):
        rounds.submit(store, VIEWER, round_id, a)
    rounds.submit(store, EDITOR, round_id, a)
    rounds.submit(store, COLLEAGUE, round_id, b)
    rounds.submit(store, COLLEAGUE, round_id, b)  # again: replaces, does not duplicate
    answers = rounds.submissions(store, round_id)
    assert [s.participant for s in answers] == ["Aigerim", "Dana"]
    pooled = gw.pooled_weights(answers, "priorities")
    assert pooled.sum() == pytest.approx(1.0) and (pooled > 0).all()
    rounds.close_round(store, EDITOR, round_id)
    with pytest.raises(rounds.RoundClosed):
        rounds.submit(store, EDITOR, round_id, a)
    audited = store.fetch_all("SELECT table_name, action FROM audit_log WHERE table_name LIKE 'weighting%'")
    assert len(audited) == 5


def test_cli_ahp_and_pool(tmp_path):
    matrix = tmp_path / "matrix.csv"
    names = ["exit", "scale", "sector"]
    rows = [",".join(["", *names])] + [",".join([names[i], *map(str, TEXTBOOK[0][i])]) for i in range(3)]
    matrix.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "lib", "weights", "ahp", "--matrix", str(matrix), "--format",
                          "json"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    assert result["weights"]["exit"] == pytest.approx(4 / 7, abs=1e-9) and result["consistency_ratio"] < 1e-9
    inputs = tmp_path / "weights.csv"
    inputs.write_text("participant,exit,scale,sector\nA,0.5,0.3,0.2\nB,0.2,0.3,0.5\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "lib", "weights", "pool", "--inputs", str(inputs), "--method",
                          "priorities", "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    pooled = json.loads(out)["weights"]
    assert pooled["exit"] == pytest.approx(pooled["sector"]) and sum(pooled.values()) == pytest.approx(1.0)


def test_submissions_refuse_unknown_criteria_and_out_of_scale_judgements():
    with pytest.raises(ValueError):
        gw.Submission(participant="A", mode="sliders", sliders={"nope": 10})
    with pytest.raises(ValueError):
        gw.Submission(participant="A", mode="ahp", judgements={"exit_firmness|company_scale": 12})
    assert len(gw.pairs()) == len(CRITERION_IDS) * (len(CRITERION_IDS) - 1) // 2


def test_green_corridor_preset_pool_and_forbes_membership(store):
    from lib.elicitation import PRESETS_BY_ID
    from lib.incentives import Assumptions, green_corridor_pool

    preset = PRESETS_BY_ID["green_corridor"]
    assert sum(preset.weights.values()) == 100 and set(preset.weights) == set(CRITERION_IDS)
    mci = store.mci_table()
    # 150,000 MCI at the 2026 MCI and 500 KZT/USD: about USD 1.2 million; USD 1 m is regional, 50 m national.
    assert green_corridor_pool(Assumptions(investment_usd_m=1.0), mci)[0] == "regional"
    pool, in_mci = green_corridor_pool(Assumptions(investment_usd_m=50.0), mci)
    assert pool == "national" and in_mci == pytest.approx(50e6 * 500 / mci[2026])
    assert green_corridor_pool(Assumptions(investment_usd_m=None), mci) == (None, None)
    abb = store.fetch_one("SELECT company_id FROM companies WHERE name = 'ABB'")[0]
    facts = store.company_facts(abb)
    assert (facts["fact"] == "forbes_global_2000").any()
