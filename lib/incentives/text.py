"""The Incentives and Company pages' texts and tables: rules, benefits, values and assumptions in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from lib.i18n import N_, _, fmt_date, fmt_number, fmt_percent, ngettext, translate
from lib.incentives.assumptions import ANY_LOCATION, Assumptions
from lib.incentives.offers import Eligibility
from lib.incentives.rules import RULE_LABELS, RULES, _join
from lib.incentives.value import POINT_LABELS, VALUE_PARTS, uncertain_parts, value_range, vat_rate_pct
from lib.models import IncentivePackage

OUTCOME_LABELS: dict[str, str] = {"eligible": N_("Eligible"), "unknown": N_("Cannot tell yet"),
                                  "not_eligible": N_("Not eligible")}
INSTRUMENT_LABELS: dict[str, str] = {
    "preference": N_("Investment preference"), "contract": N_("Investment contract"),
    "sez": N_("Special economic zone"), "industrial_zone": N_("Industrial zone"), "aifc": N_("Financial centre"),
    "tech_park": N_("Technology park"),
}
OUTCOME_SYMBOLS: dict[str, str] = {"eligible": "✓", "unknown": "?", "not_eligible": "✗"}
RULE_RESULT_LABELS: dict[bool | None, str] = {True: N_("passed"), False: N_("failed"), None: N_("unknown")}
RULE_SOURCE_FIELDS: dict[str, str] = RULE_LABELS | VALUE_PARTS | {"stability": N_("Stability clause")}
RULE_SOURCE_STATUS: dict[str, str] = {"sourced": N_("sourced"), "assumption": N_("our assumption"),
                                      "uncertain": N_("uncertain")}


def _pct(value: float, digits: int = 1) -> str:
    """A figure given in percent (15.0 = 15%) in the current locale."""
    return fmt_percent(value / 100, digits)


def rules_text(package: IncentivePackage, sector_names: Mapping[str, str] | None = None) -> str:
    """The package's eligibility rules in one line of words, for the packages table (sectors by name if known)."""
    parts = [rule.describe(package, sector_names) for rule in RULES if rule.applies(package)]
    return " · ".join(parts)  # not "; ": that separates the sector names


def benefits_text(package: IncentivePackage) -> str:
    """The quantified benefits in one line of words (years of exemption, grant, stability)."""
    parts = []
    if package.cit_exemption_years:
        parts.append(ngettext("CIT exemption %(n)d year", "CIT exemption %(n)d years", package.cit_exemption_years)
                     % {"n": package.cit_exemption_years})
    if package.property_tax_years:
        n = package.property_tax_years
        parts.append(ngettext("property tax 0 for %(n)d year", "property tax 0 for %(n)d years", n) % {"n": n})
    if package.land_tax_years:
        parts.append(ngettext("land tax 0 for %(n)d year", "land tax 0 for %(n)d years", package.land_tax_years)
                     % {"n": package.land_tax_years})
    if package.customs_duty_exemption and package.import_vat_exemption:
        parts.append(_("customs duty and import VAT exemption on equipment"))
    elif package.customs_duty_exemption:
        parts.append(_("customs duty exemption on equipment (not import VAT)"))
    elif package.import_vat_exemption:
        parts.append(_("import VAT exemption on equipment (not customs duty)"))
    if package.in_kind_grant_pct:
        parts.append(_("in-kind grant up to %(pct)s of the investment")
                     % {"pct": _pct(package.in_kind_grant_pct, 0)})
    if package.stability_years:
        parts.append(ngettext("stability clause %(n)d year", "stability clause %(n)d years", package.stability_years)
                     % {"n": package.stability_years})
    return "; ".join(parts) if parts else _("nothing quantified")


def assumption_lines(a: Assumptions) -> list[tuple[str, str]]:
    """Every assumption behind an estimate as (label, value) pairs, to print next to the result."""
    investment = (_("each company's own estimate") if a.investment_usd_m is None
                  else _("USD %(m)s m for every company") % {"m": fmt_number(a.investment_usd_m, 1)})
    if a.company_investment_usd_m:
        investment += "; " + ngettext("set by hand for %(n)d company", "set by hand for %(n)d companies",
                                      len(a.company_investment_usd_m)) % {"n": len(a.company_investment_usd_m)}
    location = _("not decided (any site)") if a.location == ANY_LOCATION else translate(a.location)
    return [
        (_("Investment"), investment),
        (_("Exchange rate"), _("%(rate)s KZT per USD") % {"rate": fmt_number(a.kzt_per_usd, 1)}),
        (_("Regime date"), fmt_date(a.regime_date)),
        (_("Location"), location),
        (_("Legal entity"), _("new") if a.new_entity else _("existing")),
        (_("Assumed rules"), _("included") if a.include_assumed_rules else _("left out")),
        (_("Horizon"), ngettext("%(n)d year", "%(n)d years", a.horizon_years) % {"n": a.horizon_years}),
        (_("Discount rate"), _pct(a.discount_rate_pct, 1)),
        (_("Annual taxable profit"), _("%(pct)s of the investment") % {"pct": _pct(a.profit_pct_of_investment)}),
        (_("CIT rate"), _pct(a.cit_rate_pct, 1)),
        (_("Property tax rate"), _pct(a.property_tax_rate_pct, 2)),
        (_("Land tax rate"), _pct(a.land_tax_rate_pct, 2)),
        (_("Imported equipment"), _("%(pct)s of the investment") % {"pct": _pct(a.equipment_share_pct)}),
        (_("Customs duty"), _pct(a.customs_duty_pct, 1)),
        (_("Import VAT"), _pct(vat_rate_pct(a.regime_date), 1)),
        (_("In-kind grant obtained"), _("%(pct)s of the maximum") % {"pct": _pct(a.grant_take_up_pct)}),
        (_("Uncertain benefits counted at"), _(POINT_LABELS[a.uncertain_point])),
    ]



def checks_frame(result: Eligibility) -> pd.DataFrame:
    """One row per rule of a checked package: the rule, passed / failed / unknown, and the reason."""
    return pd.DataFrame(
        [{"rule": _(RULE_LABELS[c.rule]), "result": _(RULE_RESULT_LABELS[c.passed]), "reason": c.reason}
         for c in result.checks],
        columns=["rule", "result", "reason"],
    )


def value_text(result: Eligibility) -> str:
    """The value estimate and its parts in words, e.g. '36.7% of the investment: CIT 18.4%, ...'."""
    if result.value_pct is None:
        return _("Value not estimated: no quantified tax or grant benefit.")
    parts = ", ".join(f"{_(VALUE_PARTS[k])} {_pct(v)}" for k, v in result.value_parts.items())
    return _("About %(total)s of the investment (%(parts)s).") % {"total": _pct(result.value_pct), "parts": parts}


def package_text(text: str | None) -> str:
    """A package's free text (details, uncertainty note, legal basis) in the current language; "" when empty.

    The seed texts are in the catalogues (lib.i18n.data_messages); a text a steward edited shows as stored.
    """
    return translate(text.strip()) if text and text.strip() else ""


def packages_frame(packages: Iterable[IncentivePackage], assumptions: Assumptions,
                   sector_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The packages with rules, benefits, value at the assumptions, period, uncertainty and sources, for display.

    Texts a user reads (benefit details, uncertainty notes, legal basis) are in the current language; a text a
    steward edited and nobody translated yet shows as stored. `name` stays the stored name (callers translate).
    """
    rows = []
    for p in packages:
        low, value, high, _parts = value_range(p, assumptions)
        doubtful = uncertain_parts(p, assumptions.regime_date)
        rows.append({
            "package_id": p.package_id, "name": p.name, "type": _(INSTRUMENT_LABELS[p.instrument_type]),
            "in_force": p.valid_from <= assumptions.regime_date
            and (p.valid_to is None or assumptions.regime_date <= p.valid_to),
            "valid_from": p.valid_from, "valid_to": p.valid_to, "rules": rules_text(p, sector_names),
            "benefits": benefits_text(p), "other_benefits": package_text(p.other_benefits),
            "value_pct": value, "value_low": low, "value_high": high,
            "uncertain_terms": _join(_(VALUE_PARTS[k]) for k in doubtful),
            "uncertain": p.uncertain, "uncertainty_note": package_text(p.uncertainty_note),
            "legal_basis": package_text(p.legal_basis), "source": p.source, "as_of": p.as_of,
        })
    return pd.DataFrame(rows)


def rule_sources_frame(sources: pd.DataFrame, package_id: str) -> pd.DataFrame:
    """Where each rule field of one package comes from: field, sourced / assumption / uncertain, value, page, note."""
    rows = sources[sources["package_id"] == package_id]
    return pd.DataFrame({
        "field": [_(RULE_SOURCE_FIELDS.get(f, f)) for f in rows["field"]],
        "status": [_(RULE_SOURCE_STATUS.get(s, s)) for s in rows["status"]],
        "value": list(rows["value"]), "source": list(rows["source"]), "source_date": list(rows["source_date"]),
        "note": [package_text(n) for n in rows["note"]]}, columns=["field", "status", "value", "source",
                                                                   "source_date", "note"])


def value_range_text(result: Eligibility) -> str:
    """The range of an uncertain value in words; "" when every benefit is certain."""
    if not result.uncertain_parts or result.value_low is None or result.value_high is None:
        return ""
    return (_("Uncertain: %(parts)s. The value lies between %(low)s and %(high)s of the investment; the score "
              "uses %(point)s.") % {"parts": _join(_(VALUE_PARTS[k]) for k in result.uncertain_parts),
                                     "low": _pct(result.value_low), "high": _pct(result.value_high),
                                     "point": _pct(result.value_pct or 0.0)})


def not_eligible_frame(results: Iterable[Eligibility]) -> pd.DataFrame:
    """The packages a company does not qualify for, each with the reasons of the rules it failed."""
    rows = [{"package": translate(r.name), "why_not": " ".join(c.reason for c in r.checks if c.passed is False)}
            for r in results if r.outcome == "not_eligible"]
    return pd.DataFrame(rows, columns=["package", "why_not"])
