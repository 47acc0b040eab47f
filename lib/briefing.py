"""A one-page printable HTML briefing per shortlisted company, for a minister's folder.

Facts with their sources, the score and what it is made of, the incentives the company qualifies
for, and the outreach so far. Every value from the store goes through `html.escape`: company names
and notes are typed by people and may contain markup.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import zip_longest

import pandas as pd

from lib import shortlist
from lib.criteria import CRITERIA
from lib.i18n import _, fmt_date, fmt_number, fmt_percent, get_language, tracker_grade_text, translate
from lib.incentives.assumptions import Assumptions
from lib.incentives.offers import company_assumptions, eligibility_for_sector
from lib.incentives.packages import parse_packages, sector_name_map
from lib.incentives.text import assumption_lines, benefits_text, package_text, value_range_text
from lib.likelihood import LikelihoodExplanation, LikelihoodModel, explain_company
from lib.models import Filters, ScoringSettings
from lib.profile import FACT_LABELS, explain_score, observation_text, period_text
from lib.radar import Universe
from lib.screening import ROLE_LABELS, STATUS_LABELS, diversion_text, screen_companies
from lib.store import Store

# More rows would not fit on one page: the newest notes and changes, the most valuable packages.
HISTORY_ROWS = 6
MAX_PACKAGES = 3

STYLE = """
@page { size: A4; margin: 12mm; }
body { font: 9.5pt/1.3 "Segoe UI", "Noto Sans", Arial, sans-serif; color: #111; max-width: 190mm; margin: 0 auto; }
h1 { font-size: 16pt; margin: 0 0 2pt; } h2 { font-size: 11.5pt; margin: 10pt 0 3pt; border-bottom: 1px solid #999; }
.sub { color: #444; margin: 0 0 6pt; } .note { color: #555; font-size: 8.5pt; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { text-align: left; vertical-align: top; padding: 1.5pt 4pt; border-bottom: 1px solid #ddd;
         overflow-wrap: break-word; }
th { background: #eef3f8; } td.num { text-align: right; white-space: nowrap; }
.overdue td { color: #b00020; font-weight: bold; } .src { color: #555; font-size: 7.5pt; overflow-wrap: anywhere; }
section { break-inside: avoid; }
@media print { .noprint { display: none; } }
"""


def esc(value: object) -> str:
    """Text for HTML: escaped, with an em dash for missing values."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return "—"
    return html.escape(str(value), quote=True)


def _table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = (),
           small: Sequence[int] = (), row_classes: Sequence[str | None] = ()) -> str:
    """An HTML table; cells escaped, `numeric` columns right-aligned, `small` ones (sources) in small print."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for index, row in enumerate(rows):
        css = row_classes[index] if index < len(row_classes) else None
        kinds = {**dict.fromkeys(small, ' class="src"'), **dict.fromkeys(numeric, ' class="num"')}
        cells = "".join(f"<td{kinds.get(i, '')}>{esc(c)}</td>" for i, c in enumerate(row))
        body.append(f'<tr class="{esc(css)}">{cells}</tr>' if css else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(title: str, body: str) -> str:
    return f"<section><h2>{esc(title)}</h2>{body}</section>"


def _para(text: str, css: str = "note") -> str:
    return f'<p class="{css}">{esc(text)}</p>'


def _day(value: object) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def briefing_filename(name: str) -> str:
    """A safe, readable file name: briefing-<ascii-slug>.html."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:60]
    return f"briefing-{slug or 'company'}.html"


def briefing_html(store: Store, universe: Universe, company_id: int, settings: ScoringSettings | None = None,
                  filters: Filters | None = None, assumptions: Assumptions | None = None,
                  today: date | None = None, likelihood: LikelihoodExplanation | None = None) -> str:
    """The whole briefing as one self-contained HTML page (no scripts, no external files)."""
    company = store.company(company_id)
    if company is None:
        raise LookupError(_("Company %(id)d is not in the store.") % {"id": company_id})
    today = today or date.today()
    parts = [
        _header(company, today),
        _facts(store, company),
        _screening(store, company_id),
        _score(universe, company_id, settings or ScoringSettings(), filters or Filters(),
               shortlist.get_entry(store, company_id)),
        _likelihood(likelihood),
        _incentives(store, company, assumptions or Assumptions()),
        _outreach(store, company_id, today),
    ]
    title = _("Briefing: %(name)s") % {"name": company["name"]}
    footer = _para(_("Prepared with Relocation Radar on %(date)s. Facts are public-source figures as dated; "
                     "scores depend on the weights shown.") % {"date": fmt_date(today)})
    return (f'<!DOCTYPE html><html lang="{esc(get_language())}"><head><meta charset="utf-8">'
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>{''.join(parts)}{footer}</body></html>")


def briefing_explaining_likelihood(store: Store, universe: Universe, company_id: int, settings: ScoringSettings,
                                   filters: Filters, model: LikelihoodModel) -> str:
    """briefing_html with why the company's likelihood is what it is: worked out when the briefing is built (a
    download's click), not on every rerun of the page that offers it (~40 ms for the feature frame, issue 25)."""
    return briefing_html(store, universe, company_id, settings, filters,
                         likelihood=explain_company(model, universe.companies, company_id))


def _likelihood(why: LikelihoodExplanation | None) -> str:
    """The likelihood of coming beside the score: the figure and the facts that raise and lower it."""
    if why is None:
        return ""
    body = _para(_("Likelihood of a recorded arrival in Kazakhstan: %(p)s (fitted on the companies that came; a "
                   "lower bound, since not every arrival is recorded).") % {"p": fmt_percent(why.probability, 1)},
                 "")
    body += _table([_("Raises it"), _("Lowers it")],
                   [(_(up[0]) if up else "", _(down[0]) if down else "")
                    for up, down in zip_longest(why.raising, why.lowering)])
    return _section(_("How likely it is to come"), body)


def _screening(store: Store, company_id: int) -> str:
    """Each sanctions list with its date and what matched (company, parent, buyers), and the diversion-risk flag."""
    screened = screen_companies(store, [company_id]).get(company_id)
    if screened is None:
        return ""
    rows, classes = [], []
    for result in screened.results:
        if not result.matches:
            rows.append((result.title, fmt_date(result.published), _(STATUS_LABELS[result.status]), "—", "—"))
            classes.append(None)
        for m in result.matches:
            review = f" ({m.reviewer}: {m.reason})" if m.reviewer else ""
            rows.append((result.title, fmt_date(result.published), _(STATUS_LABELS[m.status]) + review,
                         f"{_(ROLE_LABELS[m.role])}: {m.subject}",
                         f"{m.primary_name} ({fmt_number(m.score, 0)}; {m.programmes or '—'})"))
            classes.append("overdue" if m.status in ("possible", "confirmed") else None)  # the red row style
    names = "; ".join(f"{_(ROLE_LABELS[role])}: {name}" for role, name in screened.subjects)
    body = _table([_("List"), _("Published"), _("Result"), _("Screened name"), _("Listed entry (score; programme)")],
                  rows, small=(4,), row_classes=classes)
    body += _para(_("Screened names: %(names)s.") % {"names": names})
    body += _para((_("Diversion risk: %(why)s") % {"why": diversion_text(screened)}) if screened.diversion_risk
                  else diversion_text(screened))
    return _section(_("Screening"), body)


def _header(company: dict, today: date) -> str:
    sector = translate(company.get("sector_name"))
    line = " · ".join([esc(company.get("hq_country")), esc(sector),
                       esc(_("Russia status: %(status)s") % {"status": translate(company.get("status"))})])
    return f"<h1>{esc(company['name'])}</h1><p class=\"sub\">{line}</p>"


def _facts(store: Store, company: dict) -> str:
    rows = [
        (_("Russia status"), f"{translate(company.get('status'))} ({tracker_grade_text(company.get('tracker_grade'))})",
         fmt_date(_day(company.get("status_date"))), company["source"]),
    ]
    if isinstance(company.get("sector_name"), str):
        rows.append((_("Kazakhstan's priority for the sector"), f"{company['kz_priority']} / 5",
                     "", translate(company.get("priority_reason"))))
    if isinstance(company.get("website"), str):
        rows.append((_("Website"), company["website"], "", ""))
    facts = store.company_facts(int(company["company_id"]))
    for fact in facts.to_dict("records"):
        label = FACT_LABELS.get(fact["fact"], fact["fact"])
        period = period_text(fact["period"]) if fact.get("period") else ""
        value = " ".join(t for t in observation_text(fact["fact"], fact["value"], fact.get("state")) if t)
        rows.append((translate(label), value, period, fact["source"]))
    body = _table([_("Fact"), _("Value"), _("As of / period"), _("Source")], rows, small=(2, 3))
    if facts.empty:
        body += _para(_("No size or Russia facts were found in public sources; the score uses the missing-data "
                        "policy for those criteria."))
    if not company.get("is_candidate", True):
        reason = translate(company.get("exclusion_reason"))
        body += _para(_("Not a relocation candidate: %(reason)s") % {"reason": reason})
    return _section(_("Facts and sources"), body)


def _score(universe: Universe, company_id: int, settings: ScoringSettings, filters: Filters,
           entry: shortlist.ShortlistEntry | None) -> str:
    explained = explain_score(universe.companies, universe.values, settings, filters, company_id)
    if explained is None:
        return _section(_("Score"), _para(_("The company was excluded by the missing-data policy.")))
    ranking, row, breakdown = explained.ranking, explained.row, explained.breakdown
    notes = [_("The company is outside the current filters; its score is computed over all companies.")] \
        if explained.outside_filters else []
    summary = _("Weighted-sum score %(score)s, rank %(rank)s of %(n)s; data completeness %(share)s.") % {
        "score": fmt_number(row["score"], 3), "rank": fmt_number(row["rank"]), "n": fmt_number(len(ranking.table)),
        "share": fmt_percent(row["completeness"])}
    rows = [(translate(b.get("criterion")), fmt_percent(b["weight"], 1), fmt_number(b["company"], 3),
             fmt_number(b["top_average"], 3)) for b in breakdown.to_dict("records")]
    rows.append((_("Total"), fmt_percent(1.0), fmt_number(breakdown["company"].sum(), 3),
                 fmt_number(breakdown["top_average"].sum(), 3)))
    body = _para(summary, "sub") + "".join(_para(n) for n in notes)
    body += _table([_("Criterion"), _("Weight"), _("Contribution"), _("Top-10 average")], rows, numeric=(1, 2, 3))
    if entry is not None and entry.score_at_add is not None:
        snap = entry.scenario_at_add
        weights = snap.settings.normalised_weights() if snap else {}
        weight_text = ", ".join(f"{_(c.label)} {fmt_percent(weights[c.id])}" for c in CRITERIA if weights.get(c.id))
        body += _para(_("When shortlisted on %(date)s by %(who)s: score %(score)s, rank %(rank)s (%(method)s; "
                        "weights %(weights)s).") % {
            "date": fmt_date(entry.added_at.date()), "who": entry.added_by, "score": fmt_number(entry.score_at_add, 3),
            "rank": fmt_number(entry.rank_at_add), "weights": weight_text or "—",
            "method": _("TOPSIS") if snap and snap.settings.method == "topsis" else _("Weighted sum")})
    return _section(_("Score and what it is made of"), body)


def _incentives(store: Store, company: dict, assumptions: Assumptions) -> str:
    sectors = store.sectors()
    match = sectors[sectors["sector_code"] == company.get("sector_code")]
    sector = match.iloc[0].to_dict() if not match.empty else None
    packages = {p.package_id: p for p in parse_packages(store.incentive_packages())}
    assumptions = company_assumptions(company, assumptions)  # its own investment decides the minimums
    results = eligibility_for_sector(sector, list(packages.values()), assumptions, store.mci_table(),
                                     sector_name_map(sectors))
    eligible = [r for r in results if r.eligible]
    maybe = [r for r in results if r.outcome == "unknown"]
    rows = []
    for result in eligible[:MAX_PACKAGES]:
        package = packages[result.package_id]
        name = translate(result.name) + (" *" if package.uncertain else "")
        rows.append((name, benefits_text(package), fmt_percent((result.value_pct or 0) / 100, 1)
                     if result.value_pct is not None else "—", package_text(package.legal_basis)))
    body = (_table([_("Package"), _("What it gives"), _("Estimated value, % of investment"), _("Legal basis")],
                   rows, numeric=(2,), small=(3,))
            if rows else _para(_("No incentive package is certain to apply under these assumptions."), "sub"))
    if any(packages[r.package_id].uncertain for r in eligible[:MAX_PACKAGES]):
        body += _para(_("* A figure in this package is uncertain in the sources; check it before quoting it."))
    if len(eligible) > MAX_PACKAGES:
        body += _para(_("Also eligible: %(names)s.")
                      % {"names": ", ".join(translate(r.name) for r in eligible[MAX_PACKAGES:])})
    if maybe:
        body += _para(_("May also qualify, depending on facts not yet known: %(names)s.")
                      % {"names": ", ".join(translate(r.name) for r in maybe)})
    ranges = [value_range_text(r) for r in eligible[:MAX_PACKAGES]]
    if any(ranges):
        body += _para(next(r for r in ranges if r), "sub")
    investment = ("—" if assumptions.investment_usd_m is None
                  else _("USD %(m)s m") % {"m": fmt_number(assumptions.investment_usd_m, 1)})
    assumed = "; ".join([f"{_('Investment')}: {investment}"] + [
        f"{label}: {value}" for label, value in assumption_lines(assumptions)[1:4]])
    body += _para(_("Assumptions: %(list)s.") % {"list": assumed})
    return _section(_("Incentives it qualifies for"), body)


def _outreach(store: Store, company_id: int, today: date) -> str:
    entry = shortlist.get_entry(store, company_id)
    if entry is None:
        return _section(_("Outreach"), _para(_("Not on the shortlist yet."), "sub"))
    overdue = (entry.due_date is not None and entry.due_date < today and entry.stage not in shortlist.CLOSED_STAGES)
    due = fmt_date(entry.due_date) + (" — " + _("overdue") if overdue else "")
    row = [_(entry.stage), _(entry.contact_status) if entry.contact_status else None, entry.owner,
           entry.next_step, due]
    headers = [_("Stage"), _("Contact status"), _("Owner"), _("Next step"), _("Due date")]
    if entry.removed:
        headers.append(_("Removed from the shortlist"))
        row.append(f"{fmt_date(_day(entry.removed_at))} ({entry.removed_by})")
    body = _table(headers, [row], row_classes=["overdue" if overdue else None])
    history = shortlist.history_frame(store, company_id).head(HISTORY_ROWS)
    if not history.empty:
        body += _table([_("When"), _("Who"), _("What"), _("Details")],
                       [(fmt_date(_day(h["changed_at"])), h["actor"], h["action"], h["details"])
                        for h in history.to_dict("records")])
    return _section(_("Outreach so far"), body)
