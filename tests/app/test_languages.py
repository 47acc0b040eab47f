"""Every page in Russian and Kazakh: renders without an exception and shows no English catalogue message.

Visible text is collected from the element tree: titles, headers, captions, markdown, alerts, metric
labels, widget labels, help texts, placeholders and options, expander and tab labels, table column
headers and the text cells of their first 50 rows, and chart titles and axis titles from the Vega-Lite spec.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib.i18n import ALLOWED_IDENTICAL, LANGUAGES, TRANSLATED_LANGUAGES, set_language
from scripts import i18n as catalogue_tool
from tests.conftest import APP, ROOT

# The ranking is also registered at /rank (hidden): each page file once.
PAGES = list(dict.fromkeys(
    re.findall(r'st\.Page\(\s*"(pages/[\w/]+\.py)"', Path(APP).read_text(encoding="utf-8"))))
TEXT_FIELDS = ("label", "body", "help", "placeholder", "caption", "title")
NUMBER = "[0-9\u00a0\u202f ,.]+"  # a formatted number in any of the three languages


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    set_language("en")


def follow_language(at: AppTest) -> None:
    """Give the test thread the app's language: AppTest calls widgets' format_func (our _) in this thread."""
    set_language(at.selectbox(key="lang").value)


@pytest.fixture(scope="module")
def english_messages() -> tuple[set[str], list[re.Pattern[str]]]:
    """English msgids (outside the allow-list): exact strings, and patterns for those with placeholders."""
    exact, patterns = set(), []
    for message in catalogue_tool.extract():
        for text in (message.id if isinstance(message.id, tuple) else (message.id,)):
            if not text or text in ALLOWED_IDENTICAL:
                continue
            if "%(" in text:
                literal = re.sub(r"%\(\w+\)[sdif]", "", text)
                if len(re.findall(r"[A-Za-z]", literal)) < 8:
                    continue  # "%(n)d of %(k)d" would match any "Bank of China"
                parts = re.split(r"%\(\w+\)([sdif])", text.replace("%%", "%"))
                # Split keeps the conversion letters at odd positions: numbers for d, anything for s/i/f.
                regex = "".join(re.escape(p) if i % 2 == 0 else (NUMBER if p == "d" else ".+?")
                                for i, p in enumerate(parts))
                patterns.append(re.compile(regex + r"\Z"))
            else:
                exact.add(text.replace("%%", "%"))
    return exact, patterns


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _spec_titles(spec: object) -> list[str]:
    """Every "title" (chart, axis, legend) in a Vega-Lite spec."""
    found = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "title" and isinstance(value, str):
                found.append(value)
            elif key == "title" and isinstance(value, dict) and isinstance(value.get("text"), str):
                found.append(value["text"])
            else:
                found += _spec_titles(value)
    elif isinstance(spec, list):
        for item in spec:
            found += _spec_titles(item)
    return found


def visible_texts(at: AppTest) -> list[str]:
    """The texts a user reads on the rendered page, one entry per text (multi-line texts split in lines)."""
    texts: list[str] = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        names = {f.name for f in proto.DESCRIPTOR.fields}
        texts += [getattr(proto, f) for f in TEXT_FIELDS if f in names and isinstance(getattr(proto, f), str)]
        if "options" in names:
            texts += [o for o in proto.options if isinstance(o, str)]
        if type(node).__name__ == "Table":
            texts += [str(c) for c in node.value.columns]
        if type(node).__name__ == "Dataframe":
            config = json.loads(proto.columns or "{}")
            frame = node.value
            shown = list(proto.column_order) or [str(c) for c in frame.columns]
            texts += [str(config.get(c, {}).get("label") or c) for c in shown]
            # Text cells too (stages, statuses, outcomes): the first rows of every shown text column. Not in
            # the Data page's editors: they edit the stored English source texts the catalogues translate.
            if getattr(proto, "editing_mode", 0):
                continue
            for column in (c for c in shown if c in frame.columns
                           and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))):
                texts += [v for v in frame[column].head(50) if isinstance(v, str)]
        if "spec" in names and proto.spec:
            texts += _spec_titles(json.loads(proto.spec))
    lines = [line.strip().lstrip("-*# ").strip() for text in texts for line in str(text).splitlines()]
    return [line for line in lines if line]


def english_left(texts: list[str], english: tuple[set[str], list[re.Pattern[str]]]) -> list[str]:
    exact, patterns = english
    return sorted({t for t in texts if t in exact or any(p.match(t) for p in patterns)})


def open_page(page: str, code: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = code
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    follow_language(at)
    if page == "pages/company.py":
        # The profile is only drawn for a chosen company: take the top of the ranking.
        at.session_state["company"] = int(at.dataframe[0].value.iloc[0]["company_id"])
    if page != PAGES[0] or page == "pages/company.py":
        at.switch_page(page).run()
    return at


def test_pages_are_found():
    assert "pages/rank.py" in PAGES and "pages/methodology.py" in PAGES and len(PAGES) >= 3
    assert all((ROOT / p).exists() for p in PAGES)


def with_work_in_progress(app_db) -> None:
    """A shortlist at several stages with notes, and two saved scenarios: tables with words in their cells."""
    from lib import shortlist as sl
    from lib.auth import User
    from lib.models import Filters, ScoringSettings
    from lib.scenarios import save_scenario
    from lib.store import open_store
    from lib.viewstate import ViewState

    store, editor = open_store(app_db), User(name="Aigerim", role="editor")
    ids = [int(r[0]) for r in store.fetch_all(
        "SELECT company_id FROM companies WHERE is_candidate ORDER BY company_id LIMIT 4")]
    sl.add_to_shortlist(store, editor, [{"company_id": i, "score": 0.5, "rank": n + 1} for n, i in enumerate(ids)],
                        (ScoringSettings(), Filters()))
    for stage, company_id in zip(sl.STAGES[1:], ids, strict=False):
        sl.update_entry(store, editor, company_id, {"stage": stage, "contact_status": sl.CONTACT_STATUSES[-1]}, 1)
        sl.add_note(store, editor, company_id, "Call back after the board meeting")
    jobs = ScoringSettings(weights={**ScoringSettings().weights, "production_intensity": 100})
    for name, settings in (("Default", ScoringSettings()), ("Jobs", jobs)):
        save_scenario(store, editor, name, ViewState.from_view(settings, Filters()))


@pytest.mark.parametrize("code", TRANSLATED_LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_english(app_db, english_messages, page, code):
    with_work_in_progress(app_db)
    at = open_page(page, code)
    if page == "pages/scenarios.py":  # compare the two saved scenarios: the table says who entered the top
        from lib.scenarios import list_scenarios
        from lib.store import open_store

        scenario_ids = [sc.scenario_id for sc in list_scenarios(open_store(app_db))]
        at.selectbox(key="compare_a").set_value(scenario_ids[0])
        at.selectbox(key="compare_b").set_value(scenario_ids[1]).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = visible_texts(at)
    assert len(texts) > 5, "nothing readable was collected"
    assert at.selectbox(key="lang").value == code
    left = english_left(texts, english_messages)
    assert not left, f"English left on {page} in {LANGUAGES[code]}: {left}"


def test_collector_sees_english_on_an_english_page(app_db, english_messages):
    """The check above could pass by collecting nothing: in English the same collector finds the msgids."""
    at = open_page("pages/rank.py", "en")
    left = english_left(visible_texts(at), english_messages)
    assert {"Relocation candidates", "Companies ranked", "Weighted sum", "Exit firmness"} <= set(left)


def test_browser_locale_is_the_fallback_and_the_link_then_carries_it(app_db):
    at = AppTest.from_file(APP, default_timeout=90)
    at.context["locale"] = "kk-KZ"
    at.run()
    assert at.selectbox(key="lang").value == "kk"
    assert at.query_params["lang"] == ["kk"] or at.query_params["lang"] == "kk"


def test_english_link_stays_english_in_a_russian_browser(app_db):
    at = AppTest.from_file(APP, default_timeout=90)
    at.context["locale"] = "ru-RU"
    at.query_params["lang"] = "en"
    at.run()
    assert at.selectbox(key="lang").value == "en"
    assert at.title[0].value == "Relocation candidates"


def test_language_survives_page_switches_and_choices_survive_language_switches(app_db):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = "ru"
    at.run()
    follow_language(at)
    at.multiselect(key="sector").set_value(["ITC"])
    at.multiselect(key="status").set_value(["Suspension"])
    at.radio(key="method").set_value("topsis").run()
    ranked = list(at.dataframe[0].value["name"])
    at.switch_page("pages/methodology.py").run()
    assert at.selectbox(key="lang").value == "ru" and at.title[0].value == "Методология и источники"
    at.selectbox(key="lang").set_value("kk").run()
    follow_language(at)
    at.switch_page("pages/rank.py").run()
    assert not at.exception
    assert at.multiselect(key="sector").value == ["ITC"] and at.multiselect(key="status").value == ["Suspension"]
    assert at.radio(key="method").value == "topsis"
    assert list(at.dataframe[0].value["name"]) == ranked


def test_hostile_language_parameter_falls_back(app_db):
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = "kk'><script>alert(1)</script>"
    at.run()
    assert not at.exception
    assert at.selectbox(key="lang").value == "en"
