"""Weighting rounds: an editor opens a round and shares its link, named participants submit, the round closes.

Every write is checked (editors open and close; signed-in colleagues and editors submit) and audited.
"""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from lib.auth import User, require_colleague, require_editor
from lib.group_weights import Submission
from lib.i18n import _
from lib.store import Store


class RoundClosed(ValueError):
    """The round no longer takes submissions."""


def open_round(store: Store, user: User, name: str) -> int:
    """A new open round; returns its id."""
    require_editor(user, _("open a weighting round"))
    name = " ".join(name.split())
    if not 1 <= len(name) <= 120:
        raise ValueError(_("Give the round a name of 1 to 120 characters."))
    with store.transaction(ranking=False) as cur:
        round_id = cur.execute("INSERT INTO weighting_rounds (name, opened_by, opened_at) VALUES (?, ?, ?) "
                               "RETURNING round_id", [name, user.name, datetime.now()]).fetchone()[0]
        store.audit(cur, actor=user.name, action="add", table="weighting_rounds", record_key=str(round_id),
                    after={"name": name})
    return int(round_id)


def close_round(store: Store, user: User, round_id: int) -> None:
    require_editor(user, _("close a weighting round"))
    with store.transaction(ranking=False) as cur:
        cur.execute("UPDATE weighting_rounds SET closed_at = ?, closed_by = ? WHERE round_id = ? AND closed_at IS NULL",
                    [datetime.now(), user.name, round_id])
        store.audit(cur, actor=user.name, action="update", table="weighting_rounds", record_key=str(round_id),
                    after={"closed": True})


def submit(store: Store, user: User, round_id: int, submission: Submission) -> None:
    """Store a participant's weighting (a new submission by the same name replaces the earlier one)."""
    require_colleague(user, _("take part in a weighting round"))
    submission.weight_vector()  # refuses a submission without any weight before anything is written
    with store.transaction(ranking=False) as cur:
        row = cur.execute("SELECT closed_at FROM weighting_rounds WHERE round_id = ?", [round_id]).fetchone()
        if row is None:
            raise RoundClosed(_("There is no weighting round number %(id)d.") % {"id": round_id})
        if row[0] is not None:
            raise RoundClosed(_("This round is closed; ask its editor to open a new one."))
        before = cur.execute("SELECT submission FROM weighting_submissions WHERE round_id = ? AND participant = ?",
                             [round_id, submission.participant]).fetchone()
        cur.execute("DELETE FROM weighting_submissions WHERE round_id = ? AND participant = ?",
                    [round_id, submission.participant])
        cur.execute("INSERT INTO weighting_submissions VALUES (?, ?, ?, ?, ?)",
                    [round_id, submission.participant, user.name, datetime.now(), submission.model_dump_json()])
        store.audit(cur, actor=user.name, action="update" if before else "add", table="weighting_submissions",
                    record_key=f"{round_id}|{submission.participant}",
                    before=json.loads(before[0]) if before else None, after=submission.model_dump(mode="json"))


def rounds(store: Store) -> pd.DataFrame:
    """Every round, newest first, with its number of submissions."""
    return store.fetch_df(
        "SELECT r.round_id, r.name, r.opened_by, r.opened_at, r.closed_at, count(s.participant) AS submissions "
        "FROM weighting_rounds r LEFT JOIN weighting_submissions s USING (round_id) "
        "GROUP BY r.round_id, r.name, r.opened_by, r.opened_at, r.closed_at ORDER BY r.round_id DESC")


def submissions(store: Store, round_id: int) -> list[Submission]:
    """The round's submissions, by participant name."""
    rows = store.fetch_all("SELECT submission FROM weighting_submissions WHERE round_id = ? ORDER BY participant",
                           [round_id])
    return [Submission.model_validate_json(r[0]) for r in rows]


def is_open(store: Store, round_id: int) -> bool:
    row = store.fetch_one("SELECT closed_at IS NULL FROM weighting_rounds WHERE round_id = ?", [round_id])
    return bool(row and row[0])
