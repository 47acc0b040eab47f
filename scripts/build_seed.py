"""Build data/seed/companies.csv and company_facts.csv from committed and shared source files.

Usage: python scripts/build_seed.py [REFERENCE_DIR]   (default: ../shared/reference)

Inputs, nothing estimated:
- REFERENCE_DIR/companies_exiting_russia.csv and company_facts.csv: the Yale CELI list and the facts
  gathered for it (sources per row);
- data/sources/dossiers/*.csv: researched dossiers, one row per dated observation with its state and
  source, "not_found" where a search found nothing (with the date searched);
- data/sources/company_sectors.csv: the hand-reviewed sector of a company, with reason and source
  (every other company keeps the sector of its tracker industry, said so in its reason);
- data/sources/company_groups.csv: companies that belong to another listed company's group;
- data/sources/company_aliases.csv: other names a company is known by (fact `also_known_as`, with source);
- data/sources/buyers.csv: who bought a company's Russian business (fact `russia_buyer`, screened against the
  sanctions lists);
- data/sources/outcomes/*.csv: what companies did about Kazakhstan after February 2022 (the back-test's
  outcomes), matched to the company list as the app matches an outcomes file (lib.outcomes.company_matcher:
  name and country, the name, its variants, the aliases above), a group member counting for its parent.

Each fact's current value is its latest dated observation; a researched production state beats one read
from the tracker's text, and any specific state beats an undated "reported" plant. Sectors, the industry
mapping, incentive packages and MCI values are curated seed files and are not touched.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "seed"
SOURCES = ROOT / "data" / "sources"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lib.evidence import PRESENCE_LEVELS, PRESENCE_VALUE, PRODUCTION_STATES, period_key  # noqa: E402
from lib.models import company_key  # noqa: E402
from lib.outcomes import ALIAS_FACT, company_matcher  # noqa: E402

GRADE_OF = {"Withdrawal": "A", "Suspension": "B", "Scaling back": "C", "Buying time": "D", "Digging in": "F"}
COMPANY_COLUMNS = [
    "company_id", "name", "hq_country", "industry", "sector_code", "sector_reason", "sector_source", "status",
    "tracker_grade", "status_date", "revenue_worldwide_usd_m", "employees_worldwide", "russia_revenue_usd_m",
    "russia_employees", "russia_production", "russia_production_date", "kazakhstan_presence",
    "kazakhstan_presence_since", "group_parent_id", "website", "is_candidate", "exclusion_reason", "source",
    "as_of",
]
FACT_COLUMNS = ["company_id", "fact", "value", "state", "period", "recorded_on", "source", "note"]
NUMERIC = ("revenue_worldwide_usd_m", "employees_worldwide", "russia_revenue_usd_m", "russia_employees")
FACTS = (*NUMERIC, "russia_production", "kazakhstan_presence")
NOT_A_COMPANY = "not_a_company"  # a dossier row saying a candidate is an association, foundation, public body...
NON_COMPANY_KINDS = ("association", "foundation", "public_body", "university", "standards_body", "other_non_profit")
AMOUNT = re.compile(r"^(?:([A-Z]{3})\s*)?(\d+(?:\.\d+)?)$")
REFERENCE_RECORDED = "2026-11-25"  # when the shared reference facts were gathered
GROUP_MEMBER = "Part of a group ranked under its parent company"
YALE_URL = "https://som.yale.edu/story/2022/over-1000-companies-have-curtailed-operations-russia-some-remain"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def reference_production_state(note: str) -> str:
    """The state a reference note states in words (e.g. 'factory sold'); 'reported' when it states none."""
    text = note.casefold()
    if re.search(r"\bsold\b|transferr|being sold", text):
        return "sold"
    if re.search(r"\bclosed\b|liquidat", text):
        return "closed"
    if re.search(r"halted|stopped|suspend", text):
        return "suspended"
    return "reported"


def reference_presence_level(value: str, note: str) -> str:
    """The presence level a reference note states; 'unspecified' when it says only 'present'."""
    text = note.casefold()
    if value.casefold() == "no":
        return "ended" if "ended" in text or "sold" in text or "transferred" in text else "none_found"
    if "weak evidence" in text or "among us companies" in text or "government claim" in text:
        return "unspecified"
    if re.search(r"licensee|local partner|via local|assembl\w* by", text):
        return "distributor_licensee"
    if re.search(r"\bplant\b|factory|production|mill", text):
        return "production_site"
    if "representative office" in text:
        return "representative_office"
    if re.search(r"subsidiar|llp|\btoo\b|kazakhstan \(local entity\)|local entity|joint venture|consortium|"
                 r"country manager|central asia", text):
        return "subsidiary"
    return "unspecified"


def fx_rates() -> dict[str, dict[int, float]]:
    """USD per unit of each currency by year (data/sources/fx_rates.csv, annual averages with their source)."""
    rates: dict[str, dict[int, float]] = {}
    for row in read_csv(SOURCES / "fx_rates.csv"):
        rates.setdefault(row["currency"], {})[int(row["year"])] = float(row["usd_per_unit"])
    return rates


FX = fx_rates()


def number_text(fact: str, value: str, period: str = "") -> str:
    """A figure as stored: employees as a whole number; an amount in another currency ("EUR 1234.5", millions)
    converted to USD millions at the annual average of the year it describes (the nearest year in the table)."""
    text = value.replace(",", "").strip()
    match = AMOUNT.match(text)
    if not match:
        raise ValueError(f"not a figure: {value!r}")
    currency, amount = match.group(1), float(match.group(2))
    if currency and currency != "USD":
        if currency not in FX:
            raise ValueError(f"no exchange rate for {currency} in data/sources/fx_rates.csv")
        year = int(period_key(period)[:4] or max(FX[currency]))
        nearest = min(FX[currency], key=lambda y: abs(y - year))
        amount = round(amount * FX[currency][nearest], 1)
    return str(int(amount)) if fact in ("employees_worldwide", "russia_employees") else repr(amount)


def observations(reference: Path, names: set[str]) -> dict[str, list[dict[str, str]]]:
    """Every observation per company name: reference facts, then researched dossiers."""
    found: dict[str, list[dict[str, str]]] = {}
    for fact in read_csv(reference / "company_facts.csv"):
        name, kind, value = fact["name"], fact["fact"], fact["value"]
        obs = {"fact": kind, "value": "", "state": "", "period": fact["year"], "recorded_on": REFERENCE_RECORDED,
               "source": fact["source"], "note": fact["match_note"], "origin": "reference"}
        if kind == "russia_production":
            if value.casefold() != "yes":
                raise SystemExit(f"unexpected russia_production {value!r} for {name!r}")
            obs["state"] = reference_production_state(fact["match_note"])
        elif kind == "kazakhstan_presence":
            level = reference_presence_level(value, fact["match_note"])
            obs["value"] = level
            obs["state"] = "ended" if level == "ended" else "active"
        else:
            obs["value"] = number_text(kind, value)
        found.setdefault(name, []).append(obs)
    for path in sorted((SOURCES / "dossiers").glob("*.csv")):
        for line, row in enumerate(read_csv(path), start=2):
            where = f"{path.name} line {line}"
            name, kind, state, value = row["company"], row["fact"], row["state"], row["value"]
            if name not in names:
                raise SystemExit(f"{where}: company {name!r} is not in the company list")
            if kind == NOT_A_COMPANY:
                if value not in NON_COMPANY_KINDS:
                    raise SystemExit(f"{where}: not_a_company kind {value!r} is not one of {NON_COMPANY_KINDS}")
                found.setdefault(name, []).append({
                    "fact": kind, "value": value, "state": "", "period": row["date"] or row["recorded_on"],
                    "recorded_on": row["recorded_on"],
                    "source": row["source"], "note": row["note"], "origin": "dossier"})
                continue
            if kind not in FACTS:
                raise SystemExit(f"{where}: unknown fact {kind!r}")
            if not row["source"]:
                raise SystemExit(f"{where}: no source")
            if kind == "kazakhstan_presence" and state == "not_found" and not value:
                value = "none_found"  # a presence search that found nothing, written with its value left empty
            if kind == "kazakhstan_presence" and value == "none_found" and state in ("", "not_found"):
                state = "active"  # "none found" is the answer of a search, not a missing fact
            if kind == "kazakhstan_presence" and value in PRESENCE_LEVELS and not state:
                state = "active"
            if state != "not_found":
                if kind == "russia_production" and state not in PRODUCTION_STATES:
                    raise SystemExit(f"{where}: production state {state!r} is not one of {PRODUCTION_STATES}")
                if kind == "kazakhstan_presence" and (value not in PRESENCE_LEVELS or state not in ("active", "ended")):
                    raise SystemExit(f"{where}: presence {value!r}/{state!r} is not a level and active/ended")
                if kind in NUMERIC:  # a figure stated only in words stays a note; a size class is an estimate
                    if state not in ("", "estimate"):
                        raise SystemExit(f"{where}: state of a figure is empty or 'estimate', not {state!r}")
                    try:
                        value = number_text(kind, value, row["date"]) if value else ""
                    except ValueError as exc:
                        raise SystemExit(f"{where}: {exc}") from None
                    state = state if value else ""
                elif kind == "russia_production" and value:
                    value = str(int(float(value)))
                period = re.sub(r"^Q\d FY", "FY", row["date"])
            else:  # a search that found nothing describes the day it was made
                value, period = "", row["date"] or row["recorded_on"]
            found.setdefault(name, []).append({
                "fact": kind, "value": value, "state": state,
                "period": period, "recorded_on": row["recorded_on"],
                "source": row["source"],
                "note": row["note"], "origin": "dossier"})
    return found


def current_values(obs: list[dict[str, str]]) -> dict[str, str]:
    """The companies-table columns from a company's observations (latest dated, strongest where stated)."""
    out: dict[str, str] = {}
    for fact in NUMERIC:
        known = [o for o in obs if o["fact"] == fact and o["value"] and o["state"] != "not_found"]
        if known:  # a stated figure beats a size-class estimate; then the latest period; the reference list wins a
            # tie (it chose one consolidated list per company)
            best = max(known, key=lambda o: (o["state"] != "estimate", period_key(o["period"]),
                                             o["origin"] == "reference"))
            out[fact] = best["value"]
    production = [o for o in obs if o["fact"] == "russia_production" and o["state"] in PRODUCTION_STATES]
    specific = [o for o in production if o["state"] != "reported"]
    # Researched dossiers beat a state read from the tracker's text (dated only by the list's scrape date).
    researched = [o for o in specific if o["origin"] == "dossier"]
    if specific or production:
        best = max(researched or specific or production, key=lambda o: period_key(o["period"]))
        out["russia_production"] = best["state"]
        out["russia_production_date"] = period_key(best["period"]).replace("-00", "")
    presence = [o for o in obs if o["fact"] == "kazakhstan_presence" and o["value"] in PRESENCE_LEVELS]
    researched = [o for o in presence if o["origin"] == "dossier"] or presence
    if researched:
        active = [o for o in researched if o["state"] == "active" and o["value"] not in ("ended", "none_found")]
        if active:
            best = max(active, key=lambda o: (PRESENCE_VALUE[o["value"]], -int(period_key(o["period"])[:4] or 0)))
            out["kazakhstan_presence"] = best["value"]
            year = period_key(best["period"])[:4]
            if year and best["origin"] == "dossier":  # dossier dates are start years; reference dates are not
                out["kazakhstan_presence_since"] = year
        elif any(o["state"] == "ended" or o["value"] == "ended" for o in researched):
            out["kazakhstan_presence"] = "ended"
        else:
            out["kazakhstan_presence"] = "none_found"
    return out


def build(reference: Path) -> tuple[int, int]:
    industry_map = {r["industry"]: r["sector_code"] for r in read_csv(SEED / "industry_sector_map.csv")}
    sectors = {r["sector_code"] for r in read_csv(SEED / "sectors.csv")}
    companies = sorted(read_csv(reference / "companies_exiting_russia.csv"), key=lambda r: r["name"].casefold())
    names = {r["name"] for r in companies}
    found = observations(reference, names)
    reviewed = {r["name"]: r for r in read_csv(SOURCES / "company_sectors.csv")}
    groups = {r["member"]: r for r in read_csv(SOURCES / "company_groups.csv")}
    for name in [*reviewed, *groups, *(g["parent"] for g in groups.values())]:
        if name not in names:
            raise SystemExit(f"{name!r} in data/sources is not in the company list")
    ids = {row["name"]: i for i, row in enumerate(companies, start=1)}
    aliases: dict[str, list[dict[str, str]]] = {}
    for line, row in enumerate(read_csv(SOURCES / "company_aliases.csv"), start=2):
        if row["company"] not in names or not row["alias"] or not row["source"]:
            raise SystemExit(f"company_aliases.csv line {line}: a listed company, an alias and a source are needed")
        aliases.setdefault(row["company"], []).append(row)
    buyers: dict[str, list[dict[str, str]]] = {}  # who bought a company's Russian business (screened, lib.screening)
    for line, row in enumerate(read_csv(SOURCES / "buyers.csv"), start=2):
        if row["company"] not in names or not row["buyer"] or not row["source"]:
            raise SystemExit(f"buyers.csv line {line}: a listed company, a buyer and a source are needed")
        buyers.setdefault(row["company"], []).append(row)

    company_rows, fact_rows = [], []
    for row in companies:
        company_id = ids[row["name"]]
        name, country, industry = row["name"], row["hq_country"], row["industry"]
        sector = industry_map.get(industry, "")
        if industry and not sector:
            raise SystemExit(f"industry {industry!r} of {name!r} is not in industry_sector_map.csv")
        sector_reason = f"Default: the tracker's industry ({industry})" if industry else ""
        sector_source = YALE_URL if industry else ""
        if name in reviewed:
            review = reviewed[name]
            if review["sector_code"] not in sectors:
                raise SystemExit(f"sector {review['sector_code']!r} of {name!r} is not in sectors.csv")
            sector, sector_reason, sector_source = review["sector_code"], review["reason"], review["source"]
        exclusion, parent = "", ""
        if country == "Kazakhstan":
            exclusion = "Headquartered in Kazakhstan"
        elif sector == "NGO":
            exclusion = "Not a business (NGO)"
        elif any(o["fact"] == NOT_A_COMPANY for o in found.get(name, [])):
            kind = next(o["value"] for o in found[name] if o["fact"] == NOT_A_COMPANY)
            exclusion = f"Not a business ({kind.replace('_', ' ')})"
        elif name in groups:
            exclusion, parent = GROUP_MEMBER, str(ids[groups[name]["parent"]])
        if GRADE_OF[row["status"]] not in row["tracker_status_raw"]:
            raise SystemExit(f"status and grade disagree for {name!r}")
        out = {c: "" for c in COMPANY_COLUMNS}
        out.update(
            company_id=company_id, name=name, hq_country=country, industry=industry, sector_code=sector,
            sector_reason=sector_reason, sector_source=sector_source, status=row["status"],
            tracker_grade=row["tracker_status_raw"], status_date="",  # Yale's own date is not in the copy
            group_parent_id=parent, is_candidate="false" if exclusion else "true", exclusion_reason=exclusion,
            source=row["source"], as_of=row["as_of"],
        )
        obs = found.get(name, [])
        out.update(current_values(obs))
        # Forbes Global 2000 membership (the green corridor's criterion): known where a Forbes 2025 row exists;
        # elsewhere unknown, never "no" (Fortune's figures were preferred, so members may lack a Forbes row).
        forbes = next((o for o in obs if "Forbes Global 2000 2025" in o["period"]), None)
        if forbes is not None:
            obs = [*obs, {"fact": "forbes_global_2000", "value": "true", "state": "", "period": "2025",
                          "recorded_on": forbes["recorded_on"], "source": forbes["source"],
                          "note": "listed in the Forbes Global 2000 2025"}]
        obs = [*obs, *({"fact": ALIAS_FACT, "value": a["alias"], "state": "", "period": a["recorded_on"],
                        "recorded_on": a["recorded_on"], "source": a["source"], "note": a["note"]}
                       for a in aliases.get(name, []))]
        obs = [*obs, *({"fact": "russia_buyer", "value": b["buyer"], "state": "sold", "period": b["deal_date"],
                        "recorded_on": b["recorded_on"], "source": b["source"],
                        "note": f"{b['what']}. {b['note']}".strip(". ")} for b in buyers.get(name, []))]
        company_rows.append(out)
        for o in obs:
            fact_rows.append({"company_id": company_id, **{k: o[k] for k in FACT_COLUMNS[1:]}})

    with (SEED / "companies.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COMPANY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(company_rows)
    with (SEED / "company_facts.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FACT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(fact_rows)
    outcome_rows = []
    listed = pd.DataFrame({"company_id": [r["company_id"] for r in company_rows],
                           "name": [r["name"] for r in company_rows],
                           "hq_country": [r["hq_country"] for r in company_rows],
                           "group_parent_id": [int(r["group_parent_id"]) if r["group_parent_id"] else None
                                               for r in company_rows]})
    listed["company_key"] = [company_key(n, c) for n, c in zip(listed["name"], listed["hq_country"], strict=True)]
    match = company_matcher(listed, pd.DataFrame(
        [{"company_id": ids[name], "value": a["alias"]} for name, rows in aliases.items() for a in rows],
        columns=["company_id", "value"]))
    for path in sorted((SOURCES / "outcomes").glob("*.csv")):
        for line, row in enumerate(read_csv(path), start=2):
            if not row["company"] or not row["outcome"] or not row["evidence_level"] or not row["source"]:
                raise SystemExit(f"{path.name} line {line}: company, outcome, evidence_level and source are needed")
            name = row["company"]
            found = match(name, row["hq_country"] or None)
            matched = found[0] if found else None
            outcome_rows.append({
                "company_id": matched or "", "company_name": name, "hq_country": row["hq_country"],
                "outcome": row["outcome"], "outcome_date": row["date"], "evidence_level": row["evidence_level"],
                "source": row["source"], "note": row["note"], "recorded_on": row["recorded_on"]})
    with (SEED / "outcomes.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(outcome_rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(outcome_rows)
    return len(company_rows), len(fact_rows)


if __name__ == "__main__":
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference"
    n_companies, n_facts = build(ref)
    print(f"wrote {n_companies} companies and {n_facts} facts to {SEED}")
