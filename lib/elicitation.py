"""Ways to set the weights besides raw sliders: presets with a rationale, and rank-order centroid weights.

Slider values are whole numbers 0-100; everything here returns slider values that sum to 100, so
each value is also the criterion's share in percent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from lib.criteria import CRITERION_IDS, DEFAULT_WEIGHTS
from lib.i18n import N_


def roc_weights(n: int) -> list[float]:
    """Rank-order centroid weights (Barron & Barrett 1996): w_i = (1/n) * sum_{k=i..n} 1/k, i = 1..n.

    They are the centroid of all weight vectors with w_1 >= w_2 >= ... >= w_n >= 0 summing to 1:
    the least-biased weights when only the order of importance is known.
    """
    if n < 1:
        raise ValueError("at least one criterion must be ranked")
    tail = np.cumsum(1.0 / np.arange(n, 0, -1))[::-1]  # sum_{k=i..n} 1/k for i = 1..n
    return list(tail / n)


def to_slider_values(shares: Sequence[float], total: int = 100) -> list[int]:
    """Whole numbers summing to `total`, proportional to `shares` (largest remainder rounding)."""
    share = np.asarray(shares, dtype=float)
    if share.sum() <= 0 or (share < 0).any():
        raise ValueError("shares must be non-negative with at least one above 0")
    exact = share / share.sum() * total
    values = np.floor(exact).astype(int)
    # Hand the missing units to the largest remainders; earlier criteria win exact ties.
    for i in np.argsort(-(exact - values), kind="stable")[: total - values.sum()]:
        values[i] += 1
    return [int(v) for v in values]


class CriteriaRanking(BaseModel):
    """Criteria in order of importance, most important first; criteria left out get weight 0."""

    model_config = ConfigDict(extra="forbid")

    order: list[str] = Field(min_length=1, max_length=len(CRITERION_IDS))

    @field_validator("order")
    @classmethod
    def _known_and_unique(cls, order: list[str]) -> list[str]:
        unknown = [cid for cid in order if cid not in CRITERION_IDS]
        if unknown:
            raise ValueError(f"unknown criterion {unknown[0]!r}; known: {', '.join(CRITERION_IDS)}")
        if len(set(order)) != len(order):
            raise ValueError("each criterion can be ranked only once")
        return order


def weights_from_ranking(ranking: CriteriaRanking) -> dict[str, int]:
    """Slider values (summing to 100) for every criterion from a ranking by importance, via ROC."""
    shares = dict(zip(ranking.order, roc_weights(len(ranking.order)), strict=True))
    values = to_slider_values([shares.get(cid, 0.0) for cid in CRITERION_IDS])
    return dict(zip(CRITERION_IDS, values, strict=True))


@dataclass(frozen=True)
class Preset:
    """A named weight set with the reason an official would choose it (English; translate with _)."""

    id: str
    label: str
    rationale: str
    weights: dict[str, int]  # slider values, summing to 100


# Labels and rationales are English source text, marked with N_ for the catalogue; pages show them with _().
PRESETS: tuple[Preset, ...] = (
    Preset(
        "balanced", N_("Balanced (the default weights)"),
        N_("The methodology's default: how firmly the company left Russia comes first, then what it left "
           "behind, its size and Kazakhstan's sector priorities; risk counts a little."),
        {cid: int(w) for cid, w in DEFAULT_WEIGHTS.items()},
    ),
    Preset(
        "jobs_production", N_("Jobs and production first"),
        N_("For a mandate to create manufacturing jobs: companies that ran their own plants and large "
           "operations in Russia have production lines and staff to move."),
        {"exit_firmness": 10, "russian_footprint": 25, "company_scale": 15, "sector_priority": 10,
         "incentive_fit": 5, "regional_presence": 0, "production_intensity": 30, "compliance_risk": 5},
    ),
    Preset(
        "quick_wins", N_("Quick wins: already in the region"),
        N_("For results this year: a company with an entity or office in Kazakhstan decides faster, and one "
           "that has fully left Russia has nothing holding it back."),
        {"exit_firmness": 20, "russian_footprint": 5, "company_scale": 10, "sector_priority": 10,
         "incentive_fit": 10, "regional_presence": 35, "production_intensity": 0, "compliance_risk": 10},
    ),
    Preset(
        "strategic_sectors", N_("Strategic sectors"),
        N_("For the national industrial priorities: sector fit and what Kazakhstan's incentive packages can "
           "offer weigh most; size and production still count."),
        {"exit_firmness": 10, "russian_footprint": 5, "company_scale": 10, "sector_priority": 40,
         "incentive_fit": 20, "regional_presence": 0, "production_intensity": 10, "compliance_risk": 5},
    ),
    Preset(
        "low_risk", N_("Sanctions-safe"),
        N_("When exposure to secondary sanctions worries the ministry: only firm exits and low compliance "
           "risk rank high."),
        {"exit_firmness": 35, "russian_footprint": 5, "company_scale": 10, "sector_priority": 10,
         "incentive_fit": 5, "regional_presence": 5, "production_intensity": 0, "compliance_risk": 30},
    ),
)
# Kazakhstan's own "green corridor" project score (MFA order 11-1-4/746, in force 19 Jan 2025) weighs investment
# amount, technology, Forbes Global 2000 membership and social orientation; its point weights are not in our
# sources, so the four count equally here (an assumption). Mapped onto our criteria: investment amount and
# Forbes membership -> company scale (25 + 25), technology -> sector priority (25), social orientation (jobs)
# -> production intensity (25). Not covered: the project's own technology level and its social commitments.
PRESETS = (*PRESETS, Preset(
    "green_corridor", N_("Green corridor (official criteria, equal weights assumed)"),
    N_("The Foreign Ministry's green-corridor score: investment amount, technology, Forbes Global 2000 membership "
       "and social orientation, mapped onto company scale (amount and Forbes), sector priority (technology) and "
       "production (jobs). The official point weights are not published in our sources: equal weights are an "
       "assumption."),
    {"exit_firmness": 0, "russian_footprint": 0, "company_scale": 50, "sector_priority": 25, "incentive_fit": 0,
     "regional_presence": 0, "production_intensity": 25, "compliance_risk": 0},
))
PRESETS_BY_ID: dict[str, Preset] = {p.id: p for p in PRESETS}


def matching_preset(weights: dict[str, float]) -> str | None:
    """The id of the preset whose normalised weights equal these, if any."""
    total = sum(weights.values())
    if total <= 0:
        return None
    for preset in PRESETS:
        if all(abs(weights.get(cid, 0) / total - preset.weights[cid] / 100) < 1e-9 for cid in CRITERION_IDS):
            return preset.id
    return None
