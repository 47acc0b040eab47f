"""Two `streamlit run` replicas on one PostgreSQL database, in real Chromium: a company shortlisted on one replica
is on the other's Outreach page at its next rerun, and `python -m lib import` runs while both serve."""

import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import streamlit_server
from tests.e2e.helpers import GRID_CELL, top_names, wait_for_app, wait_idle

pytestmark = pytest.mark.e2e
ROW_PX = 35


def shows(page, name: str, timeout_s: float = 60) -> bool:
    """Whether `name` appears in a table cell of the page within the timeout (a rerun may still be drawing)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if name in [c.text_content() for c in page.locator(GRID_CELL).all()]:
            return True
        time.sleep(0.2)
    return False


def test_two_replicas_share_writes_and_serve_through_a_cli_import(pg_database, browser):
    with streamlit_server(pg_database) as first, streamlit_server(pg_database) as second:
        on_first = browser.new_context(viewport={"width": 1600, "height": 1200}).new_page()
        on_second = browser.new_context(viewport={"width": 1600, "height": 1200}).new_page()
        on_second.goto(f"{second}/outreach")
        on_second.get_by_role("heading", name="Outreach pipeline").wait_for(timeout=60_000)
        wait_idle(on_second)

        on_first.goto(first)
        wait_for_app(on_first)
        name = top_names(on_first, 1)[0]
        grid = on_first.locator('[data-testid="stDataFrame"]').first.bounding_box()
        on_first.mouse.click(grid["x"] + 18, grid["y"] + ROW_PX * 1.5)  # the first row's selection box
        on_first.get_by_role("button", name="Add selected to the shortlist").click()
        on_first.get_by_text("1 company added to the shortlist.").wait_for(timeout=15_000)

        # The second replica's open session reruns (the same session, not a new one) and reads it.
        on_second.locator("body").press("r")
        assert shows(on_second, name)

        imported = subprocess.run(
            [sys.executable, "-m", "lib", "--db", pg_database, "import", "tests/fixtures/imports/yale_celi.csv",
             "--actor", "nightly-import"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert imported.returncode == 0 and "applied: 2 added, 1 updated" in imported.stdout, imported.stderr
        for base in (first, second):
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10) as response:
                assert response.status == 200
        on_first.goto(f"{first}/outreach")
        assert shows(on_first, name)
