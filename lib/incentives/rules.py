"""The eligibility rules of the incentive packages, each declared once as a `Rule` in `RULES`.

Each rule gives one of three outcomes: passed, failed, or unknown (a fact the rule needs is missing, such as
the company's sector or the investment size). Every path that decides eligibility iterates `RULES`: the package
check (`lib.incentives.offers.check_package`), the sector shortcut of the ranking (`sector_offers`, which decides
the rules that do not depend on the company once per sector) and the per-company frame (`incentive_frame`, which
decides the rest per company through the rule's `bar` and `figure`).

To add a rule: one `Rule` here (its check, its words for the packages table and, when it depends on the company,
its bar and figure), the package field that states it (lib.models, the store's schema, the seed CSVs and the
editor's labels) and the translations of its texts in the catalogues.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from lib.i18n import N_, _, fmt_date, fmt_number, translate
from lib.incentives.assumptions import ANY_LOCATION, Assumptions
from lib.incentives.packages import _is_set
from lib.models import IncentivePackage

ACTIVITY_LABELS: dict[str, str] = {
    "manufacturing": N_("manufacturing"), "services": N_("services"), "it": N_("IT"), "finance": N_("finance"),
    "extractive": N_("extractive"), "other": N_("other"),
}


@dataclass
class RuleCheck:
    """One rule of one package: passed (True), failed (False) or unknown (None), with the reason in words."""

    rule: str  # the id of a Rule (a key of RULE_LABELS)
    passed: bool | None
    reason: str


@dataclass(frozen=True)
class Facts:
    """What the rules read about one company (or a sector) and the project.

    `assumptions` carry the company's investment (None when unknown); `mci_kzt` is the MCI of the regime year in
    tenge (None when unknown: a threshold in MCI then cannot be decided); `sector_names` (code -> English name)
    lets the reasons name sectors.
    """

    sector_code: str | None
    activity_type: str | None
    assumptions: Assumptions
    mci_kzt: int | None
    sector_names: Mapping[str, str] | None = None

    @classmethod
    def of(cls, sector: Mapping[str, Any] | None, assumptions: Assumptions, mci_kzt: int | None,
           sector_names: Mapping[str, str] | None = None) -> Facts:
        """The facts for a company in `sector` ({sector_code, activity_type} or None); the activity counts only
        with a known sector."""
        code = sector.get("sector_code") if sector else None
        code = code if _is_set(code) else None
        activity = sector.get("activity_type") if sector and code else None
        return cls(code, activity if _is_set(activity) else None, assumptions, mci_kzt, sector_names)


@dataclass(frozen=True)
class Rule:
    """One eligibility rule: what it is called, the package field that states it, and how it is decided.

    A rule `by_company` depends on the company's own figure (its investment), not only on its sector: the ranking
    decides it per company by comparing `figure(facts)` with `bar(package, facts)` (passed when figure >= bar),
    and `check` must reach the same result. `bar` is None when it cannot be told for any company (no MCI for the
    regime year); `figure` is None when the company's figure is unknown.
    """

    id: str
    label: str  # English, marked with N_ and translated when shown
    field: str  # the IncentivePackage field that states the rule
    check: Callable[[IncentivePackage, Facts], RuleCheck]
    describe: Callable[[IncentivePackage, Mapping[str, str] | None], str]  # the rule in words, for the table
    always: bool = False  # every package has the rule; otherwise only those whose `field` is set
    by_company: bool = False
    bar: Callable[[IncentivePackage, Facts], float | None] | None = None
    figure: Callable[[Facts], float | None] | None = None

    def applies(self, package: IncentivePackage) -> bool:
        """Whether the package has this rule: always, or when its field is set (a non-empty list, True, a number)."""
        if self.always:
            return True
        value = getattr(package, self.field)
        return not (value is None or value is False or (isinstance(value, list | tuple) and not value))

    def meets(self, bar: float, facts: Facts) -> bool:
        """A by_company rule for one company: its figure reaches the bar (an unknown figure does not)."""
        figure = self.figure(facts) if self.figure else None
        return figure is not None and figure >= bar


def _join(items: Iterable[str]) -> str:
    return ", ".join(items)


def _activity(activity: str) -> str:
    return _(ACTIVITY_LABELS.get(activity, activity))


def _sector(code: str, names: Mapping[str, str] | None) -> str:
    """A sector's name in the current language; its code when the name is not known."""
    name = (names or {}).get(code)
    return translate(name) if isinstance(name, str) and name.strip() else code


def _sectors(codes: Iterable[str], names: Mapping[str, str] | None) -> str:
    # Sector names contain commas, so a list of them is separated by semicolons.
    return "; ".join(_sector(code, names) for code in codes)


def _cities(cities: Iterable[str]) -> str:
    """City names (stored in English) in the current language, e.g. "Астана, Алматы"."""
    return _join(translate(city) for city in cities)


def _period_text(package: IncentivePackage) -> str:
    if package.valid_to is None:
        return _("from %(start)s, no end date") % {"start": fmt_date(package.valid_from)}
    return _("%(start)s to %(end)s") % {"start": fmt_date(package.valid_from), "end": fmt_date(package.valid_to)}


def mci_for(year: int, mci_table: Mapping[int, int]) -> int:
    """The MCI (monthly calculation index) in tenge for a year: that year's value, else the latest before it."""
    known = [y for y in mci_table if y <= year]
    if not known:
        raise ValueError(f"no MCI value known for {year} or earlier")
    return int(mci_table[max(known)])


def mci_or_none(when: date, mci_table: Mapping[int, int]) -> int | None:
    """The MCI of the year of `when`; None before the first stored year."""
    try:
        return mci_for(when.year, mci_table)
    except ValueError:
        return None


GREEN_CORRIDOR_NATIONAL_MCI = 150_000  # above: the national pool on the National Digital Investment Platform


def green_corridor_pool(assumptions: Assumptions, mci_table: Mapping[int, int]) -> tuple[str | None, float | None]:
    """("regional" or "national", the investment in MCI) for the assumed investment; (None, None) when unknown."""
    if assumptions.investment_usd_m is None:
        return None, None
    try:
        mci = mci_for(assumptions.regime_date.year, mci_table)
    except ValueError:
        return None, None
    in_mci = assumptions.investment_usd_m * 1e6 * assumptions.kzt_per_usd / mci
    return ("national" if in_mci > GREEN_CORRIDOR_NATIONAL_MCI else "regional"), in_mci


# -- the checks, one per rule ---------------------------------------------------------------------

def _check_period(package: IncentivePackage, when: date) -> RuleCheck:
    values = {"period": _period_text(package), "date": fmt_date(when)}
    if when < package.valid_from:
        return RuleCheck("period", False, _("Not yet in force on %(date)s (in force %(period)s).") % values)
    if package.valid_to is not None and when > package.valid_to:
        return RuleCheck("period", False, _("No longer available on %(date)s (in force %(period)s).") % values)
    return RuleCheck("period", True, _("In force on %(date)s (%(period)s).") % values)


def _check_sector(package: IncentivePackage, code: str | None, names: Mapping[str, str] | None) -> RuleCheck:
    if code is None:
        return RuleCheck("sector", None, _("The company's sector is unknown."))
    values = {"sector": _sector(code, names), "allowed": _sectors(package.sector_codes, names)}
    if code in package.excluded_sector_codes:
        return RuleCheck("sector", False, _("The package excludes the company's sector (%(sector)s).") % values)
    if package.sector_codes and code not in package.sector_codes:
        return RuleCheck("sector", False, _("The company's sector (%(sector)s) is not among the package's "
                                            "sectors: %(allowed)s.") % values)
    if package.sector_codes:
        return RuleCheck("sector", True, _("The company's sector (%(sector)s) is among the package's "
                                           "sectors: %(allowed)s.") % values)
    return RuleCheck("sector", True, _("Open to every sector not excluded; the company's sector (%(sector)s) "
                                       "is not excluded.") % values)


def _check_activity(package: IncentivePackage, activity: str | None) -> RuleCheck:
    allowed = _join(_activity(a) for a in package.activity_types)
    if activity is None:
        return RuleCheck("activity", None, _("The company's activity type is unknown; the package needs %(allowed)s.")
                         % {"allowed": allowed})
    ok = activity in package.activity_types
    message = (_("Activity %(activity)s is one of %(allowed)s.") if ok
               else _("Activity %(activity)s is not one of %(allowed)s."))
    return RuleCheck("activity", ok, message % {"activity": _activity(activity), "allowed": allowed})


def _check_location(package: IncentivePackage, location: str) -> RuleCheck:
    allowed = _cities(package.locations)
    if location == ANY_LOCATION:
        return RuleCheck("location", True, _("Assumes the project is sited in %(allowed)s.") % {"allowed": allowed})
    ok = location in package.locations
    message = _("%(location)s is in %(allowed)s.") if ok else _("%(location)s is not in %(allowed)s.")
    return RuleCheck("location", ok, message % {"location": translate(location), "allowed": allowed})


def minimum_kzt(package: IncentivePackage, mci_kzt: int | None) -> int | None:
    """The package's minimum investment in tenge at `mci_kzt` (0 without a minimum); None when the MCI is unknown."""
    return None if mci_kzt is None else int(package.min_investment_mci or 0) * mci_kzt


def investment_kzt(a: Assumptions) -> int | None:
    """The assumed investment in whole tenge, so that one exactly at a threshold passes despite float rounding."""
    return None if a.investment_usd_m is None else round(a.investment_usd_m * 1e6 * a.kzt_per_usd)


def _check_investment(package: IncentivePackage, a: Assumptions, mci_kzt: int | None) -> RuleCheck:
    minimum = int(package.min_investment_mci or 0)
    need_kzt = minimum_kzt(package, mci_kzt)
    if mci_kzt is None or need_kzt is None:
        return RuleCheck("investment", None, _("Needs at least %(minimum)s MCI; no MCI value is stored for %(year)s.")
                         % {"minimum": fmt_number(minimum), "year": a.regime_date.year})
    values = {"minimum": fmt_number(minimum), "mci": fmt_number(mci_kzt), "year": a.regime_date.year,
              "need_kzt": fmt_number(need_kzt / 1e9, 2), "need_usd": fmt_number(need_kzt / a.kzt_per_usd / 1e6, 1)}
    invest_kzt = investment_kzt(a)
    if a.investment_usd_m is None or invest_kzt is None:
        return RuleCheck("investment", None,
                         _("Needs at least %(minimum)s MCI (KZT %(need_kzt)s bn, about USD %(need_usd)s m); "
                           "the investment size is not set.") % values)
    ok = invest_kzt >= need_kzt
    values |= {"invest": fmt_number(a.investment_usd_m, 1), "invest_mci": fmt_number(invest_kzt / mci_kzt)}
    message = (_("USD %(invest)s m is %(invest_mci)s MCI, at or above the minimum of %(minimum)s MCI "
                 "(1 MCI = KZT %(mci)s in %(year)s; about USD %(need_usd)s m).") if ok
               else _("USD %(invest)s m is %(invest_mci)s MCI, below the minimum of %(minimum)s MCI "
                      "(1 MCI = KZT %(mci)s in %(year)s; about USD %(need_usd)s m)."))
    return RuleCheck("investment", ok, message % values)


def _check_entity(new_entity: bool) -> RuleCheck:
    if new_entity:
        return RuleCheck("entity", True, _("Requires a newly created Kazakh legal entity; the project sets one up."))
    return RuleCheck("entity", False, _("Requires a newly created Kazakh legal entity; the project expands an "
                                        "existing one."))


# -- each rule in a few words, for the packages table ---------------------------------------------

def _describe_sector(package: IncentivePackage, names: Mapping[str, str] | None) -> str:
    parts = [_("sectors: %(sectors)s") % {"sectors": _sectors(package.sector_codes, names)}
             if package.sector_codes else _("any sector")]
    if package.excluded_sector_codes:
        parts.append(_("except: %(sectors)s") % {"sectors": _sectors(package.excluded_sector_codes, names)})
    return " · ".join(parts)


RULES: tuple[Rule, ...] = (
    Rule("period", N_("Validity period"), "valid_from", always=True,
         check=lambda p, f: _check_period(p, f.assumptions.regime_date),
         describe=lambda p, names: _("In force %(period)s") % {"period": _period_text(p)}),
    Rule("sector", N_("Sector"), "sector_codes", always=True,
         check=lambda p, f: _check_sector(p, f.sector_code, f.sector_names), describe=_describe_sector),
    Rule("activity", N_("Activity type"), "activity_types",
         check=lambda p, f: _check_activity(p, f.activity_type),
         describe=lambda p, names: _("activity %(types)s") % {"types": _join(_activity(t) for t in p.activity_types)}),
    Rule("location", N_("Location"), "locations",
         check=lambda p, f: _check_location(p, f.assumptions.location),
         describe=lambda p, names: _("sited in %(places)s") % {"places": _cities(p.locations)}),
    Rule("investment", N_("Minimum investment"), "min_investment_mci", by_company=True,
         check=lambda p, f: _check_investment(p, f.assumptions, f.mci_kzt),
         describe=lambda p, names: _("at least %(mci)s MCI") % {"mci": fmt_number(p.min_investment_mci)},
         bar=lambda p, f: minimum_kzt(p, f.mci_kzt), figure=lambda f: investment_kzt(f.assumptions)),
    Rule("entity", N_("New legal entity"), "requires_new_entity",
         check=lambda p, f: _check_entity(f.assumptions.new_entity),
         describe=lambda p, names: _("new legal entity only")),
)
RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
RULE_LABELS: dict[str, str] = {rule.id: rule.label for rule in RULES}


def is_assumed_out(rule: Rule, package: IncentivePackage, assumptions: Assumptions) -> bool:
    """True when the rule is Relocation Radar's assumption for this package and assumed rules are left out."""
    return rule.id in package.assumed_rules and not assumptions.include_assumed_rules


def check_rules(package: IncentivePackage, facts: Facts) -> list[RuleCheck]:
    """Every rule the package has, checked in the order of RULES.

    A rule the sources do not support may neither qualify nor disqualify unless assumed rules are included: it is
    then unknown, so the package stays undecided.
    """
    checks = []
    for rule in RULES:
        if not rule.applies(package):
            continue
        check = rule.check(package, facts)
        if is_assumed_out(rule, package, facts.assumptions):
            check = RuleCheck(check.rule, None, check.reason + " " + _(
                "This rule is Relocation Radar's assumption, not in the sources; it counts only when assumed rules "
                "are included."))
        checks.append(check)
    return checks
