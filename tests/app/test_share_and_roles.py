"""Shared links and roles, through the app: bad links fall back with a note; viewers cannot write.

The pure parts (parsing, password hashes, the role of an anonymous user) are tested here too, next
to the app behaviour they decide.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from lib.auth import (
    LOCAL_USER,
    AuthConfig,
    PermissionDenied,
    SignInThrottle,
    User,
    hash_password,
    sign_in,
    verify_password,
)
from lib.scenarios import list_scenarios, save_scenario
from lib.store import open_store
from lib.ui.links import SHARE_BOX
from lib.ui.sidebar import MISSING_BOX
from lib.viewstate import ViewState
from tests.conftest import APP, ROOT

PASSWORD = "correct horse battery staple"
# A hash as strong as the app demands of a secrets file (600,000 iterations: 0.1-0.3 s per check).
SECRETS = {"radar": {"editors": {"aigerim": {"name": "Aigerim S.",
                                             "password_hash": hash_password(PASSWORD)}}}}


def run_app(query: dict | None = None, secrets: dict | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shared_link(at: AppTest) -> str:
    """Open the sidebar's "Share this view" box (built only while open) and read the link in it."""
    at.session_state[SHARE_BOX] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at.code[-1].value


def link_notes(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning if "could not be used" in w.value)


def top_names(at: AppTest, n: int = 10) -> list[str]:
    return list(at.dataframe[0].value["name"].head(n))


# -- links ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "widget", "default"),
    [
        ("w_exit_firmness", "twenty", "slider", 20),  # text where a number belongs
        ("w_company_scale", "250", "slider", 15),  # weight out of range
        ("w_company_scale", "-1", "slider", 15),
        ("w_sector_priority", "NaN", "slider", 15),
        ("method", "electre", "radio", "wsm"),  # unknown method
        ("method", "<script>alert(1)</script>", "radio", "wsm"),  # script tag
        ("method", "x" * 10_240, "radio", "wsm"),  # a 10 kB value
        ("min_rev", "a lot", "number_input", 0),
        ("min_rev", "1e15", "number_input", 0),
        ("m_incentive_fit", "sometimes", "selectbox", "neutral"),
        ("no_high_risk", "<img src=x onerror=alert(1)>", "checkbox", False),
        ("sector", "Mining on Mars", "multiselect", []),
        ("status", "Gone fishing", "multiselect", []),
    ],
)
def test_bad_parameter_falls_back_to_default_with_a_note(app_db, key, value, widget, default):
    at = run_app({key: value})
    notes = link_notes(at)
    assert f"`{key}`" in notes
    assert "<script>" not in notes and "onerror" not in notes and len(notes) < 1000  # never echoes the value
    if key.startswith("m_"):  # the missing-data policies are drawn once their box is opened
        at.session_state[MISSING_BOX] = True
        at.run()
    assert getattr(at, widget)(key=key).value == default
    assert len(at.dataframe[0].value) >= 300  # the ranking is still drawn


@pytest.mark.parametrize("key", ["utm_source", "<script>alert(1)</script>", "z" * 10_240])
def test_unknown_parameter_is_ignored_with_a_note(app_db, key):
    at = run_app({key: "1"})
    notes = link_notes(at)
    assert "does not use" in notes and "<script>" not in notes and len(notes) < 1000


def test_many_hostile_parameters_at_once(app_db):
    hostile = {f"junk{i}": "<script>" * 100 for i in range(30)} | {"w_exit_firmness": "1e400", "method": ""}
    at = run_app(hostile)
    assert "more unknown parameters" in link_notes(at)
    assert at.slider(key="w_exit_firmness").value == 20


def test_notes_can_be_dismissed(app_db):
    at = run_app({"w_exit_firmness": "twenty"})
    at.button(key="dismiss_link_notes").click().run()
    assert not link_notes(at)


def test_a_valid_link_sets_the_widgets_and_raises_no_note(app_db):
    at = run_app({"method": "topsis", "w_company_scale": "80", "status": ["Withdrawal", "Suspension"],
                  "no_high_risk": "true"})
    assert not link_notes(at)
    assert at.radio(key="method").value == "topsis"  # a stable id works as well as the shown label
    assert at.slider(key="w_company_scale").value == 80
    assert at.multiselect(key="status").value == ["Withdrawal", "Suspension"]
    assert set(at.dataframe[0].value["status"]) <= {"Withdrawal", "Suspension"}


def test_copied_link_reproduces_the_top_ten_in_a_new_session(app_db):
    at = run_app()
    default_top = top_names(at)
    for slider in at.slider:
        slider.set_value(0 if slider.key != "w_production_intensity" else 100)
    at.slider(key="w_regional_presence").set_value(40)
    at.multiselect(key="status").set_value(["Withdrawal", "Scaling back"])
    at.radio(key="method").set_value("topsis").run()
    assert not at.exception
    sender_top = top_names(at)
    assert sender_top != default_top
    link = shared_link(at)
    query = parse_qs(urlsplit(link).query)
    assert query["method"] == ["topsis"] and query["w_production_intensity"] == ["100"]  # ids, not labels

    colleague = run_app({key: values if len(values) > 1 else values[0] for key, values in query.items()})
    assert not link_notes(colleague)
    assert top_names(colleague) == sender_top
    assert shared_link(colleague) == link  # and the colleague's link is the same link


def test_link_made_in_russian_opens_the_same_ranking(app_db):
    from contextvars import copy_context

    from lib.i18n import _, set_language
    from lib.radar import load_universe
    from lib.viewstate import to_query

    companies = load_universe(open_store(app_db)).companies
    sector = companies.loc[companies["sector_code"] == "ITC", "sector_name"].iloc[0]

    def russian_labels() -> dict[str, list[str]]:  # what a link copied from a Russian page said before ids
        set_language("ru")
        return {"lang": ["ru"], "method": [_("TOPSIS")], "status": [_("Withdrawal")],
                "m_incentive_fit": [_("Worst case (0)")], "sector": [_(sector)]}

    # A link from before the order existed opens ordered by value: the link with ids says so itself.
    view = ViewState(method="topsis", statuses=["Withdrawal"], missing={"incentive_fit": "worst"}, sectors=["ITC"],
                     order="value")
    queries = [copy_context().run(russian_labels), parse_qs(to_query(view))]
    assert queries[0]["status"] != queries[1]["status"]  # the Russian link carries Russian labels
    apps = [run_app({key: values[0] for key, values in query.items()}) for query in queries]
    for at in apps:
        assert not link_notes(at)
        assert at.multiselect(key="status").value == ["Withdrawal"]
    assert top_names(apps[0]) == top_names(apps[1])
    assert len(apps[0].dataframe[0].value) == len(apps[1].dataframe[0].value) > 0


# -- roles ------------------------------------------------------------------------------------------
def test_only_the_explicit_local_setting_makes_everyone_an_editor():
    config = AuthConfig.from_secrets({}, local=True)
    assert not config.hosted and config.anonymous() == LOCAL_USER and LOCAL_USER.can_edit
    # No secrets and no explicit setting: viewers only (the absence of a file never opens the app).
    assert AuthConfig.from_secrets({}).anonymous().role == "viewer"
    # An empty [radar] section (DEPLOY.md's way to remove the last editor) or only unrelated sections: closed,
    # even with the local setting.
    assert AuthConfig.from_secrets({"radar": {}}, local=True).anonymous().role == "viewer"
    assert AuthConfig.from_secrets({"other": {"x": 1}}, local=True).anonymous().role == "viewer"


@pytest.mark.parametrize("content, problem", [
    ('[radar]\nx = "abc\n', "unreadable"),  # a hash pasted without its closing quote: TOML does not parse
    ("[radar.editors.aigerim]\nname = 'A'\n", "invalid"),  # an editor without a password hash
    ("[other]\nkey = 1\n", None),  # only unrelated sections
    ("[radar]\n", None),  # every editor block deleted
])
def test_a_broken_or_partial_secrets_file_fails_closed_in_the_app(tmp_path, monkeypatch, content, problem):
    import tomllib

    from streamlit.errors import StreamlitSecretNotFoundError

    from lib.ui import account

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(content, encoding="utf-8")

    def to_dict():  # what st.secrets does: a parse error surfaces as StreamlitSecretNotFoundError
        try:
            return tomllib.loads(secrets.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise StreamlitSecretNotFoundError(f"Error parsing secrets file at {secrets}: {exc}") from exc

    monkeypatch.setattr(account, "_read_secrets", to_dict)
    monkeypatch.setattr(account, "_secrets_files", lambda: [secrets])
    monkeypatch.setenv("RADAR_LOCAL_EDITOR", "1")  # even on a `make run` machine
    config = account.auth_config()
    assert config.anonymous().role == "viewer" and config.problem == problem
    # Without any file and with the explicit setting, the local run edits; without the setting it does not.
    secrets.unlink()
    monkeypatch.setattr(account, "_read_secrets", lambda: (_ for _ in ()).throw(
        StreamlitSecretNotFoundError("No secrets found")))
    assert account.auth_config().anonymous().can_edit
    monkeypatch.delenv("RADAR_LOCAL_EDITOR")
    assert account.auth_config().anonymous().role == "viewer"


def test_oidc_editor_needs_a_verified_email():
    config = AuthConfig.from_secrets({"auth": {"redirect_uri": "x"}, "radar": {"oidc_editors": ["a@gov.kz"]}})
    assert config.oidc_user("a@gov.kz", "A", email_verified=True).can_edit
    unverified = config.oidc_user("a@gov.kz", "A", email_verified=None)
    assert not unverified.can_edit and unverified.can_see_pipeline  # a signed-in colleague, not an editor


def test_hosted_app_is_read_only_until_sign_in(store):
    config = AuthConfig.from_secrets(SECRETS)
    assert config.hosted and config.anonymous().role == "viewer"
    throttle = SignInThrottle(store)
    assert sign_in(config, "aigerim", PASSWORD, throttle) == User(name="Aigerim S.", role="editor")
    assert sign_in(config, "aigerim", "wrong", throttle) is None
    assert sign_in(config, "nobody", PASSWORD, throttle) is None


def test_oidc_users_are_editors_only_when_listed():
    config = AuthConfig.from_secrets({"auth": {"redirect_uri": "x"}, "radar": {"oidc_editors": ["A@Gov.kz"]}})
    assert config.oidc and config.hosted
    assert config.oidc_user("a@gov.kz", "A", email_verified=True).can_edit
    assert not config.oidc_user("b@gov.kz", "B", email_verified=True).can_edit
    assert not config.oidc_user(None, None).can_edit


@pytest.mark.parametrize("encoded", ["", "plain", "pbkdf2_sha256$1$abc$def", "md5$1000$c2FsdA==$aGFzaA==",
                                     "pbkdf2_sha256$notanumber$c2FsdA==$aGFzaA=="])
def test_malformed_hashes_never_match(encoded):
    assert not verify_password("", encoded) and not verify_password(PASSWORD, encoded)


def test_viewer_sees_read_only_and_cannot_save_a_scenario(app_db):
    at = run_app(secrets=SECRETS, page="pages/scenarios.py")
    assert any("Read-only" in c.value for c in at.sidebar.caption)
    save = next(b for b in at.button if b.label == "Save scenario")
    # Disabled here, and Streamlit discards a forged click on a disabled widget; save_scenario itself
    # refuses a viewer too (test_viewer_is_refused_every_write_and_nothing_changes).
    assert save.disabled
    assert any("You are a viewer" in i.value for i in at.info)
    assert not any(b.key == "scenario_delete" and not b.disabled for b in at.button)


def test_editor_signs_in_and_saves_a_scenario(app_db):
    at = run_app(secrets=SECRETS, page="pages/scenarios.py")
    at.text_input(key="sign_in_username").input("aigerim")
    at.text_input(key="sign_in_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception
    assert at.session_state["user"] == User(name="Aigerim S.", role="editor")
    at.slider(key="w_company_scale").set_value(90)
    at.text_input(key="scenario_name").input("Scale first")
    next(b for b in at.button if b.label == "Save scenario").click().run()
    assert not at.exception and any("Saved" in s.value for s in at.success)
    (saved,) = list_scenarios(open_store(app_db))
    assert saved.name == "Scale first" and saved.created_by == "Aigerim S." and saved.view.weights[
        "company_scale"] == 90


def test_wrong_password_stays_viewer(app_db):
    at = run_app(secrets=SECRETS)
    at.text_input(key="sign_in_username").input("someone-else")
    at.text_input(key="sign_in_password").input("nope")
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert any("Wrong username or password" in e.value for e in at.error)
    assert "user" not in at.session_state


def _submit_sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="sign_in_username").input(username)
    at.text_input(key="sign_in_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_lock_out_reached_in_one_browser_holds_in_another(app_db):
    """The count lives in the store: another session (and, on PostgreSQL, another replica) sees it."""
    from lib.auth import MAX_FAILED_SIGN_INS

    first = run_app(secrets=SECRETS)
    for _attempt in range(MAX_FAILED_SIGN_INS):
        assert any("Wrong username or password" in e.value for e in _submit_sign_in(first, "aigerim", "guess").error)
    second = _submit_sign_in(run_app(secrets=SECRETS), "aigerim", PASSWORD)
    assert any("Too many failed sign-in attempts" in e.value for e in second.error)
    assert "user" not in second.session_state


def test_loading_a_scenario_sets_the_sidebar(app_db):
    store = open_store(app_db)
    save_scenario(store, LOCAL_USER, "IT only", ViewState(method="topsis", sectors=["ITC"], min_revenue_usd_m=1000))
    at = run_app(page="pages/scenarios.py")
    at.button(key="scenario_load").click().run()
    assert at.radio(key="method").value == "topsis"
    assert at.multiselect(key="sector").value == ["ITC"] and at.number_input(key="min_rev").value == 1000


def test_comparing_two_scenarios_lists_who_entered_and_left(app_db):
    store = open_store(app_db)
    save_scenario(store, LOCAL_USER, "Scale only",
                  ViewState(weights={c: 100 if c == "company_scale" else 0 for c in ViewState().weights}))
    at = run_app(page="pages/scenarios.py")
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Entered the top 10"]) == int(metrics["Left the top 10"]) > 0
    changes = at.dataframe[-1].value
    assert {"entered", "left"} <= set(changes["movement"].map({"Entered the top": "entered",
                                                                "Left the top": "left",
                                                                "Stayed in the top": "stayed"}))


# -- every write path refuses a viewer on the server side ----------------------------------------------
def _viewer() -> User:
    """The user an anonymous visitor of a hosted app is, resolved as the app resolves it."""
    return AuthConfig.from_secrets(SECRETS).anonymous()


def _editor(store) -> User:
    return sign_in(AuthConfig.from_secrets(SECRETS), "aigerim", PASSWORD, SignInThrottle(store))


def _write_actions(store):
    """(name, call(user)) for every write function that exists in lib/ today."""
    from lib.importer import apply_import, preview_import
    from lib.models import Filters, ScoringSettings
    from lib.shortlist import add_to_shortlist

    def preview():  # made just before applying: a preview is refused once the store has changed since
        return preview_import(store, (ROOT / "tests/fixtures/imports/yale_celi.csv").read_bytes(), "yale_celi.csv")

    company_id = int(store.fetch_one("SELECT min(company_id) FROM companies WHERE is_candidate")[0])
    actions = [
        ("save scenario", lambda user: save_scenario(store, user, "Q3", ViewState())),
        ("shortlist", lambda user: add_to_shortlist(store, user, [{"company_id": company_id, "score": 0.5, "rank": 1}],
                                                    (ScoringSettings(), Filters()))),
        ("import", lambda user: apply_import(store, user, preview(), skip_rejected=True)),
    ]
    try:
        from lib.steward import save_incentive_packages
    except ImportError:  # issue 5's steward module is not merged yet
        pass
    else:
        packages = store.incentive_packages().head(1).to_dict("records")
        actions.append(("edit incentive", lambda user: save_incentive_packages(store, user, packages)))
    return actions


def test_viewer_is_refused_every_write_and_nothing_changes(store):
    before = store.table_checksums()
    for name, action in _write_actions(store):
        with pytest.raises(PermissionDenied):
            action(_viewer())
        assert store.table_checksums() == before, name


def test_editor_may_do_every_write(store):
    for name, action in _write_actions(store):
        before = store.data_version()
        action(_editor(store))
        assert store.data_version() > before, name  # each write left an audit row


@pytest.mark.parametrize("by", ["id", "name"])
def test_link_to_a_company_profile_opens_it(app_db, by):
    store = open_store(app_db)
    company_id, name = store.fetch_one("SELECT company_id, name FROM companies WHERE is_candidate ORDER BY name")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["company"] = str(company_id) if by == "id" else name
    at.switch_page("pages/company.py").run()
    assert not at.exception and not link_notes(at)
    assert at.selectbox(key="company").value == company_id
    # The shared link names the company as the page's selector shows it, readable in any mail client.
    assert parse_qs(urlsplit(shared_link(at)).query)["company"] == [name]
