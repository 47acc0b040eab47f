"""The shortlist and outreach pipeline: who is on it, at what stage, who owns it, what happens next.

Every write checks the role (`require_editor`), runs in one transaction and is recorded in audit_log.
Edits use optimistic concurrency: each entry carries a `version`; a save names the version it was
based on and is refused with `StaleEntryError` (carrying the latest entry) if someone saved since,
so two officials editing the same company never overwrite each other silently. Removal is a soft
delete (`removed` flag), so a removed company and its notes can be restored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lib.auth import User, require_editor
from lib.export import to_csv_bytes, to_xlsx_bytes
from lib.i18n import N_, _, fmt_date, ngettext
from lib.models import Filters, ScoringSettings
from lib.screening import ScreeningHold, check_shortlistable  # noqa: F401 (ScreeningHold: callers catch it here)
from lib.store import Store

if TYPE_CHECKING:  # only for type hints: lib/store/ is the layer that talks to the database
    from lib.store import Cursor

Stage = Literal["Identified", "Contacted", "Meeting held", "Proposal sent", "Committed", "Declined"]
# The outreach funnel in order; the last two close an entry (no next step can be overdue).
STAGES: tuple[Stage, ...] = ("Identified", "Contacted", "Meeting held", "Proposal sent", "Committed", "Declined")
CLOSED_STAGES: tuple[Stage, ...] = ("Committed", "Declined")

ContactStatus = Literal["Not contacted", "Contact attempted", "In contact", "No response", "Not interested"]
CONTACT_STATUSES: tuple[str, ...] = (  # the values of ContactStatus, marked for translation
    N_("Not contacted"), N_("Contact attempted"), N_("In contact"), N_("No response"), N_("Not interested"),
)
UNASSIGNED = ""  # the owner filter's id for entries nobody owns yet

# Field labels in the users' words: form, history and export headers.
FIELD_LABELS: dict[str, str] = {
    "stage": N_("Stage"),
    "owner": N_("Owner"),
    "next_step": N_("Next step"),
    "due_date": N_("Due date"),
    "contact_status": N_("Contact status"),
    "removed": N_("Removed"),
}
ACTION_LABELS: dict[str, str] = {
    "shortlist_add": N_("Added to the shortlist"),
    "shortlist_readd": N_("Added to the shortlist again"),
    "shortlist_update": N_("Changed"),
    "shortlist_remove": N_("Removed from the shortlist"),
    "shortlist_restore": N_("Restored to the shortlist"),
    "shortlist_note": N_("Note"),
    "shortlist_confidential": N_("Marked confidential"),
    "shortlist_public": N_("Confidential mark removed"),
    "shortlist_reveal": N_("Confidential entries shown"),
    "shortlist_export_confidential": N_("Confidential entries exported"),
}
EDITABLE = ("stage", "owner", "next_step", "due_date", "contact_status")  # the only columns update_entry writes


# -- models at the boundary ---------------------------------------------------------------------
class ScenarioSnapshot(BaseModel):
    """The view (weights, method, missing-data policy, filters) that produced a score."""

    settings: ScoringSettings = Field(default_factory=ScoringSettings)
    filters: Filters = Field(default_factory=Filters)


class ShortlistCandidate(BaseModel):
    """A ranked row to put on the shortlist, with its score and rank at that moment."""

    model_config = ConfigDict(extra="ignore")

    company_id: int = Field(gt=0)
    score: float | None = None
    rank: int | None = Field(default=None, ge=1)


class EntryChanges(BaseModel):
    """An edit of one entry: only the fields that were set are written (None clears a field)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    stage: Stage | None = None
    owner: str | None = Field(default=None, max_length=120)
    next_step: str | None = Field(default=None, max_length=500)
    due_date: date | None = None
    contact_status: ContactStatus | None = None

    @field_validator("owner", "next_step", mode="after")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _stage_required(self) -> EntryChanges:
        if "stage" in self.model_fields_set and self.stage is None:
            raise ValueError("stage cannot be empty")
        return self

    def as_dict(self) -> dict[str, Any]:
        """The fields that were set, in column order."""
        return {k: getattr(self, k) for k in EDITABLE if k in self.model_fields_set}


class ShortlistEntry(BaseModel):
    """One row of the shortlist as stored."""

    company_id: int
    stage: Stage
    owner: str | None = None
    next_step: str | None = None
    due_date: date | None = None
    contact_status: ContactStatus | None = None
    score_at_add: float | None = None
    rank_at_add: int | None = None
    scenario_at_add: ScenarioSnapshot | None = None
    added_by: str
    added_at: datetime
    updated_at: datetime
    version: int
    removed: bool = False
    removed_at: datetime | None = None
    removed_by: str | None = None
    confidential: bool = False  # shown to editors only: the company asked not to be named while talks run

    @field_validator("confidential", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        return bool(value) if value is not None else False

    @field_validator("scenario_at_add", mode="before")
    @classmethod
    def _parse_json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def editable(self) -> dict[str, Any]:
        """The fields an officer edits, as a dict."""
        return {k: getattr(self, k) for k in EDITABLE}


class NoteText(BaseModel):
    """A note's text: not blank, not a novel."""

    text: str = Field(min_length=1, max_length=4000)

    @field_validator("text", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value


class AddResult(BaseModel):
    """What add_to_shortlist did with each company id."""

    added: list[int] = Field(default_factory=list)
    restored: list[int] = Field(default_factory=list)  # had been removed; back on the list
    already: list[int] = Field(default_factory=list)  # already on the list; left unchanged

    def summary(self) -> str:
        """One sentence for the user, e.g. '2 companies added to the shortlist; 1 was already on it.'"""
        parts = []
        if self.added:
            parts.append(ngettext("%(n)d company added to the shortlist", "%(n)d companies added to the shortlist",
                                  len(self.added)) % {"n": len(self.added)})
        if self.restored:
            parts.append(ngettext("%(n)d removed company put back", "%(n)d removed companies put back",
                                  len(self.restored)) % {"n": len(self.restored)})
        if self.already:
            parts.append(ngettext("%(n)d was already on it", "%(n)d were already on it",
                                  len(self.already)) % {"n": len(self.already)})
        return "; ".join(parts) + "." if parts else _("Nothing was selected.")


# -- errors ----------------------------------------------------------------------------------------
class EntryNotFound(LookupError):
    """The company is not on the shortlist (or was removed)."""

    def __init__(self, company_id: int) -> None:
        super().__init__(company_id)
        self.company_id = company_id

    def __str__(self) -> str:
        return _("Company %(id)d is not on the shortlist (it may have been removed).") % {"id": self.company_id}


class StaleEntryError(RuntimeError):
    """A save based on an old version: someone else saved in between. Carries the latest entry."""

    def __init__(self, expected_version: int, latest: ShortlistEntry, changed_by: str | None) -> None:
        super().__init__(expected_version, latest.version)
        self.expected_version = expected_version
        self.latest = latest
        self.changed_by = changed_by

    def __str__(self) -> str:
        # Built when shown, so the message is in the reader's language.
        return _("Not saved: %(who)s changed this entry at %(when)s while you were editing it (you edited "
                 "version %(yours)d, the latest is version %(latest)d). The latest version is shown; apply "
                 "your changes to it and save again.") % {
            "who": self.changed_by or _("someone"),
            "when": fmt_date(self.latest.updated_at.date()) + self.latest.updated_at.strftime(" %H:%M:%S"),
            "yours": self.expected_version, "latest": self.latest.version}


# -- reading -------------------------------------------------------------------------------------
def _entry(cur: Cursor, company_id: int) -> ShortlistEntry | None:
    cur.execute("SELECT * FROM shortlist WHERE company_id = ?", [company_id])
    return _one(cur)


def _one(cur: Cursor) -> ShortlistEntry | None:
    row = cur.fetchone()
    if row is None:
        return None
    return ShortlistEntry.model_validate(dict(zip([d[0] for d in cur.description], row, strict=True)))


def _last_actor(cur: Cursor, company_id: int) -> str | None:
    row = cur.execute("SELECT actor FROM audit_log WHERE table_name = 'shortlist' AND record_key = ? "
                      "ORDER BY audit_id DESC LIMIT 1", [str(company_id)]).fetchone()
    return row[0] if row else None


def get_entry(store: Store, company_id: int) -> ShortlistEntry | None:
    """The entry for a company, removed or not; None if it was never shortlisted."""
    with store.cursor() as cur:
        return _entry(cur, company_id)


def shortlisted_stages(store: Store, include_confidential: bool = False) -> dict[int, str]:
    """company_id -> stage for every company on the shortlist (not removed): cheap, for the rank table.

    Confidential entries only with `include_confidential` (editors): to everyone else they are not shortlisted.
    """
    return {int(cid): stage for cid, stage in store.fetch_all(
        "SELECT company_id, stage FROM shortlist WHERE NOT removed AND (? OR NOT coalesce(confidential, FALSE))",
        [include_confidential])}


def confidential_ids(store: Store) -> set[int]:
    """Companies whose shortlist entry is confidential."""
    return {int(r[0]) for r in store.fetch_all("SELECT company_id FROM shortlist WHERE coalesce(confidential, FALSE)")}


def set_confidential(store: Store, user: User, company_id: int, confidential: bool) -> ShortlistEntry:
    """Mark an entry confidential (editors only see it) or public again, audited."""
    require_editor(user, _("mark shortlist entries confidential"))
    with store.transaction(ranking=False) as cur:
        before = _entry(cur, company_id)
        if before is None:
            raise EntryNotFound(company_id)
        cur.execute("UPDATE shortlist SET confidential = ? WHERE company_id = ?", [confidential, company_id])
        store.audit(cur, actor=user.name, action="shortlist_confidential" if confidential else "shortlist_public",
                    table="shortlist", record_key=str(company_id), before={"confidential": before.confidential},
                    after={"confidential": confidential})
        return _entry(cur, company_id)


def record_confidential_access(store: Store, user: User, company_ids: Iterable[int], export: str | None) -> None:
    """Audit an editor's reveal (export None) or export (its file name) of confidential entries."""
    ids = sorted(set(company_ids) & confidential_ids(store))
    if not ids:
        return
    with store.transaction(ranking=False) as cur:
        store.audit(cur, actor=user.name, action="shortlist_export_confidential" if export else "shortlist_reveal",
                    table="shortlist", record_key=",".join(map(str, ids)), after={"companies": ids},
                    source_file=export)


def shortlist_frame(store: Store, include_removed: bool = False, today: date | None = None,
                    include_confidential: bool = True) -> pd.DataFrame:
    """The shortlist joined with company facts, note counts and an `overdue` flag, in pipeline order."""
    frame = store.fetch_df(
        "SELECT s.company_id, c.name, c.hq_country, c.sector_code, sec.name AS sector_name, c.status, "
        "s.stage, s.owner, s.next_step, s.due_date, s.contact_status, s.score_at_add, s.rank_at_add, "
        "s.added_by, s.added_at, s.updated_at, s.version, s.removed, s.removed_at, s.removed_by, "
        "coalesce(s.confidential, FALSE) AS confidential, coalesce(n.notes, 0) AS notes, t.last_note "
        "FROM shortlist s JOIN companies c USING (company_id) LEFT JOIN sectors sec ON sec.sector_code = c.sector_code "
        "LEFT JOIN (SELECT company_id, count(*) AS notes, max(note_id) AS last_id FROM shortlist_notes "
        "           GROUP BY company_id) n USING (company_id) "
        "LEFT JOIN (SELECT note_id AS last_id, text AS last_note FROM shortlist_notes) t USING (last_id) "
        "WHERE (? OR NOT s.removed) AND (? OR NOT coalesce(s.confidential, FALSE))",
        [include_removed, include_confidential])
    frame["due_date"] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame["due_date"]]
    frame["notes"] = frame["notes"].astype(int)
    frame["overdue"] = overdue_mask(frame, today or date.today())
    order = {s: i for i, s in enumerate(STAGES)}
    frame["_stage"] = frame["stage"].map(order)
    frame["_name"] = frame["name"].str.casefold()
    return (frame.sort_values(["_stage", "due_date", "_name"], na_position="last")
            .drop(columns=["_stage", "_name"]).reset_index(drop=True))


def overdue_mask(frame: pd.DataFrame, today: date) -> pd.Series:
    """True where an open entry's next step was due before today."""
    due = frame["due_date"].map(lambda d: d is not None and not pd.isna(d) and d < today)
    return (due & ~frame["stage"].isin(CLOSED_STAGES)).astype(bool)


def filter_frame(frame: pd.DataFrame, stages: Sequence[str] = (), owners: Sequence[str] = ()) -> pd.DataFrame:
    """Rows in the given stages and owned by the given owners (UNASSIGNED = nobody); empty = all."""
    mask = pd.Series(True, index=frame.index)
    if stages:
        mask &= frame["stage"].isin(list(stages))
    if owners:
        mask &= frame["owner"].fillna(UNASSIGNED).isin(list(owners))
    return frame[mask]


def owners(frame: pd.DataFrame) -> list[str]:
    """Distinct owners, alphabetically, with UNASSIGNED first when some entry has no owner."""
    named = sorted(frame["owner"].dropna().unique(), key=str.casefold)
    return ([UNASSIGNED] if frame["owner"].isna().any() else []) + named


def notes_frame(store: Store, company_id: int) -> pd.DataFrame:
    """A company's notes, newest first: created_at, author, text."""
    return store.fetch_df("SELECT created_at, author, text FROM shortlist_notes WHERE company_id = ? "
                          "ORDER BY note_id DESC", [company_id])


def history_frame(store: Store, company_id: int) -> pd.DataFrame:
    """Every recorded change and note of a shortlist entry, newest first: changed_at, actor, action, details."""
    frame = store.fetch_df(
        "SELECT changed_at, actor, action, before, after FROM audit_log "
        "WHERE table_name IN ('shortlist', 'shortlist_notes') AND record_key = ? ORDER BY audit_id DESC",
        [str(company_id)])
    details = [_describe(a, b, c) for a, b, c in zip(frame["action"], frame["before"], frame["after"], strict=True)]
    return frame.assign(action=[_(ACTION_LABELS.get(a, a)) for a in frame["action"]], details=details)[
        ["changed_at", "actor", "action", "details"]]


def _describe(action: str, before: str | None, after: str | None) -> str:
    """One line saying what changed, e.g. 'Stage: Identified → Contacted'."""
    old = json.loads(before) if isinstance(before, str) else {}  # NULL arrives as NaN
    new = json.loads(after) if isinstance(after, str) else {}
    if action == "shortlist_note":
        return str(new.get("text", ""))
    if action in ("shortlist_add", "shortlist_readd"):
        rank, score = new.get("rank_at_add"), new.get("score_at_add")
        return _("rank %(rank)s, score %(score)s") % {"rank": rank if rank is not None else "—",
                                                     "score": f"{score:.3f}" if score is not None else "—"}
    parts = []
    for field, label in FIELD_LABELS.items():
        if field in new and field != "removed":
            parts.append(f"{_(label)}: {_show(old.get(field))} → {_show(new.get(field))}")
    return "; ".join(parts)


def compare_frame(latest: ShortlistEntry, attempted: dict[str, Any]) -> pd.DataFrame:
    """Field by field: the latest saved value next to the value a refused save tried to write."""
    yours = EntryChanges.model_validate(attempted).as_dict() if attempted else {}
    rows = [{"field": _(FIELD_LABELS[f]), "latest": _show(getattr(latest, f)), "yours": _show(yours.get(f))}
            for f in EDITABLE]
    return pd.DataFrame(rows).rename(columns={"field": _("Field"), "latest": _("Latest saved version"),
                                              "yours": _("Your unsaved change")})


def _show(value: Any) -> str:
    if value is None or value == "":
        return "—"
    # Stages and contact statuses are stored in English and shown translated.
    return _(value) if value in STAGES or value in CONTACT_STATUSES else str(value)


# -- writing -------------------------------------------------------------------------------------
def add_to_shortlist(store: Store, user: User, entries: Iterable[ShortlistCandidate | dict[str, Any]],
                     view: tuple[ScoringSettings, Filters] | ScenarioSnapshot) -> AddResult:
    """Put ranked companies on the shortlist with their score, rank and the view that produced them."""
    require_editor(user, _("add companies to the shortlist"))
    candidates = [ShortlistCandidate.model_validate(e) for e in entries]
    snapshot = view if isinstance(view, ScenarioSnapshot) else ScenarioSnapshot(settings=view[0], filters=view[1])
    scenario = snapshot.model_dump_json()
    result = AddResult()
    now = datetime.now()
    with store.transaction(ranking=False) as cur:
        ids = list(dict.fromkeys(c.company_id for c in candidates))
        marks = ", ".join("?" for _i in ids)
        known = {r[0] for r in cur.execute(f"SELECT company_id FROM companies WHERE company_id IN ({marks})",
                                           ids).fetchall()}
        if unknown := [i for i in ids if i not in known]:
            raise ValueError(_("Unknown company id(s): %(ids)s") % {"ids": ", ".join(map(str, unknown))})
        # Screening before the call: a possible sanctions match must be reviewed by an editor first.
        on_list = {r[0] for r in cur.execute(f"SELECT company_id FROM shortlist WHERE company_id IN ({marks}) "
                                             "AND NOT removed", ids).fetchall()}
        check_shortlistable(store, [i for i in ids if i not in on_list])
        seen: set[int] = set()
        for cand in candidates:
            if cand.company_id in seen:
                continue
            seen.add(cand.company_id)
            before = _entry(cur, cand.company_id)
            snap = {"score_at_add": cand.score, "rank_at_add": cand.rank, "scenario_at_add": snapshot.model_dump()}
            if before is None:
                # Another app process may add the same company at the same moment: then it is already there.
                inserted = cur.execute(
                    "INSERT INTO shortlist (company_id, stage, contact_status, score_at_add, rank_at_add, "
                    "scenario_at_add, added_by, added_at, updated_at, version, removed) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, FALSE) ON CONFLICT (company_id) DO NOTHING "
                    "RETURNING company_id",
                    [cand.company_id, STAGES[0], CONTACT_STATUSES[0], cand.score, cand.rank, scenario,
                     user.name, now, now]).fetchone()
                if inserted is None:
                    result.already.append(cand.company_id)
                    continue
                store.audit(cur, actor=user.name, action="shortlist_add", table="shortlist",
                            record_key=str(cand.company_id), after={"stage": STAGES[0], **snap})
                result.added.append(cand.company_id)
            elif before.removed:
                # Back on the list with its old stage, owner and notes; the score is the new one.
                cur.execute(
                    "UPDATE shortlist SET removed = FALSE, removed_at = NULL, removed_by = NULL, score_at_add = ?, "
                    "rank_at_add = ?, scenario_at_add = ?, added_by = ?, added_at = ?, updated_at = ?, "
                    "version = version + 1 WHERE company_id = ?",
                    [cand.score, cand.rank, scenario, user.name, now, now, cand.company_id])
                store.audit(cur, actor=user.name, action="shortlist_readd", table="shortlist",
                            record_key=str(cand.company_id),
                            before={"removed": True, "score_at_add": before.score_at_add,
                                    "rank_at_add": before.rank_at_add},
                            after={"removed": False, **snap})
                result.restored.append(cand.company_id)
            else:
                result.already.append(cand.company_id)
    return result


def update_entry(store: Store, user: User, company_id: int, changes: EntryChanges | dict[str, Any],
                 expected_version: int) -> ShortlistEntry:
    """Save an edit based on `expected_version`; refuse it with StaleEntryError if someone saved since."""
    require_editor(user, _("edit the shortlist"))
    changes = EntryChanges.model_validate(changes) if isinstance(changes, dict) else changes
    with store.transaction(ranking=False) as cur:
        before = _entry(cur, company_id)
        if before is None or before.removed:
            raise EntryNotFound(company_id)
        if before.version != expected_version:
            raise StaleEntryError(expected_version, before, _last_actor(cur, company_id))
        new = {k: v for k, v in changes.as_dict().items() if getattr(before, k) != v}
        if not new:
            return before  # nothing changed: no new version, nothing to audit
        assignments = ", ".join(f"{column} = ?" for column in new)  # column names from EDITABLE only
        # The version condition makes the write safe even without the in-process lock (another backend).
        cur.execute(f"UPDATE shortlist SET {assignments}, updated_at = ?, version = version + 1 "
                    "WHERE company_id = ? AND version = ? RETURNING *",
                    [*new.values(), datetime.now(), company_id, expected_version])
        after = _one(cur)
        if after is None:
            raise StaleEntryError(expected_version, _entry(cur, company_id) or before, _last_actor(cur, company_id))
        store.audit(cur, actor=user.name, action="shortlist_update", table="shortlist", record_key=str(company_id),
                    before={k: getattr(before, k) for k in new}, after=new)
    return after


def remove_entry(store: Store, user: User, company_id: int, expected_version: int | None = None) -> ShortlistEntry:
    """Take a company off the shortlist (restorable); its notes and history are kept."""
    require_editor(user, _("remove companies from the shortlist"))
    return _set_removed(store, user, company_id, True, expected_version)


def restore_entry(store: Store, user: User, company_id: int) -> ShortlistEntry:
    """Put a removed company back on the shortlist with its stage, owner and notes."""
    require_editor(user, _("restore companies to the shortlist"))
    return _set_removed(store, user, company_id, False, None)


def _set_removed(store: Store, user: User, company_id: int, removed: bool,
                 expected_version: int | None) -> ShortlistEntry:
    with store.transaction(ranking=False) as cur:
        before = _entry(cur, company_id)
        if before is None or (removed and before.removed):
            raise EntryNotFound(company_id)
        if not removed and not before.removed:
            return before  # restoring an entry that is on the list already: nothing to do
        if expected_version is not None and before.version != expected_version:
            raise StaleEntryError(expected_version, before, _last_actor(cur, company_id))
        now = datetime.now()
        cur.execute("UPDATE shortlist SET removed = ?, removed_at = ?, removed_by = ?, updated_at = ?, "
                    "version = version + 1 WHERE company_id = ? RETURNING *",
                    [removed, now if removed else None, user.name if removed else None, now, company_id])
        after = _one(cur)
        store.audit(cur, actor=user.name, action="shortlist_remove" if removed else "shortlist_restore",
                    table="shortlist", record_key=str(company_id), before={"removed": before.removed},
                    after={"removed": removed})
    return after


def add_note(store: Store, user: User, company_id: int, text: str) -> int:
    """Append a note to an entry's history (notes are never edited, so they cannot conflict); returns its id."""
    require_editor(user, _("add notes to the shortlist"))
    note = NoteText(text=text)
    with store.transaction(ranking=False) as cur:
        entry = _entry(cur, company_id)
        if entry is None or entry.removed:
            raise EntryNotFound(company_id)
        note_id = cur.execute("INSERT INTO shortlist_notes (company_id, author, created_at, text) "
                              "VALUES (?, ?, ?, ?) RETURNING note_id",
                              [company_id, user.name, datetime.now(), note.text]).fetchone()[0]
        store.audit(cur, actor=user.name, action="shortlist_note", table="shortlist_notes",
                    record_key=str(company_id), after={"note_id": note_id, "text": note.text})
    return int(note_id)


# -- exports ---------------------------------------------------------------------------------------
EXPORT_COLUMNS: dict[str, str] = {
    "name": N_("Company"), "hq_country": N_("HQ country"), "sector_name": N_("Sector"), "status": N_("Russia status"),
    "stage": N_("Stage"), "contact_status": N_("Contact status"), "owner": N_("Owner"), "next_step": N_("Next step"),
    "due_date": N_("Due date"), "overdue": N_("Overdue"), "score_at_add": N_("Score when shortlisted"),
    "rank_at_add": N_("Rank when shortlisted"), "added_by": N_("Added by"), "added_at": N_("Added on"),
    "notes": N_("Notes"), "last_note": N_("Latest note"),
}


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The shortlist as officials read it: translated headers and values, one row per company."""
    out = frame[list(EXPORT_COLUMNS)].copy()
    for column in ("sector_name", "status", "stage", "contact_status"):
        out[column] = out[column].map(lambda v: _(v) if isinstance(v, str) else v)
    out["overdue"] = out["overdue"].map(lambda v: _("yes") if v else "")
    out["added_at"] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in out["added_at"]]
    out["score_at_add"] = out["score_at_add"].round(3)
    return out.rename(columns={k: _(v) for k, v in EXPORT_COLUMNS.items()})


def shortlist_xlsx(frame: pd.DataFrame) -> bytes:
    """One formatted sheet with exactly the rows given; text that looks like a formula stays text."""
    return to_xlsx_bytes({_("Shortlist"): export_frame(frame)})


def shortlist_csv(frame: pd.DataFrame) -> bytes:
    return to_csv_bytes(export_frame(frame))
