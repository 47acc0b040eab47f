"""Shared fixtures.

- `store`: a real DuckDB file in tmp_path, built from the committed seed CSVs.
- `universe`: the companies and criterion values computed from that store.
- `app_db`: points RADAR_DB at a fresh store and clears Streamlit caches, for AppTest.
The app runs as a local single-user run (RADAR_LOCAL_EDITOR=1) unless a test gives it secrets.
Tests never open data/*.duckdb.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from lib import store as store_module
from lib.radar import load_universe

ROOT = Path(__file__).resolve().parents[1]


def _keep_navigation_in_apptest() -> None:
    """Work around AppTest (streamlit 1.67) rerunning a page script directly instead of app.py.

    AppTest resets PagesManager.uses_pages_directory before every run; because our pages live
    in `pages/`, the flag flips to True and a second run takes the legacy multipage path,
    skipping app.py (no sidebar, widget changes ignored). The real server never resets the flag
    after st.navigation has set it to False, so we pin it to False here.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


_keep_navigation_in_apptest()
APP = str(ROOT / "app.py")
# The app under test is a local single-user run (what `make run` sets), unless a test gives it secrets:
# without this explicit setting the app fails closed and everyone is a viewer.
os.environ.setdefault("RADAR_LOCAL_EDITOR", "1")


@pytest.fixture
def store(tmp_path):
    db = store_module.open_store(tmp_path / "radar.duckdb")
    yield db
    store_module.close_all()


@pytest.fixture
def universe(store):
    return load_universe(store)


@pytest.fixture
def app_db(tmp_path, monkeypatch):
    """A fresh store for the app under test; Streamlit caches cleared before and after."""
    import streamlit as st

    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("RADAR_DB", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield path
    st.cache_data.clear()
    st.cache_resource.clear()
    store_module.close_all()


def shown(markdown: str) -> str:
    """What a user reads of a Markdown text written with lib.i18n.md_text (escapes and colon entities undone)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("&#58;", ":")
