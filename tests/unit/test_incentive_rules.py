"""Every incentive rule is declared once and decided alike by the package check and by the ranking's frame."""

from __future__ import annotations

import math
from datetime import date
from typing import get_args

import pandas as pd
import pytest

from lib.incentives.assumptions import REGIMES, Assumptions
from lib.incentives.offers import company_sector, evaluate, incentive_frame, sector_offers
from lib.incentives.packages import parse_packages
from lib.incentives.rules import RULES, RULES_BY_ID, Facts, mci_or_none
from lib.investment import estimate_frame
from lib.models import IncentivePackage

# The regimes, an investment every minimum is tested against (some pass, some fail), and assumed rules counted.
CASES = {
    "2026, own estimates": Assumptions(),
    "2016-2025, own estimates": Assumptions(regime_date=REGIMES["2016-2025"]),
    "2016-2025, USD 100 m each, assumed rules in": Assumptions(regime_date=REGIMES["2016-2025"],
                                                               investment_usd_m=100.0, include_assumed_rules=True),
    "2016-2025, existing entity in Pavlodar": Assumptions(regime_date=REGIMES["2016-2025"], investment_usd_m=100.0,
                                                          new_entity=False, location="Pavlodar"),
    "before the first MCI": Assumptions(regime_date=date(2018, 6, 1), investment_usd_m=100.0),
}


def test_each_rule_is_declared_once_with_a_package_field():
    assert len(RULES_BY_ID) == len(RULES)
    assert {rule.field for rule in RULES} <= set(IncentivePackage.model_fields)
    # A rule a package may mark as assumed is a rule; only the validity period is never an assumption.
    (assumable,) = get_args(IncentivePackage.model_fields["assumed_rules"].annotation)
    assert set(get_args(assumable)) == {rule.id for rule in RULES} - {"period"}
    assert all(rule.bar and rule.figure for rule in RULES if rule.by_company)


def test_package_check_and_ranking_frame_agree_on_every_rule(store):
    """On the seed: each rule the ranking decides once per sector or per company (against a bar) gives what the
    package check gives, and the ranking's best package is the best eligible one the package check finds."""
    packages = parse_packages(store.incentive_packages())
    decided: dict[str, set[bool | None]] = {rule_id: set() for rule_id in RULES_BY_ID}
    for case, assumptions in CASES.items():
        for rule_id, outcomes in _compare(store, assumptions, case).items():
            decided[rule_id] |= outcomes
    # Every rule the seed states was decided by both paths, and each one both ways (passed and not).
    stated = {rule.id for rule in RULES for p in packages if rule.applies(p)}
    assert stated == set(RULES_BY_ID)
    assert {rule_id: outcomes for rule_id, outcomes in decided.items() if len(outcomes) < 2} == {}


def _sample(companies: pd.DataFrame, points: pd.Series) -> list:
    """Per sector (and for no sector), the companies with the smallest and largest investment estimate and one
    without an estimate: every sector and both sides of each minimum, at a fraction of checking all ~1,600."""
    chosen = []
    for _code, group in points.groupby(companies["sector_code"].fillna(""), sort=True):
        known = group.dropna()
        chosen += [known.idxmin(), known.idxmax()] if len(known) else []
        chosen += list(group[group.isna()].index[:1])
    return sorted(set(chosen))


def _compare(store, assumptions: Assumptions, case: str) -> dict[str, set[bool | None]]:
    """Assert both paths agree for every seed company; per rule, the outcomes both paths decided."""
    packages = parse_packages(store.incentive_packages())
    by_id = {p.package_id: p for p in packages}
    mci_table = store.mci_table()
    mci_kzt = mci_or_none(assumptions.regime_date, mci_table)
    companies = store.companies()
    offers = sector_offers(store.sectors(), packages, assumptions, mci_table)
    frame = incentive_frame(companies, offers, assumptions)
    estimates = estimate_frame(companies)
    decided: dict[str, set[bool | None]] = {rule_id: set() for rule_id in RULES_BY_ID}
    for index in _sample(companies, estimates["investment_point"]):
        company, point = companies.loc[index], estimates.loc[index, "investment_point"]
        a = assumptions.for_company(int(company["company_id"]), point)
        results = evaluate(company_sector(company), packages, a, mci_table)
        code = company["sector_code"]
        if not isinstance(code, str):
            assert math.isnan(frame.loc[index, "incentive_value_usd_m"])
            continue
        offered = {o.package_id: o for o in offers[code]}
        facts = Facts.of(company_sector(company), a, mci_kzt)
        for result in results:
            pkg = by_id[result.package_id]
            checks = {c.rule: c.passed for c in result.checks}
            sector_rules = [r for r in checks if not RULES_BY_ID[r].by_company]
            company_rules = [r for r in checks if RULES_BY_ID[r].by_company]
            # Offered once for the sector: valued, every sector rule passed, every company rule has a bar.
            expected = (result.value_pct is not None and all(checks[r] is True for r in sector_rules)
                        and (mci_kzt is not None or not company_rules)
                        and not any(r in pkg.assumed_rules and not a.include_assumed_rules for r in company_rules))
            offer = offered.get(result.package_id)
            assert (offer is not None) is expected, (case, result.package_id, company["company_id"])
            for rule_id in sector_rules:
                decided[rule_id].add(checks[rule_id])
            if offer is None:
                continue
            assert offer.value_pct == pytest.approx(result.value_pct)
            assert set(offer.bars) == set(company_rules)
            if a.investment_usd_m is not None:
                for rule_id, bar in offer.bars.items():
                    assert RULES_BY_ID[rule_id].meets(bar, facts) is (checks[rule_id] is True), (
                        case, result.package_id, rule_id, company["company_id"])
                    decided[rule_id].add(checks[rule_id])
        eligible = [r.value_pct for r in results if r.eligible and r.value_pct is not None]
        best = frame.loc[index, "best_value_pct"]
        if a.investment_usd_m is None and offers[code]:
            assert math.isnan(frame.loc[index, "incentive_value_usd_m"])  # size unknown: cannot tell
        elif eligible:
            assert best == pytest.approx(max(eligible))
        else:
            assert math.isnan(best) and frame.loc[index, "incentive_value_usd_m"] == 0.0
    return decided
