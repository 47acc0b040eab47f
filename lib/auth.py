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
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
HASH_ITERATIONS = 600_000  # OWASP 2023 guidance for PBKDF2-HMAC-SHA256: also the least a stored hash may use
MIN_SALT_BYTES = 16  # 128 bits (NIST SP 800-132), what hash_password makes
LOCAL_USER = User(name="local user", role="editor")
MAX_FAILED_SIGN_INS = 5
LOCKOUT_SECONDS = 15 * 60
GLOBAL_ATTEMPTS_PER_MINUTE = 60  # all usernames together: above it, every attempt waits (a flood is slowed down)
FLOOD_DELAY_SECONDS = 2.0


def hash_password(password: str, iterations: int = HASH_ITERATIONS, salt: bytes | None = None) -> str:
    """The encoded PBKDF2 hash of a password, for the secrets file."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join([HASH_SCHEME, str(iterations), base64.b64encode(salt).decode(), base64.b64encode(digest).decode()])


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches the encoded hash; a malformed hash never matches."""
    try:
        scheme, iterations, salt, expected = encoded.split("$")
        if scheme != HASH_SCHEME or not HASH_ITERATIONS <= int(iterations) <= 10_000_000:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


def check_password_hash(encoded: str) -> str:
    """The hash if it is one this app accepts: pbkdf2_sha256 with at least HASH_ITERATIONS iterations, a salt of
    at least MIN_SALT_BYTES and a 32-byte digest; else ValueError saying what is wrong (never the hash)."""
    parts = encoded.split("$")
    if len(parts) != 4 or parts[0] != HASH_SCHEME:
        raise ValueError(f"not a {HASH_SCHEME}$<iterations>$<salt>$<hash> line; make one with `python -m lib.auth`")
    _scheme, iterations, salt, digest = parts
    if not iterations.isdigit():
        raise ValueError("the iteration count is not a number; make a new hash with `python -m lib.auth`")
    if int(iterations) < HASH_ITERATIONS:
        raise ValueError(f"{int(iterations):,} iterations is below the minimum of {HASH_ITERATIONS:,} (OWASP, "
                         "PBKDF2-HMAC-SHA256); make a new hash with `python -m lib.auth`")
    try:
        salt_bytes = base64.b64decode(salt, validate=True)
        digest_bytes = base64.b64decode(digest, validate=True)
    except ValueError:
        raise ValueError("the salt or the hash is not base64; make a new hash with `python -m lib.auth`") from None
    if len(salt_bytes) < MIN_SALT_BYTES:
        raise ValueError(f"the salt has {len(salt_bytes)} bytes, fewer than {MIN_SALT_BYTES}; make a new hash "
                         "with `python -m lib.auth`")
    if len(digest_bytes) != hashlib.sha256().digest_size:
        raise ValueError("the hash is not a PBKDF2-HMAC-SHA256 digest; make a new hash with `python -m lib.auth`")
    return encoded


class EditorAccount(BaseModel):
    """One editor in the secrets file: the name shown in the audit log and the password hash."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=120)
    password_hash: str

    _strong = field_validator("password_hash")(check_password_hash)


class RadarSecrets(BaseModel):
    """The [radar] section: editors and colleagues by username, and the st.login addresses that edit."""

    model_config = ConfigDict(extra="forbid", strict=True)

    editors: dict[str, EditorAccount] = Field(default_factory=dict)
    colleagues: dict[str, EditorAccount] = Field(default_factory=dict)
    oidc_editors: list[str] = Field(default_factory=list)

    @field_validator("oidc_editors", mode="before")
    @classmethod
    def _one_address(cls, value: Any) -> Any:
        """`oidc_editors = "a@b.kz"` is one address (TOML for a list of one is easy to get wrong)."""
        return [value] if isinstance(value, str) else value

    @field_validator("oidc_editors")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address.strip().strip("@"):
                raise ValueError(f"{address!r} is not an e-mail address")
        return [address.strip().casefold() for address in value]


class Secrets(BaseModel):
    """The app's secrets as read from .streamlit/secrets.toml: [radar] (sign-in) and [auth] (st.login). Other
    sections (connections of other tools) are left alone."""

    model_config = ConfigDict(extra="allow")

    radar: RadarSecrets = Field(default_factory=RadarSecrets)
    auth: dict[str, Any] | None = None

    @field_validator("radar", mode="before")
    @classmethod
    def _section(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError("[radar] must be a section (a table), not a single value")
        return dict(value)

    @field_validator("auth", mode="before")
    @classmethod
    def _auth(cls, value: Any) -> Any:
        """st.login needs at least where to come back to; an empty [auth] would offer a button that fails."""
        if not isinstance(value, Mapping) or not isinstance(value.get("redirect_uri"), str):
            raise ValueError("[auth] needs at least redirect_uri (and the provider's settings, see DEPLOY.md)")
        return dict(value)


def secrets_problems(exc: ValidationError) -> str:
    """Which settings are wrong and why, for the operator's log: the setting's dotted name and the reason,
    never the value (it may be a password hash)."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "the file"
        lines.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(lines)


class AuthConfig(BaseModel):
    """Who may edit, read from the app's secrets (the [radar] and [auth] sections).

    Fails closed: only an explicit local setting (RADAR_LOCAL_EDITOR=1, which `make run` sets) with no secrets
    file at all makes an anonymous visitor an editor. Any secrets file (even an empty one), an empty [radar]
    section, or a secrets file that cannot be read or validated all mean: everyone is a viewer.
    """

    hosted: bool = True  # anonymous visitors are viewers
    editors: dict[str, EditorAccount] = Field(default_factory=dict)  # username -> account
    colleagues: dict[str, EditorAccount] = Field(default_factory=dict)  # read the pipeline, cannot write
    oidc: bool = False  # Streamlit's st.login is configured ([auth] section)
    oidc_editors: frozenset[str] = frozenset()  # e-mail addresses (case-folded) that are editors
    problem: str | None = None  # why sign-in is off (a secrets file that cannot be read), for the operator

    @classmethod
    def from_secrets(cls, raw: Mapping[str, Any], local: bool = False) -> AuthConfig:
        """Read the config; `local` (the explicit setting, only when no secrets file exists) without any secrets
        means everyone edits. Raises ValueError naming every wrong setting (secrets_problems)."""
        try:
            secrets = Secrets.model_validate(dict(raw))
        except ValidationError as exc:
            raise ValueError(secrets_problems(exc)) from None
        hosted = bool(raw) or not local  # any secrets at all mean a deployment: never open
        return cls(hosted=hosted, editors=secrets.radar.editors, colleagues=secrets.radar.colleagues,
                   oidc=secrets.auth is not None, oidc_editors=frozenset(secrets.radar.oidc_editors))

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
    """Counts sign-in attempts in the store (Store.count_sign_in_attempt): per username and across the app, shared
    by every session, thread and (on PostgreSQL) replica, and counted before the password is checked, so that
    parallel attempts cannot all slip through before the first failure is recorded."""

    def __init__(self, store: Any, now: Callable[[], datetime] = datetime.now,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.store = store
        self.now = now
        self.sleep = sleep

    def attempt(self, username: str) -> tuple[bool, bool]:
        """Count one attempt: (locked: the username had MAX_FAILED_SIGN_INS attempts within LOCKOUT_SECONDS,
        flooded: the app had more than GLOBAL_ATTEMPTS_PER_MINUTE this minute)."""
        on_name, on_all = self.store.count_sign_in_attempt(
            username, self.now(), lockout=timedelta(seconds=LOCKOUT_SECONDS), window=timedelta(minutes=1),
            max_attempts=MAX_FAILED_SIGN_INS)
        return on_name > MAX_FAILED_SIGN_INS, on_all > GLOBAL_ATTEMPTS_PER_MINUTE

    def succeeded(self, username: str) -> None:
        self.store.clear_sign_in_attempts(username)


class SignInLocked(PermissionError):
    """Too many failed sign-ins for this username; try again later."""


# Under a flood, passwords are checked one at a time (PBKDF2 is CPU work a flood must not multiply).
_FLOOD_GATE = threading.Lock()


def sign_in(config: AuthConfig, username: str, password: str, throttle: SignInThrottle) -> User | None:
    """The editor for a correct username and password, None otherwise (the same answer for both).

    Every attempt is counted first: the sixth within the lock-out is refused (SignInLocked) without checking the
    password; while the app sees a flood, every attempt waits FLOOD_DELAY_SECONDS and is checked alone, but a
    correct password still signs in."""
    username = username.strip()[:120]  # the name User keeps: 500 variants of a long name are one name
    locked, flooded = throttle.attempt(username)
    if locked:
        raise SignInLocked(username)
    role: Role = "editor" if username in config.editors else "colleague"
    account = config.editors.get(username) or config.colleagues.get(username)
    # Hash even for an unknown username, so timing does not reveal which usernames exist.
    encoded = account.password_hash if account else _dummy_hash()
    if flooded:
        throttle.sleep(FLOOD_DELAY_SECONDS)
        with _FLOOD_GATE:
            ok = verify_password(password, encoded) and account is not None
    else:
        ok = verify_password(password, encoded) and account is not None
    if not ok:
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
