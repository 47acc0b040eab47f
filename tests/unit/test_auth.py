"""The secrets file as one validated model (issue 28): wrong types, a string where a list belongs, empty sections
and weak password hashes switch sign-in off with one log line naming the setting (never the hash), and
RADAR_LOCAL_EDITOR=1 opens the app only when there is no secrets file at all."""

from __future__ import annotations

import logging
import tomllib

import pytest

from lib.auth import HASH_ITERATIONS, AuthConfig, hash_password
from lib.ui import account

PASSWORD = "correct horse battery staple"
GOOD_HASH = hash_password(PASSWORD)
ACCOUNT = f'name = "Aigerim S."\npassword_hash = "{GOOD_HASH}"\n'


@pytest.fixture
def secrets_file(tmp_path, monkeypatch):
    """Write the text of a secrets file; the app then reads it as Streamlit would (tomllib)."""
    path = tmp_path / "secrets.toml"
    monkeypatch.setattr(account, "_secrets_files", lambda: [path])
    monkeypatch.setattr(account, "_read_secrets", lambda: tomllib.loads(path.read_text(encoding="utf-8")))
    monkeypatch.setenv("RADAR_LOCAL_EDITOR", "1")  # even on a `make run` machine

    def write(text: str) -> None:
        path.write_text(text, encoding="utf-8")
    return write


@pytest.mark.parametrize(("text", "names"), [
    ("radar = 5\n", "radar"),
    ('radar = "editors"\n', "radar"),
    ('[radar]\neditors = "aigerim"\n', "radar.editors"),
    ("[radar]\noidc_editors = 5\n", "radar.oidc_editors"),
    ('[radar]\noidc_editors = ["a@b.kz", 7]\n', "radar.oidc_editors"),
    ("[radar.editors]\naigerim = 1\n", "radar.editors.aigerim"),
    ("[radar.editors.aigerim]\n", "radar.editors.aigerim"),  # an empty account
    ("[auth]\n", "auth"),  # st.login without any settings
    (f"[radar.editor.aigerim]\n{ACCOUNT}", "radar.editor"),  # a misspelt section is not silently ignored
    (f"[radar.editors.aigerim]\nname = 5\npassword_hash = \"{GOOD_HASH}\"\n", "radar.editors.aigerim.name"),
])
def test_a_wrongly_typed_secrets_file_switches_sign_in_off_with_one_log_line(secrets_file, caplog, text, names):
    secrets_file(text)
    with caplog.at_level(logging.ERROR, logger=account.log.name):
        config = account.auth_config()
    assert config.problem == "invalid" and config.anonymous().role == "viewer"
    assert not config.editors and not config.colleagues and not config.oidc_editors
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Sign-in is off" in line and names in line


def test_one_oidc_editor_given_as_a_string_is_one_address(secrets_file):
    secrets_file('[radar]\noidc_editors = " A@B.kz "\n[auth]\nredirect_uri = "https://radar.example/cb"\n')
    config = account.auth_config()
    assert config.problem is None and config.oidc_editors == frozenset({"a@b.kz"})  # never {"a", "@", "b", ...}
    assert config.oidc_user("a@b.kz", "A", email_verified=True).can_edit
    assert not config.oidc_user("a", "A", email_verified=True).can_edit


@pytest.mark.parametrize(("password_hash", "says"), [
    (hash_password(PASSWORD, iterations=1_000), "1,000 iterations"),
    (hash_password(PASSWORD, iterations=HASH_ITERATIONS - 1), f"{HASH_ITERATIONS - 1:,} iterations"),
    (GOOD_HASH.split("$")[0] + f"${HASH_ITERATIONS}$$" + GOOD_HASH.split("$")[3], "salt"),
    (hash_password(PASSWORD, salt=b"12345678"), "salt"),
    ("md5$600000$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaA==", "pbkdf2_sha256"),
    ("pbkdf2_sha256$600000$REPLACE_WITH_SALT$REPLACE_WITH_HASH", "base64"),  # the example file, unfilled
])
def test_a_weak_or_malformed_password_hash_switches_sign_in_off(secrets_file, caplog, password_hash, says):
    secrets_file(f'[radar.editors.aigerim]\nname = "Aigerim S."\npassword_hash = "{password_hash}"\n')
    with caplog.at_level(logging.ERROR, logger=account.log.name):
        config = account.auth_config()
    assert config.problem == "invalid" and not config.editors
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "radar.editors.aigerim.password_hash" in logged and says in logged
    assert password_hash.split("$")[-1] not in logged or not password_hash.split("$")[-1]  # never the hash


def test_a_strong_hash_signs_in():
    config = AuthConfig.from_secrets({"radar": {"editors": {"aigerim": {"name": "A", "password_hash": GOOD_HASH}}}})
    assert config.problem is None and set(config.editors) == {"aigerim"}


@pytest.mark.parametrize("text", ["", "# the editors will be added later\n", "\n\n"])
def test_an_empty_or_comment_only_secrets_file_never_makes_visitors_editors(secrets_file, text):
    secrets_file(text)
    config = account.auth_config()
    assert config.hosted and config.anonymous().role == "viewer"


def test_the_local_setting_opens_the_app_only_without_any_secrets_file(tmp_path, monkeypatch):
    from streamlit.errors import StreamlitSecretNotFoundError

    monkeypatch.setattr(account, "_secrets_files", lambda: [tmp_path / "secrets.toml"])
    monkeypatch.setattr(account, "_read_secrets", lambda: (_ for _ in ()).throw(
        StreamlitSecretNotFoundError("No secrets found")))
    monkeypatch.setenv("RADAR_LOCAL_EDITOR", "1")
    assert account.auth_config().anonymous().can_edit
    monkeypatch.setenv("RADAR_LOCAL_EDITOR", "0")
    assert account.auth_config().anonymous().role == "viewer"
