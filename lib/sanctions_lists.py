"""Sanctions lists as data: read OFAC's official SDN files (CSV or XML), keep them with their publication date.

The committed snapshot is `data/sources/sanctions/` (built by scripts/build_sanctions.py from a copy of the official
files): one row per listed name (the primary name and each alias) of every entity and individual; vessels and
aircraft are left out, since a company, its parent or the buyer of its Russian business is never one. An editor
replaces a list with a newer official file on the Data page or with `python -m lib sanctions-import`: preview
(counts, names added and dropped), then one transaction with one audit row; a malformed file changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import defusedxml.ElementTree as DefusedET
import pandas as pd
from pydantic import BaseModel, Field, field_validator

from lib.auth import User, require_editor
from lib.i18n import _
from lib.store import ROOT, Cursor, Store

SANCTIONS_DIR = ROOT / "data" / "sources" / "sanctions"
LISTS_FILE = SANCTIONS_DIR / "lists.csv"
CHP_FILE = SANCTIONS_DIR / "chp_items.csv"
BUYERS_FILE = ROOT / "data" / "sources" / "buyers.csv"
MAX_BYTES = 80 * 1024 * 1024  # the full SDN XML is about 30 MB; more is not an SDN file
NAME_COLUMNS = ("list_id", "entry_id", "name", "name_kind", "entry_type", "programmes", "primary_name", "compared")
KEPT_TYPES = {"entity", "individual"}  # vessels and aircraft are never a company, parent or buyer
NULL = "-0-"  # the SDN CSV's empty cell
AKA_IN_REMARKS = re.compile(r"\b([afn])\.k\.a\.,?\s+'([^']+)'", re.IGNORECASE)


class SanctionsFileError(ValueError):
    """The file is not a readable sanctions list; the message names the file and the row or element."""


class ListedName(BaseModel):
    """One name of a listed entry: its primary name or an alias, with the entry's type and programmes."""

    list_id: str = Field(min_length=1, max_length=40)
    entry_id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=500)
    name_kind: Literal["primary", "aka", "fka", "nka"]
    entry_type: Literal["entity", "individual"]
    programmes: str = Field(default="", max_length=500)
    primary_name: str = Field(min_length=1, max_length=500)
    compared: str = ""  # the name as lib.screening compares it (filled by with_compared)

    @field_validator("name", "primary_name", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return " ".join(str(value).split()) if value is not None else value


class SanctionsList(BaseModel):
    """A list as published: who publishes it, the publication date, where it came from."""

    list_id: str = Field(pattern=r"^[a-z0-9_]{2,40}$")
    title: str = Field(min_length=1, max_length=200)
    publisher: str = Field(min_length=1, max_length=200)
    published: date
    origin: str = Field(min_length=1, max_length=500)
    licence: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=1000)


class ListPreview(BaseModel):
    """What importing a newer file would change, shown before anything is written."""

    meta: SanctionsList
    filename: str
    names: list[ListedName]
    entries: int
    added_entries: list[str]  # primary names new in this file
    dropped_entries: list[str]  # primary names no longer listed
    stored_published: date | None = None


# -- reading official files --------------------------------------------------------------------------
def _decode(data: bytes, filename: str) -> str:
    if len(data) > MAX_BYTES:
        raise SanctionsFileError(_("%(file)s is larger than %(mb)d MB: it cannot be an SDN list.")
                                 % {"file": filename, "mb": MAX_BYTES // 1024 // 1024})
    if b"\x00" in data[:4096]:
        raise SanctionsFileError(_("%(file)s is a binary file, not OFAC's SDN CSV or XML.") % {"file": filename})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # OFAC's legacy files are Windows-1252


def _cell(value: str) -> str:
    value = value.strip()
    return "" if value == NULL else value


def _programmes(raw: str) -> str:
    """'UKRAINE-EO13662] [RUSSIA-EO14024' -> 'UKRAINE-EO13662; RUSSIA-EO14024'."""
    return "; ".join(p.strip(" []") for p in raw.split("] [") if p.strip(" []"))


def parse_sdn_csv(data: bytes, filename: str, aliases: bytes | None = None,
                  list_id: str = "ofac_sdn") -> list[ListedName]:
    """Names of OFAC's legacy sdn.csv (12 columns, no header), with alt.csv's aliases when given."""
    text = _decode(data, filename)
    names: list[ListedName] = []
    primary: dict[str, tuple[str, str, str]] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip(" \x1a") or (number == 1 and row[0].strip() == "ent_num"):
            continue  # blank lines, the end-of-file mark, a header some copies add
        if len(row) != 12 or not row[0].strip().isdigit():
            raise SanctionsFileError(
                _("%(file)s row %(row)d is not an SDN record (expected 12 columns starting with the entry number, "
                  "found %(n)d): the file is not OFAC's sdn.csv.") % {"file": filename, "row": number, "n": len(row)})
        kind = _cell(row[2]).lower() or "entity"
        if kind not in KEPT_TYPES:
            continue
        entry_id, name, programmes = row[0].strip(), _cell(row[1]), _programmes(_cell(row[3]))
        if not name:
            raise SanctionsFileError(_("%(file)s row %(row)d has no name.") % {"file": filename, "row": number})
        primary[entry_id] = (name, kind, programmes)
        names.append(ListedName(list_id=list_id, entry_id=entry_id, name=name, name_kind="primary",
                                entry_type=kind, programmes=programmes, primary_name=name))
        for letter, alias in AKA_IN_REMARKS.findall(_cell(row[11])):
            names.append(ListedName(list_id=list_id, entry_id=entry_id, name=alias, name_kind=f"{letter.lower()}ka",
                                    entry_type=kind, programmes=programmes, primary_name=name))
    if not primary:
        raise SanctionsFileError(_("%(file)s holds no listed entity or individual.") % {"file": filename})
    if aliases is not None:
        for number, row in enumerate(csv.reader(io.StringIO(_decode(aliases, "alt.csv"))), start=1):
            if not row or not "".join(row).strip(" \x1a") or (number == 1 and row[0].strip() == "ent_num"):
                continue  # blank lines, the end-of-file mark, a header some copies add
            if len(row) < 4 or not row[0].strip().isdigit():
                raise SanctionsFileError(_("alt.csv row %(row)d is not an SDN alias record.") % {"row": number})
            entry_id, kind_raw, alias = row[0].strip(), _cell(row[2]).lower().replace(".", ""), _cell(row[3])
            if entry_id in primary and alias:
                name, kind, programmes = primary[entry_id]
                names.append(ListedName(list_id=list_id, entry_id=entry_id, name=alias,
                                        name_kind=kind_raw if kind_raw in ("aka", "fka", "nka") else "aka",
                                        entry_type=kind, programmes=programmes, primary_name=name))
    return _unique(names)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element: Any, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _xml_name(element: Any) -> str:
    """'LAST, First' as the CSV writes individuals; an entity's whole name is in lastName."""
    last, first = _child_text(element, "lastName"), _child_text(element, "firstName")
    return f"{last}, {first}" if first else last


def parse_sdn_xml(data: bytes, filename: str, list_id: str = "ofac_sdn") -> tuple[list[ListedName], date | None]:
    """Names of OFAC's sdn.xml and its Publish_Date (read with defusedxml: no entity expansion, no external DTD)."""
    text = _decode(data, filename)
    try:
        root = DefusedET.fromstring(text.encode("utf-8"))
    except Exception as exc:  # defusedxml raises ParseError or its own refusal of entities
        raise SanctionsFileError(_("%(file)s is not well-formed XML (%(reason)s).")
                                 % {"file": filename, "reason": str(exc)[:200]}) from exc
    if _local(root.tag) != "sdnList":
        raise SanctionsFileError(_("%(file)s is XML but not OFAC's SDN list (its root element is <%(tag)s>, "
                                   "expected <sdnList>).") % {"file": filename, "tag": _local(root.tag)[:40]})
    published = None
    names: list[ListedName] = []
    for number, element in enumerate(root, start=1):
        tag = _local(element.tag)
        if tag == "publshInformation":
            raw = _child_text(element, "Publish_Date")
            try:
                published = datetime.strptime(raw, "%m/%d/%Y").date()
            except ValueError:
                published = None
            continue
        if tag != "sdnEntry":
            continue
        entry_id, kind = _child_text(element, "uid"), _child_text(element, "sdnType").lower() or "entity"
        name = _xml_name(element)
        if not entry_id or not name:
            raise SanctionsFileError(_("%(file)s entry %(n)d has no uid or no name.") % {"file": filename, "n": number})
        if kind not in KEPT_TYPES:
            continue
        programmes = "; ".join((p.text or "").strip() for lst in element if _local(lst.tag) == "programList"
                               for p in lst if (p.text or "").strip())
        names.append(ListedName(list_id=list_id, entry_id=entry_id, name=name, name_kind="primary",
                                entry_type=kind, programmes=programmes, primary_name=name))
        for lst in element:
            if _local(lst.tag) != "akaList":
                continue
            for aka in lst:
                alias = _xml_name(aka)
                kind_raw = _child_text(aka, "type").lower().replace(".", "")
                if alias:
                    names.append(ListedName(list_id=list_id, entry_id=entry_id, name=alias,
                                            name_kind=kind_raw if kind_raw in ("aka", "fka", "nka") else "aka",
                                            entry_type=kind, programmes=programmes, primary_name=name))
    if not names:
        raise SanctionsFileError(_("%(file)s holds no listed entity or individual.") % {"file": filename})
    return _unique(names), published


def _unique(names: Iterable[ListedName]) -> list[ListedName]:
    """Each name once per entry, with the form lib.screening compares (stored, so no store computes it again)."""
    from lib.screening import compared

    seen: set[tuple[str, str]] = set()
    out = []
    for n in names:
        if (n.entry_id, n.name.upper()) not in seen:
            seen.add((n.entry_id, n.name.upper()))
            out.append(n.model_copy(update={"compared": compared(n.name)}))
    return out


# -- the committed snapshot ----------------------------------------------------------------------------
def committed_lists(folder: Path = SANCTIONS_DIR) -> list[tuple[SanctionsList, Path]]:
    """The committed lists (lists.csv) with their name files."""
    with (folder / "lists.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [(SanctionsList.model_validate({k: v for k, v in r.items() if k != "file"}), folder / r["file"])
            for r in rows]


def read_names_file(path: Path) -> list[ListedName]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [ListedName.model_validate(r) for r in csv.DictReader(fh)]


def write_names_file(path: Path, names: list[ListedName]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=NAME_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for n in names:
            writer.writerow(n.model_dump())


def _names_frame(names: list[ListedName]) -> pd.DataFrame:
    return pd.DataFrame([n.model_dump() for n in names], columns=list(NAME_COLUMNS), dtype=object)


def _write_list(store: Store, cur: Cursor, meta: SanctionsList, names: pd.DataFrame, actor: str) -> None:
    """Replace one list's rows (names: the NAME_COLUMNS as text) and its line in sanctions_lists."""
    cur.execute("DELETE FROM sanctions_names WHERE list_id = ?", [meta.list_id])
    cur.execute("DELETE FROM sanctions_lists WHERE list_id = ?", [meta.list_id])
    cur.execute("INSERT INTO sanctions_lists (list_id, title, publisher, published, origin, licence, note, entries, "
                "names, loaded_at, loaded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [meta.list_id, meta.title, meta.publisher, meta.published, meta.origin, meta.licence, meta.note,
                 int(names["entry_id"].nunique()), len(names), datetime.now(), actor])
    names = names[list(NAME_COLUMNS)]
    if hasattr(cur, "copy_rows"):  # PostgreSQL: COPY, since row-by-row inserts of 35,000 names take minutes
        cur.copy_rows("sanctions_names", NAME_COLUMNS, names.itertuples(index=False, name=None))
    else:
        cur.register("listed_names", names)
        try:
            cur.execute(f"INSERT INTO sanctions_names ({', '.join(NAME_COLUMNS)}) "
                        f"SELECT {', '.join(NAME_COLUMNS)} FROM listed_names")
        finally:
            cur.unregister("listed_names")


def load_committed_lists(store: Store, cur: Cursor, folder: Path = SANCTIONS_DIR) -> dict[str, int]:
    """Put the committed snapshot into the store (the SCREENING migration; every new store).

    The committed files are read as they are (tests check them against ListedName): validating 35,000 rows one
    by one would add a second to every store built."""
    counts = {}
    for meta, path in committed_lists(folder):
        names = pd.read_csv(path, dtype=str, keep_default_na=False)
        _write_list(store, cur, meta, names, "migration")
        counts[meta.list_id] = len(names)
    return counts


def load_chp_items(store: Store, cur: Cursor, path: Path = CHP_FILE) -> int:
    """The Common High Priority items mapped to sectors (chp_items.csv) into the store."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cur.execute("DELETE FROM chp_items")
    store.insert_seed(cur, "chp_items", rows)
    return len(rows)


def load_buyers(cur: Cursor, path: Path = BUYERS_FILE) -> int:
    """Who bought a company's Russian business (buyers.csv) as `russia_buyer` facts of the companies in the store.

    Matched on name and HQ country; a buyer already recorded for the company is not added twice."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    added = 0
    for row in rows:
        found = cur.execute("SELECT company_id FROM companies WHERE name = ? AND hq_country = ?",
                            [row["company"], row["hq_country"]]).fetchone()
        if found is None:
            continue
        known = cur.execute("SELECT 1 FROM company_facts WHERE company_id = ? AND fact = 'russia_buyer' AND value = ?",
                            [found[0], row["buyer"]]).fetchone()
        if known is None:
            cur.execute("INSERT INTO company_facts (company_id, fact, value, state, period, recorded_on, source, note) "
                        "VALUES (?, 'russia_buyer', ?, 'sold', ?, ?, ?, ?)",
                        [found[0], row["buyer"], row["deal_date"] or None, row["recorded_on"] or None,
                         row["source"], f"{row['what']}. {row['note']}".strip(". ")])
            added += 1
    return added


def load_screening_sources(store: Store, cur: Cursor) -> None:
    """The SCREENING migration's data: the committed lists, the CHP items, and buyers of companies already stored."""
    load_committed_lists(store, cur)
    load_chp_items(store, cur)
    load_buyers(cur)


# -- an editor's import of a newer official file -----------------------------------------------------------
def stored_lists(store: Store) -> pd.DataFrame:
    """The lists in the store with their publication date and counts, newest first."""
    return store.fetch_df("SELECT list_id, title, publisher, published, origin, licence, note, entries, names, "
                          "loaded_at, loaded_by FROM sanctions_lists ORDER BY published DESC, list_id")


def preview_list_import(store: Store, data: bytes, filename: str, *, published: date | None = None,
                        aliases: bytes | None = None, list_id: str = "ofac_sdn") -> ListPreview:
    """Read an official SDN file (sdn.xml, or sdn.csv with an optional alt.csv) and compare it with the stored list.

    The XML carries its publication date; for the CSV (which does not) the editor gives it as `published`."""
    if filename.lower().endswith(".xml"):
        names, xml_date = parse_sdn_xml(data, filename, list_id)
        published = published or xml_date
    else:
        names = parse_sdn_csv(data, filename, aliases, list_id)
    if published is None:
        raise SanctionsFileError(_("%(file)s does not say when it was published: give the publication date shown on "
                                   "OFAC's site.") % {"file": filename})
    if published > date.today():
        raise SanctionsFileError(_("The publication date %(date)s is in the future.") % {"date": published})
    stored = store.fetch_df("SELECT DISTINCT primary_name FROM sanctions_names WHERE list_id = ?", [list_id])
    before = set(stored["primary_name"]) if not stored.empty else set()
    after = {n.primary_name for n in names}
    row = store.fetch_one("SELECT published FROM sanctions_lists WHERE list_id = ?", [list_id])
    stored_published = pd.Timestamp(row[0]).date() if row and row[0] is not None else None
    meta = SanctionsList(list_id=list_id, title="OFAC Specially Designated Nationals and Blocked Persons List (SDN)",
                         publisher="U.S. Department of the Treasury, Office of Foreign Assets Control",
                         published=published, origin=f"{filename} (imported)",
                         licence="U.S. government work, public domain")
    return ListPreview(meta=meta, filename=filename, names=names, entries=len({n.entry_id for n in names}),
                       added_entries=sorted(after - before), dropped_entries=sorted(before - after),
                       stored_published=stored_published)


def apply_list_import(store: Store, user: User, preview: ListPreview) -> int:
    """Replace the stored list by the previewed file in one transaction, with one audit row; returns names stored."""
    require_editor(user, _("replace a sanctions list"))
    from lib.screening import screening_alerts, screening_snapshot  # screening reads the lists this module loads

    watched_before = screening_snapshot(store)
    with store.transaction() as cur:
        before = cur.execute("SELECT published, entries, names FROM sanctions_lists WHERE list_id = ?",
                             [preview.meta.list_id]).fetchone()
        _write_list(store, cur, preview.meta, _names_frame(preview.names), user.name)
        store.audit(cur, actor=user.name, action="sanctions_list_import", table="sanctions_lists",
                    record_key=preview.meta.list_id,
                    before=None if before is None else {"published": before[0], "entries": before[1],
                                                        "names": before[2]},
                    after={"published": preview.meta.published, "entries": preview.entries,
                           "names": len(preview.names), "added": len(preview.added_entries),
                           "dropped": len(preview.dropped_entries)},
                    source_file=preview.filename)
    screening_alerts(store, watched_before, user.name,
                     f"{preview.meta.title} published {preview.meta.published:%Y-%m-%d}", preview.meta.origin)
    return len(preview.names)
