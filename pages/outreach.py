"""Outreach page: the shortlist as a team's working list: stage, owner, next step, notes, exports."""

import streamlit as st

from lib import shortlist as sl
from lib import ui
from lib.briefing import briefing_explaining_likelihood, briefing_filename
from lib.charts import pipeline_sector_chart, pipeline_stage_chart
from lib.i18n import (
    _,
    fmt_date,
    fmt_number,
    grid_date_format,
    grid_number_format,
    md_text,
    ngettext,
    translate,
)
from lib.ui import outreach_form as form
from lib.ui.alerts import alerts_panel

view = ui.page_view()  # first: the view app.py passes on (and a page run alone goes through app.py)

store = ui.get_store()
user = ui.current_user()
can_edit = user.can_edit  # the lib functions check again, server side
st.title(_("Outreach pipeline"))
if not user.can_see_pipeline:  # public link: companies asked not to be named while talks run
    st.info(_("The outreach pipeline is for signed-in colleagues: companies in talks asked not to be named. "
              "Sign in (sidebar) to see it."), icon=":material/lock:")
    st.stop()
if not can_edit:
    st.info(_("You can read the shortlist; sign in as an editor to change it."))
if flash := st.session_state.pop("of_flash", None):
    st.success(flash)
alerts_panel()  # changes to the companies this user owns or watches, with "mark as read"
# Confidential entries (the company asked not to be named while talks run): editors only, shown on request,
# and every reveal and export is in the audit log.
reveal = can_edit and st.toggle(_("Show confidential entries"), key="of_reveal",
                                help=_("Entries marked confidential are hidden from colleagues everywhere. Showing "
                                       "or exporting them is recorded in the audit log."))
everything = sl.shortlist_frame(store, include_removed=True, include_confidential=reveal)
if reveal and not st.session_state.get("of_revealed"):
    sl.record_confidential_access(store, user, everything["company_id"], None)
    st.session_state["of_revealed"] = True
frame = everything[~everything["removed"]]
if frame.empty:
    st.info(_("No company is on the shortlist yet. Select rows in the ranked table and press "
              "\"Add selected to the shortlist\"."))
    st.page_link("pages/rank.py", label=_("Go to the ranked candidates"), icon=":material/leaderboard:")

left, right = st.columns(2)
stages = left.multiselect(_("Stage"), sl.STAGES, format_func=_, key="of_f_stage", placeholder=_("All stages"))
owners = right.multiselect(_("Owner"), sl.owners(frame), key="of_f_owner", placeholder=_("All owners"),
                           format_func=lambda o: o or _("Unassigned"))
shown = sl.filter_frame(frame, stages, owners)
cols = st.columns(4)
cols[0].metric(_("On the shortlist"), fmt_number(len(shown)))
cols[1].metric(_("Open"), fmt_number((~shown["stage"].isin(sl.CLOSED_STAGES)).sum()))
cols[2].metric(_("Overdue next steps"), fmt_number(shown["overdue"].sum()))
cols[3].metric(_("Committed"), fmt_number((shown["stage"] == "Committed").sum()))
if not shown.empty:
    chart_left, chart_right = st.columns(2)
    chart_left.altair_chart(pipeline_stage_chart(shown), width="stretch")
    chart_right.altair_chart(pipeline_sector_chart(shown), width="stretch")

table = shown.assign(stage=shown["stage"].map(translate), contact_status=shown["contact_status"].map(translate),
                     sector_name=shown["sector_name"].map(translate), owner=shown["owner"].fillna(_("Unassigned")))
st.dataframe(
    table.style.apply(lambda r: ["background-color: #fde2e1" if r["overdue"] else ""] * len(r), axis=1),
    hide_index=True, key="of_table",
    column_order=["overdue", "name", "sector_name", "stage", "contact_status", "owner", "next_step", "due_date",
                  "score_at_add", "rank_at_add", "notes"],
    column_config={
        "overdue": st.column_config.CheckboxColumn(_("Overdue"), help=_("Next step due before today")),
        "name": _("Company"), "sector_name": st.column_config.TextColumn(_("Sector"), width="medium"),
        "stage": _("Stage"), "contact_status": _("Contact status"),
        "owner": _("Owner"), "next_step": _("Next step"),
        "due_date": st.column_config.DateColumn(_("Due date"), format=grid_date_format()),
        "score_at_add": st.column_config.NumberColumn(_("Score when shortlisted"), **grid_number_format(3)),
        "rank_at_add": st.column_config.NumberColumn(_("Rank when shortlisted")),
        "notes": st.column_config.NumberColumn(_("Notes")),
    })
down_left, down_right, _gap = st.columns([1, 1, 4])


def exported(build, file_name: str):
    """A download builder that records an export of confidential rows before building the file."""
    def run() -> bytes:
        if reveal:
            sl.record_confidential_access(store, user, shown["company_id"], file_name)
        return build(shown)
    return run


down_left.download_button(_("Download .xlsx"), ui.in_this_language(exported(sl.shortlist_xlsx, "shortlist.xlsx")),
                          file_name="shortlist.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          icon=":material/download:", key="of_xlsx", on_click="ignore")
down_right.download_button(_("Download CSV"), ui.in_this_language(exported(sl.shortlist_csv, "shortlist.csv")),
                           file_name="shortlist.csv",
                           mime="text/csv", icon=":material/download:", key="of_csv", on_click="ignore")
st.caption(ngettext("The downloads hold the %(n)s row shown above.", "The downloads hold the %(n)s rows shown above.",
                    len(shown)) % {"n": fmt_number(len(shown))})

if not shown.empty:
    st.subheader(_("Work on a company"))
    names = dict(zip(shown["company_id"], shown["name"], strict=True))
    if st.session_state.get("of_company") not in names:
        st.session_state.pop("of_company", None)  # removed or filtered out since
    company_id = st.selectbox(_("Company"), list(names), format_func=names.__getitem__, key="of_company")
    entry = sl.get_entry(store, company_id)
    # Reload when another company is picked, or when Streamlit dropped the form's state (page switch).
    if st.session_state.get("of_base", (None,))[0] != company_id or not form.FORM.keys() <= form.form_state():
        form.load_form(entry)
    if failure := st.session_state.pop("of_error", None):
        exc, attempted = failure
        st.error(md_text(exc))
        if attempted is not None:
            st.dataframe(sl.compare_frame(exc.latest, attempted), hide_index=True, key="of_compare")
            st.button(_("Load the latest version"), key="of_reload", on_click=form.load_form, args=(exc.latest,),
                      type="primary")
    elif entry.version != st.session_state["of_base"][1]:
        st.warning(_("Someone saved a newer version of this entry (version %(v)d) since you opened it.")
                   % {"v": entry.version})
        st.button(_("Load the latest version"), key="of_reload", on_click=form.load_form, args=(entry,))

    with st.form("of_form"):
        a, b = st.columns(2)
        a.selectbox(_("Stage"), sl.STAGES, format_func=_, key=form.FORM["stage"])
        b.selectbox(_("Contact status"), sl.CONTACT_STATUSES, format_func=_, key=form.FORM["contact_status"])
        a.text_input(_("Owner"), key=form.FORM["owner"], max_chars=120)
        b.date_input(_("Due date"), key=form.FORM["due_date"], value=None, format="DD.MM.YYYY")
        st.text_input(_("Next step"), key=form.FORM["next_step"], max_chars=500)
        st.text_area(_("Add a note"), key="of_note", max_chars=4000, height=80,
                     help=_("Notes are kept with their author and time; they are never overwritten."))
        st.form_submit_button(_("Save"), type="primary", on_click=form.save, args=(company_id,), key="of_save",
                              disabled=not can_edit)

    if can_edit:
        secret = bool(entry.confidential)
        st.button(_("Remove the confidential mark") if secret else _("Mark as confidential"), key="of_confidential",
                  icon=":material/visibility:" if secret else ":material/visibility_off:",
                  help=_("A confidential entry is hidden from colleagues on every page and in every export."),
                  on_click=form.act, args=(sl.set_confidential, company_id,
                                           _("The confidential mark was removed.") if secret else
                                           _("Marked confidential: only editors see it now."), not secret))

    st.download_button(_("Download the briefing (HTML, printable)"), icon=":material/description:", key="of_brief",
                       on_click="ignore",
                       data=ui.in_this_language(briefing_explaining_likelihood, store, ui.get_universe(), company_id,
                                                view.settings(), view.filters(),
                                                ui.get_likelihood()[0]),
                       file_name=briefing_filename(names[company_id]), mime="text/html")
    history = sl.history_frame(store, company_id)
    with st.expander(_("Notes and history (%(n)d)") % {"n": len(history)}):
        st.dataframe(history, hide_index=True, key="of_history", column_config={
            "changed_at": st.column_config.DatetimeColumn(_("When"), format=grid_date_format(with_time=True)),
            "actor": _("Who"), "action": _("What"), "details": _("Details")})
    if st.session_state.get("confirm_remove") == company_id:
        st.warning(_("Remove %(name)s from the shortlist? Its notes and history are kept, and it can be restored "
                     "below.") % {"name": md_text(names[company_id])})
        yes, no, _gap = st.columns([1, 1, 3])
        removed_text = _("%(name)s was removed; restore it below if that was a mistake.") % {
            "name": md_text(names[company_id])}
        yes.button(_("Yes, remove"), key="of_remove_yes", type="primary", on_click=form.act,
                   args=(sl.remove_entry, company_id, removed_text, entry.version))
        no.button(_("Cancel"), key="of_remove_no", on_click=st.session_state.pop, args=("confirm_remove",))
    else:
        st.button(_("Remove from the shortlist"), key="of_remove", icon=":material/delete:", disabled=not can_edit,
                  on_click=st.session_state.__setitem__, args=("confirm_remove", company_id))

removed = everything[everything["removed"]]
if not removed.empty:
    with st.expander(_("Removed from the shortlist (%(n)d)") % {"n": len(removed)}):
        gone = {r["company_id"]: _("%(name)s — removed %(date)s by %(who)s") % {
            "name": r["name"], "who": r["removed_by"], "date": fmt_date(r["removed_at"].date())}
            for r in removed.to_dict("records")}
        pick = st.selectbox(_("Company"), list(gone), key="of_removed", format_func=gone.__getitem__)
        st.button(_("Restore to the shortlist"), key="of_restore", on_click=form.act, disabled=not can_edit,
                  args=(sl.restore_entry, pick, _("Back on the shortlist.")))
