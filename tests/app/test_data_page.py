"""The Data page in AppTest: upload -> preview -> apply, refusals, viewers, the sector editor, the audit log."""

import pytest
from streamlit.testing.v1 import AppTest

from lib.auth import User
from lib.store import open_store
from tests.conftest import ROOT, shown

FIXTURES = ROOT / "tests" / "fixtures" / "imports"


@pytest.fixture
def page(open_page):
    return open_page("pages/data.py")


def upload(at: AppTest, name: str) -> AppTest:
    at.file_uploader(key="import_file").set_value((name, (FIXTURES / name).read_bytes(), "text/csv"))
    return at.run()


def table_with(at: AppTest, column: str):
    """The first table on the page that has this column (AppTest finds plain tables by position only)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def edit_sectors(at: AppTest, edited_rows: dict) -> AppTest:
    """Edits as the sector editor reports them (AppTest cannot type into st.data_editor)."""
    at.session_state[at.session_state["edit_sectors_key"]] = {"edited_rows": edited_rows, "added_rows": [],
                                                              "deleted_rows": []}
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_upload_preview_apply_then_nothing_left(page, app_db):
    upload(page, "yale_celi.csv")
    assert not page.exception, [e.value for e in page.exception]
    assert metrics(page) == {"To add": "2", "To update": "1", "Tracker statuses": "0", "Unchanged": "3",
                             "Rejected rows": "0"}
    changes = table_with(page, "field")
    assert list(changes[["name", "field", "before", "after"]].itertuples(index=False, name=None)) == [
        ("Aarsleff", "status", "Withdrawal", "Scaling back")]
    page.button(key="import_apply").click().run()
    assert not page.exception, [e.value for e in page.exception]
    assert any("Imported yale_celi.csv: 2 added, 1 updated" in shown(s.value) for s in page.success)
    assert any("Nothing to import" in i.value for i in page.info)
    store = open_store(app_db)  # the app's own store (same process): the import went through its connection
    assert store.fetch_one("SELECT status FROM companies WHERE name = 'Aarsleff'")[0] == "Scaling back"


def test_rejected_rows_block_apply_until_skipped(page):
    upload(page, "bad_status.csv")
    assert any("1 row is rejected" in e.value for e in page.error)
    table = table_with(page, "reason")
    assert list(table.iloc[0]) == [3, "status", "Maybe", "is not one of Withdrawal, Suspension, Scaling back, "
                                                         "Buying time, Digging in"]

    upload(page, "duplicates.csv")  # one good new company, two conflicting STIHL rows
    assert page.button(key="import_apply").disabled
    page.checkbox(key="import_skip").check().run()
    page.button(key="import_apply").click().run()
    assert any("1 added, 0 updated" in s.value for s in page.success)


def test_broken_file_shows_the_reason(page):
    upload(page, "image_renamed.csv")
    assert [shown(e.value) for e in page.error] == [
        "image_renamed.csv is a binary file, not a CSV or Excel table. Upload a .csv or .xlsx file."]


def test_viewer_sees_data_but_cannot_upload_apply_or_save(page):
    page.session_state["user"] = User(name="Deputy minister", role="viewer")
    page.run()
    assert any("signed in as a viewer" in i.value for i in page.info)
    # Uploads and previews cost the server memory: no uploader at all for a viewer.
    assert any("Importing is for editors" in i.value for i in page.info)
    assert not page.get("file_uploader")
    assert page.button(key="save_sectors").disabled


def test_sector_editor_refuses_invalid_priority(page, app_db):
    store = open_store(app_db)
    before = store.table_checksums()
    edit_sectors(page, {0: {"kz_priority": 9}})
    page.button(key="save_sectors").click().run()
    assert not page.exception, [e.value for e in page.exception]
    assert any("Nothing was saved" in e.value for e in page.error)
    assert store.table_checksums() == before

    edit_sectors(page, {0: {"kz_priority": 1}})
    page.button(key="save_sectors").click().run()
    assert any("Saved: 0 added, 1 changed, 0 deleted." in s.value for s in page.success)
    log = table_with(page, "audit_id")
    assert log.iloc[0]["action"] == "Changed" and log.iloc[0]["table_name"] == "Sector priorities"  # in words


def test_two_stewards_edit_sectors_at_once_and_nothing_is_lost(page, open_page, app_db):
    """Ann edits row 2 while Bob, in another session, adds a sector that sorts first and changes row 1."""
    store = open_store(app_db)
    rows = store.sectors().to_dict("records")
    first, second = rows[0]["sector_code"], rows[1]["sector_code"]
    edit_sectors(page, {1: {"kz_priority": (rows[1]["kz_priority"] + 1) % 6}})  # Ann, not saved yet

    bob = open_page("pages/data.py")
    bob.session_state[bob.session_state["edit_sectors_key"]] = {
        "edited_rows": {0: {"priority_reason": "Bob's reason"}},
        "added_rows": [{**{k: v for k, v in rows[0].items() if k != "as_of"}, "sector_code": "AAA",
                        "name": "A new sector", "kz_priority": 5}], "deleted_rows": []}
    bob.run()
    bob.button(key="save_sectors").click().run()
    assert any("Saved: 1 added, 1 changed, 0 deleted." in s.value for s in bob.success)  # new row: as of today

    page.button(key="save_sectors").click().run()  # Ann's edit was made on the rows she saw
    assert any("Saved: 0 added, 1 changed, 0 deleted." in s.value for s in page.success), \
        [e.value for e in page.error]
    stored = store.sectors().set_index("sector_code")
    assert stored.loc[second, "kz_priority"] == (rows[1]["kz_priority"] + 1) % 6  # Ann's change, on her row
    assert stored.loc[first, "priority_reason"] == "Bob's reason" and "AAA" in stored.index  # Bob's, kept

    edit_sectors(page, {0: {"kz_priority": (rows[0]["kz_priority"] + 1) % 6}})  # the row Bob changed...
    bob.session_state[bob.session_state["edit_sectors_key"]] = {
        "edited_rows": {0: {"isic": "C99"}}, "added_rows": [], "deleted_rows": []}
    bob.run()
    bob.button(key="save_sectors").click().run()  # ...changed again by Bob first
    before = store.table_checksums()
    page.button(key="save_sectors").click().run()
    assert any("changed in the store since you opened the editor" in shown(e.value) for e in page.error)
    assert store.table_checksums() == before
    page.button(key="reload_sectors").click().run()
    assert not page.error and page.dataframe  # fresh data, no conflict shown


def test_an_outcomes_file_is_previewed_with_row_errors_then_added_and_audited(page, app_db):
    store = open_store(app_db)
    before = store.fetch_one("SELECT count(*) FROM outcomes")[0]
    bad = b"company,outcome,date\nHoneywell,moved somewhere,2022-07\n"
    from lib.outcomes import apply_outcomes, preview_outcomes
    from lib.tablefile import read_table
    preview = preview_outcomes(store, read_table(bad, "bad.csv"), "bad.csv", bad)
    assert preview.errors and preview.errors[0].row == 2 and preview.errors[0].column == "outcome"
    good = b"company,hq_country,outcome,date,evidence_level,source\nIngka,,office_moved,2023,press,https://x.org\n" \
           b"Nobody Ltd,,new_site,2024,confirmed,https://y.org\n"
    preview = preview_outcomes(store, read_table(good, "good.csv"), "good.csv", good)
    assert not preview.errors and preview.unmatched == ["Nobody Ltd"]
    assert preview.outcomes[0].matched_name == "Ikea"  # a group member counts for its group
    assert apply_outcomes(store, User(name="Aigerim", role="editor"), preview) == 2
    assert store.fetch_one("SELECT count(*) FROM outcomes")[0] == before + 2
    assert store.fetch_one("SELECT count(*) FROM audit_log WHERE table_name = 'outcomes'")[0] == 2
    page.run()
    assert not page.exception


def test_research_queue_records_a_fact_and_updates_at_once(page, app_db):
    queue = table_with(page, "chance_of_crossing")
    first = queue.iloc[0]
    assert first["chance_of_crossing"] > 0 and queue["chance_of_crossing"].is_monotonic_decreasing
    fact = {"size": "employees_worldwide", "russian_footprint": "russia_employees",
            "russia_production": "russia_production", "kazakhstan_presence": "kazakhstan_presence"}[first["unknown"]]
    page.selectbox(key="research_company").set_value(int(first["company_id"]))
    page.selectbox(key="research_fact").set_value(fact).run()
    if fact == "russia_production":
        page.selectbox(key="research_value_state").set_value("suspended")
    elif fact == "kazakhstan_presence":
        page.selectbox(key="research_value_level").set_value("subsidiary")
    else:
        page.text_input(key="research_value").input("1200")
    page.text_input(key="research_source").input("not a page")
    page.text_input(key="research_period").input("2024")
    page.button(key="research_record").click().run()
    assert any("address of the page" in e.value for e in page.error)  # refused, named, nothing stored
    store = open_store(app_db)
    assert store.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'record_fact'")[0] == 0

    page.text_input(key="research_source").input("https://example.org/annual-report-2024")
    page.button(key="research_record").click().run()
    assert not page.exception, [e.value for e in page.exception]
    assert any("Recorded for" in shown(s.value) for s in page.success)
    assert store.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'record_fact'")[0] == 1
    after = table_with(page, "chance_of_crossing")
    assert not ((after["company_id"] == first["company_id"]) & (after["unknown"] == first["unknown"])).any()


def test_research_queue_form_is_for_editors(page):
    page.session_state["user"] = User(name="Deputy minister", role="viewer")
    page.run()
    assert not table_with(page, "chance_of_crossing").empty  # the queue itself is public
    assert any("Recording facts is for editors" in i.value for i in page.info)
    assert not [b for b in page.button if b.key == "research_record"]
