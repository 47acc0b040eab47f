"""The whole view (weights, method, missing-data policy, filters, company, language) as URL query parameters.

A link is untrusted input: `parse_query` turns the raw parameters into a valid `ViewState` plus one
`LinkNote` per parameter it could not use, and never raises. `to_query` writes a view back as the
query string the sidebar widgets read, so a copied link reproduces the ranking.

The widgets are bound to the URL with their *shown* labels (Streamlit stores `format_func(option)`),
so labels depend on the language. `parse_query` accepts the stable id (`method=topsis`) and the label
in any of the app's languages, so a link keeps working for a colleague who reads another language.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import copy_context
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lib.criteria import CRITERIA, CRITERIA_BY_ID, DEFAULT_MISSING, DEFAULT_WEIGHTS, MissingPolicy
from lib.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    _,
    any_language_lookup,
    fmt_country,
    fmt_number,
    ngettext,
    set_language,
)
from lib.incentives import ASSUMPTION_KEYS
from lib.models import STATUSES, Filters, Method, RussiaStatus, ScoringSettings

METHOD_LABELS = {"wsm": "Weighted sum", "topsis": "TOPSIS"}
MISSING_LABELS = {"neutral": "Neutral (0.5)", "worst": "Worst case (0)", "exclude": "Exclude the company"}

WEIGHT_MAX = 100
MIN_REVENUE_MAX = 1_000_000
MAX_VALUE_CHARS = 200  # longer than any label or company name: anything longer is junk or an attack
MAX_UNKNOWN_NOTES = 5
# Query parameter names of the view, in the order a link lists them.
WEIGHT_KEYS = {f"w_{c.id}": c.id for c in CRITERIA}
MISSING_KEYS = {f"m_{c.id}": c.id for c in CRITERIA}
LIST_KEYS = ("sector", "country", "status")
VIEW_KEYS = ("lang", "method", *WEIGHT_KEYS, *MISSING_KEYS, *LIST_KEYS, "min_rev", "no_high_risk", "company")
# Streamlit's own parameters, and parameters other pages bind to their widgets: never "unknown".
# A page that binds a widget to the URL adds its key here so links to it raise no note.
# rob_k and rob_unc: the Decision quality page's top K and weight uncertainty (pages/quality.py); round: the
# weighting round a participant's link opens (pages/weighting.py).
OTHER_KEYS: set[str] = {"embed", "embed_options", "rob_k", "rob_unc", "round", *ASSUMPTION_KEYS}
LIST_LIMITS = {"sector": 50, "country": 200, "status": len(STATUSES)}

Problem = Literal["unknown_parameter", "more_unknown", "not_a_number", "out_of_range", "unknown_choice",
                  "some_unknown_choices", "too_long", "repeated", "too_many", "not_yes_no"]


class ViewState(BaseModel):
    """Everything a shared link or a saved scenario reproduces."""

    model_config = ConfigDict(extra="forbid")

    method: Method = "wsm"
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    missing: dict[str, MissingPolicy] = Field(default_factory=lambda: dict(DEFAULT_MISSING))
    sectors: list[str] = Field(default_factory=list, max_length=LIST_LIMITS["sector"])
    countries: list[str] = Field(default_factory=list, max_length=LIST_LIMITS["country"])
    statuses: list[RussiaStatus] = Field(default_factory=list, max_length=len(STATUSES))
    min_revenue_usd_m: float = Field(default=0, ge=0, le=MIN_REVENUE_MAX)
    exclude_high_risk: bool = False
    company: int | None = None
    lang: str = DEFAULT_LANGUAGE

    @field_validator("weights")
    @classmethod
    def _all_weights(cls, weights: dict[str, float]) -> dict[str, float]:
        """Every criterion present (missing ones at their default), each 0-100; all 0 is allowed here."""
        if set(weights) - set(DEFAULT_WEIGHTS):
            raise ValueError(f"unknown criteria: {sorted(set(weights) - set(DEFAULT_WEIGHTS))}")
        if not all(0 <= w <= WEIGHT_MAX for w in weights.values()):
            raise ValueError("weights must be between 0 and 100")
        return {cid: float(weights.get(cid, default)) for cid, default in DEFAULT_WEIGHTS.items()}

    @field_validator("missing")
    @classmethod
    def _all_missing(cls, missing: dict[str, MissingPolicy]) -> dict[str, MissingPolicy]:
        if set(missing) - set(DEFAULT_MISSING):
            raise ValueError(f"unknown criteria: {sorted(set(missing) - set(DEFAULT_MISSING))}")
        return {cid: missing.get(cid, default) for cid, default in DEFAULT_MISSING.items()}

    @field_validator("lang")
    @classmethod
    def _known_language(cls, lang: str) -> str:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang[:10]!r}")
        return lang

    @classmethod
    def from_view(cls, settings: ScoringSettings, filters: Filters, **extra: Any) -> ViewState:
        """The view behind the sidebar's settings and filters."""
        return cls(method=settings.method, weights=dict(settings.weights), missing=dict(settings.missing),
                   sectors=list(filters.sectors), countries=list(filters.countries),
                   statuses=list(filters.statuses), min_revenue_usd_m=filters.min_revenue_usd_m,
                   exclude_high_risk=filters.exclude_high_risk, **extra)

    def settings(self) -> ScoringSettings:
        """Scoring settings; all-zero weights mean the defaults, as in the sidebar."""
        weights = self.weights if sum(self.weights.values()) > 0 else dict(DEFAULT_WEIGHTS)
        return ScoringSettings(weights=weights, method=self.method, missing=self.missing)

    def filters(self) -> Filters:
        return Filters(sectors=self.sectors, countries=self.countries, statuses=self.statuses,
                       min_revenue_usd_m=self.min_revenue_usd_m, exclude_high_risk=self.exclude_high_risk)

    def scoring_part(self) -> ViewState:
        """The view without the selected company and language: what a scenario stores."""
        return self.model_copy(update={"company": None, "lang": DEFAULT_LANGUAGE})


class LinkNote(BaseModel):
    """One parameter of a link that could not be used as given; the text is made when shown."""

    param: str  # already made safe to show (see _safe_name)
    problem: Problem
    count: int = 1


@dataclass(frozen=True)
class Vocabulary:
    """The choices a link may name: sector codes with English names, countries, companies."""

    sectors: dict[str, str] = field(default_factory=dict)
    countries: tuple[str, ...] = ()
    companies: dict[int, str] = field(default_factory=dict)


@dataclass
class ParsedLink:
    """A link read safely: the view, the notes to show, and which widgets the link set."""

    view: ViewState
    notes: list[LinkNote]
    present: set[str]  # view keys the link gave a usable value for


def _in_language(code: str, show: Callable[[str], str], text: str) -> str:
    """`show(text)` in language `code`, without changing the language of the current run."""
    def run() -> str:
        set_language(code)
        return show(text)
    return copy_context().run(run)


def _safe_name(key: str) -> str:
    """A parameter name fit to show: letters, digits and _.- only, at most 30 characters."""
    clean = re.sub(r"[^A-Za-z0-9_.\-]", "", key)
    return (clean[:30] + "…" if len(clean) > 30 else clean) or "?"


def _number(text: str, low: float, high: float) -> tuple[float | None, Problem | None]:
    try:
        value = float(text.strip())
    except ValueError:
        return None, "not_a_number"
    if not math.isfinite(value):
        return None, "not_a_number"
    if not low <= value <= high:
        return None, "out_of_range"
    return value, None


def parse_query(raw: Mapping[str, Iterable[str]], vocab: Vocabulary) -> ParsedLink:
    """Read raw query parameters (each key -> all its values) into a valid view and notes; never raises."""
    values: dict[str, Any] = {}
    notes: list[LinkNote] = []
    present: set[str] = set()
    unknown: list[str] = []

    def note(key: str, problem: Problem) -> None:
        notes.append(LinkNote(param=key, problem=problem))

    choices = {
        "lang": any_language_lookup({code: name for code, name in LANGUAGES.items()}),
        "method": any_language_lookup(METHOD_LABELS),
        "missing": any_language_lookup(MISSING_LABELS),
        "sector": any_language_lookup(vocab.sectors),
        "country": any_language_lookup({c: c for c in vocab.countries}, fmt_country),
        "status": any_language_lookup({s: s for s in STATUSES}),
        "company": {**{name.casefold(): cid for cid, name in vocab.companies.items()},
                    **{str(cid): cid for cid in vocab.companies}},
    }
    for key, given in raw.items():
        items = [str(v) for v in (given if isinstance(given, list | tuple) else [given])]
        if key not in VIEW_KEYS:
            if key not in OTHER_KEYS:
                unknown.append(_safe_name(str(key)))
            continue
        if any(len(v) > MAX_VALUE_CHARS for v in items):
            note(key, "too_long")
            continue
        if key in LIST_KEYS:
            if len(items) > LIST_LIMITS[key]:
                note(key, "too_many")
                continue
            lookup = choices[key]
            found = list(dict.fromkeys(lookup[v.strip().casefold()] for v in items if v.strip().casefold() in lookup))
            if len(found) < len([v for v in items if v.strip()]):
                note(key, "some_unknown_choices" if found else "unknown_choice")
            if found:
                values[key] = found
                present.add(key)
            continue
        if len(items) != 1:
            note(key, "repeated")
            continue
        text = items[0].strip()
        if key in WEIGHT_KEYS:
            number, problem = _number(text, 0, WEIGHT_MAX)
            if problem:
                note(key, problem)
                continue
            values[key] = int(number)  # the slider holds whole numbers; 37.5 reads as 37, as Streamlit does
        elif key == "min_rev":
            number, problem = _number(text, 0, MIN_REVENUE_MAX)
            if problem:
                note(key, problem)
                continue
            values[key] = int(number)
        elif key == "no_high_risk":
            if text.casefold() not in ("true", "false"):
                note(key, "not_yes_no")
                continue
            values[key] = text.casefold() == "true"
        else:
            lookup = choices["missing" if key in MISSING_KEYS else key]
            if text.casefold() not in lookup:
                note(key, "unknown_choice")
                continue
            values[key] = lookup[text.casefold()]
        present.add(key)

    for name in unknown[:MAX_UNKNOWN_NOTES]:
        note(name, "unknown_parameter")
    if len(unknown) > MAX_UNKNOWN_NOTES:
        notes.append(LinkNote(param="…", problem="more_unknown", count=len(unknown) - MAX_UNKNOWN_NOTES))
    return ParsedLink(view=_view_from_values(values), notes=notes, present=present)


def _view_from_values(values: Mapping[str, Any]) -> ViewState:
    return ViewState(
        method=values.get("method", "wsm"),
        weights={cid: float(values.get(key, DEFAULT_WEIGHTS[cid])) for key, cid in WEIGHT_KEYS.items()},
        missing={cid: values.get(key, DEFAULT_MISSING[cid]) for key, cid in MISSING_KEYS.items()},
        sectors=values.get("sector", []), countries=values.get("country", []), statuses=values.get("status", []),
        min_revenue_usd_m=values.get("min_rev", 0), exclude_high_risk=values.get("no_high_risk", False),
        company=values.get("company"), lang=values.get("lang", DEFAULT_LANGUAGE),
    )


def widget_values(view: ViewState) -> dict[str, Any]:
    """The view as the sidebar widgets hold it, keyed by widget key (= query parameter)."""
    out: dict[str, Any] = {"lang": view.lang, "method": view.method}
    out.update({key: int(view.weights[cid]) for key, cid in WEIGHT_KEYS.items()})
    out.update({key: view.missing[cid] for key, cid in MISSING_KEYS.items()})
    out.update({"sector": list(view.sectors), "country": list(view.countries), "status": list(view.statuses),
                "min_rev": int(view.min_revenue_usd_m), "no_high_risk": view.exclude_high_risk,
                "company": view.company})
    return out


def to_query(view: ViewState, vocab: Vocabulary) -> str:
    """The query string (no '?') of a view, labels in the view's language, defaults left out."""
    def label(text: str, show: Callable[[str], str] = _) -> str:
        return _in_language(view.lang, show, text)

    default = widget_values(ViewState())
    current = widget_values(view)
    pairs: list[tuple[str, str]] = []
    for key in VIEW_KEYS:
        value = current[key]
        # The language is always written (the sidebar keeps ?lang= explicit), so labels are read back in it.
        if key != "lang" and (value == default[key] or value in (None, [])):
            continue
        if key == "lang":
            pairs.append((key, value))
        elif key == "method":
            pairs.append((key, label(METHOD_LABELS[value])))
        elif key in MISSING_KEYS:
            pairs.append((key, label(MISSING_LABELS[value])))
        elif key == "sector":
            pairs += [(key, label(vocab.sectors.get(code, code))) for code in value]
        elif key == "status":
            pairs += [(key, label(status)) for status in value]
        elif key == "country":
            pairs += [(key, label(country, fmt_country)) for country in value]
        elif key == "no_high_risk":
            pairs.append((key, "true"))
        elif key == "company":
            pairs.append((key, vocab.companies.get(value, str(value))))
        else:
            pairs.append((key, str(value)))
    return urlencode(pairs)


def share_url(base_url: str, view: ViewState, vocab: Vocabulary) -> str:
    """The full link to send: the page's address plus the view's query string."""
    query = to_query(view, vocab)
    return f"{base_url}?{query}" if query else base_url


def field_name(param: str) -> str:
    """What a view parameter sets, in the user's words and language."""
    if param in WEIGHT_KEYS:
        return _("the weight of %(criterion)s") % {"criterion": _(CRITERIA_BY_ID[WEIGHT_KEYS[param]].label)}
    if param in MISSING_KEYS:
        return _("the missing-data policy of %(criterion)s") % {
            "criterion": _(CRITERIA_BY_ID[MISSING_KEYS[param]].label)}
    return {
        "lang": _("the language"), "method": _("the scoring method"), "sector": _("the sector filter"),
        "country": _("the HQ country filter"), "status": _("the Russia status filter"),
        "min_rev": _("the minimum revenue"), "no_high_risk": _("the high-compliance-risk filter"),
        "company": _("the selected company"),
    }.get(param, param)


def default_text(param: str) -> str:
    """The value used instead of a bad one, as the user sees it."""
    if param in WEIGHT_KEYS:
        return fmt_number(DEFAULT_WEIGHTS[WEIGHT_KEYS[param]])
    if param in MISSING_KEYS:
        return _(MISSING_LABELS[DEFAULT_MISSING[MISSING_KEYS[param]]])
    return {
        "lang": LANGUAGES[DEFAULT_LANGUAGE], "method": _(METHOD_LABELS["wsm"]), "sector": _("all sectors"),
        "country": _("all countries"), "status": _("all statuses"), "min_rev": fmt_number(0),
        "no_high_risk": _("off"), "company": _("none"),
    }.get(param, "—")


def describe(note: LinkNote) -> str:
    """The note as one sentence for the warning box (never echoes the raw value)."""
    if note.problem == "unknown_parameter":
        return _("The link has a parameter `%(param)s` that this app does not use; it was ignored.") % {
            "param": note.param}
    if note.problem == "more_unknown":
        return ngettext("%(n)d more unknown parameter was ignored.", "%(n)d more unknown parameters were ignored.",
                        note.count) % {"n": note.count}
    if note.problem == "some_unknown_choices":
        return _("Some values of %(field)s (`%(param)s`) are not known here and were left out.") % {
            "field": field_name(note.param), "param": note.param}
    reasons = {
        "not_a_number": _("not a number"),
        "out_of_range": _("outside %(low)s-%(high)s") % {
            "low": fmt_number(0),
            "high": fmt_number(WEIGHT_MAX if note.param in WEIGHT_KEYS else MIN_REVENUE_MAX)},
        "unknown_choice": _("not one of the choices"),
        "too_long": _("too long"),
        "repeated": _("given more than once"),
        "too_many": _("too many values"),
        "not_yes_no": _("not true or false"),
    }
    return _("The link's value for %(field)s (`%(param)s`) was %(reason)s; %(default)s is used instead.") % {
        "field": field_name(note.param), "param": note.param, "reason": reasons[note.problem],
        "default": default_text(note.param)}

