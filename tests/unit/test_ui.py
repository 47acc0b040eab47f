"""Streamlit glue that can be checked without a server."""

import threading

from lib import ui
from lib.i18n import _, set_language


def test_a_download_built_in_another_thread_keeps_the_language_of_the_page():
    set_language("kk")
    try:
        build = ui.in_this_language(lambda word: _(word), "Stage")
    finally:
        set_language("en")
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(build()))  # Streamlit serves downloads like this
    thread.start()
    thread.join()
    set_language("kk")
    assert result == [_("Stage")] and result[0] != "Stage"
    set_language("en")


def test_only_lib_ui_imports_streamlit():
    """lib/ is testable without a server: Streamlit stays in lib/ui/ (STYLE.md)."""
    import re
    from pathlib import Path

    lib = Path(ui.__file__).resolve().parents[1]
    offenders = [str(p.relative_to(lib)) for p in lib.rglob("*.py") if "ui" not in p.relative_to(lib).parts[:1]
                 and re.search(r"^\s*(import streamlit|from streamlit)", p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []
    assert all("streamlit" in p.read_text(encoding="utf-8") for p in (lib / "ui").glob("[!_]*.py"))


def test_the_ranking_version_is_read_once_per_run_and_again_after_a_commit(store, monkeypatch):
    """Every cache of a run keys on the ranking version: one query per run (issue 25), yet a run that writes
    (a commit in this process) sees its own write, and the next run reads it afresh."""
    from lib.ui import state

    reads: list[int] = []
    read = store.ranking_version
    monkeypatch.setattr(store, "ranking_version", lambda cur=None: reads.append(1) or read(cur))
    monkeypatch.setattr(state, "get_store", lambda: store)
    state.start_run()
    first = state.ranking_version()
    assert state.ranking_version() == first and len(reads) == 1
    with store.transaction() as cur:  # a write to the ranking's inputs in the same run
        cur.execute("SELECT 1")
    assert state.ranking_version() == first + 1 and len(reads) == 2
    with store.transaction(ranking=False) as cur:  # a shortlist-like write: the version stays, read again
        cur.execute("SELECT 1")
    assert state.ranking_version() == first + 1 and len(reads) == 3
    state.start_run()
    assert state.ranking_version() == first + 1 and len(reads) == 4
