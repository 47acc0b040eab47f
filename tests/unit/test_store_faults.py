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


def test_a_store_that_cannot_be_reopened_tells_the_operator_where_and_the_visitor_nothing_of_it(tmp_path,
                                                                                                monkeypatch):
    store = open_store(tmp_path / "radar.duckdb")
    monkeypatch.setattr(store, "fetch_one", Invalidated(store))
    monkeypatch.setattr(store_module, "open_store", lambda path: (_ for _ in ()).throw(
        duckdb.IOException("IO Error: No space left on device")))
    with pytest.raises(StoreUnavailable) as caught:
        check_usable(store)
    assert str(tmp_path / "radar.duckdb") in str(caught.value) and "make store" in str(caught.value)
    assert "No space left on device" in str(caught.value)
    assert "radar.duckdb" not in caught.value.public and "server log" in caught.value.public
    store_module.close_all()


def test_fatal_errors_are_told_from_ordinary_ones():
    assert is_fatal(duckdb.FatalException("x")) and is_fatal(duckdb.IOException("No space left on device"))
    assert not is_fatal(duckdb.CatalogException("Table with name nope does not exist"))


# -- a store file deleted or replaced under the running app (issue 28) --------------------------------
def _scenario_names(store) -> list[str]:
    return [row[0] for row in store.fetch_all("SELECT name FROM scenarios ORDER BY name")]


def test_a_deleted_store_file_refuses_writes_instead_of_losing_them(tmp_path):
    from lib.auth import LOCAL_USER
    from lib.scenarios import save_scenario
    from lib.store import StoreReplaced
    from lib.viewstate import ViewState

    path = tmp_path / "radar.duckdb"
    store = open_store(path)
    path.unlink()  # an operator's `rm`, a clean-up job, a redeploy that wipes data/
    with pytest.raises(StoreReplaced, match="deleted") as refused:
        save_scenario(store, LOCAL_USER, "Q3", ViewState())
    assert str(path) in str(refused.value) and "make store" in str(refused.value)  # the operator's message
    assert str(tmp_path) not in refused.value.public  # what a visitor may read
    # The next run finds out too, and never creates an empty store in its place.
    with pytest.raises(StoreUnavailable, match="deleted"):
        check_usable(store)
    assert not path.exists()
    store_module.close_all()


def test_a_replaced_store_file_refuses_writes_and_the_next_run_opens_the_new_file(tmp_path):
    from lib.auth import LOCAL_USER
    from lib.scenarios import save_scenario
    from lib.store import StoreReplaced, connect
    from lib.viewstate import ViewState

    path = tmp_path / "radar.duckdb"
    store = open_store(path)
    save_scenario(store, LOCAL_USER, "Before", ViewState())
    restored = connect(tmp_path / "restored.duckdb")  # e.g. a backup moved into place with `mv`
    restored.load_seed()
    restored.close()
    (tmp_path / "restored.duckdb").replace(path)
    with pytest.raises(StoreReplaced, match="replaced"):
        save_scenario(store, LOCAL_USER, "Lost?", ViewState())
    fresh = check_usable(store)
    assert fresh is not store and _scenario_names(fresh) == []  # the file now at the path, not the old one
    save_scenario(fresh, LOCAL_USER, "After", ViewState())
    store_module.close_all()
    assert _scenario_names(open_store(path, create=False)) == ["After"]
    store_module.close_all()


# -- a corrupt store (issue 28) ----------------------------------------------------------------------
def _corrupt_copy(tmp_path, offsets_of):
    """A seeded store file with 8 KiB of noise written at each of offsets_of(size)."""
    path = tmp_path / "corrupt.duckdb"
    built = store_module.connect(path)
    built.load_seed()
    built.close()
    size = path.stat().st_size
    with path.open("r+b") as fh:
        for offset in offsets_of(size):
            fh.seek(offset)
            fh.write(bytes(range(256)) * 32)
    return path


# "data": several data blocks, so the company data is hit whatever else the store holds (the sanctions lists)
@pytest.mark.parametrize("where", [lambda size: [4096 + 100], lambda size: [size * k // 8 for k in range(1, 8)]],
                         ids=["header", "data"])
def test_a_corrupt_store_is_one_clear_message_in_the_cli_without_a_traceback(tmp_path, where):
    import subprocess
    import sys

    from tests.conftest import ROOT

    path = _corrupt_copy(tmp_path, where)
    result = subprocess.run([sys.executable, "-m", "lib", "--db", str(path), "rank", "--top", "3"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert str(path) in result.stderr and "make store" in result.stderr and "backup" in result.stderr


def test_a_corrupt_store_met_while_reading_becomes_store_unavailable(tmp_path):
    from lib.store import as_store_problem

    path = _corrupt_copy(tmp_path, lambda size: [size * k // 8 for k in range(1, 8)])
    store = store_module.connect(path, create=False)
    with pytest.raises(duckdb.Error) as caught:
        for table in store_module.TABLES:
            store.fetch_all(f"SELECT * FROM {table}")
    problem = as_store_problem(caught.value, store)
    assert isinstance(problem, StoreUnavailable) and str(path) in str(problem) and "make store" in str(problem)
    assert str(tmp_path) not in problem.public
    assert as_store_problem(duckdb.CatalogException("Table with name nope does not exist"), store) is None
    store.close()
