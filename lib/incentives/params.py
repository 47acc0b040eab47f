"""The incentive assumptions in a link or in the Incentives page's widgets: keys, parsing and writing back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lib.i18n import _, any_language_lookup
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
