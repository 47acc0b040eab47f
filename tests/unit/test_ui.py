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
