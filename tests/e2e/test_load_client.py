"""The load test's protocol client (bench/stclient.py) against a real `streamlit run`: what it sends is what a
browser sends, so a slider move re-ranks and writes the address bar, and two sessions saving the same shortlist
entry from the same version get one save and one conflict. Needs no browser."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.stclient import Session
from lib.auth import User
from lib.models import Filters, ScoringSettings
from lib.shortlist import add_to_shortlist
from lib.store import close_all, open_store
from tests.e2e.conftest import streamlit_server

pytestmark = pytest.mark.e2e


def test_protocol_sessions_move_a_slider_and_save_with_one_conflict(tmp_path):
    db = tmp_path / "radar.duckdb"
    store = open_store(db)
    add_to_shortlist(store, User(name="test", role="editor"), [{"company_id": c, "score": 0.5, "rank": c}
                                                               for c in (1, 2)], (ScoringSettings(), Filters()))
    close_all()  # the server opens the file next

    async def scenario(base: str) -> None:
        async with Session(base) as first, Session(base) as second:
            opened = await first.open()
            assert "ranked_table_0" in opened.widgets and "w_company_scale" in opened.widgets
            assert "w_company_scale=100" not in first.query
            moved = await first.set("w_company_scale", 100)
            assert "w_company_scale=100" in first.query  # the app wrote the address bar in that run
            table = [proto.arrow_data for key, proto in moved.widgets.items() if key.startswith("ranked_table")]
            assert table and table[0] != opened.widgets["ranked_table_0"].arrow_data  # re-ranked
            await second.open()
            for session in (first, second):
                await session.goto("outreach")
                company = sorted(session.widget("of_company").options)[0]
                await session.set("of_company", company)
            saved = await first.set("of_next", "first-save", submit="of_save")
            assert any(kind == "success" and body.startswith("Saved") for kind, body in saved.alerts), saved.alerts
            stale = await second.set("of_next", "second-save", submit="of_save")
            assert any(kind == "error" and body.startswith("Not saved") for kind, body in stale.alerts), stale.alerts

    with streamlit_server(db) as base, ThreadPoolExecutor(1) as thread:
        # Its own thread: Playwright's sync API, used by the other browser tests, keeps an event loop running here.
        thread.submit(asyncio.run, scenario(base)).result()
    store = open_store(db)
    audited = [after for (after,) in store.fetch_all("SELECT after FROM audit_log WHERE action = 'shortlist_update'")]
    assert sum("first-save" in a for a in audited) == 1 and not any("second-save" in a for a in audited)
