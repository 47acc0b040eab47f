"""Shared fixtures.

- `backend`: "duckdb", or also "postgres" for the modules in BOTH_BACKENDS (each of their tests runs twice).
- `store`: a real store built from the committed seed CSVs: a DuckDB file in tmp_path, or a fresh PostgreSQL
  database copied from a seeded template database on the server RADAR_TEST_DATABASE_URL names.
- `universe`: the companies and criterion values computed from that store.
- `app_db`: points RADAR_DB (or RADAR_DATABASE_URL) at a fresh store and clears Streamlit caches, for AppTest.
The app runs as a local single-user run (RADAR_LOCAL_EDITOR=1) unless a test gives it secrets.
Tests never open data/*.duckdb. Without RADAR_TEST_DATABASE_URL the postgres runs skip with the reason, unless
RADAR_REQUIRE_POSTGRES=1 (CI: .ci/run starts a server with scripts/pg_test_server.sh), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lib import store as store_module
from lib.radar import load_universe

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m lib ARGS` in a process of its own, from the project root, output captured as text."""
    return subprocess.run([sys.executable, "-m", "lib", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


APP = str(ROOT / "app.py")
# The app under test is a local single-user run (what `make run` sets), unless a test gives it secrets:
# without this explicit setting the app fails closed and everyone is a viewer.
os.environ.setdefault("RADAR_LOCAL_EDITOR", "1")


# Test modules whose tests run on PostgreSQL too: the data layer and its writers, and the pages that write.
BOTH_BACKENDS = {"test_store", "test_shortlist", "test_steward", "test_importer", "test_scenarios",
                 "test_status_history", "test_alerts", "test_outreach", "test_data_page", "test_pages",
                 "test_share_and_roles", "test_tiers", "test_weighting_page", "test_sign_in", "test_screening"}


def pytest_generate_tests(metafunc):
    if ("backend" in metafunc.fixturenames and metafunc.module.__name__.rpartition(".")[2] in BOTH_BACKENDS
            and not metafunc.definition.get_closest_marker("duckdb_only")):
        metafunc.parametrize("backend", ["duckdb", "postgres"], indirect=True)


@pytest.fixture
def backend(request) -> str:
    return getattr(request, "param", "duckdb")


def _server_url(database: str) -> str:
    """RADAR_TEST_DATABASE_URL naming another database (the server's other databases are left alone)."""
    from lib.store.postgres import with_database

    return with_database(os.environ["RADAR_TEST_DATABASE_URL"], database)


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(os.environ["RADAR_TEST_DATABASE_URL"], autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def pg_template():
    """A seeded database to copy for each test (CREATE DATABASE ... TEMPLATE: far faster than seeding)."""
    if not os.environ.get("RADAR_TEST_DATABASE_URL"):
        if os.environ.get("RADAR_REQUIRE_POSTGRES") == "1":
            pytest.fail("RADAR_REQUIRE_POSTGRES=1 but RADAR_TEST_DATABASE_URL is not set (scripts/pg_test_server.sh)")
        pytest.skip("PostgreSQL tests need RADAR_TEST_DATABASE_URL (start one with scripts/pg_test_server.sh)")
    name = f"radar_template_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE DATABASE {name}")
    seeded = store_module.connect(_server_url(name))
    seeded.load_seed()
    seeded.close()
    yield name
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _scratch_database(prefix: str, template: str | None = None) -> Iterator[str]:
    """A PostgreSQL database of the test's own (a copy of `template`, or empty), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    yield _server_url(name)
    store_module.close_all()
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_database(pg_template):
    """The URL of a fresh seeded PostgreSQL database of this test's own, dropped afterwards."""
    yield from _scratch_database("radar_test", pg_template)


@pytest.fixture
def empty_pg_database(pg_template):
    """The URL of an empty PostgreSQL database (no schema yet), dropped afterwards."""
    yield from _scratch_database("radar_empty")


@pytest.fixture(scope="session")
def duckdb_template(tmp_path_factory) -> Path:
    """A seeded DuckDB file built once per run; each test gets a copy (seeding loads the sanctions lists too, and a
    run builds hundreds of stores)."""
    path = tmp_path_factory.mktemp("template") / "seeded.duckdb"
    store_module.open_store(path).close()
    store_module.close_all()
    return path


def seeded_duckdb(template: Path, path: Path) -> Path:
    """A fresh seeded store file at `path`: a copy of the template (its own file, inode and location)."""
    shutil.copyfile(template, path)
    return path


@pytest.fixture
def database(request, backend, tmp_path):
    """Where a fresh seeded store is: a DuckDB file (a copy of the seeded template), or a PostgreSQL URL."""
    if backend == "duckdb":
        return seeded_duckdb(request.getfixturevalue("duckdb_template"), tmp_path / "radar.duckdb")
    return request.getfixturevalue("pg_database")


@pytest.fixture
def store(database):
    db = store_module.open_store(database)
    yield db
    store_module.close_all()


@pytest.fixture
def universe(store):
    return load_universe(store)


@pytest.fixture
def app_db(tmp_path, monkeypatch, backend, request):
    """A fresh store for the app under test (a path, or a URL on PostgreSQL); Streamlit caches cleared around it."""
    import streamlit as st

    path = tmp_path / "app.duckdb" if backend == "duckdb" else request.getfixturevalue("database")
    monkeypatch.setenv("RADAR_DB", str(tmp_path / "app.duckdb"))
    if backend == "postgres":
        monkeypatch.setenv("RADAR_DATABASE_URL", path)
    else:
        monkeypatch.delenv("RADAR_DATABASE_URL", raising=False)
        # built as `make run` builds it (here: a copy of that build): the app never creates a store itself
        seeded_duckdb(request.getfixturevalue("duckdb_template"), path)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()
    store_module.close_all()


def shown(markdown: str) -> str:
    """What a user reads of a Markdown text written with lib.i18n.md_text (escapes and colon entities undone)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("&#58;", ":")
