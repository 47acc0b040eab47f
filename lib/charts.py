"""Altair charts as pure functions DataFrame -> Chart (tested through chart.to_dict())."""

from __future__ import annotations

import altair as alt
import pandas as pd

from lib.criteria import CRITERIA
from lib.i18n import _


def contribution_chart(ranked: pd.DataFrame, top_n: int = 15) -> alt.Chart:
    """Stacked bars: each top company's weighted-sum score split into criterion contributions."""
    top = ranked.head(top_n)
    labels = {f"c_{c.id}": _(c.label) for c in CRITERIA}
    long = top.melt(id_vars=["rank", "name", "score"], value_vars=list(labels),
                    var_name="criterion", value_name="contribution")
    long["criterion"] = long["criterion"].map(labels)
    order = list(labels.values())
    return (
        alt.Chart(long, title=_("Score of the top companies, by criterion"))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=alt.SortField("rank"), title=None),
            x=alt.X("sum(contribution):Q", title=_("Score (sum of weighted criteria)"),
                    scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("criterion:N", sort=order, title=_("Criterion")),
            order=alt.Order("criterion_order:Q"),
            tooltip=[alt.Tooltip("name:N", title=_("Company")),
                     alt.Tooltip("criterion:N", title=_("Criterion")),
                     alt.Tooltip("contribution:Q", title=_("Contribution"), format=".3f")],
        )
        .transform_calculate(criterion_order=f"indexof({order!r}, datum.criterion)")
        .properties(height=alt.Step(22))
    )


def score_chart(ranked: pd.DataFrame, top_n: int = 15) -> alt.Chart:
    """Plain bars of the score (TOPSIS has no additive contributions)."""
    top = ranked.head(top_n)
    return (
        alt.Chart(top, title=_("Score of the top companies"))
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=alt.SortField("rank"), title=None),
            x=alt.X("score:Q", title=_("Closeness to the ideal (TOPSIS)"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[alt.Tooltip("name:N", title=_("Company")),
                     alt.Tooltip("score:Q", title=_("Score"), format=".3f")],
        )
        .properties(height=alt.Step(22))
    )


def breakdown_chart(breakdown: pd.DataFrame) -> alt.Chart:
    """One company's contribution per criterion next to the top-10 average."""
    return (
        alt.Chart(breakdown, title=_("Contribution per criterion"))
        .mark_bar()
        .encode(
            y=alt.Y("criterion:N", sort=None, title=None),
            x=alt.X("contribution:Q", title=_("Contribution to the score")),
            color=alt.Color("who:N", title=None),
            yOffset="who:N",
            tooltip=[alt.Tooltip("criterion:N", title=_("Criterion")), "who:N",
                     alt.Tooltip("contribution:Q", title=_("Contribution"), format=".3f")],
        )
    )
