"""Several app processes on one PostgreSQL database: each has its own Store (its own connection pool), as two
replicas do. What one writes the other reads on its next query; a stale save is refused whichever saves last;
concurrent edits are neither lost nor doubled, and every one is in the audit log."""

from __future__ import annotations

import subprocess
import threading

import pytest

from lib.auth import User
from lib.models import Filters, ScoringSettings
from lib.shortlist import StaleEntryError, add_to_shortlist, get_entry, update_entry
from lib.store import close_all, connect, open_store
from lib.store.postgres import PostgresStore, to_pyformat
from tests.conftest import ROOT, run_cli

EDITOR = User(name="Aigerim", role="editor")
OTHER = User(name="Daniyar", role="editor")
VIEW = (ScoringSettings(), Filters())



@pytest.fixture
def replicas(pg_database):
    """Two independent stores on one database, as two app processes hold them."""
    first, second = PostgresStore(pg_database), PostgresStore(pg_database)
    yield first, second
    first.close()
    second.close()


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT ? FROM t WHERE a = ?", "SELECT %s FROM t WHERE a = %s"),
    ("SELECT '?' , x LIKE ?", "SELECT '?' , x LIKE %s"),
    ("SELECT 'it''s ?%' WHERE b LIKE '%x'", "SELECT 'it''s ?%%' WHERE b LIKE '%%x'"),
    ("SELECT 5 % 2", "SELECT 5 %% 2"),
])
def test_question_mark_parameters_become_psycopg_parameters_outside_literals(sql, expected):
    assert to_pyformat(sql) == expected


def test_a_write_in_one_replica_is_read_by_the_other_and_moves_its_data_version(replicas):
    first, second = replicas
    version = second.data_version()
    add_to_shortlist(first, EDITOR, [{"company_id": 1, "score": 0.5, "rank": 1}], VIEW)
    assert second.data_version() > version  # the other replica's ranking cache key changed
    assert get_entry(second, 1).stage == "Identified"


def test_a_stale_save_is_refused_in_either_replica(replicas):
    first, second = replicas
    add_to_shortlist(first, EDITOR, [{"company_id": 1, "score": 0.5, "rank": 1}], VIEW)
    update_entry(second, OTHER, 1, {"owner": "Daniyar"}, expected_version=1)
    with pytest.raises(StaleEntryError) as refused:
        update_entry(first, EDITOR, 1, {"owner": "Aigerim"}, expected_version=1)
    assert refused.value.latest.owner == "Daniyar" and refused.value.changed_by == "Daniyar"


def test_concurrent_edits_are_each_saved_once_or_refused_as_conflicts(replicas):
    first, second = replicas
    add_to_shortlist(first, EDITOR, [{"company_id": c, "score": 0.5, "rank": c} for c in range(1, 5)], VIEW)
    outcomes: list[str] = []
    lock = threading.Lock()

    def edit(store, worker: int) -> None:
        for step in range(10):
            company = 1 + (worker + step) % 4
            entry = get_entry(store, company)
            try:
                update_entry(store, EDITOR, company, {"next_step": f"w{worker} s{step}"}, entry.version)
                result = "saved"
            except StaleEntryError:
                result = "conflict"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=edit, args=(first if w % 2 else second, w)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    saved = outcomes.count("saved")
    assert len(outcomes) == 80 and saved > 0
    audited = first.fetch_one("SELECT count(*) FROM audit_log WHERE action = 'shortlist_update'")[0]
    versions = first.fetch_one("SELECT sum(version - 1) FROM shortlist")[0]
    assert audited == saved == versions  # nothing lost, nothing doubled


def test_concurrent_adds_of_one_company_add_it_once(replicas):
    results = []
    threads = [threading.Thread(target=lambda s=s: results.append(
        add_to_shortlist(s, EDITOR, [{"company_id": 7, "score": 0.5, "rank": 1}], VIEW))) for s in replicas * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(r.added) for r in results) == 1 and sum(len(r.already) for r in results) == 7


def test_migrate_round_trips_the_seed_store_with_identical_counts_and_checksums(empty_pg_database, tmp_path):
    source = tmp_path / "seed.duckdb"
    duck = open_store(source)
    add_to_shortlist(duck, EDITOR, [{"company_id": 1, "score": 0.5, "rank": 1}], VIEW)
    update_entry(duck, EDITOR, 1, {"owner": "Aigerim"}, expected_version=1)
    want = duck.table_checksums()
    close_all()
    there = run_cli("--db", str(source), "migrate", "--to", empty_pg_database)
    assert there.returncode == 0, there.stderr
    assert f"audit_log: {want['audit_log'][0]} rows, sha256 {want['audit_log'][1][:16]}" in there.stdout
    back = tmp_path / "back.duckdb"
    again = run_cli("--db", empty_pg_database, "migrate", "--to", str(back))
    assert again.returncode == 0, again.stderr
    assert connect(empty_pg_database).table_checksums() == want == connect(back).table_checksums()
    refused = run_cli("--db", str(source), "migrate", "--to", str(back))  # never over an existing store
    assert refused.returncode == 3 and "is not empty" in refused.stderr
    # The copy's sequences continue after the copied ids: the next write gets a new audit id.
    copy = open_store(empty_pg_database)
    update_entry(copy, EDITOR, 1, {"owner": "Daniyar"}, expected_version=2)
    assert copy.fetch_one("SELECT count(*) FROM audit_log")[0] == want["audit_log"][0] + 1


def test_deploy_roles_let_the_app_write_rows_but_not_drop_tables(pg_template):
    import os
    import uuid
    from urllib.parse import quote

    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    admin = os.environ["RADAR_TEST_DATABASE_URL"]
    server = conninfo_to_dict(admin)
    tag = uuid.uuid4().hex[:8]
    owner, app, database = f"radar_owner_{tag}", f"radar_app_{tag}", f"radar_roles_{tag}"

    def url(role: str) -> str:
        where = "&".join(f"{k}={quote(str(server[k]), safe='/')}" for k in ("host", "port") if server.get(k))
        return f"postgresql://{role}@/{database}?{where}"

    made = subprocess.run(["psql", admin, "-v", "ON_ERROR_STOP=1", "-v", f"owner_role={owner}", "-v",
                           f"app_role={app}", "-v", f"database={database}", "-v", "owner_password=o", "-v",
                           "app_password=a", "-f", str(ROOT / "deploy" / "postgres_roles.sql")],
                          capture_output=True, text=True, timeout=60)
    try:
        assert made.returncode == 0, made.stderr
        built = run_cli("--db", url(owner), "build")  # the owner creates the schema and loads the seed
        assert built.returncode == 0, built.stderr
        replica = PostgresStore(url(app))  # the app finds the schema current: it needs no DDL rights
        add_to_shortlist(replica, EDITOR, [{"company_id": 1, "score": 0.5, "rank": 1}], VIEW)
        update_entry(replica, EDITOR, 1, {"owner": "Aigerim"}, expected_version=1)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), replica.cursor() as cur:
            cur.execute("DROP TABLE audit_log")
        with pytest.raises(psycopg.errors.InsufficientPrivilege), replica.cursor() as cur:
            cur.execute("CREATE TABLE intruder (x INTEGER)")
        replica.close()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            conn.execute(f"DROP ROLE IF EXISTS {owner}")
            conn.execute(f"DROP ROLE IF EXISTS {app}")


def test_a_shortlist_edit_keeps_the_ranking_snapshot_an_import_renews_it(replicas):
    from lib.importer import apply_import, preview_import

    first, second = replicas
    ranking, everything = second.ranking_version(), second.data_version()
    add_to_shortlist(first, EDITOR, [{"company_id": 1, "score": 0.5, "rank": 1}], VIEW)
    assert second.ranking_version() == ranking and second.data_version() == everything + 1
    data = (ROOT / "tests" / "fixtures" / "imports" / "yale_celi.csv").read_bytes()
    apply_import(first, EDITOR, preview_import(first, data, "yale_celi.csv"))
    assert second.ranking_version() == ranking + 1 and second.data_version() == everything + 2


def test_a_database_from_a_newer_version_is_refused_and_left_alone(pg_database):
    from lib.store import MIGRATIONS, StoreUnavailable

    store = PostgresStore(pg_database)
    with store.transaction() as cur:
        cur.execute("INSERT INTO schema_version VALUES (?, now())", [len(MIGRATIONS) + 1])
    store.close()
    with pytest.raises(StoreUnavailable, match=f"schema {len(MIGRATIONS) + 1}"):
        PostgresStore(pg_database)


def test_an_import_previewed_before_a_shortlist_edit_still_applies(replicas):
    from lib.importer import apply_import, preview_import

    first, second = replicas
    data = (ROOT / "tests" / "fixtures" / "imports" / "yale_celi.csv").read_bytes()
    preview = preview_import(first, data, "yale_celi.csv")
    add_to_shortlist(second, EDITOR, [{"company_id": 1, "score": 0.5, "rank": 1}], VIEW)  # the app serves meanwhile
    assert apply_import(first, EDITOR, preview).added == 2
