"""Pydantic models at the boundaries: seed and imported rows, weights, filters, the view."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from lib.criteria import CRITERION_IDS, DEFAULT_MISSING, DEFAULT_WEIGHTS, MissingPolicy, weight_vector
from lib.evidence import PresenceLevel, ProductionState

T = TypeVar("T")
RussiaStatus = Literal["Withdrawal", "Suspension", "Scaling back", "Buying time", "Digging in"]
# The five-level scale of the Yale CELI list and the KSE tracker, firmest exit first.
STATUSES: tuple[RussiaStatus, ...] = (
    "Withdrawal", "Suspension", "Scaling back", "Buying time", "Digging in",
)
STATUS_GRADE: dict[str, str] = dict(zip(STATUSES, "ABCDF", strict=True))
GRADE_STATUS: dict[str, str] = {g: s for s, g in STATUS_GRADE.items()}

Method = Literal["wsm", "topsis"]
METHODS: tuple[Method, ...] = ("wsm", "topsis")
# How unsure the weights are (lib.robustness) and which facts the back-test ranks on (lib.backtest): here, with
# the other choices a link carries, so reading a link needs neither scipy-heavy module.
Uncertainty = Literal["low", "medium", "high"]
UNCERTAINTIES: tuple[Uncertainty, ...] = ("low", "medium", "high")
FactsMode = Literal["point-in-time", "current"]


def company_key(name: str, hq_country: str | None) -> str:
    """Stable matching key: accent-free, case-folded name without punctuation, plus HQ country."""
    return f"{_norm_name(name)}|{_norm_name(hq_country or '')}"


def _norm_name(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


# Legal forms dropped from the end of a name when names are compared ("BASF SE" is "BASF"); "group" is kept
# ("Volvo Group" is not "Volvo Cars").
LEGAL_FORMS = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "plc", "ag", "se", "sa",
    "nv", "bv", "gmbh", "kgaa", "llc", "lp", "spa", "ab", "asa", "oyj", "oy", "pjsc", "jsc", "ojsc", "ooo", "too",
    "llp", "kk", "as",
})


def name_variants(name: str) -> set[str]:
    """The normalised ways a listed name may be written: each part of "SLB | Schlumberger", the name outside and
    inside brackets ("Procter & Gamble (P&G)"), each without a trailing legal form ("BASF SE" -> "basf")."""
    variants: set[str] = set()
    for part in re.split(r"\s*\|\s*", name):
        for text in (re.sub(r"\([^)]*\)", " ", part), *re.findall(r"\(([^)]*)\)", part)):
            words = _norm_name(text).split()
            if words:
                variants.add(" ".join(words))
            while len(words) > 1 and words[-1] in LEGAL_FORMS:
                words.pop()
                variants.add(" ".join(words))
    return variants


class CompanyRow(BaseModel):
    """One company as stored: facts are None when no public source gives them."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    company_id: int | None = None
    name: str = Field(min_length=1, max_length=200)
    hq_country: str | None = Field(default=None, max_length=80)
    industry: str | None = Field(default=None, max_length=80)
    sector_code: str | None = Field(default=None, max_length=20)
    sector_reason: str | None = Field(default=None, max_length=500)
    sector_source: str | None = Field(default=None, max_length=500)
    status: RussiaStatus
    tracker_grade: str | None = Field(default=None, max_length=40)
    status_date: date | None = None
    revenue_worldwide_usd_m: float | None = Field(default=None, ge=0)
    employees_worldwide: int | None = Field(default=None, ge=0)
    russia_revenue_usd_m: float | None = Field(default=None, ge=0)
    russia_employees: int | None = Field(default=None, ge=0)
    russia_production: ProductionState | None = None
    russia_production_date: str | None = Field(default=None, max_length=10, pattern=r"^\d{4}(-\d\d){0,2}$")
    kazakhstan_presence: PresenceLevel | None = None
    kazakhstan_presence_since: int | None = Field(default=None, ge=1850, le=2100)
    group_parent_id: int | None = None
    website: str | None = Field(default=None, max_length=300)
    is_candidate: bool = True
    exclusion_reason: str | None = Field(default=None, max_length=200)
    source: str = Field(min_length=1)
    as_of: date

    @property
    def key(self) -> str:
        return company_key(self.name, self.hq_country)


class SectorRow(BaseModel):
    """A sector with Kazakhstan's priority (0-5) and the reason for it."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    sector_code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=120)
    isic: str = Field(min_length=1, max_length=80)
    kz_priority: int = Field(ge=0, le=5)
    priority_reason: str = Field(min_length=1)
    activity_type: Literal["manufacturing", "services", "it", "finance", "extractive", "other"]
    dual_use: bool = False
    source: str = Field(min_length=1)
    as_of: date


Order = Literal["expected", "likelihood", "value"]
ORDERS: tuple[Order, ...] = ("expected", "likelihood", "value")
ORDER_LABELS: dict[str, str] = {
    "expected": "Expected value (likelihood × value)",
    "likelihood": "Likelihood of coming",
    "value": "Value to Kazakhstan",
}


class Filters(BaseModel):
    """Hard filters applied before scoring; empty lists mean 'all'."""

    model_config = ConfigDict(extra="forbid")

    sectors: list[str] = Field(default_factory=list, max_length=50)
    countries: list[str] = Field(default_factory=list, max_length=200)
    statuses: list[RussiaStatus] = Field(default_factory=list, max_length=5)
    min_revenue_usd_m: float = Field(default=0, ge=0, le=10_000_000)
    exclude_high_risk: bool = False
    # New entrants only: leave out companies that already produce in Kazakhstan (their own plant), whose
    # likelihood of coming is mostly that of expanding; the default order ranks them high.
    new_entrants_only: bool = False
    candidates_only: bool = True


def _every_criterion(values: dict[str, T], defaults: dict[str, T]) -> dict[str, T]:
    """Every criterion in criterion order, absent ones at their default; an unknown criterion is an error."""
    if unknown := sorted(set(values) - set(defaults)):
        raise ValueError(f"unknown criterion {unknown[0]!r}; known: {', '.join(CRITERION_IDS)}")
    return {cid: values.get(cid, default) for cid, default in defaults.items()}


def _slider_weights(weights: dict[str, float]) -> dict[str, float]:
    """Weights as the sliders hold them: every criterion, each 0-100 (all 0 is allowed here: ViewState.settings).
    Kept as given (a slider's whole number stays an int): lib.criteria.weight_vector is the one place they
    become fractions."""
    for cid, w in weights.items():
        if not 0 <= w <= 100:
            raise ValueError(f"weight {cid}={w} is outside 0-100")
    return _every_criterion(weights, DEFAULT_WEIGHTS)


# The weights and missing-data policies of a view or a scoring: validated once, here, for both. A view's weights
# are the sliders' whole numbers; a scoring's may be any numbers (learned, pooled or typed on the command line).
SliderWeights = Annotated[dict[str, int], AfterValidator(_slider_weights)]
Weights = Annotated[dict[str, int | float], AfterValidator(_slider_weights)]
MissingPolicies = Annotated[dict[str, MissingPolicy], AfterValidator(lambda m: _every_criterion(m, DEFAULT_MISSING))]


class ScoringSettings(BaseModel):
    """Weights (any non-negative numbers, normalised when scoring), method and missing-data policy."""

    model_config = ConfigDict(extra="forbid")

    weights: Weights = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    method: Method = "wsm"
    missing: MissingPolicies = Field(default_factory=lambda: dict(DEFAULT_MISSING))

    @model_validator(mode="after")
    def _some_weight(self) -> ScoringSettings:
        if sum(self.weights.values()) <= 0:
            raise ValueError("at least one criterion needs a weight above 0")
        return self

    def normalised_weights(self) -> dict[str, float]:
        """Weights scaled to sum to 1 (lib.criteria.weight_vector)."""
        return dict(zip(CRITERION_IDS, weight_vector(self.weights).tolist(), strict=True))


InstrumentType = Literal["preference", "contract", "sez", "industrial_zone", "aifc", "tech_park"]


class IncentivePackage(BaseModel):
    """One incentive instrument with machine-readable eligibility rules and what it gives."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    package_id: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    instrument_type: InstrumentType
    legal_basis: str = Field(min_length=1)
    valid_from: date
    valid_to: date | None = None
    sector_codes: list[str] = Field(default_factory=list)  # empty = any sector not excluded
    excluded_sector_codes: list[str] = Field(default_factory=list)
    activity_types: list[str] = Field(default_factory=list)  # empty = any activity
    locations: list[str] = Field(default_factory=list)  # empty = anywhere in Kazakhstan
    min_investment_mci: int | None = Field(default=None, ge=0)
    requires_new_entity: bool = False
    cit_exemption_years: int | None = Field(default=None, ge=0, le=100)
    property_tax_years: int | None = Field(default=None, ge=0, le=100)
    land_tax_years: int | None = Field(default=None, ge=0, le=100)
    customs_duty_exemption: bool = False  # import customs duty on equipment
    import_vat_exemption: bool = False  # import VAT on equipment (priority projects: duty only)
    in_kind_grant_pct: float | None = Field(default=None, ge=0, le=100)
    stability_years: int | None = Field(default=None, ge=0, le=100)
    other_benefits: str | None = None
    assumed_rules: list[Literal["sector", "activity", "location", "investment", "entity"]] = Field(
        default_factory=list)  # rules that are Relocation Radar's assumption, not in the sources
    uncertain: bool = False
    uncertainty_note: str | None = None
    # Benefits whose figure is uncertain from `uncertain_from` on (always when empty): valued as a range.
    uncertain_terms: list[Literal["cit", "property_tax", "land_tax", "import_duty", "import_vat", "grant"]] = Field(
        default_factory=list)
    uncertain_from: date | None = None
    source: str = Field(min_length=1)
    as_of: date

    @model_validator(mode="after")
    def _period(self) -> IncentivePackage:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self
