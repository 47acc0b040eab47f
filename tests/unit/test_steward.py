"""Sector and incentive edits (validated, audited, all or nothing), the audit log, exports and backups."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

import duckdb
import pytest
from openpyxl import load_workbook

from lib import steward
from lib.auth import PermissionDenied, User
from lib.steward import InvalidRows, save_incentive_packages, save_sectors

EDITOR = User(name="Aigerim (data steward)", role="editor")
VIEWER = User(name="Deputy minister", role="viewer")


def sectors(store) -> list[dict]:
    return store.sectors().to_dict("records")


def packages(store) -> list[dict]:
    return store.incentive_packages().to_dict("records")


def test_saving_unchanged_rows_changes_nothing(store):
    before = store.table_checksums()
    assert save_sectors(store, EDITOR, sectors(store)).changed == 0
    assert save_incentive_packages(store, EDITOR, packages(store)).changed == 0
    assert store.table_checksums() == before


def test_sector_priority_change_is_written_and_audited(store):
    rows = sectors(store)
    code, old = rows[0]["sector_code"], rows[0]["kz_priority"]
    rows[0]["kz_priority"] = (old + 2) % 6
    result = save_sectors(store, EDITOR, rows)
    assert result.updated == [code]
    assert store.fetch_one("SELECT kz_priority, as_of FROM sectors WHERE sector_code = ?", [code]) == (
        (old + 2) % 6, date.today())
    actor, action, key, before, after = store.fetch_one(
        "SELECT actor, action, record_key, before, after FROM audit_log ORDER BY audit_id DESC LIMIT 1")
    assert (actor, action, key) == (EDITOR.name, "update", code)
    assert json.loads(before)["kz_priority"] == old and json.loads(after)["kz_priority"] == (old + 2) % 6


def test_two_editors_a_colleagues_save_in_between_survives(store):
    """Ann opens the sector editor; Bob saves sector A; Ann saves her change to sector B: both land."""
    opened = sectors(store)  # what Ann's editor shows
    bob = sectors(store)
    code_a, code_b = bob[0]["sector_code"], bob[1]["sector_code"]
    bob[0]["kz_priority"] = (bob[0]["kz_priority"] + 1) % 6
    save_sectors(store, User(name="Bob", role="editor"), bob)
    ann = [dict(row) for row in opened]
    ann[1]["kz_priority"] = (ann[1]["kz_priority"] + 2) % 6
    result = save_sectors(store, EDITOR, ann, base=opened)
    assert result.updated == [code_b]
    stored = {r["sector_code"]: r["kz_priority"] for r in sectors(store)}
    assert stored[code_a] == bob[0]["kz_priority"] and stored[code_b] == ann[1]["kz_priority"]


def test_two_editors_changing_the_same_row_the_second_is_refused(store):
    opened = sectors(store)
    bob = sectors(store)
    bob[0]["priority_reason"] = "Bob's reason"
    save_sectors(store, User(name="Bob", role="editor"), bob)
    ann = [dict(row) for row in opened]
    ann[0]["kz_priority"] = (ann[0]["kz_priority"] + 1) % 6
    ann.append({**opened[0], "sector_code": "NEW", "name": "A new sector"})  # a valid change that must not land
    before = store.table_checksums()
    with pytest.raises(steward.EditConflict) as conflict:
        save_sectors(store, EDITOR, ann, base=opened)
    assert conflict.value.codes == [opened[0]["sector_code"]] and opened[0]["sector_code"] in str(conflict.value)
    assert store.table_checksums() == before  # nothing written, Bob's reason kept
    assert sectors(store)[0]["priority_reason"] == "Bob's reason"


def test_a_row_deleted_by_a_colleague_is_not_brought_back(store):
    save_sectors(store, EDITOR, [*sectors(store), {**sectors(store)[0], "sector_code": "TMP", "name": "Temporary"}])
    opened = sectors(store)
    save_sectors(store, User(name="Bob", role="editor"), [r for r in opened if r["sector_code"] != "TMP"])
    ann = [dict(row) for row in opened]
    ann[1]["kz_priority"] = (ann[1]["kz_priority"] + 1) % 6  # Ann still sees TMP but leaves it alone
    save_sectors(store, EDITOR, ann, base=opened)
    assert "TMP" not in {r["sector_code"] for r in sectors(store)}


def test_invalid_sector_rows_are_all_reported_and_nothing_is_written(store):
    rows = sectors(store)
    rows[0]["kz_priority"] = (rows[0]["kz_priority"] + 1) % 6  # a valid change that must not land either
    rows[2]["kz_priority"] = 9
    rows[3]["activity_type"] = "magic"
    rows[4]["sector_code"] = rows[5]["sector_code"]
    before = store.table_checksums()
    with pytest.raises(InvalidRows) as invalid:
        save_sectors(store, EDITOR, rows)
    texts = [e.text() for e in invalid.value.errors]
    assert texts[0] == 'row 3, column kz_priority: "9" is invalid: input should be less than or equal to 5'
    assert texts[1].startswith('row 4, column activity_type: "magic" is invalid: input should be')
    assert texts[2] == f'row 6, column sector_code: "{rows[5]["sector_code"]}" is already used in row 5'
    assert store.table_checksums() == before


def test_a_sector_in_use_cannot_be_deleted_but_a_new_unused_one_can(store):
    rows = sectors(store)
    used = rows[0]["sector_code"]
    with pytest.raises(InvalidRows, match=f'"{used}" is used by'):
        save_sectors(store, EDITOR, rows[1:])
    extra = dict(rows[0], sector_code="FSH", name="Fisheries", kz_priority=4)
    assert save_sectors(store, EDITOR, [*rows, extra]).added == ["FSH"]
    assert save_sectors(store, EDITOR, rows).deleted == ["FSH"]
    log = store.fetch_all("SELECT action, record_key FROM audit_log WHERE table_name = 'sectors' ORDER BY audit_id")
    assert log == [("add", "FSH"), ("delete", "FSH")]


def test_viewers_cannot_save(store):
    with pytest.raises(PermissionDenied, match="cannot edit sector priorities"):
        save_sectors(store, VIEWER, sectors(store))
    with pytest.raises(PermissionDenied, match="cannot edit incentive packages"):
        save_incentive_packages(store, VIEWER, packages(store))


def test_incentive_rules_edit_with_list_cells_as_text(store):
    rows = steward.flat_lists(store.incentive_packages()).to_dict("records")  # as the table editor shows them
    package = rows[0]["package_id"]
    rows[0]["sector_codes"] = "IND; MAT"
    assert save_incentive_packages(store, EDITOR, rows).updated == [package]
    stored = store.fetch_one("SELECT sector_codes FROM incentive_packages WHERE package_id = ?", [package])[0]
    assert stored == ["IND", "MAT"]


@pytest.mark.parametrize("change, message", [
    ({"sector_codes": ["IND", "XXX"]}, 'row 1, column sector_codes: "XXX" is not a sector in the store'),
    ({"valid_from": date(2026, 1, 1), "valid_to": date(2025, 1, 1)},
     "row 1: is invalid: value error, valid_to 2025-01-01 is before valid_from 2026-01-01"),
    ({"package_id": "Bad Id!"}, 'row 1, column package_id: "Bad Id!" is invalid: string should match pattern'),
    ({"in_kind_grant_pct": 130}, 'row 1, column in_kind_grant_pct: "130" is invalid: input should be less than'),
])
def test_invalid_incentive_rules_are_refused(store, change, message):
    rows = packages(store)
    rows[0].update(change)
    before = store.table_checksums()
    with pytest.raises(InvalidRows) as invalid:
        save_incentive_packages(store, EDITOR, rows)
    assert invalid.value.errors[0].text().startswith(message)
    assert store.table_checksums() == before


def test_audit_entries_filter_by_table_and_person(store):
    rows = sectors(store)
    rows[1]["priority_reason"] = "Revised after the 2026 industrial policy review."
    save_sectors(store, EDITOR, rows)
    entries = steward.audit_entries(store, table="sectors", actor=EDITOR.name)
    assert list(entries["record_key"]) == [rows[1]["sector_code"]]
    assert steward.audit_entries(store, table="sectors", actor="nobody").empty
    facets = steward.audit_facets(store)
    assert EDITOR.name in facets["actor"] and "sectors" in facets["table_name"]


def test_xlsx_export_has_every_table(store):
    book = load_workbook(io.BytesIO(steward.store_xlsx(store, EDITOR)))
    assert {"companies", "sectors", "incentive_packages", "audit_log", "status_observations"} <= set(book.sheetnames)
    assert book["companies"].max_row == store.fetch_one("SELECT count(*) FROM companies")[0] + 1


def test_backup_restores_to_identical_tables(store, tmp_path):
    rows = sectors(store)
    rows[0]["priority_reason"] = "=cmd|' /C calc'!A0 stays text"
    save_sectors(store, EDITOR, rows)
    archive = zipfile.ZipFile(io.BytesIO(steward.backup_zip(store, EDITOR)))
    assert {"schema.sql", "load.sql", "manifest.json", "companies.parquet"} <= set(archive.namelist())
    folder = tmp_path / "restore"
    archive.extractall(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    with duckdb.connect(str(tmp_path / "restored.duckdb")) as con:
        con.execute(f"IMPORT DATABASE '{folder}'")
        for table, expected in manifest["tables"].items():
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] == expected["rows"], table
        reason = con.execute("SELECT priority_reason FROM sectors WHERE sector_code = ?",
                             [rows[0]["sector_code"]]).fetchall()[0][0]
    assert reason == rows[0]["priority_reason"]
    assert manifest["tables"] == {t: {"rows": n, "sha256": d} for t, (n, d) in store.table_checksums().items()}


def test_import_template_filled_in_imports_cleanly(store):
    from lib.importer import apply_import, preview_import

    book = load_workbook(io.BytesIO(steward.import_template_xlsx(store)))
    table, guide, codes = book.worksheets[0], book.worksheets[1], book.worksheets[2]
    header = [c.value for c in table[1]]
    assert header[:2] == ["name", "hq_country"] and "status" in header and table.max_row == 1  # no sample row
    assert [row[0] for row in guide.iter_rows(min_row=2, values_only=True)] == header  # every column explained
    assert {row[0] for row in codes.iter_rows(min_row=2, values_only=True)} == set(store.sectors()["sector_code"])
    row = {"name": "Template Test GmbH", "hq_country": "Germany", "sector_code": "IND", "status": "Suspension",
           "employees_worldwide": 1200, "russia_production": "да", "status_date": "01.03.2024"}
    table.append([row.get(column) for column in header])
    filled = io.BytesIO()
    book.save(filled)
    preview = preview_import(store, filled.getvalue(), "filled_template.xlsx")
    assert not preview.errors and not preview.unknown_columns and len(preview.adds) == 1
    added = preview.adds[0].company
    assert (added.sector_code, added.status, added.employees_worldwide, added.russia_production,
            added.status_date) == ("IND", "Suspension", 1200, "reported", date(2024, 3, 1))
    assert apply_import(store, EDITOR, preview).added == 1


def test_a_steward_overrides_a_company_sector_with_reason_and_source_audited(store):
    company_id = store.fetch_one("SELECT company_id FROM companies WHERE name = 'Corteva'")[0]
    change = steward.CompanySector(company_id=company_id, sector_code="STP", reason="Test: food ingredients",
                                   source="https://example.org/corteva")
    before = store.table_checksums()
    with pytest.raises(PermissionDenied):
        steward.set_company_sector(store, VIEWER, change)
    with pytest.raises(InvalidRows, match="is not a sector code"):
        steward.set_company_sector(store, EDITOR, change.model_copy(update={"sector_code": "XXX"}))
    assert store.table_checksums() == before
    assert steward.set_company_sector(store, EDITOR, change) is True
    row = store.company(company_id)
    assert (row["sector_code"], row["sector_reason"], row["industry"]) == ("STP", "Test: food ingredients",
                                                                          "Consumer Staples")
    audit = store.fetch_one("SELECT actor, before, after FROM audit_log ORDER BY audit_id DESC LIMIT 1")
    assert audit[0] == EDITOR.name and json.loads(audit[1])["sector_code"] == "AGR"
    assert steward.set_company_sector(store, EDITOR, change) is False  # nothing changes, nothing audited


def test_the_audit_log_reads_in_names_and_changes_and_filters_by_company_and_period(store):
    from datetime import date, timedelta

    from lib import shortlist as sl
    from lib.models import Filters, ScoringSettings

    company_id = store.fetch_one("SELECT company_id FROM companies WHERE name = 'Honeywell'")[0]
    sl.add_to_shortlist(store, EDITOR, [{"company_id": company_id, "score": 0.8, "rank": 1}],
                        (ScoringSettings(), Filters()))
    entry = sl.get_entry(store, company_id)
    sl.update_entry(store, EDITOR, company_id, {"stage": "Contacted", "owner": "Dana"}, entry.version)
    names = {company_id: "Honeywell"}
    log = steward.labelled_audit(steward.audit_entries(store, company_id=company_id), names)
    assert len(log) == 2 and set(log["record_key"]) == {"Honeywell"}
    change = log.iloc[0]["changes"]
    assert "stage: Identified → Contacted" in change and "owner: — → Dana" in change
    assert steward.audit_entries(store, company_id=company_id, since=date.today() + timedelta(days=1)).empty
    assert len(steward.audit_entries(store, company_id=company_id, until=date.today())) == 2
    other = store.fetch_one("SELECT company_id FROM companies WHERE name = 'Ikea'")[0]
    assert steward.audit_entries(store, company_id=other).empty
