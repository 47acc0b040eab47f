"""A hostile company name is shown exactly as written in real Chromium: no bold, hidden link, image or icon."""

import pytest

from lib.auth import User
from lib.importer import apply_import, preview_import
from lib.store import close_all, open_store
from tests.e2e.conftest import streamlit_server
from tests.e2e.helpers import wait_idle

pytestmark = pytest.mark.e2e

NAME = "**Bold** Corp ![x](http://127.0.0.1:9/x.png) :material/home: [link](http://evil.example) <b>h</b> R&D"


def test_markdown_in_a_company_name_renders_as_text(tmp_path, browser):
    db = tmp_path / "radar.duckdb"
    store = open_store(db)
    csv = 'name,hq_country,industry,status\n"' + NAME.replace('"', '""') + '",Germany,Industrials,Withdrawal\n'
    preview = preview_import(store, csv.encode(), "hostile.csv")
    assert not preview.errors and len(preview.adds) == 1
    apply_import(store, User(name="steward", role="editor"), preview)
    company_id = store.fetch_one("SELECT company_id FROM companies WHERE name = ?", [NAME])[0]
    close_all()
    with streamlit_server(db) as base:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{base}/company?company={company_id}")
        page.wait_for_selector("h2", timeout=60_000)
        wait_idle(page, 60_000)
        main = page.locator('[data-testid="stMain"]')
        assert main.locator("h2").first.inner_text().strip() == NAME
        assert main.locator("img").count() == 0
        # Web addresses may be linked as the text they are (GFM autolinks), never behind other words.
        links = main.locator("h2 a").evaluate_all("links => links.map(a => [a.textContent, a.getAttribute('href')])")
        assert all(href.rstrip("/").endswith(text.rstrip("/")) for text, href in links), links
        assert not any(text == "link" for text, _href in links)
        assert main.locator("h2 strong, h2 b, h2 [data-testid='stIconMaterial']").count() == 0
        context.close()
