"""Streamlit glue: the only part of lib/ that imports streamlit. Pages call these helpers as `ui.<name>`.

- state.py: the per-run memo, the view app.py hands the page, the cached store, universe and packages
- sidebar.py: the language switch and the shared sidebar (weights, method, missing data, filters)
- links.py: reading a link safely, applying a saved view, the "Share this view" box
- account.py: who is using the app and what they may do
- widgets.py: the ranked table's selection key, the data editors, downloads in the page's language
- outreach_form.py: the Outreach page's edit form (imported by that page alone)
"""

from lib.ui.account import account_panel, auth_config, current_user
from lib.ui.alerts import alerts_badge, alerts_panel, watch_toggle
from lib.ui.links import apply_view, link_vocabulary, page_state, page_url, read_link_once, share_link
from lib.ui.research import research_panel
from lib.ui.sidebar import (
    METHOD_LABELS,
    MISSING_LABELS,
    language_switch,
    normalised_weights_text,
    scoring_sidebar,
    set_weights,
)
from lib.ui.state import (
    current_assumptions,
    current_ranking,
    current_view,
    get_backtest,
    get_disagreeing,
    get_likelihood,
    get_packages,
    get_research_queue,
    get_rule_sources,
    get_screening,
    get_store,
    get_universe,
    page_view,
    run_page,
    sector_names,
    start_run,
    store_guard,
)
from lib.ui.widgets import (
    audit_panel,
    company_sector_form,
    edited_table,
    in_this_language,
    outcomes_panel,
    rejected_rows,
    reset_edited_table,
    selection_key,
    step_progress,
    steward_editor,
)

__all__ = [
    "METHOD_LABELS", "MISSING_LABELS", "account_panel", "apply_view", "audit_panel", "auth_config",
    "company_sector_form", "current_assumptions", "get_backtest", "outcomes_panel",
    "current_ranking", "get_likelihood", "current_user", "current_view", "edited_table", "get_packages",
    "get_rule_sources", "get_screening",
    "get_disagreeing", "alerts_badge", "alerts_panel", "watch_toggle",
    "get_store", "get_universe",
    "in_this_language", "language_switch", "link_vocabulary", "normalised_weights_text", "page_state", "page_url",
    "read_link_once", "rejected_rows",
    "research_panel", "get_research_queue", "reset_edited_table", "page_view", "run_page", "scoring_sidebar",
    "sector_names", "selection_key", "set_weights", "share_link", "start_run", "step_progress", "steward_editor",
    "store_guard",
]
