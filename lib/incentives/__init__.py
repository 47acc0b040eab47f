"""Eligibility engine: which of Kazakhstan's incentive packages a company qualifies for, why, and what it is worth.

Pure functions, no Streamlit and no DuckDB. Packages arrive as rows of the `incentive_packages` table and are
parsed into `IncentivePackage` models at the boundary (`packages`). The modules, from the ground up:

- `assumptions`: what the check and the estimate assume (`Assumptions`, the regimes);
- `packages`: table rows as models, the packages in force, their cities;
- `rules`: every eligibility rule declared once (`Rule`, `RULES`), passed / failed / unknown with the reason;
- `value`: what a package is worth, as % of the investment;
- `offers`: every rule of a package checked (`check_package`), and the ranking's input, decided once per sector
  and then per company (`sector_offers`, `incentive_frame`);
- `text`: the pages' texts and tables; `params`: the assumptions in a link.

This module re-exports the names the pages and tests use, so `from lib.incentives import X` keeps working; code
in lib/ imports from the module that defines a name.
"""

from __future__ import annotations

from lib.incentives.assumptions import ANY_LOCATION, REGIME_LABELS, REGIMES, Assumptions
from lib.incentives.offers import (
    OUTCOMES,
    Eligibility,
    Outcome,
    SectorOffer,
    check_package,
    company_assumptions,
    company_sector,
    eligibility_for_sector,
    eligibility_matrix,
    evaluate,
    incentive_frame,
    offer_for_company,
    sector_offers,
)
from lib.incentives.packages import in_force, locations, parse_packages, sector_name_map, zones_by_location
from lib.incentives.params import (
    ASSUMPTION_KEYS,
    assumptions_from_params,
    company_sizes_text,
    parse_company_sizes,
    regime_of,
    url_params,
    widget_values,
)
from lib.incentives.rules import (
    ACTIVITY_LABELS,
    GREEN_CORRIDOR_NATIONAL_MCI,
    RULE_LABELS,
    RULES,
    Facts,
    Rule,
    RuleCheck,
    _check_location,  # tests/unit/test_incentives.py checks one rule's reason through it
    green_corridor_pool,
    mci_for,
)
from lib.incentives.text import (
    INSTRUMENT_LABELS,
    OUTCOME_LABELS,
    OUTCOME_SYMBOLS,
    RULE_RESULT_LABELS,
    RULE_SOURCE_FIELDS,
    RULE_SOURCE_STATUS,
    assumption_lines,
    benefits_text,
    checks_frame,
    not_eligible_frame,
    package_text,
    packages_frame,
    rule_sources_frame,
    rules_text,
    value_range_text,
    value_text,
)
from lib.incentives.value import (
    POINT_LABELS,
    POINT_SHARES,
    VALUE_PARTS,
    VAT_RATES,
    annuity_factor,
    estimate_value,
    uncertain_parts,
    value_range,
    vat_rate_pct,
)

__all__ = [
    "ACTIVITY_LABELS", "ANY_LOCATION", "ASSUMPTION_KEYS", "GREEN_CORRIDOR_NATIONAL_MCI", "INSTRUMENT_LABELS",
    "OUTCOMES", "OUTCOME_LABELS", "OUTCOME_SYMBOLS", "POINT_LABELS", "POINT_SHARES", "REGIMES", "REGIME_LABELS",
    "RULES", "RULE_LABELS", "RULE_RESULT_LABELS", "RULE_SOURCE_FIELDS", "RULE_SOURCE_STATUS", "VALUE_PARTS",
    "VAT_RATES", "Assumptions", "Eligibility", "Facts", "Outcome", "Rule", "RuleCheck", "SectorOffer",
    "_check_location", "annuity_factor", "assumption_lines", "assumptions_from_params", "benefits_text",
    "check_package", "checks_frame", "company_assumptions", "company_sector", "company_sizes_text",
    "eligibility_for_sector", "eligibility_matrix", "estimate_value", "evaluate", "green_corridor_pool", "in_force",
    "incentive_frame", "locations", "mci_for", "not_eligible_frame", "offer_for_company", "package_text",
    "packages_frame", "parse_company_sizes", "parse_packages", "regime_of", "rule_sources_frame", "rules_text",
    "sector_name_map", "sector_offers", "uncertain_parts", "url_params", "value_range", "value_range_text",
    "value_text", "vat_rate_pct", "widget_values", "zones_by_location",
]
