"""The eligibility engine: every rule type, its boundaries, the value estimate, the seed rows, the store path."""

from __future__ import annotations

import csv
import math
from datetime import date

import pandas as pd
import pytest

from lib import incentives as inc
from lib.i18n import _, set_language
from lib.incentives import Assumptions, check_package, estimate_value
from lib.models import IncentivePackage
from lib.radar import load_universe
from lib.store import SEED_DIR

MCI = {2022: 3063, 2023: 3450, 2024: 3692, 2026: 4325}
IND = {"sector_code": "IND", "activity_type": "manufacturing"}


def package(**rules) -> IncentivePackage:
    """A package with no rules but the ones given (and an open-ended period from 2016)."""
    base = {"package_id": "p", "name": "Test package", "instrument_type": "preference", "legal_basis": "test",
            "valid_from": date(2016, 1, 1), "source": "https://example.org", "as_of": date(2025, 1, 1)}
    return IncentivePackage(**(base | rules))


def check(rule_package: IncentivePackage, sector=IND, **assumed):
    (result,) = inc.evaluate(sector, [rule_package], Assumptions(**assumed), MCI)
    return result


def rule(result: inc.Eligibility, name: str) -> inc.RuleCheck:
    (found,) = [c for c in result.checks if c.rule == name]
    return found


# -- validity period ------------------------------------------------------------------------------

@pytest.mark.parametrize(("valid_to", "when", "passed"), [
    (date(2025, 12, 31), date(2025, 12, 31), True),   # last day still in force
    (date(2025, 12, 31), date(2026, 1, 1), False),    # the 2026 regime change
    (None, date(2026, 1, 1), True),                   # open-ended
    (None, date(2015, 12, 31), False),                # before valid_from
    (None, date(2016, 1, 1), True),                   # first day
])
def test_validity_period_against_the_regime_date(valid_to, when, passed):
    result = check(package(valid_to=valid_to), regime_date=when)
    assert rule(result, "period").passed is passed
    assert result.eligible is passed


def test_the_two_regimes_offer_different_instruments(store):
    packages = inc.parse_packages(store.incentive_packages())
    old = {p.package_id for p in inc.in_force(packages, inc.REGIMES["2016-2025"])}
    new = {p.package_id for p in inc.in_force(packages, inc.REGIMES["2026"])}
    assert "priority_project_new" in old and "priority_project_new" not in new
    assert "simplified_investment_contract" in new and "simplified_investment_contract" not in old
    assert "investment_agreement" in old & new


# -- sector and activity --------------------------------------------------------------------------

@pytest.mark.parametrize(("rules", "sector", "passed"), [
    ({"sector_codes": ["IND", "MAT"]}, IND, True),
    ({"sector_codes": ["MAT"]}, IND, False),
    ({}, IND, True),                                                   # open to every sector
    ({"excluded_sector_codes": ["IND"]}, IND, False),                  # negative list
    ({"sector_codes": ["IND"], "excluded_sector_codes": ["IND"]}, IND, False),  # exclusion wins
    ({"sector_codes": ["IND"]}, {"sector_code": "XYZ", "activity_type": None}, False),  # code not in the list
    ({}, {"sector_code": "XYZ", "activity_type": None}, True),
    ({"sector_codes": ["IND"]}, None, None),                           # the company's sector is unknown
    ({}, None, None),
])
def test_sector_rule(rules, sector, passed):
    result = check(package(**rules), sector=sector)
    assert rule(result, "sector").passed is passed
    assert result.outcome == {True: "eligible", False: "not_eligible", None: "unknown"}[passed]


def test_sector_reasons_and_rules_name_sectors_in_the_current_language(store):
    names = inc.sector_name_map(store.sectors())
    pkg = package(sector_codes=["MAT", "HLT"], excluded_sector_codes=["ENE"])
    try:
        for code in ("en", "ru"):
            set_language(code)
            (result,) = inc.evaluate(IND, [pkg], Assumptions(), MCI, names)
            reason, rules = rule(result, "sector").reason, inc.rules_text(pkg, names)
            assert rule(result, "sector").passed is False
            assert _(names["IND"]) in reason and _(names["MAT"]) in reason and _(names["HLT"]) in reason
            assert _(names["ENE"]) in rules and _(names["MAT"]) in rules
            assert not {"IND", "MAT", "HLT"} & set(reason.replace(";", " ").replace(".", " ").split())
        assert _(names["IND"]) != names["IND"]  # Russian: the name is translated, not left in English
    finally:
        set_language("en")
    # Without names (or for a code with no name) the code is shown rather than nothing.
    assert "XYZ" in rule(check(pkg, sector={"sector_code": "XYZ", "activity_type": None}), "sector").reason


@pytest.mark.parametrize(("activity", "passed"), [("manufacturing", True), ("services", False), (None, None)])
def test_activity_rule(activity, passed):
    result = check(package(activity_types=["manufacturing", "it"]),
                   sector={"sector_code": "IND", "activity_type": activity})
    assert rule(result, "activity").passed is passed


def test_rules_a_package_does_not_set_are_not_checked():
    result = check(package())
    assert [c.rule for c in result.checks] == ["period", "sector"]
    assert result.eligible


# -- location -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("location", "passed"), [("Pavlodar", True), ("Almaty", False), (inc.ANY_LOCATION, True)])
def test_location_rule(location, passed):
    result = check(package(locations=["Pavlodar", "Taraz"]), location=location)
    assert rule(result, "location").passed is passed
    assert "Pavlodar" in rule(result, "location").reason


# -- minimum investment in MCI --------------------------------------------------------------------

@pytest.mark.parametrize(("minimum", "kzt_per_usd", "year"), [
    (2_000_000, 500.0, 2026), (7_500_000, 471.9, 2023),
    (1_000_000, 451.4, 2024), (1_000_000, 454.2, 2024),  # a naive float comparison puts these just below
])
def test_investment_exactly_at_the_threshold_passes(minimum, kzt_per_usd, year):
    threshold_usd_m = minimum * MCI[year] / kzt_per_usd / 1e6  # not exactly representable in floating point
    at = check(package(min_investment_mci=minimum), investment_usd_m=threshold_usd_m, kzt_per_usd=kzt_per_usd,
               regime_date=date(year, 6, 1))
    below = check(package(min_investment_mci=minimum), investment_usd_m=threshold_usd_m - 1e-6,
                  kzt_per_usd=kzt_per_usd, regime_date=date(year, 6, 1))
    assert rule(at, "investment").passed is True
    assert rule(below, "investment").passed is False


def test_investment_threshold_uses_the_regime_year_mci():
    # 2,000,000 MCI is KZT 6.126 bn in 2022 but KZT 8.65 bn in 2026: USD 15 m at 500 = KZT 7.5 bn.
    pkg = package(min_investment_mci=2_000_000)
    assert check(pkg, investment_usd_m=15, kzt_per_usd=500, regime_date=date(2022, 3, 1)).eligible
    assert not check(pkg, investment_usd_m=15, kzt_per_usd=500, regime_date=date(2026, 3, 1)).eligible
    assert "4,325" in rule(check(pkg, investment_usd_m=15, regime_date=date(2026, 3, 1)), "investment").reason


def test_missing_investment_size_makes_the_outcome_unknown():
    result = check(package(min_investment_mci=2_000_000), investment_usd_m=None)
    assert rule(result, "investment").passed is None
    assert result.outcome == "unknown" and not result.eligible
    assert check(package(), investment_usd_m=None).eligible  # no threshold, no question


def test_a_failed_rule_outweighs_an_unknown_one():
    result = check(package(min_investment_mci=1, sector_codes=["MAT"]), investment_usd_m=None)
    assert result.outcome == "not_eligible"


def test_mci_for_takes_the_latest_known_year():
    assert inc.mci_for(2025, MCI) == 3692
    assert inc.mci_for(2030, MCI) == 4325
    with pytest.raises(ValueError):
        inc.mci_for(2019, MCI)
    early = check(package(min_investment_mci=1), regime_date=date(2019, 6, 1))
    assert rule(early, "investment").passed is None and "2019" in rule(early, "investment").reason


# -- new entity -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("new_entity", "passed"), [(True, True), (False, False)])
def test_new_entity_rule(new_entity, passed):
    result = check(package(requires_new_entity=True), new_entity=new_entity)
    assert rule(result, "entity").passed is passed


# -- value estimate -------------------------------------------------------------------------------

def test_value_without_discounting_is_rate_times_base_times_years():
    a = Assumptions(discount_rate_pct=0, horizon_years=10, cit_rate_pct=20, profit_pct_of_investment=15,
                    property_tax_rate_pct=1.5, land_tax_rate_pct=0.1)
    value, parts = estimate_value(package(cit_exemption_years=10, property_tax_years=8, land_tax_years=10), a)
    assert parts == pytest.approx({"cit": 0.2 * 15 * 10, "property_tax": 1.5 * 8, "land_tax": 0.1 * 10})
    assert value == pytest.approx(sum(parts.values()))


def test_discounting_and_the_horizon_cap():
    a = Assumptions(discount_rate_pct=10, horizon_years=5, cit_rate_pct=20, profit_pct_of_investment=10)
    _value, parts = estimate_value(package(cit_exemption_years=10), a)
    expected = 0.2 * 10 * sum(1.1 ** -t for t in range(1, 6))  # only 5 years count
    assert parts["cit"] == pytest.approx(expected)


def test_import_vat_follows_the_regime():
    pkg = package(customs_duty_exemption=True, import_vat_exemption=True)
    kw = {"equipment_share_pct": 50, "customs_duty_pct": 5}
    old = estimate_value(pkg, Assumptions(regime_date=date(2023, 1, 1), **kw))[0]
    new = estimate_value(pkg, Assumptions(regime_date=date(2026, 1, 1), **kw))[0]
    assert old == pytest.approx(0.5 * (5 + 12)) and new == pytest.approx(0.5 * (5 + 16))


def test_grant_counts_the_share_taken_up():
    assert estimate_value(package(in_kind_grant_pct=30), Assumptions(grant_take_up_pct=50))[0] == pytest.approx(15)


def test_a_package_with_nothing_quantified_has_no_value():
    value, parts = estimate_value(package(stability_years=10), Assumptions())
    assert value is None and parts == {}
    assert "not estimated" in inc.value_text(check(package(stability_years=10)))


# -- the best package per sector (feeds incentive fit) --------------------------------------------

def test_sector_offers_keep_the_eligible_valued_packages_with_their_minimum():
    sectors = pd.DataFrame([IND, {"sector_code": "ENE", "activity_type": "extractive"}])
    packages = [package(package_id="small", cit_exemption_years=2, sector_codes=["IND"]),
                package(package_id="big", cit_exemption_years=8, sector_codes=["IND"], min_investment_mci=1000),
                package(package_id="closed", cit_exemption_years=10, valid_to=date(2020, 1, 1)),
                package(package_id="stability_only", stability_years=10)]
    a = Assumptions(discount_rate_pct=0, regime_date=date(2024, 6, 1))
    offers = inc.sector_offers(sectors, packages, a, MCI)
    assert {o.package_id: o.minimum_kzt for o in offers["IND"]} == {"small": None, "big": 1000 * MCI[2024]}
    assert offers["ENE"] == []  # closed, or nothing valued


def test_incentive_value_is_the_best_package_open_at_the_companys_investment():
    """The minimum investment decides per company; the value is a share of that company's investment."""
    sectors = pd.DataFrame([IND])
    packages = [package(package_id="small", cit_exemption_years=2, sector_codes=["IND"]),
                package(package_id="big", cit_exemption_years=8, sector_codes=["IND"], min_investment_mci=1_000_000)]
    a = Assumptions(discount_rate_pct=0, regime_date=date(2024, 6, 1), kzt_per_usd=500)
    offers = inc.sector_offers(sectors, packages, a, MCI)
    threshold_usd_m = 1_000_000 * MCI[2024] / 500 / 1e6  # 7,384 USD m
    companies = pd.DataFrame({"company_id": [1, 2, 3, 4, 5], "sector_code": ["IND", "IND", "IND", None, "ENE"],
                              "russia_revenue_usd_m": [None] * 5})
    sizes = {1: threshold_usd_m, 2: threshold_usd_m - 1, 4: 10.0, 5: 10.0}
    frame = inc.incentive_frame(companies, offers, a.model_copy(update={"company_investment_usd_m": sizes}))
    big, small = (estimate_value(p, a)[0] for p in reversed(packages))
    assert frame.loc[0, "best_package"] == "big"
    assert frame.loc[0, "incentive_value_usd_m"] == pytest.approx(big / 100 * threshold_usd_m)
    assert frame.loc[1, "best_package"] == "small"  # one dollar below the minimum
    assert frame.loc[1, "incentive_value_usd_m"] == pytest.approx(small / 100 * (threshold_usd_m - 1))
    assert math.isnan(frame.loc[2, "incentive_value_usd_m"])  # eligible, size unknown: cannot tell
    assert math.isnan(frame.loc[3, "incentive_value_usd_m"])  # sector unknown
    assert frame.loc[4, "incentive_value_usd_m"] == 0.0  # no valued package for its sector
    assert [b if isinstance(b, str) else None for b in frame["investment_basis"]] == [
        "set_by_user", "set_by_user", None, "set_by_user", "set_by_user"]


def test_a_company_figure_beats_the_figure_for_all_which_beats_the_estimate():
    a = Assumptions(investment_usd_m=50.0, company_investment_usd_m={7: 300.0})
    assert a.for_company(7, 20.0).investment_usd_m == 300.0
    assert a.for_company(8, 20.0).investment_usd_m == 50.0
    assert Assumptions().for_company(8, 20.0).investment_usd_m == 20.0
    assert Assumptions().for_company(8, math.nan).investment_usd_m is None


def test_real_packages_offer_nothing_to_extractive_companies(store):
    offers = inc.sector_offers(store.sectors(), store.incentive_packages(), Assumptions(), store.mci_table())
    assert offers["ENE"] == [] and offers["NGO"] == []
    assert offers["IND"] and offers["ITC"]


def test_eligibility_matrix_marks_unknown_sectors_and_keeps_company_order():
    companies = pd.DataFrame({"company_id": [2, 1], "name": ["B", "A"], "sector_code": ["IND", None],
                              "activity_type": ["manufacturing", None]})
    packages = [package(package_id="ind", sector_codes=["IND"], cit_exemption_years=5),
                package(package_id="mat", sector_codes=["MAT"], cit_exemption_years=5)]
    matrix = inc.eligibility_matrix(companies, packages, Assumptions(), MCI)
    assert list(matrix["name"]) == ["B", "A"]
    assert list(matrix["ind"]) == ["eligible", "unknown"]
    assert list(matrix["mat"]) == ["not_eligible", "unknown"]
    assert list(matrix["eligible_count"]) == [1, 0]
    assert matrix["best_value_pct"].iloc[0] > 0 and math.isnan(matrix["best_value_pct"].iloc[1])


def test_company_offer_shows_only_packages_in_force(store):
    packages = inc.parse_packages(store.incentive_packages())
    company = {"sector_code": "STP", "activity_type": "manufacturing"}
    a = Assumptions(regime_date=date(2023, 1, 1), investment_usd_m=50.0)
    offer, hidden = inc.offer_for_company(company, packages, a, MCI)
    assert hidden == len(packages) - len(offer) > 0
    assert "priority_project_food_light" in {e.package_id for e in offer if e.eligible}
    reasons = inc.not_eligible_frame(offer)
    assert reasons["why_not"].str.len().min() > 0


# -- assumptions from the URL or widgets ----------------------------------------------------------

def test_assumptions_from_url_strings():
    a, notes = inc.assumptions_from_params({"inc_invest": "120.5", "inc_regime": "2016-2025", "inc_existing": "true",
                                            "inc_site": "Pavlodar", "inc_years": "7"}, ["Pavlodar"])
    assert notes == []
    assert (a.investment_usd_m, a.regime_date, a.new_entity, a.location, a.horizon_years) == (
        120.5, inc.REGIMES["2016-2025"], False, "Pavlodar", 7)
    assert inc.regime_of(a) == "2016-2025"


@pytest.mark.parametrize("written", ["Pavlodar", "Павлодар", " ПАВЛОДАР ", "pavlodar"])
def test_a_link_names_the_city_in_any_language(written):
    a, notes = inc.assumptions_from_params({"inc_site": written}, ["Pavlodar", "Karaganda"])
    assert (a.location, notes) == ("Pavlodar", [])


def test_rule_reasons_name_cities_in_the_language(store):
    set_language("kk")
    try:
        package = next(p for p in inc.parse_packages(store.incentive_packages()) if p.locations == ["Karaganda"])
        check = inc._check_location(package, "Pavlodar")
        assert not check.passed and "Павлодар" in check.reason and "Қарағанды" in check.reason
    finally:
        set_language("en")


@pytest.mark.parametrize(("key", "value"), [
    ("inc_invest", "-5"), ("inc_invest", "lots"), ("inc_regime", "1999"), ("inc_existing", "maybe"),
    ("inc_site", "Mars"), ("inc_years", "1000"), ("inc_fx", "0"),
])
def test_bad_assumption_falls_back_to_default_with_a_note(key, value):
    a, notes = inc.assumptions_from_params({key: value, "inc_discount": "3"}, ["Pavlodar"])
    assert len(notes) == 1 and key in notes[0]
    assert a == Assumptions(discount_rate_pct=3)  # the good value is kept


# -- the seed and the store -----------------------------------------------------------------------

def seed_rows() -> list[dict[str, str]]:
    with (SEED_DIR / "incentive_packages.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_seed_package_is_valid_and_sourced():
    sectors = {r["sector_code"] for r in csv.DictReader((SEED_DIR / "sectors.csv").open(encoding="utf-8"))}
    rows = seed_rows()
    assert len({r["package_id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["source"].startswith("http"), row["package_id"]
        date.fromisoformat(row["as_of"])
        if row["uncertain"] == "true":
            assert row["uncertainty_note"].strip(), row["package_id"]
        codes = {c for col in ("sector_codes", "excluded_sector_codes") for c in row[col].split(";") if c}
        assert codes <= sectors, row["package_id"]


def test_store_packages_parse_with_their_sources(store):
    packages = inc.parse_packages(store.incentive_packages())
    assert len(packages) == len(seed_rows())
    frame = inc.packages_frame(packages, Assumptions())
    assert frame["source"].str.len().min() > 0 and frame["as_of"].notna().all()
    sez = next(p for p in packages if p.package_id == "sez_pavlodar")
    assert sez.locations == ["Pavlodar"] and sez.sector_codes == ["MAT"]


def test_editing_a_rule_changes_incentive_fit(store):
    def utl_fit() -> float:  # every company the same size, below the investment agreement's minimum
        universe = load_universe(store, Assumptions(investment_usd_m=10.0))
        return float(universe.values.loc[universe.companies["sector_code"] == "UTL", "incentive_fit"].iloc[0])

    assert utl_fit() == 0.0
    with store.transaction() as cur:
        cur.execute("UPDATE incentive_packages SET sector_codes = list_append(sector_codes, 'UTL') "
                    "WHERE package_id = ?", ["sez_pavlodar"])
        store.audit(cur, actor="test", action="update", table="incentive_packages", record_key="sez_pavlodar",
                    after={"sector_codes": "+UTL"})
    assert utl_fit() == pytest.approx(1.0)


def test_check_package_accepts_a_raw_store_row(store):
    row = store.incentive_packages().set_index("package_id", drop=False).loc["sez_pavlodar"].to_dict()
    result = check_package({"sector_code": "MAT", "activity_type": "manufacturing"}, row,
                           Assumptions(location="Taraz"), 4325)
    assert rule(result, "location").passed is False and result.outcome == "not_eligible"


def test_url_params_round_trip_and_leave_defaults_out():
    a = Assumptions(investment_usd_m=80, regime_date=inc.REGIMES["2016-2025"], location="Taraz", new_entity=False,
                    horizon_years=7, discount_rate_pct=2.5)
    params = inc.url_params(a)
    assert params["inc_invest"] == "80" and params["inc_existing"] == "true" and params["inc_discount"] == "2.5"
    assert params["inc_fx"] is None  # default: not in the link
    back, notes = inc.assumptions_from_params({k: v for k, v in params.items() if v is not None}, ["Taraz"])
    assert back == a and notes == []
    assert inc.assumptions_from_params(inc.widget_values(a), ["Taraz"])[0] == a
    assert set(inc.url_params(Assumptions()).values()) == {None}


def test_excisable_goods_makers_are_not_eligible_for_the_investment_agreement(store):
    """Tobacco and alcohol are on the investment agreement's negative list (and outside the preferences)."""
    from lib.incentives import Assumptions, eligibility_for_sector

    for name in ("Japan Tobacco", "Carlsberg", "Philip Morris"):
        company = store.fetch_one("SELECT sector_code FROM companies WHERE name = ?", [name])
        assert company[0] == "EXC", name
    sector = {"sector_code": "EXC", "activity_type": "manufacturing"}
    results = {e.package_id: e for e in eligibility_for_sector(
        sector, store.incentive_packages(), Assumptions(investment_usd_m=500.0), store.mci_table())}
    assert results["investment_agreement"].outcome == "not_eligible"
    assert not any(e.eligible for e in results.values() if e.package_id.startswith(("investment_project", "sez_")))
    # A food maker of the same size still qualifies: the exclusion is about excisable goods, not food.
    food = {e.package_id: e for e in eligibility_for_sector(
        {"sector_code": "STP", "activity_type": "manufacturing"}, store.incentive_packages(),
        Assumptions(investment_usd_m=500.0), store.mci_table())}
    assert food["investment_agreement"].outcome == "eligible"


def test_astana_hub_grants_no_customs_exemption(store):
    hub = store.incentive_packages().set_index("package_id").loc["astana_hub"]
    assert not hub["customs_duty_exemption"] and not hub["import_vat_exemption"]
    assert "no customs-duty exemption" in hub["other_benefits"]


def test_a_package_whose_sector_list_is_an_assumption_counts_only_when_included(store):
    """Alatau's and Khorgos' sector lists are read from their descriptions, not the sources."""
    from lib.incentives import Assumptions, eligibility_for_sector

    sector = {"sector_code": "FIN", "activity_type": "finance"}  # finance qualified only through Alatau's list
    packages = store.incentive_packages()
    alatau = packages.set_index("package_id").loc["sez_alatau"]
    assert list(alatau["assumed_rules"]) == ["sector"]
    off = {e.package_id: e for e in eligibility_for_sector(sector, packages, Assumptions(location="Alatau"),
                                                           store.mci_table())}
    assert off["sez_alatau"].outcome == "unknown" and not off["sez_alatau"].eligible
    assert "assumption" in next(c.reason for c in off["sez_alatau"].checks if c.rule == "sector")
    on = {e.package_id: e for e in eligibility_for_sector(
        sector, packages, Assumptions(location="Alatau", include_assumed_rules=True), store.mci_table())}
    assert on["sez_alatau"].eligible


def test_the_food_and_light_industry_project_does_not_cover_cars(store):
    from datetime import date

    from lib.incentives import Assumptions, eligibility_for_sector

    cars = {e.package_id: e for e in eligibility_for_sector(
        {"sector_code": "CDS", "activity_type": "manufacturing"}, store.incentive_packages(),
        Assumptions(regime_date=date(2023, 1, 1), investment_usd_m=5000.0), store.mci_table())}
    assert cars["priority_project_food_light"].outcome == "not_eligible"


# -- issue 13: rules checked against the sources, value ranges, the estimate per company -------------------

def test_priority_projects_exempt_customs_duty_but_not_import_vat(store):
    packages = store.incentive_packages().set_index("package_id")
    for pid in ("priority_project_new", "priority_project_expansion", "priority_project_food_light"):
        assert packages.loc[pid, "customs_duty_exemption"] and not packages.loc[pid, "import_vat_exemption"], pid
    row = packages.loc["priority_project_new"].to_dict() | {"package_id": "priority_project_new"}
    pkg = inc.parse_packages([row])[0]
    _value, parts = estimate_value(pkg, Assumptions(regime_date=date(2023, 1, 1)))
    assert "import_duty" in parts and "import_vat" not in parts
    assert "not import VAT" in inc.benefits_text(pkg)


def test_sez_terms_are_a_range_under_the_2026_regime_and_certain_before():
    sez = package(instrument_type="sez", cit_exemption_years=10, customs_duty_exemption=True,
                  import_vat_exemption=True, uncertain_terms=["cit", "import_duty", "import_vat"],
                  uncertain_from=date(2026, 1, 1))
    low, point, high, _parts = inc.value_range(sez, Assumptions(regime_date=date(2026, 1, 1)))
    assert low == 0.0 and point == pytest.approx(high / 2) and high > 0
    assert inc.value_range(sez, Assumptions(regime_date=date(2026, 1, 1), uncertain_point="high"))[1] == high
    assert inc.value_range(sez, Assumptions(regime_date=date(2026, 1, 1), uncertain_point="low"))[1] == 0.0
    old_low, old_point, old_high, _ = inc.value_range(sez, Assumptions(regime_date=date(2023, 1, 1)))
    assert old_low == old_point == old_high > 0
    text = inc.value_range_text(check(sez, regime_date=date(2026, 1, 1)))
    assert "Corporate income tax" in text and "Import VAT" in text


def test_every_sez_of_the_seed_is_uncertain_in_2026_and_cites_its_sectors(store):
    packages = inc.parse_packages(store.incentive_packages())
    sources = store.incentive_rule_sources()
    zones = [p for p in packages if p.instrument_type == "sez"]
    assert len(zones) >= 14
    for zone in zones:
        assert set(inc.uncertain_parts(zone, date(2026, 1, 1))) >= {"cit", "property_tax", "land_tax"}, zone.package_id
        assert inc.uncertain_parts(zone, date(2023, 1, 1)) == (), zone.package_id
        cited = sources[(sources["package_id"] == zone.package_id) & (sources["field"] == "sector")]
        assert len(cited) == 1 and cited["source"].iloc[0].startswith("http"), zone.package_id


def test_the_rules_marked_as_assumptions_are_exactly_the_cited_assumptions(store):
    """A rule field whose citation says 'assumption' decides nothing by default, and no other rule is held back."""
    sources = store.incentive_rule_sources()
    rules = set(inc.RULE_LABELS) - {"period"}
    for p in inc.parse_packages(store.incentive_packages()):
        cited = sources[(sources["package_id"] == p.package_id) & sources["field"].isin(rules)]
        assumed = set(cited.loc[cited["status"] == "assumption", "field"])
        assert assumed == set(p.assumed_rules), p.package_id
        assert "sector" in set(cited["field"]), p.package_id  # every package says where its sector rule comes from


def test_per_company_investments_travel_in_the_url_and_bad_text_is_named():
    a = Assumptions(company_investment_usd_m={12: 80.0, 3: 15.5})
    params = inc.url_params(a)
    assert params["inc_company"] == "3:15.5;12:80"
    back, notes = inc.assumptions_from_params({"inc_company": params["inc_company"]})
    assert back.company_investment_usd_m == {3: 15.5, 12: 80.0} and notes == []
    bad, notes = inc.assumptions_from_params({"inc_company": "12:lots"})
    assert bad.company_investment_usd_m == {} and "inc_company" in notes[0]
    assert inc.url_params(Assumptions())["inc_company"] is None


def test_incentive_fit_separates_companies_under_the_defaults(universe):
    """Issue 13: at least 20 distinct values among candidates, and the weight matters for the top 30."""
    from lib.scoring import ScoringSettings, rank_companies

    candidates = universe.companies["is_candidate"] & universe.companies["group_parent_id"].isna()
    fit = universe.values.loc[candidates, "incentive_fit"].dropna()
    assert fit.round(6).nunique() >= 20
    settings = ScoringSettings()
    top = set(rank_companies(universe.companies, universe.values, settings).table["company_id"].head(30))
    without = settings.model_copy(update={"weights": settings.weights | {"incentive_fit": 0.0}})
    assert top != set(rank_companies(universe.companies, universe.values, without).table["company_id"].head(30))
