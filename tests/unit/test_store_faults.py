"""A store whose connection a fault invalidated (disk full) is reopened once the cause is gone; meanwhile the
message names the file, not the server's path, and nothing is lost."""

import duckdb
import pytest

from lib import store as store_module
from lib.store import StoreUnavailable, check_usable, is_fatal, open_store


class Invalidated:
    """What DuckDB raises on every query after a write hit 'No space left on device'."""

    def __init__(self, store):
        self.store = store

    def __call__(self, *args, **kwargs):
        raise duckdb.FatalException("FATAL Error: Failed: database has been invalidated because of a previous "
                                    "fatal error. The database must be restarted prior to being used again.")


def test_an_invalidated_connection_is_replaced_by_a_fresh_one(tmp_path, monkeypatch):
    store = open_store(tmp_path / "radar.duckdb")
    companies = store.fetch_one("SELECT count(*) FROM companies")[0]
    monkeypatch.setattr(store, "fetch_one", Invalidated(store))
    fresh = check_usable(store)
    assert fresh is not store
    assert fresh.fetch_one("SELECT count(*) FROM companies")[0] == companies  # nothing lost
    assert open_store(tmp_path / "radar.duckdb") is fresh  # the process-wide store is the new one
    store_module.close_all()


def test_a_store_that_cannot_be_reopened_says_so_without_the_servers_path(tmp_path, monkeypatch):
    store = open_store(tmp_path / "radar.duckdb")
    monkeypatch.setattr(store, "fetch_one", Invalidated(store))
    monkeypatch.setattr(store_module, "open_store", lambda path: (_ for _ in ()).throw(
        duckdb.IOException("IO Error: No space left on device")))
    with pytest.raises(StoreUnavailable) as caught:
        check_usable(store)
    assert "radar.duckdb" in str(caught.value) and str(tmp_path) not in str(caught.value)
    assert "No space left on device" in str(caught.value)
    store_module.close_all()


def test_fatal_errors_are_told_from_ordinary_ones():
    assert is_fatal(duckdb.FatalException("x")) and is_fatal(duckdb.IOException("No space left on device"))
    assert not is_fatal(duckdb.CatalogException("Table with name nope does not exist"))
