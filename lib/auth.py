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

Role = Literal["viewer", "editor"]


class PermissionDenied(PermissionError):
    """A viewer tried to change shared data."""


class User(BaseModel):
    """The person behind a session: a name for the audit log and a role."""

    name: str = Field(min_length=1, max_length=120)
    role: Role = "viewer"

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"


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
    """Who may edit, read from the app's secrets (the [radar] and [auth] sections)."""

    hosted: bool = False  # secrets configured: anonymous visitors are viewers
    editors: dict[str, EditorAccount] = Field(default_factory=dict)  # username -> account
    oidc: bool = False  # Streamlit's st.login is configured ([auth] section)
    oidc_editors: frozenset[str] = frozenset()  # e-mail addresses (case-folded) that are editors

    @classmethod
    def from_secrets(cls, raw: Mapping[str, Any]) -> AuthConfig:
        """Read the config; no [radar] and no [auth] section means a local run where everyone edits."""
        radar = dict(raw.get("radar") or {})
        oidc = "auth" in raw
        editors = {str(k): EditorAccount.model_validate(dict(v)) for k, v in dict(radar.get("editors") or {}).items()}
        emails = frozenset(str(e).strip().casefold() for e in (radar.get("oidc_editors") or []))
        return cls(hosted=bool(radar) or oidc, editors=editors, oidc=oidc, oidc_editors=emails)

    def anonymous(self) -> User:
        """The user before anyone signs in: a local run edits, a hosted app only shows."""
        return User(name="viewer", role="viewer") if self.hosted else LOCAL_USER

    def oidc_user(self, email: str | None, name: str | None) -> User:
        """A user signed in through st.login: an editor only when the e-mail is listed."""
        email = (email or "").strip().casefold()
        role: Role = "editor" if email and email in self.oidc_editors else "viewer"
        return User(name=(name or email or "signed-in user")[:120], role=role)


class SignInThrottle:
    """Refuses further attempts on a username after repeated failures, process-wide (not per session)."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def locked(self, username: str) -> bool:
        with self._lock:
            recent = [t for t in self._failures.get(username[:120], []) if self._now() - t < LOCKOUT_SECONDS]
            if recent:
                self._failures[username[:120]] = recent
            else:
                self._failures.pop(username[:120], None)
            return len(recent) >= MAX_FAILED_SIGN_INS

    def failed(self, username: str) -> None:
        with self._lock:
            if len(self._failures) >= MAX_TRACKED_USERNAMES:  # a flood of made-up names must not grow memory
                self._failures.pop(next(iter(self._failures)))
            self._failures.setdefault(username[:120], []).append(self._now())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username[:120], None)


THROTTLE = SignInThrottle()


class SignInLocked(PermissionError):
    """Too many failed sign-ins for this username; try again later."""


def sign_in(config: AuthConfig, username: str, password: str, throttle: SignInThrottle = THROTTLE) -> User | None:
    """The editor for a correct username and password, None otherwise (the same answer for both)."""
    username = username.strip()
    if throttle.locked(username):
        raise SignInLocked(username)
    account = config.editors.get(username)
    # Hash even for an unknown username, so timing does not reveal which usernames exist.
    ok = verify_password(password, account.password_hash if account else _dummy_hash()) and account is not None
    if not ok:
        throttle.failed(username)
        return None
    throttle.succeeded(username)
    return User(name=account.name, role="editor")


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
