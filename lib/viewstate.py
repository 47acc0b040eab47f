"""The whole view (weights, method, missing-data policy, filters, company, language, the incentive assumptions,
the page's own controls) as URL query parameters.

A link is untrusted input: `parse_query` turns the raw parameters into a valid `ViewState` plus one
`LinkNote` per parameter it could not use, and never raises. `to_query` writes a view back as the query
string; the app writes the address bar and the "Share this view" link with it, and with nothing else.

Links are written with stable ids (`method=topsis`, `sector=IND`); `parse_query` also accepts the shown
label in any of the app's languages, so older links (which carried labels) keep working.

A page's own controls (Decision quality's K, the back-test's outcome kinds, ...) are a pydantic model
registered with `@page_params("<url path>")`: its field names are the parameter names, its fields' types
and bounds validate them, and `to_query`/`parse_query` handle every registered page alike.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args, get_origin
from urllib.parse import urlencode

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from lib.criteria import CRITERIA, CRITERIA_BY_ID, DEFAULT_MISSING, DEFAULT_WEIGHTS
from lib.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    _,
    any_language_lookup,
    fmt_country,
    fmt_number,
    ngettext,
)
from lib.incentives.assumptions import Assumptions
from lib.incentives.params import (
    ASSUMPTION_KEYS,
    ASSUMPTION_LABELS,
    AssumptionProblem,
    assumptions_from_params,
    read_assumption,
    url_params,
)
from lib.incentives.params import widget_values as assumption_widget_values  # the Incentives page's widgets
from lib.models import (
    ORDER_LABELS,
    STATUSES,
    FactsMode,
    Filters,
    Method,
    MissingPolicies,
    Order,
    RussiaStatus,
    ScoringSettings,
    SliderWeights,
    Uncertainty,
)
from lib.outcomes import ARRIVALS, EVIDENCE_LEVELS, EvidenceLevel, OutcomeKind

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
# The sidebar's parameters; the incentive assumptions (ASSUMPTION_KEYS, inc_*: the Incentives page's controls) follow
# them in a link: they set the incentive fit of every page, so they are the view's too.
VIEW_KEYS = ("lang", "order", "method", *WEIGHT_KEYS, *MISSING_KEYS, *LIST_KEYS, "min_rev", "no_high_risk", "new_only",
             "company")
# Streamlit's own parameters: never "unknown", never written by the app.
PASSED_KEYS: frozenset[str] = frozenset({"embed", "embed_options"})
VIEW_VERSION = 3  # what a saved view (scenario) is written as; see ViewState._migrate
LIST_LIMITS = {"sector": 50, "country": 200, "status": len(STATUSES)}

M = TypeVar("M", bound=BaseModel)
Problem = Literal["unknown_parameter", "more_unknown", "not_a_number", "out_of_range", "unknown_choice",
                  "some_unknown_choices", "too_long", "repeated", "too_many", "not_yes_no"]


class ViewState(BaseModel):
    """Everything a shared link or a saved scenario reproduces."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[3] = VIEW_VERSION
    # The table's order: expected value (likelihood x value, the default), likelihood of coming, or value to
    # Kazakhstan alone (the weighted score: what every view was ordered by before version 3).
    order: Order = "expected"
    method: Method = "wsm"
    weights: SliderWeights = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    missing: MissingPolicies = Field(default_factory=lambda: dict(DEFAULT_MISSING))
    sectors: list[str] = Field(default_factory=list, max_length=LIST_LIMITS["sector"])
    countries: list[str] = Field(default_factory=list, max_length=LIST_LIMITS["country"])
    statuses: list[RussiaStatus] = Field(default_factory=list, max_length=len(STATUSES))
    min_revenue_usd_m: float = Field(default=0, ge=0, le=MIN_REVENUE_MAX)
    exclude_high_risk: bool = False
    new_entrants_only: bool = False  # leave out companies already producing in Kazakhstan
    company: int | None = None
    lang: str = DEFAULT_LANGUAGE
    # What the incentive fit assumes (the Incentives page's controls). A link carries them; a saved scenario does
    # not (left out of the stored JSON, as before they were part of the view).
    assumptions: Assumptions = Field(default_factory=Assumptions, exclude=True)
    _settings: tuple[tuple, ScoringSettings] | None = PrivateAttr(default=None)  # see settings()

    @model_validator(mode="before")
    @classmethod
    def _migrate(cls, data: Any) -> Any:
        """Read a view saved by an older version: 1 (no `version`) may name criteria that no longer exist; 2 was
        ordered by the weighted score, so it opens ordered by value to Kazakhstan, as it was saved. (A view of
        version 1 cannot be told from a new one built without a version, so it takes today's default order.)"""
        if isinstance(data, dict) and "version" not in data:
            data = {**data, "version": VIEW_VERSION}
            for part in ("weights", "missing"):
                if isinstance(data.get(part), dict):
                    data[part] = {k: v for k, v in data[part].items() if k in DEFAULT_WEIGHTS}
        if isinstance(data, dict) and data.get("version") == 2:
            data = {**data, "version": VIEW_VERSION, "order": data.get("order", "value")}
        return data

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
                   exclude_high_risk=filters.exclude_high_risk, new_entrants_only=filters.new_entrants_only, **extra)

    @property
    def all_weights_zero(self) -> bool:
        return sum(self.weights.values()) <= 0

    def settings(self) -> ScoringSettings:
        """Scoring settings, built once per view (the sidebar, the ranking and the page all ask for them). The one
        all-zero rule: all sliders at 0 score with the default weights. Kept with what they were built from, so a
        copy with other weights (model_copy keeps private attributes) builds its own."""
        source = (self.method, tuple(self.weights.items()), tuple(self.missing.items()))
        if self._settings is None or self._settings[0] != source:
            weights = dict(DEFAULT_WEIGHTS) if self.all_weights_zero else self.weights
            self._settings = (source, ScoringSettings(weights=weights, method=self.method, missing=self.missing))
        return self._settings[1]

    def filters(self) -> Filters:
        return Filters(sectors=self.sectors, countries=self.countries, statuses=self.statuses,
                       min_revenue_usd_m=self.min_revenue_usd_m, exclude_high_risk=self.exclude_high_risk,
                       new_entrants_only=self.new_entrants_only)

    def scoring_part(self) -> ViewState:
        """The view without the selected company, language and assumptions: what a scenario stores."""
        return self.model_copy(update={"company": None, "lang": DEFAULT_LANGUAGE, "assumptions": Assumptions()})


class LinkNote(BaseModel):
    """One parameter of a link that could not be used as given; the text is made when shown."""

    param: str  # already made safe to show (see _safe_name)
    problem: Problem
    count: int = 1


@dataclass(frozen=True)
class Vocabulary:
    """The choices a link may name: sector codes with English names, countries, companies, incentive sites."""

    sectors: dict[str, str] = field(default_factory=dict)
    countries: tuple[str, ...] = ()
    companies: dict[int, str] = field(default_factory=dict)
    sites: tuple[str, ...] | None = None  # the cities of the incentive packages; None: any city is taken


@dataclass
class ParsedLink:
    """A link read safely: the view, the pages' parameters, the notes to show, and which widgets the link set."""

    view: ViewState
    notes: list[LinkNote]
    present: set[str]  # view and page keys the link gave a usable value for
    page_values: dict[str, Any] = field(default_factory=dict)  # page parameter -> validated value


# -- page parameters: each page's own controls, declared once as a pydantic model ---------------------------
class PageParams(BaseModel):
    """A page's own link parameters: field names are the parameter names and the widgets' keys."""

    model_config = ConfigDict(extra="forbid")


PAGE_PARAMS: dict[str, type[BaseModel]] = {}  # url path of the page -> its parameters


def page_params(url_path: str) -> Callable[[type[M]], type[M]]:
    """Register a model whose fields are the link parameters (and widget keys) of the page at `url_path`."""
    def register(model: type[M]) -> type[M]:
        taken = set(VIEW_KEYS) | set(ASSUMPTION_KEYS) | PASSED_KEYS | set(page_keys())
        if clash := set(model.model_fields) & taken:
            raise ValueError(f"{url_path}: parameters {sorted(clash)} are taken")
        PAGE_PARAMS[url_path] = model
        return model
    return register


def page_keys() -> dict[str, type[BaseModel]]:
    """Every page parameter -> the model that declares it."""
    return {key: model for model in PAGE_PARAMS.values() for key in model.model_fields}


def limits(param: str) -> tuple[float, float]:
    """The lowest and highest value a numeric parameter may take."""
    if param in WEIGHT_KEYS:
        return 0, WEIGHT_MAX
    if param == "inc_company":  # each company's investment (Assumptions._sizes)
        return 0, 100_000
    model, name = (Assumptions, ASSUMPTION_KEYS[param]) if param in ASSUMPTION_KEYS else (page_keys().get(param), param)
    bounds = {type(m).__name__: m for m in model.model_fields[name].metadata} if model else {}
    low = bounds["Ge"].ge if "Ge" in bounds else bounds["Gt"].gt if "Gt" in bounds else None
    if low is not None and "Le" in bounds:
        return low, bounds["Le"].le
    return 0, MIN_REVENUE_MAX


def _list_item_type(model: type[BaseModel], key: str) -> Any | None:
    """The item type when the parameter is a list (repeated in the URL), else None."""
    annotation = model.model_fields[key].annotation
    return get_args(annotation)[0] if get_origin(annotation) is list else None


PYDANTIC_PROBLEMS: dict[str, Problem] = {
    "int_parsing": "not_a_number", "float_parsing": "not_a_number", "int_from_float": "not_a_number",
    "greater_than_equal": "out_of_range", "less_than_equal": "out_of_range", "greater_than": "out_of_range",
    "less_than": "out_of_range", "bool_parsing": "not_yes_no", "too_long": "too_many",
}


def _page_value(model: type[BaseModel], key: str, items: list[str]) -> tuple[Any, Problem | None]:
    """One page parameter read with its model's own validation: the value, or why it cannot be used."""
    item_type = _list_item_type(model, key)
    if item_type is not None:
        adapter = TypeAdapter(item_type)
        found = []
        for item in (v.strip() for v in items if v.strip()):
            try:
                found.append(adapter.validate_python(item))
            except ValidationError:
                continue
        found = list(dict.fromkeys(found))
        problem = None if len(found) == len([v for v in items if v.strip()]) else \
            "some_unknown_choices" if found else "unknown_choice"
        value = found
    elif len(items) != 1:
        return None, "repeated"
    else:
        value = items[0].strip()
        problem = None
    try:
        return getattr(model.model_validate({key: value}), key), problem
    except ValidationError as exc:
        return None, PYDANTIC_PROBLEMS.get(exc.errors()[0]["type"], "unknown_choice")


def page_values(page: str, values: Mapping[str, Any]) -> BaseModel | None:
    """The parameters of the page at `page` (None if it has none) from values keyed by parameter."""
    model = PAGE_PARAMS.get(page)
    return None if model is None else valid_params(model, values)


def valid_params(model: type[M], values: Mapping[str, Any]) -> M:
    """A page's parameters from values keyed by parameter (a link's, or the widgets'); bad ones at default."""
    good = {}
    for key in model.model_fields:
        if key in values and values[key] is not None:
            try:
                good[key] = getattr(model.model_validate({key: values[key]}), key)
            except ValidationError:
                continue
    return model(**good)


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
        "order": any_language_lookup(dict(ORDER_LABELS)),
        "missing": any_language_lookup(MISSING_LABELS),
        "sector": any_language_lookup(vocab.sectors),
        "country": any_language_lookup({c: c for c in vocab.countries}, fmt_country),
        "status": any_language_lookup({s: s for s in STATUSES}),
        "company": {**{name.casefold(): cid for cid, name in vocab.companies.items()},
                    **{str(cid): cid for cid in vocab.companies}},
    }
    pages = page_keys()
    page_found: dict[str, Any] = {}
    for key, given in raw.items():
        items = [str(v) for v in (given if isinstance(given, list | tuple) else [given])]
        if key not in VIEW_KEYS and key not in ASSUMPTION_KEYS and key not in pages:
            if key not in PASSED_KEYS:
                unknown.append(_safe_name(str(key)))
            continue
        if any(len(v) > MAX_VALUE_CHARS for v in items):
            note(key, "too_long")
            continue
        if key in ASSUMPTION_KEYS:
            if len(items) != 1:
                note(key, "repeated")
            elif items[0].strip():  # a blank value (a bound widget left empty wrote one) is the default, quietly
                try:
                    values[key] = read_assumption(key, items[0], vocab.sites)
                    present.add(key)
                except AssumptionProblem as exc:
                    note(key, exc.problem)  # type: ignore[arg-type]
            continue
        if key in pages:
            value, problem = _page_value(pages[key], key, items)
            if problem:
                note(key, problem)
            if problem in (None, "some_unknown_choices"):
                page_found[key] = value
                present.add(key)
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
        elif key in ("no_high_risk", "new_only"):
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
    # Links always carry `order` (like `lang`). A link that sets the view without it was made before the order
    # existed, when tables were ordered by the weighted score: it opens as it was sent.
    if "order" not in values and present - {"lang", "company", *pages, *ASSUMPTION_KEYS}:
        values["order"] = "value"
        present.add("order")
    return ParsedLink(view=_view_from_values(values), notes=notes, present=present, page_values=page_found)


def _view_from_values(values: Mapping[str, Any]) -> ViewState:
    return ViewState(
        order=values.get("order", "expected"), method=values.get("method", "wsm"),
        weights={cid: values.get(key, DEFAULT_WEIGHTS[cid]) for key, cid in WEIGHT_KEYS.items()},
        missing={cid: values.get(key, DEFAULT_MISSING[cid]) for key, cid in MISSING_KEYS.items()},
        sectors=values.get("sector", []), countries=values.get("country", []), statuses=values.get("status", []),
        min_revenue_usd_m=values.get("min_rev", 0), exclude_high_risk=values.get("no_high_risk", False),
        new_entrants_only=values.get("new_only", False),
        company=values.get("company"), lang=values.get("lang", DEFAULT_LANGUAGE),
        assumptions=assumptions_from_params({key: values[key] for key in ASSUMPTION_KEYS if key in values})[0],
    )


def view_from_widgets(values: Mapping[str, Any]) -> ViewState:
    """The view the widgets hold (keyed by parameter; the sidebar's and the assumptions'): the inverse of
    widget_values and assumption_widget_values."""
    return _view_from_values({key: values[key] for key in (*VIEW_KEYS, *ASSUMPTION_KEYS)
                              if key in values and values[key] is not None})


def widget_values(view: ViewState) -> dict[str, Any]:
    """The view as the sidebar widgets hold it, keyed by widget key (= query parameter); the assumptions' widgets:
    assumption_widget_values(view.assumptions)."""
    out: dict[str, Any] = {"lang": view.lang, "order": view.order, "method": view.method}
    out.update({key: view.weights[cid] for key, cid in WEIGHT_KEYS.items()})
    out.update({key: view.missing[cid] for key, cid in MISSING_KEYS.items()})
    out.update({"sector": list(view.sectors), "country": list(view.countries), "status": list(view.statuses),
                "min_rev": int(view.min_revenue_usd_m), "no_high_risk": view.exclude_high_risk,
                "new_only": view.new_entrants_only,
                "company": view.company})
    return out


def query_pairs(view: ViewState, page: BaseModel | None = None,
                vocab: Vocabulary | None = None) -> list[tuple[str, str]]:
    """The view (and the page's own parameters) as query pairs: stable ids, defaults left out, lang always.

    The one writer of links: the address bar and the "Share this view" box both come from here. The company
    is named, readable in any mail client, unless another company has the same name (then its id).
    """
    default = widget_values(ViewState())
    current = widget_values(view)
    pairs: list[tuple[str, str]] = []
    for key in VIEW_KEYS:
        value = current[key]
        # The language is always written, so a link opens in the sender's language, not the browser's; the
        # order too, so a link without it can be told for one made before the order existed.
        if key not in ("lang", "order") and (value == default[key] or value in (None, [])):
            continue
        if key == "company" and vocab is not None and value in vocab.companies:
            name = vocab.companies[value]
            same = sum(n.casefold() == name.casefold() for n in vocab.companies.values())
            pairs.append((key, name if same == 1 and not name.isdigit() else str(value)))
        elif isinstance(value, list):
            pairs += [(key, str(item)) for item in value]
        elif isinstance(value, bool):
            pairs.append((key, "true" if value else "false"))
        else:
            pairs.append((key, str(value)))
    pairs += [(key, text) for key, text in url_params(view.assumptions).items() if text is not None]  # inc_*
    if page is not None:
        for key, value in page:
            if value == type(page).model_fields[key].get_default(call_default_factory=True) or value is None:
                continue
            items = value if isinstance(value, list) else [value]
            if not items:  # emptied where the default is not empty: one blank value says so
                items = [""]
            pairs += [(key, ("true" if item else "false") if isinstance(item, bool) else str(item)) for item in items]
    return pairs


def to_query(view: ViewState, page: BaseModel | None = None, vocab: Vocabulary | None = None) -> str:
    """The query string (no '?') of a view and the page's parameters."""
    return urlencode(query_pairs(view, page, vocab))


def share_url(base_url: str, view: ViewState, page: BaseModel | None = None, vocab: Vocabulary | None = None,
              passed: list[tuple[str, str]] = ()) -> str:
    """The full link to send: the page's address, the view's query and parameters passed along as they are."""
    query = urlencode([*query_pairs(view, page, vocab), *passed])
    return f"{base_url}?{query}" if query else base_url


def field_name(param: str) -> str:
    """What a view parameter sets, in the user's words and language."""
    if param in WEIGHT_KEYS:
        return _("the weight of %(criterion)s") % {"criterion": _(CRITERIA_BY_ID[WEIGHT_KEYS[param]].label)}
    if param in MISSING_KEYS:
        return _("the missing-data policy of %(criterion)s") % {
            "criterion": _(CRITERIA_BY_ID[MISSING_KEYS[param]].label)}
    if param in ASSUMPTION_LABELS:
        return _(ASSUMPTION_LABELS[param])
    return {
        "lang": _("the language"), "order": _("the order of the table"),
        "method": _("the scoring method"), "sector": _("the sector filter"),
        "country": _("the HQ country filter"), "status": _("the Russia status filter"),
        "min_rev": _("the minimum revenue"), "no_high_risk": _("the high-compliance-risk filter"),
        "new_only": _("the new-entrants filter"),
        "company": _("the selected company"),
    }.get(param, param)


def default_text(param: str) -> str:
    """The value used instead of a bad one, as the user sees it."""
    if model := page_keys().get(param):
        value = model.model_fields[param].get_default(call_default_factory=True)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return fmt_number(value)
        return "—" if value in (None, []) else ", ".join(map(str, value if isinstance(value, list) else [value]))
    if param in WEIGHT_KEYS:
        return fmt_number(DEFAULT_WEIGHTS[WEIGHT_KEYS[param]])
    if param in MISSING_KEYS:
        return _(MISSING_LABELS[DEFAULT_MISSING[MISSING_KEYS[param]]])
    if param in ASSUMPTION_KEYS:
        value = assumption_widget_values(Assumptions())[param]
        if value is False:  # "expands an existing entity", "include assumed rules": off unless a link says so
            return _("off")
        return "—" if value is None else fmt_number(value) if isinstance(value, int | float) else str(value)
    return {
        "lang": LANGUAGES[DEFAULT_LANGUAGE], "order": _(ORDER_LABELS["expected"]),
        "method": _(METHOD_LABELS["wsm"]), "sector": _("all sectors"),
        "country": _("all countries"), "status": _("all statuses"), "min_rev": fmt_number(0),
        "no_high_risk": _("off"), "new_only": _("off"), "company": _("none"),
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
        "out_of_range": _("outside %(low)s-%(high)s") % dict(zip(("low", "high"), map(fmt_number, limits(note.param)),
                                                                 strict=True)),
        "unknown_choice": _("not one of the choices"),
        "too_long": _("too long"),
        "repeated": _("given more than once"),
        "too_many": _("too many values"),
        "not_yes_no": _("not true or false"),
    }
    return _("The link's value for %(field)s (`%(param)s`) was %(reason)s; %(default)s is used instead.") % {
        "field": field_name(note.param), "param": note.param, "reason": reasons[note.problem],
        "default": default_text(note.param)}



# -- the pages' own parameters (their widgets use these names as keys and these bounds) ---------------------
ScreeningShown = Literal["all", "flagged", "clear", "diversion"]


@page_params("ranking")
class RankParams(PageParams):
    """Rank page: which sanctions-screening results the table shows (lib/screening.py)."""

    rank_screening: ScreeningShown = "all"


@page_params("company")
class CompanyParams(PageParams):
    """Company profile: the top K of the what-if (the company itself is the view's `company`)."""

    explain_k: int = Field(default=10, ge=1, le=100)


@page_params("quality")
class QualityParams(PageParams):
    """Decision quality: how many top places count, and how unsure the weights are."""

    rob_k: int = Field(default=10, ge=1, le=100)
    rob_unc: Uncertainty = "medium"


@page_params("backtest")
class BacktestParams(PageParams):
    """Back-test: what counts as arriving, which evidence levels, which facts."""

    bt_kinds: list[OutcomeKind] = Field(default_factory=lambda: list(ARRIVALS))
    bt_levels: list[EvidenceLevel] = Field(default_factory=lambda: list(EVIDENCE_LEVELS))
    bt_facts: FactsMode = "point-in-time"


@page_params("scenarios")
class ScenariosParams(PageParams):
    """Scenarios: how long a top the comparison looks at."""

    compare_top_n: int = Field(default=10, ge=3, le=50)


@page_params("weighting")
class WeightingParams(PageParams):
    """Group weighting: the round a participant's link opens."""

    round: int | None = Field(default=None, ge=1)
