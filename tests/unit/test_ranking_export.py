"""The ranking workbook: every ranked row, contributions that add up, and how it was scored."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from lib.criteria import CRITERIA
from lib.i18n import _, set_language
from lib.incentives import sector_name_map
from lib.models import Filters, ScoringSettings
from lib.ranking_export import ranking_xlsx
from lib.scoring import rank_companies


def workbook(store, universe, settings, filters, link=None):
    ranking = rank_companies(universe.companies, universe.values, settings, filters)
    data = ranking_xlsx(ranking, settings, filters, sector_name_map(store.sectors()), link,
                        made_at=datetime(2026, 11, 29, 9, 30))
    return ranking, load_workbook(io.BytesIO(data))


def rows(sheet) -> list[dict]:
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def test_every_ranked_company_with_contributions_that_add_up(store, universe):
    settings = ScoringSettings(weights={**ScoringSettings().weights, "company_scale": 40})
    ranking, book = workbook(store, universe, settings, Filters(), "http://localhost:8501/?w_company_scale=40")
    ranked = rows(book.worksheets[0])
    assert [r["Rank"] for r in ranked] == list(ranking.table["rank"])
    assert [r["Company"] for r in ranked] == list(ranking.table["name"])
    contribution_columns = [f"{c.label}: contribution" for c in CRITERIA]
    for row in ranked[:50]:
        assert sum(row[c] for c in contribution_columns) == pytest.approx(row["Score"], abs=1e-9)
    how = {r["Item"]: r["Value"] for r in rows(book.worksheets[1])}
    assert how["Method"] == "Weighted sum" and how["Weight: Company scale"] == f"{100 * 40 / 125:.1f} %"
    assert sum(float(how[f"Weight: {c.label}"].split()[0]) for c in CRITERIA) == pytest.approx(100, abs=0.5)
    assert how["Link to this view"].endswith("w_company_scale=40") and how["Made at"] == "2026-11-29 09:30"


def test_topsis_filters_and_language(store, universe):
    set_language("ru")
    try:
        settings = ScoringSettings(method="topsis")
        filters = Filters(statuses=["Withdrawal"])
        ranking, book = workbook(store, universe, settings, filters)
        assert book.sheetnames == [_("Ranking"), _("How it was scored")]
        ranked = rows(book.worksheets[0])
        assert len(ranked) == len(ranking.table) > 0
        assert {r[_("Russia status")] for r in ranked} == {_("Withdrawal")}
        assert not any("contribution" in str(h) for h in ranked[0])  # TOPSIS has no additive parts
        how = {r[_("Item")]: r[_("Value")] for r in rows(book.worksheets[1])}
        assert how[_("Method")] == "TOPSIS" and how[_("Russia status")] == _("Withdrawal")
    finally:
        set_language("en")


def test_a_formula_name_stays_text(store, universe):
    universe.companies.loc[universe.companies.index[0], "name"] = '=HYPERLINK("http://x")'
    _ranking, book = workbook(store, universe, ScoringSettings(), Filters())
    names = [r["Company"] for r in rows(book.worksheets[0])]
    assert "'=HYPERLINK(\"http://x\")" in names
    assert all(cell.data_type != "f" for row in book.worksheets[0].iter_rows() for cell in row)
