"""Watchlist and alerts: the people who follow a company hear when its status, facts or incentive eligibility change.

Who watches: the owner of a company's shortlist entry (not removed), and anyone signed in who chose to watch it
(`watch`). A change, made by an import, an edit or a re-scored rule, calls `record_change`, which writes one alert
per watcher (never for the person who made the change). Reading is role-checked: public viewers get no alerts and
no watchlist; alerts about a company whose shortlist entry is confidential are shown to editors only. Alerts are
read on the Outreach page (mark as read), counted in the sidebar, printed by `python -m lib alerts` for a cron job,
and sent as an e-mail digest when `[radar.smtp]` is configured.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field

from lib.auth import Role, User, require_colleague
from lib.i18n import N_, _, ngettext
from lib.store import Cursor, Store

AlertKind = Literal["status", "facts", "eligibility", "screening"]
KIND_LABELS: dict[str, str] = {"status": N_("Russia status"), "facts": N_("Company facts"),
                               "eligibility": N_("Incentive eligibility"), "screening": N_("Sanctions screening")}
ALERT_COLUMNS = ["alert_id", "created_at", "watcher", "company_id", "company", "kind", "summary", "source",
                 "read_at", "emailed_at"]


class AlertChange(BaseModel):
    """What `record_change` is told: one change to one company (validated, so callers cannot store junk)."""

    company_id: int
    kind: AlertKind
    summary: str = Field(min_length=1, max_length=500)
    source: str | None = Field(default=None, max_length=500)


# Who follows which company: everyone who chose to watch it, and its shortlist entry's owner. The one definition;
# each query below narrows it.
FOLLOWERS = ("SELECT watcher, company_id FROM watchlist UNION SELECT owner, company_id FROM shortlist "
             "WHERE NOT removed AND coalesce(owner, '') <> ''")


def _watchers(cur: Cursor, company_id: int) -> list[str]:
    """Who follows a company."""
    rows = cur.execute(f"SELECT watcher FROM ({FOLLOWERS}) f WHERE company_id = ?", [company_id]).fetchall()
    return sorted({r[0] for r in rows})


def watched_ids_in(cur: Cursor, company_ids: Iterable[int]) -> set[int]:
    """Which of these companies anyone follows (one query, inside the caller's transaction)."""
    ids = sorted({int(i) for i in company_ids})
    if not ids:
        return set()
    # One list parameter: an import asks about up to 100,000 companies, more than PostgreSQL takes as separate
    # parameters (65,535).
    return {int(r[0]) for r in cur.execute(
        f"SELECT DISTINCT company_id FROM ({FOLLOWERS}) f WHERE company_id IN (SELECT unnest(CAST(? AS INTEGER[])))",
        [ids]).fetchall()}


def record_change(store: Store, company_id: int, kind: AlertKind, summary: str, source: str | None = None, *,
                  actor: str | None = None, cur: Cursor | None = None) -> int:
    """One alert per watcher of `company_id` (not the actor, who knows already); returns how many were written.

    Inside a caller's transaction pass its cursor, so the alert commits (or rolls back) with the change itself;
    sanctions screening and any other checker can call it with kind="screening". Write `summary` in English (stored,
    like the audit log, and read later by others in their own language's app). An unread alert with the same summary
    for the same watcher is not written twice."""
    change = AlertChange(company_id=company_id, kind=kind, summary=summary, source=source)
    if cur is None:
        with store.transaction(ranking=False) as own:
            return record_change(store, company_id, kind, summary, source, actor=actor, cur=own)
    key = f"{change.kind}|{change.summary}"
    written = 0
    now = datetime.now()
    for watcher in _watchers(cur, change.company_id):
        if watcher == actor:
            continue
        if cur.execute("SELECT 1 FROM alerts WHERE watcher = ? AND company_id = ? AND change_key = ? "
                       "AND read_at IS NULL", [watcher, change.company_id, key]).fetchone():
            continue
        cur.execute("INSERT INTO alerts (watcher, company_id, kind, summary, source, change_key, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [watcher, change.company_id, change.kind, change.summary, change.source, key, now])
        written += 1
    return written


def watched_by_anyone(store: Store) -> set[int]:
    """Companies someone follows: listed first in an import's preview."""
    return set(_all_watched(store))


def _all_watched(store: Store) -> list[int]:
    return sorted(int(r[0]) for r in store.fetch_all(f"SELECT DISTINCT company_id FROM ({FOLLOWERS}) f"))


def eligibility_snapshot(store: Store) -> dict[int, frozenset[str]]:
    """The incentive packages each watched company is eligible for today (packages in force on the default regime
    date, the default assumptions): taken before and after a rule or sector edit to see what a re-score changed."""
    from lib.incentives.assumptions import Assumptions
    from lib.incentives.offers import eligibility_matrix
    from lib.incentives.packages import in_force, parse_packages

    ids = _all_watched(store)
    if not ids:
        return {}
    companies = store.companies()
    companies = companies[companies["company_id"].isin(ids)]
    assumptions = Assumptions()
    packages = in_force(parse_packages(store.incentive_packages()), assumptions.regime_date)
    matrix = eligibility_matrix(companies, packages, assumptions, store.mci_table())
    names = [p.package_id for p in packages]
    return {int(row["company_id"]): frozenset(n for n in names if row[n] == "eligible")
            for row in matrix.to_dict("records")}


def eligibility_alerts(store: Store, before: Mapping[int, frozenset[str]], actor: str, source: str) -> int:
    """Alerts for every watched company whose eligible packages differ from `before` (a snapshot taken before an
    edit of incentive rules or sectors); returns how many alerts were written."""
    after = eligibility_snapshot(store)
    written = 0
    for company_id, now in after.items():
        old = before.get(company_id, frozenset())
        if old == now:
            continue
        # In English, like every stored alert (see lib.status_history.status_summary).
        parts = ([f"now eligible for {', '.join(sorted(now - old))}"] if now - old else []) + \
                ([f"no longer eligible for {', '.join(sorted(old - now))}"] if old - now else [])
        written += record_change(store, company_id, "eligibility", "; ".join(parts), source, actor=actor)
    return written


# -- the watchlist --------------------------------------------------------------------------------
def watch(store: Store, user: User, company_id: int) -> None:
    """Follow a company (signed-in colleagues and editors)."""
    require_colleague(user, _("watch companies"))
    with store.transaction(ranking=False) as cur:
        if not cur.execute("SELECT 1 FROM companies WHERE company_id = ?", [company_id]).fetchone():
            raise ValueError(_("Unknown company id(s): %(ids)s") % {"ids": company_id})
        cur.execute("INSERT INTO watchlist (watcher, company_id, added_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (watcher, company_id) DO NOTHING", [user.name, company_id, datetime.now()])


def unwatch(store: Store, user: User, company_id: int) -> None:
    """Stop following a company (an owned shortlist entry is still watched by its owner)."""
    require_colleague(user, _("watch companies"))
    with store.transaction(ranking=False) as cur:
        cur.execute("DELETE FROM watchlist WHERE watcher = ? AND company_id = ?", [user.name, company_id])


def _hidden_clause(user: User) -> str:
    """Companies whose shortlist entry is confidential are left out for anyone but an editor."""
    return "" if user.can_edit else (" AND NOT EXISTS (SELECT 1 FROM shortlist s WHERE s.company_id = a.company_id "
                                     "AND coalesce(s.confidential, FALSE))")


def watched_ids(store: Store, user: User) -> set[int]:
    """The companies this user follows (chosen, or owned on the shortlist); none for a public viewer."""
    if not user.can_see_pipeline:
        return set()
    rows = store.fetch_all(f"SELECT DISTINCT company_id FROM ({FOLLOWERS}) a WHERE watcher = ?" + _hidden_clause(user),
                           [user.name])
    return {int(r[0]) for r in rows}


def company_names(store: Store, company_ids: Iterable[int]) -> list[str]:
    """The names of these companies, alphabetically (for the list of followed companies)."""
    ids = sorted({int(i) for i in company_ids})
    if not ids:
        return []
    rows = store.fetch_all(f"SELECT name FROM companies WHERE company_id IN ({', '.join('?' for _i in ids)})", ids)
    return sorted((r[0] for r in rows), key=str.casefold)


# -- reading and marking -----------------------------------------------------------------------------
def alerts_for(store: Store, user: User, *, unread_only: bool = True, since: date | None = None) -> pd.DataFrame:
    """This user's alerts, newest first; empty for a public viewer."""
    if not user.can_see_pipeline:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    sql = ("SELECT a.alert_id, a.created_at, a.watcher, a.company_id, c.name AS company, a.kind, a.summary, "
           "a.source, a.read_at, a.emailed_at FROM alerts a JOIN companies c USING (company_id) WHERE a.watcher = ?"
           + _hidden_clause(user))
    params: list[Any] = [user.name]
    if unread_only:
        sql += " AND a.read_at IS NULL"
    if since is not None:
        sql += " AND a.created_at >= ?"
        params.append(datetime.combine(since, datetime.min.time()))
    return store.fetch_df(sql + " ORDER BY a.created_at DESC, a.alert_id DESC", params)


def unread_count(store: Store, user: User) -> int:
    """The sidebar's number: unread alerts for this user (0 for a public viewer)."""
    if not user.can_see_pipeline:
        return 0
    return int(store.fetch_one("SELECT count(*) FROM alerts a WHERE a.watcher = ? AND a.read_at IS NULL"
                               + _hidden_clause(user), [user.name])[0])


def mark_read(store: Store, user: User, alert_ids: Iterable[int]) -> int:
    """Mark this user's own alerts read; returns how many changed (another person's ids are ignored)."""
    require_colleague(user, _("read alerts"))
    ids = sorted({int(i) for i in alert_ids})
    if not ids:
        return 0
    with store.transaction(ranking=False) as cur:
        rows = cur.execute(f"UPDATE alerts SET read_at = ? WHERE watcher = ? AND read_at IS NULL "
                           f"AND alert_id IN ({', '.join('?' for _i in ids)}) RETURNING alert_id",
                           [datetime.now(), user.name, *ids]).fetchall()
    return len(rows)


def all_alerts(store: Store, since: date | None = None, watcher: str | None = None) -> pd.DataFrame:
    """Every alert (for the operator's cron job: `python -m lib alerts`), oldest first."""
    sql = ("SELECT a.alert_id, a.created_at, a.watcher, a.company_id, c.name AS company, a.kind, a.summary, "
           "a.source, a.read_at, a.emailed_at FROM alerts a JOIN companies c USING (company_id) WHERE TRUE")
    params: list[Any] = []
    if since is not None:
        sql += " AND a.created_at >= ?"
        params.append(datetime.combine(since, datetime.min.time()))
    if watcher:
        sql += " AND a.watcher = ?"
        params.append(watcher)
    return store.fetch_df(sql + " ORDER BY a.created_at, a.alert_id", params)


# -- the e-mail digest --------------------------------------------------------------------------------
class SmtpConfig(BaseModel):
    """The [radar.smtp] section of the secrets: the server, the sender and each watcher's address."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    sender: str = Field(min_length=3)
    username: str | None = None
    password: str | None = None
    starttls: bool = True
    recipients: dict[str, str] = Field(default_factory=dict)  # watcher name -> e-mail address
    app_url: str | None = None  # linked in the digest, e.g. https://radar.example.gov.kz/outreach

    @classmethod
    def from_secrets(cls, raw: Mapping[str, Any]) -> SmtpConfig | None:
        """The config, or None when no [radar.smtp] section is set (then no e-mail is sent)."""
        section = dict((raw.get("radar") or {}).get("smtp") or {})
        if not section:
            return None
        section["recipients"] = {str(k): str(v) for k, v in dict(section.get("recipients") or {}).items()}
        return cls.model_validate(section)


def digest_text(user_alerts: pd.DataFrame, app_url: str | None = None) -> str:
    """The body of one watcher's digest: one line per alert with its company, kind, summary and source."""
    lines = [_("Changes to companies you follow in Relocation Radar:"), ""]
    for row in user_alerts.itertuples():
        lines.append(f"- {row.company} ({_(KIND_LABELS.get(row.kind, row.kind))}): {row.summary}"
                     + (f" [{_('source')}: {row.source}]" if isinstance(row.source, str) and row.source else ""))
    if app_url:
        lines += ["", _("Mark them as read on the Outreach page: %(url)s") % {"url": app_url}]
    return "\n".join(lines) + "\n"


def send_digests(store: Store, config: SmtpConfig, roles: Mapping[str, Role], *,
                 smtp_factory: Callable[..., smtplib.SMTP] = smtplib.SMTP) -> dict[str, int]:
    """E-mail each watcher with an address their unread alerts not yet sent, one message each; mark them sent.

    `roles` gives each watcher's role (from the accounts in the secrets): confidential companies only to editors,
    and nothing to a name that is not a signed-in account. Returns watcher -> alerts sent."""
    sent: dict[str, int] = {}
    with smtp_factory(config.host, config.port, timeout=30) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.username:
            smtp.login(config.username, config.password or "")
        for watcher, address in sorted(config.recipients.items()):
            user = User(name=watcher, role=roles.get(watcher, "viewer"))
            pending = alerts_for(store, user)
            pending = pending[pending["emailed_at"].isna()]
            if pending.empty:
                continue
            message = EmailMessage()
            message["Subject"] = ngettext("Relocation Radar: %(n)d change to a company you follow",
                                          "Relocation Radar: %(n)d changes to companies you follow",
                                          len(pending)) % {"n": len(pending)}
            message["From"], message["To"] = config.sender, address
            message.set_content(digest_text(pending, config.app_url))
            smtp.send_message(message)
            ids = [int(i) for i in pending["alert_id"]]
            with store.transaction(ranking=False) as cur:
                cur.execute(f"UPDATE alerts SET emailed_at = ? WHERE alert_id IN ({', '.join('?' for _i in ids)})",
                            [datetime.now(), *ids])
            sent[watcher] = len(ids)
    return sent


def account_roles(raw: Mapping[str, Any]) -> dict[str, Role]:
    """Each account's shown name -> role, from the [radar.editors] and [radar.colleagues] sections."""
    radar = dict(raw.get("radar") or {})
    roles: dict[str, Role] = {}
    for key, role in (("colleagues", "colleague"), ("editors", "editor")):
        for account in dict(radar.get(key) or {}).values():
            if isinstance(account, Mapping) and account.get("name"):
                roles[str(account["name"])] = role  # type: ignore[assignment]
    return roles
