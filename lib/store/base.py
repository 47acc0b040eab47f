"""What every store backend shares: the Store interface callers use, its portable queries, the seed loader, the
audit log, the version counters, and how migrations are applied and recorded by name.

A backend (lib/store/duckdb.py, lib/store/postgres.py) subclasses Store and implements only what differs: its
connections and transactions, how migrations are serialised, bulk row loads and sequences. SQL here is portable
(`?` parameters, ON CONFLICT, RETURNING, information_schema). This module imports no backend.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa

from lib.i18n import N_
from lib.store.schema import MIGRATIONS, NUMBERED, OBSERVE_COMPANY_STATUSES, REFERENCE_TABLES, Migration

ROOT = Path(__file__).resolve().parents[2]
SEED_DIR = ROOT / "data" / "seed"
TABLES = ("sectors", "companies", "company_facts", "incentive_packages", "mci", "scenarios",
          "shortlist", "shortlist_notes", "audit_log", "status_observations", "outcomes", "weighting_rounds",
          "weighting_submissions", "incentive_rule_sources", "sanctions_lists", "sanctions_names", "chp_items",
          "screening_reviews", "watchlist", "alerts")
LIST_COLUMNS = ("sector_codes", "excluded_sector_codes", "activity_types", "locations", "assumed_rules",
                "uncertain_terms")
# The rows of data_version (see the data_version migration): every write; writes to what the ranking is computed from.
ANY_WRITE, RANKING_INPUTS = 1, 2
# One sign-in attempt more, atomically (the row is locked by the upsert on PostgreSQL, by the write lock on DuckDB);
# returns the count. A count older than the cutoff starts again at 1. `last_at` moves with each counted attempt when
# sliding (a username: locked until 15 minutes after its last counted attempt, refused ones do not prolong it),
# and stays at the window's start otherwise (the whole app: attempts per minute).
_COUNT_ATTEMPT = """
INSERT INTO sign_in_attempts (scope, username, attempts, last_at) VALUES (?, ?, 1, ?)
ON CONFLICT (scope, username) DO UPDATE SET
    attempts = CASE WHEN sign_in_attempts.last_at < ? THEN 1 ELSE sign_in_attempts.attempts + 1 END,
    last_at = CASE WHEN sign_in_attempts.last_at < ? OR (? AND sign_in_attempts.attempts < ?) THEN excluded.last_at
                   ELSE sign_in_attempts.last_at END
RETURNING attempts
"""


class Cursor(Protocol):
    """What callers may use of a cursor on either backend (a DuckDB cursor, or lib.store.postgres.PgCursor)."""

    description: Any

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Cursor: ...
    def fetchone(self) -> tuple | None: ...
    def fetchall(self) -> list[tuple]: ...
    def df(self) -> pd.DataFrame: ...


# What a visitor of the app reads when the store fails (translated when shown); the operator's message, with the
# server path and what to do, goes to the log and the CLI (str(exc)).
PUBLIC_UNAVAILABLE = N_("The data store cannot be opened right now, so this page cannot be shown. The operator "
                        "finds the reason and how to restore the data in the server log.")
PUBLIC_REPLACED = N_("The data store's file was deleted or replaced while the app was running, so the change was "
                     "refused and nothing was saved. The operator finds what to do in the server log.")
RESTORE_ADVICE = ("Restore it from a backup (the Data page's full backup, or a copy of the file made while the app "
                  "was stopped), or move it away and run `make store` (python -m lib build) to rebuild it from "
                  "data/seed; shortlists, scenarios and the audit log then come only from a backup.")


class StoreUnavailable(RuntimeError):
    """The store cannot be used: str(exc) says why and what to do (operator), `public` what a visitor may read."""

    def __init__(self, message: str, public: str = PUBLIC_UNAVAILABLE) -> None:
        super().__init__(message)
        self.public = public


class StoreBusyError(StoreUnavailable):
    """The DuckDB file is locked by another process (usually the running app)."""


class StoreReplaced(StoreUnavailable):
    """The DuckDB file was deleted or replaced under an open connection: writes would go to a file nobody sees."""

    def __init__(self, message: str) -> None:
        super().__init__(message, PUBLIC_REPLACED)


def redacted(location: str) -> str:
    """A path or database URL without its password, for messages."""
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", str(location))


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def to_json(value: Any) -> str | None:
    """JSON text for audit before/after columns; None stays NULL."""
    if value is None:
        return None
    return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)


def bump_versions(cur: Cursor, ranking: bool) -> None:
    """Count a write transaction in data_version, and in the ranking's version unless `ranking` is False."""
    cur.execute("UPDATE data_version SET version = version + 1 WHERE id = ? OR (id = ? AND ?)",
                [ANY_WRITE, RANKING_INPUTS, ranking])


# -- the record of applied migrations ------------------------------------------------------------
# schema_migrations names every applied migration. schema_version is what versions of the app before named migrations
# recorded (numbers by position, lib.store.schema.NUMBERED); it keeps counting the migrations a store has, because
# those versions read only it to refuse a store newer than themselves.
RECORD_TABLES = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)",
    "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")


@dataclass(frozen=True)
class MigrationRecord:
    """What a store says it has: the names of its migrations (read from schema_migrations, or mapped from
    schema_version's numbers when it has no names yet) and the highest number in schema_version."""

    names: frozenset[str]
    numbered: int
    by_name: bool

    def newer(self) -> str | None:
        """Why the store is from a newer version of the app ("schema 13; this version knows up to 12"), or None."""
        unknown = sorted(self.names - {m.name for m in MIGRATIONS})
        if not unknown and self.numbered <= len(MIGRATIONS):
            return None
        named = f", with migrations this version does not know: {', '.join(unknown)}" if unknown else ""
        return f"schema {max(len(self.names), self.numbered)}{named}; this version knows up to {len(MIGRATIONS)}"

    def pending(self) -> list[Migration]:
        """The migrations the store has not had, in order."""
        return [m for m in MIGRATIONS if m.name not in self.names]


def read_record(cur: Cursor) -> MigrationRecord:
    """What the store has recorded; reads only, so a store with nothing to apply is never written to (on PostgreSQL
    the app's role may not create tables)."""
    tables = {row[0] for row in cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name IN ('schema_version', 'schema_migrations')").fetchall()}
    numbered = 0
    if "schema_version" in tables:
        numbered = int(cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0])
    if "schema_migrations" in tables:
        names = frozenset(row[0] for row in cur.execute("SELECT name FROM schema_migrations").fetchall())
        return MigrationRecord(names, numbered, by_name=True)
    return MigrationRecord(frozenset(NUMBERED[:numbered]), numbered, by_name=False)


def start_record(cur: Cursor, found: MigrationRecord) -> None:
    """Create the record tables; a store that recorded numbers has them written as names, once."""
    for statement in RECORD_TABLES:
        cur.execute(statement)
    if not found.by_name:
        applied = dict(cur.execute("SELECT version, applied_at FROM schema_version").fetchall())
        for number, name in enumerate(NUMBERED[:found.numbered], start=1):
            cur.execute("INSERT INTO schema_migrations VALUES (?, ?)", [name, applied.get(number) or datetime.now()])


def record(cur: Cursor, migration: Migration) -> None:
    """Record an applied migration by name, and count it in schema_version."""
    now = datetime.now()
    cur.execute("INSERT INTO schema_migrations VALUES (?, ?)", [migration.name, now])
    count = cur.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    cur.execute("INSERT INTO schema_version SELECT ?, ? WHERE ? > (SELECT coalesce(max(version), 0) "
                "FROM schema_version)", [count, now, count])


class Store(ABC):
    """A database with the Relocation Radar schema: what callers use, whatever the backend.

    A backend implements the abstract methods (connections, transactions, migration locking, bulk rows, sequences)
    and sets `dialect`; it overrides a plain method only where its database differs.
    """

    dialect: str  # "duckdb" or "postgres": which spelling of a migration runs (schema.Migration.script)
    path: Path  # what names the store in messages: the file, or the URL without its password
    # Appended to a read of a version counter inside a write: on a server, hold the row so that no other write
    # commits in between (DuckDB has one writer at a time and no row locks).
    lock_for_update = ""
    # What an operator is told to do when the store comes from a newer version of the app.
    update_advice = "Update the app."

    # Transactions this object committed (any session of the process): a memo of the versions within one script
    # run keys on it, so a run that writes reads the versions again (lib/ui/state.py: ranking_version).
    commits = 0

    # -- what a backend implements ----------------------------------------------------------------
    @property
    @abstractmethod
    def location(self) -> str:
        """What identifies the store in messages and cache keys: the file path, or the database URL."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def cursor(self) -> AbstractContextManager[Cursor]:
        """A cursor of its own (use it in `with`): one per query or per thread, never shared between sessions."""

    @abstractmethod
    def write_transaction(self) -> AbstractContextManager[Cursor]:
        """A cursor inside BEGIN ... COMMIT that any exception rolls back; counted in no version (see transaction)."""

    @abstractmethod
    def migration_session(self) -> AbstractContextManager[Cursor]:
        """A cursor for migrating, held so that no other thread or process migrates at the same time."""

    @abstractmethod
    def insert_rows(self, cur: Any, table: str, rows: pa.Table, conflict: Sequence[str] = ()) -> None:
        """Insert an Arrow table's rows into `table` (same column names); on a `conflict` key, replace the row."""

    @abstractmethod
    def update_rows(self, cur: Any, table: str, key: str, rows: pa.Table, columns: Sequence[str]) -> None:
        """Update rows found by `key`: each column c is written only where the boolean column set_c is true."""

    @abstractmethod
    def insert_seed(self, cur: Any, table: str, rows: list[dict[str, Any]]) -> None:
        """Seed rows (text cells, lists for list columns) into `table`; the database casts the text."""

    @abstractmethod
    def table_rows(self, table: str) -> pa.Table:
        """Every row of a table (a name from TABLES, never user input) as an Arrow table, for copying."""

    @abstractmethod
    def reset_sequences(self) -> None:
        """Move every id sequence past the ids already stored (after rows were copied in with their ids)."""

    # -- what a backend may override ----------------------------------------------------------------
    def file_problem(self) -> StoreReplaced | None:
        """Why the store's file is no longer the one this connection writes to, or None (a server keeps its data)."""
        return None

    @property
    def described(self) -> str:
        """The store as messages name it."""
        return f"The store {self.path}"

    @contextmanager
    def migration_step(self, cur: Cursor) -> Iterator[None]:
        """One migration's transaction inside migration_session (a backend whose session is one transaction
        overrides this)."""
        cur.execute("BEGIN TRANSACTION")
        yield
        cur.execute("COMMIT")

    def run_script(self, cur: Cursor, sql: str) -> None:
        """Run several statements without parameters (a migration's text)."""
        cur.execute(sql)

    # -- reading -----------------------------------------------------------------------------------
    def fetch_df(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a parameterised query and return the whole result as a DataFrame."""
        with self.cursor() as cur:
            return cur.execute(sql, params or []).df()

    def fetch_all(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def fetch_one(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> tuple | None:
        with self.cursor() as cur:
            return cur.execute(sql, params or []).fetchone()

    # -- writing -----------------------------------------------------------------------------------
    @contextmanager
    def transaction(self, ranking: bool = True) -> Iterator[Cursor]:
        """A cursor inside BEGIN ... COMMIT; any exception rolls everything back.

        Every commit bumps data_version; `ranking=False` says the writes leave the ranking's inputs alone (the
        shortlist, scenarios, rounds), so that the ranking_version every replica caches on stays.
        """
        with self.write_transaction() as cur:
            yield cur
            bump_versions(cur, ranking)
        self.commits += 1

    def count_sign_in_attempt(self, username: str, now: datetime, *, lockout: timedelta, window: timedelta,
                              max_attempts: int) -> tuple[int, int]:
        """Count one sign-in attempt, atomically: (attempts on `username` within the lock-out, counted ones only up
        to max_attempts + 1, and attempts on any name in the current `window`). Forgets names not tried within
        the lock-out. Bookkeeping no cache depends on: data_version stays."""
        with self.write_transaction() as cur:
            cur.execute("DELETE FROM sign_in_attempts WHERE last_at < ?", [now - max(lockout, window)])
            cutoff = now - lockout
            on_name = cur.execute(_COUNT_ATTEMPT, ["name", username, now, cutoff, cutoff, True,
                                                   max_attempts]).fetchone()[0]
            cutoff = now - window
            on_all = cur.execute(_COUNT_ATTEMPT, ["all", "", now, cutoff, cutoff, False, 0]).fetchone()[0]
        return int(on_name), int(on_all)

    def clear_sign_in_attempts(self, username: str) -> None:
        """A correct password: the username's count starts again (the app's count stays)."""
        with self.write_transaction() as cur:
            cur.execute("DELETE FROM sign_in_attempts WHERE scope = 'name' AND username = ?", [username])

    @staticmethod
    def audit(cur: Cursor, *, actor: str, action: str, table: str,
              record_key: str | None, before: Any = None, after: Any = None,
              source_file: str | None = None) -> None:
        """Record one write in audit_log, inside the caller's transaction."""
        cur.execute(
            "INSERT INTO audit_log (changed_at, actor, action, table_name, record_key, before, after, source_file) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [datetime.now(), actor, action, table, record_key, to_json(before), to_json(after), source_file],
        )

    def migrate(self) -> int:
        """Apply, in order, every migration the store has not recorded, each recorded by name; returns how many
        migrations this version knows. A store from a newer version is refused untouched; one whose migrations are
        all applied is not written to."""
        with self.migration_session() as cur:
            found = read_record(cur)
            if newer := found.newer():
                raise StoreUnavailable(f"{self.described} was written by a newer version of Relocation Radar "
                                       f"({newer}). {self.update_advice}")
            pending = found.pending()
            if pending:
                with self.migration_step(cur):
                    start_record(cur, found)
            for migration in pending:
                with self.migration_step(cur):
                    self.run_script(cur, migration.script(self.dialect))
                    migration.load_data(self, cur)
                    record(cur, migration)
        return len(MIGRATIONS)

    # -- the domain tables -------------------------------------------------------------------
    def companies(self) -> pd.DataFrame:
        """All companies with their sector's name, priority, activity type and dual-use flag."""
        return self.fetch_df(
            "SELECT c.*, s.name AS sector_name, s.kz_priority, s.activity_type, s.dual_use "
            "FROM companies c LEFT JOIN sectors s USING (sector_code) ORDER BY c.company_id"
        )

    def company(self, company_id: int) -> dict[str, Any] | None:
        frame = self.fetch_df(
            "SELECT c.*, s.name AS sector_name, s.kz_priority, s.priority_reason, s.activity_type, s.dual_use "
            "FROM companies c LEFT JOIN sectors s USING (sector_code) WHERE c.company_id = ?", [company_id]
        )
        return None if frame.empty else frame.iloc[0].to_dict()

    def company_facts(self, company_id: int | None = None) -> pd.DataFrame:
        """Every dated observation of one company (or of all), in fact order, oldest first."""
        sql = ("SELECT f.company_id, c.name AS company, f.fact, f.value, f.state, f.period, f.recorded_on, "
               "f.source, f.note FROM company_facts f JOIN companies c USING (company_id)")
        params: list[Any] = []
        if company_id is not None:
            sql += " WHERE f.company_id = ?"
            params.append(company_id)
        return self.fetch_df(sql + " ORDER BY c.name, f.company_id, f.fact, f.fact_id", params)

    def company_sectors(self) -> pd.DataFrame:
        """Every company's id, name and sector with its reason and source (the steward's sector editor)."""
        return self.fetch_df("SELECT company_id, name, sector_code, sector_reason, sector_source FROM companies")

    def group_members(self, company_id: int) -> pd.DataFrame:
        """The companies ranked under this one (its group's other names), by name."""
        return self.fetch_df("SELECT company_id, name, hq_country, status FROM companies "
                             "WHERE group_parent_id = ? ORDER BY name", [company_id])

    def sectors(self) -> pd.DataFrame:
        return self.fetch_df("SELECT * FROM sectors ORDER BY kz_priority DESC, sector_code")

    def incentive_packages(self) -> pd.DataFrame:
        frame = self.fetch_df("SELECT * FROM incentive_packages ORDER BY valid_from DESC, package_id")
        for column in ("valid_from", "valid_to", "as_of", "uncertain_from"):
            frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]]
        return frame

    def incentive_rule_sources(self) -> pd.DataFrame:
        """Where each rule field of each package comes from: sourced, an assumption, or uncertain, with the page."""
        return self.fetch_df("SELECT * FROM incentive_rule_sources ORDER BY package_id, field")

    def mci_table(self) -> dict[int, int]:
        return {int(y): int(v) for y, v in self.fetch_all("SELECT year, mci_kzt FROM mci")}

    # -- facts about the store -----------------------------------------------------------------
    def data_version(self, cur: Any = None) -> int:
        """Changes whenever anything is written, by any process: a cheap cache key (inside `cur`'s transaction)."""
        return self._counter(ANY_WRITE, cur)

    def ranking_version(self, cur: Any = None) -> int:
        """Changes whenever what the ranking is computed from is written (companies, facts, sectors, packages...).

        Imports are previewed against it: a shortlist edit meanwhile does not make a preview stale.
        """
        return self._counter(RANKING_INPUTS, cur)

    def _counter(self, row: int, cur: Any) -> int:
        if cur is not None:  # inside a write
            return int(cur.execute(f"SELECT version FROM data_version WHERE id = ?{self.lock_for_update}",
                                   [row]).fetchone()[0])
        return int(self.fetch_one("SELECT version FROM data_version WHERE id = ?", [row])[0])

    def table_checksums(self) -> dict[str, tuple[int, str]]:
        """Row count and an order-independent checksum of every table, to prove nothing changed."""
        result = {}
        for table in TABLES:
            rows = self.fetch_all(f"SELECT * FROM {table}")  # table names come from TABLES only
            digest = hashlib.sha256()
            for line in sorted(repr(r) for r in rows):
                digest.update(line.encode())
            result[table] = (len(rows), digest.hexdigest())
        return result

    def is_seeded(self) -> bool:
        return bool(self.fetch_one("SELECT count(*) FROM companies")[0])

    def load_seed(self, seed_dir: Path = SEED_DIR, actor: str = "seed") -> dict[str, int]:
        """Fill an empty store from the committed seed CSVs, in one transaction."""
        counts: dict[str, int] = {}
        with self.transaction() as cur:
            for table in ("sectors", "mci", "companies", "company_facts", "incentive_packages", "outcomes",
                          "incentive_rule_sources"):
                if not (seed_dir / f"{table}.csv").exists() and table in ("outcomes", "incentive_rule_sources"):
                    continue  # a seed folder from before the back-test or the rule citations
                rows = _read_seed(seed_dir / f"{table}.csv", table)
                if table == "companies":
                    from lib.models import company_key
                    for row in rows:
                        row["company_key"] = company_key(row["name"], row["hq_country"])
                self.insert_seed(cur, table, rows)
                counts[table] = len(rows)
                if table == "companies":  # each seed status is the first observation of its company's history
                    cur.execute(OBSERVE_COMPANY_STATUSES)
            # The project-relative folder (data/seed), not the server's absolute path, in what users read.
            shown = seed_dir.resolve()
            shown = shown.relative_to(ROOT).as_posix() if shown.is_relative_to(ROOT) else str(seed_dir)
            self.audit(cur, actor=actor, action="load_seed", table="*", record_key=None,
                       after=counts, source_file=shown)
        return counts


def _read_seed(path: Path, table: str) -> list[dict[str, Any]]:
    """Seed CSV rows with empty cells as NULL and list columns split on ';'."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if table == "incentive_packages" and key in LIST_COLUMNS:
                clean[key] = [v.strip() for v in value.split(";") if v.strip()]
            else:
                clean[key] = value if value != "" else None
        out.append(clean)
    return out


def copy_store(source: Store, target: Store) -> dict[str, tuple[int, str]]:
    """Copy every table, audit log included, into an empty store; returns the checksums both now share."""
    if target.is_seeded():
        raise StoreUnavailable(f"The target store {target.location} is not empty: copy only into a new store.")
    with target.transaction() as cur:
        for table in REFERENCE_TABLES:  # filled by the target's own migration: the source's rows replace them
            cur.execute(f"DELETE FROM {table}")
        for table in TABLES:
            data = source.table_rows(table)
            if data.num_rows:
                target.insert_rows(cur, table, data)
    target.reset_sequences()
    want, got = source.table_checksums(), target.table_checksums()
    if want != got:
        differ = sorted(t for t in want if want[t] != got.get(t))
        raise StoreUnavailable(f"The copy in {target.location} differs from its source in {', '.join(differ)}.")
    return got
