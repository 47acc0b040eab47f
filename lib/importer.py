"""Import company lists into the store: read, recognise, map, validate, preview (dry run), apply.

Accepted: the Yale CELI list export (name, action, industry, country, yaleGrade), the KSE Institute
#LeaveRussia tracker (company, status, industry, country, Russian revenue/employees), the project's own
companies export, and agency spreadsheets using the store's column names. CSV in UTF-8, UTF-8 with BOM,
UTF-16 (Excel "Unicode text") or Windows-1251 with `,` `;` or tab separators, and .xlsx (read by
lib/tablefile.py).

Rules that keep data safe:
- Companies are matched on `company_key` (normalised name + HQ country); a row without a country
  matches a stored company of the same name when exactly one exists.
- An empty cell never erases a stored value; `source` and `as_of` change only with a real change, so
  re-importing an unchanged file reports 0 adds and 0 updates.
- Every status a file gives that its tracker has not given before is appended to the company's status history
  (`status_observations`, lib/status_history.py), never overwriting one; the company's current status is then
  derived by the stated rule (latest date, source precedence on ties). The preview lists each tracker's new status
  and where trackers disagree, so both stay visible with their dates.
- Everything is applied in one transaction with one audit row per changed record; any error, or a store
  changed since the preview, writes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, Field, ValidationError

from lib.alerts import record_change, watched_ids_in
from lib.auth import User, require_editor
from lib.evidence import PRESENCE_LEVELS, PRODUCTION_STATES
from lib.i18n import _
from lib.models import GRADE_STATUS, STATUSES, CompanyRow, company_key
from lib.status_history import (
    StatusChange,
    current_statuses,
    latest_by_tracker,
    refresh_current,
    status_changes,
    status_summary,
    tracker_of_grade,
)
from lib.store import SEED_DIR, Store, to_json
from lib.tablefile import ImportRefused, RawTable, read_table

__all__ = ["ImportRefused", "ImportRejected", "RawTable", "apply_import", "preview_import", "read_table"]

INDUSTRY_MAP_FILE = SEED_DIR / "industry_sector_map.csv"
FileFormat = Literal["yale", "kse", "radar", "spreadsheet"]
FORMAT_LABELS: dict[str, str] = {
    "yale": "Yale CELI list", "kse": "KSE Institute #LeaveRussia tracker",
    "radar": "Relocation Radar companies export", "spreadsheet": "Spreadsheet with the store's column names",
}
TRACKERS: dict[str, str] = {"yale": "Yale CELI", "kse": "KSE Institute"}

# File header (normalised: lower case, non-alphanumerics as "_") -> field. "grade" is the Yale letter.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "company", "company_name", "компания", "название", "наименование"),
    "hq_country": ("hq_country", "country", "headquarters", "hq", "страна"),
    "industry": ("industry", "отрасль"),
    "sector_code": ("sector_code",),
    "sector_reason": ("sector_reason",),
    "sector_source": ("sector_source",),
    "status": ("status", "russia_status", "статус"),
    "grade": ("yalegrade", "yale_grade", "grade"),
    "tracker_grade": ("tracker_grade",),
    # KSE's dump names its date column in several ways over time; all mean the date the status describes.
    "status_date": ("status_date", "date", "decision_date", "last_updated", "last_update", "updated",
                    "date_of_status", "status_changed", "date_of_status_change"),
    "revenue_worldwide_usd_m": ("revenue_worldwide_usd_m",),
    "employees_worldwide": ("employees_worldwide",),
    "russia_revenue_usd_m": ("russia_revenue_usd_m", "revenue_rf_mln_usd", "revenue_rf", "revenue_rf_usd_m"),
    "russia_employees": ("russia_employees", "employees_rf", "staff_rf"),
    "russia_production": ("russia_production",),
    "russia_production_date": ("russia_production_date",),
    "kazakhstan_presence": ("kazakhstan_presence",),
    "kazakhstan_presence_since": ("kazakhstan_presence_since",),
    "website": ("website", "url"),
    "is_candidate": ("is_candidate",),
    "exclusion_reason": ("exclusion_reason",),
    "source": ("source",),
    "as_of": ("as_of",),
}
HEADER_FIELD = {alias: field for field, aliases in ALIASES.items() for alias in aliases}
# Columns we know and leave out on purpose, with the reason shown to the user.
IGNORED = {"company_id": "ids are given by the store", "action": "Yale's prose is not stored",
           "company_key": "computed from name and country",
           "group_parent_id": "company groups are kept in data/sources/company_groups.csv"}

# Status words as the trackers write them; KSE's classes (transfer = business sold or handed over).
STATUS_WORDS: dict[str, str] = {s.casefold(): s for s in STATUSES} | {
    "withdrawn": "Withdrawal", "transfer": "Withdrawal", "suspended": "Suspension",
    "scalingback": "Scaling back", "holdoff": "Buying time", "continue": "Digging in",
} | {g.casefold(): s for g, s in GRADE_STATUS.items()}
# Country names as the trackers write them -> the store's spelling, so keys match.
COUNTRY_ALIASES = {"usa": "United States", "us": "United States", "united states of america": "United States",
                   "uk": "United Kingdom", "great britain": "United Kingdom", "britain": "United Kingdom",
                   "danish": "Denmark", "the netherlands": "Netherlands", "holland": "Netherlands",
                   "korea": "South Korea", "republic of korea": "South Korea", "czechia": "Czech Republic"}
TRUE_WORDS = {"true", "yes", "y", "1", "да", "иә"}
FALSE_WORDS = {"false", "no", "n", "0", "нет", "жоқ"}
FLOAT_FIELDS = ("revenue_worldwide_usd_m", "russia_revenue_usd_m")
INT_FIELDS = ("employees_worldwide", "russia_employees", "kazakhstan_presence_since")
BOOL_FIELDS = ("is_candidate",)
# Facts with a state: the store's words, and yes/no read as what they honestly say (a plant reported,
# state unknown; present, level not stated).
STATE_WORDS: dict[str, dict[str, str]] = {
    "russia_production": {s: s for s in PRODUCTION_STATES} | {w: "reported" for w in TRUE_WORDS}
    | {w: "none" for w in FALSE_WORDS},
    "kazakhstan_presence": {s: s for s in PRESENCE_LEVELS} | {w: "unspecified" for w in TRUE_WORDS}
    | {w: "none_found" for w in FALSE_WORDS},
}
DATE_FIELDS = ("status_date", "as_of")
# Facts that any tracker may update; classification and status belong to the row's own tracker.
FACT_FIELDS = ("revenue_worldwide_usd_m", "employees_worldwide", "russia_revenue_usd_m", "russia_employees",
               "russia_production", "kazakhstan_presence")
IDENTITY_FIELDS = ("name", "hq_country", "industry", "sector_code", "sector_reason", "sector_source", "status",
                   "status_date", "website", "is_candidate", "exclusion_reason", "russia_production_date",
                   "kazakhstan_presence_since")
COMPANY_COLUMNS = tuple(f for f in CompanyRow.model_fields if f != "company_id")
ARROW_TYPES = {
    "company_id": pa.int32(), "company_key": pa.string(), "status_date": pa.date32(), "as_of": pa.date32(),
    "recorded_on": pa.date32(), "group_parent_id": pa.int32(),
    **{f: pa.float64() for f in FLOAT_FIELDS}, **{f: pa.int64() for f in INT_FIELDS},
    **{f: pa.bool_() for f in BOOL_FIELDS},
}


class ImportRejected(ValueError):
    """Apply was refused (rejected rows, a stale preview); nothing was written."""


class RowError(BaseModel):
    """Why one row (or one cell) was rejected."""

    row: int | None = None
    column: str | None = None
    value: str | None = None
    reason: str

    def text(self) -> str:
        """`row 214, column status: "Maybe" is not one of ...` in the user's language."""
        parts = []
        if self.row is not None:
            parts.append(_("row %(row)d") % {"row": self.row})
        if self.column:
            parts.append(_("column %(column)s") % {"column": self.column})
        where = ", ".join(parts)
        what = f'"{self.value}" {self.reason}' if self.value is not None else self.reason
        return f"{where}: {what}" if where else what


class FieldChange(BaseModel):
    field: str
    before: Any = None
    after: Any = None


class CompanyAdd(BaseModel):
    row: int
    company_key: str
    company: CompanyRow


class CompanyUpdate(BaseModel):
    """A stored company whose fields change; `values` also carries the new source and dates."""

    row: int
    company_id: int
    name: str
    changes: list[FieldChange]
    values: dict[str, Any]


class TrackerStatus(BaseModel):
    """A status from a tracker other than the row's own; company_id is None for a company being added."""

    row: int
    company_id: int | None
    company_key: str
    name: str
    tracker: str
    status: str
    tracker_grade: str | None
    status_date: date | None
    source: str
    as_of: date
    stored_status: str | None = None  # the company's own status, to show the disagreement
    stored_status_date: date | None = None
    before: dict[str, Any] | None = None


class ImportPreview(BaseModel):
    """What an import would do (a dry run); `apply_import` writes exactly this."""

    filename: str
    file_format: FileFormat
    digest: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    columns: list[str] = Field(default_factory=list)
    unknown_columns: list[str] = Field(default_factory=list)
    ignored_columns: dict[str, str] = Field(default_factory=dict)
    rows_read: int = 0
    adds: list[CompanyAdd] = Field(default_factory=list)
    updates: list[CompanyUpdate] = Field(default_factory=list)
    tracker_statuses: list[TrackerStatus] = Field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    data_version: int = 0

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def has_changes(self) -> bool:
        return bool(self.adds or self.updates or self.tracker_statuses)

    @property
    def disagreements(self) -> list[TrackerStatus]:
        return [t for t in self.tracker_statuses if t.stored_status and t.stored_status != t.status]


class ImportResult(BaseModel):
    added: int
    updated: int
    tracker_statuses: int
    facts: int
    skipped_rows: int
    audit_rows: int
    source_file: str
    status_observations: int = 0  # statuses appended to the history (new companies' first ones included)
    status_changes: list[dict[str, Any]] = Field(default_factory=list)  # current statuses that changed


# -- mapping and validation --------------------------------------------------------------------
def normalise_header(header: str) -> str:
    """'Revenue(RF), mln.USD' -> 'revenue_rf_mln_usd'."""
    return "_".join(re.sub(r"[^\w]+", " ", header.casefold()).split())


def industry_map(path: Path = INDUSTRY_MAP_FILE) -> dict[str, str]:
    """The committed tracker industry -> sector mapping (case-insensitive)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["industry"].strip().casefold(): r["sector_code"] for r in csv.DictReader(fh)}


def _detect_format(fields: dict[str, str], columns: list[str]) -> FileFormat:
    normalised = {normalise_header(c) for c in columns}
    if "grade" in fields or "action" in normalised:
        return "yale"
    if fields.get("name") and normalise_header(fields["name"]) == "company" or "revenue_rf_mln_usd" in normalised:
        return "kse"
    if {"company_id", "hq_country", "source", "as_of"} <= normalised:  # our export starts with company_id
        return "radar"
    return "spreadsheet"


def _text(raw: str) -> str:
    """Unescape HTML entities (the Yale copy has '&amp;'), undo Excel's text marker, tidy spaces."""
    value = " ".join((html.unescape(raw) if "&" in raw else raw).split())
    # Our exports write "'=..." so a spreadsheet shows text; importing it back restores the original.
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        value = value[1:]
    return value


def _number(raw: str, decimal_comma: bool) -> float:
    text = raw.replace("\u00a0", "").replace(" ", "").replace("$", "")
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "").replace(",", ".")
    elif "," in text:
        text = text.replace(",", ".") if decimal_comma or not re.fullmatch(r"-?\d{1,3}(,\d{3})+", text) \
            else text.replace(",", "")
    return float(text)


def _date(raw: str) -> date:
    text = raw.strip()[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(raw)


@dataclass
class _Parsed:
    row: int
    values: dict[str, Any]  # only what the file gives (non-empty), converted
    status_raw: str | None
    industry_unmapped: bool


def _parse_row(row: int, cells: list[str], fields: dict[str, str], file_format: FileFormat,
               decimal_comma: bool, industries: dict[str, str], sectors: set[str],
               errors: list[RowError]) -> _Parsed | None:
    """Convert one row's cells; append a RowError per bad cell and return None if any."""
    index = fields["__index__"]
    raw: dict[str, str] = {}
    for field, position in index.items():
        cell = cells[position] if position < len(cells) else ""
        text = _text(cell) if cell else ""
        if text:
            raw[field] = text
    before = len(errors)

    def bad(field: str, reason: str, value: str | None = None) -> None:
        errors.append(RowError(row=row, column=fields[field], value=value, reason=reason))

    values: dict[str, Any] = {}
    if not raw.get("name"):
        bad("name", _("is empty; every row needs a company name"))
    for field, text in raw.items():
        try:
            if field in FLOAT_FIELDS or field in INT_FIELDS:
                number = _number(text, decimal_comma)
                if number < 0:
                    bad(field, _("is below 0"), text)
                elif field in INT_FIELDS and not number.is_integer():
                    bad(field, _("is not a whole number"), text)
                else:
                    values[field] = int(number) if field in INT_FIELDS else number
            elif field in STATE_WORDS:
                word = text.casefold().replace(" ", "_")
                if word not in STATE_WORDS[field]:
                    states = PRODUCTION_STATES if field == "russia_production" else PRESENCE_LEVELS
                    bad(field, _("is not one of %(values)s") % {"values": ", ".join((*states, "yes", "no"))}, text)
                    continue
                values[field] = STATE_WORDS[field][word]
            elif field in BOOL_FIELDS:
                word = text.casefold()
                if word not in TRUE_WORDS | FALSE_WORDS:
                    bad(field, _("is not yes or no"), text)
                    continue
                values[field] = word in TRUE_WORDS
            elif field in DATE_FIELDS:
                values[field] = _date(text)
            elif field == "hq_country":
                values[field] = COUNTRY_ALIASES.get(text.casefold(), text)
            elif field not in ("status", "grade"):
                values[field] = text
        except ValueError:
            bad(field, _("is not a date (use YYYY-MM-DD)") if field in DATE_FIELDS else _("is not a number"), text)

    status_raw = raw.get("grade") or raw.get("status")
    if "grade" in raw:
        letter = raw["grade"].strip().upper()
        if letter not in GRADE_STATUS:
            bad("grade", _("is not one of %(values)s") % {"values": ", ".join(GRADE_STATUS)}, raw["grade"])
        else:
            values["status"] = GRADE_STATUS[letter]
            values["tracker_grade"] = f"Yale CELI grade {letter}"
    elif "status" in raw:
        status = STATUS_WORDS.get(raw["status"].casefold())
        if status is None:
            bad("status", _("is not one of %(values)s") % {"values": ", ".join(STATUSES)}, raw["status"])
        else:
            values["status"] = status
            if file_format == "kse":
                values["tracker_grade"] = f"KSE Institute status: {raw['status']}"
    else:
        bad("grade" if "grade" in fields else "status", _("is empty; every row needs a Russia status"))

    industry_unmapped = False
    if "sector_code" in values:
        if values["sector_code"] not in sectors:
            bad("sector_code", _("is not a sector in the store"), values["sector_code"])
    elif "industry" in values:
        sector = industries.get(values["industry"].casefold())
        if sector is None:
            industry_unmapped = True
        else:
            values["sector_code"] = sector
    if len(errors) > before:
        return None
    return _Parsed(row, values, status_raw, industry_unmapped)


def _field_errors(row: int, exc: ValidationError, fields: dict[str, str], values: dict[str, Any]) -> list[RowError]:
    """pydantic errors as RowErrors naming the file's own column."""
    out = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else None
        value = values.get(field) if field else None
        out.append(RowError(row=row, column=fields.get(field, field) if field else None,
                            value=None if value is None else str(value), reason=pydantic_reason(err["msg"])))
    return out


def pydantic_reason(message: str) -> str:
    """A pydantic message as the end of a row error: '"9" is invalid: input should be ...'."""
    return _("is invalid: %(why)s") % {"why": message[:1].lower() + message[1:]}


def _map_columns(columns: list[str], filename: str) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """field -> file header (plus '__index__': field -> position), unknown and ignored columns."""
    fields: dict[str, Any] = {}
    index: dict[str, int] = {}
    unknown, ignored = [], {}
    for position, header in enumerate(columns):
        key = normalise_header(header)
        field = HEADER_FIELD.get(key)
        if field is None:
            if key in IGNORED:
                ignored[header] = IGNORED[key]
            elif header:
                unknown.append(header)
            continue
        if field in fields:
            raise ImportRefused(_("%(file)s has two columns for %(field)s: %(a)s and %(b)s. Remove one.")
                                % {"file": filename, "field": field, "a": fields[field], "b": header})
        fields[field], index[field] = header, position
    if "name" not in fields or not ({"status", "grade"} & set(fields)):
        missing = "name" if "name" not in fields else "status"
        raise ImportRefused(
            _("%(file)s has no %(column)s column. A company list needs a company name and a Russia status "
              "(Yale: name, industry, country, yaleGrade; KSE: company, status, industry, country). "
              "Columns found: %(found)s.")
            % {"file": filename, "column": missing, "found": ", ".join(columns) or "—"})
    fields["__index__"] = index
    return fields, unknown, ignored


def _today() -> date:
    return date.today()


def _primary_tracker(tracker_grade: Any) -> str | None:
    """Which tracker a stored company's status came from, read from its tracker_grade label."""
    text = str(tracker_grade or "")
    for fmt, label in TRACKERS.items():
        if text.startswith(label.split()[0]):
            return fmt
    return None


def _plain(value: Any) -> Any:
    """A stored cell as a plain Python value (NaN/NaT -> None, numpy -> int/float, Timestamp -> date)."""
    if hasattr(value, "tolist") and getattr(value, "ndim", 0):  # a DuckDB list arrives as an array
        return value.tolist()
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if hasattr(value, "item") else value


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, float) or isinstance(after, float):
        return before is not None and after is not None and abs(float(before) - float(after)) < 1e-9
    return before == after


def preview_import(store: Store, data: bytes, filename: str, *, as_of: date | None = None) -> ImportPreview:
    """A dry run: what would be added, updated (field by field) and rejected. Writes nothing."""
    version = store.ranking_version()
    table = read_table(data, filename)  # refuses more than tablefile.MAX_ROWS rows while reading them
    fields, unknown, ignored = _map_columns(table.columns, filename)
    file_format = _detect_format(fields, table.columns)
    tracker = file_format if file_format in TRACKERS else None
    as_of = as_of or _today()
    default_source = f"{FORMAT_LABELS[file_format]}, imported from {filename}"
    industries = industry_map()
    sectors = {r[0] for r in store.fetch_all("SELECT sector_code FROM sectors")}
    preview = ImportPreview(filename=filename, file_format=file_format, digest=hashlib.sha256(data).hexdigest(),
                            encoding=table.encoding, delimiter=table.delimiter, sheet=table.sheet,
                            columns=table.columns, unknown_columns=unknown, ignored_columns=ignored,
                            rows_read=len(table.rows), data_version=version)
    errors = preview.errors
    for row, cells in table.rows:
        if len(cells) > len(table.columns) and any(c.strip() for c in cells[len(table.columns):]):
            errors.append(RowError(row=row, reason=_("has %(n)d cells but the header has %(m)d columns")
                                   % {"n": len(cells), "m": len(table.columns)}))

    stored = store.fetch_df("SELECT * FROM companies")
    by_key = {k: i for i, k in enumerate(stored["company_key"])}
    by_name: dict[str, list[int]] = {}
    for i, key in enumerate(stored["company_key"]):
        by_name.setdefault(key.split("|")[0], []).append(i)
    for column in ("status_date", "as_of"):
        stored[column] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in stored[column]]
    # Plain Python values once (NULL -> None), so comparing 100,000 rows stays cheap.
    stored_rows = stored.astype(object).where(stored.notna(), None).to_dict("records")
    latest = latest_by_tracker(store)  # each tracker's newest status per company
    trackers_stored = {(int(r[0]), r[1]): r for r in latest[["company_id", "tracker", "status", "tracker_grade",
                                                            "status_date", "source", "recorded_on"]].itertuples(
        index=False, name=None)}

    seen: dict[str, tuple[int, dict[str, Any]]] = {}
    duplicate_keys: set[str] = set()
    parsed_rows: list[tuple[_Parsed, str, int | None]] = []
    bad_rows = {e.row for e in errors}
    for row, cells in table.rows:
        parsed = _parse_row(row, cells, fields, file_format, table.delimiter == ";", industries, sectors, errors)
        if parsed is None or row in bad_rows:
            continue
        values = parsed.values
        key = company_key(values["name"], values.get("hq_country"))
        match: int | None = by_key.get(key)
        if match is None and not values.get("hq_country"):
            same_name = by_name.get(key.split("|")[0], [])
            if len(same_name) > 1:
                countries = ", ".join(sorted(str(stored_rows[i]["hq_country"]) for i in same_name))
                errors.append(RowError(row=row, column=fields["name"], value=values["name"],
                                       reason=_("matches %(n)d stored companies (HQ %(countries)s); add a country "
                                                "column") % {"n": len(same_name), "countries": countries}))
                continue
            if same_name:
                match = same_name[0]
                key = stored_rows[match]["company_key"]
        if key in seen:
            first_row, first_values = seen[key]
            if first_values == values:
                preview.warnings.append(_("Row %(row)d repeats row %(first)d exactly and is skipped.")
                                        % {"row": row, "first": first_row})
            else:
                duplicate_keys.add(key)
                errors.append(RowError(row=row, column=fields["name"], value=values["name"],
                                       reason=_("is the same company as row %(first)d (same name and HQ country) "
                                                "with different values; keep one row")
                                       % {"first": first_row}))
            continue
        seen[key] = (row, values)
        parsed_rows.append((parsed, key, match))

    for parsed, key, match in parsed_rows:
        if key in duplicate_keys:  # the first of conflicting duplicates is rejected too
            errors.append(RowError(row=parsed.row, column=fields["name"], value=parsed.values["name"],
                                   reason=_("appears again later in the file with different values")))
            continue
        values = dict(parsed.values)
        source, row_as_of = values.pop("source", default_source), values.pop("as_of", as_of)
        status_date_given = "status_date" in values
        file_status_date = values.get("status_date")  # kept for another tracker's status (not a row field then)
        if match is None:
            if parsed.industry_unmapped:
                errors.append(RowError(row=parsed.row, column=fields["industry"], value=values["industry"],
                                       reason=_("is not in the industry-to-sector mapping (%(file)s); add it there "
                                                "or give a sector_code column") % {"file": INDUSTRY_MAP_FILE.name}))
                continue
            company = {**values, "source": source, "as_of": row_as_of}
            company.setdefault("status_date", row_as_of)
            if "is_candidate" not in company:
                reason = ("Headquartered in Kazakhstan" if (company.get("hq_country") or "").casefold() == "kazakhstan"
                          else "Not a business (NGO)" if company.get("sector_code") == "NGO" else None)
                company["is_candidate"], company["exclusion_reason"] = reason is None, reason
            try:
                preview.adds.append(CompanyAdd(row=parsed.row, company_key=key, company=CompanyRow(**company)))
            except ValidationError as exc:
                errors.extend(_field_errors(parsed.row, exc, fields, company))
            continue

        current = stored_rows[match]
        company_id = int(current["company_id"])
        own_tracker = _primary_tracker(current["tracker_grade"])
        updatable = FACT_FIELDS if tracker and tracker != own_tracker else FACT_FIELDS + IDENTITY_FIELDS
        if parsed.industry_unmapped:
            values.pop("industry")
            if "industry" in updatable:
                errors.append(RowError(row=parsed.row, column=fields["industry"], value=parsed.values["industry"],
                                       reason=_("is not in the industry-to-sector mapping (%(file)s)")
                                       % {"file": INDUSTRY_MAP_FILE.name}))
                continue
        if "status_date" not in updatable or not status_date_given:
            values.pop("status_date", None)
        changes = [FieldChange(field=f, before=current[f], after=values[f])
                   for f in updatable if f in values and not _same(current[f], values[f])]
        if tracker and tracker != own_tracker:
            ts = TrackerStatus(row=parsed.row, company_id=company_id, company_key=key, name=current["name"],
                               tracker=tracker, status=values["status"], tracker_grade=values.get("tracker_grade"),
                               status_date=file_status_date if status_date_given else row_as_of,
                               source=source, as_of=row_as_of, stored_status=current["status"],
                               stored_status_date=current["status_date"])
            old = trackers_stored.get((company_id, tracker))
            # Same status and grade (and date when the file gives one) = nothing new from this tracker.
            if old is None or old[2] != ts.status or old[3] != ts.tracker_grade or (
                    status_date_given and old[4] != ts.status_date):
                if old is not None:
                    ts.before = dict(zip(("status", "tracker_grade", "status_date", "source", "as_of"), old[2:],
                                         strict=True))
                preview.tracker_statuses.append(ts)
        if not changes:
            if not (preview.tracker_statuses and preview.tracker_statuses[-1].row == parsed.row):
                preview.unchanged += 1
            continue
        new = {c.field: c.after for c in changes}
        if "status" in new:  # the status moves with its grade label and date
            new["tracker_grade"] = values.get("tracker_grade", current["tracker_grade"])
            new.setdefault("status_date", values.get("status_date", row_as_of))
        new.update(source=source, as_of=row_as_of)
        merged = {f: current[f] for f in COMPANY_COLUMNS} | new
        try:
            CompanyRow(**merged)
        except ValidationError as exc:
            errors.extend(_field_errors(parsed.row, exc, fields, merged))
            continue
        preview.updates.append(CompanyUpdate(row=parsed.row, company_id=company_id, name=current["name"],
                                             changes=changes, values=new))
    errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return preview


# -- applying ----------------------------------------------------------------------------------
def _arrow(records: list[dict[str, Any]], columns: list[str]) -> pa.Table:
    """Rows as an Arrow table with the store's column types (so NULLs and dates load exactly)."""
    return pa.table({c: pa.array([r.get(c) for r in records], type=ARROW_TYPES.get(c, pa.string()))
                     for c in columns})


def _fact_row(field: str, value: Any) -> tuple[str | None, str | None]:
    """(value, state) as company_facts stores a fact: a production state is the state, a number its text."""
    if field == "russia_production":
        return None, value
    if field == "kazakhstan_presence":
        return value, "ended" if value == "ended" else "active"
    return (repr(float(value)) if field in FLOAT_FIELDS else str(value)), None


def apply_import(store: Store, user: User, preview: ImportPreview, *, skip_rejected: bool = False) -> ImportResult:
    """Write a preview in one transaction, with an audit row per changed record. All or nothing."""
    require_editor(user, _("import data"))
    if preview.errors and not skip_rejected:
        raise ImportRejected(_("%(n)d rows of %(file)s were rejected; fix them and upload again, or choose to skip "
                               "the rejected rows.") % {"n": preview.rejected_rows, "file": preview.filename})
    now = datetime.now()
    audit: list[dict[str, Any]] = []

    def record(action: str, table: str, key: str, before: Any, after: Any) -> None:
        audit.append({"changed_at": now, "actor": user.name, "action": action, "table_name": table,
                      "record_key": key, "before": to_json(before), "after": to_json(after),
                      "source_file": preview.filename})

    with store.transaction() as cur:
        if store.ranking_version(cur) != preview.data_version:
            raise ImportRejected(_("The store changed after this preview was made (someone saved other changes). "
                                   "Preview the file again before applying it."))
        # The current statuses of the stored companies this file touches, to tell watchers what changed.
        status_before = current_statuses(cur, {u.company_id for u in preview.updates}
                                         | {t.company_id for t in preview.tracker_statuses if t.company_id})
        next_id = cur.execute("SELECT coalesce(max(company_id), 0) + 1 FROM companies").fetchall()[0][0]
        added: list[dict[str, Any]] = []
        ids_by_key: dict[str, int] = {}
        facts: list[dict[str, Any]] = []
        for offset, add in enumerate(preview.adds):
            row = add.company.model_dump(exclude={"company_id"})
            row.update(company_id=next_id + offset, company_key=add.company_key)
            ids_by_key[row["company_key"]] = row["company_id"]
            added.append(row)
            record("import_add", "companies", str(row["company_id"]), None, row)
            facts += [{"company_id": row["company_id"], "fact": f, "value": row[f], "source": row["source"],
                       "as_of": row["as_of"]} for f in FACT_FIELDS if row.get(f) is not None]
        if added:
            columns = ["company_id", "company_key", *COMPANY_COLUMNS]
            store.insert_rows(cur, "companies", _arrow(added, columns))

        if preview.updates:
            columns = [c for c in COMPANY_COLUMNS if any(c in u.values for u in preview.updates)]
            records = []
            for update in preview.updates:
                records.append({"company_id": update.company_id, **update.values}
                               | {f"set_{c}": c in update.values for c in columns})
                record("import_update", "companies", str(update.company_id),
                       {c.field: c.before for c in update.changes} | {"name": update.name},
                       {c.field: c.after for c in update.changes} | {"name": update.name})
                facts += [{"company_id": update.company_id, "fact": c.field, "value": c.after,
                           "source": update.values["source"], "as_of": update.values["as_of"]}
                          for c in update.changes if c.field in FACT_FIELDS]
            frame = _arrow(records, ["company_id", *columns])
            flags = pa.table({f"set_{c}": pa.array([r[f"set_{c}"] for r in records], pa.bool_()) for c in columns})
            for name in flags.column_names:
                frame = frame.append_column(name, flags[name])
            # Only the cells that change are written; the rest keep their stored value.
            store.update_rows(cur, "companies", "company_id", frame, columns)

        if facts:
            note = f"imported from {preview.filename} by {user.name} on {now:%Y-%m-%d}"
            rows = [{"company_id": f["company_id"], "fact": f["fact"],
                     **dict(zip(("value", "state"), _fact_row(f["fact"], f["value"]), strict=True)),
                     "period": str(f["as_of"]), "recorded_on": now.date(), "source": f["source"], "note": note}
                    for f in facts]
            columns = ["company_id", "fact", "value", "state", "period", "recorded_on", "source", "note"]
            store.insert_rows(cur, "company_facts", _arrow(rows, columns))

        # The status history: a new company's first status, a changed status of the row's own tracker, and every
        # new status of another tracker are appended; nothing is overwritten.
        observations = [{"company_id": row["company_id"], "tracker": tracker_of_grade(row["tracker_grade"]),
                         "status": row["status"], "tracker_grade": row["tracker_grade"],
                         "status_date": row["status_date"], "source": row["source"]} for row in added]
        restated = [u for u in preview.updates if {"status", "status_date"} & {c.field for c in u.changes}]
        if restated:  # the rows as just updated in this transaction: each status with its label and date
            marks = ", ".join("?" for _u in restated)
            now_stored = {int(r[0]): r[1:] for r in cur.execute(
                f"SELECT company_id, status, tracker_grade, status_date FROM companies WHERE company_id IN ({marks})",
                [u.company_id for u in restated]).fetchall()}
            for update in restated:
                status, grade, status_date = now_stored[update.company_id]
                observations.append({"company_id": update.company_id, "tracker": tracker_of_grade(grade),
                                     "status": status, "tracker_grade": grade, "status_date": status_date,
                                     "source": update.values["source"]})
        statuses = []
        for ts in preview.tracker_statuses:
            company_id = ts.company_id if ts.company_id is not None else ids_by_key[ts.company_key]
            row = {"company_id": company_id, "tracker": ts.tracker, "status": ts.status,
                   "tracker_grade": ts.tracker_grade, "status_date": ts.status_date, "source": ts.source}
            statuses.append(row)
            record("import_tracker_status", "status_observations", f"{company_id}|{ts.tracker}", ts.before,
                   row | {"name": ts.name})
        observations += statuses
        if observations:
            for row in observations:
                row.update(recorded_on=now.date(), source_file=preview.filename)
            columns = ["company_id", "tracker", "status", "tracker_grade", "status_date", "recorded_on", "source",
                       "source_file"]
            store.insert_rows(cur, "status_observations", _arrow(observations, columns))
        refresh_current(store, cur, {o["company_id"] for o in observations}, user.name, preview.filename)
        changed = status_changes(status_before, current_statuses(cur, status_before))
        # Tell the watchers of each company whose current status or facts changed, in this same transaction.
        watched = watched_ids_in(cur, {c.company_id for c in changed} | {u.company_id for u in preview.updates})
        for change in (c for c in changed if c.company_id in watched):
            record_change(store, change.company_id, "status", status_summary(change), change.source,
                          actor=user.name, cur=cur)
        for update in (u for u in preview.updates if u.company_id in watched):
            facts_changed = [c for c in update.changes if c.field in FACT_FIELDS]
            if facts_changed:
                record_change(store, update.company_id, "facts", "; ".join(
                    f"{c.field}: {'—' if c.before is None else c.before} → {c.after}" for c in facts_changed),
                    update.values["source"], actor=user.name, cur=cur)

        summary = {"added": len(added), "updated": len(preview.updates), "tracker_statuses": len(statuses),
                   "facts": len(facts), "skipped_rows": preview.rejected_rows if skip_rejected else 0,
                   "file_format": preview.file_format, "sha256": preview.digest}
        record("import", "companies", preview.filename, None, summary)
        columns = ["changed_at", "actor", "action", "table_name", "record_key", "before", "after", "source_file"]
        log = pa.table({c: pa.array([a[c] for a in audit], pa.timestamp("us") if c == "changed_at" else pa.string())
                        for c in columns})
        store.insert_rows(cur, "audit_log", log)
    return ImportResult(added=len(added), updated=len(preview.updates), tracker_statuses=len(statuses),
                        facts=len(facts), skipped_rows=summary["skipped_rows"], audit_rows=len(audit),
                        source_file=preview.filename, status_observations=len(observations),
                        status_changes=[_change_dict(c) for c in changed])


def _change_dict(change: StatusChange) -> dict[str, Any]:
    return {"company_id": change.company_id, "name": change.name, "before": change.before, "after": change.after,
            "status_date": change.status_date, "tracker": change.tracker, "source": change.source}


# -- showing a preview -------------------------------------------------------------------------
STATUS_CHANGE_COLUMNS = ["row", "company_id", "name", "watched", "stored_status", "stored_status_date", "tracker",
                         "new_status", "new_status_date"]


def status_change_frame(preview: ImportPreview, watched: set[int] | frozenset[int] = frozenset()) -> pd.DataFrame:
    """Every stored company whose status this file gives differently, companies someone follows (`watched`) first:
    the ones whose owners hear of it when the import is applied."""
    rows = []
    for update in preview.updates:
        change = next((c for c in update.changes if c.field == "status"), None)
        if change is not None:
            rows.append({"row": update.row, "company_id": update.company_id, "name": update.name,
                         "stored_status": change.before, "stored_status_date": None,
                         "tracker": TRACKERS.get(preview.file_format, _("Own research")), "new_status": change.after,
                         "new_status_date": update.values.get("status_date")})
    for ts in preview.tracker_statuses:
        if ts.company_id is not None and ts.stored_status and ts.stored_status != ts.status:
            rows.append({"row": ts.row, "company_id": ts.company_id, "name": ts.name, "stored_status": ts.stored_status,
                         "stored_status_date": ts.stored_status_date, "tracker": TRACKERS[ts.tracker],
                         "new_status": ts.status, "new_status_date": ts.status_date})
    frame = pd.DataFrame(rows, columns=[c for c in STATUS_CHANGE_COLUMNS if c != "watched"])
    frame.insert(3, "watched", frame["company_id"].isin(list(watched)))
    return frame.sort_values(["watched", "row"], ascending=[False, True], kind="stable").reset_index(drop=True)


def preview_frames(preview: ImportPreview) -> dict[str, pd.DataFrame]:
    """Tables for the Data page and the CLI: rejected rows, additions, field-by-field changes, disagreements."""
    rejected = pd.DataFrame([{"row": e.row, "column": e.column, "value": e.value, "reason": e.reason,
                              "message": e.text()} for e in preview.errors],
                            columns=["row", "column", "value", "reason", "message"])
    adds = pd.DataFrame([{"row": a.row, "name": a.company.name, "hq_country": a.company.hq_country,
                          "sector_code": a.company.sector_code, "status": a.company.status} for a in preview.adds],
                        columns=["row", "name", "hq_country", "sector_code", "status"])
    changes = pd.DataFrame([{"row": u.row, "company_id": u.company_id, "name": u.name, "field": c.field,
                             "before": "" if c.before is None else str(c.before), "after": str(c.after)}
                            for u in preview.updates for c in u.changes],
                           columns=["row", "company_id", "name", "field", "before", "after"])
    statuses = pd.DataFrame([{"row": t.row, "name": t.name, "stored_status": t.stored_status,
                              "stored_status_date": t.stored_status_date, "tracker": TRACKERS[t.tracker],
                              "tracker_status": t.status, "tracker_status_date": t.status_date,
                              "disagree": bool(t.stored_status) and t.stored_status != t.status}
                             for t in preview.tracker_statuses],
                            columns=["row", "name", "stored_status", "stored_status_date", "tracker",
                                     "tracker_status", "tracker_status_date", "disagree"])
    return {"rejected": rejected, "adds": adds, "changes": changes, "statuses": statuses}


def summary_text(preview: ImportPreview) -> str:
    """One line: what the import would do."""
    return (_("%(file)s (%(format)s): %(adds)d to add, %(updates)d to update, %(statuses)d tracker statuses to "
              "record, %(unchanged)d unchanged, %(rejected)d rejected.")
            % {"file": preview.filename, "format": _(FORMAT_LABELS[preview.file_format]), "adds": len(preview.adds),
               "updates": len(preview.updates), "statuses": len(preview.tracker_statuses),
               "unchanged": preview.unchanged, "rejected": preview.rejected_rows})

