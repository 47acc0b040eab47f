"""Real Chromium against `streamlit run`: open the app, move a slider, see the ranking change."""

import time

import pytest

from tests.e2e.helpers import top_names, wait_for_app, wait_for_change, wait_idle

pytestmark = pytest.mark.e2e


def set_slider(page, label: str, key: str) -> None:
    """Drag a sidebar slider to its minimum with the keyboard (Home)."""
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    slider.press(key)


def test_open_app_move_slider_ranking_changes(server, page):
    started = time.perf_counter()
    page.goto(server)
    wait_for_app(page)
    load_s = time.perf_counter() - started
    before = top_names(page)
    assert len(before) == 10 and all(before)

    for label in ("Exit firmness", "Russian footprint", "Sector priority", "Incentive fit",
                  "Regional presence", "Production intensity", "Compliance risk"):
        set_slider(page, label, "Home")
        wait_idle(page)
    moved = time.perf_counter()
    set_slider(page, "Company scale", "End")
    after = wait_for_change(page, before)
    slider_s = time.perf_counter() - moved
    assert after != before
    # The app writes the address bar in the rerun the move starts (no widget is bound to the URL).
    page.wait_for_function("() => location.search.includes('w_company_scale=100')", timeout=15_000)
    print(f"\npage load {load_s * 1000:.0f} ms; slider-to-table {slider_s * 1000:.0f} ms")


def test_the_ranking_downloads_as_the_table_shows_it(server, page, tmp_path):
    from openpyxl import load_workbook

    page.goto(f"{server}/?w_company_scale=100&lang=ru")
    wait_for_app(page)
    shown = top_names(page)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Скачать рейтинг (.xlsx)").click()
    path = tmp_path / "ranking.xlsx"
    download.value.save_as(path)
    book = load_workbook(path)
    assert book.sheetnames == ["Рейтинг", "Как рассчитано"]  # built on click, still in the page's language
    names = [row[1] for row in book.worksheets[0].iter_rows(min_row=2, max_row=11, values_only=True)]
    assert names == shown
    how = {item: value for item, value in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert "w_company_scale=100" in how["Ссылка на этот вид"]


def test_the_quadrant_chart_is_drawn_and_the_order_switch_reorders_the_table(server, page):
    page.goto(server)
    wait_for_app(page)
    # The charts are built when their section is opened (a first visit draws the table alone).
    page.get_by_text("Charts: who is likely to come, and what the scores are made of").click()
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.first.wait_for(state="attached", timeout=30_000)
    assert charts.count() >= 2  # the quadrant chart and the contribution bars
    before = top_names(page)
    page.get_by_text("Value to Kazakhstan", exact=True).first.click()  # the sidebar's order switch
    after = wait_for_change(page, before)
    assert after != before
    page.wait_for_function("() => location.search.includes('order=value')", timeout=15_000)
