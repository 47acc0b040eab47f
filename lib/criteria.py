"""The eight relocation criteria: what each measures, its direction and its default weight."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

Direction = Literal["benefit", "cost"]
MissingPolicy = Literal["neutral", "worst", "exclude"]
MISSING_POLICIES: tuple[MissingPolicy, ...] = ("neutral", "worst", "exclude")


@dataclass(frozen=True)
class Criterion:
    """One scoring criterion as shown on the methodology page and the sliders."""

    id: str
    label: str
    direction: Direction
    default_weight: float
    default_missing: MissingPolicy
    description: str


# Order matters: it is the column order of the criteria matrix and of the sliders.
CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "exit_firmness", "Exit firmness", "benefit", 20, "neutral",
        "How firmly the company left Russia, from its tracker grade: "
        "Withdrawal 1, Suspension 0.75, Scaling back 0.5, Buying time 0.25, Digging in 0.",
    ),
    Criterion(
        "russian_footprint", "Russian footprint", "benefit", 15, "neutral",
        "Size of the operations left behind in Russia: the larger of Russian revenue and Russian "
        "employees, each log-scaled against the largest known. A further fact can only raise it.",
    ),
    Criterion(
        "company_scale", "Company scale", "benefit", 15, "neutral",
        "The capacity to invest: the larger of worldwide revenue and worldwide employees, each "
        "log-scaled between the smallest and largest company in the store.",
    ),
    Criterion(
        "sector_priority", "Sector priority", "benefit", 15, "neutral",
        "Kazakhstan's priority (0-5) for the company's own sector, divided by 5. The sector is "
        "reviewed per company, with its reason; the tracker's industry is only the default.",
    ),
    Criterion(
        "incentive_fit", "Incentive fit", "benefit", 10, "neutral",
        "Present value in US dollars of the best incentive package the company qualifies for at its own "
        "investment (estimated from its Russian business), on a log scale, 1 for the largest. Unknown when "
        "the investment cannot be estimated.",
    ),
    Criterion(
        "regional_presence", "Regional presence", "benefit", 10, "worst",
        "How strongly the company is already in Kazakhstan: own plant 1, subsidiary 0.75, "
        "representative office 0.5, distributor or licensee 0.25, none found or ended 0. "
        "Unknown counts as none found by default.",
    ),
    Criterion(
        "production_intensity", "Production intensity", "benefit", 10, "worst",
        "Own production in Russia and what became of it: suspended plant 1, sold or closed 0.5 "
        "(the market it served needs a supplier), still operating 0.25, no production 0. "
        "Unknown counts as no production by default.",
    ),
    Criterion(
        "compliance_risk", "Compliance risk", "cost", 5, "neutral",
        "Sanctions exposure: still operating in Russia (Digging in 1 ... Withdrawal 0) and a "
        "dual-use sector. A cost: higher risk lowers the score.",
    ),
)

CRITERIA_BY_ID: dict[str, Criterion] = {c.id: c for c in CRITERIA}
CRITERION_IDS: tuple[str, ...] = tuple(c.id for c in CRITERIA)
DEFAULT_WEIGHTS: dict[str, float] = {c.id: c.default_weight for c in CRITERIA}
DEFAULT_MISSING: dict[str, MissingPolicy] = {c.id: c.default_missing for c in CRITERIA}


def weight_vector(weights: Mapping[str, float]) -> np.ndarray:
    """The one weight normalisation: weights in criterion order scaled to sum 1 (an absent criterion is 0).

    All zero has no normalisation: raises. The app's rule for all sliders at 0 (the default weights) is
    lib.viewstate.ViewState.settings.
    """
    w = np.array([float(weights.get(cid, 0.0)) for cid in CRITERION_IDS])
    if w.sum() <= 0 or (w < 0).any():
        raise ValueError("weights must be non-negative with at least one above 0")
    return w / w.sum()
