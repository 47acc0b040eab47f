"""The shortlist: adding with the view that produced the score, audited edits, optimistic concurrency,
soft removal, notes, filters, overdue flags, exports and the pipeline charts."""

from __future__ import annotations

import io
import json
import threading
from datetime import date, timedelta
from typing import get_args

import openpyxl
import pandas as pd
import pytest
from pydantic import ValidationError

from lib import shortlist as sl
from lib.auth import PermissionDenied, User
from lib.charts import pipeline_sector_chart, pipeline_stage_chart
from lib.models import Filters, ScoringSettings

ANN = User(name="Ann", role="editor")
BOB = User(name="Bob", role="editor")
VIEWER = User(name="Vera", role="viewer")
VIEW = (ScoringSettings(method="topsis", weights={"company_scale": 80, "exit_firmness": 5},
                        missing={"company_scale": "exclude"}),
        Filters(sectors=["IND"], statuses=["Withdrawal"], min_revenue_usd_m=100))


def ids(store, n: int = 3) -> list[int]:
    return [r[0] for r in store.fetch_all("SELECT company_id FROM companies ORDER BY company_id LIMIT ?", [n])]


def audit_rows(store, action: str) -> list[tuple]:
    return store.fetch_all("SELECT actor, record_key, before, after FROM audit_log WHERE action = ? "
                           "ORDER BY audit_id", [action])


@pytest.fixture
def listed(store):
    """Three companies on the shortlist; returns their ids."""
    first = ids(store)
    sl.add_to_shortlist(store, ANN, [{"company_id": c, "score": 0.9 - i / 10, "rank": i + 1}
                                     for i, c in enumerate(first)], VIEW)
    return first


def test_add_records_score_rank_and_the_view_that_produced_them(store):
    company = ids(store, 1)[0]
    result = sl.add_to_shortlist(store, ANN, [sl.ShortlistCandidate(company_id=company, score=0.73, rank=4)], VIEW)
    assert result.added == [company] and not result.already
    entry = sl.get_entry(store, company)
    assert (entry.stage, entry.version, entry.score_at_add, entry.rank_at_add) == ("Identified", 1, 0.73, 4)
    assert entry.added_by == "Ann" and not entry.removed
    # The stored scenario reproduces the view exactly: weights, method, missing policy, filters.
    assert entry.scenario_at_add.settings == VIEW[0]
    assert entry.scenario_at_add.filters == VIEW[1]
    [(actor, key, _before, after)] = audit_rows(store, "shortlist_add")
    assert (actor, key) == ("Ann", str(company))
    assert json.loads(after)["rank_at_add"] == 4


def test_adding_again_leaves_entries_alone_and_re_adding_a_removed_one_restores_it(store, listed):
    sl.update_entry(store, ANN, listed[0], {"owner": "Ann"}, 1)
    sl.remove_entry(store, ANN, listed[1])
    result = sl.add_to_shortlist(store, BOB, [{"company_id": c, "score": 0.1, "rank": 99} for c in listed], VIEW)
    assert result.already == [listed[0], listed[2]] and result.restored == [listed[1]] and not result.added
    assert sl.get_entry(store, listed[0]).owner == "Ann"  # untouched
    back = sl.get_entry(store, listed[1])
    assert not back.removed and back.rank_at_add == 99 and back.added_by == "Bob"
    assert "1 was already" not in result.summary() and "2 were already on it" in result.summary()


def test_an_unknown_company_rolls_back_the_whole_add(store):
    before = store.table_checksums()
    with pytest.raises(ValueError, match="999999"):
        sl.add_to_shortlist(store, ANN, [{"company_id": ids(store, 1)[0]}, {"company_id": 999999}], VIEW)
    assert store.table_checksums() == before


@pytest.mark.parametrize("write", [
    lambda s, c: sl.add_to_shortlist(s, VIEWER, [{"company_id": c}], VIEW),
    lambda s, c: sl.update_entry(s, VIEWER, c, {"stage": "Contacted"}, 1),
    lambda s, c: sl.remove_entry(s, VIEWER, c),
    lambda s, c: sl.restore_entry(s, VIEWER, c),
    lambda s, c: sl.add_note(s, VIEWER, c, "hello"),
], ids=["add", "update", "remove", "restore", "note"])
def test_a_viewer_cannot_change_the_shortlist(store, listed, write):
    before = store.table_checksums()
    with pytest.raises(PermissionDenied, match="Vera"):
        write(store, listed[0])
    assert store.table_checksums() == before


def test_update_writes_only_the_given_fields_bumps_the_version_and_is_audited(store, listed):
    company = listed[0]
    entry = sl.update_entry(store, ANN, company, {"stage": "Meeting held", "due_date": "2030-05-01",
                                                  "owner": "  Aigerim  "}, expected_version=1)
    assert (entry.stage, entry.owner, entry.due_date, entry.version) == ("Meeting held", "Aigerim",
                                                                         date(2030, 5, 1), 2)
    assert entry.contact_status == "Not contacted" and entry.next_step is None
    [(actor, key, before, after)] = audit_rows(store, "shortlist_update")
    assert (actor, key) == ("Ann", str(company))
    assert json.loads(before) == {"stage": "Identified", "owner": None, "due_date": None}
    assert json.loads(after) == {"stage": "Meeting held", "owner": "Aigerim", "due_date": "2030-05-01"}
    cleared = sl.update_entry(store, ANN, company, {"owner": "", "due_date": None}, 2)
    assert cleared.owner is None and cleared.due_date is None and cleared.version == 3


def test_a_save_that_changes_nothing_keeps_the_version(store, listed):
    entry = sl.update_entry(store, ANN, listed[0], {"stage": "Identified", "owner": None}, 1)
    assert entry.version == 1 and not audit_rows(store, "shortlist_update")


@pytest.mark.parametrize("changes", [
    {"stage": None}, {"stage": "Signed"}, {"contact_status": "Maybe"}, {"removed": True},
    {"version": 5}, {"owner": "x" * 121}, {"due_date": "tomorrow"},
])
def test_invalid_edits_are_refused_before_touching_the_store(store, listed, changes):
    before = store.table_checksums()
    with pytest.raises(ValidationError):
        sl.update_entry(store, ANN, listed[0], changes, 1)
    assert store.table_checksums() == before


def test_a_stale_save_is_refused_with_the_latest_version_and_no_edit_is_lost(store, listed):
    company = listed[0]
    # Ann and Bob both open version 1; Ann saves first.
    sl.update_entry(store, ANN, company, {"stage": "Contacted", "next_step": "Call the CFO"}, 1)
    with pytest.raises(sl.StaleEntryError) as refused:
        sl.update_entry(store, BOB, company, {"stage": "Declined", "owner": "Bob"}, 1)
    exc = refused.value
    assert exc.expected_version == 1 and exc.latest.version == 2 and exc.changed_by == "Ann"
    assert exc.latest.stage == "Contacted"
    assert "Ann" in str(exc) and "version 1" in str(exc) and "version 2" in str(exc)
    kept = sl.get_entry(store, company)
    assert (kept.stage, kept.next_step, kept.owner, kept.version) == ("Contacted", "Call the CFO", None, 2)
    # Bob reapplies his owner change on the latest version: both edits survive.
    final = sl.update_entry(store, BOB, company, {"owner": "Bob"}, exc.latest.version)
    assert (final.stage, final.next_step, final.owner, final.version) == ("Contacted", "Call the CFO", "Bob", 3)
    table = sl.compare_frame(exc.latest, {"stage": "Declined", "owner": "Bob"})
    assert table.iloc[0].tolist() == ["Stage", "Contacted", "Declined"]


def test_two_threads_saving_the_same_version_one_wins_the_other_is_refused(store, listed):
    company = listed[0]
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def edit(user: User, changes: dict) -> None:
        start.wait()
        try:
            outcomes[user.name] = sl.update_entry(store, user, company, changes, 1)
        except sl.StaleEntryError as exc:
            outcomes[user.name] = exc

    threads = [threading.Thread(target=edit, args=(ANN, {"stage": "Contacted"})),
               threading.Thread(target=edit, args=(BOB, {"owner": "Bob"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    refused = [o for o in outcomes.values() if isinstance(o, sl.StaleEntryError)]
    saved = [o for o in outcomes.values() if isinstance(o, sl.ShortlistEntry)]
    assert len(refused) == 1 and len(saved) == 1 and saved[0].version == 2
    assert sl.get_entry(store, company).model_dump() == refused[0].latest.model_dump()
    assert len(audit_rows(store, "shortlist_update")) == 1


def test_remove_is_soft_restorable_and_keeps_notes(store, listed):
    company = listed[1]
    sl.add_note(store, ANN, company, "Met at Astana forum")
    removed = sl.remove_entry(store, BOB, company, expected_version=1)
    assert removed.removed and removed.removed_by == "Bob" and removed.version == 2
    assert company not in set(sl.shortlist_frame(store)["company_id"])
    assert company in set(sl.shortlist_frame(store, include_removed=True)["company_id"])
    with pytest.raises(sl.EntryNotFound):
        sl.remove_entry(store, BOB, company)
    with pytest.raises(sl.EntryNotFound):
        sl.update_entry(store, ANN, company, {"stage": "Contacted"}, 2)
    restored = sl.restore_entry(store, ANN, company)
    assert not restored.removed and restored.removed_by is None and restored.version == 3
    assert list(sl.notes_frame(store, company)["text"]) == ["Met at Astana forum"]
    assert [a for a, *_ in audit_rows(store, "shortlist_remove")] == ["Bob"]
    assert [a for a, *_ in audit_rows(store, "shortlist_restore")] == ["Ann"]


def test_a_stale_remove_is_refused(store, listed):
    sl.update_entry(store, ANN, listed[0], {"stage": "Contacted"}, 1)
    with pytest.raises(sl.StaleEntryError):
        sl.remove_entry(store, BOB, listed[0], expected_version=1)
    assert not sl.get_entry(store, listed[0]).removed


def test_notes_keep_their_author_time_and_order_and_are_audited(store, listed):
    company = listed[0]
    first = sl.add_note(store, ANN, company, "  First call  ")
    second = sl.add_note(store, BOB, company, "Sent the SEZ brochure")
    assert second > first
    notes = sl.notes_frame(store, company)
    assert list(notes["text"]) == ["Sent the SEZ brochure", "First call"]
    assert list(notes["author"]) == ["Bob", "Ann"]
    assert len(audit_rows(store, "shortlist_note")) == 2
    assert sl.get_entry(store, company).version == 1  # notes never make someone else's edit stale
    with pytest.raises(ValidationError):
        sl.add_note(store, ANN, company, "   ")
    with pytest.raises(sl.EntryNotFound):
        sl.add_note(store, ANN, 999999, "nobody")


def test_history_says_what_changed_newest_first(store, listed):
    company = listed[0]
    sl.update_entry(store, ANN, company, {"stage": "Contacted", "owner": "Ann"}, 1)
    sl.add_note(store, BOB, company, "Call went well")
    history = sl.history_frame(store, company)
    assert list(history["actor"]) == ["Bob", "Ann", "Ann"]
    assert list(history["action"]) == ["Note", "Changed", "Added to the shortlist"]
    assert history["details"].iloc[0] == "Call went well"
    assert "Stage: Identified → Contacted" in history["details"].iloc[1]
    assert "Owner: — → Ann" in history["details"].iloc[1]


TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(("due", "stage", "overdue"), [
    (TODAY - timedelta(days=1), "Contacted", True),
    (TODAY - timedelta(days=30), "Identified", True),
    (TODAY, "Contacted", False),
    (TODAY + timedelta(days=3), "Proposal sent", False),
    (None, "Contacted", False),
    (TODAY - timedelta(days=1), "Committed", False),
    (TODAY - timedelta(days=1), "Declined", False),
])
def test_overdue_means_an_open_entry_past_its_due_date(due, stage, overdue):
    frame = pd.DataFrame({"due_date": [due], "stage": [stage]})
    assert sl.overdue_mask(frame, TODAY).tolist() == [overdue]


def test_shortlist_frame_flags_overdue_counts_notes_and_sorts_by_stage(store, listed):
    a, b, c = listed
    sl.update_entry(store, ANN, a, {"stage": "Proposal sent", "due_date": TODAY - timedelta(days=2)}, 1)
    sl.update_entry(store, ANN, b, {"due_date": TODAY + timedelta(days=2)}, 1)
    sl.add_note(store, ANN, c, "one")
    sl.add_note(store, ANN, c, "two")
    frame = sl.shortlist_frame(store, today=TODAY).set_index("company_id")
    assert frame.loc[a, "overdue"] and not frame.loc[b, "overdue"] and not frame.loc[c, "overdue"]
    assert frame.loc[c, "notes"] == 2 and frame.loc[c, "last_note"] == "two"
    assert list(frame.index)[-1] == a  # Proposal sent comes after the Identified ones
    assert set(frame.columns) >= {"name", "sector_name", "owner", "next_step", "score_at_add", "rank_at_add"}


@pytest.mark.parametrize(("stages", "owners", "expected"), [
    ((), (), ["x", "y", "z"]),
    (("Contacted",), (), ["x", "z"]),
    ((), ("Ann",), ["x"]),
    ((), (sl.UNASSIGNED,), ["y", "z"]),
    (("Contacted",), (sl.UNASSIGNED, "Ann"), ["x", "z"]),
    (("Declined",), (), []),
])
def test_filter_by_stage_and_owner(stages, owners, expected):
    frame = pd.DataFrame({"name": ["x", "y", "z"], "stage": ["Contacted", "Identified", "Contacted"],
                          "owner": ["Ann", None, None]})
    assert sl.filter_frame(frame, stages, owners)["name"].tolist() == expected
    assert sl.owners(frame) == [sl.UNASSIGNED, "Ann"]


def test_contact_statuses_match_the_model():
    assert sl.CONTACT_STATUSES == get_args(sl.ContactStatus)
    assert sl.STAGES == get_args(sl.Stage)


def _name(store, company_id: int, name: str) -> None:
    with store.transaction() as cur:
        cur.execute("UPDATE companies SET name = ? WHERE company_id = ?", [name, company_id])


def test_xlsx_holds_exactly_the_shortlisted_rows_and_formulas_stay_text(store, listed):
    hostile = '=HYPERLINK("http://x")'
    _name(store, listed[0], hostile)
    sl.add_note(store, ANN, listed[1], "+7 701 000 0000 call back")
    sl.remove_entry(store, ANN, listed[2])
    data = sl.shortlist_xlsx(sl.shortlist_frame(store))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert len(book.sheetnames) == 1
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert "Company" in header and "Stage" in header
    names = [r[header.index("Company")] for r in body]
    expected = set(store.fetch_df("SELECT name FROM companies WHERE company_id IN (?, ?)", listed[:2])["name"])
    assert len(body) == 2 and {n.lstrip("'") for n in names} == expected
    assert "'" + hostile in names
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.freeze_panes == "A2"
    assert "'+7 701 000 0000 call back" in [r[header.index("Latest note")] for r in body]


def test_csv_is_neutralised_and_has_one_row_per_entry(store, listed):
    _name(store, listed[0], "@SUM(A1)")
    text = sl.shortlist_csv(sl.shortlist_frame(store)).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text))
    assert len(frame) == 3 and "'@SUM(A1)" in set(frame["Company"])


def test_pipeline_charts_count_every_stage_and_sector(store, listed):
    sl.update_entry(store, ANN, listed[0], {"stage": "Committed"}, 1)
    frame = sl.shortlist_frame(store)
    spec = pipeline_stage_chart(frame).to_dict()
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    counts = dict(zip(data["stage"], data["companies"], strict=True))
    assert counts == {"Identified": 2, "Contacted": 0, "Meeting held": 0, "Proposal sent": 0, "Committed": 1,
                      "Declined": 0}
    assert spec["encoding"]["y"]["sort"] == list(sl.STAGES)
    spec = pipeline_sector_chart(frame).to_dict()
    data = pd.DataFrame(next(iter(spec["datasets"].values())))
    assert data["companies"].sum() == 3
    assert set(data["sector"]) == set(frame["sector_name"].fillna("Unknown sector"))
