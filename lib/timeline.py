"""One company's story on one time axis: Russia statuses, production in Russia, Kazakhstan presence, outcomes and
(for signed-in colleagues only) outreach stages, each event with the date it describes and its source."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pandas as pd

from lib.i18n import N_, _
from lib.outcomes import OUTCOME_LABELS
from lib.profile import state_text
from lib.status_history import history, tracker_label
from lib.store import Store

LANES: tuple[str, ...] = (N_("Russia status"), N_("Production in Russia"), N_("Kazakhstan presence"),
                          N_("Outcome"), N_("Outreach stage"))
EVENT_COLUMNS = ["date", "lane", "event", "source", "precision"]
_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def event_date(period: Any, fallback: Any = None) -> tuple[date | None, str]:
    """The date a fact's period describes ("2022", "2023-05", "FY2023", "2024-03-01") and how precise it is; the
    fallback (the day it was recorded) when the period names no year."""
    if isinstance(period, str) and (match := _DATE.search(period)):
        year, month, day = match.groups()
        if 1900 <= int(year) <= 2100:
            return (date(int(year), int(month or 1), int(day or 1)),
                    "day" if day else "month" if month else "year")
    if fallback is not None and not pd.isna(fallback):
        return pd.Timestamp(fallback).date(), "recorded"
    return None, "unknown"


def timeline_events(store: Store, company_id: int, include_pipeline: bool = False) -> pd.DataFrame:
    """Every dated event of one company, oldest first (lane, what happened, source). Outreach stages are pipeline
    data: only with `include_pipeline` (colleagues and editors)."""
    events: list[dict[str, Any]] = []
    for row in history(store, company_id).itertuples():
        events.append({"date": row.date, "lane": LANES[0], "precision": "day" if row.status_date else "recorded",
                       "event": f"{_(row.status)} ({tracker_label(row.tracker)})", "source": row.source})
    facts = store.company_facts(company_id)
    for row in facts[facts["fact"].isin(["russia_production", "kazakhstan_presence"])].itertuples():
        when, precision = event_date(row.period, row.recorded_on)
        if when is None:
            continue
        events.append({"date": when, "precision": precision,
                       "lane": LANES[1] if row.fact == "russia_production" else LANES[2],
                       "event": state_text(row.fact, row.state, row.value), "source": row.source})
    for outcome, when_text, source in store.fetch_all(
            "SELECT outcome, outcome_date, source FROM outcomes WHERE company_id = ?", [company_id]):
        when, precision = event_date(when_text)
        if when is not None:
            events.append({"date": when, "precision": precision, "lane": LANES[3],
                           "event": _(OUTCOME_LABELS.get(outcome, outcome)),
                           "source": source})
    if include_pipeline:
        for changed_at, actor, after in store.fetch_all(
                "SELECT changed_at, actor, after FROM audit_log WHERE table_name = 'shortlist' AND record_key = ? "
                "AND action IN ('shortlist_add', 'shortlist_update', 'shortlist_readd') ORDER BY audit_id",
                [str(company_id)]):
            stage = (json.loads(after) if after else {}).get("stage")
            if stage:
                events.append({"date": pd.Timestamp(changed_at).date(), "precision": "day", "lane": LANES[4],
                               "event": _(stage), "source": _("Outreach pipeline, changed by %(actor)s")
                               % {"actor": actor}})
    frame = pd.DataFrame(events, columns=EVENT_COLUMNS)
    frame["lane"] = frame["lane"].map(_)
    return frame.sort_values("date", kind="stable").reset_index(drop=True)
