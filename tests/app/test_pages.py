"""AppTest smoke tests: every page renders from app.py; sliders and selection drive the ranking."""

import re
from datetime import date
from pathlib import Path

import pytest

from lib.store import Store, open_store
from tests.conftest import APP, shown

# Every page registered in app.py, so a new page is smoke-tested without editing this list.
# The ranking is also registered at /rank (hidden): each page file once.
PAGES = list(dict.fromkeys(
    re.findall(r'st\.Page\(\s*"(pages/[a-z_]+\.py)"', Path(APP).read_text())))


def test_all_pages_are_registered():
    assert len(PAGES) == len(list((Path(APP).parent / "pages").glob("*.py"))) >= 8


@pytest.fixture
def app(open_page):
    return open_page()


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


def test_a_selection_never_moves_to_another_company_when_the_order_changes(app):
    """The grid reports selected row positions; after a re-rank those positions hold other companies."""
    app.radio(key="order").set_value("value").run()  # the weights alone decide the order
    first = app.dataframe[0].value.iloc[0]["name"]
    app.session_state[app.session_state["ranked_table_key"]] = {"selection": {"rows": [0], "columns": [],
                                                                              "cells": []}}
    app.run()
    assert any(c.value == f"Selected: {first}" for c in app.caption)
    for slider in app.slider:  # company scale alone: a new order (checked by the test above)
        if slider.key != "w_company_scale":
            slider.set_value(0)
    app.slider(key="w_company_scale").set_value(100).run()
    assert app.dataframe[0].value.iloc[0]["name"] != first
    assert not any(c.value.startswith("Selected:") for c in app.caption)
    assert any(c.value == "Select a row to open the company's profile." for c in app.caption)


def test_search_narrows_the_table_and_keeps_the_ranks(app):
    full = app.dataframe[0].value
    app.text_input(key="rank_search").input("SIEMENS").run()
    found = app.dataframe[0].value
    assert 0 < len(found) < len(full)
    assert all("siemens" in name.casefold() for name in found["name"])
    ranks = dict(zip(full["company_id"], full["rank"], strict=True))
    assert all(ranks[cid] == rank for cid, rank in zip(found["company_id"], found["rank"], strict=True))
    assert any(c.value.startswith(f"{len(found)} of ") for c in app.caption)
    app.text_input(key="rank_search").input("**no such company**").run()
    assert not app.exception
    assert any("“**no such company**”" in shown(i.value) for i in app.info)  # shown as typed, not bold
    app.text_input(key="rank_search").input("").run()
    assert len(app.dataframe[0].value) == len(full)


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
    now, facts, breakdown = (app.dataframe[i].value for i in range(3))
    assert len(now) == 6  # the six company facts, each with what the store holds now ("—" when unknown)
    assert facts["source"].str.len().min() > 0
    score = float(app.metric[4].value)
    assert abs(breakdown["company"].sum() - score) < 1e-3


def test_company_page_shows_both_trackers_when_they_disagree(app, app_db):
    store = open_store(app_db)
    company_id, status = store.fetch_one("SELECT company_id, status FROM companies WHERE name = '3M'")
    other = "Digging in" if status != "Digging in" else "Withdrawal"
    with store.transaction() as cur:
        cur.execute("INSERT INTO status_observations (company_id, tracker, status, tracker_grade, status_date, "
                    "recorded_on, source) VALUES (?, 'kse', ?, 'KSE continue', ?, ?, ?)",
                    [company_id, other, date(2026, 8, 24), date(2026, 8, 24), "https://leave-russia.org/3m"])
        Store.audit(cur, actor="test", action="insert", table="status_observations", record_key=str(company_id))
    app.session_state["company"] = company_id
    app.switch_page("pages/company.py").run()
    assert not app.exception
    warning = " ".join(w.value for w in app.warning)
    assert "disagree" in warning and other in warning and status in warning and "24 Aug 2026" in warning


def test_rank_table_flags_companies_whose_trackers_disagree(app, app_db):
    store = open_store(app_db)
    company_id, status = store.fetch_one("SELECT company_id, status FROM companies WHERE name = '3M'")
    assert app.dataframe[0].value.set_index("company_id").loc[company_id, "trackers"] == ""
    with store.transaction() as cur:
        cur.execute("INSERT INTO status_observations (company_id, tracker, status, tracker_grade, status_date, "
                    "recorded_on, source) VALUES (?, 'kse', ?, NULL, ?, ?, 'test')",
                    [company_id, "Digging in" if status != "Digging in" else "Withdrawal", date(2020, 1, 1),
                     date(2026, 12, 1)])
    app.run()
    table = app.dataframe[0].value.set_index("company_id")
    # An older KSE word does not change the current status, but the two trackers now disagree.
    assert (table.loc[company_id, "trackers"], table.loc[company_id, "status"]) == ("disagree", status)
    assert (table["trackers"] == "disagree").sum() == 1


def test_rank_table_shows_the_outreach_stage_of_shortlisted_companies(app, app_db):
    from lib.auth import User
    from lib.models import Filters, ScoringSettings
    from lib.shortlist import add_to_shortlist

    first = app.dataframe[0].value.iloc[0]
    assert first["shortlist"] != first["shortlist"]  # NaN: nobody is shortlisted yet
    add_to_shortlist(open_store(app_db), User(name="Aigerim", role="editor"),
                     [{"company_id": int(first["company_id"]), "score": float(first["score"]), "rank": 1}],
                     (ScoringSettings(), Filters()))
    app.run()
    table = app.dataframe[0].value
    assert table.loc[table["company_id"] == first["company_id"], "shortlist"].tolist() == ["Identified"]
    assert table["shortlist"].notna().sum() == 1


@pytest.mark.duckdb_only
def test_a_damaged_store_file_stops_the_app_with_a_clear_message(app_db, caplog):
    from streamlit.testing.v1 import AppTest

    from lib import store as store_module

    store_module.close_all()  # the fixture built it; the damage comes while the app is down
    app_db.write_bytes(b"not a database " * 400)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    (error,) = at.error
    message = shown(error.value)
    # The visitor reads what happened, never where the server keeps its files; the operator's log has both.
    assert "cannot be opened" in message and "server log" in message and app_db.name not in message
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert str(app_db) in logged and "make store" in logged and "backup" in logged
    app_db.unlink()  # the file is restored (here: rebuilt from the seed, as `make store` does): the next run
    store_module.open_store(app_db)  # works, no restart (the app itself never creates a store)
    at.run()
    assert not at.exception and not at.error and len(at.dataframe[0].value) >= 300


def test_search_for_a_group_member_finds_the_group(app):
    app.text_input(key="rank_search").input("ingka").run()
    found = app.dataframe[0].value
    assert list(found["name"]) == ["Ikea"]
    app.text_input(key="rank_search").input("skoda").run()
    assert list(app.dataframe[0].value["name"]) == ["Volkswagen"]


def test_rank_page_orders_by_expected_value_and_the_sidebar_switches_the_order(app):
    table = app.dataframe[0].value
    assert {"likelihood", "expected", "score"} <= set(table.columns)
    assert (table["expected"].diff().dropna() <= 1e-9).all()
    assert table["likelihood"].between(0, 100).all()  # shown in percent
    app.radio(key="order").set_value("value").run()
    assert not app.exception
    by_value = app.dataframe[0].value
    assert (by_value["score"].diff().dropna() <= 1e-9).all()
    assert list(by_value["name"].head(10)) != list(table["name"].head(10))


def test_new_entrants_only_leaves_out_the_companies_already_producing_in_kazakhstan(app, app_db):
    """The default order ranks existing producers high (they expand); the filter answers "who would bring a new
    plant": every company with its own Kazakh plant leaves the table, the others keep their order, the link says so."""
    store = open_store(app_db, create=False)
    producing = set(store.fetch_df("SELECT name FROM companies WHERE is_candidate AND "
                                   "kazakhstan_presence = 'production_site'")["name"])
    table = app.dataframe[0].value
    assert len(producing & set(table["name"].head(30))) >= 5  # the question the filter is for
    said = [c.value for c in app.caption if "already produce" in c.value]
    assert said and str(len(producing & set(table["name"].head(30)))) in said[0]  # the page says so
    app.checkbox(key="new_only").check().run()
    assert not app.exception
    assert not [c.value for c in app.caption if "already produce" in c.value]
    narrowed = app.dataframe[0].value
    assert not producing & set(narrowed["name"]) and len(narrowed) == len(table) - len(producing & set(table["name"]))
    kept = [name for name in table["name"] if name not in producing]
    assert list(narrowed["name"]) == kept
    assert app.query_params.get("new_only") == "true"


def test_an_old_link_without_an_order_opens_ordered_by_value(app_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["w_company_scale"] = "40"
    at.run()
    assert not at.exception
    assert at.radio(key="order").value == "value"
    assert (at.dataframe[0].value["score"].diff().dropna() <= 1e-9).all()



def test_rank_page_builds_its_charts_only_when_their_section_is_opened(app):
    """A first visit draws the table without the charts (issue 25: first render); opening the section builds the
    quadrant chart and the contribution bars, and a slider move redraws them while it stays open."""
    def charts():
        return [e for e in app.main.get("expander") if e.label.startswith("Charts")][0]

    def quadrant_count():
        return sum(1 for e in charts().children.values() if getattr(e, "key", None) == "quadrant")

    assert len(charts().children) == 0 and app.dataframe[0].value.shape[0] >= 300
    app.session_state["rank_charts"] = True
    app.run()
    assert not app.exception
    assert len(charts().children) == 2 and quadrant_count() == 1
    app.slider(key="w_company_scale").set_value(100).run()
    assert not app.exception and len(charts().children) == 2
    app.session_state["rank_charts"] = False
    app.run()
    assert len(charts().children) == 0


def test_missing_data_policies_are_drawn_when_opened_and_kept_while_closed(app):
    """The sidebar's missing-data box is built only while open (issue 25: slider moves); a policy set in it stays
    in force, in the ranking and in the address bar, after it is closed and the weights move."""
    from lib.ui.sidebar import MISSING_BOX

    assert not [s for s in app.selectbox if (s.key or "").startswith("m_")]
    app.session_state[MISSING_BOX] = True
    app.run()
    app.selectbox(key="m_company_scale").set_value("exclude").run()
    excluded = len(app.dataframe[0].value)
    app.session_state[MISSING_BOX] = False
    app.run()
    app.slider(key="w_company_scale").set_value(100).run()
    assert not app.exception and not [s for s in app.selectbox if (s.key or "").startswith("m_")]
    assert app.session_state["m_company_scale"] == "exclude"  # the view is built from it (no copy kept in state)
    assert app.query_params["m_company_scale"] == "exclude"  # the address bar says so too
    assert len(app.dataframe[0].value) == excluded
    app.session_state[MISSING_BOX] = True
    app.run()
    assert app.selectbox(key="m_company_scale").value == "exclude"
