"""Translations and locale-aware formatting: the one place user-facing text goes through.

`_("English text")` returns the text in the current language. The language is set once per
Streamlit run (or CLI call) with `set_language`; a ContextVar keeps concurrent sessions apart.

Catalogues are gettext files in lib/locales/<lang>/LC_MESSAGES/messages.po (edited by people,
committed). The compiled .mo files are build products, not committed: the first translation
lookup compiles any .mo that is missing or older than its .po (Babel), so `make run` and
`make test` never need a manual compile step. `scripts/i18n.py` extracts, updates and checks.
"""

from __future__ import annotations

import csv
import gettext
import io
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Mapping
from contextvars import ContextVar, copy_context
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = Path(__file__).resolve().parent / "locales"
SEED_DIR = ROOT / "data" / "seed"
DOMAIN = "messages"
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
DEFAULT_LANGUAGE = "en"
TRANSLATED_LANGUAGES: tuple[str, ...] = tuple(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)

# Messages that may read the same in Russian or Kazakh as in English: proper names, abbreviations
# and formulas. Reviewed by hand; keep it short. A catalogue entry equal to its English source is
# a test failure unless the source is listed here.
ALLOWED_IDENTICAL: frozenset[str] = frozenset({
    "TOPSIS", "ISIC", "USD", "KZT", "AIFC", "MCI", "CSV", "XLSX", "ID", "URL", "HQ", "KSE", "CELI",
    "Yale CELI", "SEZ", "VAT", "CIT", "IT", "Relocation Radar", "Language / Язык / Тіл", "—",
})

_current: ContextVar[str] = ContextVar("language", default=DEFAULT_LANGUAGE)
_compile_lock = threading.Lock()


def set_language(code: str | None) -> str:
    """Make `code` the language of this run; unknown codes fall back to English."""
    code = code if code in LANGUAGES else DEFAULT_LANGUAGE
    if code != DEFAULT_LANGUAGE and mo_is_stale(code):
        _translations.cache_clear()  # a .po edited while the app runs: recompile on the next lookup
    _current.set(code)
    return code


def get_language() -> str:
    """The language of this run ("en", "ru" or "kk")."""
    return _current.get()


def language_from_locale(locale: str | None) -> str | None:
    """The supported language of a browser locale such as "ru-RU" or "kk_KZ"; None when unsupported."""
    code = re.split(r"[-_]", (locale or "").strip().lower(), maxsplit=1)[0]
    return code if code in LANGUAGES else None


def resolve_language(url: str | None, chosen: str | None, browser_locale: str | None) -> str:
    """The language of a run: the user's choice in this session, else the link's, else the browser's, else English.

    The choice made in the session wins over the URL because the URL is rewritten from it on every run;
    a value that is not one of LANGUAGES is ignored at each step (hostile links never crash the page).
    """
    for candidate in (chosen, url):
        if candidate in LANGUAGES:
            return candidate
    return language_from_locale(browser_locale) or DEFAULT_LANGUAGE


# --- catalogues -------------------------------------------------------------------------------------

def po_path(code: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """The editable catalogue of one language."""
    return locale_dir / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_is_stale(code: str, locale_dir: Path = LOCALE_DIR) -> bool:
    """True when the compiled .mo is missing or older than its .po."""
    po, mo = po_path(code, locale_dir), po_path(code, locale_dir).with_suffix(".mo")
    return po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime)


def compile_catalogue(code: str, locale_dir: Path = LOCALE_DIR) -> bytes:
    """Compile one .po into .mo bytes and write them next to it when the folder is writable."""
    po = po_path(code, locale_dir)
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    # Fuzzy entries are guesses left by `update`; they must not reach users until reviewed.
    write_mo(buffer, catalog, use_fuzzy=False)
    data = buffer.getvalue()
    try:
        # Write then rename, so a concurrent reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, po.with_suffix(".mo"))
    except OSError:
        pass  # read-only deployment: the in-memory copy below still serves this process
    return data


@cache
def _translations(code: str) -> gettext.NullTranslations:
    if code == DEFAULT_LANGUAGE or not po_path(code).exists():
        return gettext.NullTranslations()
    with _compile_lock:
        if mo_is_stale(code):
            return gettext.GNUTranslations(io.BytesIO(compile_catalogue(code)))
        with po_path(code).with_suffix(".mo").open("rb") as handle:
            return gettext.GNUTranslations(handle)


def reload_catalogues() -> None:
    """Forget loaded catalogues (after `scripts/i18n.py update` in a long-lived process)."""
    _translations.cache_clear()


def _(message: str) -> str:
    """The message in the current language (English when no translation exists)."""
    if not message:
        return message  # gettext("") would return the catalogue header
    return _translations(get_language()).gettext(message)


def translate(value: object) -> str:
    """A data value (status, sector name, stage...) in the current language; an em dash when missing.

    Use this rather than _(row["column"]): Babel would extract the literal "column" as a message.
    """
    if value is None or value != value or value == "":
        return "—"
    return _(str(value))


_TRACKER_GRADE = re.compile(r"^Yale CELI grade ([A-F])$")
_KSE_STATUS = re.compile(r"^KSE Institute status: (.+)$")


def tracker_grade_text(value: object) -> str:
    """A tracker's grade label as the importer stores it ("Yale CELI grade B") in the current language.

    Other shapes (a label typed by hand) are shown as stored; an em dash when missing.
    """
    if value is None or value != value or not str(value).strip():
        return "—"
    text = str(value).strip()
    if match := _TRACKER_GRADE.match(text):
        return _("Yale CELI grade %(grade)s") % {"grade": match.group(1)}
    if match := _KSE_STATUS.match(text):
        return _("KSE Institute status: %(status)s") % {"status": translate(match.group(1))}
    return text


def N_(message: str) -> str:
    """Mark a constant for extraction without translating it now (translate with _ when shown)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """Plural-aware message; Russian's three forms and Kazakh's come from the catalogue's Plural-Forms."""
    return _translations(get_language()).ngettext(singular, plural, n)


# --- formatting -------------------------------------------------------------------------------------

# Russian and Kazakh as used in Kazakhstan: same separators as ru/kk, and the tenge sign ₸ for KZT.
_FORMAT_LOCALES = {"en": "en", "ru": "ru_KZ", "kk": "kk_KZ"}


def _locale() -> Locale:
    return Locale.parse(_FORMAT_LOCALES[get_language()])


def fmt_number(value: float | None, digits: int = 0) -> str:
    """1,234.5 in English, 1 234,5 in Russian and Kazakh; an em dash for unknown."""
    if value is None or value != value:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale())


def grid_number_format(digits: int) -> dict[str, object]:
    """column_config arguments (format, step) for a table column of numbers with `digits` decimals.

    Streamlit's grid formats numbers in the browser, where printf patterns always write "0.892".
    In Russian and Kazakh the grid's "localized" format is used instead: it follows the browser's
    locale, so a Russian- or Kazakh-locale browser shows "0,892" and "1 234,5".
    """
    if get_language() == "en":
        return {"format": f"%.{digits}f"}
    return {"format": "localized", "step": 10 ** -digits}


def grid_date_format(with_time: bool = False) -> str:
    """A table column's date format (moment.js), matching fmt_date: 25 Nov 2026, or 25.11.2026 in ru and kk."""
    pattern = "D MMM YYYY" if get_language() == "en" else "DD.MM.YYYY"
    return pattern + (" HH:mm" if with_time else "")


def fmt_percent(share: float | None, digits: int = 0) -> str:
    """A share in [0,1] as a percentage in the current locale (12% in English, 12 % in Russian)."""
    if share is None or share != share:
        return "—"
    pattern = _locale().percent_formats[None].pattern.split(";")[0]
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    return format_percent(share, format=pattern, locale=_locale())


def fmt_money(value: float | None, currency: str, digits: int = 0) -> str:
    """An amount in USD or KZT with the current locale's separators and symbol placement."""
    if value is None or value != value:
        return "—"
    # The locale's own pattern ($1,234 / 1 234 ₸) with our number of decimals.
    pattern = _locale().currency_formats["standard"].pattern.split(";")[0]
    pattern = re.sub(r"0\.0+", "0", pattern)
    if digits:
        pattern = pattern.replace("0", "0." + "0" * digits, 1)
    text = format_currency(value, currency, format=pattern, locale=_locale(), currency_digits=False)
    # CLDR glues a letter code to the number in English (KZT1,234); a space reads better.
    return re.sub(r"^([A-Z]{3})(?=\d)", "\\1\u00a0", text)


def fmt_date(value: date | None) -> str:
    """25 Nov 2026 style in English; 25.11.2026 in Russian and Kazakh."""
    if value is None or value is pd.NaT:
        return "—"
    if get_language() == "en":
        return format_date(value, format="d MMM y", locale="en")
    return format_date(value, format="dd.MM.y", locale=_locale())


# The trackers write a few countries the way CLDR does not.
_COUNTRY_ALIASES = {"Czech Republic": "CZ", "Hong Kong": "HK", "Turkey": "TR", "South Korea": "KR",
                    "Russia": "RU", "Taiwan": "TW", "UAE": "AE", "United Arab Emirates": "AE"}


@cache
def _territory_codes() -> dict[str, str]:
    codes = {name: code for code, name in Locale("en").territories.items() if code.isalpha()}
    return {**codes, **_COUNTRY_ALIASES}


def fmt_country(name: str | None) -> str:
    """A country's English name (as the trackers publish it) in the current language, via CLDR."""
    if not name or name != name:
        return "—"
    code = _territory_codes().get(name)
    if code is None or get_language() == DEFAULT_LANGUAGE:
        return name
    return _locale().territories.get(code, name)


def any_language_lookup(options: Mapping[Any, str], show: Callable[[str], str] = _) -> dict[str, Any]:
    """Lookup from every accepted spelling (the id, and the label in each language) to the option id."""
    lookup: dict[str, Any] = {str(option).casefold(): option for option in options}
    for code in LANGUAGES:
        def labels(code: str = code) -> list[str]:
            set_language(code)
            return [show(english) for english in options.values()]
        # One copied context per language: the run's own language is never touched.
        for option, label in zip(options, copy_context().run(labels), strict=True):
            lookup.setdefault(label.casefold(), option)
    return lookup


# --- data inside Streamlit markdown ------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$&])")


def md_text(value: object) -> str:
    """A data value (company or file name, user input) to put inside markdown, shown exactly as written.

    Titles, captions, alerts and expander labels render Markdown: a company named "**X**" would turn bold,
    "![x](http://...)" would load an image, ":material/home:" would become an icon. Every Markdown character
    gets a backslash; colons become an HTML entity, which Streamlit's icon and colour directives do not
    match but the Markdown renderer turns back into ":".
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(value)).replace(":", "&#58;")


_URL = re.compile(r"(https?://[^\s<>()\[\]`*]+)")


def md_source(value: object) -> str:
    """A source as md_text, except that its web addresses stay clickable links."""
    return "".join(part if _URL.fullmatch(part) else md_text(part) for part in _URL.split(str(value)))


# --- sorting and searching names written in Latin or Cyrillic ----------------------------------------

# Kazakh alphabet order; it contains the Russian one, so Russian names sort as in a Russian dictionary.
_CYRILLIC = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_CYRILLIC_KEY = {ch: chr(0x2000 + i) for i, ch in enumerate(_CYRILLIC)}


def _fold_latin(ch: str) -> str:
    """Café -> cafe for one character; Cyrillic letters such as й and ё stay whole."""
    if ch in _CYRILLIC_KEY:
        return ch
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))


def name_key(name: str | None) -> str:
    """Sort key for company names: case- and accent-insensitive Latin (A-Z) first, then Cyrillic in
    alphabet order (Ә after А, Ё after Е, І after Ы), the exact name breaking ties."""
    if not name or name != name:
        return "\uffff"
    folded = "".join(_fold_latin(ch) for ch in unicodedata.normalize("NFC", name).casefold())
    return "".join(_CYRILLIC_KEY.get(ch, ch) for ch in folded) + "\x00" + name


def sort_by_name(frame: pd.DataFrame, column: str = "name") -> pd.DataFrame:
    """Rows ordered by `column` with name_key (works for Latin and Cyrillic names)."""
    return frame.sort_values(column, key=lambda names: names.map(name_key), kind="stable")


def search_fold(text: str | None) -> str:
    """Text folded for search: case, Latin accents and ё/й marks ignored, spaces squeezed."""
    if not text or text != text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def name_matches(names: pd.Series, query: str | None) -> pd.Series:
    """Boolean mask: names containing the query, ignoring case and accents ("nestle" finds Nestlé)."""
    needle = search_fold(query)
    if not needle:
        return pd.Series(True, index=names.index)
    return names.map(lambda n: needle in search_fold(n))


# --- messages Babel cannot see: constants and seed data ----------------------------------------------

def _seed_column(file: str, *columns: str) -> list[tuple[str, str]]:
    path = SEED_DIR / file
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [(row[c].strip(), f"data/seed/{file}:{c}") for row in rows for c in columns if (row.get(c) or "").strip()]


_LABEL_CONSTANT = re.compile(r"^([A-Z][A-Z_]*_)?(LABELS|STAGES|STATUSES)$")


def data_messages() -> list[tuple[str, str]]:
    """(English message, where it comes from) for every string shown through `_(value)` at run time.

    These come from constants and the seed CSVs, so `scripts/i18n.py extract` adds them to the
    template next to what Babel finds in the code. Imports are local: those modules import this one.
    """
    import importlib

    from lib.criteria import CRITERIA

    found: list[tuple[str, str]] = [(text, "lib/criteria.py:CRITERIA") for c in CRITERIA
                                    for text in (c.label, c.description)]
    # Any module-level constant named *_LABELS, *STAGES or *STATUSES in lib/ holds English words shown
    # through _() (Russia statuses, outreach stages, method and missing-policy labels, fact labels...).
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.stem.startswith("__"):
            continue
        try:
            module = importlib.import_module(f"lib.{path.stem}")
        except Exception:  # noqa: BLE001 - a module mid-edit by another issue must not stop extraction
            continue
        for name, value in vars(module).items():
            if not _LABEL_CONSTANT.match(name):
                continue
            texts = value.values() if isinstance(value, dict) else value if isinstance(value, tuple | list) else ()
            found += [(t, f"lib/{path.name}:{name}") for t in texts if isinstance(t, str) and t.strip()]
    found += _seed_column("sectors.csv", "name", "priority_reason")
    found += _seed_column("incentive_packages.csv", "name", "other_benefits", "uncertainty_note", "legal_basis")
    found += _seed_column("companies.csv", "exclusion_reason")
    # Cities of the location rules ("Astana;Almaty"): written in Cyrillic in Russian and Kazakh.
    found += [(city.strip(), origin) for text, origin in _seed_column("incentive_packages.csv", "locations")
              for city in text.split(";") if city.strip()]
    # Periods of the company facts: the worded ones ("FY2023 (Fortune Global 500 2024 list)"), not bare dates.
    found += [(text, origin) for text, origin in _seed_column("company_facts.csv", "period")
              if re.search(r"[A-Za-z]", text) and not re.match(r"^FY\d{4}(/\d\d)?$", text)]
    seen: dict[str, str] = {}
    for message, origin in found:
        seen.setdefault(message, origin)
    return sorted(seen.items())
