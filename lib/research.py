"""What to look up next: the unknown company facts ranked by how much knowing them could change the top of the
ranking, and the one form a steward records a researched fact with.

Value of information. For each candidate and each unknown fact (worldwide size, Russian footprint, Russian
production, Kazakhstan presence) the fact is given, in turn, each plausible value: the deciles of the values
known for the other ranked companies (sizes), or each known answer with its share among them (states and
levels), the same sampling over unknown facts that the robustness check draws from. For each plausible value the
company's value to Kazakhstan (weighted sum) and its likelihood of coming (the fitted model, whose log-odds are
linear in the features) are recomputed, hence its key in the current order, and compared with the cut: the
`top`-th key among the other companies. The chance of crossing is the share of plausible values that move the
company into the top, or out of it: the probability that looking the fact up changes who is in the top, had the
company's fact the distribution of the known ones. Companies near the cut with a decisive unknown come first.

What it leaves out, stated on the Data page: the investment estimate (hence incentive fit) also reads Russian
revenue; the queue ignores that second path. TOPSIS rankings are approximated by the weighted sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lib import likelihood as lk
from lib.alerts import record_change
from lib.auth import User, require_editor
from lib.criteria import CRITERION_IDS, weight_vector
from lib.evidence import PRESENCE_LEVELS, PRESENCE_VALUE, PRODUCTION_STATES, PRODUCTION_VALUE, period_key
from lib.i18n import N_, _
from lib.models import ORDERS, Filters, ScoringSettings
from lib.scoring import criteria_matrices, filter_mask, tie_key
from lib.store import Store

DECILES = np.linspace(0.05, 0.95, 10)  # the plausible values of an unknown figure: the known values' deciles


@dataclass(frozen=True)
class Unknown:
    """A researchable fact: which company columns say it, which criterion reads it, what to search for."""

    id: str
    label: str
    columns: tuple[str, ...]  # unknown when every one of these is empty
    criterion: str
    search: str  # with {name}: what a steward types into a search engine


UNKNOWNS: tuple[Unknown, ...] = (
    Unknown("size", N_("Worldwide size (revenue or staff)"), ("revenue_worldwide_usd_m", "employees_worldwide"),
            "company_scale", '"{name}" annual report revenue employees; "{name}" выручка сотрудников'),
    Unknown("russian_footprint", N_("Russian revenue or staff"), ("russia_revenue_usd_m", "russia_employees"),
            "russian_footprint", '"{name}" Russia revenue leave-russia.org; "{name}" Россия выручка ООО'),
    Unknown("russia_production", N_("Russian production and its state"), ("russia_production",),
            "production_intensity", '"{name}" Russia plant factory; "{name}" завод в России'),
    Unknown("kazakhstan_presence", N_("Presence in Kazakhstan"), ("kazakhstan_presence",),
            "regional_presence", '"{name}" Kazakhstan ТОО БИН; "{name}" Казахстан представительство'),
)
UNKNOWN_BY_ID = {u.id: u for u in UNKNOWNS}
# The facts a steward can record, and the group of the queue each answers.
RECORDABLE: dict[str, str] = {
    "revenue_worldwide_usd_m": "size", "employees_worldwide": "size", "russia_revenue_usd_m": "russian_footprint",
    "russia_employees": "russian_footprint", "russia_production": "russia_production",
    "kazakhstan_presence": "kazakhstan_presence",
}
QUEUE_COLUMNS = ["priority", "company_id", "name", "unknown", "what", "position", "in_top", "chance_of_crossing",
                 "best_position", "worst_position", "searched_before", "search_for"]


def _searched(facts: pd.DataFrame) -> dict[tuple[int, str], str]:
    """(company_id, queue group) -> the latest date a search found nothing."""
    missed = facts[(facts["state"] == "not_found") & facts["fact"].isin(list(RECORDABLE))]
    out: dict[tuple[int, str], str] = {}
    for row in missed.itertuples(index=False):
        key = (int(row.company_id), RECORDABLE[row.fact])
        out[key] = max(out.get(key, ""), str(row.recorded_on or row.period or ""))
    return out


def _plausible(group: str, companies: pd.DataFrame, values: pd.DataFrame, features: pd.DataFrame,
               model_features: list[str]) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """For an unknown of `group`: the plausible criterion values, their probabilities, and per value the
    feature columns of the likelihood that change (others keep the company's own)."""
    unknown = UNKNOWN_BY_ID[group]
    criterion = values[unknown.criterion]
    if group in ("size", "russian_footprint"):
        column = unknown.columns[0] if companies[unknown.columns[0]].notna().any() else unknown.columns[1]
        raw = pd.to_numeric(companies[column], errors="coerce").dropna()
        known = criterion.dropna()
        if raw.empty or known.empty:
            return np.array([]), np.array([]), pd.DataFrame()
        v = np.quantile(known.to_numpy(dtype=float), DECILES)
        logged = np.log10(1 + np.quantile(raw.clip(lower=0).to_numpy(dtype=float), DECILES))
        names = {"revenue_worldwide_usd_m": ("log_revenue", "revenue_unknown"),
                 "employees_worldwide": ("log_staff", "staff_unknown"),
                 "russia_revenue_usd_m": ("log_russia_revenue", "russia_revenue_unknown"),
                 "russia_employees": ("log_russia_staff", "russia_staff_unknown")}[column]
        changed = pd.DataFrame({names[0]: logged, names[1]: 0.0})
        if group == "size" and "log_size" in features:  # the model reads size as one combined log size
            sized = features.loc[features["size_unknown"] == 0, "log_size"].to_numpy(dtype=float)
            if len(sized):
                changed = changed.assign(log_size=np.quantile(sized, DECILES), size_unknown=0.0)
        return v, np.full(len(v), 1 / len(v)), changed
    answers = companies[unknown.columns[0]].dropna()
    if answers.empty:
        return np.array([]), np.array([]), pd.DataFrame()
    shares = answers.value_counts(normalize=True).sort_index()
    if group == "russia_production":
        v = shares.index.map(PRODUCTION_VALUE).to_numpy(dtype=float)
        groups = {s: lk.PRODUCTION_GROUPS[s] for s in shares.index}
        columns = list(dict.fromkeys(lk.PRODUCTION_GROUPS.values())) + ["production_unknown"]
    else:
        v = shares.index.map(PRESENCE_VALUE).to_numpy(dtype=float)
        groups = {s: lk.PRESENCE_GROUPS.get(s) for s in shares.index}  # none_found: the reference level
        columns = list(dict.fromkeys(lk.PRESENCE_GROUPS.values())) + ["presence_years"]
    changed = pd.DataFrame(0.0, index=range(len(shares)), columns=columns)
    for i, answer in enumerate(shares.index):
        if groups[answer] is not None:
            changed.loc[i, groups[answer]] = 1.0
    return v, shares.to_numpy(dtype=float), changed


def research_queue(universe: Any, settings: ScoringSettings, model: lk.LikelihoodModel, likelihood: pd.Series,
                   facts: pd.DataFrame, *, order: str = "expected", top: int = 50, filters: Filters | None = None,
                   include_searched: bool = False) -> pd.DataFrame:
    """The unknown facts of the ranked companies, the most decisive first (QUEUE_COLUMNS).

    `universe`: lib.radar.Universe; `model` and `likelihood` from lib.backtest.fit_likelihood; `facts` the stored
    observations (store.company_facts()). Unknowns a search already answered with "not found" are left out
    unless `include_searched`.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    filters = filters or Filters()
    matrix, _filled = criteria_matrices(universe.companies, universe.values, settings, filters)
    if matrix.empty:
        return pd.DataFrame(columns=QUEUE_COLUMNS)
    ids = matrix["company_id"].to_numpy()
    companies = universe.companies.set_index("company_id").loc[ids]
    values = universe.values.set_index(universe.companies["company_id"]).loc[ids]
    w = weight_vector(settings.weights)
    x = matrix[list(CRITERION_IDS)].to_numpy(dtype=float)
    score = x @ w
    everyone = universe.companies[filter_mask(universe.companies, Filters())]
    features = lk.feature_frame(everyone).set_index(everyone["company_id"].to_numpy()).reindex(ids).fillna(0.0)
    features = features.reindex(columns=model.features, fill_value=0.0)
    logit = model.logit(features)
    lik = likelihood.reindex(ids).to_numpy(dtype=float)
    lik = np.where(np.isnan(lik), 1 / (1 + np.exp(-logit)), lik)

    def key_of(s: np.ndarray, p: np.ndarray) -> np.ndarray:
        return {"value": s, "likelihood": p, "expected": s * p}[order]

    key = tie_key(key_of(score, lik))
    n = len(key)
    k = min(top, n)
    descending = np.sort(key)[::-1]
    ascending = descending[::-1]
    position = np.empty(n, dtype=np.int64)
    position[np.lexsort((np.arange(n), -key))] = np.arange(1, n + 1)
    in_top = position <= k
    # The cut a company must reach: the k-th key among the others.
    cut = np.where(in_top, descending[k] if k < n else -np.inf, descending[k - 1])
    coef = pd.Series(model.coef / model.scale, index=model.features)
    searched = _searched(facts)
    rows: list[dict[str, Any]] = []
    for unknown in UNKNOWNS:
        missing = companies[list(unknown.columns)].isna().all(axis=1).to_numpy()
        if not missing.any():
            continue
        v, p, changed = _plausible(unknown.id, companies, values, features, model.features)
        if not len(v):
            continue
        j = np.flatnonzero(missing)
        i = CRITERION_IDS.index(unknown.criterion)
        new_score = score[j, None] + w[i] * (v[None, :] - x[j, i, None])
        present = [c for c in changed.columns if c in coef.index]
        delta = (changed[present].to_numpy()[None, :, :] - features[present].to_numpy()[j, None, :]) @ \
            coef[present].to_numpy()
        new_p = 1 / (1 + np.exp(-(logit[j, None] + delta)))
        new_key = tie_key(key_of(new_score, new_p))
        crosses = (new_key >= cut[j, None]) != in_top[j, None]
        chance = crosses.astype(float) @ p
        # Position with each plausible value: one plus the others ranked above.
        above = n - np.searchsorted(ascending, new_key, side="right") - (key[j, None] > new_key)
        for row, company in enumerate(j):
            cid = int(ids[company])
            when = searched.get((cid, unknown.id), "")
            if when and not include_searched:
                continue
            name = str(companies["name"].iloc[company])
            rows.append({"company_id": cid, "name": name, "unknown": unknown.id, "what": _(unknown.label),
                         "position": int(position[company]), "in_top": bool(in_top[company]),
                         "chance_of_crossing": float(chance[row]), "best_position": int(above[row].min() + 1),
                         "worst_position": int(above[row].max() + 1), "searched_before": when,
                         "search_for": unknown.search.format(name=name)})
    queue = pd.DataFrame(rows, columns=QUEUE_COLUMNS[1:])
    if queue.empty:
        return pd.DataFrame(columns=QUEUE_COLUMNS)
    queue["distance"] = (queue["position"] - k - 0.5).abs()
    queue = queue.sort_values(["chance_of_crossing", "distance", "name", "unknown"],
                              ascending=[False, True, True, True], kind="mergesort").drop(columns="distance")
    queue.insert(0, "priority", np.arange(1, len(queue) + 1))
    return queue.reset_index(drop=True)


# -- recording a researched fact ----------------------------------------------------------------
class FactEntry(BaseModel):
    """One researched fact as a steward records it: found (a value, the period it describes, the page that says
    so) or searched and not found (the searches tried)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    company_id: int
    fact: Literal["revenue_worldwide_usd_m", "employees_worldwide", "russia_revenue_usd_m", "russia_employees",
                  "russia_production", "kazakhstan_presence"]
    found: bool = True
    value: str | None = Field(default=None, max_length=40)  # a figure, a production state or a presence level
    estimate: bool = False  # a size class or lower bound, not a stated figure
    period: str | None = Field(default=None, max_length=20)  # FY2024, 2024, 2024-06 (the date the fact describes)
    since: int | None = Field(default=None, ge=1850, le=2100)  # the year a Kazakhstan presence began
    source: str = Field(min_length=1, max_length=1000)  # the page's address; for not found: the searches tried
    note: str | None = Field(default=None, max_length=1000)

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value and not period_key(value):
            raise ValueError(_("a year (2024), a fiscal year (FY2024) or a date (2024-06)"))
        return value or None

    @model_validator(mode="after")
    def _consistent(self) -> FactEntry:
        if not self.found:
            if self.value:
                raise ValueError(_("a fact that was not found has no value; clear the value"))
            if len(self.source) < 5:
                raise ValueError(_("list the searches you tried (in English and in Russian)"))
            return self
        if not self.source.lower().startswith(("http://", "https://")):
            raise ValueError(_("the source must be the address of the page that states the fact (https://...)"))
        if not self.value:
            raise ValueError(_("a value is needed"))
        if not self.period:
            raise ValueError(_("the period the fact describes is needed (FY2024, 2024 or 2024-06)"))
        if self.fact == "russia_production" and self.value not in PRODUCTION_STATES:
            raise ValueError(_("the production state must be one of: %s") % ", ".join(PRODUCTION_STATES))
        elif self.fact == "kazakhstan_presence" and self.value not in PRESENCE_LEVELS:
            raise ValueError(_("the presence level must be one of: %s") % ", ".join(PRESENCE_LEVELS))
        elif self.fact not in ("russia_production", "kazakhstan_presence"):
            try:
                number = float(self.value.replace(",", ""))
            except ValueError:
                raise ValueError(_("the value must be a number (USD millions or a headcount)")) from None
            if not np.isfinite(number) or number < 0:
                raise ValueError(_("the value must be a number of 0 or more"))
            if self.fact in ("employees_worldwide", "russia_employees") and number != int(number):
                raise ValueError(_("a headcount is a whole number"))
        return self

    def stored(self) -> tuple[str | None, str | None]:
        """(value, state) as company_facts keeps them."""
        if not self.found:
            return None, "not_found"
        if self.fact == "russia_production":
            return None, self.value
        if self.fact == "kazakhstan_presence":
            return self.value, "ended" if self.value == "ended" else "active"
        number = float(self.value.replace(",", ""))  # type: ignore[union-attr]
        text = str(int(number)) if self.fact in ("employees_worldwide", "russia_employees") else repr(number)
        return text, "estimate" if self.estimate else None


def record_fact(store: Store, user: User, entry: FactEntry) -> bool:
    """Store a researched fact (one transaction, audited). A found fact becomes the company's current value
    unless a stored observation of the same fact describes a later period. Returns whether it became current."""
    require_editor(user, _("record facts"))
    value, state = entry.stored()
    now = datetime.now()
    with store.transaction() as cur:
        company = cur.execute(f"SELECT name, {entry.fact} FROM companies WHERE company_id = ?",  # fact: a Literal
                              [entry.company_id]).fetchall()
        if not company:
            raise ValueError(_("no company with id %d") % entry.company_id)
        name, before = company[0]
        periods = [p for (p,) in cur.execute(
            "SELECT period FROM company_facts WHERE company_id = ? AND fact = ? AND coalesce(state, '') "
            "<> 'not_found'", [entry.company_id, entry.fact]).fetchall()]
        latest = max((period_key(p) for p in periods if p), default="")
        current = entry.found and (before is None or period_key(entry.period or "") >= latest)
        period = entry.period or date.today().isoformat()
        source = entry.source if entry.found else "searched: " + entry.source.removeprefix("searched: ")
        note = entry.note or f"recorded by {user.name} on {now:%Y-%m-%d}"
        cur.execute("INSERT INTO company_facts (company_id, fact, value, state, period, recorded_on, source, note) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [entry.company_id, entry.fact, value, state, period, now.date(), source, note])
        after: dict[str, Any] = {"fact": entry.fact, "value": value, "state": state, "period": period,
                                 "source": source, "current": current}
        if current:
            stored = entry.value if entry.fact in ("russia_production", "kazakhstan_presence") else \
                (int(float(value)) if entry.fact in ("employees_worldwide", "russia_employees") else float(value))
            sets, params = [f"{entry.fact} = ?"], [stored]
            if entry.fact == "russia_production":
                sets.append("russia_production_date = ?")
                params.append(period_key(period).replace("-00", "") or None)
            if entry.fact == "kazakhstan_presence":
                sets.append("kazakhstan_presence_since = ?")
                params.append(entry.since)
            cur.execute(f"UPDATE companies SET {', '.join(sets)} WHERE company_id = ?",  # columns: constants
                        [*params, entry.company_id])
        if current and before != stored:  # the watchers hear of a new current value, in this transaction
            record_change(store, entry.company_id, "facts", f"{entry.fact}: {'—' if before is None else before} → "
                          f"{value if state is None else state}", source, actor=user.name, cur=cur)
        store.audit(cur, actor=user.name, action="record_fact", table="company_facts",
                    record_key=f"{entry.company_id}|{entry.fact}", before={"name": name, entry.fact: before},
                    after=after)
    return current
