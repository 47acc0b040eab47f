"""Who is acting, and what they may do. Every write path in lib/ checks the role here, server side."""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from lib.i18n import _

# Three tiers: a viewer is anyone with the link (public: the ranking, never the outreach pipeline); a colleague
# is signed in and reads the pipeline; an editor also writes.
Role = Literal["viewer", "colleague", "editor"]
LOCAL_MODE_ENV = "RADAR_LOCAL_EDITOR"  # "1": a single-user run on one's own machine, where everyone edits


class PermissionDenied(PermissionError):
    """A viewer tried to change shared data."""


class User(BaseModel):
    """The person behind a session: a name for the audit log and a role."""

    name: str = Field(min_length=1, max_length=120)
    role: Role = "viewer"

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"

    @property
    def can_see_pipeline(self) -> bool:
        """Shortlist stages, owners, notes, history, briefings, backups: colleagues and editors only."""
        return self.role in ("colleague", "editor")


def require_colleague(user: User, action: str) -> None:
    """Refuse pipeline data to the public, naming what was asked."""
    if not user.can_see_pipeline:
        raise PermissionDenied(_("%(user)s is not signed in and cannot %(action)s; sign in as a colleague or editor.")
                               % {"user": user.name, "action": action})


def require_editor(user: User, action: str) -> None:
    """Refuse a write for anyone but an editor, naming the action."""
    if not user.can_edit:
        raise PermissionDenied(_("%(user)s is a viewer and cannot %(action)s; sign in as an editor.")
                               % {"user": user.name, "action": action})


# -- sign-in ------------------------------------------------------------------------------------
# Passwords are never stored: secrets hold "pbkdf2_sha256$<iterations>$<salt>$<hash>" (base64),
# made with `python -m lib.auth`. PBKDF2 from the standard library, so no extra package is needed.
HASH_SCHEME = "pbkdf2_sha256"
HASH_ITERATIONS = 600_000  # OWASP 2023 guidance for PBKDF2-HMAC-SHA256
LOCAL_USER = User(name="local user", role="editor")
MAX_FAILED_SIGN_INS = 5
LOCKOUT_SECONDS = 15 * 60
MAX_TRACKED_USERNAMES = 10_000
GLOBAL_ATTEMPTS_PER_MINUTE = 60  # all usernames together: a flood is slowed down, not just spread out


def hash_password(password: str, iterations: int = HASH_ITERATIONS, salt: bytes | None = None) -> str:
    """The encoded PBKDF2 hash of a password, for the secrets file."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join([HASH_SCHEME, str(iterations), base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches the encoded hash; a malformed hash never matches."""
    try:
        scheme, iterations, salt, expected = encoded.split("$")
        if scheme != HASH_SCHEME or not 1_000 <= int(iterations) <= 10_000_000:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


class EditorAccount(BaseModel):
    """One editor in the secrets file: the name shown in the audit log and the password hash."""

    name: str = Field(min_length=1, max_length=120)
    password_hash: str = Field(min_length=10)


class AuthConfig(BaseModel):
    """Who may edit, read from the app's secrets (the [radar] and [auth] sections).

    Fails closed: only an explicit local setting (RADAR_LOCAL_EDITOR=1, which `make run` sets) makes an
    anonymous visitor an editor, and never when any secrets are configured. No secrets, an empty
    [radar] section, or a secrets file that cannot be read all mean: everyone is a viewer.
    """

    hosted: bool = True  # anonymous visitors are viewers
    editors: dict[str, EditorAccount] = Field(default_factory=dict)  # username -> account
    colleagues: dict[str, EditorAccount] = Field(default_factory=dict)  # read the pipeline, cannot write
    oidc: bool = False  # Streamlit's st.login is configured ([auth] section)
    oidc_editors: frozenset[str] = frozenset()  # e-mail addresses (case-folded) that are editors
    problem: str | None = None  # why sign-in is off (a secrets file that cannot be read), for the operator

    @classmethod
    def from_secrets(cls, raw: Mapping[str, Any], local: bool = False) -> AuthConfig:
        """Read the config; `local` (the explicit setting) without [radar] or [auth] means everyone edits."""
        radar = dict(raw.get("radar") or {})
        oidc = "auth" in raw

        def accounts(key: str) -> dict[str, EditorAccount]:
            return {str(k): EditorAccount.model_validate(dict(v)) for k, v in dict(radar.get(key) or {}).items()}

        emails = frozenset(str(e).strip().casefold() for e in (radar.get("oidc_editors") or []))
        hosted = bool(raw) or not local  # any secrets at all mean a deployment: never open
        return cls(hosted=hosted, editors=accounts("editors"), colleagues=accounts("colleagues"), oidc=oidc,
                   oidc_editors=emails)

    def anonymous(self) -> User:
        """The user before anyone signs in: a local run edits, a hosted app only shows."""
        return User(name="viewer", role="viewer") if self.hosted else LOCAL_USER

    def oidc_user(self, email: str | None, name: str | None, email_verified: object = None) -> User:
        """A user signed in through st.login: a colleague; an editor only when the e-mail is listed and the
        identity provider says it is verified (an unverified address could be anybody's)."""
        email = (email or "").strip().casefold()
        role: Role = "editor" if email and email in self.oidc_editors and email_verified is True else "colleague"
        return User(name=(name or email or "signed-in user")[:120], role=role)


class SignInThrottle:
    """Refuses further attempts on a username after repeated failures, process-wide (not per session)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._failures: dict[str, list[float]] = {}
        self._recent: list[float] = []  # every failed attempt of the last minute, for the global limit
        self._lock = threading.Lock()

    def locked(self, username: str) -> bool:
        with self._lock:
            recent = [t for t in self._failures.get(username[:120], []) if self._now() - t < LOCKOUT_SECONDS]
            if recent:
                self._failures[username[:120]] = recent
            else:
                self._failures.pop(username[:120], None)
            return len(recent) >= MAX_FAILED_SIGN_INS

    def busy(self) -> bool:
        """True when the whole app saw more failed attempts in the last minute than GLOBAL_ATTEMPTS_PER_MINUTE."""
        with self._lock:
            now = self._now()
            self._recent = [t for t in self._recent if now - t < 60]
            return len(self._recent) >= GLOBAL_ATTEMPTS_PER_MINUTE

    def failed(self, username: str) -> None:
        with self._lock:
            now = self._now()
            self._recent.append(now)
            if len(self._failures) >= MAX_TRACKED_USERNAMES:  # a flood of made-up names must not grow memory
                # Forget the oldest name that is not locked: a locked account is never freed by other names.
                for name, times in self._failures.items():
                    if len([t for t in times if now - t < LOCKOUT_SECONDS]) < MAX_FAILED_SIGN_INS:
                        self._failures.pop(name)
                        break
                else:
                    return  # every tracked name is locked: record nothing new rather than unlock one
            self._failures.setdefault(username[:120], []).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username[:120], None)


THROTTLE = SignInThrottle()


class SignInLocked(PermissionError):
    """Too many failed sign-ins for this username; try again later."""


def sign_in(config: AuthConfig, username: str, password: str, throttle: SignInThrottle = THROTTLE) -> User | None:
    """The editor for a correct username and password, None otherwise (the same answer for both)."""
    username = username.strip()
    if throttle.locked(username) or throttle.busy():
        raise SignInLocked(username)
    role: Role = "editor" if username in config.editors else "colleague"
    account = config.editors.get(username) or config.colleagues.get(username)
    # Hash even for an unknown username, so timing does not reveal which usernames exist.
    ok = verify_password(password, account.password_hash if account else _dummy_hash()) and account is not None
    if not ok:
        throttle.failed(username)
        return None
    throttle.succeeded(username)
    return User(name=account.name, role=role)


@cache
def _dummy_hash() -> str:
    return hash_password("not a password", salt=b"0" * 16)


def main() -> None:
    """`python -m lib.auth`: print the hash of a password typed twice, for .streamlit/secrets.toml."""
    first = getpass.getpass("New editor password: ")
    if len(first) < 12:
        raise SystemExit("Use at least 12 characters.")
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("The two passwords differ.")
    print(hash_password(first))


if __name__ == "__main__":
    main()
