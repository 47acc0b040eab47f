"""How large a Kazakhstan project each company could bring: an investment estimate with a stated method and range.

Method (every figure sourced; the Methodology page shows this table):

    Russian revenue   = the company's Russian revenue, else Russian staff × its worldwide revenue per employee
    Russian capital   = Russian revenue ÷ the sector's sales-to-invested-capital ratio (Damodaran, Jan 2024)
    low  (the point)  = Russian capital × Kazakhstan's economy as a share of Russia's (14.3 %)
    high              = Russian capital (the whole Russian operation moved)

The point is the low end: a plant that serves Kazakhstan's market at the capital intensity of the Russian
business it replaces. The high end is the ceiling of a full move. No estimate is made where the Russian size or the
sector's capital intensity is unknown (finance, utilities, real estate, pulp and paper, non-profits): the
incentive fit is then unknown and follows the missing-data policy, unless the user sets a figure for the company.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from lib.i18n import N_

DAMODARAN = "https://pages.stern.nyu.edu/~adamodar/New_Home_Page/datafile/mgnroc.html"


@dataclass(frozen=True)
class CapitalIntensity:
    """Revenue per dollar of invested capital in a sector, and the industry rows it is read from."""

    sales_to_capital: float
    industries: str  # Damodaran's industry names, as on the source page
    source: str = DAMODARAN
    as_of: str = "2024-01"


# Sales / invested capital (LTM), US companies, January 2024. Where several industry rows match a sector the median
# is used; the page stored for us ends at "Farming/Agriculture", so machinery, food processing, telecoms, paper and
# utilities are matched to the nearest row that is there (the mapping is ours, the figures the source's).
CAPITAL_INTENSITY: dict[str, CapitalIntensity] = {
    "IND": CapitalIntensity(1.47, "Electrical Equipment"),
    "MAT": CapitalIntensity(1.62, "Chemical (Basic)"),
    "AGR": CapitalIntensity(1.62, "Chemical (Basic)"),
    "HLT": CapitalIntensity(0.64, "Drugs (Pharmaceutical)"),
    "STP": CapitalIntensity(1.69, "Beverage (Soft)"),
    "EXC": CapitalIntensity(0.90, "Beverage (Alcoholic)"),
    "CDS": CapitalIntensity(1.72, "median of Apparel 1.77, Auto & Truck 1.05, Auto Parts 2.00, "
                                  "Electronics (Consumer & Office) 1.67"),
    "ITC": CapitalIntensity(1.92, "median of Computer Services 3.59, Computers/Peripherals 1.92, "
                                  "Electronics (General) 1.68"),
    "COM": CapitalIntensity(0.95, "median of Broadcasting 1.12, Cable TV 0.78"),
    "PRO": CapitalIntensity(2.72, "Business & Consumer Services"),
    "TRN": CapitalIntensity(1.78, "Air Transport"),
    "ENE": CapitalIntensity(1.47, "Coal & Related Energy"),
    "MIN": CapitalIntensity(1.47, "Coal & Related Energy"),
}

# Kazakhstan's economy as a share of Russia's: IMF GDP per capita 2025 (Kazakhstan $14,770, Russia $14,260) times
# population (Kazakhstan 20,201,849 on 1 Sep 2024; Russia 146,028,325 on 1 Jan 2025).
KZ_GDP_PER_CAPITA_USD, RU_GDP_PER_CAPITA_USD = 14_770, 14_260
KZ_POPULATION, RU_POPULATION = 20_201_849, 146_028_325
KZ_SHARE_OF_RUSSIA = (KZ_GDP_PER_CAPITA_USD * KZ_POPULATION) / (RU_GDP_PER_CAPITA_USD * RU_POPULATION)
MARKET_SOURCES = (
    "https://en.fergana.ru/news/139469/?country=kz (IMF, Aug 2025) ; "
    "https://astanatimes.com/2024/10/kazakhstans-population-exceeds-20-million-people/ ; "
    "https://tass.com/society/1907243"
)
# For context on the Methodology page: what the relocations Kazakhstan counts were worth on average.
OFFICIAL_AVERAGE = ("41 relocated companies, combined value over $1.5 bn (5 Mar 2024)",
                    "https://interfax.com/newsroom/top-stories/100136/")

BASIS_LABELS: dict[str, str] = {
    "russia_revenue": N_("Russian revenue"),
    "russia_employees": N_("Russian staff × worldwide revenue per employee"),
    "set_by_user": N_("set by the user"),
    "same_for_all": N_("the same figure for every company (Incentives page)"),
}


def russian_revenue(company: Mapping[str, object]) -> tuple[float | None, str | None]:
    """(Russian revenue in USD m, which basis) from the company's facts; (None, None) when neither is known."""
    revenue = company.get("russia_revenue_usd_m")
    if pd.notna(revenue) and float(revenue) > 0:  # type: ignore[arg-type]
        return float(revenue), "russia_revenue"  # type: ignore[arg-type]
    staff, world, world_staff = (company.get(k) for k in ("russia_employees", "revenue_worldwide_usd_m",
                                                           "employees_worldwide"))
    if all(pd.notna(v) for v in (staff, world, world_staff)) and float(world_staff) > 0:  # type: ignore[arg-type]
        return float(staff) * float(world) / float(world_staff), "russia_employees"  # type: ignore[arg-type]
    return None, None


def estimate_frame(companies: pd.DataFrame) -> pd.DataFrame:
    """Per company (same index): investment_low, investment_point, investment_high (USD m) and basis; NaN = none.

    `companies` needs sector_code, russia_revenue_usd_m, russia_employees, revenue_worldwide_usd_m and
    employees_worldwide.
    """
    rows = []
    used = [c for c in ("sector_code", "russia_revenue_usd_m", "russia_employees", "revenue_worldwide_usd_m",
                        "employees_worldwide") if c in companies]  # rows as dicts of these columns only
    for company in companies[used].to_dict("records"):
        revenue, basis = russian_revenue(company)
        intensity = CAPITAL_INTENSITY.get(company.get("sector_code"))  # type: ignore[arg-type]
        if revenue is None or intensity is None:
            rows.append((math.nan, math.nan, math.nan, None))
            continue
        capital = revenue / intensity.sales_to_capital
        rows.append((capital * KZ_SHARE_OF_RUSSIA, capital * KZ_SHARE_OF_RUSSIA, capital, basis))
    return pd.DataFrame(rows, columns=["investment_low", "investment_point", "investment_high", "investment_basis"],
                        index=companies.index)


def intensity_frame() -> pd.DataFrame:
    """The capital-intensity table the estimate uses, for the Methodology page."""
    return pd.DataFrame([{"sector_code": code, "sales_to_capital": c.sales_to_capital, "industries": c.industries,
                          "source": c.source, "as_of": c.as_of} for code, c in CAPITAL_INTENSITY.items()])
