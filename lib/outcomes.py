"""What companies actually did about Kazakhstan after February 2022: outcomes with date, evidence and source.

Outcomes are seeded from researched public statements (data/sources/outcomes/) and can be imported as a file
(preview, row errors, one transaction, audit), like company lists. A name is matched as imports match companies
(name and HQ country, else the name alone when it is unique, else its variants and recorded aliases when they
point at one company) and a group member counts for its group's one candidate. They are what the back-test
checks the ranking against (lib/backtest.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, ValidationError, field_validator

from lib.auth import User, require_editor
from lib.i18n import _
from lib.importer import RowError, normalise_header
from lib.models import company_key, name_variants
from lib.store import Store
from lib.tablefile import ImportRefused, RawTable

OutcomeKind = Literal["new_entity", "new_site", "office_moved", "expansion", "announced_not_done",
                      "declined_or_elsewhere"]
OUTCOME_KINDS: tuple[OutcomeKind, ...] = ("new_entity", "new_site", "office_moved", "expansion",
                                          "announced_not_done", "declined_or_elsewhere")
OUTCOME_LABELS: dict[str, str] = {
    "new_entity": "new Kazakh entity",
    "new_site": "new production site",
    "office_moved": "office or staff moved",
    "expansion": "expansion of a presence that predates 24 Feb 2022",
    "announced_not_done": "announced but not done",
    "declined_or_elsewhere": "declined or went elsewhere",
}
# What counts as "came" in the back-test: everything that put something in Kazakhstan.
ARRIVALS: tuple[str, ...] = ("new_entity", "new_site", "office_moved", "expansion")
EvidenceLevel = Literal["named_by_officials", "press", "confirmed"]
EVIDENCE_LEVELS: tuple[EvidenceLevel, ...] = ("confirmed", "press", "named_by_officials")
EVIDENCE_LABELS: dict[str, str] = {
    "confirmed": "independently confirmed",
    "press": "reported by the press",
    "named_by_officials": "named by officials",
}
COLUMNS = ["company", "hq_country", "outcome", "date", "evidence_level", "source", "note", "recorded_on"]
REQUIRED = ("company",)


class OutcomeRow(BaseModel):
    """One outcome as read from a file; only the company's name is required (a name list for the back-test)."""

    company: str = Field(min_length=1, max_length=200)
    hq_country: str | None = Field(default=None, max_length=80)
    outcome: OutcomeKind = "new_entity"
    date: str | None = Field(default=None, pattern=r"^\d{4}(-\d\d){0,2}$")
    evidence_level: EvidenceLevel = "named_by_officials"
    source: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=2000)
    recorded_on: dt.date | None = None

    @field_validator("company", "hq_country", "source", "note", mode="before")
    @classmethod
    def _tidy(cls, value: object) -> object:
        return " ".join(value.split()) or None if isinstance(value, str) else value


class Outcome(OutcomeRow):
    """An outcome with the company it was matched to (None: not in the store)."""

    row: int
    company_id: int | None = None
    matched_name: str | None = None


class OutcomePreview(BaseModel):
    """What an outcomes import would write; `apply_outcomes` writes exactly this."""

    filename: str
    digest: str
    outcomes: list[Outcome] = Field(default_factory=list)
    errors: list[RowError] = Field(default_factory=list)
    data_version: int = 0

    @property
    def unmatched(self) -> list[str]:
        return sorted({o.company for o in self.outcomes if o.company_id is None})


def is_outcomes_table(table: RawTable) -> bool:
    """An outcomes file has an `outcome` or `evidence_level` column (a company list has neither)."""
    headers = {normalise_header(c) for c in table.columns}
    return bool(headers & {"outcome", "evidence_level"})


ALIAS_FACT = "also_known_as"  # a company fact: another name the company is known by, with its source


def company_matcher(companies: pd.DataFrame, aliases: pd.DataFrame | None = None):
    """name (+ country) -> (company_id, name) of the group's candidate, as imports match companies; then, when
    that finds nothing, by the name's variants (models.name_variants: "Schlumberger" for "SLB | Schlumberger",
    "BASF" for "BASF SE") and by recorded aliases (company facts `also_known_as`, e.g. "Wabtec"), each only
    when it points at one company (or one in the given HQ country)."""
    parent = companies.set_index("company_id")["group_parent_id"].dropna().astype(int).to_dict()
    names = companies.set_index("company_id")["name"].to_dict()
    countries = companies.set_index("company_id")["hq_country"].to_dict()
    by_key = dict(zip(companies["company_key"], companies["company_id"], strict=True))
    by_name: dict[str, list[int]] = {}
    by_variant: dict[str, set[int]] = {}
    for i, n in companies[["company_id", "name"]].itertuples(index=False):
        by_name.setdefault(company_key(n, None), []).append(i)
        for variant in name_variants(n):
            by_variant.setdefault(variant, set()).add(i)
    if aliases is not None:
        for i, alias in aliases[["company_id", "value"]].itertuples(index=False):
            for variant in name_variants(str(alias)):
                by_variant.setdefault(variant, set()).add(int(i))

    def by_variants(name: str, country: str | None) -> int | None:
        found = set().union(*(by_variant.get(v, set()) for v in name_variants(name)))
        if len(found) > 1 and country:
            found = {i for i in found if company_key("", countries.get(i)) == company_key("", country)}
        return next(iter(found)) if len(found) == 1 else None

    def match(name: str, country: str | None) -> tuple[int, str] | None:
        found = by_key.get(company_key(name, country)) if country else None
        if found is None:
            candidates = by_name.get(company_key(name, None), [])
            found = candidates[0] if len(candidates) == 1 else None
        if found is None:
            found = by_variants(name, country)
        if found is None:
            return None
        found = parent.get(found, found)  # a group member counts for the group's candidate
        return int(found), names[found]

    return match


def store_matcher(store: Store):
    """company_matcher over the store's companies and their recorded aliases."""
    facts = store.company_facts()
    return company_matcher(store.companies(), facts[facts["fact"] == ALIAS_FACT])


def preview_outcomes(store: Store, table: RawTable, filename: str, raw: bytes = b"") -> OutcomePreview:
    """Validate every row (errors name row and column), match names, and say what would be written."""
    headers = [normalise_header(c) for c in table.columns]
    missing = [c for c in REQUIRED if c not in headers and not ("name" in headers and c == "company")]
    if missing:
        raise ImportRefused(_("%(file)s has no %(column)s column; an outcomes file needs at least the company name.")
                            % {"file": filename, "column": missing[0]})
    position = {("company" if h == "name" else h): i for i, h in enumerate(headers)}
    match = store_matcher(store)
    preview = OutcomePreview(filename=filename, digest=hashlib.sha256(raw).hexdigest(),
                             data_version=store.ranking_version())
    for row, cells in table.rows:
        values = {c: (cells[i].strip() if i < len(cells) else "") for c, i in position.items() if c in COLUMNS}
        values = {c: v for c, v in values.items() if v}
        try:
            parsed = OutcomeRow(**values)
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                preview.errors.append(RowError(row=row, column=column, value=values.get(column or ""),
                                               reason=_("is not valid: %(why)s") % {"why": err["msg"]}))
            continue
        found = match(parsed.company, parsed.hq_country)
        preview.outcomes.append(Outcome(**parsed.model_dump(), row=row, company_id=found[0] if found else None,
                                        matched_name=found[1] if found else None))
    return preview


def apply_outcomes(store: Store, user: User, preview: OutcomePreview) -> int:
    """Write the previewed outcomes in one transaction, each audited; refuses a preview with errors or gone stale."""
    require_editor(user, _("import outcomes"))
    if preview.errors:
        raise ValueError(_("%(n)d rows of %(file)s were rejected; fix them and upload again.")
                         % {"n": len({e.row for e in preview.errors}), "file": preview.filename})
    today = dt.date.today()
    with store.transaction() as cur:
        if store.ranking_version(cur) != preview.data_version:
            raise ValueError(_("The store changed after this preview was made. Preview the file again."))
        for outcome in preview.outcomes:
            row = {"company_id": outcome.company_id, "company_name": outcome.company,
                   "hq_country": outcome.hq_country, "outcome": outcome.outcome, "outcome_date": outcome.date,
                   "evidence_level": outcome.evidence_level, "source": outcome.source or preview.filename,
                   "note": outcome.note, "recorded_on": outcome.recorded_on or today}
            cur.execute(f"INSERT INTO outcomes ({', '.join(row)}) VALUES ({', '.join('?' for _r in row)})",
                        list(row.values()))
            store.audit(cur, actor=user.name, action="import_add", table="outcomes",
                        record_key=str(outcome.company_id or outcome.company), after=row,
                        source_file=preview.filename)
    return len(preview.outcomes)


def stored_outcomes(store: Store) -> pd.DataFrame:
    """Every stored outcome with the matched company's name (None when unmatched)."""
    return store.fetch_df(
        "SELECT o.outcome_id, o.company_id, coalesce(c.name, o.company_name) AS company, o.company_name, "
        "o.hq_country, o.outcome, o.outcome_date, o.evidence_level, o.source, o.note, o.recorded_on "
        "FROM outcomes o LEFT JOIN companies c USING (company_id) ORDER BY company, o.outcome_date, o.outcome_id")


def outcome_year(text: str | None) -> int | None:
    """The year of an outcome date ('2023-05' -> 2023); None when undated."""
    found = re.match(r"^(\d{4})", text or "")
    return int(found.group(1)) if found else None

