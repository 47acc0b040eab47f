"""The scoring universe: companies from the store joined with their criterion values."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.incentives.assumptions import Assumptions
from lib.incentives.offers import SectorOffer, incentive_frame, sector_offers
from lib.scoring import criteria_values
from lib.store import Store


@dataclass(frozen=True)
class Universe:
    """All companies (candidates and not) and their oriented criterion values (NaN = missing)."""

    companies: pd.DataFrame
    values: pd.DataFrame
    incentives: pd.DataFrame  # per company: investment used and its range, best package, its value (incentive_frame)
    offers: dict[str, list[SectorOffer]]  # per sector code: the valued packages it qualifies for
    assumptions: Assumptions


def load_universe(store: Store, assumptions: Assumptions | None = None) -> Universe:
    """Read companies, sectors and packages and compute every criterion once."""
    assumptions = assumptions or Assumptions()
    companies = store.companies()
    offers = sector_offers(store.sectors(), store.incentive_packages(), assumptions, store.mci_table())
    incentives = incentive_frame(companies, offers, assumptions)
    values = criteria_values(companies, incentives["incentive_value_usd_m"])
    return Universe(companies, values, incentives, offers, assumptions)


def group_names(companies: pd.DataFrame) -> pd.Series:
    """Per company ranked for a group, the names of its other members joined ("Ingka" for Ikea), so a search
    for any member finds the group's one candidate. Indexed by the parent's company_id."""
    members = companies.dropna(subset=["group_parent_id"])
    return members.groupby(members["group_parent_id"].astype(int))["name"].agg(" · ".join)
