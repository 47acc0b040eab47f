"""Russia status history: every tracker's status as a dated observation, and the current status derived from them.

A status observation says which tracker (Yale CELI, KSE Institute, or the agency's own research) gave which status,
for which date (the tracker's own date, else the day its list was current) and when it was recorded here, with its
source. Imports append observations and never overwrite one. The current status (companies.status, which the
scoring reads) is derived by CURRENT_STATUS_RULE and refreshed in the same transaction as every append.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from lib.i18n import N_, _
from lib.store import CURRENT_STATUS_SQL, TRACKER_PRECEDENCE, Cursor, Store, to_json

Tracker = Literal["yale", "kse", "research"]
TRACKER_LABELS: dict[str, str] = {"yale": "Yale CELI", "kse": "KSE Institute", "research": N_("Own research")}
CURRENT_STATUS_RULE = N_(
    "The current status is the observation with the latest date it describes (the tracker's own date, else the day "
    "its list was current); on the same date the agency's own research comes before KSE Institute, and KSE "
    "Institute before Yale CELI.")
OBSERVATION_COLUMNS = ["company_id", "tracker", "status", "tracker_grade", "status_date", "recorded_on", "source",
                       "source_file"]
assert set(TRACKER_PRECEDENCE) == set(TRACKER_LABELS)
# The companies asked about, as one list parameter (both backends read it): an import touches up to 100,000, more
# than PostgreSQL takes as separate parameters (65,535) and slow to plan as a list of literals.
IDS_IN = "c.company_id IN (SELECT unnest(CAST(? AS INTEGER[])))"


def tracker_of_grade(tracker_grade: Any) -> Tracker:
    """Which tracker a status label came from ("Yale CELI grade B", "KSE Institute status: transfer")."""
    text = "" if tracker_grade is None or (isinstance(tracker_grade, float) and pd.isna(tracker_grade)) \
        else str(tracker_grade)
    return "yale" if text.startswith("Yale") else "kse" if text.startswith("KSE") else "research"


def tracker_label(tracker: str) -> str:
    return _(TRACKER_LABELS.get(tracker, tracker))


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("status_date", "recorded_on", "date"):
        if column in frame:
            frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]]
    return frame


def history(store: Store, company_id: int) -> pd.DataFrame:
    """One company's status observations in time order (the date they describe), the current one marked."""
    frame = store.fetch_df(
        "SELECT o.observation_id, o.company_id, c.name AS company, coalesce(o.status_date, o.recorded_on) AS date, "
        "o.tracker, o.status, o.tracker_grade, o.status_date, o.recorded_on, o.source, o.source_file "
        "FROM status_observations o JOIN companies c USING (company_id) WHERE o.company_id = ? "
        "ORDER BY coalesce(o.status_date, o.recorded_on), o.observation_id", [company_id])
    current = store.fetch_one(f"SELECT observation_id FROM ({CURRENT_STATUS_SQL}) cur WHERE company_id = ?",
                              [company_id])
    frame["current"] = frame["observation_id"] == (current[0] if current else -1)
    return _dates(frame)


_LATEST_BY_TRACKER = (
    "SELECT company_id, tracker, status, tracker_grade, status_date, recorded_on, source FROM ("
    "  SELECT o.*, row_number() OVER (PARTITION BY company_id, tracker "
    "    ORDER BY coalesce(status_date, recorded_on) DESC, observation_id DESC) AS pick "
    "  FROM status_observations o {where}) ranked WHERE pick = 1")


def latest_by_tracker(store: Store, company_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """Each tracker's newest observation per company: what each tracker says now."""
    ids = None if company_ids is None else sorted({int(i) for i in company_ids})
    where = "" if ids is None else f"WHERE company_id IN ({', '.join('?' for _i in ids) or 'NULL'})"
    frame = store.fetch_df(_LATEST_BY_TRACKER.format(where=where) + " ORDER BY company_id, tracker", ids or [])
    return _dates(frame)


def disagreeing_ids(store: Store) -> set[int]:
    """The companies whose trackers, each at its latest word, give different statuses (one query: the Rank page)."""
    return {int(r[0]) for r in store.fetch_all(
        f"SELECT company_id FROM ({_LATEST_BY_TRACKER.format(where='')}) latest GROUP BY company_id "
        "HAVING count(DISTINCT status) > 1")}


def disagreements(store: Store, company_ids: Iterable[int] | None = None,
                  fmt_date: Callable[[date], str] = date.isoformat) -> dict[int, str]:
    """company_id -> "Yale CELI: Suspension (2025-05-21); KSE Institute: Withdrawal (2026-08-24)" for every company
    whose trackers, each at its latest word, give different statuses; newest first, dates written by `fmt_date`."""
    latest = latest_by_tracker(store, company_ids)
    out: dict[int, str] = {}
    latest["when"] = [d or r for d, r in zip(latest["status_date"], latest["recorded_on"], strict=True)]
    for company_id, group in latest.sort_values("when", ascending=False, kind="stable").groupby("company_id"):
        if group["status"].nunique() > 1:  # newest first
            out[int(company_id)] = "; ".join(
                f"{tracker_label(r.tracker)}: {_(r.status)} ({fmt_date(r.when)})"
                for r in group.itertuples())
    return out


@dataclass(frozen=True)
class StatusChange:
    """A company's current status before and after observations were appended."""

    company_id: int
    name: str
    before: str | None
    after: str
    status_date: date | None
    tracker: str
    source: str


def refresh_current(store: Store, cur: Cursor, company_ids: Iterable[int], actor: str,
                    source_file: str | None = None) -> list[StatusChange]:
    """Re-derive the current status of these companies inside the caller's transaction; write and audit the ones
    that changed, and return them (for alerts)."""
    ids = sorted({int(i) for i in company_ids})
    if not ids:
        return []
    rows = cur.execute(
        f"SELECT c.company_id, c.name, c.status, c.tracker_grade, c.status_date, cur.status, cur.tracker_grade, "
        f"cur.status_date, cur.tracker, o.source FROM companies c JOIN ({CURRENT_STATUS_SQL}) cur USING (company_id) "
        f"JOIN status_observations o ON o.observation_id = cur.observation_id WHERE {IDS_IN}", [ids]).fetchall()
    changes, updates = [], []
    for company_id, name, old, old_grade, old_date, new, new_grade, new_date, tracker, source in rows:
        old_date = None if old_date is None else pd.Timestamp(old_date).date()
        new_date = None if new_date is None else pd.Timestamp(new_date).date()
        if (old, old_grade, old_date) == (new, new_grade, new_date):
            continue
        updates.append({"company_id": int(company_id), "status": new, "tracker_grade": new_grade,
                        "status_date": new_date, "name": name, "before": {
                            "status": old, "tracker_grade": old_grade, "status_date": old_date, "name": name}})
        if old != new:
            changes.append(StatusChange(int(company_id), name, old, new, new_date, tracker, source))
    if updates:  # one write for all of them, and an audit row each
        columns = ["status", "tracker_grade", "status_date"]
        table = pa.table({"company_id": pa.array([u["company_id"] for u in updates], pa.int32()),
                          "status": pa.array([u["status"] for u in updates], pa.string()),
                          "tracker_grade": pa.array([u["tracker_grade"] for u in updates], pa.string()),
                          "status_date": pa.array([u["status_date"] for u in updates], pa.date32()),
                          **{f"set_{c}": pa.array([True] * len(updates), pa.bool_()) for c in columns}})
        store.update_rows(cur, "companies", "company_id", table, columns)
        now = datetime.now()
        log = [{"changed_at": now, "actor": actor, "action": "status_current", "table_name": "companies",
                "record_key": str(u["company_id"]), "before": to_json(u["before"]),
                "after": to_json({c: u[c] for c in (*columns, "name")}), "source_file": source_file}
               for u in updates]
        store.insert_rows(cur, "audit_log", pa.table(
            {c: pa.array([r[c] for r in log], pa.timestamp("us") if c == "changed_at" else pa.string())
             for c in log[0]}))
    return changes


def current_statuses(cur: Cursor, company_ids: Iterable[int]) -> dict[int, StatusChange]:
    """Each company's current status as stored, with the tracker, date and source of the observation behind it
    (read inside the caller's transaction; `before` is left empty)."""
    ids = sorted({int(i) for i in company_ids})
    if not ids:
        return {}
    rows = cur.execute(
        f"SELECT c.company_id, c.name, c.status, c.status_date, cur.tracker, o.source FROM companies c "
        f"LEFT JOIN ({CURRENT_STATUS_SQL}) cur USING (company_id) "
        f"LEFT JOIN status_observations o ON o.observation_id = cur.observation_id "
        f"WHERE {IDS_IN}", [ids]).fetchall()
    return {int(r[0]): StatusChange(int(r[0]), r[1], None, r[2], None if r[3] is None else pd.Timestamp(r[3]).date(),
                                    r[4] or "research", r[5] or "") for r in rows}


def status_changes(before: dict[int, StatusChange], after: dict[int, StatusChange]) -> list[StatusChange]:
    """The companies whose current status differs between two `current_statuses` readings."""
    return [StatusChange(cid, now.name, before[cid].after, now.after, now.status_date, now.tracker, now.source)
            for cid, now in sorted(after.items()) if cid in before and before[cid].after != now.after]


def status_summary(change: StatusChange) -> str:
    """"Russia status: Suspension → Withdrawal (KSE Institute, 2026-08-24)" for an alert. Stored in English, like the
    audit log, whatever the language of the session that made the change (a digest is read later, by others)."""
    when = f", {change.status_date.isoformat()}" if change.status_date else ""
    return (f"Russia status: {change.before or '—'} → {change.after} "
            f"({TRACKER_LABELS.get(change.tracker, change.tracker)}{when})")
