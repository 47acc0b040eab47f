"""The importer: reading every accepted shape of file, refusing broken ones, previews, all-or-nothing apply."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from lib import importer, status_history, steward
from lib.auth import PermissionDenied, User
from lib.importer import ImportRefused, ImportRejected, apply_import, preview_import, read_table
from lib.models import company_key
from tests.conftest import ROOT, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "imports"
EDITOR = User(name="Aigerim (data steward)", role="editor")
STATUS_LIST = "Withdrawal, Suspension, Scaling back, Buying time, Digging in"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def company(store, name: str, country: str | None) -> dict | None:
    row = store.fetch_df("SELECT * FROM companies WHERE company_key = ?", [company_key(name, country)])
    return None if row.empty else row.iloc[0].to_dict()


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- reading ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, encoding, delimiter, header, first", [
    ("yale_celi.csv", "utf-8", ",", ["name", "action", "industry", "country", "yaleGrade"], "3M"),
    ("kse_leave_russia.csv", "utf-8-sig", ";",
     ["Company", "Status", "Industry", "Country", "Revenue(RF), mln.USD", "Employees(RF)"], "3M"),
    ("agency_cp1251_tab.csv", "cp1251", "\t",
     ["name", "hq_country", "industry", "status", "russia_employees", "kazakhstan_presence", "source", "as_of"],
     "Aalberts"),
])
def test_read_table_detects_encoding_and_separator(name, encoding, delimiter, header, first):
    table = read_table(fixture(name), name)
    assert (table.encoding, table.delimiter, table.columns) == (encoding, delimiter, header)
    assert table.rows[0] == (2, table.rows[0][1]) and table.rows[0][1][0] == first


def test_read_table_utf16_and_xlsx_and_row_numbers():
    text = fixture("kse_leave_russia.csv").decode("utf-8-sig").replace(";", "\t")
    table = read_table(text.encode("utf-16"), "unicode_text.txt")
    assert (table.encoding, table.delimiter, table.columns[0]) == ("utf-16", "\t", "Company")
    # Blank lines are skipped but row numbers stay those of the spreadsheet; a quoted cell may span lines.
    table = read_table(b'name,status\n\nACME,Withdrawal\n"Two\nLines",Suspension\nZeta,Digging in\n', "x.csv")
    assert [r[0] for r in table.rows] == [3, 4, 5]
    table = read_table(xlsx_bytes([["name", "status", "status_date"], ["ACME", "Withdrawal", date(2024, 3, 1)],
                                   [None, None, None], ["=1+1", "Suspension", 45000]]), "book.xlsx")
    assert table.sheet and table.rows == [(2, ["ACME", "Withdrawal", "2024-03-01"]),
                                          (4, ["=1+1", "Suspension", "45000"])]


@pytest.mark.parametrize("name, data, message", [
    ("empty.csv", None, "empty.csv is empty."),
    ("blank.csv", b"\n\r\n  \n", "blank.csv is empty."),
    ("image_renamed.csv", None,
     "image_renamed.csv is a binary file, not a CSV or Excel table. Upload a .csv or .xlsx file."),
    ("latin1.csv", None, 'latin1.csv is not in a supported encoding (UTF-8, UTF-16 or Windows-1251). Save it as '
                         '"CSV UTF-8" and upload it again.'),
    ("missing_status.csv", None, "missing_status.csv has no status column. A company list needs a company name "
                                 "and a Russia status (Yale: name, industry, country, yaleGrade; KSE: company, "
                                 "status, industry, country). Columns found: name, hq_country, industry."),
    ("huge.csv", b"name,status\n" + b"x" * (50 * 1024 * 1024), "huge.csv is 50.0 MB; the limit is 50.0 MB."),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls is an old Excel (.xls) workbook."),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "broken.xlsx could not be read as an Excel workbook"),
    ("twice.csv", b"name,company,status\nA,B,Withdrawal\n", "twice.csv has two columns for name: name and company."),
])
def test_broken_files_are_refused_and_nothing_changes(store, name, data, message):
    before = store.table_checksums()
    with pytest.raises(ImportRefused) as refused:
        preview_import(store, fixture(name) if data is None else data, name)
    assert str(refused.value).startswith(message)
    assert store.table_checksums() == before


@pytest.mark.parametrize("raw, decimal_comma, value", [
    ("1234.5", False, 1234.5), ("1,234.5", False, 1234.5), ("1 234,5", True, 1234.5), ("64,0", True, 64.0),
    ("2,847", False, 2847.0), ("2,5", False, 2.5), ("1.234,5", False, 1234.5), ("\u00a012 000", False, 12000.0),
])
def test_numbers_as_spreadsheets_write_them(raw, decimal_comma, value):
    assert importer._number(raw, decimal_comma) == value


# -- validation ------------------------------------------------------------------------------------
def test_bad_status_names_row_column_and_choices_and_blocks_apply(store):
    before = store.table_checksums()
    preview = preview_import(store, fixture("bad_status.csv"), "bad_status.csv")
    assert [e.text() for e in preview.errors] == [f'row 3, column status: "Maybe" is not one of {STATUS_LIST}']
    with pytest.raises(ImportRejected, match="1 rows of bad_status.csv were rejected"):
        apply_import(store, EDITOR, preview)
    assert store.table_checksums() == before


def test_every_bad_cell_is_reported(store):
    preview = preview_import(store, fixture("bad_values.csv"), "bad_values.csv")
    assert [e.text() for e in preview.errors] == [
        'row 2, column revenue_worldwide_usd_m: "abc" is not a number',
        'row 2, column russia_employees: "-5" is below 0',
        'row 2, column russia_production: "perhaps" is not one of suspended, sold, closed, operating, reported, none, '
        'yes, no',
        'row 2, column status_date: "2024-13-45" is not a date (use YYYY-MM-DD)',
        "row 3, column name: is empty; every row needs a company name",
        'row 4, column industry: "Aerospace and Defence" is not in the industry-to-sector mapping '
        "(industry_sector_map.csv); add it there or give a sector_code column",
    ]
    assert not preview.adds and not preview.updates


def test_duplicate_keys_in_one_file(store):
    preview = preview_import(store, fixture("duplicates.csv"), "duplicates.csv")
    assert [e.text() for e in preview.errors] == [
        'row 2, column name: "STIHL" appears again later in the file with different values',
        'row 4, column name: "STIHL" is the same company as row 2 (same name and HQ country) with different '
        "values; keep one row",
    ]
    assert preview.warnings == ["Row 5 repeats row 3 exactly and is skipped."]
    assert [a.company.name for a in preview.adds] == ["Nordic Valves"]


def test_unknown_columns_are_reported_not_dropped_silently(store):
    data = b"name,hq_country,status,ceo,Ticker\nACME,Norway,Withdrawal,J. Doe,ACM\n"
    preview = preview_import(store, data, "x.csv")
    assert preview.unknown_columns == ["ceo", "Ticker"]
    assert preview_import(store, fixture("yale_celi.csv"), "y.csv").ignored_columns == {
        "action": "Yale's prose is not stored"}


# -- Yale, KSE and agency files --------------------------------------------------------------------
def test_yale_import_previews_applies_audits_and_reimports_as_no_change(store):
    before = store.table_checksums()
    preview = preview_import(store, fixture("yale_celi.csv"), "yale_celi.csv")
    assert preview.file_format == "yale" and not preview.errors
    assert sorted(a.company.name for a in preview.adds) == ["Kässbohrer Geländefahrzeug AG & Co", "Tallinna Vesi"]
    assert [(u.name, [(c.field, c.before, c.after) for c in u.changes]) for u in preview.updates] == [
        ("Aarsleff", [("status", "Withdrawal", "Scaling back")])]
    assert preview.unchanged == 3
    assert store.table_checksums() == before  # a preview writes nothing

    result = apply_import(store, EDITOR, preview)
    assert (result.added, result.updated) == (2, 1)
    changed = {t for t, v in store.table_checksums().items() if v != before[t]}
    assert changed == {"companies", "audit_log", "status_observations"}  # statuses are appended to the history
    aarsleff = company(store, "Aarsleff", "Denmark")
    assert (aarsleff["status"], aarsleff["tracker_grade"]) == ("Scaling back", "Yale CELI grade C")
    assert aarsleff["source"] == "Yale CELI list, imported from yale_celi.csv"
    new = company(store, "Kässbohrer Geländefahrzeug AG & Co", "Germany")
    assert (new["sector_code"], new["status"], bool(new["is_candidate"])) == ("IND", "Withdrawal", True)
    log = store.fetch_df("SELECT * FROM audit_log WHERE source_file = 'yale_celi.csv' ORDER BY audit_id")
    assert list(log["action"]) == ["import_add", "import_add", "import_update", "import"]
    assert set(log["actor"]) == {EDITOR.name}
    assert '"Withdrawal"' in log.iloc[2]["before"] and '"Scaling back"' in log.iloc[2]["after"]

    again = preview_import(store, fixture("yale_celi.csv"), "yale_celi.csv")
    assert (len(again.adds), len(again.updates), len(again.tracker_statuses), again.has_changes) == (0, 0, 0, False)


def test_new_company_ids_continue_after_the_largest(store):
    top = store.fetch_one("SELECT max(company_id) FROM companies")[0]
    apply_import(store, EDITOR, preview_import(store, fixture("yale_celi.csv"), "yale_celi.csv"))
    ids = [r[0] for r in store.fetch_all("SELECT company_id FROM companies WHERE company_id > ? ORDER BY 1", [top])]
    assert ids == [top + 1, top + 2]


def test_kse_keeps_both_statuses_with_dates_and_updates_facts(store):
    preview = preview_import(store, fixture("kse_leave_russia.csv"), "kse.csv", as_of=date(2026, 8, 24))
    assert preview.file_format == "kse" and not preview.errors
    disagree = {(t.name, t.stored_status, t.status) for t in preview.disagreements}
    assert disagree == {("3M", "Suspension", "Withdrawal"), ("Knauf", "Buying time", "Digging in")}
    assert [(u.name, [(c.field, c.after) for c in u.changes]) for u in preview.updates] == [
        ("Nestle", [("russia_employees", 6800)])]
    assert [a.company.name for a in preview.adds] == ["Ajax Systems"]
    apply_import(store, EDITOR, preview)

    three_m = company(store, "3M", "United States")
    # Both statuses stay in the history with their dates; KSE's, dated later, is now the current one.
    both = status_history.history(store, int(three_m["company_id"]))
    assert list(zip(both["tracker"], both["status"], both["current"], strict=True)) == [
        ("yale", "Suspension", False), ("kse", "Withdrawal", True)]
    assert both.iloc[1]["tracker_grade"] == "KSE Institute status: transfer"
    assert str(both.iloc[1]["status_date"])[:10] == "2026-08-24"
    assert (three_m["status"], three_m["tracker_grade"]) == ("Withdrawal", "KSE Institute status: transfer")
    assert status_history.disagreements(store, [int(three_m["company_id"])]) == {
        int(three_m["company_id"]): "KSE Institute: Withdrawal (2026-08-24); Yale CELI: Suspension (2025-05-21)"}
    facts = store.company_facts(int(company(store, "Nestle", "Switzerland")["company_id"]))
    employees = facts[facts["fact"] == "russia_employees"].iloc[-1]  # the newest observation
    assert (employees["value"], employees["source"]) == ("6800", "KSE Institute #LeaveRussia tracker, imported "
                                                                 "from kse.csv")
    ajax = company(store, "Ajax Systems", "Ukraine")
    assert (ajax["status"], ajax["tracker_grade"]) == ("Withdrawal", "KSE Institute status: transfer")
    again = preview_import(store, fixture("kse_leave_russia.csv"), "kse.csv", as_of=date(2026, 9, 1))
    assert not again.has_changes and again.unchanged == 5


def test_name_without_country_is_ambiguous_when_two_companies_share_it(store):
    data = b"Company;Status\nTwin Corp;withdrawal\n"
    for country in ("Norway", "Chile"):
        apply_import(store, EDITOR, preview_import(
            store, f"name,hq_country,status\nTwin Corp,{country},Withdrawal\n".encode(), f"{country}.csv"))
    preview = preview_import(store, data, "kse.csv")
    assert [e.text() for e in preview.errors] == [
        'row 2, column Company: "Twin Corp" matches 2 stored companies (HQ Chile, Norway); add a country column']


def test_agency_spreadsheet_in_windows_1251(store):
    preview = preview_import(store, fixture("agency_cp1251_tab.csv"), "agency.csv")
    assert preview.file_format == "spreadsheet" and not preview.errors
    apply_import(store, EDITOR, preview)
    new = company(store, "Кёрхер Казахстан", "Germany")
    assert new["source"] == "Письмо АО «Kazakh Invest» от 05.02.2026"
    assert str(new["as_of"])[:10] == "2026-02-05" and bool(new["kazakhstan_presence"]) is True
    aalberts = company(store, "Aalberts", "Netherlands")
    assert (aalberts["russia_employees"], aalberts["status"]) == (120, "Buying time")


def test_xlsx_formulas_are_stored_as_text(store):
    data = xlsx_bytes([["name", "hq_country", "industry", "status"],
                       ["=HYPERLINK(\"http://evil.example\")", "Norway", "Industrials", "Withdrawal"]])
    apply_import(store, EDITOR, preview_import(store, data, "book.xlsx"))
    assert company(store, '=HYPERLINK("http://evil.example")', "Norway") is not None


# -- hostile input and exports --------------------------------------------------------------------
def test_formula_and_markup_names_stay_text_and_exports_neutralise_them(store):
    apply_import(store, EDITOR, preview_import(store, fixture("formulas.csv"), "formulas.csv"))
    names = {r[0] for r in store.fetch_all("SELECT name FROM companies WHERE company_id > 1589")}
    assert names == {'=HYPERLINK("http://evil.example","click")', "+7 Telecom", "@SUM(A1:A9)", "-Minus Corp",
                     "<script>alert(1)</script> **Bold** [link](http://evil.example)"}
    csv_text = steward.companies_csv(store).decode("utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "'+7 Telecom" in csv_text and "'@SUM" in csv_text
    sheet = load_workbook(io.BytesIO(steward.store_xlsx(store, EDITOR)))["companies"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" and c.value.startswith("'=") for c in cells)
    # The export reads back as "no change": the apostrophe Excel hides is taken off again.
    preview = preview_import(store, steward.companies_csv(store), "export.csv")
    assert preview.file_format == "radar" and not preview.errors and not preview.has_changes


# -- all or nothing --------------------------------------------------------------------------------
def test_a_failure_half_way_writes_nothing(store, monkeypatch):
    preview = preview_import(store, fixture("kse_leave_russia.csv"), "kse.csv")
    before = store.table_checksums()

    def explode(field, value):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_fact_row", explode)  # runs after companies were inserted and updated
    with pytest.raises(RuntimeError, match="disk full"):
        apply_import(store, EDITOR, preview)
    assert store.table_checksums() == before


def test_stale_preview_and_viewer_are_refused(store):
    preview = preview_import(store, fixture("yale_celi.csv"), "yale_celi.csv")
    with pytest.raises(PermissionDenied, match="cannot import data"):
        apply_import(store, User(name="reader", role="viewer"), preview)
    sectors = store.sectors().to_dict("records")
    sectors[0]["kz_priority"] = 4
    steward.save_sectors(store, EDITOR, sectors)
    before = store.table_checksums()
    with pytest.raises(ImportRejected, match="The store changed after this preview"):
        apply_import(store, EDITOR, preview)
    assert store.table_checksums() == before


def test_second_spreadsheet_updates_a_company_the_first_one_added(store):
    header = b"name,hq_country,status,employees_worldwide\n"
    apply_import(store, EDITOR, preview_import(store, header + b"Nordic Valves,Sweden,Withdrawal,\n", "a.csv"))
    preview = preview_import(store, header + b"Nordic Valves,Sweden,Suspension,1200\n", "b.csv")
    assert not preview.errors
    assert [(c.field, c.before, c.after) for c in preview.updates[0].changes] == [
        ("employees_worldwide", None, 1200), ("status", "Withdrawal", "Suspension")]
    apply_import(store, EDITOR, preview)
    row = company(store, "Nordic Valves", "Sweden")
    assert (row["status"], row["employees_worldwide"], row["tracker_grade"]) == ("Suspension", 1200, None)


def test_skip_rejected_imports_only_the_valid_rows(store):
    data = b"name,hq_country,industry,status\nNordic Valves,Sweden,Industrials,Withdrawal\nBad,Chile,Materials,Maybe\n"
    result = apply_import(store, EDITOR, preview_import(store, data, "mixed.csv"), skip_rejected=True)
    assert (result.added, result.skipped_rows) == (1, 1)
    assert company(store, "Nordic Valves", "Sweden") and not company(store, "Bad", "Chile")


# -- the command line --------------------------------------------------------------------------------

def test_cli_import_dry_run_apply_and_busy_store(store):
    path = store.location
    if store.dialect == "duckdb":  # PostgreSQL serves several processes: there the import runs while the app serves
        busy = run_cli("--db", path, "import", str(FIXTURES / "yale_celi.csv"))  # this process holds the file
        assert busy.returncode == 3
        assert "is in use by another process (probably the running app)" in busy.stderr
        assert "Data page" in busy.stderr
    store.close()
    from lib import store as store_module
    store_module._stores.clear()

    dry = run_cli("--db", path, "import", str(FIXTURES / "yale_celi.csv"), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "2 to add, 1 to update" in dry.stdout and "update row 5 Aarsleff: status" in dry.stdout
    bad = run_cli("--db", path, "import", str(FIXTURES / "bad_status.csv"))
    assert bad.returncode == 2
    assert f'rejected row 3, column status: "Maybe" is not one of {STATUS_LIST}' in bad.stderr
    done = run_cli("--db", path, "import", str(FIXTURES / "yale_celi.csv"), "--actor", "cli-test")
    assert done.returncode == 0 and "applied: 2 added, 1 updated" in done.stdout
    again = run_cli("--db", path, "import", str(FIXTURES / "yale_celi.csv"), "--dry-run")
    assert "0 to add, 0 to update" in again.stdout
    refused = run_cli("--db", path, "import", str(FIXTURES / "image_renamed.csv"))
    assert refused.returncode == 2 and "is a binary file" in refused.stderr


def test_an_oversized_file_is_refused_before_any_preview_work(store, monkeypatch):
    from lib import importer, tablefile
    from lib.tablefile import ImportRefused

    monkeypatch.setattr(tablefile, "MAX_ROWS", 3)
    data = ("name,hq_country,status,source,as_of\n" + "".join(
        f"Company {i},Germany,Withdrawal,x,2025-01-01\n" for i in range(5))).encode()
    before = store.table_checksums()
    with pytest.raises(ImportRefused, match="has more than 3 rows; one import takes at most 3"):
        importer.preview_import(store, data, "big.csv")
    assert store.table_checksums() == before


# -- at database speed (issue 25) ------------------------------------------------------------------
def test_json_rows_write_each_rows_known_values_as_to_json_does():
    import pyarrow as pa

    from lib.store import to_json

    table = pa.table({"name": ["Nestlé \"SA\"", None, "Яндекс\n"], "n": pa.array([1, None, -3], pa.int64()),
                      "x": [0.1 + 0.2, None, 1e20], "ok": [True, False, None],
                      "on": pa.array([date(2025, 1, 2), None, date(1999, 12, 31)], pa.date32())})
    assert importer.json_rows(table).to_pylist() == [
        to_json({k: v for k, v in row.items() if v is not None}) for row in table.to_pylist()]
    empty = pa.table({"name": pa.nulls(2, pa.string()), "n": pa.nulls(2, pa.int64())})
    assert importer.json_rows(empty).to_pylist() == ["{}", "{}"]  # every value empty


@pytest.mark.parametrize("name, country", [("Kässbohrer Geländefahrzeug AG & Co", "Germany"), ("AT&T", None),
                                           ("  Mixed   CASE_name!! ", "usa"), ("Яндекс", "Россия"),
                                           ("ＦＵＬＬ ｗｉｄｔｈ", "Japan"), ("Straße", "Österreich"), ("", "")])
def test_company_keys_by_column_match_company_key(name, country):
    import pyarrow as pa

    keys = importer._company_keys(pa.array([name, "plain name"]), pa.array([country, None], pa.string()))
    assert keys.to_pylist() == [company_key(name, country), company_key("plain name", None)]


def test_preview_and_apply_report_their_steps(store):
    steps: list[tuple[float, str]] = []
    preview = preview_import(store, fixture("kse_leave_russia.csv"), "kse.csv",
                             progress=lambda f, s: steps.append((f, s)))
    assert steps[0] == (0.0, "Reading the file") and steps[-1] == (1.0, "Done")
    assert [f for f, _s in steps] == sorted(f for f, _s in steps)
    steps.clear()
    apply_import(store, EDITOR, preview, progress=lambda f, s: steps.append((f, s)))
    assert steps[0][0] == 0.0 and steps[-1] == (1.0, "Done") and len(steps) >= 4


def test_adds_are_a_table_and_models_on_demand(store):
    preview = preview_import(store, fixture("yale_celi.csv"), "yale_celi.csv")
    assert preview.add_count == len(preview.adds) == preview.adds_table.num_rows == 2
    assert [a.company.name for a in preview.adds] == preview.adds_table["name"].to_pylist()
    assert all(a.company_key == company_key(a.company.name, a.company.hq_country) for a in preview.adds)


def test_a_trackers_latest_status_without_a_label_reads_back_as_empty_on_both_backends(store):
    # It was read back as NaN on DuckDB, which never equals a file's value: the status was recorded again on every
    # import of that tracker's file.
    with store.transaction() as cur:
        cur.execute("INSERT INTO status_observations (company_id, tracker, status, tracker_grade, status_date, "
                    "recorded_on, source) VALUES (1, 'kse', 'Withdrawal', NULL, DATE '2025-01-01', DATE '2025-01-02', "
                    "'test')")
    latest = importer._latest_of_tracker(store, "kse")[1]
    assert latest[2:5] == ("Withdrawal", None, date(2025, 1, 1))


def _yale_company(store) -> dict:
    return store.fetch_df("SELECT * FROM companies WHERE tracker_grade LIKE 'Yale%' AND status <> 'Digging in' "
                          "ORDER BY company_id LIMIT 1").iloc[0].to_dict()


def test_a_spreadsheet_status_is_researchs_own_word_and_the_same_file_again_changes_nothing(store):
    # It was written over the tracker's status with the tracker's label, so the current status rule put the
    # tracker's back and every later import of the same file "updated" the company (and its history) again.
    yale = _yale_company(store)
    data = (f"name,hq_country,status,status_date\n{yale['name']},{yale['hq_country']},Digging in,2023-01-15\n"
            .encode())
    preview = preview_import(store, data, "research.csv")
    assert not preview.updates
    assert [(t.tracker, t.status, t.status_date, t.tracker_grade) for t in preview.tracker_statuses] == [
        ("research", "Digging in", date(2023, 1, 15), None)]
    apply_import(store, EDITOR, preview)
    stored = company(store, yale["name"], yale["hq_country"])
    assert (stored["status"], stored["tracker_grade"]) == (yale["status"], yale["tracker_grade"])  # Yale's is newer
    history = store.fetch_df("SELECT tracker, status FROM status_observations WHERE company_id = ? "
                             "AND status = 'Digging in'", [yale["company_id"]])
    assert history.to_dict("records") == [{"tracker": "research", "status": "Digging in"}]
    again = preview_import(store, data, "research.csv")
    assert (len(again.updates), len(again.tracker_statuses), again.unchanged) == (0, 0, 1)


def test_a_newer_research_status_becomes_the_current_status(store):
    yale = _yale_company(store)
    data = (f"name,hq_country,status,status_date\n{yale['name']},{yale['hq_country']},Digging in,2026-11-30\n"
            .encode())
    apply_import(store, EDITOR, preview_import(store, data, "research.csv"))
    stored = company(store, yale["name"], yale["hq_country"])
    assert (stored["status"], str(stored["status_date"])[:10]) == ("Digging in", "2026-11-30")
    assert pd.isna(stored["tracker_grade"])  # research's own word carries no tracker's label


@pytest.mark.parametrize("text", ["plain", " lead", "trail ", "\u00a0nbsp", "em\u2003", "\x1cunit", "zero\u200b",
                                  "mid dle", "", "Яндекс\n", "😀 "])
def test_a_cell_with_white_space_at_either_end_is_validated_row_by_row(text):
    import pyarrow as pa

    adds = pa.table({"name": [text, "Plain Name"], "hq_country": pa.nulls(2, pa.string())})
    assert importer._may_fail_validation(adds).to_pylist()[0] == (text != text.strip() or text == "")
