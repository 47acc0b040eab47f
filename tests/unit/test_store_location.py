"""Store locations (issue 28): one parser; a mistyped URL or path is refused with a clear message and never becomes
a new DuckDB file; only `build` (or an explicit create) makes a store."""

import subprocess
import sys

import pytest

from lib import store as store_module
from lib.store import StoreLocationError, StoreUnavailable, database_location, open_store, parse_location
from tests.conftest import ROOT


@pytest.mark.parametrize("text", [
    "postgresql://radar@db.local:5432/radar", "postgres://radar@db.local:5432/radar",
    "postgresql+psycopg://radar@db.local:5432/radar", "PostgreSQL://radar@db.local:5432/radar",
    "  POSTGRES://radar@db.local:5432/radar\n",
])
def test_every_postgresql_spelling_is_one_url(text):
    assert parse_location(text) == store_module.StoreLocation("postgres", "postgresql://radar@db.local:5432/radar")


@pytest.mark.parametrize(("text", "says"), [
    ("postgres:/postgres@/radar", "two slashes"),
    ("postgresql:/postgres@localhost/radar", "two slashes"),
    ("postgresql:radar@localhost/radar", "two slashes"),
    ("mysql://radar:hunter2@localhost/radar", "scheme mysql://"),
    ("postgresql+psycopg2x://radar:hunter2@localhost/radar", "not a database this app knows"),
    ("sqlite:///data/radar.db", "scheme sqlite://"),
    ("://localhost/radar", "no scheme"),
    ("   ", "is empty"),
])
def test_a_mistyped_location_is_refused_without_its_password(text, says, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreLocationError, match=says) as refused:
        open_store(text)
    assert "hunter2" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []  # nothing was created under the URL's name


def test_a_path_with_blanks_is_the_file(tmp_path):
    assert parse_location(f"  {tmp_path / 'radar.duckdb'} ").value == str(tmp_path / "radar.duckdb")


def test_a_missing_store_is_created_only_when_asked(tmp_path):
    missing = tmp_path / "typo.duckbd"
    with pytest.raises(StoreUnavailable, match="There is no store at .*make store"):
        open_store(missing, create=False)
    assert not missing.exists()
    built = open_store(missing)
    assert built.is_seeded()
    store_module.close_all()


def test_the_environment_says_which_variable_is_wrong(monkeypatch, tmp_path):
    monkeypatch.delenv("RADAR_DATABASE_URL", raising=False)
    monkeypatch.setenv("RADAR_DB", "postgresql://radar@localhost/radar")
    with pytest.raises(StoreLocationError, match="RADAR_DB names a DuckDB file"):
        database_location()
    monkeypatch.setenv("RADAR_DB", "postgres:/radar@localhost/radar")
    with pytest.raises(StoreLocationError, match="RADAR_DB 'postgres:/radar@localhost/radar' looks like"):
        database_location()
    monkeypatch.setenv("RADAR_DATABASE_URL", str(tmp_path / "radar.duckdb"))
    with pytest.raises(StoreLocationError, match="RADAR_DATABASE_URL must be a postgresql:// URL"):
        database_location()
    monkeypatch.setenv("RADAR_DATABASE_URL", " PostgreSQL://radar@localhost/radar ")
    assert database_location() == "postgresql://radar@localhost/radar"


def test_the_cli_refuses_a_typo_and_builds_only_with_build(tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "lib", *args], cwd=tmp_path, capture_output=True, text=True,
                              timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})

    typo = cli("--db", "postgres:/postgres@/radar", "rank", "--top", "1")
    assert typo.returncode == 3 and "two slashes" in typo.stderr and "Traceback" not in typo.stderr
    missing = cli("--db", str(tmp_path / "radar.duckdb"), "rank", "--top", "1")
    assert missing.returncode == 3 and "There is no store" in missing.stderr
    assert list(tmp_path.iterdir()) == []
    built = cli("--db", str(tmp_path / "radar.duckdb"), "build")
    assert built.returncode == 0, built.stderr
    assert cli("--db", str(tmp_path / "radar.duckdb"), "rank", "--top", "1").returncode == 0


def test_the_app_names_a_missing_store_and_creates_nothing(tmp_path, monkeypatch, caplog):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    missing = tmp_path / "radar.duckdb"
    monkeypatch.setenv("RADAR_DB", str(missing))
    monkeypatch.delenv("RADAR_DATABASE_URL", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    # The operator's log names the file and how to build it; the visitor reads no server path.
    assert any("There is no store" in r.getMessage() and str(missing) in r.getMessage() and "make store" in
               r.getMessage() for r in caplog.records)
    assert any("data store cannot be opened" in e.value and str(tmp_path) not in e.value for e in at.error)
    assert not missing.exists()
    st.cache_resource.clear()
