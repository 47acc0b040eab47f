"""The seed's evidence: a sold plant reads as sold with its date, EY is not machinery, a group is ranked once."""

import pytest

from lib.evidence import period_date
from lib.models import ScoringSettings
from lib.profile import current_fact_text, evidence_warnings
from lib.scoring import rank_companies


def company(store, name):
    company_id = store.fetch_one("SELECT company_id FROM companies WHERE name = ?", [name])[0]
    return store.company(company_id)


def test_a_sold_plant_reads_as_sold_with_its_date_not_yes(store):
    vw = company(store, "Volkswagen")
    assert vw["russia_production"] == "sold"
    text = current_fact_text(vw, "russia_production")
    assert text.startswith("sold or transferred (2023")
    # The tracker still says Suspension: the profile says the facts contradict it.
    assert any("sold or transferred" in w and "Suspension" in w for w in evidence_warnings(vw, store.company_facts(
        int(vw["company_id"]))))


def test_professional_services_are_not_machinery(store):
    for name in ("EY", "PwC", "KPMG", "McKinsey"):
        row = company(store, name)
        assert row["sector_code"] == "PRO" and row["sector_reason"].startswith("Reviewed by hand")
        assert not row["dual_use"]


def test_a_group_is_ranked_once_and_lists_its_members(store, universe):
    table = rank_companies(universe.companies, universe.values, ScoringSettings()).table
    names = set(table["name"])
    assert "Ikea" in names and "Ingka" not in names
    assert "Volkswagen" in names and not {"Audi", "Skoda", "Porsche"} & names
    ikea = company(store, "Ikea")
    assert list(store.group_members(int(ikea["company_id"]))["name"]) == ["Ingka"]


def test_every_fact_has_a_source_and_searches_that_found_nothing_are_dated(store):
    facts = store.company_facts()
    assert (facts["source"].str.len() > 0).all()
    not_found = facts[facts["state"] == "not_found"]
    assert len(not_found) > 0 and not_found["value"].isna().all()
    assert not_found["period"].str.match(r"^\d{4}-\d\d-\d\d$").all()
    # A reader can open every source: a web address, a public repository file pinned to its commit
    # (owner/name@commit:path), or the searches that were tried.
    openable = facts["source"].str.match(
        r"^(https?://\S+|searched: .+|(github\.com/)?[\w.-]+/[\w.-]+@[0-9a-f]{7,40}:.+)")
    assert openable.all(), facts.loc[~openable, ["company", "fact", "source"]].head().to_string()
    figures = facts[facts["fact"].isin(["revenue_worldwide_usd_m", "employees_worldwide", "russia_revenue_usd_m",
                                        "russia_employees"]) & facts["value"].notna()]
    assert figures["period"].notna().all(), figures.loc[figures["period"].isna(), ["company", "fact"]].to_string()


@pytest.mark.parametrize("period, date", [
    ("Forbes Global 2000 2025 list (latest 12-month figures, spring 2025)", "2025"),  # not the list's "2000"
    ("FY2023 (Fortune Global 500 2024 list)", "2023"),  # the fiscal year the figure describes
    ("2025-05-21 (Yale list as scraped; plant status may have changed since)", "2025-05-21"),
    ("2023-05", "2023-05"), ("undated page", ""), (None, "")])
def test_the_date_a_period_describes(period, date):
    assert period_date(period) == date


def test_a_forbes_2025_figure_is_neither_stale_nor_older_than_a_2022_one(store):
    kingspan = company(store, "Kingspan")
    assert kingspan["employees_worldwide"] == 27000  # Forbes 2025, not the 2022 news figure (19,000)
    assert not any("Employees worldwide" in w for w in evidence_warnings(kingspan, store.company_facts(
        int(kingspan["company_id"]))))


def test_every_seed_fact_has_a_source_and_the_period_it_describes():
    """Every fact row names its source; a figure names the period it describes (or says it is undated); rows
    researched from this round on cite something a reader can open: a page, a repository file at a commit, or the
    searches tried."""
    import csv
    import re

    from tests.conftest import ROOT

    with (ROOT / "data" / "seed" / "company_facts.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for line, row in enumerate(rows, start=2):
        assert row["source"].strip(), f"company_facts.csv line {line}: no source"
        if row["fact"] != "kazakhstan_presence" and row["state"] != "not_found":  # presence: the start year
            assert row["period"] or re.search(r"undated|not stated", row["note"]), f"line {line}: no period"
        if row["recorded_on"] >= "2026-12-04":
            assert re.search(r"https?://|^searched|[\w.-]+/[\w.-]+@[0-9a-f]{7,}", row["source"]), (
                f"company_facts.csv line {line}: {row['source'][:80]!r} cannot be opened")
