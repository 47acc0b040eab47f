"""Incentives page: Kazakhstan's packages with their rules and sources, the assumptions, and who qualifies."""

import streamlit as st

from lib import incentives as inc
from lib import ui
from lib.i18n import _, fmt_number, grid_date_format, grid_number_format, md_text, translate

try:  # the outreach shortlist (issue 5) may not be installed yet
    from lib.shortlist import shortlist_frame
except ImportError:  # pragma: no cover - depends on which issues are merged
    shortlist_frame = None

view = ui.page_view()  # first: the view app.py passes on (and a page run alone goes through app.py)

# The assumptions are part of the view: a link's values are seeded into these widgets (read_link_once), their values
# build view.assumptions in the sidebar, and the address bar is written from it. Session state is their one source
# (no default argument); they keep their values on other pages, where they feed the incentive fit.
SESSION = "session"
packages = ui.get_packages()
zones = inc.zones_by_location(packages)

st.title(_("Incentive packages"))
st.caption(_("What Kazakhstan can offer a relocating company: each instrument's rules, what it gives, the period "
             "it applies to and its source. The assumptions below also set the incentive fit used in the ranking."))

st.subheader(_("Assumptions"))
left, middle, right = st.columns(3)
left.number_input(_("Investment, USD million"), min_value=0.0, max_value=100_000.0, value=None,
                  step=5.0, key="inc_invest", persist_state=SESSION,
                  placeholder=_("Empty: each company's own estimate"),
                  help=_("Compared with each package's minimum in MCI, converted at the regime year's MCI. Empty: "
                         "each company's estimate from its Russian business (see the Methodology page); a figure "
                         "here applies to every company. A company's profile can set its own figure."))
left.number_input(_("Exchange rate, KZT per USD"), min_value=1.0, max_value=10_000.0, step=5.0, key="inc_fx",
                  persist_state=SESSION)
middle.radio(_("Regime"), list(inc.REGIMES), captions=[_(label) for label in inc.REGIME_LABELS.values()],
             key="inc_regime", persist_state=SESSION,
             help=_("On 1 January 2026 priority and special investment projects were replaced by new contract "
                    "forms and a new Tax Code took effect (VAT 16%)."))
middle.toggle(_("Expands an existing Kazakh entity"), key="inc_existing", persist_state=SESSION,
              help=_("Off: the company sets up a new legal entity, which some instruments require."))
middle.toggle(_("Include assumed rules"), key="inc_assumed", persist_state=SESSION,
              help=_("Some rules are Relocation Radar's reading, not the sources' (e.g. the sector lists of the Alatau "
                     "and Khorgos zones). Off: such a package stays undecided and adds nothing to incentive fit."))
site = right.selectbox(_("Location"), inc.locations(packages), index=None, key="inc_site", format_func=translate,
                       persist_state=SESSION, placeholder=_("Not decided: any site"),
                       help=_("Zone-bound packages (SEZ, AIFC) need a site in their city."))
if site in zones:
    right.caption(_("In %(city)s: %(zones)s")
                  % {"city": md_text(translate(site)), "zones": md_text("; ".join(zones[site]))})
middle.radio(_("Uncertain benefits count at"), list(inc.POINT_LABELS), key="inc_point", persist_state=SESSION,
             horizontal=True,
             format_func=lambda p: _(inc.POINT_LABELS[p]),
             help=_("Some benefits are uncertain on the regime date (SEZ terms under the 2026 Tax Code, the "
                    "investment agreement's years under the 2026 model). Their value is a range from none (low end) "
                    "to all (high end); the ranking uses this point."))
with st.expander(_("Valuation assumptions")):
    cols = st.columns(3)
    cols[0].slider(_("Horizon, years"), 1, 30, key="inc_years", persist_state=SESSION)
    cols[0].number_input(_("Discount rate, %"), 0.0, 50.0, step=1.0, key="inc_discount", persist_state=SESSION)
    cols[0].number_input(_("Annual taxable profit, % of investment"), 0.0, 100.0, step=1.0, key="inc_profit",
                         persist_state=SESSION)
    cols[1].number_input(_("Corporate income tax rate, %"), 0.0, 100.0, step=1.0, key="inc_cit",
                         persist_state=SESSION)
    cols[1].number_input(_("Property tax rate, %"), 0.0, 10.0, step=0.1, key="inc_property", persist_state=SESSION)
    cols[1].number_input(_("Land tax rate, % of investment"), 0.0, 10.0, step=0.05, key="inc_land",
                         persist_state=SESSION)
    cols[2].number_input(_("Imported equipment, % of investment"), 0.0, 100.0, step=5.0, key="inc_equipment",
                         persist_state=SESSION)
    cols[2].number_input(_("Customs duty on equipment, %"), 0.0, 100.0, step=1.0, key="inc_duty",
                         persist_state=SESSION, help=_("Import VAT follows the regime."))
    cols[2].number_input(_("In-kind grant obtained, % of the maximum"), 0.0, 100.0, step=5.0, key="inc_grant",
                         persist_state=SESSION)

assumptions = view.assumptions
if assumptions.regime_date >= inc.REGIMES["2026"]:
    st.info(_("Special economic zones in 2026: on 10 February 2026 the President called the SEZ model exhausted and "
              "ordered a new one within three months ([Kazinform](%(url)s)). How the 2026 Tax Code treats SEZ "
              "participants was not found in sources, so their benefits count as a range. Kazakhstan had 14 SEZs in "
              "April 2024 and 17 in late 2025; the %(n)s listed here are those the sources name.")
            % {"url": "https://qazinform.com/news/tokayev-entrusts-government-with-adopting-a-new-model-for-sez-"
                      "development-24d55b", "n": fmt_number(sum(p.instrument_type == "sez" for p in packages))})
st.caption(" · ".join(f"{label}: {value}" for label, value in inc.assumption_lines(assumptions)))

matrix_tab, packages_tab = st.tabs([_("Who qualifies"), _("Packages and sources")])

with matrix_tab:
    universe = ui.get_universe()
    sources = ["top"] + (["shortlist"] if shortlist_frame is not None and ui.current_user().can_see_pipeline else [])
    source = st.radio(_("Companies"), sources, key="inc_companies", horizontal=True,
                      format_func=lambda s: _("Top of the current ranking") if s == "top" else _("Shortlist"))
    if source == "shortlist":
        ids = list(shortlist_frame(ui.get_store(), include_confidential=False)["company_id"])
    else:
        top_n = st.number_input(_("How many of the top companies"), 1, 200, 20, 5, key="inc_top")
        ids = list(ui.current_ranking().table["company_id"].head(int(top_n)))
    show_all = st.toggle(_("Include packages not in force on the regime date"), key="inc_all_periods")
    shown_packages = packages if show_all else inc.in_force(packages, assumptions.regime_date)
    if not ids:
        st.info(_("No companies to check: the shortlist is empty or no company matches the filters."))
    else:
        companies = universe.companies.set_index("company_id").loc[ids].reset_index()
        matrix = inc.eligibility_matrix(companies, shown_packages, assumptions, ui.get_store().mci_table())
        package_ids = [p.package_id for p in shown_packages]
        cells = matrix.assign(**{pid: matrix[pid].map(inc.OUTCOME_SYMBOLS) for pid in package_ids})
        matrix_key = ui.selection_key("inc_matrix", matrix["company_id"])  # a selection never slides
        st.dataframe(cells, hide_index=True, key=matrix_key, on_select="rerun", selection_mode="single-row",
                     column_order=["name", "investment_usd_m", "eligible_count", "best_value_pct",
                                   "best_value_usd_m", *package_ids],
                     column_config={
                         "name": st.column_config.TextColumn(_("Company"), pinned=True),
                         "investment_usd_m": st.column_config.NumberColumn(
                             _("Investment, USD m"), **grid_number_format(1),
                             help=_("The company's own estimate, a figure set for it, or the figure above; empty "
                                    "when unknown (thresholds then cannot be decided).")),
                         "best_value_usd_m": st.column_config.NumberColumn(
                             _("Best value, USD m"), **grid_number_format(1),
                             help=_("Best value × investment: what the incentive fit criterion ranks.")),
                         "eligible_count": st.column_config.NumberColumn(_("Eligible packages")),
                         "best_value_pct": st.column_config.NumberColumn(
                             _("Best value, % of investment"), **grid_number_format(1),
                             help=_("Present value of the best eligible package under the assumptions above.")),
                         **{p.package_id: st.column_config.TextColumn(translate(p.name), width="small",
                                                                      help=translate(p.name))
                            for p in shown_packages}})
        st.caption(_("✓ eligible · ? cannot tell yet (a fact such as the sector is missing) · ✗ not eligible. "
                     "Select a row to see the reason for every rule on the company's profile."))
        picked = [i for i in st.session_state.get(matrix_key, {}).get("selection", {}).get("rows", [])
                  if i < len(matrix)]
        if picked and st.button(_("Open the profile of %(name)s") % {"name": md_text(matrix.iloc[picked[0]]["name"])},
                                type="primary"):
            st.session_state["company"] = int(matrix.iloc[picked[0]]["company_id"])
            st.switch_page("pages/company.py")

with packages_tab:
    frame = inc.packages_frame(packages, assumptions, ui.sector_names())
    uncertain = int(frame["uncertain"].sum())
    st.warning(_("%(n)s of %(total)s packages contain figures that sources disagree on or could not confirm "
                 "(marked ⚠). Check them on adilet.zan.kz before quoting them to an investor.")
               % {"n": fmt_number(uncertain), "total": fmt_number(len(frame))})
    frame["name"] = [("⚠ " if u else "") + translate(n) for u, n in zip(frame["uncertain"], frame["name"], strict=True)]
    st.dataframe(frame, hide_index=True, column_order=[
        "name", "type", "in_force", "valid_from", "valid_to", "rules", "benefits", "value_low", "value_pct",
        "value_high", "uncertain_terms", "uncertainty_note",
        "other_benefits", "legal_basis", "source", "as_of"], column_config={
        "name": st.column_config.TextColumn(_("Package"), pinned=True),
        "type": _("Instrument"),
        "in_force": st.column_config.CheckboxColumn(_("In force on the regime date")),
        "valid_from": st.column_config.DateColumn(_("Valid from"), format=grid_date_format()),
        "valid_to": st.column_config.DateColumn(_("Valid to"), format=grid_date_format()),
        "rules": _("Eligibility rules"),
        "benefits": _("What it gives"),
        "value_pct": st.column_config.NumberColumn(_("Value, % of investment"), **grid_number_format(1),
                                                   help=_("Present value for an eligible company, at the stated "
                                                          "point of any uncertain range.")),
        "value_low": st.column_config.NumberColumn(_("Low, %"), **grid_number_format(1),
                                                   help=_("Uncertain benefits counted as nothing.")),
        "value_high": st.column_config.NumberColumn(_("High, %"), **grid_number_format(1),
                                                    help=_("Uncertain benefits counted in full.")),
        "uncertain_terms": _("Uncertain benefits"),
        "uncertainty_note": _("Uncertainty"),
        "other_benefits": _("Details"),
        "legal_basis": _("Legal basis"),
        "source": _("Sources"),
        "as_of": st.column_config.DateColumn(_("As of"), format=grid_date_format())})
    st.caption(_("Every figure is a fact from the sources listed, as of the date shown. Values are estimates "
                 "under the assumptions above, not offers: the final terms are negotiated with the Government."))
    st.subheader(_("Where each rule comes from"))
    rule_sources = ui.get_rule_sources()
    cited = st.selectbox(_("Package"), [p.package_id for p in packages], key="inc_cited",
                         format_func=lambda pid: translate(next(p.name for p in packages if p.package_id == pid)))
    fields = inc.rule_sources_frame(rule_sources, cited)
    if fields.empty:
        st.info(_("No citation per rule is stored for this package yet."))
    else:
        st.dataframe(fields, hide_index=True, column_config={
            "field": _("Rule or benefit"), "status": _("Status"), "value": _("Value"),
            "source": st.column_config.LinkColumn(_("Source")), "source_date": _("Source date"),
            "note": _("What the source says (English)")})
    with st.expander(_("How the value is estimated")):
        st.markdown(_(
            "Value, as % of the investment, in present value over the horizon: corporate income tax rate × annual "
            "profit × discounted exemption years, plus property and land tax rates × discounted exemption years "
            "(the whole investment taken as the tax base), plus imported equipment × (customs duty + import VAT) "
            "and the in-kind grant × the share obtained, both up front (duty and import VAT each only where the "
            "package exempts it). Stability clauses and unquantified benefits add nothing. An uncertain benefit "
            "counts for nothing at the low end of the range and in full at the high end. The incentive fit "
            "criterion takes the best eligible value in US dollars (value × the company's investment) on a log "
            "scale, 1 for the largest."))
