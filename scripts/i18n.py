"""Message catalogues: extract the template, update the Russian and Kazakh .po files, compile, report gaps.

    .venv/bin/python scripts/i18n.py extract   # lib/locales/messages.pot from app.py, pages/, lib/ + data messages
    .venv/bin/python scripts/i18n.py update    # extract, then merge new/changed messages into ru and kk .po files
    .venv/bin/python scripts/i18n.py compile   # .mo files (lib/i18n also compiles stale ones on first use)
    .venv/bin/python scripts/i18n.py missing   # untranslated, fuzzy, English-identical or broken entries; exit 1 if any

Babel finds _("..."), N_("...") and ngettext("...", "...", n) in the code (babel.cfg). Strings that reach
`_()` as values at run time (statuses, sectors, criteria, incentive names...) come from
`lib.i18n.data_messages()`, which reads the constants and the seed CSVs.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lib.i18n import (  # noqa: E402  (needs ROOT on sys.path when run as a script)
    ALLOWED_IDENTICAL,
    LANGUAGES,
    LOCALE_DIR,
    TRANSLATED_LANGUAGES,
    compile_catalogue,
    data_messages,
    po_path,
    reload_catalogues,
)

TEMPLATE = LOCALE_DIR / "messages.pot"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
HEADER = dict(project="Relocation Radar", version="1", msgid_bugs_address="the project's issue tracker",
              copyright_holder="Relocation Radar", charset="utf-8")


def extract() -> Catalog:
    """The template: every message in the code (Babel) plus every data message, with where it was found."""
    catalog = Catalog(**HEADER, fuzzy=False, creation_date=datetime(2026, 1, 1))
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    for filename, lineno, message, comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        if message and (message[0] if isinstance(message, tuple) else message):
            catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    for message, origin in data_messages():
        existing = catalog.get(message)
        if existing is None:
            catalog.add(message, None, [(origin, None)], auto_comments=["data message: translated when shown"])
        else:
            existing.locations.append((origin, None))
    return catalog


def write_template(catalog: Catalog) -> None:
    TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    with TEMPLATE.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, include_previous=False)


def read_catalogue(code: str) -> Catalog:
    """One language's catalogue; an empty one with the right Plural-Forms when it does not exist yet."""
    path = po_path(code)
    if not path.exists():
        return Catalog(locale=code, **HEADER, fuzzy=False, creation_date=datetime(2026, 1, 1),
                       revision_date=datetime(2026, 1, 1), last_translator="Relocation Radar team",
                       language_team=f"{LANGUAGES[code]} <{code}>")
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def update(template: Catalog) -> dict[str, int]:
    """Merge the template into every language's .po; returns the number of entries per language."""
    counts = {}
    for code in TRANSLATED_LANGUAGES:
        catalog = read_catalogue(code)
        catalog.update(template, update_header_comment=False, update_creation_date=False)
        catalog.obsolete.clear()  # the translations of removed messages live on in git history
        path = po_path(code)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, include_previous=True)
        counts[code] = len(catalog)
    return counts


def problems(code: str, template: Catalog | None = None) -> list[str]:
    """What a translator still has to do in one language: one line per entry."""
    template = template or extract()
    catalog = read_catalogue(code)
    found = []
    for message in template:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        entry = catalog.get(message.id, message.context)
        strings = [] if entry is None else (list(entry.string) if isinstance(entry.string, tuple) else [entry.string])
        where = ", ".join(str(f) for f, _ in message.locations[:2])
        if entry is None:
            found.append(f"{code}: missing from the catalogue ({where}): {key!r}")
        elif entry.fuzzy:
            found.append(f"{code}: fuzzy, needs review ({where}): {key!r}")
        elif not strings or not all(s.strip() for s in strings):
            found.append(f"{code}: untranslated ({where}): {key!r}")
        elif strings[0] == key and key not in ALLOWED_IDENTICAL:
            found.append(f"{code}: same as English, not in ALLOWED_IDENTICAL ({where}): {key!r}")
        else:
            sources = message.id if isinstance(message.id, tuple) else (message.id,)
            found += [f"{code}: {problem} in {key!r}" for text in strings
                      if (problem := placeholder_problem(sources[-1], text))]
    return found


NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]?\d*(?:\.\d+)?[diouxXeEfFgGcrs]")


def placeholder_problem(source: str, translation: str) -> str | None:
    """Why `translation % values` would break or lose a value where `source % values` works; None if fine.

    Babel's own check mistakes "% of" for a format ("% o"), so we check what the app does: named
    placeholders (the only kind STYLE allows) must match, and a formatted message must still format.
    """
    wanted, got = set(NAMED_PLACEHOLDER.findall(source)), set(NAMED_PLACEHOLDER.findall(translation))
    if wanted != got:
        return f"placeholders differ ({', '.join(sorted(wanted)) or 'none'} vs {', '.join(sorted(got)) or 'none'})"
    if wanted or "%%" in source:
        try:
            translation % dict.fromkeys(wanted, 1)
        except (ValueError, TypeError, KeyError) as error:
            return f"does not format ({error}; write a literal % as %%)"
    return None


def compile_all() -> None:
    for code in TRANSLATED_LANGUAGES:
        compile_catalogue(code)
    reload_catalogues()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["extract", "update", "compile", "missing"])
    args = parser.parse_args(argv)
    template = extract()
    if args.command in ("extract", "update"):
        write_template(template)
        print(f"{TEMPLATE.relative_to(ROOT)}: {len(template)} messages")
    if args.command == "update":
        for code, count in update(template).items():
            print(f"{po_path(code).relative_to(ROOT)}: {count} entries")
    if args.command in ("update", "compile"):
        compile_all()
    if args.command in ("update", "missing"):
        gaps = [line for code in TRANSLATED_LANGUAGES for line in problems(code, template)]
        print("\n".join(gaps) if gaps else "every message is translated in " + ", ".join(TRANSLATED_LANGUAGES))
        print(f"{len(gaps)} entries to translate or review")
        return 1 if gaps and args.command == "missing" else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
