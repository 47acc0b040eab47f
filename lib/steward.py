"""The data steward's tools: edit sectors and incentive packages, read the audit log, export and back up.

Every save validates all rows with pydantic first, checks the editor role, and writes in one transaction
with one audit row per added, changed or deleted record. Nothing is written if any row is invalid.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lib.alerts import eligibility_alerts, eligibility_snapshot, record_change
from lib.auth import User, require_editor
from lib.export import to_csv_bytes, to_xlsx_bytes
from lib.i18n import N_, _
from lib.importer import RowError, _plain, pydantic_reason
from lib.models import STATUSES, CompanyRow, IncentivePackage, SectorRow
from lib.shortlist import ACTION_LABELS as SHORTLIST_ACTIONS
from lib.store import LIST_COLUMNS, TABLES, Store, export_database

EXPORT_COMPANY_COLUMNS = ["company_id", *(f for f in CompanyRow.model_fields if f != "company_id")]
AUDIT_COLUMNS = ["audit_id", "changed_at", "actor", "action", "table_name", "record_key", "before", "after",
                 "source_file"]


class InvalidRows(ValueError):
    """Some edited rows are invalid; `errors` names each row, column and reason. Nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.text() for e in errors))


class SaveResult(BaseModel):
    added: list[str] = []
    updated: list[str] = []
    deleted: list[str] = []

    @property
    def changed(self) -> int:
        return len(self.added) + len(self.updated) + len(self.deleted)


def _clean(value: Any) -> Any:
    """An edited cell as a plain value: NaN/NaT/empty text -> None."""
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return value.strip() or None
    return _plain(value)


def _validate(model: type[BaseModel], rows: Iterable[Mapping[str, Any] | BaseModel], key: str) -> list[BaseModel]:
    """Validate every row (row numbers start at 1 as in the editor); raise InvalidRows listing all problems."""
    errors: list[RowError] = []
    valid: list[BaseModel] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows, 1):
        if isinstance(raw, BaseModel):
            raw = raw.model_dump()
        values = {k: _clean(v) for k, v in raw.items() if k in model.model_fields}
        if "as_of" in model.model_fields and values.get("as_of") is None:
            values["as_of"] = date.today()  # a row added without a date is as of today, like a changed one
        for column in LIST_COLUMNS:  # "IND; MAT" typed in a cell, or None, becomes a list
            if column in model.model_fields:
                cell = values.get(column)
                values[column] = [p.strip() for p in cell.split(";") if p.strip()] if isinstance(cell, str) \
                    else (cell or [])
        try:
            item = model(**{k: v for k, v in values.items() if v is not None})
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                value = values.get(column) if column else None
                errors.append(RowError(row=number, column=column, value=None if value is None else str(value),
                                       reason=pydantic_reason(err["msg"])))
            continue
        code = getattr(item, key)
        if code in seen:
            errors.append(RowError(row=number, column=key, value=code,
                                   reason=_("is already used in row %(row)d") % {"row": seen[code]}))
            continue
        seen[code] = number
        valid.append(item)
    if errors:
        raise InvalidRows(errors)
    return valid


def _stored(frame: pd.DataFrame, key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: {k: _clean(v) if k in LIST_COLUMNS else _plain(v) for k, v in row.items()}
            for row in frame.to_dict("records")}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, before and after."""
    changed = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


class EditConflict(ValueError):
    """Rows someone else changed since the editor was opened, which this save would overwrite; nothing written."""

    def __init__(self, codes: list[str]) -> None:
        self.codes = codes
        super().__init__(codes)

    def __str__(self) -> str:
        # Built when shown, so the message is in the reader's language.
        return _("Not saved: %(rows)s changed in the store since you opened the editor (someone else saved). "
                 "Reload the latest data and make your changes again.") % {"rows": ", ".join(self.codes)}


def _plan(model: type[BaseModel], key: str, items: list[BaseModel], current_rows: list[dict[str, Any]],
          base_rows: list[dict[str, Any]] | None) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The rows to write and the keys to delete.

    Without `base_rows` the edited rows replace the table. With them (the rows as the editor first showed
    them), only what this editor changed is written, so a colleague's save in the meantime survives; a row
    this editor changed that was also changed in the store since is a conflict (EditConflict).
    """
    new = {getattr(i, key): i.model_dump() for i in items}
    current = {getattr(i, key): i.model_dump() for i in _validate(model, current_rows, key)}
    if base_rows is None:
        return new, set(current) - set(new)
    base = {getattr(i, key): i.model_dump() for i in _validate(model, base_rows, key)}
    writes = {code: row for code, row in new.items() if base.get(code) != row}
    deletes = set(base) - set(new)
    conflicts = sorted(code for code in [*writes, *deletes] if current.get(code) != base.get(code))
    if conflicts:
        raise EditConflict(conflicts)
    return writes, deletes


def _save(store: Store, user: User, table: str, key: str, writes: dict[str, dict[str, Any]], deletes: set[str],
          stored: dict[str, dict[str, Any]], protected: dict[str, str]) -> SaveResult:
    """Insert or update `writes` and delete `deletes` in one transaction, auditing each."""
    result = SaveResult()
    blocked = [RowError(column=key, value=code, reason=reason) for code, reason in protected.items()
               if code in deletes and code in stored]
    if blocked:
        raise InvalidRows(blocked)
    with store.transaction() as cur:
        for code, row in writes.items():
            columns = list(row)
            if code not in stored:
                cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _c in columns)})",
                            [row[c] for c in columns])
                store.audit(cur, actor=user.name, action="add", table=table, record_key=code, after=row)
                result.added.append(code)
                continue
            before, after = _diff(stored[code], row)
            if not after:
                continue
            if "as_of" not in after:  # a changed figure is as of today unless the editor set the date
                row["as_of"] = date.today()
                before["as_of"], after["as_of"] = stored[code].get("as_of"), row["as_of"]
            sets = ", ".join(f"{c} = ?" for c in after)
            cur.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", [*after.values(), code])
            store.audit(cur, actor=user.name, action="update", table=table, record_key=code, before=before,
                        after=after)
            result.updated.append(code)
        for code in sorted(deletes & stored.keys()):
            cur.execute(f"DELETE FROM {table} WHERE {key} = ?", [code])
            store.audit(cur, actor=user.name, action="delete", table=table, record_key=code, before=stored[code])
            result.deleted.append(code)
    return result


def save_sectors(store: Store, user: User, rows: Iterable[Mapping[str, Any] | SectorRow],
                 base: Iterable[Mapping[str, Any]] | None = None) -> SaveResult:
    """Save the edited sector rows: validated, in one transaction, audited (see _plan for `base`).

    A sector that companies or incentive packages still use cannot be deleted.
    """
    require_editor(user, _("edit sector priorities"))
    items = _validate(SectorRow, rows, "sector_code")
    used = {code: n for code, n in store.fetch_all(
        "SELECT sector_code, count(*) FROM companies WHERE sector_code IS NOT NULL GROUP BY 1")}
    for sector_codes, excluded in store.fetch_all("SELECT sector_codes, excluded_sector_codes FROM incentive_packages"):
        for code in [*sector_codes, *excluded]:
            used.setdefault(code, 0)
    protected = {code: _("is used by %(n)d companies or by incentive packages and cannot be deleted") % {"n": n}
                 for code, n in used.items()}
    current = store.sectors()
    writes, deletes = _plan(SectorRow, "sector_code", items, current.to_dict("records"),
                            None if base is None else list(base))
    eligible_before = eligibility_snapshot(store)
    # Table name and key are constants here, never user input.
    result = _save(store, user, "sectors", "sector_code", writes, deletes, _stored(current, "sector_code"), protected)
    if result.updated or result.added:  # a re-scored rule tells the watchers of the companies it changed
        eligibility_alerts(store, eligible_before, user.name, f"Sector priorities edited by {user.name}")
    return result


class CompanySector(BaseModel):
    """A steward's decision on one company's sector: the code, why, and where that comes from."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    company_id: int
    sector_code: str = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=3, max_length=500)
    source: str = Field(min_length=3, max_length=500)


def set_company_sector(store: Store, user: User, change: CompanySector) -> bool:
    """Override one company's sector (with reason and source), audited; False when nothing changes.

    The tracker's industry stays as it was: the override is what scoring reads, the industry what the tracker said.
    """
    require_editor(user, _("change a company's sector"))
    if store.fetch_one("SELECT 1 FROM sectors WHERE sector_code = ?", [change.sector_code]) is None:
        raise InvalidRows([RowError(column="sector_code", value=change.sector_code, reason=_("is not a sector code"))])
    with store.transaction() as cur:
        row = cur.execute("SELECT sector_code, sector_reason, sector_source FROM companies WHERE company_id = ?",
                          [change.company_id]).fetchone()
        if row is None:
            raise InvalidRows([RowError(column="company_id", value=str(change.company_id),
                                        reason=_("is not a stored company"))])
        before = dict(zip(("sector_code", "sector_reason", "sector_source"), row, strict=True))
        after = {"sector_code": change.sector_code, "sector_reason": change.reason, "sector_source": change.source}
        if before == after:
            return False
        cur.execute("UPDATE companies SET sector_code = ?, sector_reason = ?, sector_source = ? WHERE company_id = ?",
                    [change.sector_code, change.reason, change.source, change.company_id])
        store.audit(cur, actor=user.name, action="update", table="companies", record_key=str(change.company_id),
                    before=before, after=after)
        record_change(store, change.company_id, "facts", f"sector_code: {before['sector_code'] or '—'} → "
                      f"{change.sector_code} ({change.reason})", change.source, actor=user.name, cur=cur)
    return True


def save_incentive_packages(store: Store, user: User, rows: Iterable[Mapping[str, Any] | IncentivePackage],
                            base: Iterable[Mapping[str, Any]] | None = None) -> SaveResult:
    """Save the edited incentive packages: validated, sector codes checked, audited (see _plan for `base`)."""
    require_editor(user, _("edit incentive packages"))
    items = _validate(IncentivePackage, rows, "package_id")
    sectors = {r[0] for r in store.fetch_all("SELECT sector_code FROM sectors")}
    errors = [RowError(row=number, column=column, value=code, reason=_("is not a sector in the store"))
              for number, item in enumerate(items, 1)
              for column in ("sector_codes", "excluded_sector_codes")
              for code in getattr(item, column) if code not in sectors]
    if errors:
        raise InvalidRows(errors)
    current = store.incentive_packages()
    writes, deletes = _plan(IncentivePackage, "package_id", items, current.to_dict("records"),
                            None if base is None else list(base))
    eligible_before = eligibility_snapshot(store)
    result = _save(store, user, "incentive_packages", "package_id", writes, deletes,
                   _stored(current, "package_id"), {})
    if result.added or result.updated or result.deleted:  # a re-scored rule: tell the watchers what it changed
        eligibility_alerts(store, eligible_before, user.name, f"Incentive rules edited by {user.name}")
    return result


# -- reading the record ------------------------------------------------------------------------
COMPANY_TABLES = ("companies", "company_facts", "shortlist", "shortlist_notes", "outcomes", "status_observations",
                  "alerts")


def audit_entries(store: Store, *, table: str | None = None, actor: str | None = None,
                  source_file: str | None = None, company_id: int | None = None, since: date | None = None,
                  until: date | None = None, limit: int = 1000) -> pd.DataFrame:
    """The newest audit rows first, optionally for one table, person, file, company or period (parameterised)."""
    where, params = [], []
    for column, value in (("table_name", table), ("actor", actor), ("source_file", source_file)):
        if value:
            where.append(f"{column} = ?")  # column names are the constants above
            params.append(value)
    if company_id is not None:  # a company's own rows are keyed by its id ("42", or "42|KSE Institute")
        where.append(f"table_name IN ({', '.join('?' for _t in COMPANY_TABLES)}) "
                     "AND (record_key = ? OR record_key LIKE ?)")
        params += [*COMPANY_TABLES, str(company_id), f"{company_id}|%"]
    if since is not None:
        where.append("changed_at >= ?")
        params.append(datetime.combine(since, datetime.min.time()))
    if until is not None:
        where.append("changed_at < ?")
        params.append(datetime.combine(until, datetime.min.time()) + pd.Timedelta(days=1))
    sql = (f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log {'WHERE ' + ' AND '.join(where) if where else ''} "
           "ORDER BY audit_id DESC LIMIT ?")
    return store.fetch_df(sql, [*params, int(limit)])


# The audit log's table names as the filter shows them ("*" marks the seed load, which fills every table).
TABLE_LABELS: dict[str, str] = {
    "*": N_("Every table (seed load)"), "companies": N_("Companies"), "company_facts": N_("Company facts"),
    "status_observations": N_("Status history"), "sectors": N_("Sector priorities"),
    "incentive_packages": N_("Incentive packages"), "shortlist": N_("Shortlist"),
    "shortlist_notes": N_("Shortlist notes"), "scenarios": N_("Scenarios"), "mci": "MCI", "outcomes": N_("Outcomes"),
}


# What each audit action means, for readers of the log (the stored action stays the code).
ACTION_LABELS: dict[str, str] = {
    "load_seed": N_("Seed data loaded"), "add": N_("Added"), "update": N_("Changed"), "delete": N_("Deleted"),
    "import": N_("File imported"), "import_add": N_("Imported: company added"),
    "import_update": N_("Imported: company changed"), "import_tracker_status": N_("Imported: tracker status"),
    "status_current": N_("Current status derived"), "save_scenario": N_("Scenario saved"),
    "replace_scenario": N_("Scenario replaced"),
    "delete_scenario": N_("Scenario deleted"), **SHORTLIST_ACTIONS,
}


def _short(value: Any) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def change_text(before: str | None, after: str | None, limit: int = 8) -> str:
    """An audit row's change in words: "stage: Contacted → Meeting held; owner: — → Dana" (JSON in, text out)."""
    old = json.loads(before) if isinstance(before, str) and before else None
    new = json.loads(after) if isinstance(after, str) and after else None
    if not isinstance(old, dict) and not isinstance(new, dict):
        return _short(new if new is not None else old)
    old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
    keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k) or not old]
    parts = [f"{k}: {_short(old.get(k))} → {_short(new.get(k))}" if old else f"{k}: {_short(new.get(k))}"
             for k in keys if k not in ("name",) or not old]
    if not new and old:
        parts = [f"{k}: {_short(v)} → —" for k, v in old.items()]
    more = len(parts) - limit
    return "; ".join(parts[:limit]) + (f"; … (+{more})" if more > 0 else "")


def labelled_audit(log: pd.DataFrame, company_names: dict[int, str] | None = None) -> pd.DataFrame:
    """The audit log as a reader sees it: actions and tables in words, the company by name, changes as
    "field: old → new" (the stored JSON stays as it is)."""
    names = company_names or {}

    def record(table: str, key: object) -> str:
        text = "" if key is None or (isinstance(key, float) and pd.isna(key)) else str(key)
        head = text.split("|")[0]
        if table in COMPANY_TABLES and head.isdigit() and int(head) in names:
            return names[int(head)]
        return text

    return log.assign(action=log["action"].map(lambda a: _(ACTION_LABELS.get(a, a))),
                      record_key=[record(t, k) for t, k in zip(log["table_name"], log["record_key"], strict=True)],
                      changes=[change_text(b, a) for b, a in zip(log["before"], log["after"], strict=True)],
                      table_name=log["table_name"].map(lambda t: _(TABLE_LABELS.get(t, t))))


def audit_facets(store: Store) -> dict[str, list[str]]:
    """Distinct tables, people and files in the audit log, for the filters."""
    return {column: [r[0] for r in store.fetch_all(
        f"SELECT DISTINCT {column} FROM audit_log WHERE {column} IS NOT NULL ORDER BY 1")]
        for column in ("table_name", "actor", "source_file")}


# -- exports and backup ------------------------------------------------------------------------
def companies_export(store: Store) -> pd.DataFrame:
    """Companies in the project's own export format, which `preview_import` reads back unchanged."""
    frame = store.fetch_df(f"SELECT {', '.join(EXPORT_COMPANY_COLUMNS)} FROM companies ORDER BY company_id")
    for column in ("status_date", "as_of"):
        frame[column] = [None if pd.isna(v) else pd.Timestamp(v).date().isoformat() for v in frame[column]]
    return frame


def flat_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """List cells as 'a;b' text (the seed format) so CSV and Excel show them plainly."""
    out = frame.copy()
    for column in out.columns:
        if column in LIST_COLUMNS:
            out[column] = out[column].map(lambda v: ";".join(v) if isinstance(v, list | tuple) else v)
    return out


def store_tables(store: Store) -> dict[str, pd.DataFrame]:
    """Every table of the store (companies in the export format), for the Excel export."""
    tables = {"companies": companies_export(store)}
    for table in TABLES:
        if table != "companies":
            # Table names come from the TABLES constant only.
            tables[table] = flat_lists(store.fetch_df(f"SELECT * FROM {table}"))
    return tables


# Column headers of the sector and incentive-package editors; the stored column name is the header's tooltip.
EDITOR_LABELS: dict[str, str] = {
    "sector_code": N_("Sector code"), "name": N_("Name"), "isic": "ISIC", "kz_priority": N_("Priority (0-5)"),
    "priority_reason": N_("Why"), "activity_type": N_("Activity type"), "dual_use": N_("Dual use"),
    "package_id": N_("Package code"), "instrument_type": N_("Instrument"), "legal_basis": N_("Legal basis"),
    "valid_from": N_("Valid from"), "valid_to": N_("Valid to"), "sector_codes": N_("Sector codes"),
    "excluded_sector_codes": N_("Excluded sector codes"), "activity_types": N_("Activity types"),
    "locations": N_("Cities"), "min_investment_mci": N_("Minimum investment, MCI"),
    "requires_new_entity": N_("New legal entity only"), "cit_exemption_years": N_("CIT exemption, years"),
    "property_tax_years": N_("Property tax exemption, years"), "land_tax_years": N_("Land tax exemption, years"),
    "customs_duty_exemption": N_("Customs duty exemption on equipment"),
    "import_vat_exemption": N_("Import VAT exemption on equipment"),
    "uncertain_terms": N_("Uncertain benefits"), "uncertain_from": N_("Uncertain from"),
    "assumed_rules": N_("Assumed rules"),
    "in_kind_grant_pct": N_("In-kind grant, % of investment"), "stability_years": N_("Stability clause, years"),
    "other_benefits": N_("Details"), "uncertain": N_("Uncertain"), "uncertainty_note": N_("Uncertainty"),
    "source": N_("Source"), "as_of": N_("As of"),
}


# What to write in each column of the import template (the importer's own spreadsheet format).
TEMPLATE_LABELS: dict[str, str] = {
    "name": N_("Required. The company's name as published."),
    "hq_country": N_("Country of the headquarters in English (Germany, United States...). With the name, it "
                     "identifies the company: a row with a stored name and country updates that company."),
    "industry": N_("The industry as a tracker writes it; used to find the sector when sector_code is empty."),
    "sector_code": N_("One of the sector codes listed below, or empty."),
    "status": N_("Required. One of: Withdrawal, Suspension, Scaling back, Buying time, Digging in."),
    "tracker_grade": N_("Optional: the tracker's own grade, e.g. Yale CELI grade B."),
    "status_date": N_("Date of the status: YYYY-MM-DD or DD.MM.YYYY. Today when empty."),
    "revenue_worldwide_usd_m": N_("Worldwide revenue, USD million. 1234.5 and 1 234,5 both work."),
    "employees_worldwide": N_("Employees worldwide, a whole number."),
    "russia_revenue_usd_m": N_("Revenue in Russia, USD million."),
    "russia_employees": N_("Employees in Russia, a whole number."),
    "sector_reason": N_("Why this sector: what the company mainly does."),
    "sector_source": N_("Where the sector comes from (web address)."),
    "russia_production": N_("Own production in Russia: operating, suspended, sold, closed, reported or none "
                            "(yes reads as reported, no as none)."),
    "russia_production_date": N_("Date of that state: YYYY, YYYY-MM or YYYY-MM-DD."),
    "kazakhstan_presence": N_("Presence in Kazakhstan: production_site, subsidiary, representative_office, "
                              "distributor_licensee, none_found or ended (yes reads as present, level not stated)."),
    "kazakhstan_presence_since": N_("Year the presence in Kazakhstan began, e.g. 2012."),
    "website": N_("The company's website."),
    "is_candidate": N_("yes, or no for a company that is not a relocation candidate (then give the reason)."),
    "exclusion_reason": N_("Why the company is not a candidate."),
    "source": N_("Where the row's facts come from (web address or document). The file name when empty."),
    "as_of": N_("Date of the source: YYYY-MM-DD or DD.MM.YYYY. Today when empty."),
}


def import_template_xlsx(store: Store) -> bytes:
    """An empty company list to fill in and import: the column names the importer reads, and how to fill them.

    Sheet 1 is the table (header only); sheet 2 says what each column takes, sheet 3 lists the sector codes
    and statuses. Empty cells never erase stored values, so a partial row only adds what it gives.
    """
    columns = [c for c in EXPORT_COMPANY_COLUMNS if c not in ("company_id", "group_parent_id")]
    guide = pd.DataFrame({_("Column"): columns, _("What to write"): [_(TEMPLATE_LABELS[c]) for c in columns]})
    sectors = store.sectors()
    codes = pd.DataFrame({"sector_code": sectors["sector_code"], _("Sector"): sectors["name"].map(_)})
    statuses = pd.DataFrame({"status": list(STATUSES), _("Meaning"): [_(s) for s in STATUSES]})
    return to_xlsx_bytes({_("Companies"): pd.DataFrame(columns=columns), _("How to fill"): guide,
                          _("Sector codes"): codes, _("Statuses"): statuses})


def companies_csv(store: Store) -> bytes:
    """The companies table as CSV (UTF-8 with BOM, formula cells neutralised)."""
    return to_csv_bytes(companies_export(store))


def store_xlsx(store: Store, user: User) -> bytes:
    """All tables as one Excel workbook, one sheet each, formula cells neutralised (editors: it holds the pipeline)."""
    require_editor(user, _("export every table"))
    return to_xlsx_bytes(store_tables(store))


def backup_zip(store: Store, user: User) -> bytes:
    """A full backup: DuckDB's EXPORT DATABASE (schema.sql, load.sql, one Parquet file per table) zipped.

    Restore with `IMPORT DATABASE 'folder'` into an empty DuckDB file. Editors only: it holds the audit log,
    the shortlist and its notes.
    """
    require_editor(user, _("download a full backup"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "backup"
        export_database(store, folder)
        manifest = {"made_at": datetime.now().isoformat(timespec="seconds"), "data_version": store.data_version(),
                    "tables": {t: {"rows": n, "sha256": digest} for t, (n, digest) in store.table_checksums().items()}}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(folder).as_posix())
            archive.writestr("manifest.json", json.dumps(manifest, indent=1))
        return buffer.getvalue()
