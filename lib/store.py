"""The data-access layer: schema, migrations, seed loading, parameterised reads and audited writes.

Two backends answer the same methods: a DuckDB file (this module; the default for `make run`, the tests
and a laptop) and PostgreSQL (lib/store_postgres.py, chosen by RADAR_DATABASE_URL=postgresql://...) for
several app replicas on one database. SQL outside this layer is portable (`?` parameters, ON CONFLICT,
RETURNING); what differs between the backends (bulk loads, backups, sequences) is a Store method.

A DuckDB Store holds one root connection per process; every read or write opens its own cursor, so
Streamlit sessions (one thread each) never share a connection. Results are fetched completely
because an open DuckDB result keeps its cursor busy.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

import duckdb
import pandas as pd
import pyarrow as pa

from lib.i18n import N_

ROOT = Path(__file__).resolve().parents[1]
SEED_DIR = ROOT / "data" / "seed"
DEFAULT_DB = ROOT / "data" / "radar.duckdb"
SCHEMA_VERSION = 1
TABLES = ("sectors", "companies", "company_facts", "incentive_packages", "mci", "scenarios",
          "shortlist", "shortlist_notes", "audit_log", "status_observations", "outcomes", "weighting_rounds",
          "weighting_submissions", "incentive_rule_sources", "sanctions_lists", "sanctions_names", "chp_items",
          "screening_reviews", "watchlist", "alerts")
LIST_COLUMNS = ("sector_codes", "excluded_sector_codes", "activity_types", "locations", "assumed_rules",
                "uncertain_terms")

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS sectors (
    sector_code VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, isic VARCHAR NOT NULL,
    kz_priority INTEGER NOT NULL CHECK (kz_priority BETWEEN 0 AND 5), priority_reason VARCHAR NOT NULL,
    activity_type VARCHAR NOT NULL, dual_use BOOLEAN NOT NULL, source VARCHAR NOT NULL, as_of DATE NOT NULL);
CREATE TABLE IF NOT EXISTS companies (
    company_id INTEGER PRIMARY KEY, company_key VARCHAR NOT NULL UNIQUE, name VARCHAR NOT NULL,
    hq_country VARCHAR, industry VARCHAR, sector_code VARCHAR, status VARCHAR NOT NULL,
    tracker_grade VARCHAR, status_date DATE, revenue_worldwide_usd_m DOUBLE, employees_worldwide BIGINT,
    russia_revenue_usd_m DOUBLE, russia_employees BIGINT, russia_production BOOLEAN,
    kazakhstan_presence BOOLEAN, website VARCHAR, is_candidate BOOLEAN NOT NULL DEFAULT TRUE,
    exclusion_reason VARCHAR, source VARCHAR NOT NULL, as_of DATE NOT NULL);
CREATE TABLE IF NOT EXISTS company_facts (
    company_id INTEGER NOT NULL, fact VARCHAR NOT NULL, value VARCHAR NOT NULL, period VARCHAR,
    source VARCHAR NOT NULL, note VARCHAR, PRIMARY KEY (company_id, fact));
CREATE TABLE IF NOT EXISTS incentive_packages (
    package_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, instrument_type VARCHAR NOT NULL,
    legal_basis VARCHAR NOT NULL, valid_from DATE NOT NULL, valid_to DATE,
    sector_codes VARCHAR[] NOT NULL, excluded_sector_codes VARCHAR[] NOT NULL,
    activity_types VARCHAR[] NOT NULL, locations VARCHAR[] NOT NULL, min_investment_mci BIGINT,
    requires_new_entity BOOLEAN NOT NULL, cit_exemption_years INTEGER, property_tax_years INTEGER,
    land_tax_years INTEGER, customs_vat_exemption BOOLEAN NOT NULL, in_kind_grant_pct DOUBLE,
    stability_years INTEGER, other_benefits VARCHAR, uncertain BOOLEAN NOT NULL, uncertainty_note VARCHAR,
    source VARCHAR NOT NULL, as_of DATE NOT NULL);
CREATE TABLE IF NOT EXISTS mci (year INTEGER PRIMARY KEY, mci_kzt INTEGER NOT NULL, source VARCHAR NOT NULL,
    as_of DATE NOT NULL);
CREATE SEQUENCE IF NOT EXISTS scenario_ids;
CREATE TABLE IF NOT EXISTS scenarios (
    scenario_id INTEGER PRIMARY KEY DEFAULT nextval('scenario_ids'), name VARCHAR NOT NULL UNIQUE,
    created_by VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, view JSON NOT NULL, note VARCHAR);
CREATE TABLE IF NOT EXISTS shortlist (
    company_id INTEGER PRIMARY KEY, stage VARCHAR NOT NULL, owner VARCHAR, next_step VARCHAR, due_date DATE,
    contact_status VARCHAR, score_at_add DOUBLE, rank_at_add INTEGER, scenario_at_add JSON,
    added_by VARCHAR NOT NULL, added_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1, removed BOOLEAN NOT NULL DEFAULT FALSE, removed_at TIMESTAMP,
    removed_by VARCHAR);
CREATE SEQUENCE IF NOT EXISTS note_ids;
CREATE TABLE IF NOT EXISTS shortlist_notes (
    note_id INTEGER PRIMARY KEY DEFAULT nextval('note_ids'), company_id INTEGER NOT NULL,
    author VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, text VARCHAR NOT NULL);
CREATE SEQUENCE IF NOT EXISTS audit_ids;
CREATE TABLE IF NOT EXISTS audit_log (
    audit_id BIGINT PRIMARY KEY DEFAULT nextval('audit_ids'), changed_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL, table_name VARCHAR NOT NULL, record_key VARCHAR, before JSON, after JSON,
    source_file VARCHAR);
"""
# Each entry upgrades the schema from version i to i+1; append, never edit.
MIGRATIONS: list[str] = [SCHEMA_V1]
# Statuses reported by trackers other than the one a company row came from (e.g. KSE for a Yale row),
# so that disagreements stay visible with their dates instead of one tracker overwriting the other.
TRACKER_STATUSES_V2 = """
CREATE TABLE IF NOT EXISTS tracker_statuses (
    company_id INTEGER NOT NULL, tracker VARCHAR NOT NULL, status VARCHAR NOT NULL, tracker_grade VARCHAR,
    status_date DATE, source VARCHAR NOT NULL, as_of DATE NOT NULL, PRIMARY KEY (company_id, tracker));
"""
MIGRATIONS.append(TRACKER_STATUSES_V2)
# Evidence as dated observations with a state: Russian production is a state (operating, suspended, sold,
# closed, reported, none) and Kazakhstan presence a level with the year it began, instead of yes/no; each
# company has a sector reason and source, and may belong to a group ranked under its parent. An old "yes"
# becomes what it honestly was: production "reported" (state since unknown), presence of "unspecified" level.
EVIDENCE_V3 = """
ALTER TABLE companies ALTER russia_production TYPE VARCHAR
    USING CASE WHEN russia_production THEN 'reported' WHEN NOT russia_production THEN 'none' END;
ALTER TABLE companies ALTER kazakhstan_presence TYPE VARCHAR
    USING CASE WHEN kazakhstan_presence THEN 'unspecified' WHEN NOT kazakhstan_presence THEN 'none_found' END;
ALTER TABLE companies ADD COLUMN russia_production_date VARCHAR;
ALTER TABLE companies ADD COLUMN kazakhstan_presence_since INTEGER;
ALTER TABLE companies ADD COLUMN sector_reason VARCHAR;
ALTER TABLE companies ADD COLUMN sector_source VARCHAR;
ALTER TABLE companies ADD COLUMN group_parent_id INTEGER;
CREATE SEQUENCE IF NOT EXISTS fact_ids;
CREATE TABLE company_observations (
    fact_id BIGINT PRIMARY KEY DEFAULT nextval('fact_ids'), company_id INTEGER NOT NULL, fact VARCHAR NOT NULL,
    value VARCHAR, state VARCHAR, period VARCHAR, recorded_on DATE, source VARCHAR NOT NULL, note VARCHAR);
INSERT INTO company_observations (company_id, fact, value, state, period, recorded_on, source, note)
    SELECT company_id, fact,
           CASE WHEN fact = 'russia_production' THEN NULL
                WHEN fact = 'kazakhstan_presence' THEN CASE value WHEN 'true' THEN 'unspecified' ELSE 'none_found' END
                ELSE value END,
           CASE WHEN fact = 'russia_production' THEN CASE value WHEN 'true' THEN 'reported' ELSE 'none' END END,
           period, NULL, source, note
    FROM company_facts ORDER BY company_id, fact;
DROP TABLE company_facts;
ALTER TABLE company_observations RENAME TO company_facts;
"""
MIGRATIONS.append(EVIDENCE_V3)
# What companies actually did about Kazakhstan after February 2022, for the back-test (lib/outcomes.py).
OUTCOMES_V4 = """
CREATE SEQUENCE IF NOT EXISTS outcome_ids;
CREATE TABLE IF NOT EXISTS outcomes (
    outcome_id INTEGER PRIMARY KEY DEFAULT nextval('outcome_ids'), company_id INTEGER, company_name VARCHAR NOT NULL,
    hq_country VARCHAR, outcome VARCHAR NOT NULL, outcome_date VARCHAR, evidence_level VARCHAR NOT NULL,
    source VARCHAR NOT NULL, note VARCHAR, recorded_on DATE);
"""
MIGRATIONS.append(OUTCOMES_V4)
# A shortlist entry a company asked to keep quiet while talks run: shown to editors only (lib/shortlist.py).
CONFIDENTIAL_V5 = """
ALTER TABLE shortlist ADD COLUMN confidential BOOLEAN DEFAULT FALSE;
UPDATE shortlist SET confidential = FALSE WHERE confidential IS NULL;
"""
MIGRATIONS.append(CONFIDENTIAL_V5)
# Group weighting rounds: each official submits weights their own way; the round pools them (lib/rounds.py).
ROUNDS_V6 = """
CREATE SEQUENCE IF NOT EXISTS round_ids;
CREATE TABLE IF NOT EXISTS weighting_rounds (
    round_id INTEGER PRIMARY KEY DEFAULT nextval('round_ids'), name VARCHAR NOT NULL, opened_by VARCHAR NOT NULL,
    opened_at TIMESTAMP NOT NULL, closed_at TIMESTAMP, closed_by VARCHAR);
CREATE TABLE IF NOT EXISTS weighting_submissions (
    round_id INTEGER NOT NULL, participant VARCHAR NOT NULL, submitted_by VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL, submission JSON NOT NULL, PRIMARY KEY (round_id, participant));
"""
MIGRATIONS.append(ROUNDS_V6)
# Rules of an incentive package that are Relocation Radar's assumption, not in the sources (e.g. an SEZ's sector
# list read from its description): they decide nothing unless the user includes assumed rules.
ASSUMED_RULES_V7 = """
ALTER TABLE incentive_packages ADD COLUMN assumed_rules VARCHAR[] DEFAULT [];
UPDATE incentive_packages SET assumed_rules = [] WHERE assumed_rules IS NULL;
"""
MIGRATIONS.append(ASSUMED_RULES_V7)
# The sources name customs duty and import VAT separately (priority projects were exempt from duty only); terms that
# are uncertain from a date (SEZ benefits under the 2026 Tax Code) are valued as a range; every rule field of a
# package carries its own citation.
INCENTIVE_TERMS_V8 = """
ALTER TABLE incentive_packages RENAME COLUMN customs_vat_exemption TO customs_duty_exemption;
ALTER TABLE incentive_packages ADD COLUMN import_vat_exemption BOOLEAN DEFAULT FALSE;
UPDATE incentive_packages SET import_vat_exemption = customs_duty_exemption
    WHERE package_id NOT IN ('priority_project_new', 'priority_project_expansion', 'priority_project_food_light');
ALTER TABLE incentive_packages ADD COLUMN uncertain_terms VARCHAR[] DEFAULT [];
ALTER TABLE incentive_packages ADD COLUMN uncertain_from DATE;
CREATE TABLE IF NOT EXISTS incentive_rule_sources (
    package_id VARCHAR NOT NULL, field VARCHAR NOT NULL, status VARCHAR NOT NULL, value VARCHAR, source VARCHAR,
    source_date VARCHAR, note VARCHAR, PRIMARY KEY (package_id, field));
"""
MIGRATIONS.append(INCENTIVE_TERMS_V8)
# Counters bumped in the same transaction as the writes they count, read by every process: row 1 counts every
# write; row 2 only writes to what the ranking is computed from (not the shortlist, scenarios or weighting rounds),
# the cache key of every replica's ranking snapshot. (The newest audit id is not enough on PostgreSQL: ids are
# drawn before commit, so they can commit out of order.)
DATA_VERSION_V9 = """
CREATE TABLE IF NOT EXISTS data_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO data_version SELECT 1, coalesce(max(audit_id), 0) FROM audit_log;
INSERT INTO data_version SELECT 2, coalesce(max(audit_id), 0) FROM audit_log;
"""
ANY_WRITE, RANKING_INPUTS = 1, 2  # the rows of data_version
MIGRATIONS.append(DATA_VERSION_V9)
# Sign-in attempts counted in the store (lib/auth.py), so that every thread, rerun and (on PostgreSQL) replica shares
# one count: a row per username tried in the last 15 minutes (scope 'name') and one for the whole app (scope 'all').
# Counters, not a log: no password, no address; rows older than the lock-out are deleted. Not copied by migrate --to.
SIGN_IN_ATTEMPTS_V10 = """
CREATE TABLE IF NOT EXISTS sign_in_attempts (
    scope VARCHAR NOT NULL, username VARCHAR NOT NULL, attempts INTEGER NOT NULL, last_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, username));
"""
MIGRATIONS.append(SIGN_IN_ATTEMPTS_V10)
# One attempt more, atomically (the row is locked by the upsert on PostgreSQL, by the write lock on DuckDB); returns
# the count. A count older than the cutoff starts again at 1. `last_at` moves with each counted attempt when
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
# Screening before the call (lib/screening.py): sanctions lists with their publication date (one row per listed name,
# primary or alias), the Common High Priority items mapped to sectors, and each named review of a possible match.
# The committed lists and items (data/sources/sanctions/) come in with this migration (MIGRATION_DATA); an editor
# replaces a list with a newer official file (lib/sanctions_lists.py).
SCREENING = """
CREATE TABLE IF NOT EXISTS sanctions_lists (
    list_id VARCHAR PRIMARY KEY, title VARCHAR NOT NULL, publisher VARCHAR NOT NULL, published DATE NOT NULL,
    origin VARCHAR NOT NULL, licence VARCHAR, note VARCHAR, entries INTEGER NOT NULL, names INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL, loaded_by VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS sanctions_names (
    list_id VARCHAR NOT NULL, entry_id VARCHAR NOT NULL, name VARCHAR NOT NULL, name_kind VARCHAR NOT NULL,
    entry_type VARCHAR NOT NULL, programmes VARCHAR, primary_name VARCHAR NOT NULL, compared VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS chp_items (
    sector_code VARCHAR NOT NULL, hs_code VARCHAR NOT NULL, tier VARCHAR NOT NULL, item VARCHAR NOT NULL,
    why_this_sector VARCHAR NOT NULL, source VARCHAR NOT NULL, as_of DATE NOT NULL, PRIMARY KEY (sector_code, hs_code));
CREATE TABLE IF NOT EXISTS screening_reviews (
    subject VARCHAR NOT NULL, list_id VARCHAR NOT NULL, entry_id VARCHAR NOT NULL, decision VARCHAR NOT NULL,
    reviewer VARCHAR NOT NULL, reason VARCHAR NOT NULL, reviewed_at TIMESTAMP NOT NULL, list_published DATE,
    PRIMARY KEY (subject, list_id, entry_id));
"""
MIGRATIONS.append(SCREENING)
# Data a migration brings with it, keyed by the migration's text (so renumbering cannot misplace it): a function
# (module, name) called with (store, cursor) inside the migration's transaction, on both backends.
MIGRATION_DATA: dict[str, tuple[str, str]] = {SCREENING: ("lib.sanctions_lists", "load_screening_sources")}
# Tables a migration fills from committed files: copy_store empties them in the target before copying.
REFERENCE_TABLES = ("sanctions_lists", "sanctions_names", "chp_items")
# Which tracker a company row's status came from, read from its tracker_grade label ("Yale CELI grade B",
# "KSE Institute status: transfer"); anything else is the agency's own research.
TRACKER_OF_GRADE = ("CASE WHEN left(coalesce(tracker_grade, ''), 4) = 'Yale' THEN 'yale' "
                    "WHEN left(coalesce(tracker_grade, ''), 3) = 'KSE' THEN 'kse' ELSE 'research' END")
# Every company's status as an observation of its tracker (for the seed load and the STATUS_HISTORY migration).
OBSERVE_COMPANY_STATUSES = f"""
INSERT INTO status_observations (company_id, tracker, status, tracker_grade, status_date, recorded_on, source)
    SELECT company_id, {TRACKER_OF_GRADE}, status, tracker_grade, status_date, as_of, source
    FROM companies ORDER BY company_id;
"""
# The rule for a company's current status (lib/status_history.py states it for users): the observation with the
# latest date it describes (the tracker's own date, else the day the list was current), on the same date the
# agency's own research before KSE before Yale, then the one recorded last.
TRACKER_PRECEDENCE = {"research": 3, "kse": 2, "yale": 1}
CURRENT_STATUS_SQL = f"""
SELECT company_id, status, tracker_grade, status_date, tracker, observation_id FROM (
    SELECT o.*, row_number() OVER (PARTITION BY company_id ORDER BY coalesce(status_date, recorded_on) DESC,
        CASE tracker {' '.join(f"WHEN '{t}' THEN {n}" for t, n in TRACKER_PRECEDENCE.items())} ELSE 0 END DESC,
        observation_id DESC) AS pick
    FROM status_observations o) ranked WHERE pick = 1
"""
# Status history (issue 26): every tracker status is an observation with its source, the date it describes and the
# day it was recorded; an import appends, never overwrites. companies.status/tracker_grade/status_date become the
# current status derived from the observations by the rule above (kept on the row because everything reads it).
# The statuses of other trackers (tracker_statuses) move into the history; a watchlist and per-watcher alerts
# (lib/alerts.py) tell the people who follow a company what changed.
STATUS_HISTORY = f"""
CREATE SEQUENCE IF NOT EXISTS status_observation_ids;
CREATE TABLE IF NOT EXISTS status_observations (
    observation_id BIGINT PRIMARY KEY DEFAULT nextval('status_observation_ids'), company_id INTEGER NOT NULL,
    tracker VARCHAR NOT NULL, status VARCHAR NOT NULL, tracker_grade VARCHAR, status_date DATE,
    recorded_on DATE NOT NULL, source VARCHAR NOT NULL, source_file VARCHAR);
{OBSERVE_COMPANY_STATUSES}
INSERT INTO status_observations (company_id, tracker, status, tracker_grade, status_date, recorded_on, source)
    SELECT company_id, CASE WHEN lower(left(tracker, 3)) = 'kse' THEN 'kse' WHEN lower(left(tracker, 4)) = 'yale'
           THEN 'yale' ELSE 'research' END, status, tracker_grade, status_date, as_of, source
    FROM tracker_statuses ORDER BY company_id, tracker;
DROP TABLE tracker_statuses;
UPDATE companies SET status = cur.status, tracker_grade = cur.tracker_grade, status_date = cur.status_date
    FROM ({CURRENT_STATUS_SQL}) cur WHERE companies.company_id = cur.company_id;
CREATE TABLE IF NOT EXISTS watchlist (
    watcher VARCHAR NOT NULL, company_id INTEGER NOT NULL, added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (watcher, company_id));
CREATE SEQUENCE IF NOT EXISTS alert_ids;
CREATE TABLE IF NOT EXISTS alerts (
    alert_id BIGINT PRIMARY KEY DEFAULT nextval('alert_ids'), watcher VARCHAR NOT NULL, company_id INTEGER NOT NULL,
    kind VARCHAR NOT NULL, summary VARCHAR NOT NULL, source VARCHAR, change_key VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL, read_at TIMESTAMP, emailed_at TIMESTAMP);
"""
MIGRATIONS.append(STATUS_HISTORY)
# Sequences behind the id columns, to move on past copied ids (see Store.reset_sequences).
SEQUENCES = {"scenario_ids": ("scenarios", "scenario_id"), "note_ids": ("shortlist_notes", "note_id"),
             "audit_ids": ("audit_log", "audit_id"), "fact_ids": ("company_facts", "fact_id"),
             "outcome_ids": ("outcomes", "outcome_id"), "round_ids": ("weighting_rounds", "round_id"),
             "status_observation_ids": ("status_observations", "observation_id"),
             "alert_ids": ("alerts", "alert_id")}


class Cursor(Protocol):
    """What callers may use of a cursor on either backend (a DuckDB cursor, or lib.store_postgres.PgCursor)."""

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


def db_path() -> Path:
    """Where the DuckDB store lives: $RADAR_DB, else data/radar.duckdb."""
    return Path(os.environ.get("RADAR_DB") or DEFAULT_DB)


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


def redacted(location: str) -> str:
    """A path or database URL without its password, for messages."""
    return re.sub(r"//([^:/@]*):[^@/]*@", r"//\1:***@", str(location))


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


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def to_json(value: Any) -> str | None:
    """JSON text for audit before/after columns; None stays NULL."""
    if value is None:
        return None
    return json.dumps(value, default=_json_default, ensure_ascii=False, sort_keys=True)


def migration_data(store: Any, cur: Cursor, migration: str) -> None:
    """Load the committed data a migration brings (MIGRATION_DATA), inside its transaction."""
    if migration in MIGRATION_DATA:
        import importlib

        module, name = MIGRATION_DATA[migration]
        getattr(importlib.import_module(module), name)(store, cur)


def bump_versions(cur: Cursor, ranking: bool) -> None:
    """Count a write transaction in data_version, and in the ranking's version unless `ranking` is False."""
    cur.execute("UPDATE data_version SET version = version + 1 WHERE id = ? OR (id = ? AND ?)",
                [ANY_WRITE, RANKING_INPUTS, ranking])


class Store:
    """A DuckDB file with the Relocation Radar schema."""

    dialect = "duckdb"

    # Transactions this object committed (any session of the process): a memo of the versions within one script
    # run keys on it, so a run that writes reads the versions again (lib/ui/state.py: ranking_version).
    commits = 0

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
            raise _unopenable(self.path, exc) from exc
        except duckdb.Error as exc:  # "Corrupt database file: computed checksum ... does not match", and the like
            raise _unopenable(self.path, exc) from exc
        # Which file this connection writes to: a write after the file was deleted or replaced is refused.
        self._file_id = self._current_file_id()
        if not read_only:
            try:
                self.migrate()
            except duckdb.Error as exc:
                self._root.close()
                raise _unopenable(self.path, exc) from exc
            except StoreUnavailable:
                self._root.close()
                raise

    def close(self) -> None:
        self._root.close()

    @property
    def location(self) -> str:
        """What identifies the store in messages and cache keys: the file path (a URL on PostgreSQL)."""
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

    # -- reading -----------------------------------------------------------------------------
    def cursor(self) -> Cursor:
        """A fresh cursor on the root connection: one per query or per thread."""
        return self._root.cursor()

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

    # -- writing -----------------------------------------------------------------------------
    @contextmanager
    def transaction(self, ranking: bool = True) -> Iterator[Cursor]:
        """A cursor inside BEGIN ... COMMIT; any exception rolls everything back.

        Every commit bumps data_version; `ranking=False` says the writes leave the ranking's inputs alone (the
        shortlist, scenarios, rounds), so that the ranking_version every replica caches on stays.
        """
        with self._write_lock, self.cursor() as cur:
            self.check_file()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
                bump_versions(cur, ranking)
                self.check_file()  # a long import may outlast the file: checked again just before COMMIT
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
            self.commits += 1

    @contextmanager
    def counter_transaction(self) -> Iterator[Cursor]:
        """A write transaction for bookkeeping that no cache depends on (sign-in counts): data_version stays."""
        with self._write_lock, self.cursor() as cur:
            self.check_file()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")

    def count_sign_in_attempt(self, username: str, now: datetime, *, lockout: timedelta, window: timedelta,
                              max_attempts: int) -> tuple[int, int]:
        """Count one sign-in attempt, atomically: (attempts on `username` within the lock-out, counted ones only up
        to max_attempts + 1, and attempts on any name in the current `window`). Forgets names not tried within
        the lock-out."""
        with self.counter_transaction() as cur:
            cur.execute("DELETE FROM sign_in_attempts WHERE last_at < ?", [now - max(lockout, window)])
            cutoff = now - lockout
            on_name = cur.execute(_COUNT_ATTEMPT, ["name", username, now, cutoff, cutoff, True,
                                                   max_attempts]).fetchone()[0]
            cutoff = now - window
            on_all = cur.execute(_COUNT_ATTEMPT, ["all", "", now, cutoff, cutoff, False, 0]).fetchone()[0]
        return int(on_name), int(on_all)

    def clear_sign_in_attempts(self, username: str) -> None:
        """A correct password: the username's count starts again (the app's count stays)."""
        with self.counter_transaction() as cur:
            cur.execute("DELETE FROM sign_in_attempts WHERE scope = 'name' AND username = ?", [username])

    def insert_rows(self, cur: Any, table: str, rows: pa.Table, conflict: Sequence[str] = ()) -> None:
        """Insert an Arrow table's rows into `table` (same column names); on a `conflict` key, replace the row."""
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
        """Update rows found by `key`: each column c is written only where the boolean column set_c is true."""
        cur.register("changed_rows", rows)
        try:
            assignments = ", ".join(f"{c} = CASE WHEN u.set_{c} THEN u.{c} ELSE {table}.{c} END" for c in columns)
            cur.execute(f"UPDATE {table} SET {assignments} FROM changed_rows u WHERE {table}.{key} = u.{key}")
        finally:
            cur.unregister("changed_rows")

    def table_rows(self, table: str) -> pa.Table:
        """Every row of a table (a name from TABLES, never user input) as an Arrow table, for copying."""
        with self.cursor() as cur:
            return cur.sql(f"SELECT * FROM {table}").to_arrow_table()

    def export_database(self, folder: Path) -> None:
        """Write every table to `folder` with DuckDB's EXPORT DATABASE (schema.sql, load.sql, Parquet files)."""
        # The path is ours (a fresh temp folder), not user input; quotes are doubled all the same.
        target = str(folder).replace("'", "''")
        with self.cursor() as cur:
            cur.execute(f"EXPORT DATABASE '{target}' (FORMAT parquet)").fetchall()

    def reset_sequences(self) -> None:
        """Move every id sequence past the ids already stored (after rows were copied in with their ids)."""
        with self._write_lock, self.cursor() as cur:
            self.check_file()
            for sequence, (table, column) in SEQUENCES.items():
                # DuckDB has no setval: draw the sequence forward instead.
                stored = cur.execute(f"SELECT coalesce(max({column}), 0) FROM {table}").fetchone()[0]
                drawn = cur.execute(f"SELECT nextval('{sequence}')").fetchone()[0]
                if stored >= drawn:
                    cur.execute(f"SELECT max(nextval('{sequence}')) FROM range(?)", [stored - drawn])

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
        """Bring the schema up to SCHEMA_VERSION; returns the version now in place."""
        with self._write_lock, self.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version "
                        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)")
            current = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
            if current > len(MIGRATIONS):
                raise StoreUnavailable(
                    f"The store {self.path} was written by a newer version of Relocation Radar (schema "
                    f"{current}; this version knows up to {len(MIGRATIONS)}). Update the app (git pull, then "
                    "make run), or open a backup made with this version.")
            for version in range(current, len(MIGRATIONS)):
                cur.execute("BEGIN TRANSACTION")
                cur.execute(MIGRATIONS[version])
                migration_data(self, cur, MIGRATIONS[version])
                cur.execute("INSERT INTO schema_version VALUES (?, ?)", [version + 1, datetime.now()])
                cur.execute("COMMIT")
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
        sql = f"SELECT version FROM data_version WHERE id = {ANY_WRITE}"
        if cur is not None:
            return int(cur.execute(sql).fetchone()[0])
        return int(self.fetch_one(sql)[0])

    def ranking_version(self, cur: Any = None) -> int:
        """Changes whenever what the ranking is computed from is written (companies, facts, sectors, packages...).

        Imports are previewed against it: a shortlist edit meanwhile does not make a preview stale.
        """
        sql = f"SELECT version FROM data_version WHERE id = {RANKING_INPUTS}"
        if cur is not None:
            return int(cur.execute(sql).fetchone()[0])
        return int(self.fetch_one(sql)[0])

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

    def insert_seed(self, cur: Any, table: str, rows: list[dict[str, Any]]) -> None:
        """Seed rows (text cells, lists for list columns) into `table`; the database casts the text."""
        frame = pd.DataFrame(rows, dtype=object)
        columns = ", ".join(frame.columns)
        cur.register("seed_rows", frame)
        cur.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM seed_rows")
        cur.unregister("seed_rows")


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


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def connect(location: str | Path, create: bool = True) -> Store:
    """A new, migrated but possibly empty Store: a PostgreSQL URL or a DuckDB file path (parse_location).

    A DuckDB file that does not exist is created only with `create`; otherwise StoreUnavailable says how to build
    it, so a mistyped path never becomes a new, empty store."""
    parsed = parse_location(location)
    if parsed.kind == "postgres":
        from lib.store_postgres import PostgresStore

        return PostgresStore(parsed.value)
    path = Path(parsed.value)
    if not create and not path.exists():
        raise StoreUnavailable(f"There is no store at {path}. Build it with `make store` (python -m lib build), or "
                               "point RADAR_DB at the existing file.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return Store(path)


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


def is_fatal(exc: BaseException) -> bool:
    """A DuckDB error after which the connection is unusable ("database has been invalidated", disk full)."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.FatalException) or "invalidated" in text or "no space left" in text


# What DuckDB says when the file's bytes are damaged (found on opening, or later when a damaged block is read).
_CORRUPT = ("corrupt database file", "not a valid duckdb database", "could not read enough bytes",
            "checksum", "serialization error")


def _reason(exc: BaseException) -> str:
    return str(exc).split(": ", 1)[-1].strip()[:300]


def _unopenable(path: Path, exc: BaseException) -> StoreUnavailable:
    """The operator's message for a store file that cannot be opened or read: the path, the reason, what to do."""
    return StoreUnavailable(f"The store {path} cannot be opened or read ({_reason(exc)}). {RESTORE_ADVICE}")


def as_store_problem(exc: BaseException, store: Store | str | Path | None = None) -> StoreUnavailable | None:
    """A database error that means the store itself is broken (a damaged file, an invalidated connection) as
    StoreUnavailable with the path and what to do; None for an ordinary error (a bug, a refused constraint)."""
    if isinstance(exc, StoreUnavailable):
        return exc
    if not isinstance(exc, duckdb.Error):
        return None
    path = store.path if isinstance(store, Store) else Path(store) if store else db_path()
    if any(marker in str(exc).lower() for marker in _CORRUPT):
        return _unopenable(path, exc)
    if is_fatal(exc):
        return StoreUnavailable(f"The store {path} stopped working ({_reason(exc)}). Free disk space or fix the "
                                f"file; the app reopens it on the next click. {RESTORE_ADVICE}")
    return None


def _drop(store: Store) -> None:
    """Forget and close a process-wide store whose connection is broken or whose file is gone."""
    with _stores_lock:
        if _stores.get(_key(store.path)) is store:
            del _stores[_key(store.path)]
    try:
        store.close()
    except duckdb.Error:
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
        except (duckdb.Error, OSError) as exc:
            raise _unopenable(store.path, exc) from exc
    try:
        store.fetch_one("SELECT 1")
        return store
    except duckdb.Error as exc:
        if not is_fatal(exc):
            raise
    _drop(store)
    try:
        return open_store(store.path)
    except (duckdb.Error, OSError) as exc:
        raise StoreUnavailable(
            f"The store {store.path} stopped working ({_reason(exc)}) and could not be reopened. Free disk space "
            f"or fix the file; the app reopens it on the next click. {RESTORE_ADVICE}") from exc


def close_all() -> None:
    """Close every open store (tests and CLI exit)."""
    with _stores_lock:
        for store in _stores.values():
            store.close()
        _stores.clear()
