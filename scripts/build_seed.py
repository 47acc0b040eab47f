"""Build data/seed/companies.csv and company_facts.csv from the shared reference files.

Usage: python scripts/build_seed.py [REFERENCE_DIR]   (default: ../shared/reference)

The reference files are read, cleaned and joined; nothing is estimated. Sectors, the industry
mapping, incentive packages and MCI values are hand-curated seed files and are not touched.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "data" / "seed"
GRADE_OF = {"Withdrawal": "A", "Suspension": "B", "Scaling back": "C", "Buying time": "D", "Digging in": "F"}
COMPANY_COLUMNS = [
    "company_id", "name", "hq_country", "industry", "sector_code", "status", "tracker_grade",
    "status_date", "revenue_worldwide_usd_m", "employees_worldwide", "russia_revenue_usd_m",
    "russia_employees", "russia_production", "kazakhstan_presence", "website", "is_candidate",
    "exclusion_reason", "source", "as_of",
]
FACTS = ("revenue_worldwide_usd_m", "employees_worldwide", "russia_revenue_usd_m",
         "russia_employees", "russia_production", "kazakhstan_presence")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def yes_no(value: str) -> str:
    value = value.strip().lower()
    if value not in {"yes", "no"}:
        raise ValueError(f"expected yes/no, got {value!r}")
    return "true" if value == "yes" else "false"


def build(reference: Path) -> tuple[int, int]:
    industry_map = {r["industry"]: r["sector_code"] for r in read_csv(SEED / "industry_sector_map.csv")}
    companies = sorted(read_csv(reference / "companies_exiting_russia.csv"), key=lambda r: r["name"].casefold())
    facts = read_csv(reference / "company_facts.csv")
    by_name: dict[str, dict[str, dict[str, str]]] = {}
    for fact in facts:
        by_name.setdefault(fact["name"], {})[fact["fact"]] = fact

    company_rows, fact_rows = [], []
    for company_id, row in enumerate(companies, start=1):
        name, country, industry = row["name"].strip(), row["hq_country"].strip(), row["industry"].strip()
        sector = industry_map.get(industry, "")
        if industry and not sector:
            raise SystemExit(f"industry {industry!r} of {name!r} is not in industry_sector_map.csv")
        exclusion = ""
        if country == "Kazakhstan":
            exclusion = "Headquartered in Kazakhstan"
        elif sector == "NGO":
            exclusion = "Not a business (NGO)"
        known = by_name.get(row["name"], {})
        out = {c: "" for c in COMPANY_COLUMNS}
        out.update(
            company_id=company_id, name=name, hq_country=country, industry=industry, sector_code=sector,
            status=row["status"], tracker_grade=row["tracker_status_raw"], status_date=row["as_of"],
            is_candidate="false" if exclusion else "true", exclusion_reason=exclusion,
            source=row["source"], as_of=row["as_of"],
        )
        if GRADE_OF[row["status"]] not in row["tracker_status_raw"]:
            raise SystemExit(f"status and grade disagree for {name!r}")
        for fact_name in FACTS:
            fact = known.get(fact_name)
            if fact is None:
                continue
            value = fact["value"].strip()
            if fact_name in ("russia_production", "kazakhstan_presence"):
                value = yes_no(value)
            elif fact_name in ("employees_worldwide", "russia_employees"):
                value = str(int(float(value)))
            else:
                value = repr(float(value))
            out[fact_name] = value
            fact_rows.append({
                "company_id": company_id, "fact": fact_name, "value": value,
                "period": fact["year"], "source": fact["source"], "note": fact["match_note"],
            })
        company_rows.append(out)

    with (SEED / "companies.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COMPANY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(company_rows)
    with (SEED / "company_facts.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["company_id", "fact", "value", "period", "source", "note"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(fact_rows)
    return len(company_rows), len(fact_rows)


if __name__ == "__main__":
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "reference"
    n_companies, n_facts = build(ref)
    print(f"wrote {n_companies} companies and {n_facts} facts to {SEED}")
