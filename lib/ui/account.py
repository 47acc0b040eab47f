"""Who is using the app: local editor, signed-in editor, OIDC user or read-only viewer."""

from __future__ import annotations

import streamlit as st

from lib.auth import AuthConfig, SignInLocked, User, sign_in
from lib.i18n import _, md_text


def auth_config() -> AuthConfig:
    """Sign-in settings from st.secrets; no secrets file means a local run. A broken file fails closed."""
    try:
        raw = st.secrets.to_dict()
    except FileNotFoundError:  # StreamlitSecretNotFoundError: no secrets.toml at all
        raw = {}
    try:
        return AuthConfig.from_secrets(raw)
    except ValueError:  # a malformed [radar] section: read-only for everyone rather than open
        return AuthConfig(hosted=True)


def current_user() -> User:
    """Who acts in this session: the signed-in editor, an st.login user, else anonymous (see AuthConfig)."""
    if isinstance(st.session_state.get("user"), User):
        return st.session_state["user"]
    config = auth_config()
    if config.oidc and st.user.is_logged_in:
        return config.oidc_user(st.user.get("email"), st.user.get("name"))
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
        if config.editors:
            with st.form("sign_in", clear_on_submit=True, border=False):
                username = st.text_input(_("Username"), key="sign_in_username")
                password = st.text_input(_("Password"), type="password", key="sign_in_password")
                submitted = st.form_submit_button(_("Sign in"))
            if submitted:
                try:
                    signed_in = sign_in(config, username, password)
                except SignInLocked:
                    st.error(_("Too many failed attempts for this username; try again in 15 minutes."))
                    return
                if signed_in is None:
                    st.error(_("Wrong username or password."))
                else:
                    st.session_state["user"] = signed_in
                    st.rerun()
