"""A company's profile: facts with their sources and the breakdown of its score."""

from __future__ import annotations

import pandas as pd

from lib.criteria import CRITERIA
from lib.i18n import _, fmt_number
from lib.scoring import Ranking

FACT_LABELS = {
    "revenue_worldwide_usd_m": "Revenue worldwide, USD million",
    "employees_worldwide": "Employees worldwide",
    "russia_revenue_usd_m": "Revenue in Russia, USD million",
    "russia_employees": "Employees in Russia",
    "russia_production": "Own production in Russia",
    "kazakhstan_presence": "Present in Kazakhstan",
}


def score_breakdown(ranking: Ranking, company_id: int, top_n: int = 10) -> pd.DataFrame | None:
    """Per-criterion contributions of one company next to the top-N average (weighted sum only).

    Columns: criterion_id, criterion, company, top_average. None if the company is not ranked.
    """
    table = ranking.table
    row = table[table["company_id"] == company_id]
    if row.empty or ranking.method != "wsm":
        return None
    top = table.head(top_n)
    return pd.DataFrame(
        {
            "criterion_id": [c.id for c in CRITERIA],
            "criterion": [c.label for c in CRITERIA],
            "weight": [ranking.weights[c.id] for c in CRITERIA],
            "company": [float(row.iloc[0][f"c_{c.id}"]) for c in CRITERIA],
            "top_average": [float(top[f"c_{c.id}"].mean()) for c in CRITERIA],
        }
    )


def fact_value_text(value: str) -> str:
    """A stored fact for reading: 'true' as yes, '85000' as 85,000 in the reader's locale; other text unchanged."""
    if value in ("true", "false"):
        return _("yes") if value == "true" else _("no")
    try:
        number = float(value)
    except ValueError:
        return value
    return fmt_number(number, 0 if number.is_integer() or abs(number) >= 100 else 1)
