"""Altair charts as pure functions DataFrame -> Chart (tested through chart.to_dict())."""

from __future__ import annotations

import altair as alt
import pandas as pd

from lib.criteria import CRITERIA
from lib.i18n import _
from lib.scenarios import MOVEMENT_LABELS
from lib.shortlist import STAGES


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
    """One company's contribution per criterion next to the top-10 average (`who` holds the two labels)."""
    who = [_("This company"), _("Top-10 average")]
    return (
        alt.Chart(breakdown, title=_("Contribution per criterion"))
        .mark_bar()
        .encode(
            y=alt.Y("criterion:N", sort=None, title=None),
            x=alt.X("contribution:Q", title=_("Contribution to the score")),
            # Fixed order and colours: sorted by label, the two would swap colours between languages.
            color=alt.Color("who:N", title=None, sort=who,
                            scale=alt.Scale(domain=who, range=["#0068c9", "#83c9ff"])),
            yOffset=alt.YOffset("who:N", sort=who),
            tooltip=[alt.Tooltip("criterion:N", title=_("Criterion")), "who:N",
                     alt.Tooltip("contribution:Q", title=_("Contribution"), format=".3f")],
        )
    )


# Funnel stages in deepening blue, Committed green, Declined grey: the same colours in every pipeline chart.
STAGE_COLOURS = ("#9ecae1", "#6baed6", "#3182bd", "#08519c", "#2ca25f", "#969696")


def _stage_scale() -> alt.Scale:
    return alt.Scale(domain=[_(s) for s in STAGES], range=list(STAGE_COLOURS))


def _stage_counts(shortlist: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Entries counted per stage (and `by`), with translated stage labels and the funnel position."""
    counts = shortlist.groupby(by + ["stage"], dropna=False).size().reset_index(name="companies")
    counts["stage_order"] = counts["stage"].map({s: i for i, s in enumerate(STAGES)})
    counts["stage"] = counts["stage"].map(_)
    return counts


def pipeline_stage_chart(shortlist: pd.DataFrame) -> alt.Chart:
    """Bars of how many shortlisted companies are at each stage, in funnel order (empty stages shown)."""
    counts = _stage_counts(shortlist, [])
    full = pd.DataFrame({"stage": [_(s) for s in STAGES], "stage_order": range(len(STAGES))})
    counts = full.merge(counts[["stage", "companies"]], on="stage", how="left").fillna({"companies": 0})
    order = [_(s) for s in STAGES]
    return (
        alt.Chart(counts, title=_("Pipeline by stage"))
        .mark_bar()
        .encode(
            # Horizontal, funnel order top to bottom: every stage's name stays readable in every language.
            y=alt.Y("stage:N", sort=order, title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("companies:Q", title=_("Companies"), axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("stage:N", sort=order, scale=_stage_scale(), legend=None),
            tooltip=[alt.Tooltip("stage:N", title=_("Stage")),
                     alt.Tooltip("companies:Q", title=_("Companies"))],
        )
        .properties(height=alt.Step(24))
    )


def pipeline_sector_chart(shortlist: pd.DataFrame) -> alt.Chart:
    """Stacked bars: shortlisted companies per sector, split by stage."""
    sectors = shortlist["sector_name"].map(lambda s: _(s) if isinstance(s, str) else _("Unknown sector"))
    # "Industrials: machinery, ..." -> "Industrials" on the axis; the full name stays in the tooltip.
    frame = shortlist.assign(sector=sectors, short=sectors.str.split(":").str[0])
    counts = _stage_counts(frame, ["sector", "short"])
    order = [_(s) for s in STAGES]
    return (
        alt.Chart(counts, title=_("Pipeline by sector"))
        .mark_bar()
        .encode(
            y=alt.Y("short:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("sum(companies):Q", title=_("Companies"), axis=alt.Axis(tickMinStep=1)),
            # Legend below: in half a page width, long sector names and a side legend would squeeze the bars.
            color=alt.Color("stage:N", sort=order, scale=_stage_scale(), title=_("Stage"),
                            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=240)),
            order=alt.Order("stage_order:Q"),
            tooltip=[alt.Tooltip("sector:N", title=_("Sector")), alt.Tooltip("stage:N", title=_("Stage")),
                     alt.Tooltip("companies:Q", title=_("Companies"))],
        )
        .properties(height=alt.Step(24))
    )


def rank_shift_chart(comparison: pd.DataFrame, label_a: str, label_b: str, top_n: int) -> alt.Chart:
    """Slope chart of two scenarios' top N: one line per company from its rank in A to its rank in B.

    `comparison` has name, rank_a, rank_b and movement (entered / left / stayed). A rank outside the
    top N is drawn one step below it, so the chart stays readable; the tooltip shows the real rank.
    """
    outside = top_n + 1
    movement_labels = {movement: _(label) for movement, label in MOVEMENT_LABELS.items()}
    rows = []
    for record in comparison.to_dict("records"):
        for scenario, column in ((label_a, "rank_a"), (label_b, "rank_b")):
            rank = record[column]
            known = rank is not None and not pd.isna(rank)
            rows.append({"scenario": scenario, "name": record["name"],
                         "movement": movement_labels[record["movement"]],
                         "rank": int(rank) if known else None,
                         "shown": min(int(rank), outside) if known else outside})
    long = pd.DataFrame(rows, columns=["scenario", "name", "movement", "rank", "shown"])
    base = alt.Chart(long).encode(
        x=alt.X("scenario:N", sort=[label_a, label_b], title=None,
                axis=alt.Axis(labelAngle=0, orient="top", labelLimit=400)),
        y=alt.Y("shown:Q", title=_("Rank"), scale=alt.Scale(domain=[outside, 1], nice=False),
                axis=alt.Axis(tickMinStep=1)),
        color=alt.Color("movement:N", title=None,
                        scale=alt.Scale(domain=list(movement_labels.values()),
                                        range=["#2e7d32", "#c62828", "#607d8b"])),
        detail="name:N",
        tooltip=[alt.Tooltip("name:N", title=_("Company")), alt.Tooltip("scenario:N", title=_("Scenario")),
                 alt.Tooltip("rank:Q", title=_("Rank")), alt.Tooltip("movement:N", title=_("Change"))],
    )
    lines = base.mark_line(point=True)
    # Names only where the company is in the top N: outside ranks share one row and would overlap.
    in_top = alt.datum.shown <= top_n
    left = (base.transform_filter((alt.datum.scenario == label_a) & in_top)
            .mark_text(align="right", dx=-8).encode(text="name:N"))
    right = (base.transform_filter((alt.datum.scenario == label_b) & in_top)
             .mark_text(align="left", dx=8).encode(text="name:N"))
    return (lines + left + right).properties(
        title=_("Top %(n)d: rank in each scenario (below the line = outside the top)") % {"n": top_n},
        height=max(240, 26 * (top_n + 1)))


def rank_interval_chart(robust: pd.DataFrame, top_k: int, top_n: int = 25) -> alt.Chart:
    """Each top company's rank interval over the weight samples (5th-95th percentile), median and rank now.

    `robust` is lib.robustness.Robustness.table: name, rank, p_top_k, rank_low, rank_median, rank_high.
    """
    top = robust.dropna(subset=["rank_low"]).head(top_n).assign(p_top_k_pct=lambda t: t["p_top_k"] * 100)
    p_title = _("Chance of the top %(k)d, %%") % {"k": top_k}
    base = alt.Chart(top).encode(
        y=alt.Y("name:N", sort=alt.SortField("rank"), title=None, axis=alt.Axis(labelLimit=240)),
        tooltip=[alt.Tooltip("name:N", title=_("Company")), alt.Tooltip("rank:Q", title=_("Rank now")),
                 alt.Tooltip("rank_low:Q", title=_("Best rank (5th percentile)")),
                 alt.Tooltip("rank_median:Q", title=_("Median rank")),
                 alt.Tooltip("rank_high:Q", title=_("Worst rank (95th percentile)")),
                 alt.Tooltip("p_top_k_pct:Q", title=p_title, format=".0f")],
    )
    interval = base.mark_rule(strokeWidth=3, color="#90a4ae").encode(
        x=alt.X("rank_low:Q", title=_("Rank (1 = best)"), scale=alt.Scale(zero=False, nice=False)),
        x2="rank_high:Q")
    median = base.mark_tick(color="#37474f", thickness=2, size=14).encode(x="rank_median:Q")
    now = base.mark_point(filled=True, size=70, shape="diamond").encode(
        x="rank:Q",
        color=alt.Color("p_top_k_pct:Q", title=p_title, scale=alt.Scale(scheme="blues", domain=[0, 100])))
    cutoff = alt.Chart(pd.DataFrame({"k": [top_k + 0.5]})).mark_rule(strokeDash=[4, 4], color="#c62828").encode(
        x="k:Q")
    return alt.layer(interval, median, now, cutoff).properties(
        title=_("Rank interval when the weights vary (bar: 5th-95th percentile, tick: median, diamond: now)"),
        height=alt.Step(22))


def weight_share_chart(shares: pd.DataFrame) -> alt.Chart:
    """Bars of each criterion's normalised weight in %, with its uncertainty range when given.

    `shares` has criterion (translated label), weight, and optionally low and high (shares 0-1).
    """
    data = shares.assign(**{col: shares[col] * 100 for col in ("weight", "low", "high") if col in shares})
    base = alt.Chart(data).encode(y=alt.Y("criterion:N", sort=None, title=None))
    title = _("Weight, % of the total")
    bars = base.mark_bar(color="#5c6bc0").encode(
        x=alt.X("weight:Q", title=title),
        tooltip=[alt.Tooltip("criterion:N", title=_("Criterion")),
                 alt.Tooltip("weight:Q", title=_("Weight, %"), format=".1f")])
    if "low" not in data:
        return bars.properties(title=_("Weights, normalised"))
    spread = base.mark_errorbar(ticks=True, color="#263238").encode(x=alt.X("low:Q", title=title), x2="high:Q")
    return alt.layer(bars, spread).properties(title=_("Weights, normalised, with the range sampled (90%)"))


def quadrant_chart(ranked: pd.DataFrame, shortlisted: set[int] | frozenset[int] = frozenset(),
                   top_n: int = 300) -> alt.Chart:
    """Likelihood of coming (x, log scale) against value to Kazakhstan (y) for the first `top_n` rows; lines at
    the medians split the four quadrants; shortlisted companies are drawn as diamonds. A click selects a company
    (selection parameter "company", field company_id) so the page can open its profile."""
    top = ranked.head(top_n).dropna(subset=["likelihood"]).copy()
    top["shortlisted"] = top["company_id"].isin(set(shortlisted)).map({True: _("shortlisted"), False: _("not yet")})
    pick = alt.selection_point(name="company", fields=["company_id"], on="click")
    x = alt.X("likelihood:Q", title=_("Likelihood of coming (log scale)"), scale=alt.Scale(type="log"))
    y = alt.Y("score:Q", title=_("Value to Kazakhstan"), scale=alt.Scale(domain=[0, 1]))
    points = (
        alt.Chart(top)
        .mark_point(filled=True, size=70)
        .encode(
            x=x, y=y,
            shape=alt.Shape("shortlisted:N", title=_("Shortlist"),
                            scale=alt.Scale(domain=[_("shortlisted"), _("not yet")], range=["diamond", "circle"])),
            color=alt.condition(pick, alt.value("#1f77b4"), alt.value("#9ecae1")),
            tooltip=[alt.Tooltip("name:N", title=_("Company")),
                     alt.Tooltip("rank:Q", title=_("Rank")),
                     alt.Tooltip("likelihood:Q", title=_("Likelihood of coming"), format=".1%"),
                     alt.Tooltip("score:Q", title=_("Value to Kazakhstan"), format=".3f"),
                     alt.Tooltip("expected:Q", title=_("Expected value"), format=".3f")],
        )
        .add_params(pick)
    )
    rules = [
        alt.Chart(pd.DataFrame({"v": [float(top["likelihood"].median())]})).mark_rule(strokeDash=[4, 4]).encode(
            x="v:Q"),
        alt.Chart(pd.DataFrame({"v": [float(top["score"].median())]})).mark_rule(strokeDash=[4, 4]).encode(
            y="v:Q"),
    ] if len(top) else []
    return alt.layer(points, *rules).properties(
        title=_("Who is likely to come, and what each is worth (click a company to open its profile)"), height=420)


def timeline_chart(events: pd.DataFrame) -> alt.Chart:
    """One company's events (lib/timeline.py) on one time axis, a row per lane; the tooltip names each source."""
    lanes = list(dict.fromkeys(events["lane"]))
    data = events.assign(date=pd.to_datetime(events["date"]).dt.strftime("%Y-%m-%d"))
    return (
        alt.Chart(data)  # the page titles it
        .mark_point(filled=True, size=90)
        .encode(
            x=alt.X("date:T", title=_("Date it describes")),
            y=alt.Y("lane:N", sort=lanes, title=None),
            color=alt.Color("lane:N", sort=lanes, legend=None),
            tooltip=[alt.Tooltip("date:T", title=_("Date"), format="%Y-%m-%d"),
                     alt.Tooltip("lane:N", title=_("What")),
                     alt.Tooltip("event:N", title=_("Event")),
                     alt.Tooltip("source:N", title=_("Source"))],
        )
        .properties(height=alt.Step(40))
    )
