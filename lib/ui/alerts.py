"""Alerts in the app: the sidebar's unread count, the Outreach page's list with "mark as read", the profile's
watch toggle. Public viewers see none of them (lib/alerts.py checks the role again)."""

from __future__ import annotations

import streamlit as st

from lib import alerts
from lib.i18n import _, fmt_date, md_text, ngettext
from lib.ui.account import current_user
from lib.ui.state import get_store


def alerts_badge() -> None:
    """The signed-in user's unread alerts as a link to the Outreach page, in the sidebar."""
    user = current_user()
    if not user.can_see_pipeline:
        return
    count = alerts.unread_count(get_store(), user)
    if count:
        st.sidebar.page_link("pages/outreach.py", icon=":material/notifications_active:",
                             label=ngettext("%(n)d unread alert", "%(n)d unread alerts", count) % {"n": count},
                             help=_("Changes to companies you own on the shortlist or watch"))
    else:
        st.sidebar.caption(_("No unread alerts on the companies you follow."))


def alerts_panel() -> None:
    """The user's unread alerts, newest first, each with its company, what changed and the source; mark as read."""
    user, store = current_user(), get_store()
    st.subheader(_("Alerts"))
    unread = alerts.alerts_for(store, user)
    watched = alerts.watched_ids(store, user)
    st.caption(ngettext("You follow %(n)d company: those you own on the shortlist and those you watch (Company "
                        "profile).", "You follow %(n)d companies: those you own on the shortlist and those you watch "
                        "(Company profile).", len(watched)) % {"n": len(watched)})
    if watched:
        with st.expander(_("Companies you follow")):
            st.markdown("\n".join(f"- {md_text(name)}" for name in alerts.company_names(store, watched)))
    if unread.empty:
        st.info(_("No unread alerts. You hear here when a company you follow changes its Russia status, facts or "
                  "incentive eligibility."))
        return
    shown = unread.assign(created_at=[fmt_date(t.date()) for t in unread["created_at"]],
                          kind=unread["kind"].map(lambda k: _(alerts.KIND_LABELS.get(k, k))))
    picked = st.dataframe(
        shown, hide_index=True, key="alerts_table", on_select="rerun", selection_mode="multi-row",
        column_order=["created_at", "company", "kind", "summary", "source"],
        column_config={"created_at": _("When"), "company": _("Company"), "kind": _("What changed"),
                       "summary": _("Change"), "source": _("Source")})
    rows = [i for i in picked.selection.rows if i < len(unread)]
    left, right = st.columns(2)
    if left.button(_("Mark selected as read"), key="alerts_read_selected", disabled=not rows):
        alerts.mark_read(store, user, unread.iloc[rows]["alert_id"])
        st.rerun()
    if right.button(_("Mark all as read"), key="alerts_read_all"):
        alerts.mark_read(store, user, unread["alert_id"])
        st.rerun()


def watch_toggle(company_id: int, name: str) -> None:
    """Follow a company from its profile (signed-in users; owners of its shortlist entry follow it anyway)."""
    user = current_user()
    if not user.can_see_pipeline:
        return
    store = get_store()
    watching = company_id in alerts.watched_ids(store, user)
    wanted = st.toggle(_("Watch this company"), value=watching, key=f"watch_{company_id}",
                       help=_("Get an alert (sidebar, Outreach page, e-mail digest) when its Russia status, facts or "
                              "incentive eligibility change."))
    if wanted != watching:
        (alerts.watch if wanted else alerts.unwatch)(store, user, company_id)
        st.toast(_("Watching %(name)s") % {"name": md_text(name)} if wanted
                 else _("No longer watching %(name)s") % {"name": md_text(name)})
