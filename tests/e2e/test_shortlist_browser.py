"""Real Chromium against `streamlit run`: select a ranked company, add it to the shortlist, see it on Outreach."""

import html
import io
from pathlib import Path

import openpyxl
import pytest

from tests.e2e.helpers import GRID_CELL, top_names, wait_for_app, wait_idle

pytestmark = pytest.mark.e2e
ROW_PX = 35


def test_shortlist_a_company_and_see_it_on_the_outreach_page(server, page):
    page.goto(server)
    wait_for_app(page)
    name = top_names(page, 1)[0]
    assert name

    # Tick the first data row's selection box. The grid is a canvas: click where the box is drawn, in the
    # row-marker column, one header row (ROW_PX high, Streamlit's default) below the top.
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(grid["x"] + 18, grid["y"] + ROW_PX * 1.5)
    add = page.get_by_role("button", name="Add selected to the shortlist")
    add.wait_for(timeout=15_000)
    add.click()
    page.get_by_text("1 company added to the shortlist.").wait_for(timeout=15_000)

    page.get_by_role("link", name="Open the outreach pipeline").click()
    page.get_by_role("heading", name="Outreach pipeline").wait_for(timeout=30_000)
    page.wait_for_selector(GRID_CELL, state="attached", timeout=30_000)
    wait_idle(page)
    assert name in [c.text_content() for c in page.locator(GRID_CELL).all()]
    assert "/outreach" in page.url

    # A fresh session opened on the Outreach URL reads it back from the store.
    fresh = page.context.new_page()
    fresh.goto(f"{server}/outreach")
    fresh.wait_for_selector(GRID_CELL, state="attached", timeout=60_000)
    wait_idle(fresh)
    assert name in [c.text_content() for c in fresh.locator(GRID_CELL).all()]

    # The downloads are built on click (in another thread, no rerun), one after another without waiting: the
    # files hold exactly the shortlisted company.
    with fresh.expect_download() as download:
        fresh.get_by_role("button", name="Download .xlsx").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(book.active.iter_rows(values_only=True))
    assert [r[0] for r in rows] == ["Company", name]
    with fresh.expect_download() as download:
        fresh.get_by_role("button", name="Download CSV").click()
    assert name in Path(download.value.path()).read_text(encoding="utf-8-sig")
    with fresh.expect_download() as download:
        fresh.get_by_role("button", name="Download the briefing (HTML, printable)").click()
    briefing = Path(download.value.path()).read_text(encoding="utf-8")
    assert html.escape(name) in briefing and "Outreach so far" in briefing
