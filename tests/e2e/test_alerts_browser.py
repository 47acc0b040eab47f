"""Real Chromium against `streamlit run`: the owner of a shortlisted company sees the alert count in the sidebar, the
alert on the Outreach page (and clears it), and the company's timeline with both tracker statuses on its profile."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lib import store as store_module
from lib.auth import LOCAL_USER, User
from lib.importer import apply_import, preview_import
from lib.models import Filters, ScoringSettings
from lib.shortlist import add_to_shortlist, get_entry, update_entry
from tests.e2e.conftest import streamlit_server
from tests.e2e.helpers import GRID_CELL, wait_idle

pytestmark = pytest.mark.e2e
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
STEWARD = User(name="Aigerim", role="editor")


@pytest.fixture
def alerted_server(tmp_path, chromium_path):
    """A store where 3M, owned on the shortlist by the app's local user, changed status in a later KSE file
    imported by the data steward; then the app served on it (the app holds the DuckDB file, so set up first)."""
    db = tmp_path / "radar.duckdb"
    store = store_module.open_store(db)
    three_m = int(store.fetch_one("SELECT company_id FROM companies WHERE name = '3M'")[0])
    add_to_shortlist(store, STEWARD, [{"company_id": three_m, "score": 0.5, "rank": 1}],
                     (ScoringSettings(), Filters()))
    update_entry(store, STEWARD, three_m, {"stage": "Contacted", "owner": LOCAL_USER.name},
                 get_entry(store, three_m).version)
    for name, as_of in (("kse_2026-10.csv", date(2026, 10, 2)), ("kse_2026-11.csv", date(2026, 11, 2))):
        apply_import(store, STEWARD, preview_import(store, (FIXTURES / name).read_bytes(), name, as_of=as_of))
    store_module.close_all()
    with streamlit_server(db) as base:
        yield base, three_m


def test_alert_count_list_and_timeline(alerted_server, page):
    base, three_m = alerted_server
    page.goto(f"{base}/outreach")
    badge = page.get_by_role("link", name="1 unread alert")
    badge.wait_for(timeout=60_000)
    page.wait_for_selector(GRID_CELL, state="attached", timeout=30_000)
    wait_idle(page)
    cells = [c.text_content() for c in page.locator(GRID_CELL).all()]
    assert "Russia status: Suspension → Withdrawal (KSE Institute, 2026-11-01)" in cells
    page.get_by_role("button", name="Mark all as read").click()
    page.get_by_text("No unread alerts on the companies you follow.").wait_for(timeout=30_000)
    assert page.get_by_role("link", name="1 unread alert").count() == 0

    page.goto(f"{base}/company?company={three_m}")
    page.get_by_role("heading", name="Timeline").wait_for(timeout=60_000)
    wait_idle(page)
    chart = page.locator('[data-testid="stVegaLiteChart"]').last
    chart.wait_for(timeout=30_000)
    assert chart.bounding_box()["height"] > 100  # the lanes are drawn
    history = page.locator(".st-key-status_history_box")  # the status history table under the chart
    history.scroll_into_view_if_needed()
    history.locator('[role="gridcell"]').first.wait_for(state="attached", timeout=30_000)
    texts = [c.text_content() for c in history.locator('[role="gridcell"]').all()]
    assert "Withdrawal" in texts and "Suspension" in texts and "current" in texts
    assert "KSE Institute" in texts and "Yale CELI" in texts
