"""Stores written by earlier versions (schema 2: yes/no facts; schema 7: one customs flag) upgrade in place."""

from datetime import datetime

import duckdb
import pytest

from lib.store import MIGRATIONS, DuckDBStore, Migration, StoreUnavailable
from lib.store.schema import NUMBERED


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


# -- migrations recorded by name -------------------------------------------------------------------
# Versions of the app before named migrations recorded them by number in schema_version (1..12, by position).
def numbered_postgres(url: str, version: int) -> None:
    """A PostgreSQL database built as those versions built it: `version` migrations, recorded by number only."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
        for number, migration in enumerate(MIGRATIONS[:version], start=1):
            conn.execute(migration.script("postgres"))
            conn.execute("INSERT INTO schema_version VALUES (%s, TIMESTAMP '2026-01-01' + %s * INTERVAL '1 day')",
                         [number, number])
        conn.execute("INSERT INTO companies (company_id, company_key, name, status, source, as_of) "
                     "VALUES (1, 'a|x', 'A', 'Suspension', 'yale list', DATE '2025-05-21')")


def numbered_duckdb(path, version: int) -> None:
    """The same as a DuckDB file."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
    for number, migration in enumerate(MIGRATIONS[:version], start=1):
        con.execute(migration.sql)
        con.execute("INSERT INTO schema_version VALUES (?, TIMESTAMP '2026-01-01' + ? * INTERVAL 1 DAY)",
                    [number, number])
    con.execute("INSERT INTO companies (company_id, company_key, name, status, source, as_of) "
                "VALUES (1, 'a|x', 'A', 'Suspension', 'yale list', DATE '2025-05-21')")
    con.close()


def check_recorded_by_name(store) -> None:
    """Every migration recorded by name; the numbered ones keep the day they were applied; nothing lost."""
    names = dict(store.fetch_all("SELECT name, applied_at FROM schema_migrations"))
    assert sorted(names) == sorted(m.name for m in MIGRATIONS) and len(MIGRATIONS) == 12
    assert [names[name] for name in NUMBERED[:11]] == [datetime(2026, 1, 1 + n) for n in range(1, 12)]
    assert names["status_history"] > datetime(2026, 2, 1)  # applied just now
    # Older versions of the app read schema_version only: it still counts every migration the store has.
    assert store.fetch_one("SELECT max(version) FROM schema_version")[0] == len(MIGRATIONS)
    observed = store.fetch_all("SELECT company_id, tracker, status FROM status_observations")
    assert observed == [(1, "research", "Suspension")]  # the status_history migration ran on the kept row


def test_a_duckdb_store_that_recorded_numbers_records_names_when_upgraded(tmp_path):
    path = tmp_path / "numbered.duckdb"
    numbered_duckdb(path, 11)
    store = DuckDBStore(path)
    check_recorded_by_name(store)
    store.close()
    again = DuckDBStore(path)  # the names are read from now on: nothing is applied twice
    check_recorded_by_name(again)
    again.close()


def test_a_postgres_store_that_recorded_numbers_records_names_when_upgraded(empty_pg_database):
    from lib.store.postgres import PostgresStore

    numbered_postgres(empty_pg_database, 11)
    store = PostgresStore(empty_pg_database)
    check_recorded_by_name(store)
    store.close()


def test_a_current_numbered_store_opens_without_a_single_write(tmp_path, empty_pg_database):
    """A store with every migration (by number) needs no upgrade: nothing is written, so on PostgreSQL the app's role,
    which may not create tables, still opens it after the update (here: a database that refuses every write)."""
    import psycopg

    from lib.store.postgres import PostgresStore

    path = tmp_path / "numbered.duckdb"
    numbered_duckdb(path, len(MIGRATIONS))
    numbered_postgres(empty_pg_database, len(MIGRATIONS))
    database = empty_pg_database.partition("?")[0].rpartition("/")[2]
    with psycopg.connect(empty_pg_database, autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {database} SET default_transaction_read_only = on")
    for store in (DuckDBStore(path), PostgresStore(empty_pg_database)):
        assert store.fetch_one("SELECT count(*) FROM information_schema.tables "
                               "WHERE table_name = 'schema_migrations'")[0] == 0
        assert store.fetch_all("SELECT name FROM companies") == [("A",)]
        store.close()


def test_a_later_migration_maps_the_numbers_once_and_older_versions_refuse_the_store(tmp_path, monkeypatch):
    """The next migration writes the numbered store's names, then its own; a version without it refuses the store
    by name, and a version from before named migrations by schema_version's count."""
    from lib.store import base

    path = tmp_path / "numbered.duckdb"
    numbered_duckdb(path, len(MIGRATIONS))
    later = Migration("test_later_table", "CREATE TABLE later (x INTEGER);")
    monkeypatch.setattr(base, "MIGRATIONS", (*MIGRATIONS, later))
    store = DuckDBStore(path)
    assert sorted(r[0] for r in store.fetch_all("SELECT name FROM schema_migrations")) == sorted(
        [*NUMBERED, "test_later_table"])
    assert store.fetch_one("SELECT max(version) FROM schema_version")[0] == len(MIGRATIONS) + 1
    store.close()
    monkeypatch.undo()
    with pytest.raises(StoreUnavailable) as refused:
        DuckDBStore(path)
    assert (f"schema {len(MIGRATIONS) + 1}, with migrations this version does not know: test_later_table; this "
            f"version knows up to {len(MIGRATIONS)}") in str(refused.value)
    left = duckdb.connect(str(path), read_only=True)
    assert left.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS) + 1
    left.close()


def test_migration_names_are_unique_and_the_numbered_ones_keep_their_order():
    names = [m.name for m in MIGRATIONS]
    assert len(set(names)) == len(names)
    assert tuple(names[:len(NUMBERED)]) == NUMBERED
    # Only what PostgreSQL spells differently has a text of its own (empty list values).
    assert [m.name for m in MIGRATIONS if m.postgres] == ["assumed_rules", "incentive_terms"]
    for migration in MIGRATIONS:
        postgres = migration.script("postgres")
        assert "DEFAULT []" not in postgres and "= []" not in postgres and "'{}'" not in migration.sql
