"""The one-page briefing: facts with sources, a score that adds up, eligible incentives, outreach, escaping."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from lib import shortlist as sl
from lib.auth import User
from lib.briefing import briefing_filename, briefing_html
from lib.i18n import _, set_language
from lib.incentives import Assumptions, company_assumptions, eligibility_for_sector
from lib.models import Filters, ScoringSettings
from lib.profile import period_text
from lib.radar import load_universe
from lib.scoring import rank_companies

ANN = User(name="Ann", role="editor")
TODAY = date(2026, 11, 25)


def company_with_facts(store, sectors: tuple[str, ...] = ("IND", "MAT", "STP", "HLT")) -> int:
    """A candidate that has per-company facts (revenue, employees...) in the seed, in a sector packages serve."""
    return int(store.fetch_one("SELECT f.company_id FROM company_facts f JOIN companies c USING (company_id) "
                               "WHERE c.is_candidate AND list_contains(?, c.sector_code) "
                               "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", [list(sectors)])[0])


def cells(page: str) -> list[str]:
    """Every table cell's text, unescaped."""
    return [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", page, flags=re.S)]


def test_facts_come_with_their_sources(store, universe):
    company = company_with_facts(store)
    page = briefing_html(store, universe, company, today=TODAY)
    facts = store.company_facts(company)
    texts = cells(page)
    for source in facts["source"]:
        assert source in texts
    status_source = store.company(company)["source"]
    assert status_source in texts


def test_in_russian_the_periods_and_priority_reason_are_russian(store, universe):
    company = company_with_facts(store)
    periods = [p for p in store.company_facts(company)["period"] if isinstance(p, str) and re.search(r"[A-Za-z]", p)]
    reason = store.company(company)["priority_reason"]
    assert periods and reason
    set_language("ru")
    try:
        texts = cells(briefing_html(store, universe, company, today=TODAY))
        for english in [*periods, reason]:
            assert english not in texts
            shown = period_text(english) if english in periods else _(english)
            assert shown != english and shown in texts
    finally:
        set_language("en")


def test_score_breakdown_adds_up_to_the_ranked_score(store, universe):
    company = company_with_facts(store)
    settings = ScoringSettings(weights={"company_scale": 60, "sector_priority": 40, "exit_firmness": 0})
    page = briefing_html(store, universe, company, settings=settings, today=TODAY)
    table = rank_companies(universe.companies, universe.values, settings).table
    row = table[table["company_id"] == company].iloc[0]
    assert f"score {row['score']:.3f}, rank {row['rank']:,} of {len(table):,}" in page
    texts = cells(page)
    total = texts[texts.index("Total") + 2]
    assert float(total) == pytest.approx(row["score"], abs=5e-4)
    # The zero-weighted criterion is listed with 0% so the reader sees it was switched off.
    assert texts[texts.index("Exit firmness") + 1] == "0.0%"


def test_eligible_incentives_are_the_engines(store, universe):
    company = company_with_facts(store)
    sector_code = store.company(company)["sector_code"]
    sectors = store.sectors()
    sector = sectors[sectors["sector_code"] == sector_code].iloc[0].to_dict()
    assumptions = company_assumptions(store.company(company), Assumptions())
    results = eligibility_for_sector(sector, store.incentive_packages(), assumptions, store.mci_table())
    eligible = [r.name for r in results if r.eligible]
    not_eligible = [r.name for r in results if r.outcome == "not_eligible"]
    assert eligible, "the seed should give this sector at least one package"
    page = html.unescape(briefing_html(store, universe, company, today=TODAY))
    section = page[page.index("Incentives it qualifies for"):page.index("Outreach")]
    for name in eligible:
        assert name in section
    for name in not_eligible:
        assert name not in section
    # An excisable-goods maker qualifies for nothing (negative list; no SEZ lists its sector).
    tobacco = int(store.fetch_one("SELECT company_id FROM companies WHERE name = 'Japan Tobacco'")[0])
    page = html.unescape(briefing_html(store, universe, tobacco, today=TODAY))
    assert "No incentive package is certain to apply" in page


def test_markup_in_names_and_notes_is_escaped(store):
    company = company_with_facts(store)
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with store.transaction() as cur:
        cur.execute("UPDATE companies SET name = ? WHERE company_id = ?", ["Acme " + hostile, company])
    sl.add_to_shortlist(store, ANN, [{"company_id": company, "score": 0.5, "rank": 2}],
                        (ScoringSettings(), Filters()))
    sl.update_entry(store, ANN, company, {"next_step": hostile, "owner": "<b>Ann</b>"}, 1)
    sl.add_note(store, ANN, company, "Said: " + hostile)
    page = briefing_html(store, load_universe(store), company, today=TODAY)
    assert "<script" not in page and "<img" not in page and "<b>" not in page
    assert html.escape("Acme " + hostile) in page
    assert page.count(html.escape(hostile)) >= 4  # title, heading, next step, note (and history)


def test_outreach_shows_stage_history_and_overdue(store, universe):
    company = company_with_facts(store)
    sl.add_to_shortlist(store, ANN, [{"company_id": company, "score": 0.61, "rank": 7}],
                        (ScoringSettings(method="topsis"), Filters()))
    sl.update_entry(store, ANN, company, {"stage": "Meeting held", "due_date": date(2026, 11, 1),
                                          "next_step": "Send SEZ terms"}, 1)
    sl.add_note(store, ANN, company, "Met the regional director")
    page = html.unescape(briefing_html(store, universe, company, today=TODAY))
    outreach = page[page.index("Outreach so far"):]
    assert "Meeting held" in outreach and "Send SEZ terms" in outreach
    assert "Met the regional director" in outreach and "Stage: Identified → Meeting held" in outreach
    assert re.search(r'<tr class="overdue">[^\n]*1 Nov 2026 — overdue', outreach)
    assert "score 0.610, rank 7 (TOPSIS" in page
    later = html.unescape(briefing_html(store, universe, company, today=date(2026, 10, 1)))
    assert "overdue" not in later[later.index("Outreach so far"):]


def test_a_company_not_shortlisted_still_gets_a_briefing(store, universe):
    company = int(universe.companies["company_id"].iloc[0])
    page = briefing_html(store, universe, company, today=TODAY)
    assert page.startswith("<!DOCTYPE html>") and "Not on the shortlist yet." in page
    assert "@page" in page  # printable


def test_an_unknown_company_is_refused(store, universe):
    with pytest.raises(LookupError):
        briefing_html(store, universe, 999999)


@pytest.mark.parametrize(("name", "expected"), [
    ("Nestlé S.A.", "briefing-nestle-s-a.html"),
    ('=HYPERLINK("http://x")', "briefing-hyperlink-http-x.html"),
    ("../../etc/passwd", "briefing-etc-passwd.html"),
    ("Сбербанк", "briefing-company.html"),
])
def test_briefing_file_names_are_safe(name, expected):
    assert briefing_filename(name) == expected


def test_the_briefing_carries_the_likelihood_beside_the_score(store, universe):
    from lib.backtest import fit_likelihood
    from lib.briefing import briefing_html
    from lib.likelihood import explain_company
    from lib.outcomes import stored_outcomes

    model, likelihood = fit_likelihood(universe, store.company_facts(), stored_outcomes(store))
    company_id = int(likelihood.idxmax())
    why = explain_company(model, universe.companies, company_id)
    assert why is not None and why.probability == pytest.approx(likelihood[company_id])
    html = briefing_html(store, universe, company_id, likelihood=why)
    assert "How likely it is to come" in html and "Likelihood of a recorded arrival" in html
    assert "How likely it is to come" not in briefing_html(store, universe, company_id)
    # The Outreach page's download explains the likelihood only when clicked; the briefing is the same.
    from lib.briefing import briefing_explaining_likelihood

    assert briefing_explaining_likelihood(store, universe, company_id, ScoringSettings(), Filters(), model) == \
        briefing_html(store, universe, company_id, ScoringSettings(), Filters(), likelihood=why)
