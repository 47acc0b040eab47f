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
