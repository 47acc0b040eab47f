"""Opening the store: a damaged file or one from a newer app version is refused with what to do."""

import pytest

from lib.store import MIGRATIONS, DuckDBStore, StoreUnavailable, close_all, open_store


def test_a_store_from_a_newer_version_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "radar.duckdb"
    store = open_store(path)
    with store.transaction() as cur:
        cur.execute("INSERT INTO schema_version VALUES (?, now())", [len(MIGRATIONS) + 1])
    before = store.table_checksums()
    close_all()
    with pytest.raises(StoreUnavailable) as refused:
        DuckDBStore(path)
    assert f"schema {len(MIGRATIONS) + 1}" in str(refused.value) and str(path) in str(refused.value)
    reopened = DuckDBStore(path, read_only=True)  # the refusal closed its connection and changed nothing
    assert reopened.table_checksums() == before
    reopened.close()


def test_a_damaged_file_is_refused_not_overwritten(tmp_path):
    path = tmp_path / "radar.duckdb"
    path.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(StoreUnavailable) as refused:
        open_store(path)
    assert "cannot be opened" in str(refused.value) and "make store" in str(refused.value)
    assert path.read_bytes() == b"\x00garbage" * 1000


def test_commits_counts_committed_transactions_only(store):
    """The per-run memo of the ranking version (lib/ui/state.py) reads it again after a commit in the process."""
    import pytest

    before = store.commits
    with store.transaction(ranking=False) as cur:
        cur.execute("SELECT 1")
    assert store.commits == before + 1
    with pytest.raises(RuntimeError), store.transaction() as cur:
        cur.execute("SELECT 1")
        raise RuntimeError("rolled back")
    assert store.commits == before + 1
