"""The schema: named migrations, each with its PostgreSQL spelling where it differs, recorded by name in the store.

Portable SQL is written once: DuckDB reads PostgreSQL's type names (DOUBLE PRECISION), so only a migration that
spells something differently (empty lists) carries a PostgreSQL text of its own. Store.migrate (lib/store/base.py)
applies, in list order, each migration whose name the store has not recorded. Append new ones at the end; never edit,
rename or reorder one that shipped: a store that ran it keeps only its name. This module imports nothing of lib/.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS sectors (
    sector_code VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, isic VARCHAR NOT NULL,
    kz_priority INTEGER NOT NULL CHECK (kz_priority BETWEEN 0 AND 5), priority_reason VARCHAR NOT NULL,
    activity_type VARCHAR NOT NULL, dual_use BOOLEAN NOT NULL, source VARCHAR NOT NULL, as_of DATE NOT NULL);
CREATE TABLE IF NOT EXISTS companies (
    company_id INTEGER PRIMARY KEY, company_key VARCHAR NOT NULL UNIQUE, name VARCHAR NOT NULL,
    hq_country VARCHAR, industry VARCHAR, sector_code VARCHAR, status VARCHAR NOT NULL,
    tracker_grade VARCHAR, status_date DATE, revenue_worldwide_usd_m DOUBLE PRECISION, employees_worldwide BIGINT,
    russia_revenue_usd_m DOUBLE PRECISION, russia_employees BIGINT, russia_production BOOLEAN,
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
    land_tax_years INTEGER, customs_vat_exemption BOOLEAN NOT NULL, in_kind_grant_pct DOUBLE PRECISION,
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
    contact_status VARCHAR, score_at_add DOUBLE PRECISION, rank_at_add INTEGER, scenario_at_add JSON,
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
# Statuses reported by trackers other than the one a company row came from (e.g. KSE for a Yale row),
# so that disagreements stay visible with their dates instead of one tracker overwriting the other.
TRACKER_STATUSES_V2 = """
CREATE TABLE IF NOT EXISTS tracker_statuses (
    company_id INTEGER NOT NULL, tracker VARCHAR NOT NULL, status VARCHAR NOT NULL, tracker_grade VARCHAR,
    status_date DATE, source VARCHAR NOT NULL, as_of DATE NOT NULL, PRIMARY KEY (company_id, tracker));
"""
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
# What companies actually did about Kazakhstan after February 2022, for the back-test (lib/outcomes.py).
OUTCOMES_V4 = """
CREATE SEQUENCE IF NOT EXISTS outcome_ids;
CREATE TABLE IF NOT EXISTS outcomes (
    outcome_id INTEGER PRIMARY KEY DEFAULT nextval('outcome_ids'), company_id INTEGER, company_name VARCHAR NOT NULL,
    hq_country VARCHAR, outcome VARCHAR NOT NULL, outcome_date VARCHAR, evidence_level VARCHAR NOT NULL,
    source VARCHAR NOT NULL, note VARCHAR, recorded_on DATE);
"""
# A shortlist entry a company asked to keep quiet while talks run: shown to editors only (lib/shortlist.py).
CONFIDENTIAL_V5 = """
ALTER TABLE shortlist ADD COLUMN confidential BOOLEAN DEFAULT FALSE;
UPDATE shortlist SET confidential = FALSE WHERE confidential IS NULL;
"""
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
# Rules of an incentive package that are Relocation Radar's assumption, not in the sources (e.g. an SEZ's sector
# list read from its description): they decide nothing unless the user includes assumed rules.
ASSUMED_RULES_V7 = """
ALTER TABLE incentive_packages ADD COLUMN assumed_rules VARCHAR[] DEFAULT {empty_list};
UPDATE incentive_packages SET assumed_rules = {empty_list} WHERE assumed_rules IS NULL;
"""
# The sources name customs duty and import VAT separately (priority projects were exempt from duty only); terms that
# are uncertain from a date (SEZ benefits under the 2026 Tax Code) are valued as a range; every rule field of a
# package carries its own citation.
INCENTIVE_TERMS_V8 = """
ALTER TABLE incentive_packages RENAME COLUMN customs_vat_exemption TO customs_duty_exemption;
ALTER TABLE incentive_packages ADD COLUMN import_vat_exemption BOOLEAN DEFAULT FALSE;
UPDATE incentive_packages SET import_vat_exemption = customs_duty_exemption
    WHERE package_id NOT IN ('priority_project_new', 'priority_project_expansion', 'priority_project_food_light');
ALTER TABLE incentive_packages ADD COLUMN uncertain_terms VARCHAR[] DEFAULT {empty_list};
ALTER TABLE incentive_packages ADD COLUMN uncertain_from DATE;
CREATE TABLE IF NOT EXISTS incentive_rule_sources (
    package_id VARCHAR NOT NULL, field VARCHAR NOT NULL, status VARCHAR NOT NULL, value VARCHAR, source VARCHAR,
    source_date VARCHAR, note VARCHAR, PRIMARY KEY (package_id, field));
"""
# Counters bumped in the same transaction as the writes they count, read by every process: row 1 counts every
# write; row 2 only writes to what the ranking is computed from (not the shortlist, scenarios or weighting rounds),
# the cache key of every replica's ranking snapshot. (The newest audit id is not enough on PostgreSQL: ids are
# drawn before commit, so they can commit out of order.)
DATA_VERSION_V9 = """
CREATE TABLE IF NOT EXISTS data_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
INSERT INTO data_version SELECT 1, coalesce(max(audit_id), 0) FROM audit_log;
INSERT INTO data_version SELECT 2, coalesce(max(audit_id), 0) FROM audit_log;
"""
# Sign-in attempts counted in the store (lib/auth.py), so that every thread, rerun and (on PostgreSQL) replica shares
# one count: a row per username tried in the last 15 minutes (scope 'name') and one for the whole app (scope 'all').
# Counters, not a log: no password, no address; rows older than the lock-out are deleted. Not copied by migrate --to.
SIGN_IN_ATTEMPTS_V10 = """
CREATE TABLE IF NOT EXISTS sign_in_attempts (
    scope VARCHAR NOT NULL, username VARCHAR NOT NULL, attempts INTEGER NOT NULL, last_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, username));
"""
# Screening before the call (lib/screening.py): sanctions lists with their publication date (one row per listed name,
# primary or alias), the Common High Priority items mapped to sectors, and each named review of a possible match.
# The committed lists and items (data/sources/sanctions/) come in with this migration (its data step); an editor
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
# Tables a migration fills from committed files: copy_store empties them in the target before copying.
REFERENCE_TABLES = ("sanctions_lists", "sanctions_names", "chp_items")
# Which tracker a company row's status came from, read from its tracker_grade label ("Yale CELI grade B",
# "KSE Institute status: transfer"); anything else is the agency's own research.
TRACKER_OF_GRADE = ("CASE WHEN left(coalesce(tracker_grade, ''), 4) = 'Yale' THEN 'yale' "
                    "WHEN left(coalesce(tracker_grade, ''), 3) = 'KSE' THEN 'kse' ELSE 'research' END")
# Every company's status as an observation of its tracker (for the seed load and the status_history migration).
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
# Sequences behind the id columns, to move on past copied ids (see reset_sequences in each backend).
SEQUENCES = {"scenario_ids": ("scenarios", "scenario_id"), "note_ids": ("shortlist_notes", "note_id"),
             "audit_ids": ("audit_log", "audit_id"), "fact_ids": ("company_facts", "fact_id"),
             "outcome_ids": ("outcomes", "outcome_id"), "round_ids": ("weighting_rounds", "round_id"),
             "status_observation_ids": ("status_observations", "observation_id"),
             "alert_ids": ("alerts", "alert_id")}



@dataclass(frozen=True)
class Migration:
    """One schema change: its name (recorded in the store), its SQL (DuckDB's, and PostgreSQL's where that differs),
    and an optional data step: (module, function) called with (store, cursor) inside the migration's transaction on
    both backends (a module, not a function, because the loaders import lib.store themselves)."""

    name: str
    sql: str
    postgres: str | None = None
    data: tuple[str, str] | None = None

    def script(self, dialect: str) -> str:
        """The statements to run on `dialect` ("duckdb" or "postgres"), several in one text, no parameters."""
        return self.postgres if dialect == "postgres" and self.postgres is not None else self.sql

    def load_data(self, store: Any, cur: Any) -> None:
        if self.data:
            module, name = self.data
            getattr(importlib.import_module(module), name)(store, cur)


# What the backends spell differently, named in a migration's text as a {placeholder}: an empty list value.
DUCKDB = {"empty_list": "[]"}
POSTGRES = {"empty_list": "'{}'"}

MIGRATIONS: tuple[Migration, ...] = (
    Migration("initial_schema", SCHEMA_V1),
    Migration("tracker_statuses", TRACKER_STATUSES_V2),
    Migration("evidence_states", EVIDENCE_V3),
    Migration("outcomes", OUTCOMES_V4),
    Migration("confidential_shortlist", CONFIDENTIAL_V5),
    Migration("weighting_rounds", ROUNDS_V6),
    Migration("assumed_rules", ASSUMED_RULES_V7.format(**DUCKDB), ASSUMED_RULES_V7.format(**POSTGRES)),
    Migration("incentive_terms", INCENTIVE_TERMS_V8.format(**DUCKDB), INCENTIVE_TERMS_V8.format(**POSTGRES)),
    Migration("data_version", DATA_VERSION_V9),
    Migration("sign_in_attempts", SIGN_IN_ATTEMPTS_V10),
    Migration("screening", SCREENING, data=("lib.sanctions_lists", "load_screening_sources")),
    Migration("status_history", STATUS_HISTORY),
)
# The migrations as versions before named migrations recorded them in schema_version: number n is NUMBERED[n - 1].
# Frozen: never append to it.
NUMBERED = ("initial_schema", "tracker_statuses", "evidence_states", "outcomes", "confidential_shortlist",
            "weighting_rounds", "assumed_rules", "incentive_terms", "data_version", "sign_in_attempts", "screening",
            "status_history")
