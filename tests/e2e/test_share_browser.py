"""Real Chromium: tune weights and a filter, take the URL, open it in a fresh browser context, same top 10."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import top_names, wait_for_app, wait_idle

pytestmark = pytest.mark.e2e


def press_slider(page, label: str, key: str) -> None:
    slider = page.get_by_role("slider", name=label)
    slider.focus()
    slider.press(key)
    wait_idle(page)


def settled_top(page, expected: list[str], timeout_s: float = 20.0) -> list[str]:
    """The sender's top names once its last rerun has drawn them: polls until they equal `expected`.

    Returns the last names read, so a link that lost part of the view fails with the difference shown.
    """
    deadline = time.monotonic() + timeout_s
    names = top_names(page, len(expected))
    while names != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        names = top_names(page, len(expected))
    return names


def open_in_new_context(browser, url: str):
    """A colleague's browser: no cookies, no session, nothing shared with the sender."""
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    page = context.new_page()
    page.goto(url)
    wait_for_app(page)
    return context, page


def test_link_reproduces_the_top_ten_in_a_fresh_browser(server, page, browser):
    page.goto(server)
    wait_for_app(page)
    default_top = top_names(page)

    press_slider(page, "Exit firmness", "Home")
    press_slider(page, "Sector priority", "Home")
    for _step in range(6):
        press_slider(page, "Production intensity", "ArrowRight")
    page.get_by_text("Exclude high compliance risk").click()
    # The address bar changes as soon as the widget does; the table follows after the rerun.
    page.wait_for_function("() => location.search.includes('no_high_risk=true')")
    wait_idle(page)
    link = page.url
    query = parse_qs(urlsplit(link).query)
    assert query["w_exit_firmness"] == ["0"] and query["no_high_risk"] == ["true"]
    assert int(query["w_production_intensity"][0]) > 10  # moved up from its default

    context, colleague = open_in_new_context(browser, link)
    try:
        colleague_top = top_names(colleague)  # a fresh page after one complete run: settled
        # The colleague's address bar keeps every parameter, so their own link is as good as the sender's.
        assert parse_qs(urlsplit(colleague.url).query) == query
    finally:
        context.close()
    assert colleague_top != default_top and all(colleague_top)
    assert settled_top(page, colleague_top) == colleague_top

    # The "Share this view" box gives the same view as a full address.
    page.get_by_text("Share this view").click()
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"] code').first.text_content().strip()
    assert link.startswith(server)
    context, colleague = open_in_new_context(browser, link)
    try:
        assert top_names(colleague) == colleague_top
    finally:
        context.close()


def test_hostile_link_shows_a_note_and_the_default_ranking(server, page, browser):
    page.goto(server)
    wait_for_app(page)
    default_top = top_names(page)
    context, colleague = open_in_new_context(
        browser, f"{server}/?w_exit_firmness=%3Cscript%3Ealert(1)%3C/script%3E&method=electre&{'x' * 5000}=1")
    try:
        note = colleague.locator('[data-testid="stAlert"]').filter(has_text="could not be used")
        assert note.count() == 1
        assert "<script>" not in note.inner_html()
        assert top_names(colleague) == default_top
    finally:
        context.close()


@pytest.mark.parametrize("path, heading", [("incentives", "Incentive packages"), ("methodology", "Methodology")])
def test_share_link_on_another_page_names_it_once_and_opens_it(server, page, browser, path, heading):
    page.goto(f"{server.rstrip('/')}/{path}?lang=en")
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_text("Share this view").click()
    code = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first
    code.wait_for(timeout=15_000)
    link = code.text_content().strip()
    assert f"/{path}/{path}" not in link and urlsplit(link).path.rstrip("/").endswith(f"/{path}")
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    try:
        colleague = context.new_page()
        colleague.goto(link)
        title = colleague.locator('[data-testid="stMain"] h1').first
        title.wait_for(timeout=60_000)  # a page named twice stayed blank: no title ever came
        assert heading in title.text_content()
    finally:
        context.close()


def test_a_participant_opens_the_rounds_link_and_sees_that_round(server, page, browser):
    # The server holds its store file (DuckDB lock), so the round is opened through the page, as an editor would.
    page.goto(f"{server.rstrip('/')}/weighting?lang=en")
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
    wait_idle(page)
    page.get_by_label("Open a new round").fill("Committee, test")
    page.get_by_role("button", name="Open the round").click()
    wait_idle(page)
    link = page.locator('[data-testid="stMain"] [data-testid="stCode"]').first.text_content().strip()
    assert "round=" in link and "/weighting" in link
    # A newer round opens too: without its link, a participant would land on that one.
    page.get_by_label("Open a new round").fill("Committee, later")
    page.get_by_role("button", name="Open the round").click()
    expect(page.locator('[data-testid="stMain"] [data-testid="stCode"]').first).not_to_have_text(link, timeout=30_000)
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    try:
        colleague = context.new_page()
        colleague.goto(link)
        colleague.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
        # The round the link names is the one selected: its own link (round=<id>) is shown, and the form is open.
        shown = colleague.locator('[data-testid="stMain"] [data-testid="stCode"]').first
        shown.wait_for(timeout=60_000)
        round_id = parse_qs(urlsplit(link).query)["round"][0]
        assert shown.text_content().strip().endswith(f"/weighting?round={round_id}")
        colleague.get_by_role("button", name="Submit my weighting").wait_for(timeout=30_000)
    finally:
        context.close()


def test_rank_typed_in_the_address_bar_opens_the_ranking_with_its_parameters(server, page):
    page.goto(f"{server.rstrip('/')}/rank?lang=en&status=Suspension")
    wait_for_app(page)
    title = page.locator('[data-testid="stMain"] h1').first
    expect(title).to_have_text("Relocation candidates", timeout=30_000)
    assert "Page not found" not in page.locator('[data-testid="stMain"]').inner_text()
    status_box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').nth(2)
    assert "Suspension" in status_box.text_content()
