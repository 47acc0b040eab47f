"""What a package is worth, as % of the investment in present value over the horizon, with the range when uncertain."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from lib.i18n import N_
from lib.incentives.assumptions import Assumptions
from lib.incentives.packages import as_package
from lib.models import IncentivePackage

# Standard VAT, which is also the import VAT an exemption saves: 12% until 2025, 16% under the 2026 Tax Code.
VAT_RATES: tuple[tuple[date, float], ...] = ((date(2026, 1, 1), 16.0), (date(1900, 1, 1), 12.0))
VALUE_PARTS: dict[str, str] = {
    "cit": N_("Corporate income tax"),
    "property_tax": N_("Property tax"),
    "land_tax": N_("Land tax"),
    "import_duty": N_("Import customs duty"),
    "import_vat": N_("Import VAT"),
    "grant": N_("State in-kind grant"),
}
POINT_SHARES: dict[str, float] = {"low": 0.0, "middle": 0.5, "high": 1.0}
POINT_LABELS: dict[str, str] = {"low": N_("low end"), "middle": N_("middle"), "high": N_("high end")}


def vat_rate_pct(when: date) -> float:
    """Standard VAT rate on a date (12% to 2025, 16% from 2026)."""
    return next(rate for start, rate in VAT_RATES if when >= start)


def annuity_factor(years: float, rate_pct: float) -> float:
    """Present value of 1 a year for `years` years (end of year), discounted at `rate_pct`: Σ (1+r)^-t."""
    whole = int(years)
    r = rate_pct / 100
    if r == 0:
        return float(whole)
    return (1 - (1 + r) ** -whole) / r


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
    pkg = as_package(package)
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
    pkg = as_package(package)

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
