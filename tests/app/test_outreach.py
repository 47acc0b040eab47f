"""AppTest: shortlist from the rank page, work the entry on the Outreach page, two sessions at once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from lib import shortlist as sl
from lib.auth import User
from lib.models import Filters, ScoringSettings
from lib.store import open_store
from tests.conftest import APP

OUTREACH = "pages/outreach.py"


def new_session() -> AppTest:
    """A fresh browser session on the same RADAR_DB (caches are process-wide, as on a real server)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def outreach(at: AppTest) -> AppTest:
    at.switch_page(OUTREACH).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shortlisted(app_db) -> dict[int, sl.ShortlistEntry]:
    store = open_store(app_db)
    return {int(c): sl.get_entry(store, int(c)) for c in sl.shortlist_frame(store)["company_id"]}


def add_rows(at: AppTest, rows: list[int]) -> list[int]:
    """Select rows of the ranked table (the way the grid reports a selection) and press Add."""
    table = at.dataframe[0].value
    at.session_state[at.session_state["ranked_table_key"]] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.run()
    at.button(key="add_to_shortlist").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return [int(table.iloc[i]["company_id"]) for i in rows]


def test_add_from_rank_change_stage_and_it_survives_a_reload(app_db):
    at = new_session()
    at.slider(key="w_company_scale").set_value(60).run()
    ranked = at.dataframe[0].value
    ids = add_rows(at, [0, 3])
    assert "2 companies added to the shortlist." in [s.value for s in at.success]
    entries = shortlisted(app_db)
    assert set(entries) == set(ids)
    first = entries[ids[0]]
    assert first.rank_at_add == 1 and first.score_at_add == pytest.approx(float(ranked.iloc[0]["score"]))
    assert first.scenario_at_add.settings.weights["company_scale"] == 60  # the view at the time

    outreach(at)
    table = at.dataframe[0].value
    assert set(table["company_id"]) == set(ids)
    at.selectbox(key="of_company").set_value(ids[1])
    at.run()
    at.selectbox(key="of_stage").set_value("Meeting held")
    at.text_input(key="of_owner").set_value("Aigerim")
    at.text_area(key="of_note").set_value("Met the CFO in Almaty")
    at.button(key="of_save").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Saved" in s.value for s in at.success)

    reloaded = outreach(new_session())  # a new session: everything comes from the store
    row = reloaded.dataframe[0].value.set_index("company_id").loc[ids[1]]
    assert (row["stage"], row["owner"], row["notes"]) == ("Meeting held", "Aigerim", 1)
    reloaded.selectbox(key="of_company").set_value(ids[1]).run()
    assert reloaded.selectbox(key="of_stage").value == "Meeting held"
    assert reloaded.text_input(key="of_owner").value == "Aigerim"


def test_two_sessions_the_stale_save_is_refused_and_no_edit_is_lost(app_db):
    store = open_store(app_db)
    company = int(store.fetch_one("SELECT min(company_id) FROM companies WHERE is_candidate")[0])
    sl.add_to_shortlist(store, User(name="seed", role="editor"), [{"company_id": company}],
                        (ScoringSettings(), Filters()))
    ann, bob = outreach(new_session()), outreach(new_session())  # both open version 1

    ann.selectbox(key="of_stage").set_value("Contacted")
    ann.text_input(key="of_next").set_value("Send the SEZ terms")
    ann.button(key="of_save").click().run()
    assert not ann.error

    bob.selectbox(key="of_stage").set_value("Declined")
    bob.text_input(key="of_owner").set_value("Bob")
    bob.button(key="of_save").click().run()
    assert not bob.exception
    [error] = bob.error
    assert "Not saved" in error.value and "version 1" in error.value and "version 2" in error.value
    compare = next(d.value for d in bob.dataframe if "Field" in d.value.columns).set_index("Field")
    assert compare.loc["Stage"].tolist() == ["Contacted", "Declined"]  # the latest next to Bob's attempt
    assert compare.loc["Next step"].iloc[0] == "Send the SEZ terms"
    kept = sl.get_entry(store, company)
    assert (kept.stage, kept.next_step, kept.owner, kept.version) == ("Contacted", "Send the SEZ terms", None, 2)

    bob.button(key="of_reload").click().run()  # load the latest, reapply the owner, save
    assert bob.selectbox(key="of_stage").value == "Contacted"
    bob.text_input(key="of_owner").set_value("Bob")
    bob.button(key="of_save").click().run()
    assert not bob.error
    final = sl.get_entry(store, company)
    assert (final.stage, final.next_step, final.owner, final.version) == ("Contacted", "Send the SEZ terms", "Bob", 3)


def test_a_session_is_told_when_its_entry_changed_elsewhere(app_db):
    store = open_store(app_db)
    company = int(store.fetch_one("SELECT min(company_id) FROM companies WHERE is_candidate")[0])
    editor = User(name="Dana", role="editor")
    sl.add_to_shortlist(store, editor, [{"company_id": company}], (ScoringSettings(), Filters()))
    at = outreach(new_session())
    sl.update_entry(store, editor, company, {"stage": "Proposal sent"}, 1)
    at.run()
    assert any("newer version" in w.value for w in at.warning)
    at.button(key="of_reload").click().run()
    assert at.selectbox(key="of_stage").value == "Proposal sent" and not at.warning


def test_remove_asks_for_confirmation_and_can_be_restored(app_db):
    at = new_session()
    ids = add_rows(at, [1, 2])
    outreach(at)
    at.selectbox(key="of_company").set_value(ids[0]).run()
    at.button(key="of_remove").click().run()
    assert set(shortlisted(app_db)) == set(ids)  # nothing happens before confirming
    assert any("Remove" in w.value for w in at.warning)
    at.button(key="of_remove_no").click().run()
    assert set(shortlisted(app_db)) == set(ids)
    at.button(key="of_remove").click().run()
    at.button(key="of_remove_yes").click().run()
    assert not at.exception
    assert set(shortlisted(app_db)) == {ids[1]}
    assert list(at.dataframe[0].value["company_id"]) == [ids[1]]
    at.selectbox(key="of_removed").set_value(ids[0])
    at.button(key="of_restore").click().run()
    assert set(shortlisted(app_db)) == set(ids)
    assert set(at.dataframe[0].value["company_id"]) == set(ids)


def test_filters_overdue_and_downloads(app_db):
    store = open_store(app_db)
    editor = User(name="Dana", role="editor")
    a, b, c = (int(r[0]) for r in store.fetch_all("SELECT company_id FROM companies WHERE is_candidate "
                                                  "ORDER BY company_id LIMIT 3"))
    sl.add_to_shortlist(store, editor, [{"company_id": x} for x in (a, b, c)], (ScoringSettings(), Filters()))
    sl.update_entry(store, editor, a, {"stage": "Contacted", "owner": "Dana",
                                       "due_date": date.today() - timedelta(days=3)}, 1)
    sl.update_entry(store, editor, b, {"owner": "Erlan", "due_date": date.today() + timedelta(days=3)}, 1)
    at = outreach(new_session())
    table = at.dataframe[0].value.set_index("company_id")
    assert table.loc[a, "overdue"] and not table.loc[b, "overdue"] and not table.loc[c, "overdue"]
    assert at.metric[2].value == "1"  # overdue next steps
    assert {d.key for d in at.get("download_button")} >= {"of_xlsx", "of_csv", "of_brief"}
    at.multiselect(key="of_f_stage").set_value(["Contacted"]).run()
    assert list(at.dataframe[0].value["company_id"]) == [a]
    at.multiselect(key="of_f_stage").set_value([]).run()
    at.multiselect(key="of_f_owner").set_value([sl.UNASSIGNED, "Erlan"]).run()
    assert set(at.dataframe[0].value["company_id"]) == {b, c}


def test_a_colleague_sees_the_shortlist_but_cannot_change_it_and_the_public_sees_nothing(app_db):
    store = open_store(app_db)
    company = int(store.fetch_one("SELECT min(company_id) FROM companies WHERE is_candidate")[0])
    sl.add_to_shortlist(store, User(name="Dana", role="editor"), [{"company_id": company}],
                        (ScoringSettings(), Filters()))
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["user"] = User(name="Vera", role="colleague")
    at.run()
    before = store.table_checksums()
    add_rows(at, [0, 1])  # the rank page lets a colleague press Add; the server refuses it
    assert any("Vera is a viewer" in e.value for e in at.error) and not at.success
    assert store.table_checksums() == before
    outreach(at)
    assert list(at.dataframe[0].value["company_id"]) == [company]
    assert any("sign in as an editor" in i.value for i in at.info)
    assert at.button(key="of_save").disabled and at.button(key="of_remove").disabled
    public = AppTest.from_file(APP, default_timeout=60)
    public.session_state["user"] = User(name="Visitor", role="viewer")
    public.run()
    outreach(public)
    assert not public.dataframe and any("for signed-in colleagues" in i.value for i in public.info)
