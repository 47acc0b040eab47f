"""What each tier sees, page by page: the public link shows no outreach pipeline anywhere (DEPLOY.md).

Companies in talks asked officials not to be named (Ministry of Foreign Affairs, July 2023): on a public link
no stage, owner, note, history, briefing, backup or all-tables export may appear.
"""

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib import shortlist as sl
from lib.auth import User, hash_password
from lib.models import Filters, ScoringSettings
from lib.store import open_store
from tests.conftest import APP

PASSWORD = "correct horse battery staple"
ACCOUNT = {"name": "Dana K.", "password_hash": hash_password(PASSWORD)}
SECRETS = {"radar": {"editors": {"aigerim": {**ACCOUNT, "name": "Aigerim S."}}, "colleagues": {"dana": ACCOUNT}}}
# The ranking is also registered at /rank (hidden): each page file once.
PAGES = list(dict.fromkeys(
    re.findall(r'st\.Page\(\s*"(pages/[a-z_]+\.py)"', Path(APP).read_text(encoding="utf-8"))))
SECRET_NOTE = "Call Mr X on +7 701 555 0199"
OWNER = "Owner Bakhyt"


def everything_shown(at: AppTest) -> str:
    """Every text and table cell the page shows, as one string."""
    parts = []
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "title", "header", "subheader",
                 "metric", "text", "code"):
        for element in getattr(at, kind):
            parts.append(str(getattr(element, "value", "")) + " " + str(getattr(element, "label", "")))
    for frame in at.dataframe:
        value = frame.value
        if isinstance(value, pd.DataFrame):
            parts.append(value.to_string())
            parts.extend(map(str, value.columns))
    for element in [*at.button, *at.get("download_button")]:
        parts.append(str(getattr(element, "label", "")) or str(element.proto))
    return "\n".join(parts)


@pytest.fixture
def pipeline(app_db):
    """A shortlist entry with an owner and a note with a phone number, made by an editor."""
    store = open_store(app_db)
    editor = User(name="Aigerim S.", role="editor")
    company_id = store.fetch_one("SELECT company_id FROM companies WHERE name = 'Honeywell'")[0]
    sl.add_to_shortlist(store, editor, [{"company_id": company_id, "score": 0.8, "rank": 1}],
                        (ScoringSettings(), Filters()))
    entry = sl.get_entry(store, company_id)
    sl.update_entry(store, editor, company_id, {"owner": OWNER, "stage": "Contacted"}, entry.version)
    sl.add_note(store, editor, company_id, SECRET_NOTE)
    return company_id


def open_as(tier: str, page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in SECRETS.items():
        at.secrets[key] = value
    at.run()
    if tier != "public":
        username = "aigerim" if tier == "editor" else "dana"
        at.text_input(key="sign_in_username").input(username)
        at.text_input(key="sign_in_password").input(PASSWORD)
        at.get("form_submit_button")[0].click()
        at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_a_public_link_shows_no_pipeline_data_on_any_page(pipeline, page):
    shown = everything_shown(open_as("public", page))
    for secret in (SECRET_NOTE, "+7 701", OWNER, "Outreach stage", "Contacted", "Full backup", "All tables (Excel"):
        assert secret not in shown, f"{secret!r} is visible to the public on {page}"


def test_a_colleague_reads_the_pipeline_but_cannot_write(pipeline):
    at = open_as("colleague", "pages/outreach.py")
    shown = everything_shown(at)
    assert OWNER in shown
    assert any("sign in as an editor to change it" in i.value for i in at.info)
    rank = everything_shown(open_as("colleague", "pages/rank.py"))
    assert "Contacted" in rank  # the stage column of the ranked table


def test_an_editor_gets_the_backup_and_the_audit_log(pipeline):
    shown = everything_shown(open_as("editor", "pages/data.py"))
    assert "Full backup" in shown and "All tables (Excel" in shown


def test_a_confidential_entry_is_hidden_from_colleagues_and_its_reveal_is_logged(pipeline, app_db):
    store = open_store(app_db)
    editor = User(name="Aigerim S.", role="editor")
    sl.set_confidential(store, editor, pipeline, True)
    for page in ("pages/outreach.py", "pages/rank.py"):
        shown = everything_shown(open_as("colleague", page))
        assert OWNER not in shown and "Contacted" not in shown, page
    assert not sl.shortlisted_stages(store) and sl.shortlisted_stages(store, include_confidential=True)
    # An editor sees it only on request; showing it is recorded in the audit log.
    at = open_as("editor", "pages/outreach.py")
    assert OWNER not in everything_shown(at)
    at.toggle(key="of_reveal").set_value(True).run()
    assert OWNER in everything_shown(at)
    actions = [r[0] for r in store.fetch_all("SELECT action FROM audit_log WHERE table_name = 'shortlist'")]
    assert "shortlist_confidential" in actions and "shortlist_reveal" in actions


def test_a_confidential_entrys_history_is_not_in_a_colleagues_audit_log(pipeline, app_db):
    store = open_store(app_db)
    sl.set_confidential(store, User(name="Aigerim S.", role="editor"), pipeline, True)
    colleague = everything_shown(open_as("colleague", "pages/data.py"))
    editor = everything_shown(open_as("editor", "pages/data.py"))
    assert "Honeywell" in editor and "Marked confidential" in editor
    assert "Marked confidential" not in colleague and "Added to the shortlist" not in colleague


def test_even_an_editor_sees_a_confidential_stage_only_on_the_outreach_page_on_request(pipeline, app_db):
    store = open_store(app_db)
    sl.set_confidential(store, User(name="Aigerim S.", role="editor"), pipeline, True)
    assert "Contacted" not in everything_shown(open_as("editor", "pages/rank.py"))


def test_the_owner_of_an_entry_sees_its_alerts_and_the_public_sees_none(pipeline, app_db):
    from lib.alerts import record_change

    store = open_store(app_db)
    editor = User(name="Aigerim S.", role="editor")
    sl.update_entry(store, editor, pipeline, {"owner": "Dana K.", "stage": "Contacted"},
                    sl.get_entry(store, pipeline).version)
    assert record_change(store, pipeline, "status", "Russia status: Suspension → Withdrawal", "KSE file") == 1
    at = open_as("colleague", "pages/outreach.py")
    links = [link.proto.label for link in at.get("page_link")]
    assert "1 unread alert" in links
    table = at.dataframe[0].value
    assert list(table["company"]) == ["Honeywell"] and list(table["summary"]) == [
        "Russia status: Suspension → Withdrawal"]
    at.button(key="alerts_read_all").click().run()
    assert "1 unread alert" not in [link.proto.label for link in at.get("page_link")]
    assert any("No unread alerts" in i.value for i in at.info)
    assert any(m.value == "- Honeywell" for m in at.markdown)  # the companies Dana follows
    public = open_as("public", "pages/outreach.py")
    assert "unread alert" not in everything_shown(public) + " ".join(
        link.proto.label for link in public.get("page_link"))
