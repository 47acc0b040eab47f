"""Which packages a company or a sector is offered: every rule checked (`check_package`), and the ranking's input.

Eligibility depends on the company's sector (and the sector's activity type), its investment and the user's
assumptions. The ranking therefore decides the rules that do not depend on the company once per sector
(`sector_offers`) and the ones that do (`Rule.by_company`: the minimum investment) per company
(`incentive_frame`); the `incentive fit` criterion is the best estimated value among the packages a company is
eligible for. A package is *eligible* when every rule passed, *not eligible* when one failed, and *unknown*
otherwise. Only eligible packages count towards `incentive fit`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from lib.incentives.assumptions import Assumptions
from lib.incentives.packages import _is_set, as_package, in_force, parse_packages
from lib.incentives.rules import RULES, RULES_BY_ID, Facts, RuleCheck, check_rules, is_assumed_out, mci_or_none
from lib.incentives.value import uncertain_parts, value_range
from lib.investment import estimate_frame
from lib.models import IncentivePackage

Outcome = Literal["eligible", "unknown", "not_eligible"]
OUTCOMES: tuple[Outcome, ...] = ("eligible", "unknown", "not_eligible")


@dataclass
class Eligibility:
    """One package checked for one company or sector: the outcome, every rule's reason, the value estimate."""

    package_id: str
    name: str
    checks: list[RuleCheck] = field(default_factory=list)
    value_pct: float | None = None  # estimated value as % of the investment (the stated point); None = not quantified
    value_parts: dict[str, float] = field(default_factory=dict)  # keys of VALUE_PARTS, at the point
    value_low: float | None = None  # the range when a benefit is uncertain (equal to value_pct otherwise)
    value_high: float | None = None
    uncertain_parts: tuple[str, ...] = ()  # the VALUE_PARTS that are uncertain on the regime date

    @property
    def outcome(self) -> Outcome:
        if any(c.passed is False for c in self.checks):
            return "not_eligible"
        if any(c.passed is None for c in self.checks):
            return "unknown"
        return "eligible"

    @property
    def eligible(self) -> bool:
        return self.outcome == "eligible"


def check_package(sector: Mapping[str, Any] | None, package: IncentivePackage | Mapping[str, Any],
                  assumptions: Assumptions, mci_kzt: int | None,
                  sector_names: Mapping[str, str] | None = None) -> Eligibility:
    """Evaluate every rule of one package for a company in `sector` ({sector_code, activity_type} or None).

    `mci_kzt` is the MCI of the regime year in tenge; None when unknown (a threshold then cannot be decided).
    `sector_names` (code -> English name, see sector_name_map) lets the reasons name sectors; codes otherwise.
    """
    pkg = as_package(package)
    checks = check_rules(pkg, Facts.of(sector, assumptions, mci_kzt, sector_names))
    low, value_pct, high, parts = value_range(pkg, assumptions)
    return Eligibility(pkg.package_id, pkg.name, checks, value_pct, parts, low, high,
                       uncertain_parts(pkg, assumptions.regime_date))


def evaluate(sector: Mapping[str, Any] | None, packages: Iterable[IncentivePackage], assumptions: Assumptions,
             mci_table: Mapping[int, int], sector_names: Mapping[str, str] | None = None) -> list[Eligibility]:
    """Every package checked for one sector: eligible first, then unknown, then not eligible; by value."""
    mci_kzt = mci_or_none(assumptions.regime_date, mci_table)  # None: a regime date before the first stored MCI
    results = [check_package(sector, pkg, assumptions, mci_kzt, sector_names) for pkg in packages]
    return sorted(results, key=lambda e: (OUTCOMES.index(e.outcome), -(e.value_pct or 0.0), e.name))


def eligibility_for_sector(sector: Mapping[str, Any] | None, packages: pd.DataFrame | list[IncentivePackage],
                           assumptions: Assumptions, mci_table: Mapping[int, int],
                           sector_names: Mapping[str, str] | None = None) -> list[Eligibility]:
    """Every package (table rows or models) checked for one sector."""
    return evaluate(sector, parse_packages(packages), assumptions, mci_table, sector_names)


def company_sector(company: Mapping[str, Any]) -> dict[str, Any] | None:
    """The sector facts a rule needs from a company row; None when its sector is unknown."""
    code = company.get("sector_code")
    if not _is_set(code):
        return None
    activity = company.get("activity_type")
    return {"sector_code": code, "activity_type": activity if _is_set(activity) else None}


def company_assumptions(company: Mapping[str, Any], assumptions: Assumptions) -> Assumptions:
    """The assumptions with this company's investment: set for it, the same for all, or its own estimate."""
    point = estimate_frame(pd.DataFrame([dict(company)]))["investment_point"].iloc[0]
    company_id = company.get("company_id")
    return assumptions.for_company(int(company_id) if _is_set(company_id) else None, point)


def offer_for_company(company: Mapping[str, Any], packages: Iterable[IncentivePackage], assumptions: Assumptions,
                      mci_table: Mapping[int, int],
                      sector_names: Mapping[str, str] | None = None) -> tuple[list[Eligibility], int]:
    """Packages in force on the regime date checked for one company at its own investment, and how many of other
    periods were left out."""
    models = list(packages)
    current = in_force(models, assumptions.regime_date)
    a = company_assumptions(company, assumptions)
    results = evaluate(company_sector(company), current, a, mci_table, sector_names)
    return results, len(models) - len(current)


def eligibility_matrix(companies: pd.DataFrame, packages: pd.DataFrame | list[IncentivePackage],
                       assumptions: Assumptions, mci_table: Mapping[int, int]) -> pd.DataFrame:
    """Company × package outcomes (eligible / unknown / not_eligible) at each company's own investment.

    `companies` needs company_id, name, sector_code, activity_type and the facts of the investment estimate; rows
    keep its order. Columns: company_id, name, investment_usd_m, one column per package_id, `eligible_count`,
    `best_value_pct` (NaN when nothing eligible is valued) and `best_value_usd_m`.
    """
    models = parse_packages(packages)
    estimates = estimate_frame(companies)
    rows = []
    for company, point in zip(companies.to_dict("records"), estimates["investment_point"], strict=True):
        a = assumptions.for_company(int(company["company_id"]), point)
        results = {e.package_id: e for e in evaluate(company_sector(company), models, a, mci_table)}
        eligible_values = [e.value_pct for e in results.values() if e.eligible and e.value_pct is not None]
        best = max(eligible_values) if eligible_values else math.nan
        row = {"company_id": company["company_id"], "name": company["name"],
               "investment_usd_m": math.nan if a.investment_usd_m is None else a.investment_usd_m}
        row |= {p.package_id: results[p.package_id].outcome for p in models}
        row["eligible_count"] = sum(e.eligible for e in results.values())
        row["best_value_pct"] = best
        row["best_value_usd_m"] = best / 100 * row["investment_usd_m"]
        rows.append(row)
    columns = ["company_id", "name", "investment_usd_m", *(p.package_id for p in models), "eligible_count",
               "best_value_pct", "best_value_usd_m"]
    return pd.DataFrame(rows, columns=columns)


# -- the ranking's input: decided once per sector, then per company ---------------------------------

@dataclass(frozen=True)
class SectorOffer:
    """A valued package a sector qualifies for on every rule that does not depend on the company."""

    package_id: str
    value_pct: float  # at the stated point of an uncertain range
    bars: Mapping[str, float]  # per rule that depends on the company (Rule.by_company): the bar it must reach

    @property
    def minimum_kzt(self) -> int | None:
        """The minimum investment in tenge on the regime date; None = no minimum."""
        bar = self.bars.get("investment")
        return None if bar is None else int(bar)


def _bars(package: IncentivePackage, facts: Facts) -> dict[str, float] | None:
    """The bar of each rule of the package that depends on the company; None when one cannot decide for anyone."""
    bars: dict[str, float] = {}
    for rule in RULES:
        if not (rule.by_company and rule.applies(package)):
            continue
        bar = rule.bar(package, facts) if rule.bar else None
        if bar is None or is_assumed_out(rule, package, facts.assumptions):
            return None
        bars[rule.id] = bar
    return bars


def sector_offers(sectors: pd.DataFrame, packages: pd.DataFrame | list[IncentivePackage], assumptions: Assumptions,
                  mci_table: Mapping[int, int]) -> dict[str, list[SectorOffer]]:
    """Per sector code, the valued packages it qualifies for whatever the company, each with its bars.

    Computed once per sector: every rule not `by_company` must pass; `incentive_frame` then tests each company
    against the bars of the others (the minimum investment). A package whose bar cannot be told (no MCI for the
    regime year), or that a rule leaves undecided (an assumed rule left out), is not offered.
    """
    models = {p.package_id: p for p in parse_packages(packages)}
    probe = assumptions.model_copy(update={"investment_usd_m": None})
    mci_kzt = mci_or_none(assumptions.regime_date, mci_table)
    offers: dict[str, list[SectorOffer]] = {}
    for sector in sectors.to_dict("records"):
        facts = Facts.of(sector, probe, mci_kzt)
        found = []
        for result in evaluate(sector, models.values(), probe, mci_table):
            if result.value_pct is None or any(c.passed is not True for c in result.checks
                                               if not RULES_BY_ID[c.rule].by_company):
                continue
            bars = _bars(models[result.package_id], facts)
            if bars is not None:
                found.append(SectorOffer(result.package_id, result.value_pct, bars))
        offers[sector["sector_code"]] = found
    return offers


def incentive_frame(companies: pd.DataFrame, offers: Mapping[str, list[SectorOffer]],
                    assumptions: Assumptions) -> pd.DataFrame:
    """Per company (same index): the investment used and its range, the best eligible package and its value.

    Columns: investment_usd_m (the point used), investment_low, investment_high, investment_basis (a key of
    lib.investment.BASIS_LABELS), best_package, best_value_pct and incentive_value_usd_m = best_value_pct % of the
    investment. The value is 0 where the sector qualifies for no valued package (or the company reaches no
    package's bars: the investment is below every minimum) and NaN where it cannot be told: the sector is unknown,
    or it qualifies but the size is unknown.
    """
    estimates = estimate_frame(companies)
    rows = []
    used = [c for c in ("company_id", "sector_code", "activity_type") if c in companies]  # rows as dicts: few columns
    for company, estimate in zip(companies[used].to_dict("records"), estimates.to_dict("records"), strict=True):
        company_id = int(company["company_id"])
        a = assumptions.for_company(company_id, estimate["investment_point"])
        size = a.investment_usd_m
        set_by = assumptions.investment_set_by(company_id)
        basis, low, high = ((set_by, size, size) if set_by else
                            (estimate["investment_basis"], estimate["investment_low"], estimate["investment_high"]))
        code = company.get("sector_code")
        best: SectorOffer | None = None
        if not _is_set(code):
            value = math.nan
        elif not offers.get(code):
            value = 0.0
        elif size is None:
            value = math.nan
        else:
            # The company's figures (its investment in whole tenge, as the package check compares) against the
            # bars of each package its sector qualifies for.
            facts = Facts.of(company_sector(company), a, None)
            open_to = [o for o in offers[code]
                       if all(RULES_BY_ID[rule].meets(bar, facts) for rule, bar in o.bars.items())]
            best = max(open_to, key=lambda o: o.value_pct, default=None)
            value = 0.0 if best is None else best.value_pct / 100 * size
        rows.append({"investment_usd_m": math.nan if size is None else size, "investment_low": low,
                     "investment_high": high, "investment_basis": basis,
                     "best_package": None if best is None else best.package_id,
                     "best_value_pct": math.nan if best is None else best.value_pct,
                     "incentive_value_usd_m": value})
    return pd.DataFrame(rows, index=companies.index, columns=[
        "investment_usd_m", "investment_low", "investment_high", "investment_basis", "best_package",
        "best_value_pct", "incentive_value_usd_m"])
