"""Who is using the app: local editor, signed-in editor, OIDC user or read-only viewer."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st
from streamlit import config as st_config

from lib.auth import LOCAL_MODE_ENV, AuthConfig, SignInLocked, SignInThrottle, User, sign_in
from lib.i18n import _, md_text
from lib.ui.state import get_store

log = logging.getLogger(__name__)


def _secrets_files() -> list[Path]:
    """The secrets files Streamlit reads (~/.streamlit/secrets.toml, ./.streamlit/secrets.toml, or as set)."""
    return [Path(p) for p in st_config.get_option("secrets.files") or []]


def _read_secrets() -> dict:
    """st.secrets as a dict; raises StreamlitSecretNotFoundError (a FileNotFoundError) for no file or a broken one."""
    return st.secrets.to_dict()


def auth_config() -> AuthConfig:
    """Sign-in settings from st.secrets. Fails closed: a secrets file that exists but cannot be read or
    validated leaves everyone a viewer, with a message for the operator in the log and on the page."""
    file_exists = any(path.is_file() for path in _secrets_files())
    # The local setting opens the app only where there is no secrets file at all: an empty or comment-only file
    # is a deployment whose editors are not written yet, not a laptop.
    local = os.environ.get(LOCAL_MODE_ENV) == "1" and not file_exists
    try:
        raw = _read_secrets()
    except FileNotFoundError as exc:  # StreamlitSecretNotFoundError: no file, or one that does not parse
        if file_exists:
            log.error("Sign-in is off, everyone is a viewer: the secrets file cannot be read (%s)", exc)
            return AuthConfig(problem="unreadable")
        raw = {}
    try:
        return AuthConfig.from_secrets(raw, local=local)
    except ValueError as exc:  # wrong types, empty sections, weak hashes: read-only for everyone rather than open
        log.error("Sign-in is off, everyone is a viewer: the secrets are not valid (%s). See DEPLOY.md, Editor "
                  "accounts.", exc)
        return AuthConfig(problem="invalid")


def current_user() -> User:
    """Who acts in this session: the signed-in editor, an st.login user, else anonymous (see AuthConfig)."""
    if isinstance(st.session_state.get("user"), User):
        return st.session_state["user"]
    config = auth_config()
    if config.oidc and st.user.is_logged_in:
        return config.oidc_user(st.user.get("email"), st.user.get("name"), st.user.get("email_verified"))
    return config.anonymous()


def _sign_out() -> None:
    st.session_state.pop("user", None)


def account_panel() -> None:
    """Who you are and what you may do; the editor sign-in form on a hosted app."""
    config, user = auth_config(), current_user()
    side = st.sidebar
    if not config.hosted:
        side.caption(_("Local run without sign-in: you act as “%(name)s”, an editor.") % {"name": md_text(user.name)})
        return
    if config.problem:
        side.error(_("Sign-in is switched off because the app's secrets file cannot be read or is not valid: "
                     "everyone can only look. The operator finds the reason in the server log (DEPLOY.md)."))
    elif not (config.editors or config.colleagues or config.oidc):
        side.caption(_("No sign-in is set up: everyone can only look. For a single-user run on your own "
                       "machine, start the app with `make run` (it sets RADAR_LOCAL_EDITOR=1); for a shared "
                       "server, set up editor accounts (DEPLOY.md)."))
    if user.can_edit or "user" in st.session_state:
        side.caption(_("Signed in as %(name)s (%(role)s).") % {"name": md_text(user.name), "role": _(user.role)})
        side.button(_("Sign out"), key="sign_out", on_click=_sign_out)
        return
    if config.oidc and st.user.is_logged_in:
        side.caption(_("Signed in as %(name)s, read-only: ask an administrator for editor rights.")
                     % {"name": md_text(user.name)})
        side.button(_("Sign out"), key="sign_out_oidc", on_click=st.logout)
        return
    side.caption(_("Read-only: you can change the view and share links. Editors sign in to change "
                   "shortlists, scenarios and data."))
    with side.expander(_("Editor sign-in"), icon=":material/login:"):
        if config.oidc:
            st.button(_("Sign in with your organisation account"), key="sign_in_oidc", on_click=st.login)
        if config.editors or config.colleagues:
            with st.form("sign_in", clear_on_submit=True, border=False):
                username = st.text_input(_("Username"), key="sign_in_username")
                password = st.text_input(_("Password"), type="password", key="sign_in_password")
                submitted = st.form_submit_button(_("Sign in"))
            if submitted:
                try:
                    # Counted in the store: shared by every session and, on PostgreSQL, every replica.
                    signed_in = sign_in(config, username, password, SignInThrottle(get_store()))
                except SignInLocked:
                    st.error(_("Too many failed sign-in attempts; try again in 15 minutes."))
                    return
                if signed_in is None:
                    st.error(_("Wrong username or password."))
                else:
                    st.session_state["user"] = signed_in
                    st.rerun()
