"""Browser fixtures: a real `streamlit run` server and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium these tests skip locally; CI sets RADAR_REQUIRE_BROWSER=1, which turns
the skip into a failure so browser tests can never be skipped silently there.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("RADAR_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing but RADAR_REQUIRE_BROWSER is set (install Debian's chromium)")
        pytest.skip(f"{CHROMIUM} not installed (CI installs it and requires these tests)")
    return CHROMIUM


@contextmanager
def streamlit_server(db: Path | str) -> Iterator[str]:
    """`streamlit run app.py` on a free port with its own store (a DuckDB path or PostgreSQL URL); yields the URL."""
    port = _free_port()
    env = {**os.environ, "RADAR_DB": str(db)}
    if str(db).startswith("postgresql://"):
        env["RADAR_DATABASE_URL"] = str(db)
    subprocess.run([sys.executable, "-m", "lib", "--db", str(db), "build"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not answer on /_stcore/health within 60 s: "
                    + proc.stdout.read().decode(errors="replace")[-2000:])
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def server(tmp_path_factory, chromium_path):
    """One app server shared by the browser tests."""
    with streamlit_server(tmp_path_factory.mktemp("e2e") / "radar.duckdb") as base:
        yield base


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    page = context.new_page()
    yield page
    context.close()
