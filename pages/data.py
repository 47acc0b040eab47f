"""Data page: import company lists (preview, then apply), edit sectors and incentive rules, audit log, exports."""

from datetime import date

import streamlit as st

from lib import steward, ui
from lib.alerts import watched_by_anyone
from lib.auth import PermissionDenied
from lib.i18n import _, fmt_number, md_text, ngettext
from lib.importer import (
    FORMAT_LABELS,
    ImportRefused,
    ImportRejected,
    apply_import,
    preview_frames,
    preview_import,
    status_change_frame,
)
from lib.ui.screening import sanctions_lists_panel

ui.page_view()  # first: this page needs no view, but a page run alone must go through app.py

store = ui.get_store()
user = ui.current_user()
st.title(_("Data"))
st.caption(_("Refresh the company list from the public trackers or the agency's spreadsheets, edit sector "
             "priorities and incentive rules, and see who changed what. Every change is checked first, written "
             "all at once or not at all, and recorded in the audit log."))
if not user.can_edit:
    st.info(_("You are signed in as a viewer: you can look at and export the data, but not change it."))


(tab_import, tab_research, tab_sectors, tab_company_sector, tab_packages, tab_outcomes, tab_sanctions, tab_audit,
 tab_export) = st.tabs([_("Import companies"), _("Research queue"), _("Sector priorities"), _("Company sectors"),
                        _("Incentive packages"), _("Outcomes"), _("Sanctions lists"), _("Audit log"),
                        _("Export and backup")])

with tab_import:
    # Uploads and their previews cost the server memory and time: editors only, never anonymous visitors.
    if not user.can_edit:
        st.info(_("Importing is for editors: sign in as an editor to upload a company list."))
    uploaded = st.file_uploader(_("Company list: CSV or Excel (.xlsx), up to 50 MB"),
                                type=["csv", "tsv", "txt", "xlsx"], key="import_file", max_upload_size=50,
                                help=_("Yale CELI list, KSE Institute #LeaveRussia tracker, this app's own export, "
                                       "or a spreadsheet with the same column names. Encoding and separator are "
                                       "detected.")) if user.can_edit else None
    st.download_button(_("Empty template to fill in (.xlsx)"),
                       data=ui.in_this_language(steward.import_template_xlsx, store),
                       on_click="ignore", file_name="relocation_radar_import_template.xlsx", icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       help=_("The columns this page reads, a sheet on how to fill each one, and the sector codes. "
                              "Empty cells never erase stored values."))
    if (done := st.session_state.pop("import_done", None)) is not None:
        st.success(_("Imported %(file)s: %(added)d added, %(updated)d updated, %(statuses)d tracker statuses "
                     "recorded.") % {"file": md_text(done.source_file), "added": done.added, "updated": done.updated,
                                     "statuses": done.tracker_statuses})
        if done.status_changes:  # what the owners and watchers of these companies are now alerted to
            st.info(ngettext("The current Russia status of %(n)d company changed: %(list)s",
                             "The current Russia status of %(n)d companies changed: %(list)s", len(done.status_changes))
                    % {"n": len(done.status_changes), "list": md_text("; ".join(
                        f"{c['name']} ({_(c['before'])} → {_(c['after'])})" for c in done.status_changes))})
    if uploaded is not None:
        cache_key = (uploaded.file_id, store.ranking_version())
        preview = None
        try:
            if st.session_state.get("import_preview_key") != cache_key:
                with ui.step_progress(_("Reading and checking %(file)s:") % {"file": md_text(uploaded.name)}) as step:
                    st.session_state["import_preview"] = preview_import(store, uploaded.getvalue(), uploaded.name,
                                                                        progress=step)
                st.session_state["import_preview_key"] = cache_key
            preview = st.session_state["import_preview"]
        except ImportRefused as exc:
            st.error(md_text(exc))
        if preview is not None:
            frames = preview_frames(preview)
            st.caption(_("Recognised as: %(format)s · encoding %(encoding)s · separator %(sep)s · %(rows)s rows")
                       % {"format": _(FORMAT_LABELS[preview.file_format]), "encoding": preview.encoding or "xlsx",
                          "sep": {",": _("comma"), ";": _("semicolon"), "\t": _("tab")}.get(preview.delimiter, "—"),
                          "rows": fmt_number(preview.rows_read)})
            cols = st.columns(5)
            for col, label, value in zip(cols, [_("To add"), _("To update"), _("Tracker statuses"), _("Unchanged"),
                                                _("Rejected rows")],
                                         [preview.add_count, len(preview.updates), len(preview.tracker_statuses),
                                          preview.unchanged, preview.rejected_rows], strict=True):
                col.metric(label, fmt_number(value))
            if preview.unknown_columns:
                st.warning(_("These columns are not imported: %(columns)s")
                           % {"columns": md_text(", ".join(preview.unknown_columns))})
            for column, reason in preview.ignored_columns.items():
                st.caption(_("Column %(column)s is left out: %(reason)s")
                           % {"column": md_text(column), "reason": _(reason)})
            for warning in preview.warnings:
                st.caption(md_text(warning))
            if preview.errors:
                ui.rejected_rows(preview.errors, ngettext("%(n)s row is rejected:", "%(n)s rows are rejected:",
                                                          preview.rejected_rows)
                                 % {"n": fmt_number(preview.rejected_rows)}, "import_rejected")
            changes = status_change_frame(preview, watched_by_anyone(store) if user.can_see_pipeline else set())
            if not changes.empty:  # companies someone follows first: their owners hear of it on apply
                with st.expander(_("Russia status changes (%(n)s; %(w)s of companies someone follows)")
                                 % {"n": fmt_number(len(changes)), "w": fmt_number(int(changes["watched"].sum()))},
                                 expanded=True):
                    st.dataframe(changes.drop(columns="company_id"), hide_index=True, key="import_status_changes")
            if not frames["adds"].empty:
                with st.expander(_("Companies to add (%(n)s)") % {"n": fmt_number(len(frames["adds"]))}):
                    st.dataframe(frames["adds"], hide_index=True, key="import_adds")
            if not frames["changes"].empty:
                with st.expander(_("Changes, field by field (%(n)s)") % {"n": fmt_number(len(frames["changes"]))},
                                 expanded=True):
                    st.dataframe(frames["changes"], hide_index=True, key="import_changes")
            if not frames["statuses"].empty:
                with st.expander(_("Statuses from %(tracker)s added to the status history (%(n)s differ from the "
                                   "current status)")
                                 % {"tracker": _(FORMAT_LABELS[preview.file_format]),
                                    "n": fmt_number(int(frames["statuses"]["disagree"].sum()))}):
                    st.dataframe(frames["statuses"], hide_index=True, key="import_statuses")
            skip = preview.errors and st.checkbox(_("Skip the rejected rows and import the rest"), key="import_skip")
            if not preview.has_changes:
                st.info(_("Nothing to import: the store already holds everything in this file."))
            elif st.button(_("Apply the import"), type="primary", key="import_apply",
                           disabled=not user.can_edit or bool(preview.errors and not skip)):
                try:
                    with ui.step_progress(_("Writing the changes in one transaction:")) as step:
                        st.session_state["import_done"] = apply_import(store, user, preview,
                                                                       skip_rejected=bool(skip), progress=step)
                    st.rerun()
                except (ImportRejected, PermissionDenied) as exc:
                    st.error(md_text(exc))

for tab, frame, save, what in (
    (tab_sectors, store.sectors(), steward.save_sectors, "sectors"),
    (tab_packages, steward.flat_lists(store.incentive_packages()), steward.save_incentive_packages, "packages"),
):
    with tab:
        ui.steward_editor(what, frame, save, store, user)

with tab_research:
    ui.research_panel(store, user)

with tab_company_sector:
    ui.company_sector_form(store, user)

with tab_outcomes:
    ui.outcomes_panel(store, user)

with tab_sanctions:
    sanctions_lists_panel(store, user)

with tab_audit:
    if not user.can_see_pipeline:  # the log records shortlist changes and notes: pipeline data
        st.info(_("The audit log is for signed-in colleagues and editors."), icon=":material/lock:")
    else:
        ui.audit_panel(store, user)

with tab_export:
    st.caption(_("Exports are safe to open in Excel: cells that start with = + - @ are written as text."))
    today = date.today().isoformat()
    st.download_button(_("Companies (CSV)"), data=lambda: steward.companies_csv(store), on_click="ignore",
                       file_name=f"relocation_radar_companies_{today}.csv", mime="text/csv")
    if user.can_edit:  # both hold the shortlist, its notes and the audit log
        st.download_button(_("All tables (Excel .xlsx)"), data=lambda: steward.store_xlsx(store, user),
                           on_click="ignore", file_name=f"relocation_radar_{today}.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        st.download_button(_("Full backup (DuckDB export, Parquet, zip)"),
                           data=lambda: steward.backup_zip(store, user), on_click="ignore",
                           file_name=f"relocation_radar_backup_{today}.zip", mime="application/zip",
                           help=_("Restore with IMPORT DATABASE into an empty DuckDB file; manifest.json lists row "
                                  "counts and checksums."))
    else:
        st.caption(_("The full backup and the all-tables workbook hold the outreach pipeline: editors only."))
