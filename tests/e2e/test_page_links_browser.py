"""Real Chromium, every page: open a view, the address bar keeps it, and the page's "Share this view" link opens
the same page with the same values in a colleague's fresh browser (ranked names, company, K, assumptions)."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.helpers import top_names, wait_idle

pytestmark = pytest.mark.e2e

# The shared sidebar's view, away from every default: it must survive on every page.
VIEW = "lang=en&method=topsis&w_exit_firmness=0&w_company_scale=60&sector=IND&status=Withdrawal&status=Suspension"
SIDEBAR = {"method": ["topsis"], "w_exit_firmness": ["0"], "w_company_scale": ["60"], "sector": ["IND"],
           "status": ["Withdrawal", "Suspension"]}


def main_text(page, selector: str) -> str:
    return page.locator(f'[data-testid="stMain"] {selector}').first.inner_text()


def number(page, label: str) -> str:
    return page.get_by_label(label, exact=True).input_value()


def checked(page, label: str) -> bool:
    return page.get_by_role("radio", name=label, exact=True).is_checked()


# path, the page's own parameters, what the page shows of them (read the same way in both browsers)
PAGES = [
    ("", "", lambda p: {"ranked": top_names(p)}),
    ("company", "company=3M&explain_k=5", lambda p: {"company": main_text(p, "h2"),
                                                     "k": number(p, "Top places that count (K)")}),
    ("incentives", "inc_invest=250&inc_years=12", lambda p: {"invest": number(p, "Investment, USD million")}),
    ("quality", "rob_k=5&rob_unc=high", lambda p: {"k": number(p, "Top places that count (K)"),
                                                   "high": checked(p, "High: the weights are a rough guess")}),
    ("scenarios", "compare_top_n=7", lambda p: {"top_n": number(p, "Top N")}),
    ("methodology", "", lambda p: {}),
    ("backtest", "bt_facts=current&bt_levels=confirmed&bt_levels=press",
     lambda p: {"today": checked(p, "Today's facts"),
                "levels": p.locator('[data-testid="stMain"] [data-testid="stMultiSelect"]').all_inner_texts()}),
    ("weighting", "", lambda p: {}),
    ("outreach", "", lambda p: {}),
    ("data", "", lambda p: {}),
]
# What each page's own state must read in the sender's browser (so a link that lost it cannot pass).
EXPECTED = {"company": {"company": "3M", "k": "5"}, "incentives": {"invest": "250.00"},
            "quality": {"k": "5", "high": True}, "scenarios": {"top_n": "7"}, "backtest": {"today": True}}


def opened(context, url: str):
    page = context.new_page()
    page.goto(url)
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=60_000)
    page.get_by_role("slider", name="Exit firmness").wait_for(timeout=60_000)
    # The filters come last in the sidebar: a quick idle check can pass before they are drawn.
    page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').last.wait_for(timeout=60_000)
    wait_idle(page, 60_000)
    return page


def sidebar(page) -> dict:
    side = page.locator('[data-testid="stSidebar"]')  # the Group weighting page has sliders of the same names
    return {"topsis": checked(page, "TOPSIS"),
            "exit": side.get_by_role("slider", name="Exit firmness").input_value(),
            "scale": side.get_by_role("slider", name="Company scale").input_value(),
            "filters": page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').all_inner_texts()}


def settled(read, expected, seconds: float = 20.0):
    """What `read()` returns once it equals `expected`, or its last value after `seconds`: a page still drawing
    its lower widgets (the profile's K is far down) can be read a moment before its value arrives."""
    deadline = time.monotonic() + seconds
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        value = read()
    return value


@pytest.mark.parametrize("path, params, shows", PAGES, ids=[p[0] or "rank" for p in PAGES])
def test_a_pages_link_opens_the_same_page_with_the_same_values(server, browser, path, params, shows):
    url = f"{server.rstrip('/')}/{path}?{VIEW}" + (f"&{params}" if params else "")
    sender_context = browser.new_context(viewport={"width": 1600, "height": 1200})
    colleague_context = browser.new_context(viewport={"width": 1600, "height": 1200})
    try:
        sender = opened(sender_context, url)
        if path == "":
            sender.wait_for_selector('[data-testid="stDataFrame"] [role="gridcell"]', state="attached")
        # The address bar keeps every parameter the page was opened with (a reload opens the same view).
        in_bar = parse_qs(urlsplit(sender.url).query)
        assert {k: in_bar.get(k) for k in SIDEBAR} == SIDEBAR
        assert {k: in_bar.get(k) for k in parse_qs(params)} == parse_qs(params)
        expected = EXPECTED.get(path, {})
        # The sender's page too can be read a moment before its lower widgets have their values (as the colleague's
        # below): wait for them (up to 20 s), then compare the same way.
        assert settled(lambda: {k: shows(sender)[k] for k in expected}, expected) == expected
        before = {**sidebar(sender), **shows(sender)}
        assert before["topsis"] and before["exit"] == "0" and before["scale"] == "60"
        assert "Industrials" in before["filters"][0] and "Suspension" in before["filters"][2]
        assert {k: before[k] for k in expected} == expected

        sender.get_by_text("Share this view").click()
        code = sender.locator('[data-testid="stSidebar"] [data-testid="stCode"] code').first
        code.wait_for(timeout=15_000)
        link = code.text_content().strip()
        assert urlsplit(link).path.rstrip("/") == urlsplit(url).path.rstrip("/")
        assert parse_qs(urlsplit(link).query) == in_bar

        colleague = opened(colleague_context, link)
        if path == "":
            colleague.wait_for_selector('[data-testid="stDataFrame"] [role="gridcell"]', state="attached")
        assert main_text(colleague, "h1") == main_text(sender, "h1")
        assert settled(lambda: {**sidebar(colleague), **shows(colleague)}, before) == before
        if path == "":  # a reload keeps the view too (it fell back to the weighted sum)
            sender.reload()
            sender.wait_for_selector('[data-testid="stDataFrame"] [role="gridcell"]', state="attached")
            wait_idle(sender)
            assert {**sidebar(sender), **shows(sender)} == before
    finally:
        sender_context.close()
        colleague_context.close()
