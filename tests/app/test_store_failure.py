"""A store that breaks while the app serves (issue 28): one clear message for the visitor, without the server's
path; the path and what to do in the operator's log; with RADAR_EXIT_ON_FATAL=1 the process exits for its
supervisor to restart it. DuckDB only: these are faults of a store file."""

from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

from lib import store as store_module
from tests.conftest import APP, shown


def _corrupt_data_blocks(path) -> None:
    """Noise in the data blocks (the headers stay): the file may open, and fails when the data is read. Several
    places, so that the company data is hit whatever else the store holds (the sanctions lists are large)."""
    size = path.stat().st_size
    with path.open("r+b") as fh:
        for eighth in range(1, 8):
            fh.seek(size * eighth // 8)
            fh.write(bytes(range(256)) * 32)


def _everything_shown(at: AppTest) -> str:
    kinds = ("error", "warning", "info", "caption", "markdown", "title")
    texts = [e.value for kind in kinds for e in getattr(at, kind)]
    return shown("\n".join(map(str, texts)))


@pytest.fixture
def exits(monkeypatch) -> list[int]:
    """Records os._exit's status instead of ending the test run."""
    codes: list[int] = []
    monkeypatch.setattr(os, "_exit", codes.append)
    return codes


def test_a_store_damaged_in_its_data_is_one_message_without_the_path(app_db, caplog, exits):
    store_module.close_all()
    _corrupt_data_blocks(app_db)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    (error,) = at.error
    assert "data store cannot be opened" in shown(error.value)
    assert app_db.name not in _everything_shown(at) and str(app_db.parent) not in _everything_shown(at)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert str(app_db) in logged and "make store" in logged
    assert exits == []  # without RADAR_EXIT_ON_FATAL the process keeps serving (the file may be restored)


def test_a_store_deleted_while_serving_stops_writes_and_exits_when_told(app_db, caplog, exits, monkeypatch):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and len(at.dataframe[0].value) >= 300
    app_db.unlink()
    monkeypatch.setenv("RADAR_EXIT_ON_FATAL", "1")
    at.run()
    assert exits == [3]
    assert not at.exception, [e.value for e in at.exception]
    (error,) = at.error
    assert "deleted or replaced" in shown(error.value) and app_db.name not in _everything_shown(at)
    assert any(str(app_db) in r.getMessage() and "deleted" in r.getMessage() for r in caplog.records)
    assert not app_db.exists()  # never re-created as an empty store
