"""Status history: every tracker's status an observation; the current one derived by the stated rule; the upgrade
of older stores (companies.status and tracker_statuses) on both backends; `python -m lib history`."""

from __future__ import annotations

import json
import subprocess
from datetime import date

import psycopg
import pytest

from lib import status_history
from lib import store as store_module
from lib.store import MIGRATIONS, DuckDBStore, Store, connect
from tests.conftest import run_cli


def observe(store, company_id: int, tracker: str, status: str, status_date: date | None, recorded: date,
            grade: str | None = None) -> list[status_history.StatusChange]:
    with store.transaction() as cur:
        cur.execute("INSERT INTO status_observations (company_id, tracker, status, tracker_grade, status_date, "
                    "recorded_on, source) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [company_id, tracker, status, grade, status_date, recorded, f"test {tracker}"])
        return status_history.refresh_current(store, cur, [company_id], "test")


def company_id_of(store, name: str) -> int:
    return int(store.fetch_one("SELECT company_id FROM companies WHERE name = ?", [name])[0])


def test_the_seed_gives_every_company_its_first_observation(store):
    counts = store.fetch_one("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM status_observations), "
                             "(SELECT count(DISTINCT company_id) FROM status_observations)")
    assert counts[0] == counts[1] == counts[2] > 1000
    three_m = company_id_of(store, "3M")
    rows = status_history.history(store, three_m)
    assert list(zip(rows["tracker"], rows["status"], rows["current"], strict=True)) == [("yale", "Suspension", True)]
    assert rows.iloc[0]["date"] == rows.iloc[0]["recorded_on"] == date(2025, 5, 21)  # no date of Yale's own


def test_latest_date_wins_and_source_precedence_breaks_ties(store):
    cid = company_id_of(store, "3M")
    # An older KSE status does not displace Yale's newer one, but is kept in the history.
    assert observe(store, cid, "kse", "Withdrawal", date(2024, 1, 1), date(2026, 12, 1)) == []
    assert store.company(cid)["status"] == "Suspension"
    # A KSE status dated the same day as Yale's list wins the tie (KSE before Yale), and changes the current status.
    [change] = observe(store, cid, "kse", "Digging in", date(2025, 5, 21), date(2026, 12, 1), "KSE continue")
    assert (change.before, change.after, change.tracker) == ("Suspension", "Digging in", "kse")
    company = store.company(cid)
    assert (company["status"], company["tracker_grade"]) == ("Digging in", "KSE continue")
    # Own research on the same date beats both.
    [change] = observe(store, cid, "research", "Scaling back", date(2025, 5, 21), date(2026, 12, 2))
    assert change.after == store.company(cid)["status"] == "Scaling back"
    rows = status_history.history(store, cid)
    assert len(rows) == 4 and rows["current"].sum() == 1
    assert rows.loc[rows["current"], "tracker"].item() == "research"
    assert list(rows["date"]) == sorted(rows["date"])  # time order
    audit = store.fetch_df("SELECT before, after FROM audit_log WHERE action = 'status_current' ORDER BY audit_id")
    assert len(audit) == 2 and '"Digging in"' in audit.iloc[1]["before"]


def test_disagreements_compare_each_trackers_latest_word(store):
    cid = company_id_of(store, "3M")
    assert cid not in status_history.disagreements(store)
    observe(store, cid, "kse", "Withdrawal", date(2026, 8, 24), date(2026, 8, 24))
    assert status_history.disagreements(store)[cid] == (
        "KSE Institute: Withdrawal (2026-08-24); Yale CELI: Suspension (2025-05-21)")
    assert status_history.disagreeing_ids(store) == {cid} == set(status_history.disagreements(store, [cid]))
    observe(store, cid, "yale", "Withdrawal", date(2026, 9, 1), date(2026, 9, 1))  # Yale now agrees
    assert cid not in status_history.disagreements(store) and not status_history.disagreeing_ids(store)


# -- the upgrade of a store written before the history ------------------------------------------------
OLD_ROWS = [
    "INSERT INTO companies (company_id, company_key, name, status, tracker_grade, status_date, source, as_of) VALUES "
    "(1, 'a|x', 'A', 'Suspension', 'Yale CELI grade B', NULL, 'yale list', DATE '2025-05-21'), "
    "(2, 'b|x', 'B', 'Withdrawal', NULL, DATE '2024-02-01', 'agency sheet', DATE '2024-03-01')",
    "INSERT INTO tracker_statuses VALUES (1, 'kse', 'Withdrawal', 'KSE Institute status: transfer', "
    "DATE '2026-08-24', 'kse file', DATE '2026-08-24')",
]


def check_upgraded(store: Store) -> None:
    rows = store.fetch_all("SELECT company_id, tracker, status, status_date, recorded_on, source "
                           "FROM status_observations ORDER BY company_id, observation_id")
    assert rows == [(1, "yale", "Suspension", None, date(2025, 5, 21), "yale list"),
                    (1, "kse", "Withdrawal", date(2026, 8, 24), date(2026, 8, 24), "kse file"),
                    (2, "research", "Withdrawal", date(2024, 2, 1), date(2024, 3, 1), "agency sheet")]
    # The current status follows the rule: KSE's later status is now company 1's.
    assert store.fetch_all("SELECT company_id, status, tracker_grade FROM companies ORDER BY 1") == [
        (1, "Withdrawal", "KSE Institute status: transfer"), (2, "Withdrawal", None)]
    assert store.fetch_one("SELECT to_regclass('tracker_statuses') IS NULL")[0] if store.dialect == "postgres" \
        else not store.fetch_all("SELECT * FROM duckdb_tables() WHERE table_name = 'tracker_statuses'")
    assert store.fetch_one("SELECT count(*) FROM alerts")[0] == 0


def test_a_duckdb_store_from_before_the_history_upgrades(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
    for number, migration in enumerate(MIGRATIONS[:-1], start=1):
        con.execute(migration.sql)
        con.execute("INSERT INTO schema_version VALUES (?, now())", [number])
    for sql in OLD_ROWS:
        con.execute(sql)
    con.close()
    store = DuckDBStore(path)
    check_upgraded(store)
    store.close()


def test_a_postgres_store_from_before_the_history_upgrades(empty_pg_database):
    with psycopg.connect(empty_pg_database, autocommit=True) as conn:
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
        for number, migration in enumerate(MIGRATIONS[:-1], start=1):
            conn.execute(migration.script("postgres"))
            conn.execute("INSERT INTO schema_version VALUES (%s, now())", [number])
        for sql in OLD_ROWS:
            conn.execute(sql)
    store = connect(empty_pg_database)
    check_upgraded(store)
    store.close()


# -- the command line ---------------------------------------------------------------------------------
@pytest.mark.duckdb_only
def test_cli_history_prints_one_company_in_time_order(store):
    cid = company_id_of(store, "3M")
    observe(store, cid, "kse", "Withdrawal", date(2026, 8, 24), date(2026, 8, 24))
    path = str(store.path)
    store_module.close_all()  # the CLI opens the file in a process of its own

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_cli("--db", path, *args)

    done = run("history", "--company", "3m", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["date"], r["tracker"], r["status"], r["current"]) for r in rows] == [
        ("2025-05-21", "yale", "Suspension", False), ("2026-08-24", "kse", "Withdrawal", True)]
    assert rows[1]["source"] == "test kse"
    missing = run("history", "--company", "Nobody Ltd")
    assert missing.returncode == 2 and "no company named 'Nobody Ltd'" in missing.stderr
