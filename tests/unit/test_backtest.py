"""The back-test: AUC against scikit-learn and by hand, the point-in-time rule, learned weights on known truth,
and the CLI (unknown names listed, `--facts current` ranks exactly as `rank`)."""

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from lib.backtest import BacktestSettings, arrivals, auc, evaluate, learn_weights, point_in_time, run_backtest
from lib.criteria import CRITERION_IDS
from lib.models import ScoringSettings
from lib.outcomes import stored_outcomes
from tests.conftest import ROOT


def test_auc_by_hand_with_a_tie_counted_half():
    # Arrivals score 0.9 and 0.5; others 0.5, 0.4, 0.1. Pairs won: 0.9 beats all 3; 0.5 ties one (1/2), beats 2.
    scores = np.array([0.9, 0.5, 0.5, 0.4, 0.1])
    positive = np.array([True, True, False, False, False])
    assert auc(scores, positive) == pytest.approx((3 + 2.5) / 6)


@pytest.mark.parametrize("seed", range(5))
def test_auc_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, 300) / 5  # many ties on purpose
    positive = rng.random(300) < 0.1
    assert auc(scores, positive) == pytest.approx(roc_auc_score(positive, scores), abs=1e-12)


def test_precision_and_recall_at_k_count_table_rows():
    positive = np.zeros(200, bool)
    positive[[0, 5, 60, 150]] = True
    positions = np.arange(1, 201)
    result = evaluate("x", -positions.astype(float), positions, positive, BacktestSettings(bootstrap=100))
    assert result.precision == {10: 0.2, 50: 2 / 50, 100: 3 / 100}
    assert result.recall == {10: 0.5, 50: 0.5, 100: 0.75}
    assert result.auc_low <= result.auc <= result.auc_high


def test_a_presence_that_began_with_the_outcome_is_not_a_reason_for_it(store):
    companies = store.companies()
    facts = store.company_facts()
    honeywell = int(companies.loc[companies["name"] == "Honeywell", "company_id"].iloc[0])
    since = int(companies.loc[companies["name"] == "Honeywell", "kazakhstan_presence_since"].iloc[0])
    outcome = pd.DataFrame({"company_id": [honeywell], "company": ["Honeywell"], "outcome": ["new_site"],
                            "outcome_date": [f"{since}-07"], "evidence_level": ["confirmed"]})
    came = arrivals(outcome, BacktestSettings())
    before, undated = point_in_time(companies, facts, came)
    row = before.set_index("company_id").loc[honeywell]
    assert pd.isna(row["kazakhstan_presence"])  # dated in the outcome's year: the outcome itself
    # An outcome after the presence began keeps it: a presence that predates the outcome is a reason.
    later = arrivals(outcome.assign(outcome_date=f"{since + 2}-01"), BacktestSettings())
    kept, _undated = point_in_time(companies, facts, later)
    assert kept.set_index("company_id").loc[honeywell, "kazakhstan_presence"] == \
        companies.set_index("company_id").loc[honeywell, "kazakhstan_presence"]
    # Other companies are untouched.
    others = companies["company_id"] != honeywell
    pd.testing.assert_frame_equal(before[others], companies[others])


def test_learned_weights_recover_known_weights_on_synthetic_data():
    rng = np.random.default_rng(7)
    x = rng.random((3000, len(CRITERION_IDS)))
    truth = np.array([0.6, 0.3, 0.1] + [0.0] * (len(CRITERION_IDS) - 3))
    latent = x @ truth + rng.normal(0, 0.05, len(x))
    y = latent >= np.quantile(latent, 0.97)
    w = learn_weights(x, y)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    assert list(np.argsort(-w)[:3]) == [0, 1, 2]
    assert np.abs(w - truth).sum() < 0.35
    assert auc(x @ w, y) > 0.97


def test_backtest_on_the_seed_reports_every_baseline_and_unmatched_outcomes(store, universe):
    result = run_backtest(universe, store.company_facts(), stored_outcomes(store), ScoringSettings(),
                          backtest=BacktestSettings(bootstrap=100))
    names = list(result.evaluations["ranking"])
    assert names[:2] == ["Current view", "Random order (expected)"]
    assert sum(n.endswith(" alone") for n in names) == len(CRITERION_IDS) and any(n.startswith("Preset") for n in names)
    assert len(result.arrivals) >= 10 and result.arrivals["rank"].notna().all()
    assert sum(result.learned.values()) == pytest.approx(1.0)
    assert 0.0 <= result.learned_loo_auc <= 1.0
    confirmed = run_backtest(universe, store.company_facts(), stored_outcomes(store), ScoringSettings(),
                             backtest=BacktestSettings(bootstrap=100, evidence=["confirmed"]))
    assert len(confirmed.arrivals) < len(result.arrivals)


def cli(db, *args):
    proc = subprocess.run([sys.executable, "-m", "lib", "--db", str(db), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def db(store):
    path = store.path
    store.close()
    from lib import store as store_module
    store_module._stores.clear()
    return path


def test_cli_lists_an_unknown_name_as_unmatched(db, tmp_path):
    outcomes = tmp_path / "came.csv"
    outcomes.write_text("name,hq_country,date\nHoneywell,United States,2022-07\nNo Such Company Ltd,,2023\n",
                        encoding="utf-8")
    code, out, err = cli(db, "backtest", "--outcomes", str(outcomes), "--bootstrap", "100")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert set(table.loc[~table["matched"], "name"]) == {"No Such Company Ltd"}
    assert list(table.loc[table["matched"], "name"]) == ["Honeywell"]
    assert "AUC" in err and "1 names not matched" in err


def test_an_outcomes_list_matches_names_as_people_write_them(db, tmp_path):
    """Short names, names inside a listed "A | B" or brackets, names without a legal form and recorded aliases
    match the listed company; a name that fits two listed companies and an unknown name do not."""
    outcomes = tmp_path / "came.csv"
    outcomes.write_text("name,date\nSchlumberger,2023\nBASF,2023\nP&G,2023\nWabtec,2024\nVolvo,2023\n"
                        "Volvo Cars AB,2023\nNo Such Company Ltd,2023\n", encoding="utf-8")
    code, out, err = cli(db, "backtest", "--outcomes", str(outcomes), "--bootstrap", "100")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert set(table.loc[~table["matched"], "name"]) == {"Volvo", "No Such Company Ltd"}
    assert set(table.loc[table["matched"], "name"]) == {  # each under its listed name
        "SLB | Schlumberger", "BASF SE", "Procter & Gamble (P&G)", "Westinghouse Air Brake Technologies Corp",
        "Volvo Cars"}


def test_seeded_outcomes_match_through_recorded_aliases(store):
    outcomes = stored_outcomes(store)
    wabtec = outcomes[outcomes["company_name"] == "Wabtec"]
    assert len(wabtec) and (wabtec["company_id"].notna()).all()
    facts = store.company_facts(int(wabtec["company_id"].iloc[0]))
    alias = facts[facts["fact"] == "also_known_as"]
    assert list(alias["value"]) == ["Wabtec"] and alias["source"].str.startswith("https://").all()


def test_cli_current_facts_rank_exactly_as_rank(db):
    code, out, err = cli(db, "backtest", "--facts", "current", "--format", "json", "--bootstrap", "50")
    assert code == 0, err
    matched = json.loads(out)["matched"]
    code, ranked, _ = cli(db, "rank", "--order", "value", "--format", "csv")
    ranks = pd.read_csv(io.StringIO(ranked)).set_index("company_id")["rank"]
    assert matched and all(ranks[m["company_id"]] == m["rank"] for m in matched)
