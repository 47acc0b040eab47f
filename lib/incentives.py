"""Eligibility engine: which of Kazakhstan's incentive packages a company qualifies for, why, and what it is worth.

Pure functions, no Streamlit and no DuckDB. Packages arrive as rows of the `incentive_packages` table and are
parsed into `IncentivePackage` models at the boundary. Eligibility depends on the company's sector (and the
sector's activity type) plus the user's assumptions, so it is computed once per sector and mapped onto
companies; the `incentive fit` criterion is the best estimated value among the packages a sector is eligible
for (see `best_value_by_sector`).

Each rule gives one of three outcomes: passed, failed, or unknown (a fact the rule needs is missing, such as
the company's sector or the investment size). A package is *eligible* when every rule passed, *not eligible*
when one failed, and *unknown* otherwise. Only eligible packages count towards `incentive fit`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lib.i18n import N_, _, any_language_lookup, fmt_date, fmt_number, fmt_percent, ngettext, translate
from lib.investment import estimate_frame
from lib.models import IncentivePackage

ANY_LOCATION = "any"
Outcome = Literal["eligible", "unknown", "not_eligible"]
OUTCOMES: tuple[Outcome, ...] = ("eligible", "unknown", "not_eligible")

# Regimes the user can pick, each evaluated on one date. The 2016-2025 regime is read on 1 January 2023,
# when most 2022-23 relocations were being negotiated (and the 2023 MCI applied). The ids are shown as they
# are: a bound widget writes its displayed option into the URL, so they must not depend on the language.
REGIMES: dict[str, date] = {"2026": date(2026, 1, 1), "2016-2025": date(2023, 1, 1)}
REGIME_LABELS: dict[str, str] = {
    "2026": N_("in force since 1 Jan 2026"),
    "2016-2025": N_("as on 1 Jan 2023, when most exits from Russia happened"),
}
ACTIVITY_LABELS: dict[str, str] = {
    "manufacturing": N_("manufacturing"), "services": N_("services"), "it": N_("IT"), "finance": N_("finance"),
    "extractive": N_("extractive"), "other": N_("other"),
}
OUTCOME_LABELS: dict[str, str] = {"eligible": N_("Eligible"), "unknown": N_("Cannot tell yet"),
                                  "not_eligible": N_("Not eligible")}
# Standard VAT, which is also the import VAT an exemption saves: 12% until 2025, 16% under the 2026 Tax Code.
VAT_RATES: tuple[tuple[date, float], ...] = ((date(2026, 1, 1), 16.0), (date(1900, 1, 1), 12.0))

RULE_LABELS: dict[str, str] = {
    "period": N_("Validity period"),
    "sector": N_("Sector"),
    "activity": N_("Activity type"),
    "location": N_("Location"),
    "investment": N_("Minimum investment"),
    "entity": N_("New legal entity"),
}
VALUE_PARTS: dict[str, str] = {
    "cit": N_("Corporate income tax"),
    "property_tax": N_("Property tax"),
    "land_tax": N_("Land tax"),
    "import_duty": N_("Import customs duty"),
    "import_vat": N_("Import VAT"),
    "grant": N_("State in-kind grant"),
}
INSTRUMENT_LABELS: dict[str, str] = {
    "preference": N_("Investment preference"), "contract": N_("Investment contract"),
    "sez": N_("Special economic zone"), "industrial_zone": N_("Industrial zone"), "aifc": N_("Financial centre"),
    "tech_park": N_("Technology park"),
}


class Assumptions(BaseModel):
    """What the eligibility check and the value estimate assume about the project; every figure is shown."""

    model_config = ConfigDict(extra="forbid")

    # None: each company's own estimate (lib.investment); a figure: the same investment for every company.
    investment_usd_m: float | None = Field(default=None, ge=0, le=100_000)
    company_investment_usd_m: dict[int, float] = Field(default_factory=dict, max_length=500)  # set per company
    kzt_per_usd: float = Field(default=500.0, gt=0, le=10_000)
    regime_date: date = REGIMES["2026"]
    location: str = Field(default=ANY_LOCATION, max_length=60)  # a city, or "any" (not decided yet)
    new_entity: bool = True
    include_assumed_rules: bool = False  # rules the sources do not support decide nothing unless included
    horizon_years: int = Field(default=10, ge=1, le=30)
    discount_rate_pct: float = Field(default=10.0, ge=0, le=50)
    profit_pct_of_investment: float = Field(default=15.0, ge=0, le=100)
    cit_rate_pct: float = Field(default=20.0, ge=0, le=100)
    property_tax_rate_pct: float = Field(default=1.5, ge=0, le=10)
    land_tax_rate_pct: float = Field(default=0.1, ge=0, le=10)
    equipment_share_pct: float = Field(default=40.0, ge=0, le=100)
    customs_duty_pct: float = Field(default=5.0, ge=0, le=100)
    grant_take_up_pct: float = Field(default=50.0, ge=0, le=100)
    # Where in the range of an uncertain benefit (2026 SEZ terms, ...) the score takes its value.
    uncertain_point: Literal["low", "middle", "high"] = "middle"

    @field_validator("company_investment_usd_m")
    @classmethod
    def _sizes(cls, value: dict[int, float]) -> dict[int, float]:
        if any(not 0 <= v <= 100_000 for v in value.values()):
            raise ValueError("a company's investment must be between 0 and 100,000 USD m")
        return value

    def investment_set_by(self, company_id: int | None) -> Literal["set_by_user", "same_for_all"] | None:
        """Who fixed a company's investment: a figure set for it, the same figure for all, or nobody (None: its
        own estimate counts)."""
        if company_id is not None and company_id in self.company_investment_usd_m:
            return "set_by_user"
        return "same_for_all" if self.investment_usd_m is not None else None

    def for_company(self, company_id: int | None, estimate_usd_m: float | None) -> Assumptions:
        """These assumptions with the investment of one company: set for it, else the same for all, else its own
        estimate (None when there is none)."""
        set_by = self.investment_set_by(company_id)
        if set_by == "set_by_user":
            size: float | None = self.company_investment_usd_m[company_id]  # type: ignore[index]
        elif set_by == "same_for_all":
            size = self.investment_usd_m
        else:
            size = None if estimate_usd_m is None or math.isnan(estimate_usd_m) else float(estimate_usd_m)
        return self.model_copy(update={"investment_usd_m": size})


@dataclass
class RuleCheck:
    """One rule of one package: passed (True), failed (False) or unknown (None), with the reason in words."""

    rule: str  # a key of RULE_LABELS
    passed: bool | None
    reason: str


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


def _is_set(value: Any) -> bool:
    """False for None, NaN and pandas' NA (nullable integer columns)."""
    if value is None or value is pd.NA:
        return False
    return not (isinstance(value, float) and math.isnan(value))


def _clean(value: Any) -> Any:
    """A DataFrame cell as a plain Python value: arrays become lists, missing becomes None."""
    if hasattr(value, "tolist") and not isinstance(value, str):
        return value.tolist()
    return value if _is_set(value) else None


def parse_packages(rows: pd.DataFrame | Iterable[Mapping[str, Any] | IncentivePackage]) -> list[IncentivePackage]:
    """Rows of the incentive_packages table (a DataFrame or dicts) validated as IncentivePackage models."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
    packages = []
    for row in records:
        if isinstance(row, IncentivePackage):
            packages.append(row)
        else:
            packages.append(IncentivePackage.model_validate({k: _clean(v) for k, v in row.items()}))
    return packages


def mci_for(year: int, mci_table: Mapping[int, int]) -> int:
    """The MCI (monthly calculation index) in tenge for a year: that year's value, else the latest before it."""
    known = [y for y in mci_table if y <= year]
    if not known:
        raise ValueError(f"no MCI value known for {year} or earlier")
    return int(mci_table[max(known)])


GREEN_CORRIDOR_NATIONAL_MCI = 150_000  # above: the national pool on the National Digital Investment Platform


def green_corridor_pool(assumptions: Assumptions, mci_table: Mapping[int, int]) -> tuple[str | None, float | None]:
    """("regional" or "national", the investment in MCI) for the assumed investment; (None, None) when unknown."""
    if assumptions.investment_usd_m is None:
        return None, None
    try:
        mci = mci_for(assumptions.regime_date.year, mci_table)
    except ValueError:
        return None, None
    in_mci = assumptions.investment_usd_m * 1e6 * assumptions.kzt_per_usd / mci
    return ("national" if in_mci > GREEN_CORRIDOR_NATIONAL_MCI else "regional"), in_mci


def vat_rate_pct(when: date) -> float:
    """Standard VAT rate on a date (12% to 2025, 16% from 2026)."""
    return next(rate for start, rate in VAT_RATES if when >= start)


def _join(items: Iterable[str]) -> str:
    return ", ".join(items)


def _pct(value: float, digits: int = 1) -> str:
    """A figure given in percent (15.0 = 15%) in the current locale."""
    return fmt_percent(value / 100, digits)


def _activity(activity: str) -> str:
    return _(ACTIVITY_LABELS.get(activity, activity))


def sector_name_map(sectors: pd.DataFrame) -> dict[str, str]:
    """Sector code -> English name from the sectors table, so reasons can name sectors (translated when shown)."""
    return dict(zip(sectors["sector_code"], sectors["name"], strict=True))


def _sector(code: str, names: Mapping[str, str] | None) -> str:
    """A sector's name in the current language; its code when the name is not known."""
    name = (names or {}).get(code)
    return translate(name) if isinstance(name, str) and name.strip() else code


def _sectors(codes: Iterable[str], names: Mapping[str, str] | None) -> str:
    # Sector names contain commas, so a list of them is separated by semicolons.
    return "; ".join(_sector(code, names) for code in codes)


def _period_text(package: IncentivePackage) -> str:
    if package.valid_to is None:
        return _("from %(start)s, no end date") % {"start": fmt_date(package.valid_from)}
    return _("%(start)s to %(end)s") % {"start": fmt_date(package.valid_from), "end": fmt_date(package.valid_to)}


def _check_period(package: IncentivePackage, when: date) -> RuleCheck:
    values = {"period": _period_text(package), "date": fmt_date(when)}
    if when < package.valid_from:
        return RuleCheck("period", False, _("Not yet in force on %(date)s (in force %(period)s).") % values)
    if package.valid_to is not None and when > package.valid_to:
        return RuleCheck("period", False, _("No longer available on %(date)s (in force %(period)s).") % values)
    return RuleCheck("period", True, _("In force on %(date)s (%(period)s).") % values)


def _check_sector(package: IncentivePackage, code: str | None, names: Mapping[str, str] | None) -> RuleCheck:
    if code is None:
        return RuleCheck("sector", None, _("The company's sector is unknown."))
    values = {"sector": _sector(code, names), "allowed": _sectors(package.sector_codes, names)}
    if code in package.excluded_sector_codes:
        return RuleCheck("sector", False, _("The package excludes the company's sector (%(sector)s).") % values)
    if package.sector_codes and code not in package.sector_codes:
        return RuleCheck("sector", False, _("The company's sector (%(sector)s) is not among the package's "
                                            "sectors: %(allowed)s.") % values)
    if package.sector_codes:
        return RuleCheck("sector", True, _("The company's sector (%(sector)s) is among the package's "
                                           "sectors: %(allowed)s.") % values)
    return RuleCheck("sector", True, _("Open to every sector not excluded; the company's sector (%(sector)s) "
                                       "is not excluded.") % values)


def _check_activity(package: IncentivePackage, activity: str | None) -> RuleCheck:
    allowed = _join(_activity(a) for a in package.activity_types)
    if activity is None:
        return RuleCheck("activity", None, _("The company's activity type is unknown; the package needs %(allowed)s.")
                         % {"allowed": allowed})
    ok = activity in package.activity_types
    message = (_("Activity %(activity)s is one of %(allowed)s.") if ok
               else _("Activity %(activity)s is not one of %(allowed)s."))
    return RuleCheck("activity", ok, message % {"activity": _activity(activity), "allowed": allowed})


def _cities(cities: Iterable[str]) -> str:
    """City names (stored in English) in the current language, e.g. "Астана, Алматы"."""
    return _join(translate(city) for city in cities)


def _check_location(package: IncentivePackage, location: str) -> RuleCheck:
    allowed = _cities(package.locations)
    if location == ANY_LOCATION:
        return RuleCheck("location", True, _("Assumes the project is sited in %(allowed)s.") % {"allowed": allowed})
    ok = location in package.locations
    message = _("%(location)s is in %(allowed)s.") if ok else _("%(location)s is not in %(allowed)s.")
    return RuleCheck("location", ok, message % {"location": translate(location), "allowed": allowed})


def _check_investment(package: IncentivePackage, a: Assumptions, mci_kzt: int | None) -> RuleCheck:
    minimum = int(package.min_investment_mci or 0)
    if mci_kzt is None:
        return RuleCheck("investment", None, _("Needs at least %(minimum)s MCI; no MCI value is stored for %(year)s.")
                         % {"minimum": fmt_number(minimum), "year": a.regime_date.year})
    need_kzt = minimum * mci_kzt
    values = {"minimum": fmt_number(minimum), "mci": fmt_number(mci_kzt), "year": a.regime_date.year,
              "need_kzt": fmt_number(need_kzt / 1e9, 2), "need_usd": fmt_number(need_kzt / a.kzt_per_usd / 1e6, 1)}
    if a.investment_usd_m is None:
        return RuleCheck("investment", None,
                         _("Needs at least %(minimum)s MCI (KZT %(need_kzt)s bn, about USD %(need_usd)s m); "
                           "the investment size is not set.") % values)
    # Compare in whole tenge so that an investment exactly at the threshold passes despite float rounding.
    invest_kzt = round(a.investment_usd_m * 1e6 * a.kzt_per_usd)
    ok = invest_kzt >= need_kzt
    values |= {"invest": fmt_number(a.investment_usd_m, 1), "invest_mci": fmt_number(invest_kzt / mci_kzt)}
    message = (_("USD %(invest)s m is %(invest_mci)s MCI, at or above the minimum of %(minimum)s MCI "
                 "(1 MCI = KZT %(mci)s in %(year)s; about USD %(need_usd)s m).") if ok
               else _("USD %(invest)s m is %(invest_mci)s MCI, below the minimum of %(minimum)s MCI "
                      "(1 MCI = KZT %(mci)s in %(year)s; about USD %(need_usd)s m)."))
    return RuleCheck("investment", ok, message % values)


def _check_entity(new_entity: bool) -> RuleCheck:
    if new_entity:
        return RuleCheck("entity", True, _("Requires a newly created Kazakh legal entity; the project sets one up."))
    return RuleCheck("entity", False, _("Requires a newly created Kazakh legal entity; the project expands an "
                                        "existing one."))


def check_package(sector: Mapping[str, Any] | None, package: IncentivePackage | Mapping[str, Any],
                  assumptions: Assumptions, mci_kzt: int | None,
                  sector_names: Mapping[str, str] | None = None) -> Eligibility:
    """Evaluate every rule of one package for a company in `sector` ({sector_code, activity_type} or None).

    `mci_kzt` is the MCI of the regime year in tenge; None when unknown (a threshold then cannot be decided).
    `sector_names` (code -> English name, see sector_name_map) lets the reasons name sectors; codes otherwise.
    """
    pkg = package if isinstance(package, IncentivePackage) else parse_packages([package])[0]
    code = sector.get("sector_code") if sector else None
    code = code if _is_set(code) else None
    activity = sector.get("activity_type") if sector and code else None
    activity = activity if _is_set(activity) else None

    checks = [_check_period(pkg, assumptions.regime_date), _check_sector(pkg, code, sector_names)]
    if pkg.activity_types:
        checks.append(_check_activity(pkg, activity))
    if pkg.locations:
        checks.append(_check_location(pkg, assumptions.location))
    if pkg.min_investment_mci is not None:
        checks.append(_check_investment(pkg, assumptions, mci_kzt))
    if pkg.requires_new_entity:
        checks.append(_check_entity(assumptions.new_entity))
    if pkg.assumed_rules and not assumptions.include_assumed_rules:
        # A rule the sources do not support may neither qualify nor disqualify: the package stays undecided.
        checks = [RuleCheck(c.rule, None, c.reason + " " + _("This rule is Relocation Radar's assumption, not in the "
                                                            "sources; it counts only when assumed rules are "
                                                            "included."))
                  if c.rule in pkg.assumed_rules else c for c in checks]
    low, value_pct, high, parts = value_range(pkg, assumptions)
    return Eligibility(pkg.package_id, pkg.name, checks, value_pct, parts, low, high,
                       uncertain_parts(pkg, assumptions.regime_date))


def annuity_factor(years: float, rate_pct: float) -> float:
    """Present value of 1 a year for `years` years (end of year), discounted at `rate_pct`: Σ (1+r)^-t."""
    whole = int(years)
    r = rate_pct / 100
    if r == 0:
        return float(whole)
    return (1 - (1 + r) ** -whole) / r


POINT_SHARES: dict[str, float] = {"low": 0.0, "middle": 0.5, "high": 1.0}
POINT_LABELS: dict[str, str] = {"low": N_("low end"), "middle": N_("middle"), "high": N_("high end")}


def uncertain_parts(package: IncentivePackage, when: date) -> tuple[str, ...]:
    """The benefits of the package whose figure is uncertain on `when` (e.g. SEZ terms under the 2026 Tax Code)."""
    if package.uncertain_from is not None and when < package.uncertain_from:
        return ()
    return tuple(package.uncertain_terms)


def value_range(package: IncentivePackage | Mapping[str, Any], a: Assumptions) -> tuple[
        float | None, float | None, float | None, dict[str, float]]:
    """(low, point, high, parts at the point) of the value, as % of the investment; Nones when nothing is valued.

    An uncertain benefit counts for nothing at the low end and in full at the high end; the point is the
    assumptions' `uncertain_point` of the way between them (the middle by default). Certain benefits count in full.
    """
    pkg = package if isinstance(package, IncentivePackage) else parse_packages([package])[0]
    high, parts = estimate_value(pkg, a)
    if high is None:
        return None, None, None, {}
    doubtful = uncertain_parts(pkg, a.regime_date)
    share = POINT_SHARES[a.uncertain_point]
    at_point = {k: v * share if k in doubtful else v for k, v in parts.items()}
    low = sum(v for k, v in parts.items() if k not in doubtful)
    return low, sum(at_point.values()), high, at_point


def estimate_value(package: IncentivePackage | Mapping[str, Any], a: Assumptions) -> tuple[float | None,
                                                                                          dict[str, float]]:
    """What the package is worth in full, as % of the investment, in present value over the horizon.

    value = CIT rate × profit% × AF(cit years) + property tax rate × AF(property years)
            + land tax rate × AF(land years) + equipment% × customs duty + equipment% × import VAT   [up front]
            + in-kind grant% × take-up%                                                            [up front]
    where AF(n) = Σ_{t=1..min(n, horizon)} (1 + discount)^-t and the asset base of property and land tax is
    taken as the whole investment. Duty and import VAT count only where the package exempts each (priority
    projects: duty only). Stability clauses and unquantified benefits add nothing. Returns (None, {}) when the
    package has no quantified benefit. See value_range for benefits whose figure is uncertain.
    """
    pkg = package if isinstance(package, IncentivePackage) else parse_packages([package])[0]

    def factor(years: int | None) -> float:
        return annuity_factor(min(years, a.horizon_years), a.discount_rate_pct) if years else 0.0

    parts = {
        "cit": a.cit_rate_pct / 100 * a.profit_pct_of_investment * factor(pkg.cit_exemption_years),
        "property_tax": a.property_tax_rate_pct * factor(pkg.property_tax_years),
        "land_tax": a.land_tax_rate_pct * factor(pkg.land_tax_years),
        "import_duty": a.equipment_share_pct / 100 * a.customs_duty_pct if pkg.customs_duty_exemption else 0.0,
        "import_vat": (a.equipment_share_pct / 100 * vat_rate_pct(a.regime_date)
                       if pkg.import_vat_exemption else 0.0),
        "grant": (pkg.in_kind_grant_pct or 0.0) * a.grant_take_up_pct / 100,
    }
    parts = {k: v for k, v in parts.items() if v > 0}
    if not parts:
        return None, {}
    return sum(parts.values()), parts


def evaluate(sector: Mapping[str, Any] | None, packages: Iterable[IncentivePackage], assumptions: Assumptions,
             mci_table: Mapping[int, int], sector_names: Mapping[str, str] | None = None) -> list[Eligibility]:
    """Every package checked for one sector: eligible first, then unknown, then not eligible; by value."""
    try:
        mci_kzt: int | None = mci_for(assumptions.regime_date.year, mci_table)
    except ValueError:  # a regime date before the first stored MCI year
        mci_kzt = None
    results = [check_package(sector, pkg, assumptions, mci_kzt, sector_names) for pkg in packages]
    return sorted(results, key=lambda e: (OUTCOMES.index(e.outcome), -(e.value_pct or 0.0), e.name))


def eligibility_for_sector(sector: Mapping[str, Any] | None, packages: pd.DataFrame | list[IncentivePackage],
                           assumptions: Assumptions, mci_table: Mapping[int, int],
                           sector_names: Mapping[str, str] | None = None) -> list[Eligibility]:
    """Every package (table rows or models) checked for one sector."""
    return evaluate(sector, parse_packages(packages), assumptions, mci_table, sector_names)


@dataclass(frozen=True)
class SectorOffer:
    """A valued package a sector qualifies for on every rule except perhaps the minimum investment."""

    package_id: str
    value_pct: float  # at the stated point of an uncertain range
    minimum_kzt: int | None  # the minimum investment in tenge on the regime date; None = no minimum


def sector_offers(sectors: pd.DataFrame, packages: pd.DataFrame | list[IncentivePackage], assumptions: Assumptions,
                  mci_table: Mapping[int, int]) -> dict[str, list[SectorOffer]]:
    """Per sector code, the valued packages it qualifies for whatever the investment, each with its minimum.

    Computed once per sector; `incentive_frame` then tests each company's investment against the minimums. A
    package whose minimum cannot be converted (no MCI for the regime year) or that another rule leaves undecided
    (an assumed rule left out) is not offered.
    """
    models = {p.package_id: p for p in parse_packages(packages)}
    probe = assumptions.model_copy(update={"investment_usd_m": None})
    try:
        mci_kzt: int | None = mci_for(assumptions.regime_date.year, mci_table)
    except ValueError:
        mci_kzt = None
    offers: dict[str, list[SectorOffer]] = {}
    for sector in sectors.to_dict("records"):
        found = []
        for result in evaluate(sector, models.values(), probe, mci_table):
            if result.value_pct is None or any(c.passed is not True for c in result.checks if c.rule != "investment"):
                continue
            minimum = models[result.package_id].min_investment_mci
            if minimum is not None and mci_kzt is None:
                continue
            found.append(SectorOffer(result.package_id, result.value_pct,
                                     None if minimum is None else int(minimum) * mci_kzt))
        offers[sector["sector_code"]] = found
    return offers


def incentive_frame(companies: pd.DataFrame, offers: Mapping[str, list[SectorOffer]],
                    assumptions: Assumptions) -> pd.DataFrame:
    """Per company (same index): the investment used and its range, the best eligible package and its value.

    Columns: investment_usd_m (the point used), investment_low, investment_high, investment_basis (a key of
    lib.investment.BASIS_LABELS), best_package, best_value_pct and incentive_value_usd_m = best_value_pct % of the
    investment. The value is 0 where the sector qualifies for no valued package (or the investment is below every
    minimum) and NaN where it cannot be told: the sector is unknown, or it qualifies but the size is unknown.
    """
    estimates = estimate_frame(companies)
    rows = []
    for company, estimate in zip(companies.to_dict("records"), estimates.to_dict("records"), strict=True):
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
            size_kzt = round(size * 1e6 * a.kzt_per_usd)  # whole tenge, as the eligibility check compares
            open_to = [o for o in offers[code] if o.minimum_kzt is None or size_kzt >= o.minimum_kzt]
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


def in_force(packages: Iterable[IncentivePackage], when: date) -> list[IncentivePackage]:
    """The packages one could apply for on `when`."""
    return [p for p in packages if p.valid_from <= when and (p.valid_to is None or when <= p.valid_to)]


def locations(packages: Iterable[IncentivePackage]) -> list[str]:
    """Every city named by a package's location rule, sorted."""
    return sorted({city for p in packages for city in p.locations})


def zones_by_location(packages: Iterable[IncentivePackage]) -> dict[str, list[str]]:
    """City -> names of the zone-bound packages (SEZ, AIFC) sited only there, to label the location choice."""
    zones: dict[str, list[str]] = {}
    for p in packages:
        if len(p.locations) == 1:
            zones.setdefault(p.locations[0], []).append(translate(p.name))
    return zones


def rules_text(package: IncentivePackage, sector_names: Mapping[str, str] | None = None) -> str:
    """The package's eligibility rules in one line of words, for the packages table (sectors by name if known)."""
    parts = [_("In force %(period)s") % {"period": _period_text(package)}]
    if package.sector_codes:
        parts.append(_("sectors: %(sectors)s") % {"sectors": _sectors(package.sector_codes, sector_names)})
    else:
        parts.append(_("any sector"))
    if package.excluded_sector_codes:
        parts.append(_("except: %(sectors)s") % {"sectors": _sectors(package.excluded_sector_codes, sector_names)})
    if package.activity_types:
        parts.append(_("activity %(types)s") % {"types": _join(_activity(t) for t in package.activity_types)})
    if package.locations:
        parts.append(_("sited in %(places)s") % {"places": _cities(package.locations)})
    if package.min_investment_mci is not None:
        parts.append(_("at least %(mci)s MCI") % {"mci": fmt_number(package.min_investment_mci)})
    if package.requires_new_entity:
        parts.append(_("new legal entity only"))
    return " · ".join(parts)  # not "; ": that separates the sector names


def benefits_text(package: IncentivePackage) -> str:
    """The quantified benefits in one line of words (years of exemption, grant, stability)."""
    parts = []
    if package.cit_exemption_years:
        parts.append(ngettext("CIT exemption %(n)d year", "CIT exemption %(n)d years", package.cit_exemption_years)
                     % {"n": package.cit_exemption_years})
    if package.property_tax_years:
        n = package.property_tax_years
        parts.append(ngettext("property tax 0 for %(n)d year", "property tax 0 for %(n)d years", n) % {"n": n})
    if package.land_tax_years:
        parts.append(ngettext("land tax 0 for %(n)d year", "land tax 0 for %(n)d years", package.land_tax_years)
                     % {"n": package.land_tax_years})
    if package.customs_duty_exemption and package.import_vat_exemption:
        parts.append(_("customs duty and import VAT exemption on equipment"))
    elif package.customs_duty_exemption:
        parts.append(_("customs duty exemption on equipment (not import VAT)"))
    elif package.import_vat_exemption:
        parts.append(_("import VAT exemption on equipment (not customs duty)"))
    if package.in_kind_grant_pct:
        parts.append(_("in-kind grant up to %(pct)s of the investment")
                     % {"pct": _pct(package.in_kind_grant_pct, 0)})
    if package.stability_years:
        parts.append(ngettext("stability clause %(n)d year", "stability clause %(n)d years", package.stability_years)
                     % {"n": package.stability_years})
    return "; ".join(parts) if parts else _("nothing quantified")


def assumption_lines(a: Assumptions) -> list[tuple[str, str]]:
    """Every assumption behind an estimate as (label, value) pairs, to print next to the result."""
    investment = (_("each company's own estimate") if a.investment_usd_m is None
                  else _("USD %(m)s m for every company") % {"m": fmt_number(a.investment_usd_m, 1)})
    if a.company_investment_usd_m:
        investment += "; " + ngettext("set by hand for %(n)d company", "set by hand for %(n)d companies",
                                      len(a.company_investment_usd_m)) % {"n": len(a.company_investment_usd_m)}
    location = _("not decided (any site)") if a.location == ANY_LOCATION else translate(a.location)
    return [
        (_("Investment"), investment),
        (_("Exchange rate"), _("%(rate)s KZT per USD") % {"rate": fmt_number(a.kzt_per_usd, 1)}),
        (_("Regime date"), fmt_date(a.regime_date)),
        (_("Location"), location),
        (_("Legal entity"), _("new") if a.new_entity else _("existing")),
        (_("Assumed rules"), _("included") if a.include_assumed_rules else _("left out")),
        (_("Horizon"), ngettext("%(n)d year", "%(n)d years", a.horizon_years) % {"n": a.horizon_years}),
        (_("Discount rate"), _pct(a.discount_rate_pct, 1)),
        (_("Annual taxable profit"), _("%(pct)s of the investment") % {"pct": _pct(a.profit_pct_of_investment)}),
        (_("CIT rate"), _pct(a.cit_rate_pct, 1)),
        (_("Property tax rate"), _pct(a.property_tax_rate_pct, 2)),
        (_("Land tax rate"), _pct(a.land_tax_rate_pct, 2)),
        (_("Imported equipment"), _("%(pct)s of the investment") % {"pct": _pct(a.equipment_share_pct)}),
        (_("Customs duty"), _pct(a.customs_duty_pct, 1)),
        (_("Import VAT"), _pct(vat_rate_pct(a.regime_date), 1)),
        (_("In-kind grant obtained"), _("%(pct)s of the maximum") % {"pct": _pct(a.grant_take_up_pct)}),
        (_("Uncertain benefits counted at"), _(POINT_LABELS[a.uncertain_point])),
    ]


# Widget / URL key of each assumption -> the Assumptions field it sets. "inc_regime" carries a REGIMES id,
# "inc_existing" says whether the project expands an existing entity (true/false), "inc_site" a city.
ASSUMPTION_KEYS: dict[str, str] = {
    "inc_invest": "investment_usd_m", "inc_fx": "kzt_per_usd", "inc_regime": "regime_date",
    "inc_site": "location", "inc_existing": "new_entity", "inc_years": "horizon_years",
    "inc_discount": "discount_rate_pct", "inc_profit": "profit_pct_of_investment", "inc_cit": "cit_rate_pct",
    "inc_property": "property_tax_rate_pct", "inc_land": "land_tax_rate_pct",
    "inc_equipment": "equipment_share_pct", "inc_duty": "customs_duty_pct", "inc_grant": "grant_take_up_pct",
    "inc_assumed": "include_assumed_rules", "inc_point": "uncertain_point", "inc_company": "company_investment_usd_m",
}


def company_sizes_text(sizes: Mapping[int, float]) -> str:
    """Per-company investments as URL text, "12:80;31:15.5" (company id: USD m), sorted by id."""
    return ";".join(f"{cid}:{int(v) if float(v).is_integer() else v}" for cid, v in sorted(sizes.items()))


def parse_company_sizes(text: str) -> dict[int, float]:
    """The inverse of company_sizes_text; ValueError naming the part that is not "id:number"."""
    sizes: dict[int, float] = {}
    for part in filter(None, (p.strip() for p in str(text).split(";"))):
        cid, sep, value = part.partition(":")
        try:
            if not sep:
                raise ValueError(part)
            sizes[int(cid)] = float(value)
        except ValueError:
            raise ValueError(f"not company-id:USD-million: {part[:40]}") from None
    return sizes


def regime_of(a: Assumptions) -> str | None:
    """The id of the regime whose date the assumptions use; None for any other date."""
    return next((rid for rid, when in REGIMES.items() if when == a.regime_date), None)


def assumptions_from_params(params: Mapping[str, Any],
                            known_locations: Iterable[str] | None = None) -> tuple[Assumptions, list[str]]:
    """Assumptions from widget values or URL strings; a bad value falls back to its default with a note.

    Values may be strings (from the URL) or typed values (from widgets). Unknown keys are ignored.
    """
    notes: list[str] = []
    values: dict[str, Any] = {}
    # A city may come as stored (Astana) or as a label in any language (Астана): a bound widget writes its label.
    sites = None if known_locations is None else any_language_lookup({c: c for c in known_locations}) | {
        ANY_LOCATION: ANY_LOCATION}
    for key, name in ASSUMPTION_KEYS.items():
        raw = params.get(key)
        if raw is None or raw == "":
            continue
        value: Any = raw
        if name == "regime_date":
            value = REGIMES.get(str(raw))
        elif name == "new_entity":
            value = {"false": True, "true": False}.get(str(raw).lower())  # the widget asks "existing?"
        elif name == "location" and sites is not None:
            value = sites.get(str(raw).strip().casefold())
        elif name == "company_investment_usd_m" and isinstance(raw, str):
            try:
                value = parse_company_sizes(raw)
            except ValueError:
                value = None
        try:
            if value is None:
                raise ValueError(raw)
            Assumptions.model_validate({name: value})
        except ValueError:  # pydantic's ValidationError is a ValueError
            notes.append(_("Ignored the assumption %(key)s=%(value)s; the default is used.")
                         % {"key": key, "value": str(raw)[:40]})
            continue
        values[name] = value
    return Assumptions.model_validate(values), notes


OUTCOME_SYMBOLS: dict[str, str] = {"eligible": "✓", "unknown": "?", "not_eligible": "✗"}
RULE_RESULT_LABELS: dict[bool | None, str] = {True: N_("passed"), False: N_("failed"), None: N_("unknown")}


def company_sector(company: Mapping[str, Any]) -> dict[str, Any] | None:
    """The sector facts a rule needs from a company row; None when its sector is unknown."""
    code = company.get("sector_code")
    if not _is_set(code):
        return None
    activity = company.get("activity_type")
    return {"sector_code": code, "activity_type": activity if _is_set(activity) else None}


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


def company_assumptions(company: Mapping[str, Any], assumptions: Assumptions) -> Assumptions:
    """The assumptions with this company's investment: set for it, the same for all, or its own estimate."""
    point = estimate_frame(pd.DataFrame([dict(company)]))["investment_point"].iloc[0]
    company_id = company.get("company_id")
    return assumptions.for_company(int(company_id) if _is_set(company_id) else None, point)


def checks_frame(result: Eligibility) -> pd.DataFrame:
    """One row per rule of a checked package: the rule, passed / failed / unknown, and the reason."""
    return pd.DataFrame(
        [{"rule": _(RULE_LABELS[c.rule]), "result": _(RULE_RESULT_LABELS[c.passed]), "reason": c.reason}
         for c in result.checks],
        columns=["rule", "result", "reason"],
    )


def value_text(result: Eligibility) -> str:
    """The value estimate and its parts in words, e.g. '36.7% of the investment: CIT 18.4%, ...'."""
    if result.value_pct is None:
        return _("Value not estimated: no quantified tax or grant benefit.")
    parts = ", ".join(f"{_(VALUE_PARTS[k])} {_pct(v)}" for k, v in result.value_parts.items())
    return _("About %(total)s of the investment (%(parts)s).") % {"total": _pct(result.value_pct), "parts": parts}


def package_text(text: str | None) -> str:
    """A package's free text (details, uncertainty note, legal basis) in the current language; "" when empty.

    The seed texts are in the catalogues (lib.i18n.data_messages); a text a steward edited shows as stored.
    """
    return translate(text.strip()) if text and text.strip() else ""


def packages_frame(packages: Iterable[IncentivePackage], assumptions: Assumptions,
                   sector_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The packages with rules, benefits, value at the assumptions, period, uncertainty and sources, for display.

    Texts a user reads (benefit details, uncertainty notes, legal basis) are in the current language; a text a
    steward edited and nobody translated yet shows as stored. `name` stays the stored name (callers translate).
    """
    rows = []
    for p in packages:
        low, value, high, _parts = value_range(p, assumptions)
        doubtful = uncertain_parts(p, assumptions.regime_date)
        rows.append({
            "package_id": p.package_id, "name": p.name, "type": _(INSTRUMENT_LABELS[p.instrument_type]),
            "in_force": p.valid_from <= assumptions.regime_date
            and (p.valid_to is None or assumptions.regime_date <= p.valid_to),
            "valid_from": p.valid_from, "valid_to": p.valid_to, "rules": rules_text(p, sector_names),
            "benefits": benefits_text(p), "other_benefits": package_text(p.other_benefits),
            "value_pct": value, "value_low": low, "value_high": high,
            "uncertain_terms": _join(_(VALUE_PARTS[k]) for k in doubtful),
            "uncertain": p.uncertain, "uncertainty_note": package_text(p.uncertainty_note),
            "legal_basis": package_text(p.legal_basis), "source": p.source, "as_of": p.as_of,
        })
    return pd.DataFrame(rows)


RULE_SOURCE_FIELDS: dict[str, str] = RULE_LABELS | VALUE_PARTS | {"stability": N_("Stability clause")}
RULE_SOURCE_STATUS: dict[str, str] = {"sourced": N_("sourced"), "assumption": N_("our assumption"),
                                      "uncertain": N_("uncertain")}


def rule_sources_frame(sources: pd.DataFrame, package_id: str) -> pd.DataFrame:
    """Where each rule field of one package comes from: field, sourced / assumption / uncertain, value, page, note."""
    rows = sources[sources["package_id"] == package_id]
    return pd.DataFrame({
        "field": [_(RULE_SOURCE_FIELDS.get(f, f)) for f in rows["field"]],
        "status": [_(RULE_SOURCE_STATUS.get(s, s)) for s in rows["status"]],
        "value": list(rows["value"]), "source": list(rows["source"]), "source_date": list(rows["source_date"]),
        "note": [package_text(n) for n in rows["note"]]}, columns=["field", "status", "value", "source",
                                                                   "source_date", "note"])


def value_range_text(result: Eligibility) -> str:
    """The range of an uncertain value in words; "" when every benefit is certain."""
    if not result.uncertain_parts or result.value_low is None or result.value_high is None:
        return ""
    return (_("Uncertain: %(parts)s. The value lies between %(low)s and %(high)s of the investment; the score "
              "uses %(point)s.") % {"parts": _join(_(VALUE_PARTS[k]) for k in result.uncertain_parts),
                                     "low": _pct(result.value_low), "high": _pct(result.value_high),
                                     "point": _pct(result.value_pct or 0.0)})


def not_eligible_frame(results: Iterable[Eligibility]) -> pd.DataFrame:
    """The packages a company does not qualify for, each with the reasons of the rules it failed."""
    rows = [{"package": translate(r.name), "why_not": " ".join(c.reason for c in r.checks if c.passed is False)}
            for r in results if r.outcome == "not_eligible"]
    return pd.DataFrame(rows, columns=["package", "why_not"])


def widget_values(a: Assumptions) -> dict[str, Any]:
    """The value each assumption widget shows for `a` (inverse of assumptions_from_params)."""
    values = {key: getattr(a, name) for key, name in ASSUMPTION_KEYS.items()}
    values["inc_regime"] = regime_of(a)
    values["inc_site"] = None if a.location == ANY_LOCATION else a.location
    values["inc_existing"] = not a.new_entity
    values["inc_company"] = company_sizes_text(a.company_investment_usd_m) or None
    return values


def url_params(a: Assumptions) -> dict[str, str | None]:
    """The URL text of each assumption; None where it equals the default (left out of the link)."""
    default = widget_values(Assumptions())
    out: dict[str, str | None] = {}
    for key, value in widget_values(a).items():
        if value == default[key] or value is None:
            out[key] = None
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            out[key] = str(int(value))
        else:
            out[key] = str(value)
    return out
