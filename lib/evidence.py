"""What a company fact can say, and what each answer is worth to the ranking.

Facts are dated observations (company_facts): a value, a state where it applies, the date or period it
describes, when it was recorded and its source. The companies table carries each fact's latest state,
which is what the criteria read. Every value below is stated on the methodology page.
"""

from __future__ import annotations

import re
from typing import Literal

# The company-specific facts: data completeness is the share of these that are known. Nothing derived
# from the tracker grade or the sector counts.
COMPANY_FACTS: tuple[str, ...] = (
    "revenue_worldwide_usd_m", "employees_worldwide", "russia_revenue_usd_m", "russia_employees",
    "russia_production", "kazakhstan_presence",
)

ProductionState = Literal["operating", "suspended", "sold", "closed", "reported", "none"]
PRODUCTION_STATES: tuple[ProductionState, ...] = ("suspended", "sold", "closed", "operating", "reported", "none")
PRODUCTION_STATE_LABELS: dict[str, str] = {
    "suspended": "suspended (plant idle, still owned)",
    "sold": "sold or transferred",
    "closed": "closed",
    "operating": "operating",
    "reported": "reported before 2022, state since unknown",
    "none": "no own production (sales or office only)",
}
# Production to relocate. A suspended plant is idle capacity, staff and suppliers that need a new home: 1.
# A sold or closed plant scores half: the company has produced for the region, and the customers that plant
# served in Kazakhstan, Central Asia and the Caucasus now need a supplier (a freed market is a motive), but
# there is no idle plant or team left to move. A plant still operating in Russia scores a quarter: the
# capacity exists, the pressure to move it does not. "Reported" (a plant known before 2022, state since
# unknown) is scored like sold or closed, the middle of what it could be, so not knowing never flatters.
PRODUCTION_VALUE: dict[str, float] = {
    "suspended": 1.0, "sold": 0.5, "closed": 0.5, "reported": 0.5, "operating": 0.25, "none": 0.0,
}

PresenceLevel = Literal["production_site", "subsidiary", "representative_office", "distributor_licensee",
                        "unspecified", "none_found", "ended"]
PRESENCE_LEVELS: tuple[PresenceLevel, ...] = (
    "production_site", "subsidiary", "representative_office", "distributor_licensee", "unspecified",
    "none_found", "ended",
)
PRESENCE_LEVEL_LABELS: dict[str, str] = {
    "production_site": "own production site",
    "subsidiary": "own subsidiary",
    "representative_office": "representative office",
    "distributor_licensee": "through a distributor or licensee",
    "unspecified": "present, level not stated",
    "none_found": "none found",
    "ended": "ended",
}
# Regional presence: an own plant is the warmest lead, a licensee the coolest. A presence of unstated level
# scores as the weakest one. "None found" (searched) and "ended" are known facts worth 0; unknown stays empty.
PRESENCE_VALUE: dict[str, float] = {
    "production_site": 1.0, "subsidiary": 0.75, "representative_office": 0.5, "distributor_licensee": 0.25,
    "unspecified": 0.25, "none_found": 0.0, "ended": 0.0,
}
# Figures describing a period before this year are marked stale on the profile.
STALE_BEFORE_YEAR = 2023
# The date the Yale CELI copy was scraped: the row's as_of, kept apart from the tracker's own status date.
INVASION_DATE = "2022-02-24"

_FISCAL_YEAR = re.compile(r"FY((?:19|20)\d\d)")
_DATE = re.compile(r"(?<!\d)(?:19|20)\d\d(?:-\d\d){0,2}(?!\d)")


def period_date(text: object) -> str:
    """The date a fact's period text describes, as written ("2023-05", "2025-05-21", "2024"); "" when undated.

    A fiscal year ("FY2023 (Fortune Global 500 2024 list)") is the period described; otherwise the latest date
    named, so a list's name ("Forbes Global 2000 2025 list") gives its edition, 2025, not 2000.
    """
    if not isinstance(text, str):
        return ""
    fiscal = _FISCAL_YEAR.search(text)
    if fiscal:
        return fiscal.group(1)
    dates = _DATE.findall(text)
    return max(dates, key=period_key) if dates else ""


def period_key(text: object) -> str:
    """A sortable "YYYY-MM-DD" of period_date ("2023-05" -> "2023-05-00"); "" when undated."""
    date = text if isinstance(text, str) and _DATE.fullmatch(text) else period_date(text)
    if not date:
        return ""
    return "-".join((date.split("-") + ["00", "00"])[:3])
