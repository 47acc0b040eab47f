"""Eligibility engine: which of Kazakhstan's incentive packages a company qualifies for, and why.

Pure functions over plain dicts and DataFrames; no Streamlit, no DuckDB. Eligibility depends on the
company's sector (and its activity type) plus the user's assumptions, so it is computed per sector
and mapped onto companies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

ANY_LOCATION = "Any"


class Assumptions(BaseModel):
    """What the estimate assumes about the project; every figure is shown next to the result."""

    model_config = ConfigDict(extra="forbid")

    investment_usd_m: float | None = Field(default=50.0, ge=0, le=100_000)
    kzt_per_usd: float = Field(default=500.0, gt=0, le=10_000)
    regime_date: date = date(2026, 1, 1)
    location: str = Field(default=ANY_LOCATION, max_length=60)
    new_entity: bool = True
    horizon_years: int = Field(default=10, ge=1, le=30)
    profit_pct_of_investment: float = Field(default=15.0, ge=0, le=100)
    cit_rate_pct: float = Field(default=20.0, ge=0, le=100)
    property_tax_rate_pct: float = Field(default=1.5, ge=0, le=10)
    land_tax_rate_pct: float = Field(default=0.1, ge=0, le=10)
    equipment_share_pct: float = Field(default=40.0, ge=0, le=100)
    import_duty_and_vat_pct: float = Field(default=21.0, ge=0, le=100)
    grant_take_up_pct: float = Field(default=50.0, ge=0, le=100)


@dataclass
class RuleCheck:
    """One rule of one package: passed or not, and the reason in words."""

    rule: str
    passed: bool
    reason: str


@dataclass
class Eligibility:
    package_id: str
    name: str
    eligible: bool
    checks: list[RuleCheck] = field(default_factory=list)
    value_pct: float | None = None  # estimated value as % of the investment; None = not estimated
    value_parts: dict[str, float] = field(default_factory=dict)


def _is_set(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def mci_for(year: int, mci_table: dict[int, int]) -> int:
    """The MCI value in force for a year (the latest known year at or before it)."""
    known = [y for y in mci_table if y <= year]
    if not known:
        raise ValueError(f"no MCI value known for {year} or earlier")
    return mci_table[max(known)]


def check_package(sector: dict[str, Any] | None, package: dict[str, Any], assumptions: Assumptions,
                  mci_kzt: int) -> Eligibility:
    """Evaluate every rule of one package for a company in `sector` (None when unknown)."""
    checks: list[RuleCheck] = []
    when = assumptions.regime_date
    valid_from, valid_to = package["valid_from"], package.get("valid_to")
    in_force = valid_from <= when and (not _is_set(valid_to) or when <= valid_to)
    period = f"{valid_from:%Y-%m-%d} to {valid_to:%Y-%m-%d}" if _is_set(valid_to) else f"from {valid_from:%Y-%m-%d}"
    checks.append(RuleCheck("period", in_force, f"in force {period}; regime date {when:%Y-%m-%d}"))

    sectors, excluded = list(package["sector_codes"]), list(package["excluded_sector_codes"])
    if sector is None:
        checks.append(RuleCheck("sector", False, "the company's sector is unknown"))
    else:
        code = sector["sector_code"]
        if code in excluded:
            checks.append(RuleCheck("sector", False, f"sector {code} is excluded"))
        elif sectors and code not in sectors:
            checks.append(RuleCheck("sector", False, f"sector {code} is not one of {', '.join(sectors)}"))
        else:
            reason = f"sector {code} qualifies" if sectors else "open to all sectors not excluded"
            checks.append(RuleCheck("sector", True, reason))
        activities = list(package["activity_types"])
        if activities:
            ok = sector["activity_type"] in activities
            checks.append(RuleCheck("activity", ok, f"activity {sector['activity_type']} "
                                    + ("is" if ok else "is not") + f" one of {', '.join(activities)}"))

    locations = list(package["locations"])
    if locations:
        if assumptions.location == ANY_LOCATION:
            checks.append(RuleCheck("location", True, f"requires a site in {', '.join(locations)}"))
        else:
            ok = assumptions.location in locations
            checks.append(RuleCheck("location", ok, f"{assumptions.location} "
                                    + ("is" if ok else "is not") + f" in {', '.join(locations)}"))

    minimum = package.get("min_investment_mci")
    if _is_set(minimum):
        minimum = int(minimum)
        if assumptions.investment_usd_m is None:
            checks.append(RuleCheck("investment", False,
                                    f"needs at least {minimum:,} MCI; investment size unknown"))
        else:
            invest_mci = assumptions.investment_usd_m * 1e6 * assumptions.kzt_per_usd / mci_kzt
            ok = invest_mci >= minimum
            checks.append(RuleCheck("investment", ok, f"investment {invest_mci:,.0f} MCI "
                                    + (">=" if ok else "<") + f" minimum {minimum:,} MCI (1 MCI = {mci_kzt:,} KZT)"))

    if package["requires_new_entity"]:
        checks.append(RuleCheck("new entity", assumptions.new_entity,
                                "requires a newly created Kazakh legal entity"
                                + ("" if assumptions.new_entity else "; the project expands an existing one")))

    eligible = all(c.passed for c in checks)
    value_pct, parts = estimate_value(package, assumptions)
    return Eligibility(package["package_id"], package["name"], eligible, checks, value_pct, parts)


def estimate_value(package: dict[str, Any], a: Assumptions) -> tuple[float | None, dict[str, float]]:
    """Tax and grant value over the horizon as % of the investment; None when nothing is quantified."""
    def years(column: str) -> float:
        value = package.get(column)
        return min(float(value), a.horizon_years) if _is_set(value) else 0.0

    parts = {
        "corporate income tax": a.cit_rate_pct / 100 * a.profit_pct_of_investment * years("cit_exemption_years"),
        "property tax": a.property_tax_rate_pct * years("property_tax_years"),
        "land tax": a.land_tax_rate_pct * years("land_tax_years"),
        "import duty and VAT": (a.equipment_share_pct / 100 * a.import_duty_and_vat_pct
                                if package["customs_vat_exemption"] else 0.0),
        "in-kind grant": (float(package["in_kind_grant_pct"]) * a.grant_take_up_pct / 100
                          if _is_set(package.get("in_kind_grant_pct")) else 0.0),
    }
    parts = {k: v for k, v in parts.items() if v > 0}
    if not parts:
        return None, {}
    return sum(parts.values()), parts


def eligibility_for_sector(sector: dict[str, Any] | None, packages: pd.DataFrame, assumptions: Assumptions,
                           mci_table: dict[int, int]) -> list[Eligibility]:
    """Every package checked for one sector, eligible ones first, by value."""
    mci_kzt = mci_for(assumptions.regime_date.year, mci_table)
    results = [check_package(sector, pkg, assumptions, mci_kzt) for pkg in packages.to_dict("records")]
    return sorted(results, key=lambda e: (not e.eligible, -(e.value_pct or 0.0), e.name))


def best_value_by_sector(sectors: pd.DataFrame, packages: pd.DataFrame, assumptions: Assumptions,
                         mci_table: dict[int, int]) -> dict[str, float]:
    """Best estimated package value (% of investment, 0 if none) for each sector code."""
    best = {}
    for sector in sectors.to_dict("records"):
        values = [e.value_pct or 0.0 for e in eligibility_for_sector(sector, packages, assumptions, mci_table)
                  if e.eligible]
        best[sector["sector_code"]] = max(values, default=0.0)
    return best
