"""Reading Streamlit's canvas-drawn tables and waiting for reruns in a real browser."""

from __future__ import annotations

import time

from playwright.sync_api import Page

GRID_CELL = '[data-testid="stDataFrame"] [role="gridcell"]'


def wait_for_app(page: Page, timeout_ms: int = 60_000) -> None:
    """Wait until the ranked table is drawn and no rerun is running."""
    page.wait_for_selector(GRID_CELL, state="attached", timeout=timeout_ms)
    wait_idle(page, timeout_ms)


def wait_idle(page: Page, timeout_ms: int = 30_000) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms)


def top_names(page: Page, n: int = 10, column: int = 2) -> list[str]:
    """Texts of one column (default: Company) in the first n data rows of the first table."""
    return page.evaluate(
        """([n, column]) => {
            const grid = document.querySelector('[data-testid="stDataFrame"]');
            if (!grid) return [];
            const rows = [...grid.querySelectorAll('[role="row"]')].slice(1, n + 1);
            return rows.map(r => {
                const cell = r.querySelector(`[role="gridcell"][aria-colindex="${column}"]`);
                return cell ? cell.textContent : "";
            });
        }""",
        [n, column],
    )


def wait_for_change(page: Page, before: list[str], timeout_s: float = 15.0) -> list[str]:
    """Poll the table until its top names differ from `before`; returns them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = top_names(page, len(before))
        if now and now != before:
            return now
        time.sleep(0.02)
    return top_names(page, len(before))
