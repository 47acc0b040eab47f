"""Catalogues, plural forms, locale formatting, language resolution, and Cyrillic/Latin name sorting."""

from __future__ import annotations

import csv
import gettext
import io
import os
import re
import shutil
from datetime import date

import pandas as pd
import pytest

from lib import i18n
from lib.i18n import (
    LANGUAGES,
    TRANSLATED_LANGUAGES,
    _,
    compile_catalogue,
    data_messages,
    fmt_country,
    fmt_date,
    fmt_money,
    fmt_number,
    fmt_percent,
    grid_date_format,
    grid_number_format,
    md_source,
    md_text,
    mo_is_stale,
    name_key,
    name_matches,
    ngettext,
    po_path,
    resolve_language,
    set_language,
    sort_by_name,
    translate,
)
from scripts import i18n as catalogue_tool


@pytest.fixture(autouse=True)
def english_afterwards():
    """Each test sets the language it needs; later tests start from English again."""
    yield
    set_language("en")


@pytest.fixture(scope="module")
def template():
    """The message template extracted now from app.py, pages/, lib/ and the data messages."""
    return catalogue_tool.extract()


# --- catalogues ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", TRANSLATED_LANGUAGES)
def test_every_message_is_translated(template, code):
    """Fails on a key missing from the catalogue, an empty or fuzzy entry, an English-identical entry outside
    ALLOWED_IDENTICAL, or a translation whose %(placeholders)s differ. Fix: scripts/i18n.py update, translate."""
    gaps = catalogue_tool.problems(code, template)
    assert not gaps, f"{len(gaps)} entries need work (run: .venv/bin/python scripts/i18n.py missing):\n" + \
        "\n".join(gaps[:40])


def test_template_holds_code_and_data_messages(template):
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in template if m.id}
    assert "Relocation candidates" in ids  # pages/rank.py, found by Babel
    assert {"Withdrawal", "Digging in", "Exit firmness", "Weighted sum"} <= ids  # constants
    with (i18n.SEED_DIR / "sectors.csv").open(encoding="utf-8") as handle:
        sectors = list(csv.DictReader(handle))
    assert {row["name"] for row in sectors} <= ids
    assert {row["priority_reason"] for row in sectors} <= ids


def test_extraction_ignores_subscripts_inside_translation_calls(template):
    # _(row["status"]) would make Babel extract "status"; pages use translate(row["status"]) instead.
    ids = {m.id for m in template if isinstance(m.id, str)}
    assert not {"status", "sector_name", "exclusion_reason"} & ids


def test_data_messages_read_constants_and_seed():
    messages = dict(data_messages())
    from lib.criteria import CRITERIA
    from lib.models import STATUSES

    assert set(STATUSES) <= set(messages)
    assert {c.description for c in CRITERIA} <= set(messages)
    assert messages["Withdrawal"].startswith("lib/")
    assert any(origin.startswith("data/seed/incentive_packages.csv") for origin in messages.values())


def test_incentive_package_texts_follow_the_language_and_keep_edited_text():
    with (i18n.SEED_DIR / "incentive_packages.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    messages = dict(data_messages())
    texts = {row[c].strip() for row in rows for c in ("other_benefits", "uncertainty_note", "legal_basis")
             if row[c].strip()}
    assert texts <= set(messages)
    legal = next(row["legal_basis"] for row in rows if row["package_id"] == "investment_project_preferences")
    for code in TRANSLATED_LANGUAGES:
        set_language(code)
        assert translate(legal) != legal and "375-V" in translate(legal)
        # A steward's edit has no translation yet: it is shown as stored, not lost or blanked.
        edited = legal + " (amended by a steward)"
        assert translate(edited) == edited


@pytest.mark.parametrize("code", TRANSLATED_LANGUAGES)
def test_tracker_grade_label_is_translated_when_it_has_the_importer_shape(code):
    set_language(code)
    text = i18n.tracker_grade_text("Yale CELI grade B")
    assert text != "Yale CELI grade B" and text.endswith("B")
    assert i18n.tracker_grade_text("Graded by hand: B") == "Graded by hand: B"
    assert i18n.tracker_grade_text(None) == "—"


@pytest.mark.parametrize("code", TRANSLATED_LANGUAGES)
def test_status_scale_and_instruments_use_official_terms(code):
    set_language(code)
    expected = {"ru": ("Соглашение об инвестициях", "Специальная экономическая зона", "Инвестиционные преференции"),
                "kk": ("Инвестициялар туралы келісім", "Арнайы экономикалық аймақ", "Инвестициялық преференциялар")}
    assert (_("Investment agreement"), _("Special economic zone"), _("Investment preference")) == expected[code]


# --- plural forms ---------------------------------------------------------------------------------------

def _plural_function(code: str):
    with po_path(code).open("rb") as handle:
        data = handle.read()
    from babel.messages.pofile import read_po

    catalog = read_po(io.BytesIO(data), locale=code)
    return catalog.num_plurals, gettext.c2py(catalog.plural_expr)


def test_russian_has_three_plural_forms():
    count, plural = _plural_function("ru")
    assert count == 3
    assert [plural(n) for n in (1, 21, 101)] == [0, 0, 0]
    assert [plural(n) for n in (2, 3, 4, 22, 104)] == [1] * 5
    assert [plural(n) for n in (0, 5, 11, 12, 14, 25, 111)] == [2] * 7


def test_ngettext_picks_the_russian_form():
    set_language("ru")
    plural_ids = [m.id for m in catalogue_tool.read_catalogue("ru") if isinstance(m.id, tuple) and all(m.string)]
    assert plural_ids, "the catalogue has no plural message to check"
    singular, plural = plural_ids[0]
    forms = [ngettext(singular, plural, n) for n in (1, 3, 5)]
    assert len(set(forms)) == 3, forms
    assert ngettext(singular, plural, 21) == forms[0] and ngettext(singular, plural, 11) == forms[2]


# --- compiled catalogues ----------------------------------------------------------------------------------

def test_mo_is_compiled_when_missing_and_recompiled_when_stale(tmp_path):
    shutil.copytree(i18n.LOCALE_DIR / "ru", tmp_path / "ru")
    mo = po_path("ru", tmp_path).with_suffix(".mo")
    mo.unlink(missing_ok=True)
    assert mo_is_stale("ru", tmp_path)
    data = compile_catalogue("ru", tmp_path)
    assert mo.read_bytes() == data and not mo_is_stale("ru", tmp_path)
    assert gettext.GNUTranslations(io.BytesIO(data)).gettext("Withdrawal") == "Уход"
    later = mo.stat().st_mtime + 10
    os.utime(po_path("ru", tmp_path), (later, later))  # someone edited the .po after compiling
    assert mo_is_stale("ru", tmp_path)


def test_app_catalogues_are_fresh_after_first_use():
    for code in TRANSLATED_LANGUAGES:
        set_language(code)
        _("Withdrawal")
        assert not mo_is_stale(code)


# --- formatting -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "number", "day", "percent"), [
    ("en", "1,234.5", "25 Nov 2026", "12.5%"),
    ("ru", "1\u00a0234,5", "25.11.2026", "12,5\u00a0%"),
    ("kk", "1\u00a0234,5", "25.11.2026", "12,5%"),
])
def test_numbers_dates_percentages_follow_the_language(code, number, day, percent):
    set_language(code)
    assert fmt_number(1234.5, 1) == number
    assert fmt_date(date(2026, 11, 25)) == day
    assert fmt_percent(0.125, 1) == percent
    assert fmt_number(None) == fmt_date(None) == "—"


def test_table_numbers_use_the_browsers_locale_outside_english():
    set_language("en")
    assert grid_number_format(3) == {"format": "%.3f"}
    set_language("kk")
    assert grid_number_format(1) == {"format": "localized", "step": 0.1}


def test_table_dates_match_the_texts_dates():
    set_language("en")
    assert grid_date_format() == "D MMM YYYY"  # 25 Nov 2026, as fmt_date
    set_language("ru")
    assert grid_date_format(with_time=True) == "DD.MM.YYYY HH:mm"


@pytest.mark.parametrize("text", ["**Bold**", "![x](http://e.x/i.png)", ":material/home:", ":red[x]", "<b>x</b>",
                                  "R&amp;D", "`code`", "# Heading", "1. item", "a_b_c", "$x$", "~~x~~"])
def test_markdown_in_data_is_neutralised(text):
    escaped = md_text(text)
    # Every Markdown character is backslash-escaped and no colon is left for Streamlit's directives.
    assert ":" not in escaped
    assert not re.search(r"(?<!\\)[*_`\[\]()<>#!$~]", escaped.replace("&#58;", ""))
    assert re.sub(r"\\(.)", r"\1", escaped).replace("&#58;", ":") == text


def test_sources_keep_their_links_clickable():
    source = "**copy** of https://som.yale.edu/story/2022/list (as of 2025)"
    shown = md_source(source)
    assert "https://som.yale.edu/story/2022/list" in shown
    assert shown.startswith("\\*\\*copy\\*\\*") and shown.endswith("\\(as of 2025\\)")


def test_money_in_usd_and_tenge():
    set_language("en")
    assert fmt_money(1_234_567, "USD") == "$1,234,567"
    assert fmt_money(2500, "KZT") == "KZT\u00a02,500"
    set_language("ru")
    assert fmt_money(1_234_567, "KZT") == "1\u00a0234\u00a0567\u00a0₸"
    assert fmt_money(12.5, "USD", 1).startswith("12,5")


def test_country_names_follow_the_language_and_unknowns_stay():
    set_language("ru")
    assert fmt_country("Germany") == "Германия"
    assert fmt_country("Czech Republic") == "Чехия"
    assert fmt_country("Atlantis") == "Atlantis"
    set_language("en")
    assert fmt_country("Germany") == "Germany"


def test_translate_data_values_and_missing_ones():
    set_language("kk")
    assert translate("Withdrawal") == _("Withdrawal") != "Withdrawal"
    assert translate(None) == translate(float("nan")) == translate("") == "—"
    assert translate("Some company-specific text") == "Some company-specific text"


# --- which language a run uses ----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "chosen", "browser", "expected"), [
    (None, None, None, "en"),
    (None, None, "ru-RU", "ru"),
    (None, None, "kk_KZ", "kk"),
    (None, None, "de-DE", "en"),
    ("en", None, "ru-RU", "en"),  # an English link stays English in a Russian browser
    ("kk", None, "en-US", "kk"),
    ("kk", "ru", "en-US", "ru"),  # the user switched after opening the link
    ("xx", None, "ru", "ru"),  # hostile value: ignored, next source used
    ("<script>", "zz", None, "en"),
])
def test_language_resolution(url, chosen, browser, expected):
    assert resolve_language(url, chosen, browser) == expected


def test_unknown_language_falls_back_to_english():
    assert set_language("fr") == "en" and set_language(None) == "en"
    assert set(LANGUAGES) == {"en", "ru", "kk"}


# --- sorting and searching names ---------------------------------------------------------------------------

def test_names_sort_for_latin_and_cyrillic():
    names = ["Яндекс", "zara", "Ёлка", "Ель", "Әлем", "Абай", "Nestlé", "apple", "Boeing", "Ілияс", "Ыбырай",
             "Ürün", "Уют", "Ұлы"]
    ordered = list(sort_by_name(pd.DataFrame({"name": names}))["name"])
    assert ordered == ["apple", "Boeing", "Nestlé", "Ürün", "zara",
                       "Абай", "Әлем", "Ель", "Ёлка", "Уют", "Ұлы", "Ыбырай", "Ілияс", "Яндекс"]
    assert name_key("Ёлка") < name_key("Ель") or name_key("Ель") < name_key("Ёлка")  # total order, no tie
    assert name_key(None) > name_key("Яндекс")  # unknown names last


def test_search_ignores_case_and_accents_in_both_scripts():
    names = pd.Series(["Nestlé", "NESTLE Waters", "Ёлки Палки", "Елена", "Samsung"])
    assert list(names[name_matches(names, "nestle")]) == ["Nestlé", "NESTLE Waters"]
    assert list(names[name_matches(names, "ЁЛ")]) == ["Ёлки Палки", "Елена"]
    assert list(names[name_matches(names, "  ")]) == list(names)
