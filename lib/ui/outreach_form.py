"""The Outreach page's edit form: its widgets' state, saving against a version, remove and restore."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lib import shortlist as sl
from lib.auth import PermissionDenied
from lib.i18n import _
from lib.ui.account import current_user
from lib.ui.state import get_store

FORM = {"stage": "of_stage", "contact_status": "of_contact", "owner": "of_owner", "next_step": "of_next",
        "due_date": "of_due"}  # entry field -> widget key


def load_form(entry: sl.ShortlistEntry) -> None:
    """Fill the edit form from an entry and remember which version the edit is based on."""
    for field, key in FORM.items():
        st.session_state[key] = getattr(entry, field) or ("" if field in ("owner", "next_step") else None)
    st.session_state["of_base"] = (entry.company_id, entry.version)


def form_state() -> set[str]:
    """Entry fields whose widget state is still in the session."""
    return {field for field, key in FORM.items() if key in st.session_state}


def save(company_id: int) -> None:
    """Form callback (runs before the page): save the edit against the version the form was loaded from."""
    base_version = st.session_state["of_base"][1]
    changes = {field: st.session_state[key] for field, key in FORM.items()}
    note = st.session_state.get("of_note", "").strip()
    try:
        entry = sl.update_entry(get_store(), current_user(), company_id, changes, base_version)
        if note:
            sl.add_note(get_store(), current_user(), company_id, note)
            st.session_state["of_note"] = ""
    except sl.StaleEntryError as exc:
        st.session_state["of_error"] = (exc, changes)
        return
    except (PermissionDenied, sl.EntryNotFound, ValueError) as exc:
        st.session_state["of_error"] = (exc, None)
        return
    load_form(entry)
    st.session_state["of_flash"] = _("Saved (version %(v)d).") % {"v": entry.version}


def act(action: Callable[..., object], company_id: int, done: str, *args: object) -> None:
    """Button callback for remove / restore; the outcome is shown on the page."""
    try:
        action(get_store(), current_user(), company_id, *args)
        st.session_state["of_flash"] = done
    except (PermissionDenied, sl.EntryNotFound, sl.StaleEntryError) as exc:
        st.session_state["of_error"] = (exc, None)
    st.session_state.pop("confirm_remove", None)
