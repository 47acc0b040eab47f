"""The incentive assumptions in a link or in the Incentives page's widgets: keys, parsing and writing back.

They are part of the view (lib.viewstate.ViewState.assumptions): parse_query reads them with read_assumption,
query_pairs writes them with url_params, and the widgets hold widget_values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from lib.i18n import N_, _, any_language_lookup
from lib.incentives.assumptions import ANY_LOCATION, REGIMES, Assumptions

# Widget / URL key of each assumption -> the Assumptions field it sets. "inc_regime" carries a REGIMES id,
# "inc_existing" says whether the project expands an existing entity (true/false), "inc_site" a city.
ASSUMPTION_KEYS: dict[str, str] = {
    "inc_invest": "investment_usd_m", "inc_fx": "kzt_per_usd", "inc_regime": "regime_date",
    "inc_site": "location", "inc_existing": "new_entity", "inc_years": "horizon_years",
    "inc_discount": "discount_rate_pct", "inc_profit": "profit_pct_of_investment", "inc_cit": "cit_rate_pct",
    "inc_property": "property_tax_rate_pct", "inc_land": "land_tax_rate_pct",
    "inc_equipment": "equipment_share_pct", "inc_duty": "customs_duty_pct", "inc_grant": "grant_take_up_pct",
    "inc_assumed": "include_assumed_rules", "inc_point": "uncertain_point", "inc_company": "company_investment_usd_m",
}
# What each one sets, in the words of its widget (the Incentives page, the profile's investment field).
ASSUMPTION_LABELS: dict[str, str] = {
    "inc_invest": N_("Investment, USD million"), "inc_fx": N_("Exchange rate, KZT per USD"),
    "inc_regime": N_("Regime"), "inc_site": N_("Location"), "inc_existing": N_("Expands an existing Kazakh entity"),
    "inc_years": N_("Horizon, years"), "inc_discount": N_("Discount rate, %"),
    "inc_profit": N_("Annual taxable profit, % of investment"), "inc_cit": N_("Corporate income tax rate, %"),
    "inc_property": N_("Property tax rate, %"), "inc_land": N_("Land tax rate, % of investment"),
    "inc_equipment": N_("Imported equipment, % of investment"), "inc_duty": N_("Customs duty on equipment, %"),
    "inc_grant": N_("In-kind grant obtained, % of the maximum"), "inc_assumed": N_("Include assumed rules"),
    "inc_point": N_("Uncertain benefits count at"), "inc_company": N_("Set this company's investment, USD million"),
}
YES_NO = {"true": True, "false": False}
# pydantic's error type -> the link note's problem (lib.viewstate.Problem)
_PROBLEMS = {"greater_than_equal": "out_of_range", "less_than_equal": "out_of_range", "greater_than": "out_of_range",
             "less_than": "out_of_range", "too_long": "too_long", "value_error": "out_of_range",
             "literal_error": "unknown_choice", "bool_parsing": "not_yes_no"}


class AssumptionProblem(ValueError):
    """A link's assumption parameter that cannot be used; `problem` says why (a lib.viewstate.Problem)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def read_assumption(key: str, text: str, known_locations: Iterable[str] | None = None) -> Any:
    """One assumption parameter of a link as its widget holds it (widget_values); AssumptionProblem if unusable.

    Accepts what the app writes (url_params) and what links written by the widgets bound to the URL carried
    (a city's label in any language, "250.0").
    """
    name = ASSUMPTION_KEYS[key]
    raw = text.strip()
    value: Any
    if name == "regime_date":
        if raw not in REGIMES:
            raise AssumptionProblem("unknown_choice")
        return raw
    if name in ("new_entity", "include_assumed_rules"):
        if raw.casefold() not in YES_NO:
            raise AssumptionProblem("not_yes_no")
        return YES_NO[raw.casefold()]
    if name == "location":
        if known_locations is not None:
            sites = any_language_lookup({c: c for c in known_locations}) | {ANY_LOCATION: ANY_LOCATION}
            if raw.casefold() not in sites:
                raise AssumptionProblem("unknown_choice")
            raw = sites[raw.casefold()]
        value = raw
    elif name == "company_investment_usd_m":
        try:
            value = parse_company_sizes(raw)
        except ValueError:
            raise AssumptionProblem("not_a_number") from None
    elif name == "uncertain_point":
        value = raw
    else:
        try:
            value = float(raw)
        except ValueError:
            raise AssumptionProblem("not_a_number") from None
        if not math.isfinite(value):
            raise AssumptionProblem("not_a_number")
        if name == "horizon_years":
            if not value.is_integer():
                raise AssumptionProblem("not_a_number")
            value = int(value)
    try:
        checked = Assumptions.model_validate({name: value})
    except ValidationError as exc:
        raise AssumptionProblem(_PROBLEMS.get(exc.errors()[0]["type"], "unknown_choice")) from None
    return widget_values(checked)[key]


def company_sizes_text(sizes: Mapping[int, float]) -> str:
    """Per-company investments as URL text, "12:80;31:15.5" (company id: USD m), sorted by id."""
    return ";".join(f"{cid}:{int(v) if float(v).is_integer() else v}" for cid, v in sorted(sizes.items()))


def parse_company_sizes(text: str) -> dict[int, float]:
    """The inverse of company_sizes_text; ValueError naming the part that is not "id:number"."""
    sizes: dict[int, float] = {}
    for part in filter(None, (p.strip() for p in str(text).split(";"))):
        cid, sep, value = part.partition(":")
        try:
            if not sep:
                raise ValueError(part)
            sizes[int(cid)] = float(value)
        except ValueError:
            raise ValueError(f"not company-id:USD-million: {part[:40]}") from None
    return sizes


def regime_of(a: Assumptions) -> str | None:
    """The id of the regime whose date the assumptions use; None for any other date."""
    return next((rid for rid, when in REGIMES.items() if when == a.regime_date), None)


def assumptions_from_params(params: Mapping[str, Any],
                            known_locations: Iterable[str] | None = None) -> tuple[Assumptions, list[str]]:
    """Assumptions from widget values or URL strings; a bad value falls back to its default with a note.

    Values may be strings (from the URL) or typed values (from widgets). Unknown keys are ignored.
    """
    notes: list[str] = []
    values: dict[str, Any] = {}
    # A city may come as stored (Astana) or as a label in any language (Астана): a bound widget writes its label.
    sites = None if known_locations is None else any_language_lookup({c: c for c in known_locations}) | {
        ANY_LOCATION: ANY_LOCATION}
    for key, name in ASSUMPTION_KEYS.items():
        raw = params.get(key)
        if raw is None or raw == "":
            continue
        value: Any = raw
        if name == "regime_date":
            value = REGIMES.get(str(raw))
        elif name == "new_entity":
            value = {"false": True, "true": False}.get(str(raw).lower())  # the widget asks "existing?"
        elif name == "location" and sites is not None:
            value = sites.get(str(raw).strip().casefold())
        elif name == "company_investment_usd_m" and isinstance(raw, str):
            try:
                value = parse_company_sizes(raw)
            except ValueError:
                value = None
        try:
            if value is None:
                raise ValueError(raw)
            Assumptions.model_validate({name: value})
        except ValueError:  # pydantic's ValidationError is a ValueError
            notes.append(_("Ignored the assumption %(key)s=%(value)s; the default is used.")
                         % {"key": key, "value": str(raw)[:40]})
            continue
        values[name] = value
    return Assumptions.model_validate(values), notes


def widget_values(a: Assumptions) -> dict[str, Any]:
    """The value each assumption widget shows for `a` (inverse of assumptions_from_params)."""
    values = {key: getattr(a, name) for key, name in ASSUMPTION_KEYS.items()}
    values["inc_regime"] = regime_of(a)
    values["inc_site"] = None if a.location == ANY_LOCATION else a.location
    values["inc_existing"] = not a.new_entity
    values["inc_company"] = company_sizes_text(a.company_investment_usd_m) or None
    return values


def url_params(a: Assumptions) -> dict[str, str | None]:
    """The URL text of each assumption; None where it equals the default (left out of the link)."""
    default = widget_values(Assumptions())
    out: dict[str, str | None] = {}
    for key, value in widget_values(a).items():
        if value == default[key] or value is None:
            out[key] = None
        elif isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            out[key] = str(int(value))
        else:
            out[key] = str(value)
    return out
