"""The research queue: a planted decisive unknown comes first, an unknown the order ignores cannot change the top,
recording a fact removes it from the queue (audited, current value updated), bad entries store nothing; the CLI."""

import csv
import io
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from lib import likelihood as lk
from lib.auth import PermissionDenied, User
from lib.backtest import fit_likelihood
from lib.criteria import CRITERION_IDS
from lib.models import ScoringSettings
from lib.outcomes import stored_outcomes
from lib.radar import load_universe
from lib.research import DECILES, FactEntry, record_fact, research_queue
from tests.unit.test_backtest import cli, db  # noqa: F401  (the fixture)

EDITOR = User(name="steward", role="editor")
ONLY_SCALE = ScoringSettings(weights={c: (100 if c == "company_scale" else 0) for c in CRITERION_IDS})


def planted(n: int = 200) -> tuple[SimpleNamespace, lk.LikelihoodModel, pd.Series]:
    """n companies, scale known and spread evenly except company 1 (unknown size, filled at the middle) and
    company 2 (unknown production, known scale)."""
    ids = np.arange(1, n + 1)
    revenue = np.linspace(10, 100_000, n)
    revenue[0] = np.nan
    companies = pd.DataFrame({
        "company_id": ids, "name": [f"Company {i:03d}" for i in ids], "revenue_worldwide_usd_m": revenue,
        "employees_worldwide": np.nan, "russia_revenue_usd_m": 5.0, "russia_employees": 50.0,
        "kazakhstan_presence": "none_found", "kazakhstan_presence_since": np.nan,
        "russia_production": ["none"] + [None] + ["none"] * (n - 2), "group_parent_id": np.nan,
        "hq_country": "Germany", "status": "Withdrawal", "sector_code": "IND", "is_candidate": True})
    values = pd.DataFrame(0.5, index=companies.index, columns=list(CRITERION_IDS))
    values["company_scale"] = np.linspace(0, 1, n)
    values.loc[0, "company_scale"] = np.nan
    values.loc[1, "production_intensity"] = np.nan
    x = lk.feature_frame(companies)
    model = lk.fit(x, (ids % 10 == 0))
    likelihood = pd.Series(model.probability(x), index=ids)
    return SimpleNamespace(companies=companies, values=values), model, likelihood


def no_facts() -> pd.DataFrame:
    return pd.DataFrame(columns=["company_id", "fact", "state", "period", "recorded_on"])


def test_a_planted_decisive_unknown_ranks_first_with_its_exact_chance():
    universe, model, likelihood = planted()
    queue = research_queue(universe, ONLY_SCALE, model, likelihood, no_facts(), order="value", top=50)
    first = queue.iloc[0]
    assert (first["company_id"], first["unknown"]) == (1, "size")
    # The cut is the 50th scale among the others; the plausible sizes are the known scales' deciles.
    known = universe.values["company_scale"].dropna().to_numpy()
    cut = np.sort(known)[::-1][49]
    expected = float(np.mean(np.quantile(known, DECILES) >= cut))
    assert first["chance_of_crossing"] == pytest.approx(expected) and 0 < expected < 1
    assert not first["in_top"] and first["best_position"] < 50 < first["worst_position"]
    # Production weighs nothing in this order: knowing it cannot move company 2.
    production = queue[(queue["company_id"] == 2) & (queue["unknown"] == "russia_production")].iloc[0]
    assert production["chance_of_crossing"] == 0 and production["best_position"] == production["worst_position"]
    assert list(queue["priority"]) == list(range(1, len(queue) + 1))


def test_the_likelihood_order_weighs_what_the_model_reads():
    universe, model, likelihood = planted()
    by_value = research_queue(universe, ONLY_SCALE, model, likelihood, no_facts(), order="value", top=50)
    by_likelihood = research_queue(universe, ONLY_SCALE, model, likelihood, no_facts(), order="likelihood", top=50)
    row = by_likelihood.set_index(["company_id", "unknown"]).loc[(1, "size")]
    # In the likelihood order only the model's features count: the value weights do not enter.
    assert row["position"] != by_value.set_index(["company_id", "unknown"]).loc[(1, "size"), "position"]
    with pytest.raises(ValueError, match="order must be one of"):
        research_queue(universe, ONLY_SCALE, model, likelihood, no_facts(), order="best")


def seed_queue(store, **kwargs) -> pd.DataFrame:
    universe = load_universe(store)
    facts = store.company_facts()
    model, likelihood = fit_likelihood(universe, facts, stored_outcomes(store))
    return research_queue(universe, ScoringSettings(), model, likelihood, facts, **kwargs)


def test_recording_the_first_fact_removes_it_and_is_audited(store):
    # Every unsized seed candidate has been searched before, so ask for those too.
    queue = seed_queue(store, include_searched=True)
    assert queue["chance_of_crossing"].iloc[0] > 0 and queue["chance_of_crossing"].is_monotonic_decreasing
    size = queue[queue["unknown"] == "size"].iloc[0]
    company_id = int(size["company_id"])
    audits = store.fetch_one("SELECT count(*) FROM audit_log")[0]
    became_current = record_fact(store, EDITOR, FactEntry(
        company_id=company_id, fact="employees_worldwide", value="1,200", period="2024",
        source="https://example.org/annual-report-2024", note="Annual report 2024, p. 3"))
    assert became_current
    assert store.fetch_one("SELECT employees_worldwide FROM companies WHERE company_id = ?", [company_id])[0] == 1200
    row = store.fetch_df("SELECT * FROM company_facts WHERE company_id = ? AND fact = 'employees_worldwide'",
                         [company_id]).iloc[-1]
    assert (row["value"], row["period"], row["source"]) == ("1200", "2024", "https://example.org/annual-report-2024")
    assert store.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'record_fact' AND record_key = ?",
                           [f"{company_id}|employees_worldwide"])[0] == 1
    assert store.fetch_one("SELECT count(*) FROM audit_log")[0] == audits + 1
    after = seed_queue(store, include_searched=True)
    assert not ((after["company_id"] == company_id) & (after["unknown"] == "size")).any()


def test_searched_not_found_leaves_the_queue_unless_asked_and_keeps_the_fact_unknown(store):
    # Every seed candidate's presence has been looked up: the company nearest the cut forgets its presence first.
    company_id = int(seed_queue(store, include_searched=True)["company_id"].iloc[0])
    with store.transaction() as cur:
        cur.execute("UPDATE companies SET kazakhstan_presence = NULL, kazakhstan_presence_since = NULL "
                    "WHERE company_id = ?", [company_id])
        cur.execute("DELETE FROM company_facts WHERE company_id = ? AND fact = 'kazakhstan_presence'", [company_id])
    queue = seed_queue(store)
    assert not queue[(queue["company_id"] == company_id) & (queue["unknown"] == "kazakhstan_presence")].empty
    record_fact(store, EDITOR, FactEntry(company_id=company_id, fact="kazakhstan_presence", found=False,
                                         source="X Kazakhstan ТОО; X Казахстан представительство"))
    assert store.fetch_one("SELECT kazakhstan_presence FROM companies WHERE company_id = ?", [company_id])[0] is None
    stored = store.fetch_df("SELECT * FROM company_facts WHERE company_id = ? AND fact = 'kazakhstan_presence'",
                            [company_id]).iloc[-1]
    assert stored["state"] == "not_found" and stored["source"].startswith("searched: X Kazakhstan")
    key = (company_id, "kazakhstan_presence")
    assert key not in set(zip(seed_queue(store)["company_id"], seed_queue(store)["unknown"], strict=True))
    again = seed_queue(store, include_searched=True).set_index(["company_id", "unknown"])
    assert again.loc[key, "searched_before"]


def test_an_older_figure_is_kept_beside_a_later_one(store):
    company_id, revenue = store.fetch_one("SELECT company_id, revenue_worldwide_usd_m FROM companies "
                                          "WHERE revenue_worldwide_usd_m IS NOT NULL ORDER BY company_id LIMIT 1")
    current = record_fact(store, EDITOR, FactEntry(company_id=company_id, fact="revenue_worldwide_usd_m",
                                                   value="1", period="FY2001", source="https://example.org/2001"))
    assert not current
    assert store.fetch_one("SELECT revenue_worldwide_usd_m FROM companies WHERE company_id = ?",
                           [company_id])[0] == revenue


@pytest.mark.parametrize(("fields", "message"), [
    ({"value": "lots"}, "must be a number"),
    ({"value": "-5"}, "0 or more"),
    ({"source": "my memory"}, "address of the page"),
    ({"period": "someday"}, "a year"),
    ({"period": None}, "period the fact describes"),
    ({"fact": "employees_worldwide", "value": "12.5"}, "whole number"),
    ({"fact": "kazakhstan_presence", "value": "big"}, "presence level"),
    ({"fact": "russia_production", "value": "maybe"}, "production state"),
    ({"found": False}, "has no value"),
    ({"fact": "ceo_name"}, "Input should be"),
])
def test_a_bad_entry_names_the_problem_and_stores_nothing(store, fields, message):
    entry = {"company_id": 1, "fact": "revenue_worldwide_usd_m", "value": "100", "period": "FY2024",
             "source": "https://example.org/report"} | fields
    before = store.table_checksums()
    with pytest.raises(ValidationError, match=message):
        record_fact(store, EDITOR, FactEntry(**entry))
    assert store.table_checksums() == before


def test_a_viewer_and_an_unknown_company_are_refused_and_nothing_is_stored(store):
    entry = FactEntry(company_id=1, fact="revenue_worldwide_usd_m", value="100", period="FY2024",
                      source="https://example.org/report")
    before = store.table_checksums()
    with pytest.raises(PermissionDenied):
        record_fact(store, User(name="visitor", role="viewer"), entry)
    with pytest.raises(ValueError, match="no company with id 999999"):
        record_fact(store, EDITOR, entry.model_copy(update={"company_id": 999999}))
    assert store.table_checksums() == before


def test_cli_research_queue_csv(db):  # noqa: F811
    code, out, err = cli(db, "research-queue", "--top", "50", "--format", "csv", "--limit", "20")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 20 and rows[0]["priority"] == "1"
    chances = [float(r["chance_of_crossing"]) for r in rows]
    assert chances == sorted(chances, reverse=True) and chances[0] > 0
    assert {"company_id", "name", "unknown", "position", "search_for"} <= set(rows[0])
    code, _out, err = cli(db, "research-queue", "--top", "0")
    assert code == 2 and "--top must be at least 1" in err
