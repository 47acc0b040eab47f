"""Relocation Radar: routes the pages and draws the shared sidebar. No business logic here."""

import streamlit as st

from lib import ui
from lib.i18n import _

st.set_page_config(page_title="Relocation Radar", page_icon=":material/radar:", layout="wide")

ui.start_run()
title = st.sidebar.empty()  # the app's name above the language switch, written once the language is known
# Language first: every label below, sidebar included, is drawn in it.
ui.language_switch()

pages = [
    st.Page("pages/rank.py", title=_("Rank candidates"), icon=":material/leaderboard:", url_path="ranking",
            default=True),
    st.Page("pages/company.py", title=_("Company profile"), icon=":material/business:", url_path="company"),
    st.Page("pages/incentives.py", title=_("Incentive packages"), icon=":material/savings:", url_path="incentives"),
    st.Page("pages/scenarios.py", title=_("Scenarios"), icon=":material/compare_arrows:", url_path="scenarios"),
    st.Page("pages/outreach.py", title=_("Outreach pipeline"), icon=":material/handshake:", url_path="outreach"),
    st.Page("pages/quality.py", title=_("Decision quality"), icon=":material/balance:", url_path="quality"),
    st.Page("pages/backtest.py", title=_("Back-test"), icon=":material/history:", url_path="backtest"),
    st.Page("pages/weighting.py", title=_("Group weighting"), icon=":material/groups:", url_path="weighting"),
    st.Page("pages/data.py", title=_("Data"), icon=":material/database:", url_path="data"),
    st.Page("pages/methodology.py", title=_("Methodology and sources"), icon=":material/menu_book:",
            url_path="methodology"),
]
# The ranking is the home page ("/"); "/rank" typed by hand (or in an old link) leads there too.
pages.append(st.Page("pages/rank.py", title=_("Rank candidates"), url_path="rank", visibility="hidden"))
page = st.navigation(pages)
title.title(_("Relocation Radar"))
with ui.store_guard():  # a store that breaks mid-run: one message, no traceback, no server path
    view = ui.scoring_sidebar(page.url_path)
    ui.run_page(page, view)  # the page takes the view with ui.page_view()
