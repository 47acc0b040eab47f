"""Watchlist and alerts: two tracker files a month apart tell a shortlisted company's owner, and nobody else, that
its status changed (in the app's lists, on the command line and by e-mail); re-importing changes nothing."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import subprocess
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pydantic import ValidationError

from lib import alerts, status_history
from lib import store as store_module
from lib.auth import PermissionDenied, User
from lib.importer import ImportRejected, apply_import, preview_import
from lib.models import Filters, ScoringSettings
from lib.shortlist import add_to_shortlist, get_entry, set_confidential, update_entry
from lib.steward import save_incentive_packages
from tests.conftest import run_cli

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
STEWARD = User(name="Aigerim", role="editor")
OWNER = User(name="Dana", role="colleague")
OTHER = User(name="Nurlan", role="colleague")
VIEWER = User(name="viewer", role="viewer")


def company_id_of(store, name: str) -> int:
    return int(store.fetch_one("SELECT company_id FROM companies WHERE name = ?", [name])[0])


def shortlist_for(store, company_id: int, owner: str) -> None:
    add_to_shortlist(store, STEWARD, [{"company_id": company_id, "score": 0.5, "rank": 1}],
                     (ScoringSettings(), Filters()))
    update_entry(store, STEWARD, company_id, {"stage": "Identified", "owner": owner},
                 get_entry(store, company_id).version)


def import_file(store, name: str, as_of: date):
    preview = preview_import(store, (FIXTURES / name).read_bytes(), name, as_of=as_of)
    assert not preview.errors, [e.text() for e in preview.errors]
    return preview, apply_import(store, STEWARD, preview)


class Inbox:
    """A local SMTP server's handler that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """An SMTP server on localhost, started by the test (aiosmtpd), with the messages it received."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


def test_two_tracker_files_a_month_apart_alert_the_owner_once(store, smtp_server):
    three_m, knauf = company_id_of(store, "3M"), company_id_of(store, "Knauf")
    shortlist_for(store, three_m, OWNER.name)
    alerts.watch(store, OTHER, knauf)

    first, _done = import_file(store, "kse_2026-10.csv", date(2026, 10, 2))
    assert first.file_format == "kse"
    assert alerts.alerts_for(store, OWNER).empty  # 3M: KSE says Suspension, as Yale did: no change to tell
    preview, result = import_file(store, "kse_2026-11.csv", date(2026, 11, 2))
    assert [c["name"] for c in result.status_changes] == ["3M"]

    rows = status_history.history(store, three_m)
    assert list(zip(rows["date"], rows["tracker"], rows["status"], rows["current"], strict=True)) == [
        (date(2025, 5, 21), "yale", "Suspension", False), (date(2026, 10, 1), "kse", "Suspension", False),
        (date(2026, 11, 1), "kse", "Withdrawal", True)]
    assert store.company(three_m)["status"] == "Withdrawal"

    mine = alerts.alerts_for(store, OWNER)
    assert list(mine["company"]) == ["3M"] and list(mine["kind"]) == ["status"]
    assert mine.iloc[0]["summary"] == "Russia status: Suspension → Withdrawal (KSE Institute, 2026-11-01)"
    assert "kse_2026-11.csv" in mine.iloc[0]["source"]
    assert alerts.unread_count(store, OWNER) == 1
    # Knauf's watcher hears of KSE's later status (first file) and its new Russian staff figure (second), not of
    # 3M; the steward who imported hears nothing.
    theirs = alerts.alerts_for(store, OTHER)
    assert list(zip(theirs["company"], theirs["kind"], strict=True)) == [("Knauf", "facts"), ("Knauf", "status")]
    assert theirs.iloc[0]["summary"] == "russia_employees: 4000 → 4200"
    assert theirs.iloc[1]["summary"] == "Russia status: Buying time → Digging in (KSE Institute, 2026-10-01)"
    assert alerts.alerts_for(store, STEWARD).empty
    # The public gets no alerts and no watchlist, whoever they claim to be.
    assert alerts.alerts_for(store, VIEWER).empty and alerts.unread_count(store, User(name="Dana")) == 0
    assert alerts.watched_ids(store, User(name="Dana")) == set()
    assert alerts.watched_ids(store, OWNER) == {three_m}

    # Re-importing the same file: nothing new, no alert.
    again = preview_import(store, (FIXTURES / "kse_2026-11.csv").read_bytes(), "kse_2026-11.csv",
                           as_of=date(2026, 11, 3))
    assert not again.has_changes
    assert store.fetch_one("SELECT count(*) FROM alerts")[0] == 3

    # The e-mail digest: one message to the owner, naming the company and the change; sent once.
    port, inbox = smtp_server
    config = alerts.SmtpConfig(host="127.0.0.1", port=port, sender="radar@example.gov.kz", starttls=False,
                               recipients={"Dana": "dana@example.gov.kz", "Nurlan": "nurlan@example.gov.kz",
                                           "Aigerim": "aigerim@example.gov.kz"})
    roles = {"Dana": "colleague", "Nurlan": "colleague", "Aigerim": "editor"}
    sent = alerts.send_digests(store, config, roles)
    assert sent == {"Dana": 1, "Nurlan": 2}
    to_dana = [m for m, r in zip(inbox.messages, inbox.recipients, strict=True) if r == ["dana@example.gov.kz"]]
    assert len(to_dana) == 1 and len(inbox.messages) == 2
    body = to_dana[0].get_content()
    assert to_dana[0]["Subject"] == "Relocation Radar: 1 change to a company you follow"
    assert "3M (Russia status): Russia status: Suspension → Withdrawal" in body
    assert alerts.send_digests(store, config, roles) == {}  # nothing new: nothing sent again
    assert len(inbox.messages) == 2

    assert alerts.mark_read(store, OTHER, mine["alert_id"]) == 0  # another person's alert is left alone
    assert alerts.mark_read(store, OWNER, mine["alert_id"]) == 1
    assert alerts.unread_count(store, OWNER) == 0
    assert len(alerts.alerts_for(store, OWNER, unread_only=False)) == 1


def test_who_follows_is_asked_for_more_companies_than_postgresql_takes_as_parameters(store):
    """An import of 100,000 companies asks which of them anyone follows: one list parameter, on both backends."""
    aak = company_id_of(store, "AAK")
    alerts.watch(store, OTHER, aak)
    with store.cursor() as cur:
        assert alerts.watched_ids_in(cur, [*range(10**6, 10**6 + 70_000), aak]) == {aak}
        assert alerts.watched_ids_in(cur, []) == set()


def test_confidential_entries_alert_only_editors(store):
    three_m = company_id_of(store, "3M")
    shortlist_for(store, three_m, "Dana")
    set_confidential(store, STEWARD, three_m, True)
    assert alerts.record_change(store, three_m, "screening", "Listed by OFAC on 2026-12-01", "ofac.treasury.gov") == 1
    assert alerts.alerts_for(store, User(name="Dana", role="colleague")).empty
    assert alerts.unread_count(store, User(name="Dana", role="colleague")) == 0
    assert alerts.watched_ids(store, User(name="Dana", role="colleague")) == set()
    assert list(alerts.alerts_for(store, User(name="Dana", role="editor"))["kind"]) == ["screening"]


def test_watching_needs_sign_in_and_the_actor_is_not_told_of_their_own_change(store):
    aak = company_id_of(store, "AAK")
    with pytest.raises(PermissionDenied):
        alerts.watch(store, VIEWER, aak)
    with pytest.raises(ValueError, match="Unknown company"):
        alerts.watch(store, OTHER, 10**7)
    alerts.watch(store, OTHER, aak)
    alerts.watch(store, OTHER, aak)  # twice is once
    assert alerts.record_change(store, aak, "facts", "x: 1 → 2", actor=OTHER.name) == 0
    assert alerts.record_change(store, aak, "facts", "x: 1 → 2") == 1
    assert alerts.record_change(store, aak, "facts", "x: 1 → 2") == 0  # the same unread news is not doubled
    alerts.unwatch(store, OTHER, aak)
    assert alerts.record_change(store, aak, "facts", "x: 2 → 3") == 0
    with pytest.raises(ValidationError):
        alerts.record_change(store, aak, "rumour", "x")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        alerts.record_change(store, aak, "facts", "")


def test_a_rescored_incentive_rule_alerts_the_watchers_of_companies_it_changes(store):
    snapshot_ids = [company_id_of(store, n) for n in ("3M", "Aalberts")]
    for cid in snapshot_ids:
        alerts.watch(store, OTHER, cid)
    before = alerts.eligibility_snapshot(store)
    package = next(p for p in sorted(set().union(*before.values())) if all(p in before[c] for c in snapshot_ids))
    rows = store.incentive_packages().to_dict("records")
    for row in rows:
        if row["package_id"] == package:
            row["excluded_sector_codes"] = list(row["excluded_sector_codes"]) + list(
                {store.company(c)["sector_code"] for c in snapshot_ids})
            row["sector_codes"] = [s for s in row["sector_codes"] if s not in row["excluded_sector_codes"]]
    save_incentive_packages(store, STEWARD, rows)
    got = alerts.alerts_for(store, OTHER)
    assert sorted(got["company"]) == ["3M", "Aalberts"] and set(got["kind"]) == {"eligibility"}
    assert all(f"no longer eligible for {package}" in s for s in got["summary"])


@pytest.mark.duckdb_only
def test_cli_alerts_since_a_day_as_json(store, smtp_server, tmp_path):
    three_m = company_id_of(store, "3M")
    shortlist_for(store, three_m, OWNER.name)
    import_file(store, "kse_2026-10.csv", date(2026, 10, 2))
    import_file(store, "kse_2026-11.csv", date(2026, 11, 2))
    path = str(store.path)
    store_module.close_all()  # the CLI opens the file in a process of its own

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_cli("--db", path, *args)

    done = run("alerts", "--since", date.today().isoformat(), "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["watcher"], r["company"], r["kind"]) for r in rows] == [("Dana", "3M", "status")]
    later = run("alerts", "--since", "2999-01-01")
    assert later.returncode == 0 and json.loads(later.stdout) == []
    bad = run("alerts", "--since", "2026-13-01")
    assert bad.returncode == 2 and "--since '2026-13-01' is not a date (use YYYY-MM-DD)" in bad.stderr
    no_smtp = run("alerts", "--send-email", "--secrets", str(Path(path).with_name("missing.toml")))
    assert no_smtp.returncode == 2 and "cannot read the secrets file" in no_smtp.stderr

    # The timer's command: the digest goes to the owner's address from the secrets, once.
    port, inbox = smtp_server
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f"""[radar.colleagues.dana]
name = "Dana"
password_hash = "pbkdf2_sha256$1000$c2FsdA==$aGFzaA=="

[radar.smtp]
host = "127.0.0.1"
port = {port}
sender = "radar@example.gov.kz"
starttls = false

[radar.smtp.recipients]
Dana = "dana@example.gov.kz"
""", encoding="utf-8")
    mailed = run("alerts", "--send-email", "--secrets", str(secrets), "--since", date.today().isoformat())
    assert mailed.returncode == 0, mailed.stderr
    assert "e-mailed: 1 alerts to 1 people" in mailed.stderr
    assert inbox.recipients == [["dana@example.gov.kz"]]
    assert "3M (Russia status): Russia status: Suspension → Withdrawal" in inbox.messages[0].get_content()
    assert json.loads(mailed.stdout)[0]["emailed_at"] is not None
    again = run("alerts", "--send-email", "--secrets", str(secrets))
    assert again.returncode == 0 and len(inbox.messages) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('[radar.smtp]\nhost = "x"\nport = "not a port"\nsender = "radar@example.gov.kz"\n')
    broken = run("alerts", "--send-email", "--secrets", str(bad))
    assert broken.returncode == 2 and "[radar.smtp]" in broken.stderr and "port" in broken.stderr


# -- the KSE-shaped import's preview --------------------------------------------------------------------
def test_the_preview_lists_status_changes_of_followed_companies_first(store):
    from lib.importer import status_change_frame

    knauf = company_id_of(store, "Knauf")
    alerts.watch(store, OTHER, knauf)
    preview = preview_import(store, (FIXTURES / "kse_leave_russia.csv").read_bytes(), "kse.csv",
                             as_of=date(2026, 8, 24))
    frame = status_change_frame(preview, alerts.watched_by_anyone(store))
    assert list(zip(frame["name"], frame["watched"], frame["stored_status"], frame["new_status"], strict=True)) == [
        ("Knauf", True, "Buying time", "Digging in"), ("3M", False, "Suspension", "Withdrawal")]
    assert set(frame["tracker"]) == {"KSE Institute"}
    assert list(status_change_frame(preview)["name"]) == ["3M", "Knauf"]  # nobody follows: file order


def test_a_bad_kse_file_names_row_and_column_and_changes_nothing(store):
    shortlist_for(store, company_id_of(store, "3M"), OWNER.name)
    before = store.table_checksums()
    preview = preview_import(store, (FIXTURES / "kse_bad_rows.csv").read_bytes(), "kse_bad_rows.csv")
    assert [e.text() for e in preview.errors] == [
        'row 2, column Status date: "31.11.2026" is not a date (use YYYY-MM-DD)',
        'row 3, column Status: "left" is not one of Withdrawal, Suspension, Scaling back, Buying time, Digging in']
    with pytest.raises(ImportRejected):
        apply_import(store, STEWARD, preview)
    assert store.table_checksums() == before
    assert alerts.alerts_for(store, OWNER).empty


def test_an_older_file_imported_later_joins_the_history_without_changing_the_current_status(store):
    three_m = company_id_of(store, "3M")
    shortlist_for(store, three_m, OWNER.name)
    import_file(store, "kse_2026-11.csv", date(2026, 11, 2))
    assert store.company(three_m)["status"] == "Withdrawal"
    assert alerts.mark_read(store, OWNER, alerts.alerts_for(store, OWNER)["alert_id"]) == 1
    _preview, result = import_file(store, "kse_2026-10.csv", date(2026, 12, 1))  # October's file, found late
    assert result.status_changes == []
    rows = status_history.history(store, three_m)
    assert list(zip(rows["date"], rows["status"], rows["current"], strict=True))[-2:] == [
        (date(2026, 10, 1), "Suspension", False), (date(2026, 11, 1), "Withdrawal", True)]
    assert store.company(three_m)["status"] == "Withdrawal"
    assert alerts.alerts_for(store, OWNER).empty
