"""Translations and locale-aware formatting: the one place user-facing text goes through.

`_("English text")` returns the text in the current language. The language is set once per
Streamlit run (or CLI call) with `set_language`; a ContextVar keeps concurrent sessions apart.
"""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from datetime import date
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
DEFAULT_LANGUAGE = "en"
_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)


def set_language(code: str) -> str:
    """Make `code` the language of this run; unknown codes fall back to English."""
    code = code if code in LANGUAGES else DEFAULT_LANGUAGE
    _current.set(code)
    return code


def get_language() -> str:
    return _current.get()


@cache
def _translations(code: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)


def _(message: str) -> str:
    """The message in the current language (English when no translation exists)."""
    return _translations(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Plural-aware message; Russian and Kazakh plural rules come from the catalogue."""
    return _translations(get_language()).ngettext(singular, plural, n)


def _locale() -> Locale:
    return Locale.parse(get_language())


def fmt_number(value: float | None, digits: int = 0) -> str:
    """1,234.5 in English, 1 234,5 in Russian and Kazakh; an em dash for unknown."""
    if value is None or value != value:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale())


def fmt_percent(share: float | None, digits: int = 0) -> str:
    """A share in [0,1] as a percentage in the current locale."""
    if share is None or share != share:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(share, format=pattern, locale=_locale())


def fmt_date(value: date | None) -> str:
    """25 Nov 2026 style in English; 25.11.2026 in Russian and Kazakh."""
    if value is None:
        return "—"
    if get_language() == "en":
        return format_date(value, format="d MMM y", locale="en")
    return format_date(value, format="dd.MM.y", locale=_locale())
