"""The data-access layer: where the store is, which backend opens it, and the process-wide stores.

Two backends answer the same Store interface (lib/store/base.py): a DuckDB file (lib/store/duckdb.py; the default for
`make run`, the tests and a laptop) and PostgreSQL (lib/store/postgres.py, chosen by
RADAR_DATABASE_URL=postgresql://...) for several app replicas on one database. The schema is a list of named
migrations (lib/store/schema.py). SQL outside this layer is portable (`?` parameters, ON CONFLICT, RETURNING); what
differs between the backends (bulk loads, sequences, transactions) is a Store method. Callers import from here.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lib.store.base import (
    ANY_WRITE,
    LIST_COLUMNS,
    PUBLIC_REPLACED,
    PUBLIC_UNAVAILABLE,
    RANKING_INPUTS,
    RESTORE_ADVICE,
    ROOT,
    SEED_DIR,
    TABLES,
    Cursor,
    Store,
    StoreBusyError,
    StoreReplaced,
    StoreUnavailable,
    bump_versions,
    copy_store,
    redacted,
    to_json,
)
from lib.store.duckdb import CORRUPT, DuckDBError, DuckDBStore, is_fatal, reason, unopenable
from lib.store.schema import (
    CURRENT_STATUS_SQL,
    MIGRATIONS,
    OBSERVE_COMPANY_STATUSES,
    REFERENCE_TABLES,
    SEQUENCES,
    TRACKER_OF_GRADE,
    TRACKER_PRECEDENCE,
    Migration,
)

__all__ = [
    "ANY_WRITE", "CURRENT_STATUS_SQL", "DEFAULT_DB", "LIST_COLUMNS", "MIGRATIONS", "OBSERVE_COMPANY_STATUSES",
    "POSTGRES_SCHEMES", "PUBLIC_REPLACED", "PUBLIC_UNAVAILABLE", "RANKING_INPUTS", "REFERENCE_TABLES",
    "RESTORE_ADVICE", "ROOT", "SEED_DIR", "SEQUENCES", "TABLES", "TRACKER_OF_GRADE", "TRACKER_PRECEDENCE", "Cursor",
    "DuckDBStore", "Migration", "Store", "StoreBusyError", "StoreLocation", "StoreLocationError", "StoreReplaced",
    "StoreUnavailable", "as_store_problem", "bump_versions", "check_usable", "close_all", "connect", "copy_store",
    "database_location", "db_path", "export_database", "is_fatal", "is_postgres", "open_store", "parse_location",
    "redacted", "to_json",
]

DEFAULT_DB = ROOT / "data" / "radar.duckdb"


def db_path() -> Path:
    """Where the DuckDB store lives: $RADAR_DB, else data/radar.duckdb."""
    return Path(os.environ.get("RADAR_DB") or DEFAULT_DB)


# -- where the store is --------------------------------------------------------------------------
# The schemes that name a PostgreSQL database, any case; everything else with "://" is refused, never a file name.
POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)
_URL_LIKE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):/*", re.DOTALL)  # "postgres:/x", "postgresql:x": a typo


class StoreLocationError(StoreUnavailable):
    """A store location that is neither a known database URL nor a plain file path; nothing was opened."""


@dataclass(frozen=True)
class StoreLocation:
    """A parsed store location: a PostgreSQL URL (spelled postgresql://) or an absolute DuckDB file path."""

    kind: Literal["postgres", "duckdb"]
    value: str


def parse_location(text: str | Path, what: str = "the store location") -> StoreLocation:
    """The one parser of store locations. Blanks around are dropped; postgresql://, postgres:// and
    postgresql+psycopg:// (any case) name PostgreSQL; any other scheme, or a URL with a slash missing, is refused
    with a message naming `what`, so a typo never becomes a new DuckDB file named after the URL."""
    if isinstance(text, Path):
        return StoreLocation("duckdb", str(text.expanduser().resolve()))
    raw = str(text).strip()
    if not raw:
        raise StoreLocationError(f"{what} is empty: give a DuckDB file path or a postgresql:// URL.")
    if match := _SCHEME.match(raw):
        scheme, rest = match.group(1).lower(), match.group(2)
        if scheme in POSTGRES_SCHEMES:
            return StoreLocation("postgres", "postgresql://" + rest)
        raise StoreLocationError(
            f"{what} {redacted(raw)!r} uses the scheme {scheme}://, which is not a database this app knows. Use "
            "postgresql://user@host:5432/database for PostgreSQL, or a file path for DuckDB.")
    if "://" in raw:
        raise StoreLocationError(f"{what} {redacted(raw)!r} is not a URL (no scheme before ://) nor a file path.")
    if (match := _URL_LIKE.match(raw)) and len(match.group(1)) > 1 and (
            match.group(1).lower() in POSTGRES_SCHEMES or raw[len(match.group(1)) + 1:].startswith("/")):
        raise StoreLocationError(
            f"{what} {redacted(raw)!r} looks like a database URL with a mistake (a URL needs two slashes: "
            "postgresql://user@host/database). Nothing was opened.")
    return StoreLocation("duckdb", str(Path(raw).expanduser().resolve()))


def is_postgres(location: str | Path) -> bool:
    return parse_location(location).kind == "postgres"


def database_location() -> str:
    """The store in use: $RADAR_DATABASE_URL (PostgreSQL) if set, else the DuckDB file $RADAR_DB (db_path()).

    A URL that is not PostgreSQL's in RADAR_DATABASE_URL, or any URL in RADAR_DB, is refused (StoreLocationError)."""
    url = os.environ.get("RADAR_DATABASE_URL", "").strip()
    if url:
        location = parse_location(url, "RADAR_DATABASE_URL")
        if location.kind != "postgres":
            raise StoreLocationError("RADAR_DATABASE_URL must be a postgresql:// URL; a DuckDB file belongs in "
                                     "RADAR_DB.")
        return location.value
    path = os.environ.get("RADAR_DB", "")
    if path.strip() and parse_location(path, "RADAR_DB").kind == "postgres":
        raise StoreLocationError("RADAR_DB names a DuckDB file; a PostgreSQL URL belongs in RADAR_DATABASE_URL.")
    return parse_location(path, "RADAR_DB").value if path.strip() else str(db_path())


# -- opening a store -----------------------------------------------------------------------------
_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def connect(location: str | Path, create: bool = True) -> Store:
    """A new, migrated but possibly empty Store: a PostgreSQL URL or a DuckDB file path (parse_location).

    A DuckDB file that does not exist is created only with `create`; otherwise StoreUnavailable says how to build
    it, so a mistyped path never becomes a new, empty store."""
    parsed = parse_location(location)
    if parsed.kind == "postgres":
        from lib.store.postgres import PostgresStore  # psycopg is loaded only for a PostgreSQL store

        return PostgresStore(parsed.value)
    path = Path(parsed.value)
    if not create and not path.exists():
        raise StoreUnavailable(f"There is no store at {path}. Build it with `make store` (python -m lib build), or "
                               "point RADAR_DB at the existing file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBStore(path)


def _key(location: str | Path) -> str:
    return parse_location(location).value


def open_store(path: str | Path | None = None, seed_dir: Path = SEED_DIR, create: bool = True) -> Store:
    """The process-wide Store for a path or URL (default: database_location()), seeded if new; a missing DuckDB
    file is created only with `create` (the app and the CLI's reading commands pass False)."""
    location = path or database_location()
    with _stores_lock:
        store = _stores.get(_key(location))
        if store is None:
            store = connect(location, create=create)
            if not store.is_seeded():
                store.load_seed(seed_dir)
            _stores[_key(location)] = store
        return store


def export_database(store: Store, folder: Path) -> None:
    """A full backup in `folder`: DuckDB's EXPORT DATABASE (schema.sql, load.sql, a Parquet file per table). A store
    on another backend is first copied into a scratch DuckDB file, so every backup has the same form."""
    if isinstance(store, DuckDBStore):
        store.export_database(folder)
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = DuckDBStore(Path(tmp) / "backup.duckdb")
        try:
            copy_store(store, copy)
            copy.export_database(folder)
        finally:
            copy.close()


# -- a broken store ------------------------------------------------------------------------------
def as_store_problem(exc: BaseException, store: Store | str | Path | None = None) -> StoreUnavailable | None:
    """A database error that means the store itself is broken (a damaged file, an invalidated connection) as
    StoreUnavailable with the path and what to do; None for an ordinary error (a bug, a refused constraint)."""
    if isinstance(exc, StoreUnavailable):
        return exc
    if not isinstance(exc, DuckDBError):
        return None
    path = store.path if isinstance(store, Store) else Path(store) if store else db_path()
    if any(marker in str(exc).lower() for marker in CORRUPT):
        return unopenable(path, exc)
    if is_fatal(exc):
        return StoreUnavailable(f"The store {path} stopped working ({reason(exc)}). Free disk space or fix the "
                                f"file; the app reopens it on the next click. {RESTORE_ADVICE}")
    return None


def _drop(store: Store) -> None:
    """Forget and close a process-wide store whose connection is broken or whose file is gone."""
    with _stores_lock:
        if _stores.get(_key(store.path)) is store:
            del _stores[_key(store.path)]
    try:
        store.close()
    except DuckDBError:
        pass  # an invalidated connection may refuse even to close


def check_usable(store: Store) -> Store:
    """The store if its connection still answers and its file is still the one at its path; else a fresh
    connection to the file now there (the cause, e.g. a full disk, may be gone by now; a replaced file is opened).
    Raises StoreUnavailable, with the path and what to do, when it cannot be (re)opened; a deleted file is never
    re-created as an empty store."""
    if store.dialect != "duckdb":
        return store  # a PostgreSQL store drops broken connections from its pool by itself
    if problem := store.file_problem():
        _drop(store)
        if not store.path.exists():
            raise problem
        try:
            return open_store(store.path, create=False)
        except (DuckDBError, OSError) as exc:
            raise unopenable(store.path, exc) from exc
    try:
        store.fetch_one("SELECT 1")
        return store
    except DuckDBError as exc:
        if not is_fatal(exc):
            raise
    _drop(store)
    try:
        return open_store(store.path)
    except (DuckDBError, OSError) as exc:
        raise StoreUnavailable(
            f"The store {store.path} stopped working ({reason(exc)}) and could not be reopened. Free disk space "
            f"or fix the file; the app reopens it on the next click. {RESTORE_ADVICE}") from exc


def close_all() -> None:
    """Close every open store (tests and CLI exit)."""
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
