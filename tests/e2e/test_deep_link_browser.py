"""A shared link to an inner page, opened first on a freshly started server, runs through app.py."""

import pytest

from tests.e2e.conftest import streamlit_server
from tests.e2e.helpers import wait_idle

pytestmark = pytest.mark.e2e


def test_first_visit_to_inner_page_has_the_shared_sidebar(tmp_path, browser):
    with streamlit_server(tmp_path / "radar.duckdb") as base:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/methodology?lang=ru&w_company_scale=100")
        page.wait_for_selector("h1", timeout=60_000)
        page.get_by_role("slider").first.wait_for(state="attached", timeout=60_000)
        wait_idle(page, 60_000)
        assert page.get_by_role("heading", name="Методология и источники").count() == 1
        # The language switch and the weights come from app.py's shared sidebar.
        assert page.get_by_text("Language / Язык / Тіл").count() == 1
        assert page.get_by_role("slider").count() >= 8
        # The navigation shows the page titles, not the legacy file names.
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "methodology" not in nav and "Методология и источники" in nav
        context.close()


def first_request(browser, base: str, path: str):
    """The first request a freshly started server gets, straight to `path` (a link someone was sent)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(base + path)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
    page.get_by_role("slider", name="Company scale").wait_for(timeout=60_000)
    wait_idle(page, 60_000)
    return context, page


def assert_inside_app(page) -> None:
    """app.py's navigation and shared sidebar are there, and Streamlit's folder mode said nothing."""
    assert page.get_by_text("Language / Язык / Тіл").count() == 1
    assert page.locator('[data-testid="stSidebar"]').get_by_role("slider").count() >= 8
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Rank candidates" in nav and "Company profile" in nav and "methodology" not in nav
    assert page.get_by_text("Page not found").count() == 0


def test_first_request_to_the_ranking_with_a_view_opens_it_inside_app(tmp_path, browser):
    with streamlit_server(tmp_path / "radar.duckdb") as base:
        context, page = first_request(browser, base, "/rank?lang=en&method=topsis&w_company_scale=100&inc_invest=250")
        assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Relocation candidates"
        assert_inside_app(page)
        side = page.locator('[data-testid="stSidebar"]')
        assert side.get_by_role("slider", name="Company scale").input_value() == "100"
        assert page.get_by_role("radio", name="TOPSIS", exact=True).is_checked()
        url = page.url
        assert "/rank?" in url and "w_company_scale=100" in url and "method=topsis" in url and "inc_invest=250" in url
        assert page.get_by_text("could not be used").count() == 0
        context.close()


def test_first_request_to_a_company_profile_opens_it_inside_app(tmp_path, browser):
    with streamlit_server(tmp_path / "radar.duckdb") as base:
        context, page = first_request(browser, base, "/company?company=3M&lang=en&explain_k=5")
        assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Company profile"
        page.locator('[data-testid="stMain"] h2').first.wait_for(timeout=60_000)
        assert page.locator('[data-testid="stMain"] h2').first.inner_text() == "3M"
        assert_inside_app(page)
        assert "/company?" in page.url and "company=3M" in page.url and "explain_k=5" in page.url
        context.close()
