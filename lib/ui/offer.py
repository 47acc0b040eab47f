"""The profile's "What Kazakhstan can offer": the investment estimate with its range, and every package checked.

Imported by the Company page alone. A figure typed here becomes this company's investment in the incentive
assumptions (URL parameter `inc_company`), so the ranking's incentive fit and a shared link follow it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import streamlit as st

from lib import incentives as inc
from lib.i18n import _, fmt_date, fmt_number, md_source, md_text, ngettext, translate
from lib.investment import BASIS_LABELS, CAPITAL_INTENSITY, KZ_SHARE_OF_RUSSIA
from lib.ui.state import current_assumptions, get_packages, get_store, get_universe, sector_names

SIZES_KEY = "inc_company"  # the assumption key that holds per-company investments ("id:USD m;...")


def _set_size(company_id: int, widget_key: str) -> None:
    """Store (or, when emptied, drop) this company's investment among the per-company sizes."""
    sizes = dict(current_assumptions().company_investment_usd_m)
    value = st.session_state.get(widget_key)
    if value is None:
        sizes.pop(company_id, None)
    else:
        sizes[company_id] = float(value)
    st.session_state[SIZES_KEY] = inc.company_sizes_text(sizes)


def _usd_m(value: Any) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else _("USD %(m)s m") % {
        "m": fmt_number(value, 1)}


def investment_block(company: Mapping[str, Any]) -> None:
    """The investment used for this company: the figure, its basis and range, and a field to set it by hand."""
    universe = get_universe()
    company_id = int(company["company_id"])
    row = universe.incentives.loc[universe.companies["company_id"] == company_id]
    if row.empty:
        return
    info = row.iloc[0]
    basis = info["investment_basis"]
    cols = st.columns(3)
    cols[0].metric(_("Investment assumed"), _usd_m(info["investment_usd_m"]),
                   help=_("Tested against each package's minimum in MCI; the incentive value is a share of it."))
    cols[1].metric(_("Range"), "—" if basis not in ("russia_revenue", "russia_employees") else
                   f"{fmt_number(info['investment_low'], 1)}–{fmt_number(info['investment_high'], 1)}",
                   help=_("USD million. Low (used): the Russian business's capital scaled to Kazakhstan's economy. "
                          "High: the whole Russian operation moved."))
    cols[2].metric(_("Incentive value"), _usd_m(info["incentive_value_usd_m"]),
                   help=_("Present value of the best eligible package at this investment; it drives the incentive "
                          "fit criterion."))
    intensity = CAPITAL_INTENSITY.get(company.get("sector_code"))  # type: ignore[arg-type]
    if isinstance(basis, str):
        text = _("Basis: %(basis)s.") % {"basis": _(BASIS_LABELS[basis])}
        if basis in ("russia_revenue", "russia_employees") and intensity is not None:
            text += " " + _("Russian revenue ÷ %(ratio)s (sales per dollar of capital, %(industry)s) × %(share)s "
                            "(Kazakhstan's economy as a share of Russia's).") % {
                "ratio": fmt_number(intensity.sales_to_capital, 2), "industry": intensity.industries,
                "share": fmt_number(KZ_SHARE_OF_RUSSIA * 100, 1) + " %"}
        st.caption(text)
    else:
        st.info(_("No investment estimate: the company's Russian revenue or staff, or its sector's capital "
                  "intensity, is unknown. Its incentive fit follows the missing-data policy unless you set a figure."))
    widget_key = f"inc_company_size_{company_id}"
    if widget_key not in st.session_state:
        st.session_state[widget_key] = current_assumptions().company_investment_usd_m.get(company_id)
    st.number_input(_("Set this company's investment, USD million"), min_value=0.0, max_value=100_000.0, step=5.0,
                    value=None, key=widget_key, on_change=_set_size, args=(company_id, widget_key),
                    placeholder=_("Empty: use the estimate"),
                    help=_("A figure from a meeting or a press release; it replaces the estimate in the ranking "
                           "and travels with a shared link."))
    pool, in_mci = inc.green_corridor_pool(inc.company_assumptions(company, current_assumptions()),
                                           get_store().mci_table())
    if pool:
        st.caption(_("Green corridor: an investment of %(mci)s MCI belongs to the %(pool)s pool (the national "
                     "pool starts above 150,000 MCI).")
                   % {"mci": fmt_number(in_mci, 0), "pool": _("national") if pool == "national" else _("regional")})


def offer_section(company: Mapping[str, Any]) -> None:
    """Every package in force checked for the company at its investment, with reasons, values and ranges."""
    st.subheader(_("What Kazakhstan can offer"))
    investment_block(company)
    assumptions = current_assumptions()
    packages = {p.package_id: p for p in get_packages()}
    offer, other_periods = inc.offer_for_company(company, packages.values(), assumptions, get_store().mci_table(),
                                                  sector_names())
    values = [e.value_pct for e in offer if e.eligible and e.value_pct is not None]
    cols = st.columns(2)
    cols[0].metric(_("Eligible packages"), fmt_number(sum(e.eligible for e in offer)))
    cols[1].metric(_("Best value, % of investment"), fmt_number(max(values, default=None), 1),
                   help=_("Present value of the best eligible package, at the stated point of any uncertain range."))
    for result in (e for e in offer if e.outcome != "not_eligible"):
        package = packages[result.package_id]
        symbol, outcome = inc.OUTCOME_SYMBOLS[result.outcome], _(inc.OUTCOME_LABELS[result.outcome])
        with st.expander(f"{symbol} {md_text(translate(result.name))} · {outcome}"):
            st.dataframe(inc.checks_frame(result), hide_index=True, column_config={
                "rule": _("Rule"), "result": _("Result"), "reason": _("Why")})
            st.markdown(inc.value_text(result))
            if text := inc.value_range_text(result):
                st.caption(text)
            st.caption(md_text(f"{inc.benefits_text(package)}. {inc.package_text(package.other_benefits)}"))
            if package.uncertain:
                st.warning(_("Uncertain: %(note)s") % {"note": md_text(inc.package_text(package.uncertainty_note))})
            st.caption(_("Source: %(source)s (as of %(date)s)") % {"source": md_source(package.source),
                                                                   "date": fmt_date(package.as_of)})
    refused = inc.not_eligible_frame(offer)
    if not refused.empty:
        with st.expander(_("Not eligible (%(n)s)") % {"n": fmt_number(len(refused))}):
            st.dataframe(refused, hide_index=True, column_config={"package": _("Package"), "why_not": _("Why not")})
    st.caption(_("Assumes: %(assumptions)s.") % {"assumptions": "; ".join(
        f"{label} {value}" for label, value in inc.assumption_lines(assumptions))})
    if other_periods:
        st.caption(ngettext("%(n)d package of another period is not shown; change the regime on the Incentives page.",
                            "%(n)d packages of other periods are not shown; change the regime on the Incentives "
                            "page.", other_periods) % {"n": other_periods})
    st.page_link("pages/incentives.py", label=_("Change the assumptions"), icon=":material/tune:")

