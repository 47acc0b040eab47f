"""AppTest fixtures: the app started from app.py on a fresh store, optionally switched to a page."""

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP


@pytest.fixture
def open_page(app_db) -> Callable[..., AppTest]:
    """Run app.py once (as a browser would), then switch to `page`; fails on any exception."""

    def open_(page: str | None = None, timeout: float = 90) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=timeout)
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_
