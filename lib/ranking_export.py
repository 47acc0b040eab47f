"""The ranking as an Excel workbook for a briefing folder: the ranked table and how it was scored.

Sheet 1 lists every ranked company with its score and, for the weighted sum, the contribution of each
criterion (they add up to the score). Sheet 2 says how the ranking was made: method, weights in percent,
missing-data policy per criterion, filters, the link that reproduces the view, and when it was made.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from lib.criteria import CRITERIA
from lib.export import to_xlsx_bytes
from lib.i18n import _, fmt_country, translate
from lib.models import Filters, ScoringSettings
from lib.scoring import Ranking
from lib.viewstate import METHOD_LABELS, MISSING_LABELS


def readable(table: pd.DataFrame, sector_names: dict[str, str]) -> pd.DataFrame:
    """The ranked table with sector, hq_country and status in words of the current language.

    Each distinct value is translated once, not once per row (the rank page does this on every rerun).
    """
    return table.assign(
        sector=table["sector_code"].map({code: translate(name) for code, name in sector_names.items()}),
        hq_country=table["hq_country"].map({c: fmt_country(c) for c in table["hq_country"].dropna().unique()}),
        status=table["status"].map({s: translate(s) for s in table["status"].unique()}),
    )


def ranking_frame(ranking: Ranking, sector_names: dict[str, str]) -> pd.DataFrame:
    """One row per ranked company with translated headers; contributions for the weighted sum."""
    table = ranking.table
    shown = readable(table, sector_names)
    out = pd.DataFrame({
        _("Rank"): table["rank"].astype(int),
        _("Company"): table["name"],
        _("Sector"): shown["sector"].fillna("—"),
        _("HQ country"): shown["hq_country"].fillna("—"),
        _("Russia status"): shown["status"],
        _("Score"): table["score"].astype(float),
        _("Data completeness, %"): (table["completeness"] * 100).round(0),
    })
    if "likelihood" in table:  # the order's other two numbers: likelihood of coming and expected value
        out.insert(6, _("Likelihood of coming, %"), (table["likelihood"] * 100).round(2))
        out.insert(7, _("Expected value"), table["expected"].astype(float))
    if ranking.method == "wsm":
        for criterion in CRITERIA:
            out[_("%(criterion)s: contribution") % {"criterion": _(criterion.label)}] = \
                table[f"c_{criterion.id}"].astype(float)
    return out


def method_frame(ranking: Ranking, settings: ScoringSettings, filters: Filters, link: str | None,
                 sector_names: dict[str, str], made_at: datetime) -> pd.DataFrame:
    """How the ranking was made, as (item, value) rows a reader can check against the app."""
    rows = [(_("Method"), _(METHOD_LABELS[ranking.method]))]
    rows += [(_("Weight: %(criterion)s") % {"criterion": _(c.label)}, f"{100 * ranking.weights[c.id]:.1f} %")
             for c in CRITERIA]
    rows += [(_("Missing data: %(criterion)s") % {"criterion": _(c.label)}, _(MISSING_LABELS[settings.missing[c.id]]))
             for c in CRITERIA]
    every = _("all")
    rows += [
        (_("Sector"), "; ".join(translate(sector_names.get(s, s)) for s in filters.sectors) or every),
        (_("HQ country"), "; ".join(fmt_country(c) for c in filters.countries) or every),
        (_("Russia status"), "; ".join(translate(s) for s in filters.statuses) or every),
        (_("Minimum worldwide revenue, USD million"), str(filters.min_revenue_usd_m)),
        (_("Exclude high compliance risk"), _("yes") if filters.exclude_high_risk else _("no")),
        (_("New entrants only"), _("yes") if filters.new_entrants_only else _("no")),
        (_("Companies ranked"), str(len(ranking.table))),
        (_("Left out because of missing data"), str(ranking.excluded_missing)),
        (_("Link to this view"), link or "—"),
        (_("Made at"), made_at.strftime("%Y-%m-%d %H:%M")),
    ]
    return pd.DataFrame(rows, columns=[_("Item"), _("Value")])


def ranking_xlsx(ranking: Ranking, settings: ScoringSettings, filters: Filters, sector_names: dict[str, str],
                 link: str | None = None, made_at: datetime | None = None) -> bytes:
    """The workbook: the ranking, then how it was made (text that looks like a formula stays text)."""
    made_at = made_at or datetime.now()
    return to_xlsx_bytes({
        _("Ranking"): ranking_frame(ranking, sector_names),
        _("How it was scored"): method_frame(ranking, settings, filters, link, sector_names, made_at),
    })
