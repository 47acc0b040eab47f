"""AppTest smoke tests: every page renders from app.py; sliders and selection drive the ranking."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP

PAGES = ["pages/rank.py", "pages/company.py", "pages/methodology.py"]


@pytest.fixture
def app(app_db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(app, page):
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title


def test_rank_page_shows_table_and_reacts_to_weights(app):
    table = app.dataframe[0].value
    assert len(table) >= 300
    top_before = list(table["name"].head(10))
    for slider in app.slider:
        if slider.key != "w_company_scale":
            slider.set_value(0)
    app.slider(key="w_company_scale").set_value(100).run()
    assert not app.exception
    top_after = list(app.dataframe[0].value["name"].head(10))
    assert top_after != top_before


def test_filters_narrow_the_table(app):
    app.multiselect(key="sector").set_value(["ITC"]).run()
    table = app.dataframe[0].value
    assert 0 < len(table) < 300
    app.number_input(key="min_rev").set_value(1_000_000).run()
    assert any("No company matches" in i.value for i in app.info)


def test_company_page_shows_sources_and_breakdown(app):
    company_id = int(app.dataframe[0].value.iloc[0]["company_id"])
    app.session_state["company"] = company_id
    app.switch_page("pages/company.py").run()
    assert not app.exception
    headers = [h.value for h in app.header]
    assert headers and headers[0]
    facts, breakdown = app.dataframe[0].value, app.dataframe[1].value
    assert facts["source"].str.len().min() > 0
    score = float(app.metric[4].value)
    assert abs(breakdown["company"].sum() - score) < 1e-3
