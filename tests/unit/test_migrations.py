"""Stores written by earlier versions (schema 2: yes/no facts; schema 7: one customs flag) upgrade in place."""

import duckdb

from lib.store import MIGRATIONS, DuckDBStore


def store_at_version(path, version: int) -> duckdb.DuckDBPyConnection:
    """A DuckDB file with the schema as it was at `version`, open for the test to add old rows."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
    for number, migration in enumerate(MIGRATIONS[:version], start=1):
        con.execute(migration.sql)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [number])
    return con


def test_a_schema_2_store_upgrades_its_yes_no_facts_to_states_and_levels(tmp_path):
    path = tmp_path / "old.duckdb"
    con = store_at_version(path, 2)
    con.execute("INSERT INTO companies (company_id, company_key, name, status, russia_production, kazakhstan_presence, "
                "source, as_of) VALUES (1, 'a|x', 'A', 'Withdrawal', true, true, 's', DATE '2025-05-21'), "
                "(2, 'b|x', 'B', 'Suspension', false, false, 's', DATE '2025-05-21'), "
                "(3, 'c|x', 'C', 'Suspension', NULL, NULL, 's', DATE '2025-05-21')")
    con.execute("INSERT INTO company_facts VALUES (1, 'russia_production', 'true', '2022', 'src', 'n'), "
                "(1, 'kazakhstan_presence', 'true', '2023', 'src', 'n'), (2, 'revenue_worldwide_usd_m', '10.0', "
                "'FY2023', 'src', 'n')")
    con.execute("INSERT INTO shortlist (company_id, stage, added_by, added_at, updated_at) "
                "VALUES (1, 'Identified', 'x', now(), now())")
    con.close()

    store = DuckDBStore(path)
    assert store.fetch_one("SELECT max(version) FROM schema_version")[0] == len(MIGRATIONS)
    rows = store.fetch_all("SELECT company_id, russia_production, kazakhstan_presence FROM companies ORDER BY 1")
    # An old "yes" becomes what it honestly said: a plant reported (state since unknown), a presence of unstated
    # level; "no" becomes none / none found; unknown stays unknown.
    assert rows == [(1, "reported", "unspecified"), (2, "none", "none_found"), (3, None, None)]
    facts = store.fetch_all("SELECT company_id, fact, value, state, period FROM company_facts ORDER BY 1, 2")
    assert facts == [(1, "kazakhstan_presence", "unspecified", None, "2023"),
                     (1, "russia_production", None, "reported", "2022"),
                     (2, "revenue_worldwide_usd_m", "10.0", None, "FY2023")]
    assert store.fetch_one("SELECT confidential FROM shortlist")[0] is False
    assert store.fetch_one("SELECT count(*) FROM outcomes")[0] == 0
    store.close()


def test_a_schema_7_store_splits_customs_duty_from_import_vat(tmp_path):
    """Priority projects were exempt from customs duty only: the upgrade keeps duty and drops their import VAT."""
    path = tmp_path / "v7.duckdb"
    con = store_at_version(path, 7)
    for package_id in ("priority_project_new", "sez_pavlodar"):
        con.execute("INSERT INTO incentive_packages (package_id, name, instrument_type, legal_basis, valid_from, "
                    "sector_codes, excluded_sector_codes, activity_types, locations, requires_new_entity, "
                    "customs_vat_exemption, uncertain, source, as_of) VALUES (?, 'P', 'sez', 'law', DATE '2019-01-01', "
                    "[], [], [], [], false, true, false, 's', DATE '2025-01-01')", [package_id])
    con.close()

    store = DuckDBStore(path)
    rows = store.fetch_all("SELECT package_id, customs_duty_exemption, import_vat_exemption, uncertain_terms "
                           "FROM incentive_packages ORDER BY 1")
    assert rows == [("priority_project_new", True, False, []), ("sez_pavlodar", True, True, [])]
    assert store.fetch_one("SELECT count(*) FROM incentive_rule_sources")[0] == 0
    store.close()
