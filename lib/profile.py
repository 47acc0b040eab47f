"""A company's profile: facts with their sources and the breakdown of its score."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from lib.criteria import CRITERIA
from lib.evidence import (
    COMPANY_FACTS,
    PRESENCE_LEVEL_LABELS,
    PRODUCTION_STATE_LABELS,
    STALE_BEFORE_YEAR,
    period_key,
)
from lib.i18n import _, fmt_number, translate
from lib.models import Filters, ScoringSettings
from lib.scoring import Ranking, rank_companies

FACT_LABELS = {
    "revenue_worldwide_usd_m": "Revenue worldwide, USD million",
    "employees_worldwide": "Employees worldwide",
    "russia_revenue_usd_m": "Revenue in Russia, USD million",
    "russia_employees": "Employees in Russia",
    "russia_production": "Own production in Russia",
    "kazakhstan_presence": "Presence in Kazakhstan",
    "forbes_global_2000": "Listed in the Forbes Global 2000",
    "also_known_as": "Also known as",
    "russia_buyer": "Buyer of its Russian business",
}
STATE_LABELS: dict[str, str] = {"active": "active", "ended": "ended", "not_found": "searched, not found"}
FISCAL_YEAR = re.compile(r"^FY(\d{4}(?:/\d\d)?)$")


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


@dataclass(frozen=True)
class ScoreExplanation:
    """One company's weighted-sum score taken apart: the ranking it comes from, its row and the breakdown."""

    ranking: Ranking
    row: pd.Series
    breakdown: pd.DataFrame
    outside_filters: bool  # explained over every company because the view's filters leave it out


def explain_score(companies: pd.DataFrame, values: pd.DataFrame, settings: ScoringSettings, filters: Filters,
                  company_id: int) -> ScoreExplanation | None:
    """Why a company scores what it scores, the same on the profile and in the briefing (weighted sum always).

    Ranked under the view's filters; a company they leave out (or a non-candidate) is explained over every
    company instead. None when the missing-data policy excludes it.
    """
    wsm = settings.model_copy(update={"method": "wsm"})
    ranking = rank_companies(companies, values, wsm, filters)
    outside = not (ranking.table["company_id"] == company_id).any()
    if outside:
        ranking = rank_companies(companies, values, wsm, Filters(candidates_only=False))
    breakdown = score_breakdown(ranking, company_id)
    if breakdown is None:
        return None
    row = ranking.table[ranking.table["company_id"] == company_id].iloc[0]
    return ScoreExplanation(ranking, row, breakdown, outside)


def period_text(period: str | None) -> str:
    """The period a fact describes, in the reader's language: 'FY2023' as fiscal year 2023, worded ones translated."""
    if not isinstance(period, str) or not period:
        return "—"
    match = FISCAL_YEAR.match(period)
    return _("fiscal year %(year)s") % {"year": match.group(1)} if match else translate(period)


def state_text(fact: str, state: str | None, value: str | None = None) -> str:
    """A fact's state for reading: 'sold or transferred', 'own subsidiary', 'searched, not found'."""
    if state == "not_found":
        return _(STATE_LABELS["not_found"])
    if fact == "russia_production" and state:
        return _(PRODUCTION_STATE_LABELS.get(state, state))
    if fact == "kazakhstan_presence" and value:
        label = _(PRESENCE_LEVEL_LABELS.get(value, value))
        return label if state != "ended" or value == "ended" else f"{label} ({_(STATE_LABELS['ended'])})"
    return ""


def observation_text(fact: str, value: str | None, state: str | None) -> tuple[str, str]:
    """(value, state) of one observation for reading; a presence level is shown as its state, in words."""
    shown = "" if fact == "kazakhstan_presence" else fact_value_text(value)
    return shown, state_text(fact, state, value)


def current_fact_text(company: dict[str, Any], fact: str) -> str:
    """What the store holds now for one fact: 'sold or transferred (2023-05)', 'own subsidiary since 2012', '—'."""
    value = company.get(fact)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if fact == "russia_production":
        when = company.get("russia_production_date")
        text = _(PRODUCTION_STATE_LABELS.get(value, value))
        return f"{text} ({when})" if isinstance(when, str) and when else text
    if fact == "kazakhstan_presence":
        since = company.get("kazakhstan_presence_since")
        text = _(PRESENCE_LEVEL_LABELS.get(value, value))
        if since is not None and not pd.isna(since):
            text += " " + _("since %(year)d") % {"year": int(since)}
        return text
    return fact_value_text(str(value))


def evidence_warnings(company: dict[str, Any], facts: pd.DataFrame) -> list[str]:
    """Contradictions between facts and the tracker status, and figures that describe old periods."""
    notes = []
    production, status = company.get("russia_production"), company.get("status")
    if production in ("sold", "closed") and status in ("Suspension", "Scaling back", "Buying time", "Digging in"):
        notes.append(_("The facts say the Russian plant was %(state)s (%(date)s), but the tracker's status is "
                       "%(status)s: the status may be out of date.")
                     % {"state": _(PRODUCTION_STATE_LABELS[production]), "status": translate(status),
                        "date": company.get("russia_production_date") or "—"})
    if production == "operating" and status == "Withdrawal":
        notes.append(_("The facts say a Russian plant is still operating, but the tracker's status is Withdrawal."))
    stale = []
    for fact in COMPANY_FACTS[:4]:  # the figures; only the newest observation of each is the one in use
        dated = [(period_key(r.period), r.period) for r in facts.itertuples()
                 if r.fact == fact and isinstance(r.value, str) and r.value != "" and period_key(r.period)]
        if dated and int(max(dated)[0][:4]) < STALE_BEFORE_YEAR:
            stale.append(f"{_(FACT_LABELS[fact])} ({period_text(max(dated)[1])})")
    if stale:
        notes.append(_("Figures older than %(year)d, possibly stale: %(list)s.")
                     % {"year": STALE_BEFORE_YEAR, "list": "; ".join(dict.fromkeys(stale))})
    return notes


def fact_value_text(value: str | None) -> str:
    """A stored fact for reading: 'true' as yes, '85000' as 85,000 in the reader's locale; other text unchanged."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if value in ("true", "false"):
        return _("yes") if value == "true" else _("no")
    try:
        number = float(value)
    except ValueError:
        return value
    return fmt_number(number, 0 if number.is_integer() or abs(number) >= 100 else 1)
