"""The profile's timeline: statuses, production, presence, outcomes and outreach on one axis, each with its source."""

from __future__ import annotations

from datetime import date

import pytest

from lib.auth import User
from lib.charts import timeline_chart
from lib.models import Filters, ScoringSettings
from lib.shortlist import add_to_shortlist, get_entry, update_entry
from lib.timeline import event_date, timeline_events

EDITOR = User(name="Aigerim", role="editor")


@pytest.mark.parametrize(("period", "fallback", "expected"), [
    ("2022", None, (date(2022, 1, 1), "year")),
    ("2023-05", None, (date(2023, 5, 1), "month")),
    ("2024-03-07", None, (date(2024, 3, 7), "day")),
    ("FY2023", None, (date(2023, 1, 1), "year")),
    ("since March 2022", None, (date(2022, 1, 1), "year")),
    ("unknown", date(2026, 11, 25), (date(2026, 11, 25), "recorded")),
    (None, None, (None, "unknown")),
    ("0042", None, (None, "unknown")),
])
def test_event_dates_come_from_the_period_or_the_day_recorded(period, fallback, expected):
    assert event_date(period, fallback) == expected


def company_with_facts(store) -> int:
    """A company with a production or presence fact and an outcome (the seed has several)."""
    return int(store.fetch_one(
        "SELECT f.company_id FROM company_facts f JOIN outcomes o USING (company_id) "
        "WHERE f.fact IN ('russia_production', 'kazakhstan_presence') ORDER BY 1 LIMIT 1")[0])


def test_timeline_puts_every_kind_on_one_axis_with_sources_and_hides_outreach_from_the_public(store):
    cid = company_with_facts(store)
    add_to_shortlist(store, EDITOR, [{"company_id": cid, "score": 0.5, "rank": 3}], (ScoringSettings(), Filters()))
    update_entry(store, EDITOR, cid, {"stage": "Contacted"}, get_entry(store, cid).version)
    inside = timeline_events(store, cid, include_pipeline=True)
    assert {"Russia status", "Outcome", "Outreach stage"} <= set(inside["lane"])
    assert {"Production in Russia", "Kazakhstan presence"} & set(inside["lane"])
    assert inside["source"].map(lambda s: isinstance(s, str) and len(s) > 0).all()
    assert list(inside["date"]) == sorted(inside["date"])
    outreach = inside[inside["lane"] == "Outreach stage"]
    assert list(outreach["event"]) == ["Identified", "Contacted"]
    assert outreach["source"].str.contains("Aigerim").all()
    public = timeline_events(store, cid, include_pipeline=False)
    assert "Outreach stage" not in set(public["lane"]) and len(public) == len(inside) - 2

    spec = timeline_chart(inside).to_dict()
    assert spec["mark"]["type"] == "point"
    assert spec["encoding"]["x"]["field"] == "date" and spec["encoding"]["x"]["type"] == "temporal"
    assert [t["field"] for t in spec["encoding"]["tooltip"]] == ["date", "lane", "event", "source"]
    assert spec["encoding"]["y"]["sort"] == list(dict.fromkeys(inside["lane"]))
    rows = next(iter(spec["datasets"].values()))
    assert len(rows) == len(inside) and all(r["source"] for r in rows)
