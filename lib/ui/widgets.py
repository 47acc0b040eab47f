"""Tables that need care (the ranked table's selection, the data editors) and downloads in the page's language."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pandas as pd
import streamlit as st

from lib.auth import PermissionDenied, User
from lib.i18n import _, get_language, md_text, set_language
from lib.importer import RowError
from lib.steward import EDITOR_LABELS, EditConflict, InvalidRows, SaveResult
from lib.store import Store

T = TypeVar("T")


def in_this_language(build: Callable[..., T], *args: object) -> Callable[[], T]:
    """A download's builder, run only when clicked: in another thread, so it carries this run's language."""
    language = get_language()

    def run() -> T:
        set_language(language)
        return build(*args)
    return run


EDITS = ("edited_rows", "added_rows", "deleted_rows")


def _widget_key(name: str, renew: bool = False) -> str:
    """`<name>_<generation>`: a new generation is a new widget, which the browser draws fresh (no edits, no
    selection). Shared by the data editors and the selectable tables."""
    generation = st.session_state.get(f"{name}_generation", 0) + int(renew)
    st.session_state[f"{name}_generation"] = generation
    return f"{name}_{generation}"


def edited_table(name: str, current: pd.DataFrame, **editor_args: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A data editor over the rows as this user first saw them; returns (edited rows, those first rows).

    The editor tracks edits by row position. While it holds unsaved edits it keeps showing the rows it
    opened with, so an edit never slides onto another row when a colleague saves in between; the save
    then writes only this user's changes (lib.steward's `base`). Without edits it shows the store as it is.
    """
    key = _widget_key(name)
    pending = st.session_state.get(key) or {}
    if f"{name}_base" not in st.session_state or not any(pending.get(part) for part in EDITS):
        st.session_state[f"{name}_base"] = current
    st.session_state[f"{name}_key"] = key  # tests put edits here
    base = st.session_state[f"{name}_base"]
    return st.data_editor(base, key=key, **editor_args), base


def reset_edited_table(name: str) -> None:
    """Forget unsaved edits: the editor shows the store afresh on the next run (after a save or a conflict)."""
    _widget_key(name, renew=True)
    st.session_state.pop(f"{name}_base", None)
    st.session_state.pop(f"{name}_conflict", None)


def selection_key(name: str, company_ids: pd.Series) -> str:
    """A selectable table's widget key: a new one when the order of its companies changes under a selection.

    The grid reports selected row *positions*; after a re-rank those positions hold other companies.
    A fresh key gives a fresh, unselected grid then, so a selection never moves to another company.
    Without a selection the key stays, because redrawing the grid from scratch costs the browser
    about 150 ms on every slider move. The key is kept in session state as `<name>_key` (tests use it).
    """
    digest = hashlib.blake2b(company_ids.to_numpy(dtype="int64").tobytes(), digest_size=8).hexdigest()
    key = _widget_key(name)
    previous = st.session_state.get(f"{name}_order")
    selection = st.session_state.get(key) or {}
    if previous is not None and previous != digest and (selection.get("selection") or {}).get("rows"):
        key = _widget_key(name, renew=True)
    st.session_state.update({f"{name}_order": digest, f"{name}_key": key})
    return key


@contextmanager
def step_progress(what: str) -> Iterator[Callable[[float, str], None]]:
    """A progress bar for a long task (an import of 100,000 rows takes seconds): `what`, then the step it is on,
    as the task reports (fraction done, step name); removed when the task ends."""
    bar = st.progress(0.0, text=what)

    def report(fraction: float, step: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{what} {step}…")

    try:
        yield report
    finally:
        bar.empty()


def rejected_rows(errors: list[RowError], caption: str, key: str) -> None:
    """Rejected rows as a table (row, column, value, reason); text cells render as text, never markup."""
    st.error(caption)
    st.dataframe([{"row": e.row, "column": e.column, "value": e.value, "reason": e.reason} for e in errors],
                 hide_index=True, key=key, column_config={"row": _("Row"), "column": _("Column"), "value": _("Value"),
                                                          "reason": _("Problem")})


def steward_editor(what: str, frame: pd.DataFrame, save: Callable[..., SaveResult], store: Store, user: User) -> None:
    """The Data page's editor for one table (sectors or incentive packages): edit, save, conflicts, reload."""
    st.caption(_("Edit cells, add or delete rows, then save. Lists of sector codes are separated by ';'. "
                 "A changed row gets today's as-of date unless you set one."))
    if get_language() != "en":
        st.caption(_("Texts here are stored in English, the source of the Russian and Kazakh versions: a "
                     "changed text shows in English until its translation is added (make i18n)."))
    name = f"edit_{what}"
    if saved := st.session_state.pop(f"{name}_saved", None):
        st.success(saved)
    edited, base = edited_table(name, frame, num_rows="dynamic", hide_index=True, disabled=not user.can_edit,
                                width="stretch",
                                column_config={column: st.column_config.Column(_(label), help=f"`{column}`")
                                               for column, label in EDITOR_LABELS.items()})
    if st.button(_("Save changes"), key=f"save_{what}", disabled=not user.can_edit, type="primary"):
        try:
            result = save(store, user, edited.to_dict("records"), base=base.to_dict("records"))
        except InvalidRows as exc:
            rejected_rows(exc.errors, _("Nothing was saved; fix these rows first:"), f"errors_{what}")
        except EditConflict as exc:
            st.session_state[f"{name}_conflict"] = exc
        except PermissionDenied as exc:
            st.error(str(exc))
        else:
            st.session_state[f"{name}_saved"] = _("Saved: %(added)d added, %(updated)d changed, %(deleted)d "
                                                  "deleted.") % {"added": len(result.added),
                                                                 "updated": len(result.updated),
                                                                 "deleted": len(result.deleted)}
            reset_edited_table(name)
            st.rerun()
    if conflict := st.session_state.get(f"{name}_conflict"):
        st.error(md_text(conflict))
        st.button(_("Reload the latest data (drops your unsaved changes)"), key=f"reload_{what}",
                  on_click=reset_edited_table, args=(name,))


def company_sector_form(store: Store, user: User) -> None:
    """The steward's sector override for one company: sector, reason and source, audited when saved."""
    from pydantic import ValidationError

    from lib.i18n import sort_by_name, translate
    from lib.steward import CompanySector, set_company_sector

    st.caption(_("The sector decides the sector priority and which incentives apply. The tracker's industry is "
                 "only the default: set the sector a company really works in, say why and give the source."))
    companies = sort_by_name(store.company_sectors())
    names = dict(zip(companies["company_id"], companies["name"], strict=True))
    company_id = st.selectbox(_("Company"), list(names), format_func=names.__getitem__, index=None,
                              key="sector_company", placeholder=_("Choose a company"))
    if company_id is None:
        return
    row = companies.set_index("company_id").loc[company_id]
    sectors = store.sectors()
    codes = list(sectors["sector_code"])
    labels = {c: translate(n) for c, n in zip(sectors["sector_code"], sectors["name"], strict=True)}
    with st.form("company_sector"):
        code = st.selectbox(_("Sector"), codes, index=codes.index(row["sector_code"]) if row["sector_code"] in codes
                            else None, format_func=labels.__getitem__)
        reason = st.text_area(_("Why this sector"), value=row["sector_reason"] or "", max_chars=500)
        source = st.text_input(_("Source"), value=row["sector_source"] or "", max_chars=500)
        saved = st.form_submit_button(_("Save the sector"), disabled=not user.can_edit)
    if not saved:
        return
    try:
        changed = set_company_sector(store, user, CompanySector(company_id=int(company_id), sector_code=code or "",
                                                                reason=reason, source=source))
    except ValidationError:
        st.error(_("Give a sector, a reason and a source (at least 3 characters each)."))
    except (InvalidRows, PermissionDenied) as exc:
        st.error(md_text(exc))
    else:
        st.success(_("Saved; the ranking uses the new sector.") if changed else _("Nothing changed."))


def outcomes_panel(store: Store, user: User) -> None:
    """The recorded outcomes with their sources, and (editors) an outcomes file to preview and import."""
    from lib.outcomes import (
        EVIDENCE_LABELS,
        OUTCOME_LABELS,
        apply_outcomes,
        preview_outcomes,
        stored_outcomes,
    )
    from lib.tablefile import ImportRefused, read_table

    st.caption(_("What companies actually did about Kazakhstan after February 2022, each with its evidence level and "
                 "source; the Back-test page ranks them. A file needs a company column; outcome, date, "
                 "evidence_level, hq_country, source and note are optional."))
    outcomes = stored_outcomes(store)
    shown = outcomes.assign(outcome=outcomes["outcome"].map(lambda k: _(OUTCOME_LABELS.get(k, k))),
                            evidence_level=outcomes["evidence_level"].map(lambda k: _(EVIDENCE_LABELS.get(k, k))),
                            matched=outcomes["company_id"].notna())
    st.dataframe(shown, hide_index=True, key="outcomes_table",
                 column_order=["company", "matched", "outcome", "outcome_date", "evidence_level", "source", "note"],
                 column_config={"company": _("Company"), "matched": _("In the company list"),
                                "outcome": _("What happened"), "outcome_date": _("When"),
                                "evidence_level": _("Evidence"), "source": st.column_config.LinkColumn(_("Source")),
                                "note": _("Note")})
    if not user.can_edit:
        return
    uploaded = st.file_uploader(_("Outcomes file: CSV or Excel (.xlsx)"), type=["csv", "xlsx"], key="outcomes_file")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    try:
        preview = preview_outcomes(store, read_table(data, uploaded.name), uploaded.name, data)
    except ImportRefused as exc:
        st.error(md_text(exc))
        return
    st.info(_("%(file)s: %(n)d outcomes to add, %(rejected)d rows rejected, %(unmatched)d names not in the company "
              "list.") % {"file": md_text(uploaded.name), "n": len(preview.outcomes),
                          "rejected": len({e.row for e in preview.errors}), "unmatched": len(preview.unmatched)})
    if preview.errors:
        rejected_rows(preview.errors, _("Nothing can be added until these rows are fixed:"), "outcomes_rejected")
    if preview.unmatched:
        st.caption(_("Not matched: %(names)s") % {"names": ", ".join(map(md_text, preview.unmatched))})
    if st.button(_("Add these outcomes"), key="outcomes_apply", disabled=bool(preview.errors) or not preview.outcomes):
        try:
            added = apply_outcomes(store, user, preview)
        except (ValueError, PermissionDenied) as exc:
            st.error(md_text(exc))
        else:
            st.success(_("%(n)d outcomes added.") % {"n": added})


def audit_panel(store: Store, user: User) -> None:
    """Who changed what, when: filters by table, person, company, file and period; changes in words."""
    from datetime import date, timedelta

    from lib.export import to_csv_bytes
    from lib.i18n import fmt_number, sort_by_name
    from lib.steward import TABLE_LABELS, audit_entries, audit_facets, labelled_audit

    facets = audit_facets(store)
    companies = sort_by_name(store.company_sectors())
    names = dict(zip(companies["company_id"].astype(int), companies["name"], strict=True))
    first, second, third = st.columns(3)
    table = first.selectbox(_("Table"), facets["table_name"], index=None, placeholder=_("All tables"),
                            key="audit_table", format_func=lambda t: _(TABLE_LABELS.get(t, t)))
    actor = second.selectbox(_("Who"), facets["actor"], index=None, placeholder=_("Everyone"), key="audit_actor")
    company = third.selectbox(_("Company"), list(names), index=None, placeholder=_("All companies"),
                              key="audit_company", format_func=names.__getitem__)
    fourth, fifth = st.columns([1, 2])
    source = fourth.selectbox(_("Source file"), facets["source_file"], index=None, placeholder=_("All files"),
                              key="audit_file")
    period = fifth.date_input(_("Period"), value=(date.today() - timedelta(days=365), date.today()),
                              key="audit_period", format="YYYY-MM-DD")
    since, until = (period if isinstance(period, tuple) and len(period) == 2 else (None, None))
    entries = audit_entries(store, table=table, actor=actor, source_file=source, company_id=company, since=since,
                            until=until)
    if not user.can_edit:  # a confidential entry's history is as hidden as the entry
        from lib.shortlist import confidential_ids

        hidden = {str(i) for i in confidential_ids(store)}
        pipeline = entries["table_name"].isin(["shortlist", "shortlist_notes"])
        entries = entries[~(pipeline & entries["record_key"].astype(str).str.split("|").str[0].isin(hidden))]
    log = labelled_audit(entries, names)
    st.caption(_("Newest first; the last %(n)s entries.") % {"n": fmt_number(len(log))})
    st.dataframe(log, hide_index=True, key="audit_log",
                 column_order=["audit_id", "changed_at", "actor", "action", "table_name", "record_key", "changes",
                               "source_file"],
                 column_config={
                     "audit_id": _("No."),
                     "changed_at": st.column_config.DatetimeColumn(_("When"), format="YYYY-MM-DD HH:mm:ss"),
                     "actor": _("Who"), "action": _("Action"), "table_name": _("Table"), "record_key": _("Record"),
                     "changes": st.column_config.TextColumn(_("What changed"), width="large"),
                     "source_file": _("Source file")})
    if user.can_edit:
        st.download_button(_("These entries (CSV)"), data=lambda: to_csv_bytes(log.drop(columns=["before", "after"])),
                           on_click="ignore", file_name="relocation_radar_audit_log.csv", mime="text/csv",
                           key="audit_export")
