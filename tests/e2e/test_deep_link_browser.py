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
