"""AppTest: the Rank page's screening column and filter, the profile's Screening section and an editor's review."""

import pytest

from lib.store import open_store
from tests.conftest import shown

FLAGGED = "Possible match – needs review"


@pytest.fixture
def rank(open_page):
    at = open_page()
    at.radio(key="order").set_value("value").run()
    return at


def test_the_rank_table_shows_each_company_screening(rank):
    table = rank.dataframe[0].value
    assert {"No match", FLAGGED} <= set(table["screening"])


def test_the_screening_filter_narrows_the_table(rank):
    everyone = len(rank.dataframe[0].value)
    rank.selectbox(key="rank_screening").set_value("flagged").run()
    assert not rank.exception
    flagged = rank.dataframe[0].value
    assert 0 < len(flagged) < everyone
    assert set(flagged["screening"]) <= {FLAGGED, "Confirmed match"}
    rank.selectbox(key="rank_screening").set_value("clear").run()
    clear = rank.dataframe[0].value
    assert len(clear) + len(flagged) == everyone and not set(clear["name"]) & set(flagged["name"])
    rank.selectbox(key="rank_screening").set_value("diversion").run()
    sectors = {s.split(":")[0] for s in rank.dataframe[0].value["sector"]}
    assert sectors == {"Information technology", "Industrials"}  # the sectors of chp_items.csv


def test_shortlisting_a_flagged_company_is_refused_with_the_reason(rank):
    rank.selectbox(key="rank_screening").set_value("flagged").run()
    name = rank.dataframe[0].value.iloc[0]["name"]
    rank.session_state[rank.session_state["ranked_table_key"]] = {"selection": {"rows": [0], "columns": [],
                                                                                "cells": []}}
    rank.run()
    rank.button(key="add_to_shortlist").click().run()
    assert any("must review first" in shown(e.value) and "2024-05-03" in shown(e.value) for e in rank.error), \
        [e.value for e in rank.error]
    assert not rank.success
    assert name  # the refused company stays off the list:
    store = open_store()
    assert store.fetch_one("SELECT count(*) FROM shortlist")[0] == 0


def test_the_profile_shows_the_screening_and_an_editor_clears_a_match(open_page, app_db):
    at = open_page()
    store = open_store(app_db)
    company_id = int(store.fetch_one("SELECT company_id FROM companies WHERE name = 'Societe Generale'")[0])
    at.session_state["company"] = company_id
    at.switch_page("pages/company.py").run()
    assert not at.exception
    assert "Screening" in [s.value for s in at.subheader]
    assert any("published 3 May 2024" in w.value or "2024" in w.value for w in at.warning), \
        [w.value for w in at.warning]
    matches = next(d.value for d in at.dataframe if "who" in d.value.columns)
    assert "buyer of its Russian business: Interros Capital" in set(matches["who"])
    at.selectbox(key="screening_match").set_value(0)
    at.radio(key="screening_decision").set_value("cleared")
    at.text_area(key="screening_reason").input("short")
    submit = next(b for b in at.button if b.label == "Save the review")
    submit.click().run()
    assert any("at least ten characters" in e.value for e in at.error)
    at.text_area(key="screening_reason").input("Checked the registry: a different Interros entity, see note.")
    next(b for b in at.button if b.label == "Save the review").click().run()
    assert not at.exception
    assert any(s.value.startswith("Review saved") for s in at.success)
    log = store.fetch_df("SELECT actor, action FROM audit_log WHERE action = 'screening_review'")
    assert len(log) == 1


def test_the_data_page_lists_the_sanctions_list_with_its_date(open_page):
    at = open_page("pages/data.py")
    lists = next(d.value for d in at.dataframe if "published" in d.value.columns)
    assert lists["title"].tolist() == ["OFAC Specially Designated Nationals and Blocked Persons List (SDN)"]
    assert str(lists.loc[0, "published"])[:10] == "2024-05-03" and lists.loc[0, "entries"] == 13738


def test_a_link_carries_the_screening_filter(app_db):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["rank_screening"] = "flagged"
    at.run()
    assert not at.exception
    assert at.selectbox(key="rank_screening").value == "flagged"
    assert set(at.dataframe[0].value["screening"]) <= {FLAGGED, "Confirmed match"}
    bad = AppTest.from_file(APP, default_timeout=90)
    bad.query_params["rank_screening"] = "<script>"
    bad.run()
    assert not bad.exception and bad.selectbox(key="rank_screening").value == "all"
