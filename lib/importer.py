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
  and where trackers disagree, so both stay visible with their dates. A spreadsheet's status without a tracker's
  label is the agency's own research: beside a tracker's current status it is research's observation, never the
  tracker's word, so the same file imported again changes nothing.
- Everything is applied in one transaction with one audit row per changed record (an added company's row lists the
  values it was given); any error, or a store changed since the preview, writes nothing.

Speed (issue 25: 100,000 rows previewed and applied in seconds): cells are converted column by column, once per
distinct text; rows are matched and compared by column (Arrow); only rows with an error or a possible change go
through the row-by-row rules (`_parse_row`, `_diff_row`, CompanyRow), which stay the definition of every message.
New companies stay an Arrow table (`ImportPreview.adds_table`) and are written, with their facts, first statuses and
audit rows, in one bulk insert each (COPY on PostgreSQL).
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import math
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import encode_basestring as encode_json_string
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field, PrivateAttr, ValidationError

from lib.alerts import record_change, watched_ids_in
from lib.auth import User, require_editor
from lib.evidence import PRESENCE_LEVELS, PRODUCTION_STATES
from lib.i18n import _
from lib.models import GRADE_STATUS, STATUSES, CompanyRow, _norm_name
from lib.status_history import (
    StatusChange,
    current_statuses,
    refresh_current,
    status_changes,
    status_summary,
    tracker_of_grade,
)
from lib.store import SEED_DIR, Store, to_json
from lib.tablefile import SPACE_CLASS, SPACES, ImportRefused, RawTable, read_table

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
    updates: list[CompanyUpdate] = Field(default_factory=list)
    tracker_statuses: list[TrackerStatus] = Field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    data_version: int = 0
    # The companies to add, column by column (row, company_key and the store's columns): 100,000 of them are a
    # table, not 100,000 models. `adds` builds the models on first use.
    _adds_table: pa.Table | None = PrivateAttr(default=None)
    _adds: list[CompanyAdd] | None = PrivateAttr(default=None)

    @property
    def adds_table(self) -> pa.Table:
        if self._adds_table is None:
            self._adds_table = pa.table({"row": pa.array([], pa.int64()), "company_key": pa.array([], pa.string()),
                                         **{c: pa.array([], ARROW_TYPES.get(c, pa.string())) for c in COMPANY_COLUMNS}})
        return self._adds_table

    @property
    def adds(self) -> list[CompanyAdd]:
        """The companies to add, as models (validated when the preview was made)."""
        if self._adds is None:
            self._adds = [CompanyAdd.model_construct(row=r.pop("row"), company_key=r.pop("company_key"),
                                                     company=CompanyRow.model_construct(**r))
                          for r in self.adds_table.to_pylist()]
        return self._adds

    @property
    def add_count(self) -> int:
        return self.adds_table.num_rows

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.errors})

    @property
    def has_changes(self) -> bool:
        return bool(self.add_count or self.updates or self.tracker_statuses)

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


# -- reading column by column ------------------------------------------------------------------
# The rules above are the definition (`_parse_row`, CompanyRow); the columnar path below applies them to whole
# columns at once and hands every row it cannot settle cheaply (any error, any unusual spelling) to `_parse_row`,
# so a rejected row gets exactly the errors it always got. Conversions run once per distinct cell text.
Progress = Callable[[float, str], None]
_SLOW = object()  # a cell the columnar path leaves to _parse_row
# Cells that _text leaves as they are: no entity, no white space but single inner spaces, no Excel text marker.
_NEEDS_TIDYING = "&|^'|" + SPACE_CLASS.replace("\\x{20}", "") + "|  |^ | $"
_PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
_COMMA_NUMBER = r"^-?[0-9]+,[0-9]+$"


def _no_progress(fraction: float, step: str) -> None:
    return None


def _per_distinct(texts: pa.Array, convert: Callable[[str], Any], type_: pa.DataType) -> tuple[pa.Array, pa.Array]:
    """convert() on each distinct non-empty text: (values, null where empty or left to _parse_row; the left rows)."""
    uniques = pc.unique(texts)
    values, slow = [], []
    for text in uniques.to_pylist():
        value = None
        if text:
            try:
                value = convert(text)
            except ValueError:
                value = _SLOW
        slow.append(value is _SLOW)
        values.append(None if value is _SLOW else value)
    where = pc.index_in(texts, uniques)
    return pa.array(values, type_).take(where), pa.array(slow, pa.bool_()).take(where)


def _tidy(cells: pa.Array) -> pa.Array:
    """`_text` on a column: plain cells as they are, the others through _text once per distinct value."""
    messy = pc.match_substring_regex(cells, _NEEDS_TIDYING)
    if not pc.any(messy).as_py():
        return cells
    uniques = pc.unique(cells.filter(messy))
    tidied = pa.array([_text(t) for t in uniques.to_pylist()], pa.string())
    return pc.coalesce(tidied.take(pc.index_in(cells, uniques)), cells)


def _convert_number(field: str, decimal_comma: bool) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        number = _number(text, decimal_comma)
        if number < 0 or number != number or (field in INT_FIELDS and not number.is_integer()):
            return _SLOW  # below 0, not a number, not whole: _parse_row says which
        return int(number) if field in INT_FIELDS else number
    return convert


def _numbers(field: str, texts: pa.Array, decimal_comma: bool) -> tuple[pa.Array, pa.Array]:
    """A number column: plain digits cast at once, other spellings through _number per distinct text."""
    plain = pc.match_substring_regex(texts, _PLAIN_NUMBER)
    cast = texts
    if decimal_comma:
        comma = pc.match_substring_regex(texts, _COMMA_NUMBER)
        plain = pc.or_(plain, comma)
        cast = pc.replace_substring(texts, ",", ".")
    quick = pc.cast(pc.if_else(plain, cast, None), pa.float64())
    negative = pc.fill_null(pc.less(quick, 0), False)  # "is below 0": _parse_row says so
    plain = pc.and_(plain, pc.invert(negative))
    quick = pc.if_else(negative, None, quick)
    rest = pc.if_else(plain, "", texts)
    other, slow = _per_distinct(rest, _convert_number(field, decimal_comma), ARROW_TYPES[field])
    if field in INT_FIELDS:
        whole = pc.and_(pc.equal(pc.floor(quick), quick), pc.less(pc.abs(quick), 2.0 ** 53))
        slow = pc.or_(slow, pc.fill_null(pc.invert(whole), False))
        quick = pc.cast(pc.if_else(whole, quick, None), pa.int64())
    return pc.coalesce(quick, other), slow


def _convert_field(field: str, decimal_comma: bool) -> tuple[Callable[[str], Any], pa.DataType]:
    """How one field's text becomes its value (as in _parse_row), _SLOW where _parse_row must decide."""
    if field in STATE_WORDS:
        return (lambda text: STATE_WORDS[field].get(text.casefold().replace(" ", "_"), _SLOW)), pa.string()
    if field in BOOL_FIELDS:
        return (lambda text: True if text.casefold() in TRUE_WORDS else False if text.casefold() in FALSE_WORDS
                else _SLOW), pa.bool_()
    if field in DATE_FIELDS:
        return _date, pa.date32()
    if field == "hq_country":
        return (lambda text: COUNTRY_ALIASES.get(text.casefold(), text)), pa.string()
    return (lambda text: text), pa.string()


def _parse_columns(table: RawTable, fields: dict[str, Any], file_format: FileFormat, industries: dict[str, str],
                   sectors: set[str], errors: list[RowError], skip: set[int]) -> tuple[pa.Table, pa.Array]:
    """Every row's values as columns (null = the file gives nothing), in file order, for the rows without errors;
    and which of them have an industry the mapping does not know. Rows in `skip` are checked, then left out."""
    cells, numbers = table.column_cells()
    index = fields["__index__"]
    decimal_comma = table.delimiter == ";"
    n = len(numbers)
    texts = {field: _tidy(cells.column(position).combine_chunks()) for field, position in index.items()}
    slow = pa.array(np.zeros(n, dtype=bool))
    values: dict[str, pa.Array] = {}
    for field, text in texts.items():
        if field in ("status", "grade"):
            continue
        if field in FLOAT_FIELDS or field in INT_FIELDS:
            column, left = _numbers(field, text, decimal_comma)
        else:
            column, left = _per_distinct(text, *_convert_field(field, decimal_comma)) \
                if field in STATE_WORDS or field in BOOL_FIELDS or field in DATE_FIELDS or field == "hq_country" \
                else (pc.if_else(pc.equal(text, ""), None, text), None)
        values[field] = column
        if left is not None:
            slow = pc.or_(slow, left)
    slow = pc.or_(slow, pc.equal(texts["name"], ""))
    # The status: a Yale letter where the row has one, else the status word; the label of the tracker with it.
    status = pa.nulls(n, pa.string())
    grade_label = pa.nulls(n, pa.string())
    has_grade = pc.not_equal(texts["grade"], "") if "grade" in texts else pa.array(np.zeros(n, dtype=bool))
    if "grade" in texts:
        letters = pc.utf8_upper(pc.utf8_trim_whitespace(texts["grade"]))
        status, bad = _per_distinct(letters, lambda letter: GRADE_STATUS.get(letter, _SLOW), pa.string())
        grade_label = pc.if_else(pc.is_valid(status), pc.binary_join_element_wise("Yale CELI grade ", letters, ""),
                                 None)
        slow = pc.or_(slow, pc.and_(has_grade, bad))
    if "status" in texts:
        words, bad = _per_distinct(texts["status"], lambda word: STATUS_WORDS.get(word.casefold(), _SLOW),
                                   pa.string())
        use = pc.invert(has_grade)
        slow = pc.or_(slow, pc.and_(use, bad))
        status = pc.if_else(use, words, status)
        if file_format == "kse":
            kse_label = pc.binary_join_element_wise("KSE Institute status: ", texts["status"], "")
            grade_label = pc.if_else(pc.and_(use, pc.is_valid(words)), kse_label, grade_label)
    slow = pc.or_(slow, pc.is_null(status))  # no status at all
    values["status"] = status
    if "grade" in texts or file_format == "kse":
        values["tracker_grade"] = pc.coalesce(grade_label, values["tracker_grade"]) if "tracker_grade" in values \
            else grade_label
    unmapped = pa.array(np.zeros(n, dtype=bool))
    if "sector_code" in values:
        given = pc.is_valid(values["sector_code"])
        slow = pc.or_(slow, pc.and_(given, pc.invert(pc.is_in(values["sector_code"], pa.array(sorted(sectors))))))
    else:
        given = pa.array(np.zeros(n, dtype=bool))
    if "industry" in values:
        sector, _unused = _per_distinct(pc.fill_null(values["industry"], ""),
                                        lambda name: industries.get(name.casefold()), pa.string())
        use = pc.and_(pc.invert(given), pc.is_valid(values["industry"]))
        unmapped = pc.and_(use, pc.is_null(sector))
        values["sector_code"] = pc.if_else(use, sector, values.get("sector_code", pa.nulls(n, pa.string())))
    if skip:
        slow = pc.or_(slow, pc.is_in(pa.array(numbers), pa.array(sorted(skip), pa.int64())))
    # The rows left to _parse_row: its errors for the rejected ones, its values for the others.
    order = {field: i for i, field in enumerate(values)}
    slow_at = np.flatnonzero(slow.to_numpy(zero_copy_only=False))
    extra: list[tuple[int, dict[str, Any], bool]] = []
    if len(slow_at):
        rows = cells.take(pa.array(slow_at)).to_pylist()
        for at, row in zip(slow_at, rows, strict=True):
            parsed = _parse_row(int(numbers[at]), list(row.values()), fields, file_format, decimal_comma, industries,
                                sectors, errors)
            if parsed is not None and int(numbers[at]) not in skip:
                extra.append((int(at), parsed.values, parsed.industry_unmapped))
                for field in parsed.values:
                    order.setdefault(field, len(order))
    schema = pa.schema([(f, ARROW_TYPES.get(f, pa.string())) for f in order])
    keep = pc.invert(slow)
    columns = {"row": pa.array(numbers).filter(keep), "__at__": pa.array(np.arange(n)).filter(keep),
               **{f: (values[f] if f in values else pa.nulls(n, schema.field(f).type)).filter(keep) for f in order}}
    unmapped_column = unmapped.filter(keep)
    fast = pa.table(columns)
    if extra:
        others = pa.Table.from_pylist([{"row": int(numbers[at]), "__at__": at} | vals for at, vals, _u in extra],
                                      schema=pa.schema([("row", pa.int64()), ("__at__", pa.int64()), *schema]))
        fast = pa.concat_tables([fast, others.select(fast.column_names)])
        unmapped_column = pa.concat_arrays([unmapped_column, pa.array([u for _a, _v, u in extra], pa.bool_())])
        order_by = pc.sort_indices(fast["__at__"])
        fast, unmapped_column = fast.take(order_by), unmapped_column.take(order_by)
    return fast.drop_columns(["__at__"]), unmapped_column


def _norm_names(texts: pa.Array) -> pa.Array:
    """models._norm_name on a column: ASCII text at once (NFKD and casefold change nothing there), the rest per
    distinct value."""
    ascii_ = pc.string_is_ascii(texts)
    quick = pc.utf8_trim(pc.replace_substring_regex(pc.replace_substring(pc.ascii_lower(texts), "&", " and "),
                                                    "[^a-z0-9_]+", " "), " ")
    if pc.all(ascii_).as_py():
        return quick
    others = pc.unique(texts.filter(pc.invert(ascii_)))
    slow = pa.array([_norm_name(t) for t in others.to_pylist()], pa.string())
    return pc.if_else(ascii_, quick, slow.take(pc.index_in(texts, others)))


def _company_keys(names: pa.Array, countries: pa.Array) -> pa.Array:
    """company_key(name, hq_country) for every row."""
    return pc.binary_join_element_wise(_norm_names(names), _norm_names(pc.fill_null(countries, "")), "|")


def _stored_companies(store: Store, fields: Iterable[str]) -> pa.Table:
    """Every stored company as Arrow (dates as dates, NULL as null): its id, key, HQ country, status label and the
    given fields (the columns a file can change; the whole row is read only for the rows that change)."""
    columns = dict.fromkeys(["company_id", "company_key", "hq_country", "tracker_grade", *fields])
    sql = f"SELECT {', '.join(columns)} FROM companies ORDER BY company_id"  # names from COMPANY_COLUMNS only
    with store.cursor() as cur:  # DuckDB hands its result over as Arrow without a copy; PostgreSQL converts rows
        return cur.sql(sql).to_arrow_table() if store.dialect == "duckdb" else cur.execute(sql).to_arrow_table()


def _stored_rows(store: Store, company_ids: list[int]) -> dict[int, dict[str, Any]]:
    """These stored companies' whole rows as plain values (dates as dates, NULL as None)."""
    sql = "SELECT * FROM companies WHERE company_id IN (SELECT unnest(CAST(? AS INTEGER[])))"
    with store.cursor() as cur:
        rows = (cur.sql(sql, params=[company_ids]) if store.dialect == "duckdb" else cur.execute(sql, [company_ids])
                ).to_arrow_table().to_pylist()
    return {int(r["company_id"]): r for r in rows}


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    if len(args) == 1 and get_origin(args[0]) is Literal:
        return get_args(args[0])
    return ()


SPACE_CHARACTERS = pa.array(list(SPACES), pa.string())


def _may_fail_validation(adds: pa.Table) -> pa.Array:
    """Rows CompanyRow might reject or change (too long, out of range, not one of its words, white space at an
    end): those are validated one by one. Read from the model's own constraints; when in doubt, a row is checked."""
    suspect = pa.array(np.zeros(adds.num_rows, dtype=bool))
    for name, info in CompanyRow.model_fields.items():
        if name not in adds.column_names:
            continue
        column = adds[name].combine_chunks() if isinstance(adds[name], pa.ChunkedArray) else adds[name]
        checks = [pc.is_null(column)] if info.is_required() else []
        if column.null_count == len(column):  # nothing given: only a missing required value can fail
            if checks:
                suspect = pc.or_(suspect, checks[0])
            continue
        if pa.types.is_string(column.type):
            length = pc.utf8_length(column)
            # White space at either end: the first and the last character looked up (a regex with "$" reads the
            # whole text, 45 ms of 100,000 source cells).
            ends = (pc.utf8_slice_codeunits(column, 0, 1), pc.utf8_slice_codeunits(column, -1))
            checks += [pc.is_in(end, value_set=SPACE_CHARACTERS) for end in ends]
        if pa.types.is_floating(column.type):
            checks.append(pc.invert(pc.is_finite(column)))
        if allowed := _literal_values(info.annotation):
            checks.append(pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, pa.array(list(allowed))))))
        for rule in info.metadata:
            if (limit := getattr(rule, "max_length", None)) is not None:
                checks.append(pc.greater(length, limit))
            if (limit := getattr(rule, "min_length", None)) is not None:
                checks.append(pc.less(length, limit))
            if (limit := getattr(rule, "ge", None)) is not None:
                checks.append(pc.less(column, limit))
            if (limit := getattr(rule, "le", None)) is not None:
                checks.append(pc.greater(column, limit))
            if (pattern := getattr(rule, "pattern", None)) is not None:
                checks.append(pc.invert(pc.match_substring_regex(column, pattern.replace("\\d", "[0-9]"))))
        for check in checks:
            suspect = pc.or_(suspect, pc.fill_null(check, False))
    return suspect


def preview_import(store: Store, data: bytes, filename: str, *, as_of: date | None = None,
                   progress: Progress | None = None) -> ImportPreview:
    """A dry run: what would be added, updated (field by field) and rejected. Writes nothing.

    `progress(fraction, step)` is told each step as it starts (the Data page shows it on a progress bar)."""
    report = progress or _no_progress
    report(0.0, _("Reading the file"))
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
                            rows_read=len(table), data_version=version)
    errors = preview.errors
    if table.extra_cells:
        for row, cells in table.rows:
            if len(cells) > len(table.columns) and any(c.strip() for c in cells[len(table.columns):]):
                errors.append(RowError(row=row, reason=_("has %(n)d cells but the header has %(m)d columns")
                                       % {"n": len(cells), "m": len(table.columns)}))
    report(0.2, _("Checking every cell"))
    parsed, unmapped = _parse_columns(table, fields, file_format, industries, sectors, errors, {e.row for e in errors})

    report(0.5, _("Matching the rows with the stored companies"))
    stored = _stored_companies(store, [f for f in FACT_FIELDS + IDENTITY_FIELDS if f in parsed.column_names])
    countries = parsed["hq_country"] if "hq_country" in parsed.column_names else pa.nulls(parsed.num_rows, pa.string())
    key_column = _company_keys(parsed["name"], countries)
    keys = key_column.to_pylist()
    matches = pc.index_in(key_column, stored["company_key"])  # company_key is unique in the store
    match_list = matches.to_pylist()
    row_numbers = parsed["row"].to_pylist()
    seen: dict[str, int] = {}
    duplicate_keys: set[str] = set()
    accepted: list[tuple[int, str, int | None]]  # (position in parsed, key, stored position)
    if pc.count_distinct(key_column).as_py() == len(keys) and not pc.any(
            pc.and_(pc.is_null(matches), pc.is_null(countries))).as_py():
        # Every key once, and every row without a country matched by its key: nothing for the loop below to decide.
        accepted = list(zip(range(len(keys)), keys, match_list, strict=True))
    else:
        accepted = _match_rows(preview, parsed, stored, keys, match_list, pc.is_valid(countries).to_pylist(),
                               fields, seen, duplicate_keys)

    report(0.7, _("Comparing with the stored values"))
    unmapped_list = unmapped.to_pylist()
    add_at: list[int] = []
    add_keys: list[str] = []
    matched: list[tuple[int, str, int]] = []
    for i, key, match in accepted:
        if key in duplicate_keys:  # the first of conflicting duplicates is rejected too
            errors.append(RowError(row=row_numbers[i], column=fields["name"], value=parsed["name"][i].as_py(),
                                   reason=_("appears again later in the file with different values")))
        elif match is not None:
            matched.append((i, key, match))
        elif unmapped_list[i]:
            errors.append(RowError(row=row_numbers[i], column=fields["industry"], value=parsed["industry"][i].as_py(),
                                   reason=_("is not in the industry-to-sector mapping (%(file)s); add it there "
                                            "or give a sector_code column") % {"file": INDUSTRY_MAP_FILE.name}))
        else:
            add_at.append(i)
            add_keys.append(key)
    preview._adds_table = _adds_table(parsed, add_at, add_keys, default_source, as_of, fields, errors)
    _diff_matched(preview, parsed, matched, unmapped_list, stored, store, tracker, default_source, as_of, fields)
    errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    report(1.0, _("Done"))
    return preview


def _match_rows(preview: ImportPreview, parsed: pa.Table, stored: pa.Table, keys: list[str],
                match_list: list[int | None], given_country: list[bool], fields: dict[str, Any], seen: dict[str, int],
                duplicate_keys: set[str]) -> list[tuple[int, str, int | None]]:
    """Row by row, for a file where a key repeats or a row without a country may match by name alone: the stored
    company each row matches (None: a new one), repeated rows skipped and conflicting ones rejected."""
    errors = preview.errors
    stored_keys = stored["company_key"].to_pylist()
    by_name: dict[str, list[int]] | None = None
    row_numbers = parsed["row"].to_pylist()
    names = parsed["name"].to_pylist()

    def row_values(i: int) -> dict[str, Any]:
        return {k: v for k, v in parsed.slice(i, 1).to_pylist()[0].items() if v is not None and k != "row"}

    accepted: list[tuple[int, str, int | None]] = []
    for i, key in enumerate(keys):
        row = row_numbers[i]
        match = match_list[i]
        if match is None and not given_country[i]:
            if by_name is None:
                by_name = {}
                for j, stored_key in enumerate(stored_keys):
                    by_name.setdefault(stored_key.split("|")[0], []).append(j)
            same_name = by_name.get(key.split("|")[0], [])
            if len(same_name) > 1:
                countries = ", ".join(sorted(str(stored["hq_country"][j].as_py()) for j in same_name))
                errors.append(RowError(row=row, column=fields["name"], value=names[i],
                                       reason=_("matches %(n)d stored companies (HQ %(countries)s); add a country "
                                                "column") % {"n": len(same_name), "countries": countries}))
                continue
            if same_name:
                match = same_name[0]
                key = stored_keys[match]
        if key in seen:
            first = seen[key]
            if row_values(first) == row_values(i):
                preview.warnings.append(_("Row %(row)d repeats row %(first)d exactly and is skipped.")
                                        % {"row": row, "first": row_numbers[first]})
            else:
                duplicate_keys.add(key)
                errors.append(RowError(row=row, column=fields["name"], value=names[i],
                                       reason=_("is the same company as row %(first)d (same name and HQ country) "
                                                "with different values; keep one row")
                                       % {"first": row_numbers[first]}))
            continue
        seen[key] = i
        accepted.append((i, key, match))
    return accepted


def _adds_table(parsed: pa.Table, at: list[int], keys: list[str], default_source: str, as_of: date,
                fields: dict[str, Any], errors: list[RowError]) -> pa.Table:
    """The companies to add, as the store's columns (plus row and company_key), in file order; a row CompanyRow
    rejects gets its errors instead."""
    rows = parsed.take(pa.array(at, pa.int64()))
    n = rows.num_rows

    def column(name: str) -> pa.Array:
        if name in rows.column_names:
            return rows[name].combine_chunks()
        return pa.nulls(n, ARROW_TYPES.get(name, pa.string()))

    source = pc.fill_null(column("source"), default_source)
    row_as_of = pc.fill_null(column("as_of"), pa.scalar(as_of, pa.date32()))
    company = {f: column(f) for f in COMPANY_COLUMNS if f not in ("source", "as_of")}
    company["status_date"] = pc.coalesce(company["status_date"], row_as_of)
    # No is_candidate in the file: a company headquartered in Kazakhstan, or an NGO, is not a candidate.
    in_kazakhstan, _unused = _per_distinct(pc.fill_null(company["hq_country"], ""),
                                           lambda country: country.casefold() == "kazakhstan", pa.bool_())
    reason = pc.if_else(pc.fill_null(in_kazakhstan, False), "Headquartered in Kazakhstan",
                        pc.if_else(pc.fill_null(pc.equal(company["sector_code"], "NGO"), False),
                                   "Not a business (NGO)", pa.scalar(None, pa.string())))
    decided = pc.is_valid(company["is_candidate"])
    company["exclusion_reason"] = pc.if_else(decided, company["exclusion_reason"], reason)
    company["is_candidate"] = pc.if_else(decided, company["is_candidate"], pc.is_null(reason))
    company["source"], company["as_of"] = source, row_as_of
    table = pa.table({"row": column("row"), "company_key": pa.array(keys, pa.string()),
                      **{f: company[f].cast(ARROW_TYPES.get(f, pa.string())) for f in COMPANY_COLUMNS}})
    suspect = _may_fail_validation(table)
    if not pc.any(suspect).as_py():
        return table
    checked = []
    for record in table.filter(suspect).to_pylist():
        given = {k: v for k, v in record.items() if k not in ("row", "company_key")}
        # The dict _parse_row's path validated: only what the file gave, and the defaults set above.
        try:
            model = CompanyRow(**given)
        except ValidationError as exc:
            errors.extend(_field_errors(record["row"], exc, fields, given))
            continue
        checked.append({"row": record["row"], "company_key": record["company_key"],
                        **model.model_dump(exclude={"company_id"})})
    good = table.filter(pc.invert(suspect))
    if checked:
        good = pa.concat_tables([good, pa.Table.from_pylist(checked, schema=good.schema)])
        good = good.take(pc.sort_indices(good["row"]))
    return good


def _latest_of_tracker(store: Store, tracker: str) -> dict[int, tuple]:
    """company_id -> this tracker's newest observation, as (company_id, tracker, status, tracker_grade, status_date,
    source, recorded_on)."""
    rows = store.fetch_all(
        "SELECT company_id, tracker, status, tracker_grade, status_date, source, recorded_on FROM ("
        "  SELECT o.*, row_number() OVER (PARTITION BY company_id "
        "    ORDER BY coalesce(status_date, recorded_on) DESC, observation_id DESC) AS pick "
        "  FROM status_observations o WHERE tracker = ?) ranked WHERE pick = 1", [tracker])
    return {int(r[0]): (int(r[0]), r[1], r[2], r[3], _as_date(r[4]), r[5], _as_date(r[6])) for r in rows}


def _as_date(value: Any) -> date | None:
    """A stored DATE as a date (both backends return one; anything else is converted as before)."""
    if value is None or type(value) is date:
        return value
    return pd.Timestamp(value).date()


def _diff_matched(preview: ImportPreview, parsed: pa.Table, matched: list[tuple[int, str, int]], unmapped: list[bool],
                  stored: pa.Table, store: Store, tracker: str | None, default_source: str, as_of: date,
                  fields: dict[str, Any]) -> None:
    """The rows that match a stored company: compared column by column; the ones where anything may change (or a
    tracker's status is new) go through `_diff_row`, the others count as unchanged."""
    if not matched:
        return
    mine = parsed.take(pa.array([i for i, _k, _m in matched], pa.int64()))
    theirs = stored.take(pa.array([m for _i, _k, m in matched], pa.int64()))
    loud = pa.array([unmapped[i] for i, _k, _m in matched], pa.bool_())
    for field in FACT_FIELDS + IDENTITY_FIELDS:
        if field not in mine.column_names:
            continue
        new, old = mine[field], theirs[field]
        if field in FLOAT_FIELDS:
            same = pc.less(pc.abs(pc.subtract(old.cast(pa.float64()), new)), 1e-9)
        else:
            same = pc.equal(old.cast(new.type), new)
        loud = pc.or_(loud, pc.and_(pc.is_valid(new), pc.invert(pc.fill_null(same, False))))
    loud_list = loud.to_pylist()
    ids_all = [int(i) for i in theirs["company_id"].to_pylist()]
    latest: dict[int, tuple] = {}
    if tracker:
        grades = pc.unique(theirs["tracker_grade"])
        own = pa.array([_primary_tracker(g) for g in grades.to_pylist()], pa.string()).take(
            pc.index_in(theirs["tracker_grade"], grades, skip_nulls=False)).to_pylist()
        if any(mark != tracker for mark in own):
            latest = _latest_of_tracker(store, tracker)
        ids = theirs["company_id"].to_pylist()
        statuses, grades = mine["status"].to_pylist(), (
            mine["tracker_grade"].to_pylist() if "tracker_grade" in mine.column_names else [None] * mine.num_rows)
        nulls = [None] * mine.num_rows
        dates = mine["status_date"].to_pylist() if "status_date" in mine.column_names else nulls
        row_as_of = mine["as_of"].to_pylist() if "as_of" in mine.column_names else nulls
        for j, mark in enumerate(own):
            if mark == tracker or loud_list[j]:
                continue
            old = latest.get(ids[j])
            when = dates[j] if dates[j] is not None else (row_as_of[j] or as_of)
            if old is None or old[2] != statuses[j] or old[3] != grades[j] or (
                    dates[j] is not None and old[4] != when):
                loud_list[j] = True
    preview.unchanged += loud_list.count(False)
    at = [j for j, flag in enumerate(loud_list) if flag]
    if not at:
        return
    if not tracker:  # a spreadsheet's status may be research's observation beside a tracker's (see _diff_row)
        latest = _latest_of_tracker(store, "research")
    rows = mine.take(pa.array(at, pa.int64())).to_pylist()
    whole = _stored_rows(store, [ids_all[j] for j in at])
    currents = [whole[ids_all[j]] for j in at]
    for j, values, current in zip(at, rows, currents, strict=True):
        i, key, _m = matched[j]
        row = values.pop("row")
        _diff_row(preview, row, {k: v for k, v in values.items() if v is not None}, unmapped[i], key, current,
                  latest, tracker, default_source, as_of, fields)


def _diff_row(preview: ImportPreview, row: int, values: dict[str, Any], industry_unmapped: bool, key: str,
              current: dict[str, Any], latest: dict[int, tuple], tracker: str | None, default_source: str,
              as_of: date, fields: dict[str, Any]) -> None:
    """One row matching a stored company: its field changes, its tracker's new status, or an error."""
    errors = preview.errors
    file_values = dict(values)
    source, row_as_of = values.pop("source", default_source), values.pop("as_of", as_of)
    status_date_given = "status_date" in values
    file_status_date = values.get("status_date")  # kept for another tracker's status (not a row field then)
    company_id = int(current["company_id"])
    own_tracker = _primary_tracker(current["tracker_grade"])
    updatable = FACT_FIELDS if tracker and tracker != own_tracker else FACT_FIELDS + IDENTITY_FIELDS
    if industry_unmapped:
        values.pop("industry")
        if "industry" in updatable:
            errors.append(RowError(row=row, column=fields["industry"], value=file_values["industry"],
                                   reason=_("is not in the industry-to-sector mapping (%(file)s)")
                                   % {"file": INDUSTRY_MAP_FILE.name}))
            return
    if "status_date" not in updatable or not status_date_given:
        values.pop("status_date", None)
    observed_by = tracker if tracker and tracker != own_tracker else None
    if not tracker and own_tracker and "tracker_grade" not in values and "status" in values and not (
            _same(current["status"], values["status"])
            and (not status_date_given or _same(current["status_date"], values.get("status_date")))):
        # A spreadsheet's status without a tracker label is the agency's own research. Where the current status
        # is a tracker's, it is recorded as research's observation beside the tracker's (the current status rule
        # then decides), never as the tracker's own word; the same research status again is nothing new.
        observed_by, updatable = "research", tuple(f for f in updatable if f not in ("status", "status_date"))
    changes = [FieldChange(field=f, before=current[f], after=values[f])
               for f in updatable if f in values and not _same(current[f], values[f])]
    if observed_by:
        ts = TrackerStatus(row=row, company_id=company_id, company_key=key, name=current["name"],
                           tracker=observed_by, status=values["status"], tracker_grade=values.get("tracker_grade"),
                           status_date=file_status_date if status_date_given else row_as_of,
                           source=source, as_of=row_as_of, stored_status=current["status"],
                           stored_status_date=current["status_date"])
        old = latest.get(company_id)
        # Same status and grade (and date when the file gives one) = nothing new from this tracker.
        if old is None or old[2] != ts.status or old[3] != ts.tracker_grade or (
                status_date_given and old[4] != ts.status_date):
            if old is not None:
                ts.before = dict(zip(("status", "tracker_grade", "status_date", "source", "as_of"), old[2:],
                                     strict=True))
            preview.tracker_statuses.append(ts)
    if not changes:
        if not (preview.tracker_statuses and preview.tracker_statuses[-1].row == row):
            preview.unchanged += 1
        return
    new = {c.field: c.after for c in changes}
    if "status" in new:  # the status moves with its grade label and date
        new["tracker_grade"] = values.get("tracker_grade", current["tracker_grade"])
        new.setdefault("status_date", values.get("status_date", row_as_of))
    new.update(source=source, as_of=row_as_of)
    merged = {f: current[f] for f in COMPANY_COLUMNS} | new
    try:
        CompanyRow(**merged)
    except ValidationError as exc:
        errors.extend(_field_errors(row, exc, fields, merged))
        return
    preview.updates.append(CompanyUpdate(row=row, company_id=company_id, name=current["name"],
                                         changes=changes, values=new))


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


def _json_values(column: pa.Array) -> pa.Array:
    """Each value as json.dumps writes it (to_json: dates as ISO text, floats by repr); nulls stay null."""
    kind = column.type
    if pa.types.is_string(kind):
        uniques = pc.unique(column)
        text = pa.array([None if v is None else encode_json_string(v) for v in uniques.to_pylist()], pa.string())
        return text.take(pc.index_in(column, uniques, skip_nulls=False))
    if pa.types.is_integer(kind):
        return column.cast(pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false")
    if pa.types.is_date(kind):
        return pc.binary_join_element_wise('"', column.cast(pa.string()), '"', "")
    if pa.types.is_floating(kind):
        # json.dumps writes a finite float as repr() does; NaN and infinity as NaN, Infinity, -Infinity.
        return pa.array([None if v is None else float.__repr__(v) if math.isfinite(v) else json.dumps(v)
                         for v in column.to_pylist()], pa.string())
    return pa.array([to_json(v) for v in column.to_pylist()], pa.string())


def json_rows(table: pa.Table) -> pa.Array:
    """Each row's non-empty values as a JSON object, exactly as to_json writes the dict of them (keys sorted), for
    the audit log's copy of an added row: a column the object leaves out was empty. (Leaving the empty ones out
    makes the copy of a typical tracker row half as long, and the import's writes that much shorter.)"""
    if not table.num_columns:
        return pa.array(["{}"] * table.num_rows, pa.string())
    pieces = [pc.binary_join_element_wise(", " + encode_json_string(name) + ": ",
                                          _json_values(table[name].combine_chunks()), "")
              for name in sorted(table.column_names)]
    # A null piece (an empty value) is left out. The opening brace is an array: with only null pieces, pyarrow 26
    # returns an empty array instead of one "" per row.
    joined = pc.binary_join_element_wise(pa.repeat(pa.scalar("{"), table.num_rows), *pieces, "",
                                         null_handling="skip")
    return pc.binary_join_element_wise(pc.utf8_replace_slice(joined, 1, 3, ""), "}", "")  # "{, " -> "{"


def _audit_rows(now: datetime, actor: str, action: str, table: str, keys: pa.Array, before: pa.Array | None,
                after: pa.Array, source_file: str) -> pa.Table:
    n = len(keys)
    return pa.table({"changed_at": pa.array([now] * n, pa.timestamp("us")), "actor": pa.array([actor] * n, pa.string()),
                     "action": pa.array([action] * n, pa.string()), "table_name": pa.array([table] * n, pa.string()),
                     "record_key": keys.cast(pa.string()),
                     "before": before if before is not None else pa.nulls(n, pa.string()),
                     "after": after, "source_file": pa.array([source_file] * n, pa.string())})


def _add_facts(added: pa.Table) -> pa.Table:
    """company_facts rows for the facts the new companies come with, company by company in FACT_FIELDS order."""
    pieces = []
    for order, field in enumerate(FACT_FIELDS):
        given = added.filter(pc.is_valid(added[field]))
        if not given.num_rows:
            continue
        uniques = pc.unique(given[field].combine_chunks())
        stored = [_fact_row(field, v) for v in uniques.to_pylist()]
        where = pc.index_in(given[field], uniques)
        pieces.append(pa.table({
            "company_id": given["company_id"], "fact": pa.array([field] * given.num_rows),
            "value": pa.array([v for v, _s in stored], pa.string()).take(where),
            "state": pa.array([s for _v, s in stored], pa.string()).take(where),
            "period": given["as_of"].cast(pa.string()), "source": given["source"],
            "order": pa.array(np.full(given.num_rows, order))}))
    if not pieces:
        return pa.table({"company_id": pa.array([], pa.int32()), "fact": pa.array([], pa.string()),
                         "value": pa.array([], pa.string()), "state": pa.array([], pa.string()),
                         "period": pa.array([], pa.string()), "source": pa.array([], pa.string())})
    facts = pa.concat_tables(pieces)
    facts = facts.take(pc.sort_indices(facts, [("company_id", "ascending"), ("order", "ascending")]))
    return facts.drop_columns(["order"])


def apply_import(store: Store, user: User, preview: ImportPreview, *, skip_rejected: bool = False,
                 progress: Progress | None = None) -> ImportResult:
    """Write a preview in one transaction, with an audit row per changed record. All or nothing.

    `progress(fraction, step)` is told each step as it starts."""
    report = progress or _no_progress
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

    report(0.0, _("Adding the new companies"))
    with ThreadPoolExecutor(max_workers=1) as background, store.transaction() as cur:
        if store.ranking_version(cur) != preview.data_version:
            raise ImportRejected(_("The store changed after this preview was made (someone saved other changes). "
                                   "Preview the file again before applying it."))
        # The current statuses of the stored companies this file touches, to tell watchers what changed.
        status_before = current_statuses(cur, {u.company_id for u in preview.updates}
                                         | {t.company_id for t in preview.tracker_statuses if t.company_id})
        next_id = cur.execute("SELECT coalesce(max(company_id), 0) + 1 FROM companies").fetchall()[0][0]
        adds = preview.adds_table
        ids = pa.array(np.arange(next_id, next_id + adds.num_rows), pa.int32())
        added = pa.table({"company_id": ids, "company_key": adds["company_key"],
                          **{c: adds[c] for c in COMPANY_COLUMNS}})
        # The audit log's copy of each new row is written out as JSON in a second thread while the database
        # inserts the rows (both release the interpreter for most of their work); it is waited for below.
        added_json = background.submit(json_rows, added)
        if added.num_rows:
            store.insert_rows(cur, "companies", added)
        add_facts = _add_facts(added)

        report(0.3, _("Updating the stored companies"))
        facts: list[dict[str, Any]] = []
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

        fact_count = add_facts.num_rows + len(facts)
        if fact_count:
            note = f"imported from {preview.filename} by {user.name} on {now:%Y-%m-%d}"
            rows = [{"company_id": f["company_id"], "fact": f["fact"],
                     **dict(zip(("value", "state"), _fact_row(f["fact"], f["value"]), strict=True)),
                     "period": str(f["as_of"]), "source": f["source"]} for f in facts]
            table = pa.concat_tables([add_facts, _arrow(rows, add_facts.column_names).cast(add_facts.schema)])
            table = table.append_column("recorded_on", pa.array([now.date()] * table.num_rows, pa.date32())) \
                .append_column("note", pa.array([note] * table.num_rows, pa.string()))
            columns = ["company_id", "fact", "value", "state", "period", "recorded_on", "source", "note"]
            store.insert_rows(cur, "company_facts", table.select(columns))

        report(0.55, _("Recording the status history"))
        # The status history: a new company's first status, a changed status of the row's own tracker, and every
        # new status of another tracker are appended; nothing is overwritten.
        grades = pc.unique(added["tracker_grade"])
        trackers = pa.array([tracker_of_grade(g) for g in grades.to_pylist()], pa.string())
        first = pa.table({"company_id": ids, "tracker": trackers.take(pc.index_in(added["tracker_grade"], grades)),
                          "status": added["status"], "tracker_grade": added["tracker_grade"],
                          "status_date": added["status_date"], "source": added["source"]})
        observations = []
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
            company_id = ts.company_id if ts.company_id is not None else ids.to_pylist()[
                adds["company_key"].to_pylist().index(ts.company_key)]
            row = {"company_id": company_id, "tracker": ts.tracker, "status": ts.status,
                   "tracker_grade": ts.tracker_grade, "status_date": ts.status_date, "source": ts.source}
            statuses.append(row)
            record("import_tracker_status", "status_observations", f"{company_id}|{ts.tracker}", ts.before,
                   row | {"name": ts.name})
        observations += statuses
        history = pa.concat_tables([first, _arrow(observations, first.column_names).cast(first.schema)])
        if history.num_rows:
            history = history.append_column("recorded_on", pa.array([now.date()] * history.num_rows, pa.date32())) \
                .append_column("source_file", pa.array([preview.filename] * history.num_rows, pa.string()))
            columns = ["company_id", "tracker", "status", "tracker_grade", "status_date", "recorded_on", "source",
                       "source_file"]
            store.insert_rows(cur, "status_observations", history.select(columns))
        report(0.75, _("Deriving the current statuses"))
        # A new company's one observation is its status as just inserted: only stored companies can change here.
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

        report(0.9, _("Writing the audit log"))
        summary = {"added": added.num_rows, "updated": len(preview.updates), "tracker_statuses": len(statuses),
                   "facts": fact_count, "skipped_rows": preview.rejected_rows if skip_rejected else 0,
                   "file_format": preview.file_format, "sha256": preview.digest}
        record("import", "companies", preview.filename, None, summary)
        columns = ["changed_at", "actor", "action", "table_name", "record_key", "before", "after", "source_file"]
        log = pa.table({c: pa.array([a[c] for a in audit], pa.timestamp("us") if c == "changed_at" else pa.string())
                        for c in columns})
        add_audit = _audit_rows(now, user.name, "import_add", "companies", ids, None, added_json.result(),
                                preview.filename)
        store.insert_rows(cur, "audit_log", pa.concat_tables([add_audit, log]))
    report(1.0, _("Done"))
    return ImportResult(added=added.num_rows, updated=len(preview.updates), tracker_statuses=len(statuses),
                        facts=fact_count, skipped_rows=summary["skipped_rows"],
                        audit_rows=add_audit.num_rows + len(audit),
                        source_file=preview.filename, status_observations=history.num_rows,
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
    adds = preview.adds_table.select(["row", "name", "hq_country", "sector_code", "status"]).to_pandas()
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
            % {"file": preview.filename, "format": _(FORMAT_LABELS[preview.file_format]), "adds": preview.add_count,
               "updates": len(preview.updates), "statuses": len(preview.tracker_statuses),
               "unchanged": preview.unchanged, "rejected": preview.rejected_rows})

