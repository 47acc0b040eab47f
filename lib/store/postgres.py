"""The PostgreSQL backend of the Store (RADAR_DATABASE_URL=postgresql://...): several app replicas on one database.

It answers the same methods as the DuckDB store, on the same named migrations (their PostgreSQL spelling where it
differs, lib/store/schema.py). Connections come from a small pool, one per cursor() or transaction(), so
Streamlit sessions (one thread each) never share one; reads run in autocommit, writes in READ COMMITTED
transactions whose row-level conditions (`WHERE version = ?`) keep concurrent saves from overwriting each other.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg.pq import TransactionStatus
from psycopg.types.string import TextLoader

from lib.store.base import Cursor, Store, StoreUnavailable, redacted
from lib.store.schema import SEQUENCES

# `?` outside quoted literals becomes psycopg's %s; every literal % is doubled (psycopg reads % everywhere).
_TOKENS = re.compile(r"'(?:[^']|'')*'|\?|%")
INTEGERS = {20: "Int64", 21: "Int32", 23: "Int32"}  # type OIDs: int8, int2, int4
FLOATS = {700, 701, 1700}  # float4, float8, numeric
DATES = {1082, 1114, 1184}  # date, timestamp, timestamptz
BOOL = 16
MIGRATION_LOCK = 8501  # pg_advisory_xact_lock key: replicas starting together migrate one at a time


def to_pyformat(sql: str) -> str:
    """A query written with `?` parameters (both backends) in psycopg's %s style."""
    def swap(match: re.Match[str]) -> str:
        token = match.group()
        return "%s" if token == "?" else "%%" if token == "%" else token.replace("%", "%%")
    return _TOKENS.sub(swap, sql)


def with_database(url: str, database: str) -> str:
    """The same server URL naming another database (postgresql://user@host/db?params)."""
    base, sep, query = url.partition("?")
    scheme, _slashes, rest = base.partition("//")
    return f"{scheme}//{rest.split('/', 1)[0]}/{database}{sep}{query}"


def _column(type_code: int, values: list[Any]) -> Any:
    """One result column with the dtype DuckDB's .df() gives it, so callers see the same frame on both backends."""
    missing = any(v is None for v in values)
    if type_code in INTEGERS:
        return pd.array(values, dtype=INTEGERS[type_code]) if missing else np.array(
            values, dtype=INTEGERS[type_code].lower())
    if type_code == BOOL:
        return pd.array(values, dtype="boolean") if missing else np.array(values, dtype=bool)
    if type_code in FLOATS:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    if type_code in DATES:
        return pd.to_datetime(pd.Series(values, dtype=object)).astype("datetime64[us]").to_numpy()
    return pd.Series(values, dtype=object).infer_objects().to_numpy() if values else np.array([], dtype=object)


class PgCursor:
    """A psycopg cursor that takes `?` parameters and has DuckDB's .df() and .to_arrow_table()."""

    def __init__(self, cursor: psycopg.Cursor) -> None:
        self._cur = cursor

    @property
    def description(self) -> Any:
        return self._cur.description

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgCursor:
        self._cur.execute(to_pyformat(sql), list(params or []))
        return self

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cur.executemany(to_pyformat(sql), rows)

    def run_script(self, sql: str) -> None:
        """Several statements without parameters (a migration's text): sent as they are, nothing converted."""
        self._cur.execute(sql)

    def copy_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Bulk-load rows with COPY (tens of thousands of list names in a second); names are the caller's constants."""
        with self._cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def copy_table(self, table: str, rows: pa.Table) -> None:
        """Bulk-load an Arrow table with one COPY in CSV (NULL unquoted, empty text quoted): 100,000 rows in well
        under a second, where executemany takes tens of seconds. Column names are the caller's constants."""
        buffer = io.BytesIO()
        # One chunk: pyarrow 26 writes garbage for a table whose first chunk is empty (as concat_tables makes).
        options = pa_csv.WriteOptions(include_header=False, quoting_style="needed")
        pa_csv.write_csv(rows.combine_chunks(), buffer, options)
        with self._cur.copy(f"COPY {table} ({', '.join(rows.column_names)}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())

    def fetchone(self) -> tuple | None:
        return self._cur.fetchone()

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()

    def df(self) -> pd.DataFrame:
        rows = self._cur.fetchall()
        names = [d.name for d in self._cur.description]
        frame = pd.DataFrame({i: _column(d.type_code, [r[i] for r in rows])
                              for i, d in enumerate(self._cur.description)})
        frame.columns = names
        return frame

    def to_arrow_table(self) -> pa.Table:
        rows = self._cur.fetchall()
        return pa.table({d.name: pa.array([r[i] for r in rows]) for i, d in enumerate(self._cur.description)})


class _Pool:
    """Idle connections kept for reuse; at most `size` out at once (a session waits rather than failing)."""

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self.url, autocommit=True)
        except psycopg.OperationalError as exc:
            raise StoreUnavailable(f"The database {redacted(self.url)} cannot be reached "
                                   f"({str(exc).strip().splitlines()[-1][:200]}).") from exc
        # JSON columns come back as their text, as from DuckDB (callers json.loads them).
        for name in ("json", "jsonb"):
            conn.adapters.register_loader(name, TextLoader)
        return conn

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        if not self._slots.acquire(timeout=60):
            raise StoreUnavailable(f"The database {redacted(self.url)} has no free connection after a minute.")
        conn = None
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                conn = self._connect()
            yield conn
        finally:
            if conn is not None:
                # A broken or still-open transaction is not handed to the next session.
                if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.close()
                else:
                    with self._lock:
                        self._idle.append(conn)
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            for conn in self._idle:
                conn.close()
            self._idle.clear()


class PostgresStore(Store):
    """A PostgreSQL database with the Relocation Radar schema."""

    dialect = "postgres"
    lock_for_update = " FOR UPDATE"

    def __init__(self, url: str, read_only: bool = False, pool_size: int = 20) -> None:
        self.url = url
        self.path = Path(redacted(url))  # only for messages that name the store
        self._pool = _Pool(url, pool_size)
        if not read_only:
            self.migrate()

    def close(self) -> None:
        self._pool.close()

    @property
    def location(self) -> str:
        return self.url

    @property
    def described(self) -> str:
        return f"The database {redacted(self.url)}"

    @contextmanager
    def cursor(self) -> Iterator[PgCursor]:
        with self._pool.connection() as conn, conn.cursor() as cur:
            yield PgCursor(cur)

    @contextmanager
    def write_transaction(self) -> Iterator[Cursor]:
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as raw:
            yield PgCursor(raw)

    @contextmanager
    def migration_session(self) -> Iterator[Cursor]:
        """One transaction for every migration, under an advisory lock: replicas starting together migrate one at a
        time, and a failed migration leaves the database as it was."""
        with self._pool.connection() as conn, conn.transaction(), conn.cursor() as raw:
            raw.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK])
            yield PgCursor(raw)

    @contextmanager
    def migration_step(self, cur: Cursor) -> Iterator[None]:
        yield  # inside migration_session's one transaction

    def run_script(self, cur: Any, sql: str) -> None:
        cur.run_script(sql)

    def migrate(self) -> int:
        try:
            return super().migrate()
        except psycopg.errors.InsufficientPrivilege as exc:
            raise StoreUnavailable(
                f"The database {redacted(self.url)} needs a schema upgrade that this role may not make. Run "
                "`python -m lib --db <the owner's URL> build` once (DEPLOY.md, PostgreSQL roles), then restart "
                "the replicas.") from exc

    def insert_rows(self, cur: Any, table: str, rows: pa.Table, conflict: Sequence[str] = ()) -> None:
        columns = rows.column_names  # the caller's constants, never user input
        if not conflict and rows.num_rows and not any(pa.types.is_nested(t) for t in rows.schema.types):
            cur.copy_table(table, rows)  # lists (text[] columns) and upserts go row by row below
            return
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _c in columns)})"
        if conflict:
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in conflict)
            sql += f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {updates}"
        cur.executemany(sql, [tuple(row[c] for c in columns) for row in rows.to_pylist()])

    def update_rows(self, cur: Any, table: str, key: str, rows: pa.Table, columns: Sequence[str]) -> None:
        for row in rows.to_pylist():
            changed = [c for c in columns if row[f"set_{c}"]]
            if changed:
                cur.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in changed)} WHERE {key} = ?",
                            [*(row[c] for c in changed), row[key]])

    def insert_seed(self, cur: Any, table: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            columns = list(rows[0])
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _c in columns)})",
                            [tuple(row[c] for c in columns) for row in rows])

    def table_rows(self, table: str) -> pa.Table:
        with self.cursor() as cur:
            return cur.execute(f"SELECT * FROM {table}").to_arrow_table()

    def reset_sequences(self) -> None:
        with self.cursor() as cur:
            for sequence, (table, column) in SEQUENCES.items():
                cur.execute(f"SELECT setval('{sequence}', coalesce(max({column}), 1), max({column}) IS NOT NULL) "
                            f"FROM {table}")
