"""The profile's "Screening" section: each list with its date, what matched, and an editor's review of a match.

Imported by the Company page alone; the screening itself is lib/screening.py, computed once per data version.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from lib.auth import PermissionDenied
from lib.i18n import N_, _, fmt_date, md_text, ngettext
from lib.screening import POSSIBLE_AT, ROLE_LABELS, STATUS_LABELS, diversion_text, record_review
from lib.ui.account import current_user
from lib.ui.links import page_state
from lib.ui.state import get_screening, get_store
from lib.viewstate import RankParams

SCREEN_FILTERS = {"all": N_("All companies"), "flagged": N_("Possible or confirmed match"),
                  "clear": N_("No match or cleared"), "diversion": N_("Diversion risk (CHP items)")}
DECISIONS = {"confirmed": N_("Confirmed: it is the listed entry"),
             "cleared": N_("Cleared: it is not the listed entry")}


def screening_filter(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[int, str]]:
    """The Rank page's "Sanctions screening" filter (a link parameter): the rows it keeps, and every company's
    screening status for the table's column. Stops the page, saying so, when no ranked company is left."""
    _screenings, screening = get_screening()
    status_of = dict(zip(screening["company_id"], screening["screening"], strict=True))
    page_state(RankParams)
    shown = st.selectbox(_("Sanctions screening"), list(SCREEN_FILTERS), key="rank_screening",
                         format_func=lambda k: _(SCREEN_FILTERS[k]),
                         help=_("Each company, its group parent and the buyer of its Russian business against the "
                                "sanctions lists (dates on the company's profile), and whether its sector makes "
                                "goods on the allies' Common High Priority list."))
    if shown == "all":
        return table, status_of
    flags = screening.set_index("company_id")
    keep = {"flagged": flags["screening"].isin(["possible", "confirmed"]),
            "clear": flags["screening"].isin(["no_match", "cleared"]),
            "diversion": flags["diversion_risk"].astype(bool)}[shown]
    table = table[table["company_id"].isin(set(flags.index[keep]))]
    st.caption(ngettext("%(n)d company shown.", "%(n)d companies shown.", len(table)) % {"n": len(table)})
    if table.empty:
        st.info(_("No company in the ranking has this screening result."))
        st.stop()
    return table, status_of


def screening_section(company_id: int) -> None:
    """Sanctions screening of the company, its group parent and its Russian business's buyers, and CHP risk."""
    st.subheader(_("Screening"))
    if saved := st.session_state.pop("screening_saved", None):
        st.success(saved)
    screenings, _frame = get_screening()
    screening = screenings.get(int(company_id))
    if screening is None:
        st.info(_("This company has not been screened yet."))
        return
    screened = "; ".join(f"{_(ROLE_LABELS[role])}: {md_text(name)}" for role, name in screening.subjects)
    st.caption(_("Screened names: %(names)s. A name scoring %(at)d or more (of 100) against a listed name is a "
                 "possible match; only an editor's review confirms or clears it.")
               % {"names": screened, "at": POSSIBLE_AT})
    for result in screening.results:
        label = _("%(list)s, published %(date)s: %(status)s") % {
            "list": result.title, "date": fmt_date(result.published), "status": _(STATUS_LABELS[result.status])}
        if result.status == "confirmed":
            st.error(label, icon=":material/gpp_bad:")
        elif result.status == "possible":
            st.warning(label, icon=":material/policy:")
        else:
            st.success(label, icon=":material/verified_user:")
        if result.matches:
            st.dataframe(pd.DataFrame([{
                "who": f"{_(ROLE_LABELS[m.role])}: {m.subject}", "listed": m.primary_name,
                "matched_name": m.listed_name, "score": m.score, "programmes": m.programmes,
                "status": _(STATUS_LABELS[m.status]),
                "review": f"{m.reviewer}: {m.reason}" if m.reviewer else "",
            } for m in result.matches]), hide_index=True, key=f"screening_{result.list_id}", column_config={
                "who": _("Screened name"), "listed": _("Listed entry"), "matched_name": _("Name that matched"),
                "score": st.column_config.NumberColumn(_("Score"), format="%.0f",
                                                       help=_("Similarity of the names, 0 to 100")),
                "programmes": _("Sanctions programme"), "status": _("Result"), "review": _("Review")})
    if screening.diversion_risk:
        st.warning(_("Diversion risk: %(why)s") % {"why": diversion_text(screening)}, icon=":material/warning:")
        st.caption(_("Source: %(source)s (as of %(date)s)") % {
            "source": md_text(screening.chp_items[0]["source"]),
            "date": fmt_date(pd.Timestamp(screening.chp_items[0]["as_of"]).date())})
    else:
        st.caption(diversion_text(screening))
    matches = [m for r in screening.results for m in r.matches]
    if matches and current_user().can_edit:
        _review_form(matches)


def _review_form(matches: list) -> None:
    """An editor confirms or clears one match, with a reason; the review is audited."""
    with st.form("screening_review"):
        st.markdown(_("**Review a match**"))
        choice = st.selectbox(_("Match"), range(len(matches)), key="screening_match", format_func=lambda i: (
            f"{matches[i].subject} → {matches[i].primary_name} ({matches[i].score:.0f})"))
        decision = st.radio(_("Decision"), list(DECISIONS), key="screening_decision",
                            format_func=lambda d: _(DECISIONS[d]), horizontal=True)
        reason = st.text_area(_("Reason"), key="screening_reason", max_chars=2000,
                              placeholder=_("What you checked, e.g. registration number, address, owners"))
        if st.form_submit_button(_("Save the review"), type="primary"):
            match = matches[int(choice)]
            try:
                record_review(get_store(), current_user(), {"subject": match.subject, "list_id": match.list_id,
                                                            "entry_id": match.entry_id, "decision": decision,
                                                            "reason": reason})
            except ValidationError:
                st.error(_("Give a reason of at least ten characters: what you checked and what you found."))
            except (PermissionDenied, ValueError) as exc:
                st.error(md_text(str(exc)))
            else:  # rerun so the lists above show the review
                st.session_state["screening_saved"] = _("Review saved: %(name)s → %(listed)s, %(decision)s.") % {
                    "name": md_text(match.subject), "listed": md_text(match.primary_name),
                    "decision": _(DECISIONS[decision])}
                st.rerun()


def sanctions_lists_panel(store, user) -> None:
    """The Data page's "Sanctions lists": each stored list with its date and counts; an editor replaces one with a
    newer official file (preview first, then one audited transaction)."""
    from datetime import date

    from lib.sanctions_lists import SanctionsFileError, apply_list_import, preview_list_import, stored_lists

    lists = stored_lists(store)
    st.dataframe(lists[["title", "published", "entries", "names", "origin", "licence", "loaded_at", "loaded_by"]],
                 hide_index=True, key="sanctions_lists", column_config={
                     "title": _("List"), "published": st.column_config.DateColumn(_("Published")),
                     "entries": _("Listed entities and people"), "names": _("Names with aliases"),
                     "origin": _("Origin"), "licence": _("Licence"), "loaded_at": _("Loaded"),
                     "loaded_by": _("Loaded by")})
    st.caption(_("Companies, their group parents and the buyers of their Russian businesses are screened against "
                 "these lists; each result names the list's publication date."))
    if (done := st.session_state.pop("sanctions_done", None)) is not None:
        st.success(done)
    if not user.can_edit:
        return
    uploaded = st.file_uploader(_("A newer OFAC SDN file (sdn.xml, or sdn.csv)"), type=["xml", "csv"],
                                key="sanctions_file", max_upload_size=80)
    aliases = st.file_uploader(_("Its aliases (alt.csv), with an sdn.csv"), type=["csv"], key="sanctions_aliases",
                               max_upload_size=20)
    published = st.date_input(_("Publication date (an sdn.csv does not carry it; sdn.xml does)"), value=None,
                              max_value=date.today(), key="sanctions_published")
    if uploaded is None:
        return
    # Reading a 30 MB XML takes seconds: the preview is kept for this file, date and aliases across reruns.
    key = (uploaded.file_id, published, aliases.file_id if aliases is not None else None)
    if st.session_state.get("sanctions_preview_key") != key:
        try:
            st.session_state["sanctions_preview"] = preview_list_import(
                store, uploaded.getvalue(), uploaded.name, published=published,
                aliases=aliases.getvalue() if aliases is not None else None)
        except SanctionsFileError as exc:
            st.session_state["sanctions_preview"] = str(exc)
        st.session_state["sanctions_preview_key"] = key
    preview = st.session_state["sanctions_preview"]
    if isinstance(preview, str):  # the file was refused: say why on every rerun until another file comes
        st.error(_("%(error)s Nothing was changed.") % {"error": md_text(preview)})
        return
    st.info(_("%(file)s: published %(date)s (stored list: %(stored)s); %(entries)s entries, %(names)s names; "
              "%(added)s entries added, %(dropped)s no longer listed.") % {
        "file": md_text(preview.filename), "date": fmt_date(preview.meta.published),
        "stored": fmt_date(preview.stored_published) if preview.stored_published else "—",
        "entries": preview.entries, "names": len(preview.names), "added": len(preview.added_entries),
        "dropped": len(preview.dropped_entries)})
    if preview.added_entries:
        with st.expander(_("Newly listed (%(n)s)") % {"n": len(preview.added_entries)}):
            st.dataframe(pd.DataFrame({_("Listed entry"): preview.added_entries}), hide_index=True,
                         key="sanctions_added")
    if st.button(_("Replace the stored list"), type="primary", key="sanctions_apply"):
        try:
            count = apply_list_import(store, user, preview)
        except PermissionDenied as exc:
            st.error(md_text(str(exc)))
        else:
            st.session_state["sanctions_done"] = _("The list was replaced: %(n)s names stored.") % {"n": count}
            st.rerun()
