"""Sign-in limits that hold (issue 28): attempts are counted in the store, atomically, per username and across the
app, so parallel attempts, reruns, threads and (on PostgreSQL) replicas share one count; a flood slows sign-ins
down without refusing a correct password. Runs on both backends (conftest.BOTH_BACKENDS).

The password check itself is replaced by a fast stand-in here where many attempts are made: what is tested is the
counting, not PBKDF2 (tests/unit/test_auth.py tests the hashes)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest

from lib import auth
from lib import store as store_module
from lib.auth import (
    FLOOD_DELAY_SECONDS,
    GLOBAL_ATTEMPTS_PER_MINUTE,
    MAX_FAILED_SIGN_INS,
    AuthConfig,
    EditorAccount,
    SignInLocked,
    SignInThrottle,
    hash_password,
    sign_in,
)

PASSWORD = "correct horse battery staple"
CONFIG = AuthConfig(editors={"aigerim": EditorAccount(name="Aigerim S.", password_hash=hash_password(PASSWORD))})


class Clock:
    """A settable clock and a sleep that only records how long it was asked to wait."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0)
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """Records every password actually checked; a slow stand-in (20 ms) widens any race between threads."""
    seen: list[str] = []

    def verify(password: str, encoded: str) -> bool:
        seen.append(password)
        time.sleep(0.02)
        return password == PASSWORD and encoded == CONFIG.editors["aigerim"].password_hash

    monkeypatch.setattr(auth, "verify_password", verify)
    return seen


def test_forty_parallel_wrong_passwords_check_five(store, checked):
    throttle = SignInThrottle(store)
    start = threading.Barrier(40)
    results: list[object] = []

    def attempt() -> None:
        start.wait()
        try:
            results.append(sign_in(CONFIG, "aigerim", "guess", throttle))
        except SignInLocked:
            results.append("locked")

    threads = [threading.Thread(target=attempt) for _n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(checked) == MAX_FAILED_SIGN_INS and results.count("locked") == 40 - MAX_FAILED_SIGN_INS
    with pytest.raises(SignInLocked):  # the right password too, until the lock-out is over
        sign_in(CONFIG, "aigerim", PASSWORD, throttle)


def test_the_count_is_shared_by_every_throttle_on_the_store(store, database, backend, checked, clock):
    # Two sessions' throttles in one process; on PostgreSQL a second Store is a second replica.
    other = store_module.connect(database) if backend == "postgres" else store
    first, second = SignInThrottle(store, now=clock), SignInThrottle(other, now=clock)
    for n in range(MAX_FAILED_SIGN_INS):
        assert sign_in(CONFIG, "aigerim", "guess", first if n % 2 else second) is None
    with pytest.raises(SignInLocked):
        sign_in(CONFIG, "aigerim", PASSWORD, second)
    clock.now += timedelta(minutes=15, seconds=1)
    assert sign_in(CONFIG, "aigerim", PASSWORD, first).can_edit
    if other is not store:
        other.close()


def test_a_correct_password_resets_the_count(store, checked, clock):
    throttle = SignInThrottle(store, now=clock)
    for _n in range(MAX_FAILED_SIGN_INS - 1):
        sign_in(CONFIG, "aigerim", "guess", throttle)
    assert sign_in(CONFIG, "aigerim", PASSWORD, throttle).can_edit
    for _n in range(MAX_FAILED_SIGN_INS - 1):
        sign_in(CONFIG, "aigerim", "guess", throttle)
    assert sign_in(CONFIG, "aigerim", PASSWORD, throttle).can_edit


def test_a_flood_slows_sign_ins_down_but_never_refuses_the_right_password(store, checked, clock):
    throttle = SignInThrottle(store, now=clock, sleep=clock.sleep)
    for n in range(GLOBAL_ATTEMPTS_PER_MINUTE):
        assert sign_in(CONFIG, f"made-up-{n}", "guess", throttle) is None
    assert clock.slept == []
    signed_in = sign_in(CONFIG, "aigerim", PASSWORD, throttle)
    assert signed_in is not None and signed_in.can_edit  # refused before (issue 28): "try again in 15 minutes"
    assert clock.slept == [FLOOD_DELAY_SECONDS]  # but it waited
    clock.now += timedelta(seconds=61)
    assert sign_in(CONFIG, "aigerim", PASSWORD, throttle).can_edit and len(clock.slept) == 1


def test_made_up_names_never_free_a_locked_one_and_are_forgotten_after_the_lock_out(store, checked, clock):
    throttle = SignInThrottle(store, now=clock, sleep=clock.sleep)
    for _n in range(MAX_FAILED_SIGN_INS):
        sign_in(CONFIG, "aigerim", "guess", throttle)
    for n in range(300):
        sign_in(CONFIG, f"made-up-{n}", "guess", throttle)
    with pytest.raises(SignInLocked):
        sign_in(CONFIG, "aigerim", PASSWORD, throttle)
    assert store.fetch_one("SELECT count(*) FROM sign_in_attempts")[0] == 302  # 301 names and the app's count
    clock.now += timedelta(minutes=15, seconds=1)
    sign_in(CONFIG, "someone", "guess", throttle)
    assert store.fetch_one("SELECT count(*) FROM sign_in_attempts")[0] == 2  # the old names are gone


def test_counting_an_attempt_leaves_the_data_version_alone(store, checked):
    version = store.data_version()
    sign_in(CONFIG, "aigerim", "guess", SignInThrottle(store))
    assert store.data_version() == version  # no cache of any replica is thrown away by a sign-in


def test_usernames_are_counted_as_typed_within_the_length_limit(store, checked, clock):
    throttle = SignInThrottle(store, now=clock)
    for _n in range(MAX_FAILED_SIGN_INS):
        sign_in(CONFIG, "  aigerim ", "guess", throttle)  # blanks around do not make another name
    with pytest.raises(SignInLocked):
        sign_in(CONFIG, "aigerim", PASSWORD, throttle)
    for _n in range(MAX_FAILED_SIGN_INS):
        sign_in(CONFIG, "x" * 500 + "a", "guess", throttle)
    with pytest.raises(SignInLocked):  # a long name is cut where User cuts it: one name, not 500 variants
        sign_in(CONFIG, "x" * 500 + "b", "guess", throttle)
