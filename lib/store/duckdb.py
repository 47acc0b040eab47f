"""The DuckDB backend of the Store: one file, the default for `make run`, the tests and a laptop.

A DuckDBStore holds one root connection per process; every read or write opens its own cursor, so Streamlit
sessions (one thread each) never share a connection. Results are fetched completely because an open DuckDB result
keeps its cursor busy. One writer at a time (a process-wide lock); a write to a file that was deleted or replaced
under the connection is refused.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from lib.store.base import RESTORE_ADVICE, Cursor, Store, StoreBusyError, StoreReplaced, StoreUnavailable
from lib.store.schema import SEQUENCES

DuckDBError = duckdb.Error  # for lib.store, where the name `duckdb` is this module, not the library
# What DuckDB says when the file's bytes are damaged (found on opening, or later when a damaged block is read).
CORRUPT = ("corrupt database file", "not a valid duckdb database", "could not read enough bytes",
           "checksum", "serialization error")


def is_fatal(exc: BaseException) -> bool:
    """A DuckDB error after which the connection is unusable ("database has been invalidated", disk full)."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.FatalException) or "invalidated" in text or "no space left" in text


def reason(exc: BaseException) -> str:
    """The database's own words for what went wrong, without its error class, short enough for a message."""
    return str(exc).split(": ", 1)[-1].strip()[:300]


def unopenable(path: Path, exc: BaseException) -> StoreUnavailable:
    """The operator's message for a store file that cannot be opened or read: the path, the reason, what to do."""
    return StoreUnavailable(f"The store {path} cannot be opened or read ({reason(exc)}). {RESTORE_ADVICE}")


class DuckDBStore(Store):
    """A DuckDB file with the Relocation Radar schema."""

    dialect = "duckdb"
    update_advice = "Update the app (git pull, then make run), or open a backup made with this version."

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self._write_lock = threading.Lock()
        try:
            self._root = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreBusyError(
                    f"The store {self.path} is in use by another process (probably the running app). "
                    "Make the change on the app's Data page, stop the app first, or point RADAR_DB at a copy."
                ) from exc
            raise unopenable(self.path, exc) from exc
        except duckdb.Error as exc:  # "Corrupt database file: computed checksum ... does not match", and the like
            raise unopenable(self.path, exc) from exc
        # Which file this connection writes to: a write after the file was deleted or replaced is refused.
        self._file_id = self._current_file_id()
        if not read_only:
            try:
                self.migrate()
            except duckdb.Error as exc:
                self._root.close()
                raise unopenable(self.path, exc) from exc
            except StoreUnavailable:
                self._root.close()
                raise

    def close(self) -> None:
        self._root.close()

    @property
    def location(self) -> str:
        return str(self.path)

    def _current_file_id(self) -> tuple[int, int] | None:
        """(device, inode) of the file now at self.path; None when there is none."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return None
        return info.st_dev, info.st_ino

    def file_problem(self) -> StoreReplaced | None:
        """Why the file at self.path is no longer the one this connection writes to (deleted or replaced), or None.

        DuckDB keeps writing into a deleted file's inode without complaint: everything saved after an `rm` would be
        gone at the next restart. A copy written over the file in place keeps its inode and is not seen: stop the app
        before restoring a file (DEPLOY.md)."""
        now = self._current_file_id()
        if now == self._file_id:
            return None
        what = "deleted" if now is None else "replaced by another file"
        return StoreReplaced(
            f"The store file {self.path} was {what} while the app had it open. Changes are refused until the app "
            f"reopens the file; nothing was written to the old one since. {RESTORE_ADVICE} If the file was "
            "replaced on purpose (a restored backup), the app opens the new file on the next click.")

    def check_file(self) -> None:
        """Raise StoreReplaced when the store file was deleted or replaced (called in every write transaction)."""
        if problem := self.file_problem():
            raise problem

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor on the root connection: one per query or per thread."""
        return self._root.cursor()

    @contextmanager
    def write_transaction(self) -> Iterator[Cursor]:
        with self._write_lock, self.cursor() as cur:
            self.check_file()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                self.check_file()  # a long import may outlast the file: checked again just before COMMIT
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    @contextmanager
    def migration_session(self) -> Iterator[Cursor]:
        """The write lock: one migration at a time in this process (DuckDB's file lock keeps other processes out)."""
        with self._write_lock, self.cursor() as cur:
            yield cur

    def insert_rows(self, cur: Any, table: str, rows: pa.Table, conflict: Sequence[str] = ()) -> None:
        columns = ", ".join(rows.column_names)  # column names are the caller's constants, never user input
        upsert = ""
        if conflict:
            updates = ", ".join(f"{c} = excluded.{c}" for c in rows.column_names if c not in conflict)
            upsert = f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
        cur.register("new_rows", rows)
        try:
            cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM new_rows{upsert}")
        finally:
            cur.unregister("new_rows")

    def update_rows(self, cur: Any, table: str, key: str, rows: pa.Table, columns: Sequence[str]) -> None:
        cur.register("changed_rows", rows)
        try:
            assignments = ", ".join(f"{c} = CASE WHEN u.set_{c} THEN u.{c} ELSE {table}.{c} END" for c in columns)
            cur.execute(f"UPDATE {table} SET {assignments} FROM changed_rows u WHERE {table}.{key} = u.{key}")
        finally:
            cur.unregister("changed_rows")

    def insert_seed(self, cur: Any, table: str, rows: list[dict[str, Any]]) -> None:
        frame = pd.DataFrame(rows, dtype=object)
        columns = ", ".join(frame.columns)
        cur.register("seed_rows", frame)
        cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM seed_rows")
        cur.unregister("seed_rows")

    def table_rows(self, table: str) -> pa.Table:
        with self.cursor() as cur:
            return cur.sql(f"SELECT * FROM {table}").to_arrow_table()

    def reset_sequences(self) -> None:
        with self._write_lock, self.cursor() as cur:
            self.check_file()
            for sequence, (table, column) in SEQUENCES.items():
                # DuckDB has no setval: draw the sequence forward instead.
                stored = cur.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]
                drawn = cur.execute(f"SELECT nextval('{sequence}')").fetchone()[0]
                if stored >= drawn:
                    cur.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [stored - drawn])

    def export_database(self, folder: Path) -> None:
        """Write every table to `folder` with DuckDB's EXPORT DATABASE (schema.sql, load.sql, Parquet files)."""
        # The path is ours (a fresh temp folder), not user input; quotes are doubled all the same.
        target = str(folder).replace("'", "''")
        with self.cursor() as cur:
            cur.execute(f"EXPORT DATABASE '{target}' (FORMAT parquet)").fetchall()
