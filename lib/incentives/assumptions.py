"""What the eligibility check and the value estimate assume about the project: the regime, the site, the figures."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lib.i18n import N_

ANY_LOCATION = "any"

# Regimes the user can pick, each evaluated on one date. The 2016-2025 regime is read on 1 January 2023,
# when most 2022-23 relocations were being negotiated (and the 2023 MCI applied). The ids are shown as they
# are: a bound widget writes its displayed option into the URL, so they must not depend on the language.
REGIMES: dict[str, date] = {"2026": date(2026, 1, 1), "2016-2025": date(2023, 1, 1)}
REGIME_LABELS: dict[str, str] = {
    "2026": N_("in force since 1 Jan 2026"),
    "2016-2025": N_("as on 1 Jan 2023, when most exits from Russia happened"),
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
