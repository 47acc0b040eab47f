"""Real Chromium against `streamlit run`: a company with a possible sanctions match is refused by the shortlist,
an editor clears the match on its profile with a reason, and then it can be shortlisted."""

import time

import pytest

from lib.store import connect
from tests.e2e.conftest import streamlit_server
from tests.e2e.helpers import top_names, wait_for_app, wait_idle

pytestmark = pytest.mark.e2e
ROW_PX = 35
COMPANY = "Orion"  # listed look-alike: ORION LIMITED LIABILITY COMPANY (a Russian firm) on the SDN list


def _select_first_row(page) -> None:
    grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(grid["x"] + 18, grid["y"] + ROW_PX * 1.5)


def _find(page, name: str) -> None:
    search = page.get_by_label("Find a company", exact=True).and_(page.get_by_role("textbox"))
    search.fill(name)
    search.press("Enter")
    wait_idle(page)
    page.wait_for_function(f"() => document.body.innerText.includes('“{name}”')", timeout=30_000)
    deadline = time.monotonic() + 30
    while top_names(page, 1) != [name] and time.monotonic() < deadline:  # the grid redraws after the caption
        time.sleep(0.1)


def test_review_a_possible_match_then_shortlist(tmp_path, chromium_path, page):
    # A server of its own: the review it saves must not change what other browser tests see; its DuckDB file is
    # read after the server stops (DuckDB lets one process open it).
    db = tmp_path / "radar.duckdb"
    with streamlit_server(db) as base:
        _review_flow(base, page)
    store = connect(db, create=False)
    try:
        log = store.fetch_all("SELECT actor, record_key, after FROM audit_log WHERE action = 'screening_review'")
        shortlisted = store.fetch_all("SELECT c.name FROM shortlist s JOIN companies c USING (company_id)")
    finally:
        store.close()
    assert len(log) == 1 and log[0][1].startswith(f"{COMPANY} | ofac_sdn:") and "cleared" in log[0][2]
    assert shortlisted == [(COMPANY,)]


def _review_flow(base: str, page) -> None:
    page.goto(base)
    wait_for_app(page)
    _find(page, COMPANY)
    assert top_names(page, 1) == [COMPANY]

    _select_first_row(page)
    add = page.get_by_role("button", name="Add selected to the shortlist")
    add.wait_for(timeout=15_000)
    add.click()
    page.get_by_text("must review first").wait_for(timeout=15_000)
    assert "2024-05-03" in page.get_by_text("must review first").text_content()

    page.get_by_role("button", name="Open the profile of the selected company").click()
    page.get_by_role("heading", name="Screening").wait_for(timeout=30_000)
    assert page.get_by_text("Possible match – needs review").first.is_visible()
    page.get_by_text("Cleared: it is not the listed entry").click()
    reason = page.get_by_label("Reason", exact=True).and_(page.get_by_role("textbox"))
    reason.fill("Registry check: ORION LLC is a Russian firm; ours is the Finnish group.")
    page.get_by_role("button", name="Save the review").click()
    page.get_by_text("Review saved").wait_for(timeout=30_000)
    page.get_by_text("Cleared by review").first.wait_for(timeout=30_000)

    page.goto(base)
    wait_for_app(page)
    _find(page, COMPANY)
    _select_first_row(page)
    page.get_by_role("button", name="Add selected to the shortlist").click()
    page.get_by_text("1 company added to the shortlist.").wait_for(timeout=15_000)
