"""Reading a link's query parameters into a view, and writing a view back as a link."""

from typing import Literal, get_args, get_origin
from urllib.parse import parse_qs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.criteria import CRITERIA, CRITERION_IDS, DEFAULT_WEIGHTS, MISSING_POLICIES
from lib.i18n import LANGUAGES, _, fmt_country, set_language
from lib.models import METHODS, STATUSES
from lib.viewstate import (
    PAGE_PARAMS,
    PASSED_KEYS,
    VIEW_KEYS,
    LinkNote,
    QualityParams,
    ViewState,
    Vocabulary,
    describe,
    page_params,
    page_values,
    parse_query,
    to_query,
    widget_values,
)

VOCAB = Vocabulary(sectors={"ITC": "IT and services", "AUT": "Automotive parts"},
                   countries=("Germany", "United States", "Japan"),
                   companies={7: "Siemens", 8: "Bosch"})


@pytest.fixture(autouse=True)
def english():
    set_language("en")
    yield
    set_language("en")


def parse(params: dict):
    return parse_query({k: v if isinstance(v, list) else [v] for k, v in params.items()}, VOCAB)


def test_no_parameters_is_the_default_view_without_notes():
    parsed = parse({})
    assert parsed.view == ViewState() and parsed.notes == [] and parsed.present == set()


@pytest.mark.parametrize(
    ("params", "problem", "param"),
    [
        ({"w_exit_firmness": "abc"}, "not_a_number", "w_exit_firmness"),
        ({"w_exit_firmness": "nan"}, "not_a_number", "w_exit_firmness"),
        ({"w_exit_firmness": "inf"}, "not_a_number", "w_exit_firmness"),
        ({"w_exit_firmness": "0x10"}, "not_a_number", "w_exit_firmness"),
        ({"w_company_scale": "150"}, "out_of_range", "w_company_scale"),
        ({"w_company_scale": "-5"}, "out_of_range", "w_company_scale"),
        ({"w_company_scale": ["10", "20"]}, "repeated", "w_company_scale"),
        ({"method": "electre"}, "unknown_choice", "method"),
        ({"method": "<script>alert(1)</script>"}, "unknown_choice", "method"),
        ({"m_incentive_fit": "sometimes"}, "unknown_choice", "m_incentive_fit"),
        ({"min_rev": "1e12"}, "out_of_range", "min_rev"),
        ({"min_rev": "lots"}, "not_a_number", "min_rev"),
        ({"no_high_risk": "maybe"}, "not_yes_no", "no_high_risk"),
        ({"new_only": "1"}, "not_yes_no", "new_only"),
        ({"sector": "Nonsense"}, "unknown_choice", "sector"),
        ({"status": ["Withdrawal"] * 6}, "too_many", "status"),
        ({"company": "No Such Company"}, "unknown_choice", "company"),
        ({"lang": "xx"}, "unknown_choice", "lang"),
        ({"method": "w" * 10_000}, "too_long", "method"),
        ({"country": "x" * 10_000}, "too_long", "country"),
    ],
)
def test_bad_values_fall_back_to_the_default_with_a_note(params, problem, param):
    parsed = parse(params)
    assert parsed.view == ViewState()
    assert parsed.notes == [LinkNote(param=param, problem=problem)]
    assert param not in parsed.present


def test_a_bad_value_does_not_spoil_the_good_ones():
    parsed = parse({"w_exit_firmness": "abc", "w_company_scale": "60", "method": "TOPSIS"})
    assert parsed.view.weights["company_scale"] == 60
    assert parsed.view.weights["exit_firmness"] == DEFAULT_WEIGHTS["exit_firmness"]
    assert parsed.view.method == "topsis"
    assert [n.param for n in parsed.notes] == ["w_exit_firmness"]


def test_numbers_are_read_as_the_slider_reads_them():
    parsed = parse({"w_exit_firmness": " 37.5 ", "w_company_scale": "1e1", "min_rev": "1500.7"})
    assert parsed.view.weights["exit_firmness"] == 37
    assert parsed.view.weights["company_scale"] == 10
    assert parsed.view.min_revenue_usd_m == 1500
    assert not parsed.notes


def test_lists_keep_known_values_and_note_the_rest():
    parsed = parse({"sector": ["ITC", "Mining on Mars"], "country": ["Germany", "Atlantis", "Germany"]})
    assert parsed.view.sectors == ["ITC"]
    assert parsed.view.countries == ["Germany"]  # duplicates collapse
    assert {(n.param, n.problem) for n in parsed.notes} == {("sector", "some_unknown_choices"),
                                                            ("country", "some_unknown_choices")}


@pytest.mark.parametrize(("given", "expected"), [
    ({"method": "topsis"}, "topsis"), ({"method": "TOPSIS"}, "topsis"), ({"method": "Weighted sum"}, "wsm"),
])
def test_method_by_id_or_label(given, expected):
    assert parse(given).view.method == expected


def test_labels_in_another_language_are_accepted():
    """Links written before ids (by widgets bound to the URL) carried the shown labels: they still work."""
    set_language("ru")
    russian = {"status": [_("Withdrawal")], "method": [_("TOPSIS")], "m_incentive_fit": [_("Worst case (0)")],
               "sector": [_("Automotive parts")], "country": [fmt_country("Germany")], "lang": ["ru"]}
    set_language("en")
    assert russian["status"] != ["Withdrawal"] and russian["country"] != ["Germany"]
    parsed = parse_query(russian, VOCAB)
    assert not parsed.notes
    assert parsed.view.statuses == ["Withdrawal"] and parsed.view.sectors == ["AUT"]
    assert parsed.view.countries == ["Germany"] and parsed.view.missing["incentive_fit"] == "worst"
    assert parsed.view.lang == "ru"


def test_unknown_parameters_are_named_safely_and_capped():
    parsed = parse({"<script>x</script>": "1", "utm_source": "mail", **{f"junk{i}": "1" for i in range(10)}})
    names = [n.param for n in parsed.notes if n.problem == "unknown_parameter"]
    assert "scriptxscript" in names and "utm_source" in names
    assert all("<" not in n and len(n) <= 31 for n in names)
    assert len(names) == 5
    more = [n for n in parsed.notes if n.problem == "more_unknown"]
    assert more and more[0].count == 7
    assert parsed.view == ViewState()


def test_streamlit_and_incentive_parameters_are_not_unknown():
    assert parse({"embed": "true", "inc_invest": "50"}).notes == []


def test_round_trip_reproduces_the_view():
    view = ViewState(method="topsis", weights={**DEFAULT_WEIGHTS, "exit_firmness": 55, "company_scale": 0},
                     missing={"regional_presence": "neutral"}, sectors=["ITC", "AUT"],
                     countries=["United States"], statuses=["Withdrawal", "Suspension"], min_revenue_usd_m=2000,
                     exclude_high_risk=True, new_entrants_only=True, company=8)
    parsed = parse_query(parse_qs(to_query(view, vocab=VOCAB)), VOCAB)
    assert parsed.notes == []
    assert parsed.view == view
    assert parsed.present == set(VIEW_KEYS) - {f"w_{c.id}" for c in CRITERIA
                                               if c.id not in ("exit_firmness", "company_scale")} \
        - {f"m_{c.id}" for c in CRITERIA if c.id != "regional_presence"}


def test_default_view_writes_only_the_language_and_the_order():
    assert to_query(ViewState()) == "lang=en&order=expected"


def test_a_link_made_before_the_order_existed_opens_ordered_by_value():
    assert parse({"w_company_scale": "40", "lang": "en"}).view.order == "value"
    assert parse({"lang": "en"}).view.order == "expected"
    assert parse({"w_company_scale": "40", "order": "likelihood"}).view.order == "likelihood"
    assert parse({"order": "Value to Kazakhstan"}).view.order == "value"  # the shown label works too
    assert ("order", "unknown_choice") in {(n.param, n.problem) for n in parse({"order": "bogus"}).notes}


def test_a_scenario_saved_at_version_2_opens_ordered_by_value():
    saved = {k: v for k, v in ViewState().model_dump().items() if k != "order"}  # as version 2 wrote it
    view = ViewState.model_validate({**saved, "version": 2})
    assert view.version == 3 and view.order == "value"
    assert ViewState().order == "expected"


def test_widget_values_cover_every_view_key():
    assert set(widget_values(ViewState())) == set(VIEW_KEYS)


def test_all_zero_weights_score_with_the_defaults():
    view = parse({f"w_{c.id}": "0" for c in CRITERIA}).view
    assert sum(view.weights.values()) == 0
    assert view.settings().weights == DEFAULT_WEIGHTS


def test_every_note_reads_as_a_sentence_without_the_raw_value():
    hostile = "<script>alert(1)</script>"
    parsed = parse({"method": hostile, "w_exit_firmness": "150", "sector": [hostile, "ITC"], "zzz": hostile})
    texts = [describe(n) for n in parsed.notes]
    assert len(texts) == 4
    assert all(hostile not in t and "alert" not in t for t in texts)
    assert any("Exit firmness" in t and "20" in t for t in texts)


def test_decision_quality_parameters_are_known_so_a_link_carrying_them_raises_no_note():
    parsed = parse({"rob_k": "20", "rob_unc": "high", "w_exit_firmness": "30"})
    assert not parsed.notes
    assert parse({"rob_x": "1"}).notes  # an unknown one still does


# -- property: every field of the view survives view -> URL -> view ---------------------------------------
views = st.builds(
    ViewState,
    method=st.sampled_from(METHODS),
    weights=st.fixed_dictionaries({c: st.integers(0, 100).map(float) for c in CRITERION_IDS}),
    missing=st.fixed_dictionaries({c: st.sampled_from(MISSING_POLICIES) for c in CRITERION_IDS}),
    sectors=st.lists(st.sampled_from(sorted(VOCAB.sectors)), unique=True),
    countries=st.lists(st.sampled_from(VOCAB.countries), unique=True),
    statuses=st.lists(st.sampled_from(STATUSES), unique=True),
    min_revenue_usd_m=st.integers(0, 100_000).map(float),
    exclude_high_risk=st.booleans(),
    new_entrants_only=st.booleans(),
    company=st.sampled_from([None, *VOCAB.companies]),
    lang=st.sampled_from(list(LANGUAGES)),
)


@settings(max_examples=200, deadline=None)
@given(views)
def test_every_field_of_the_view_survives_the_url(view):
    back = parse(parse_qs(to_query(view, vocab=VOCAB)))
    assert not back.notes
    restored = back.view
    assert restored.method == view.method and restored.weights == view.weights and restored.missing == view.missing
    assert set(restored.sectors) == set(view.sectors) and set(restored.countries) == set(view.countries)
    assert set(restored.statuses) == set(view.statuses)
    assert restored.min_revenue_usd_m == view.min_revenue_usd_m
    assert restored.exclude_high_risk == view.exclude_high_risk and restored.company == view.company
    assert restored.new_entrants_only == view.new_entrants_only and restored.filters() == view.filters()
    assert restored.lang == view.lang


# -- property: the pages' own parameters too, URL -> view -> URL ----------------------------------------------
def field_values(model, key):
    """Every value a page parameter may take, from its declaration alone (a new page is covered unasked)."""
    info = model.model_fields[key]
    annotation, bounds = info.annotation, {type(m).__name__: m for m in info.metadata}
    args = get_args(annotation)
    if get_origin(annotation) is list:
        return st.lists(st.sampled_from(get_args(args[0])), unique=True)
    if get_origin(annotation) is Literal:
        return st.sampled_from(args)
    if annotation is bool:
        return st.booleans()
    optional = type(None) in args
    number = st.integers(int(bounds["Ge"].ge), int(bounds["Le"].le) if "Le" in bounds else 10_000)
    if int in (annotation, *args):
        return st.none() | number if optional else number
    raise AssertionError(f"{model.__name__}.{key}: no strategy for {annotation}")


def page_with_params(page: str):
    model = PAGE_PARAMS[page]
    fields = st.fixed_dictionaries({key: field_values(model, key) for key in model.model_fields})
    return st.tuples(st.just(page), fields.map(lambda values: model(**values)))


pages_and_params = st.sampled_from(sorted(PAGE_PARAMS)).flatmap(page_with_params)


@settings(max_examples=300, deadline=None)
@given(views, pages_and_params)
def test_every_field_survives_url_to_view_to_url(view, page):
    path, params = page
    url = to_query(view, params, VOCAB)
    back = parse(parse_qs(url, keep_blank_values=True))  # as Streamlit reads the URL
    assert not back.notes
    assert back.view == view
    assert page_values(path, back.page_values) == params
    assert to_query(back.view, page_values(path, back.page_values), VOCAB) == url


def test_page_parameters_are_declared_once_and_never_unknown():
    keys = [key for model in PAGE_PARAMS.values() for key in model.model_fields]
    assert len(keys) == len(set(keys)) and not set(keys) & (set(VIEW_KEYS) | PASSED_KEYS)
    assert {"rob_k", "rob_unc", "round", "bt_kinds", "explain_k", "compare_top_n"} <= set(keys)
    with pytest.raises(ValueError, match="taken"):
        page_params("elsewhere")(QualityParams)


def test_a_bad_page_parameter_gets_its_default_and_a_note_with_its_own_range():
    parsed = parse({"rob_k": "500", "bt_kinds": ["new_site", "teleported"], "compare_top_n": "x"})
    assert {(n.param, n.problem) for n in parsed.notes} == {("rob_k", "out_of_range"),
                                                            ("bt_kinds", "some_unknown_choices"),
                                                            ("compare_top_n", "not_a_number")}
    assert parsed.page_values == {"bt_kinds": ["new_site"]}
    assert "1-100" in describe(parsed.notes[0]).replace("–", "-")


def test_a_scenario_saved_before_views_had_a_version_still_loads():
    old = ('{"method": "topsis", "weights": {"exit_firmness": 40, "company_scale": 0, "retired_criterion": 5}, '
           '"missing": {}, "sectors": ["ITC"], "countries": [], "statuses": ["Withdrawal"], '
           '"min_revenue_usd_m": 0, "exclude_high_risk": true, "company": null, "lang": "en"}')
    view = ViewState.model_validate_json(old)
    assert view.version == 3 and view.method == "topsis" and view.weights["exit_firmness"] == 40
    assert view.weights["company_scale"] == 0 and view.sectors == ["ITC"] and view.exclude_high_risk
    assert ViewState.model_validate_json(view.model_dump_json()) == view


# -- the incentive assumptions: part of the view, read and written like every other parameter -------------------
SITES = Vocabulary(sectors=VOCAB.sectors, countries=VOCAB.countries, companies=VOCAB.companies,
                   sites=("Almaty", "Pavlodar", "Astana"))


def test_assumptions_round_trip_through_the_link():
    from datetime import date

    from lib.incentives.assumptions import Assumptions

    assumptions = Assumptions(investment_usd_m=250, kzt_per_usd=480.5, regime_date=date(2023, 1, 1),
                              location="Pavlodar", new_entity=False, include_assumed_rules=True, horizon_years=12,
                              discount_rate_pct=8, profit_pct_of_investment=20, cit_rate_pct=15,
                              property_tax_rate_pct=1, land_tax_rate_pct=0.05, equipment_share_pct=30,
                              customs_duty_pct=0, grant_take_up_pct=100, uncertain_point="low",
                              company_investment_usd_m={8: 80, 7: 15.5})
    view = ViewState(method="topsis", company=8, assumptions=assumptions)
    url = to_query(view, vocab=SITES)
    assert "inc_invest=250&" in url and "inc_company=7%3A15.5%3B8%3A80" in url and "inc_regime=2016-2025" in url
    parsed = parse_query(parse_qs(url), SITES)
    assert parsed.notes == [] and parsed.view == view and parsed.view.assumptions == assumptions
    assert to_query(parsed.view, vocab=SITES) == url
    assert not [key for key, _value in parse_qs(to_query(ViewState())).items() if key.startswith("inc_")]


@pytest.mark.parametrize(("params", "field", "value"), [
    # what the widgets bound to the URL wrote before the assumptions were part of the view
    ({"inc_invest": "250.0", "inc_years": "12"}, "investment_usd_m", 250.0),
    ({"inc_site": "Павлодар"}, "location", "Pavlodar"),  # a Kazakh page's label
    ({"inc_existing": "true"}, "new_entity", False),
    ({"inc_assumed": "True"}, "include_assumed_rules", True),
    ({"inc_point": "high"}, "uncertain_point", "high"),
    ({"inc_invest": ""}, "investment_usd_m", None),  # an emptied field wrote a blank value
])
def test_old_assumption_links_open_the_same_view(params, field, value):
    parsed = parse_query({k: [v] for k, v in params.items()}, SITES)
    assert parsed.notes == [] and getattr(parsed.view.assumptions, field) == value
    assert parsed.view.order == "expected"  # the assumptions say nothing about when the link was made


@pytest.mark.parametrize(("params", "problem"), [
    ({"inc_invest": "lots"}, "not_a_number"),
    ({"inc_invest": "-5"}, "out_of_range"),
    ({"inc_years": "12.5"}, "not_a_number"),
    ({"inc_years": "99"}, "out_of_range"),
    ({"inc_fx": "0"}, "out_of_range"),
    ({"inc_regime": "1999"}, "unknown_choice"),
    ({"inc_site": "Atlantis"}, "unknown_choice"),
    ({"inc_existing": "maybe"}, "not_yes_no"),
    ({"inc_point": "top"}, "unknown_choice"),
    ({"inc_company": "3M:lots"}, "not_a_number"),
    ({"inc_company": "8:200000"}, "out_of_range"),
    ({"inc_invest": ["5", "6"]}, "repeated"),
])
def test_a_broken_assumption_gets_a_note_naming_it_and_the_default(params, problem):
    from lib.incentives.assumptions import Assumptions

    parsed = parse_query({k: v if isinstance(v, list) else [v] for k, v in params.items()}, SITES)
    (key,) = params
    assert [(n.param, n.problem) for n in parsed.notes] == [(key, problem)]
    assert parsed.view.assumptions == Assumptions() and key not in parsed.present
    text = describe(parsed.notes[0])
    assert f"(`{key}`)" in text and "is used instead" in text


def test_weights_stay_whole_numbers_from_the_link_to_the_scoring():
    parsed = parse({"w_exit_firmness": "37.5", "w_company_scale": "40"})
    assert parsed.view.weights["exit_firmness"] == 37 and type(parsed.view.weights["exit_firmness"]) is int
    assert all(type(w) is int for w in parsed.view.weights.values())
    assert all(type(widget_values(parsed.view)[f"w_{cid}"]) is int for cid in CRITERION_IDS)
    assert all(type(w) is int for w in parsed.view.settings().weights.values())
    assert parse_qs(to_query(parsed.view))["w_exit_firmness"] == ["37"]


def test_a_view_builds_its_scoring_settings_once():
    view = ViewState(weights={**DEFAULT_WEIGHTS, "exit_firmness": 55})
    assert view.settings() is view.settings()
    other = view.model_copy(update={"weights": {**DEFAULT_WEIGHTS, "exit_firmness": 5}})
    assert other.settings().weights["exit_firmness"] == 5 and view.settings().weights["exit_firmness"] == 55
