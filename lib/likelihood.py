"""Who is likely to come: a probability per candidate that it opens or expands in Kazakhstan, fitted on outcomes.

The weighted score says what Kazakhstan *wants* (value to Kazakhstan); this module estimates who is *likely to
come*, from the stored facts, and validates that estimate out of sample.

Model: L2-regularised logistic regression (scikit-learn's `LogisticRegression` objective, solved by scipy's L-BFGS).
With 17 matched arrivals among ~1,500 candidates a flexible model (gradient boosting) memorises the few arrivals; a
linear model in log-odds is stable, deterministic and explains itself. The penalty grows as arrivals get fewer: C =
`PENALTY_SCALE` / arrivals (0.06 at 17 arrivals). Per company, each feature's contribution coef_j * (x_j - mean_j)
adds up, with the intercept at the mean, to the log-odds of the probability shown.

Features (`feature_frame`), from the company facts, not the eight normalised criteria: worldwide size (log revenue;
where only staff is known, revenue estimated from staff by the log-log line of the companies with both), Kazakhstan
presence level and its age, Russian revenue, staff and production state, sector, tracker status, HQ region, group
membership. An unknown fact is a feature of its own (an "unknown" indicator, the value set to the mean of the known
ones), never a silent middle value. One exception, stated: Kazakhstan presence "not looked up" and "searched, none
found" share the reference level, because which companies were looked up followed the outcomes research (arrivals
first, and an arrival's own new entity is removed point in time), so that indicator would learn whom we
researched, not who comes.

Which features the model reads (`MODEL_GROUPS`): worldwide size and Kazakhstan presence. The other groups
are computed and tried on every data version (lib.backtest: "feature groups"), each added to the model in turn,
and left out because adding them lowered the leave-one-arrival-out AUC: Russian facts were mostly researched for
the companies that came (their "unknown" indicators learn whom we researched), and 17 arrivals are too few to
learn 20 sector and status levels. The specification (these groups, the combined size, PENALTY_SCALE among
0.25/0.5/1/2) was chosen on our own outcomes' leave-one-out, so those figures are mildly optimistic; the
time split and any outside list are the fairer test.

Unlabelled, not negative: a company with no recorded arrival may have come unrecorded, or may come later. We fit
recorded arrival against the rest, unweighted. Under the "selected completely at random" assumption (Elkan & Noto,
2008) this orders companies as P(comes | facts) does, and the probability is that of a *recorded* arrival: a lower
bound on the chance of coming, calibrated against the outcomes we have (shown by decile on the Back-test page).

Point in time: arrivals are described by the facts known before their outcome (lib.backtest.point_in_time), so a
Kazakh entity opened by the arrival itself does not explain it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.models import ORDERS
from lib.scoring import rank_order, shares_rank, sorted_competition_ranks

PENALTY_SCALE = 1.0  # C = PENALTY_SCALE / arrivals: smaller C = stronger pull of every coefficient to 0
SEED = 0
TIME_SPLIT = "2022-12"  # fit on arrivals dated up to this month, test on later ones
MIN_ARRIVALS = 5  # fewer arrivals than this in a fit or a test set: no figure is shown

PRESENCE_GROUPS = {
    "production_site": "presence_production", "subsidiary": "presence_subsidiary",
    "representative_office": "presence_office", "distributor_licensee": "presence_distributor",
    "unspecified": "presence_distributor", "ended": "presence_none",
}
PRODUCTION_GROUPS = {
    "operating": "production_operating", "suspended": "production_idle", "sold": "production_sold",
    "closed": "production_sold", "reported": "production_reported", "none": "production_none",
}
REGIONS = {
    "North America": ("United States", "Canada"),
    "East Asia": ("Japan", "South Korea", "China", "Taiwan", "Hong Kong", "Singapore", "India"),
}
# Feature groups: what the model may read, by the fact it comes from. The model reads MODEL_GROUPS; the others are
# tried on every data version and shown with what adding them does (lib.backtest.feature_group_trials).
FEATURE_GROUP_LABELS: dict[str, str] = {
    "size": "worldwide size", "presence": "Kazakhstan presence and its age", "group": "group membership",
    "russia": "Russian revenue and staff", "production": "Russian production state", "sector": "sector",
    "status": "tracker status", "region": "headquarters region",
}
MODEL_GROUPS: tuple[str, ...] = ("size", "presence")


def feature_group(feature: str) -> str:
    """The group a feature column belongs to (FEATURE_GROUP_LABELS)."""
    if feature in ("log_size", "size_unknown", "log_revenue", "revenue_unknown", "log_staff", "staff_unknown"):
        return "size"
    if feature.startswith("presence_"):
        return "presence"
    if feature == "group_parent":
        return "group"
    if feature.startswith(("log_russia", "russia_")):
        return "russia"
    for prefix in ("production", "sector", "status", "region"):
        if feature.startswith(prefix + "_"):
            return prefix
    raise ValueError(f"feature {feature!r} belongs to no group")


def model_columns(columns: list[str] | pd.Index, groups: tuple[str, ...] = MODEL_GROUPS) -> list[str]:
    """The feature columns a model of `groups` reads. Worldwide size enters once, as the combined log size."""
    separate = ("log_revenue", "revenue_unknown", "log_staff", "staff_unknown")
    return [c for c in columns if feature_group(c) in groups and c not in separate]


# In an official's words: what each feature is, for the Back-test page and the profile.
FEATURE_LABELS: dict[str, str] = {
    "log_size": "worldwide size (log revenue, from staff where only staff is known)",
    "size_unknown": "worldwide size unknown",
    "log_revenue": "worldwide revenue (log)", "revenue_unknown": "worldwide revenue unknown",
    "log_staff": "worldwide staff (log)", "staff_unknown": "worldwide staff unknown",
    "log_russia_revenue": "Russian revenue (log)", "russia_revenue_unknown": "Russian revenue unknown",
    "log_russia_staff": "Russian staff (log)", "russia_staff_unknown": "Russian staff unknown",
    "presence_production": "already produces in Kazakhstan", "presence_subsidiary": "has a Kazakh subsidiary",
    "presence_office": "has a representative office in Kazakhstan",
    "presence_distributor": "sells in Kazakhstan through a distributor or licensee",
    "presence_none": "presence in Kazakhstan ended",
    "presence_years": "years present in Kazakhstan (log)",
    "production_operating": "Russian plant still operating", "production_idle": "Russian plant idle",
    "production_sold": "Russian plant sold or closed", "production_reported": "Russian plant, state unknown",
    "production_none": "no production in Russia", "production_unknown": "Russian production not known",
    "group_parent": "heads a group of listed companies",
    "region_north_america": "headquartered in North America", "region_east_asia": "headquartered in East Asia",
}


def _log(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """log10(1 + x) with unknowns set to the mean of the known values, and the unknown indicator."""
    x = pd.to_numeric(values, errors="coerce")
    unknown = x.isna().to_numpy()
    logged = np.log10(1 + x.clip(lower=0).to_numpy(dtype=float))
    fill = float(np.nanmean(logged)) if (~unknown).any() else 0.0
    return np.where(unknown, fill, logged), unknown.astype(float)


def log_size(companies: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """log10(1 + revenue in USD m); where only staff is known, the revenue the log-log line of the companies with
    both gives for that staff. Unknown size: the mean of the known, and the indicator."""
    revenue = np.log10(1 + pd.to_numeric(companies["revenue_worldwide_usd_m"], errors="coerce")
                       .clip(lower=0).to_numpy(dtype=float))
    staff = np.log10(1 + pd.to_numeric(companies["employees_worldwide"], errors="coerce")
                     .clip(lower=0).to_numpy(dtype=float))
    both = ~np.isnan(revenue) & ~np.isnan(staff)
    # Slope and intercept of log revenue on log staff; too few companies with both: revenue per head of 0.25 m.
    slope, intercept = np.polyfit(staff[both], revenue[both], 1) if both.sum() >= 10 else (1.0, np.log10(0.25))
    size = np.where(np.isnan(revenue), intercept + slope * staff, revenue)
    unknown = np.isnan(size)
    fill = float(np.nanmean(size)) if (~unknown).any() else 0.0
    return np.where(unknown, fill, size), unknown.astype(float)


def feature_frame(companies: pd.DataFrame, as_of_year: int = 2026) -> pd.DataFrame:
    """One row per company (same index), one numeric column per feature; unknowns are indicator columns."""
    out = pd.DataFrame(index=companies.index)
    out["log_size"], out["size_unknown"] = log_size(companies)
    for column, name, unknown in (("revenue_worldwide_usd_m", "log_revenue", "revenue_unknown"),
                                  ("employees_worldwide", "log_staff", "staff_unknown"),
                                  ("russia_revenue_usd_m", "log_russia_revenue", "russia_revenue_unknown"),
                                  ("russia_employees", "log_russia_staff", "russia_staff_unknown")):
        out[name], out[unknown] = _log(companies[column])
    presence = companies["kazakhstan_presence"].map(PRESENCE_GROUPS)
    for group in dict.fromkeys(PRESENCE_GROUPS.values()):
        out[group] = (presence == group).astype(float)
    since = pd.to_numeric(companies["kazakhstan_presence_since"], errors="coerce")
    active = companies["kazakhstan_presence"].isin([k for k, v in PRESENCE_GROUPS.items() if v != "presence_none"])
    out["presence_years"] = np.log1p((as_of_year - since).clip(lower=0).where(active, 0).fillna(0)).to_numpy()
    production = companies["russia_production"].map(PRODUCTION_GROUPS)
    for group in dict.fromkeys(PRODUCTION_GROUPS.values()):
        out[group] = (production == group).astype(float)
    out["production_unknown"] = production.isna().astype(float)
    parents = set(pd.to_numeric(companies["group_parent_id"], errors="coerce").dropna().astype(int))
    out["group_parent"] = companies["company_id"].isin(parents).astype(float)
    for region, countries in REGIONS.items():
        out["region_" + region.lower().replace(" ", "_")] = companies["hq_country"].isin(countries).astype(float)
    for status in ("Withdrawal", "Suspension", "Scaling back", "Buying time", "Digging in"):
        out[f"status_{status}"] = (companies["status"] == status).astype(float)
    for sector in sorted(companies["sector_code"].dropna().unique()):
        out[f"sector_{sector}"] = (companies["sector_code"] == sector).astype(float)
    return out


def feature_label(feature: str) -> str:
    """The feature in an official's words."""
    if feature.startswith("status_"):
        return f"tracker status: {feature.removeprefix('status_')}"
    if feature.startswith("sector_"):
        return f"sector {feature.removeprefix('sector_')}"
    return FEATURE_LABELS.get(feature, feature)


@dataclass(frozen=True)
class LikelihoodModel:
    """A fitted model: standardised features, coefficients, and what it was fitted on."""

    features: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # per standardised feature, in log-odds
    intercept: float
    n_arrivals: int
    n_companies: int

    def logit(self, x: pd.DataFrame) -> np.ndarray:
        z = (x.reindex(columns=self.features, fill_value=0.0).to_numpy(dtype=float) - self.mean) / self.scale
        return z @ self.coef + self.intercept

    def probability(self, x: pd.DataFrame) -> np.ndarray:
        return 1 / (1 + np.exp(-self.logit(x)))

    def contributions(self, x: pd.DataFrame) -> pd.DataFrame:
        """Per company and feature, the log-odds it adds against the average company; they add up, with
        `base_logit`, to the company's log-odds."""
        z = (x.reindex(columns=self.features, fill_value=0.0).to_numpy(dtype=float) - self.mean) / self.scale
        return pd.DataFrame(z * self.coef, index=x.index, columns=self.features)

    @property
    def base_logit(self) -> float:
        return float(self.intercept)

    def weights(self) -> pd.DataFrame:
        """Each feature's coefficient per standard deviation, largest effect first."""
        frame = pd.DataFrame({"feature": self.features, "label": [feature_label(f) for f in self.features],
                              "log_odds_per_sd": self.coef, "odds_ratio_per_sd": np.exp(self.coef)})
        return frame.reindex(frame["log_odds_per_sd"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def fit(x: pd.DataFrame, y: np.ndarray, c: float | None = None,
        groups: tuple[str, ...] | None = MODEL_GROUPS) -> LikelihoodModel:
    """Fit on the columns of `groups` (None: every column) of features x (feature_frame) and labels y
    (1 = recorded arrival); deterministic."""
    if groups is not None:
        x = x[model_columns(x.columns, groups)]
    y = np.asarray(y, dtype=int)
    c = c if c is not None else PENALTY_SCALE / max(int(y.sum()), 1)
    values = x.to_numpy(dtype=float)
    mean = values.mean(axis=0)
    scale = values.std(axis=0)
    scale[scale == 0] = 1.0
    z = (values - mean) / scale
    if y.sum() == 0 or y.sum() == len(y):
        return LikelihoodModel(list(x.columns), mean, scale, np.zeros(x.shape[1]),
                               float(np.log((y.sum() + 0.5) / (len(y) - y.sum() + 0.5))), int(y.sum()), len(y))
    coef, intercept = _l2_logistic(z, y, c)
    return LikelihoodModel(list(x.columns), mean, scale, coef, intercept, int(y.sum()), len(y))


def _l2_logistic(z: np.ndarray, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression, the objective of scikit-learn's `LogisticRegression(C=c)` (lbfgs):
    minimise 0.5·|w|² + c·Σ log(1 + exp(−s_i(z_i·w + b))), s_i = ±1, the intercept b not penalised. Solved by
    scipy's L-BFGS with the exact gradient; tests check it equals scikit-learn's fit to 1e-6. Not scikit-learn
    itself: importing it costs a new server process 1.5-3 s before its first page, for this one fit."""
    from scipy.optimize import minimize  # imported on first use: pages that only rank need not import it
    from scipy.special import expit

    sign = np.where(y > 0, 1.0, -1.0)
    design = np.c_[z, np.ones(len(z))]

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        margin = sign * (design @ params)
        value = 0.5 * params[:-1] @ params[:-1] + c * np.logaddexp(0, -margin).sum()
        grad = design.T @ (-c * sign * expit(-margin))
        grad[:-1] += params[:-1]
        return float(value), grad

    fit = minimize(loss, np.zeros(design.shape[1]), jac=True, method="L-BFGS-B",
                   options={"maxiter": 2000, "gtol": 1e-10, "ftol": 1e-15})
    return fit.x[:-1].copy(), float(fit.x[-1])



def leave_one_arrival_out(x: pd.DataFrame, y: np.ndarray, seed: int = SEED,
                          groups: tuple[str, ...] | None = MODEL_GROUPS) -> np.ndarray:
    """Out-of-sample probabilities for every company: as many folds as arrivals, each holding out one arrival
    and an equal share of the others (seeded), so no company is scored by a fit that saw it."""
    y = np.asarray(y, dtype=bool)
    positives = np.flatnonzero(y)
    out = np.full(len(y), np.nan)
    if len(positives) < 2:
        return out
    negatives = np.random.default_rng(seed).permutation(np.flatnonzero(~y))
    for arrival, held in zip(positives, np.array_split(negatives, len(positives)), strict=True):
        test = np.r_[arrival, held]
        train = np.ones(len(y), bool)
        train[test] = False
        model = fit(x.iloc[train], y[train], groups=groups)
        out[test] = model.probability(x.iloc[test])
    return out


def time_split(x: pd.DataFrame, y: np.ndarray, dates: pd.Series, cutoff: str = TIME_SPLIT,
               seed: int = SEED, groups: tuple[str, ...] | None = MODEL_GROUPS) -> tuple[np.ndarray, np.ndarray] | None:
    """Fit on arrivals dated up to `cutoff` and half of the other companies; score later arrivals and the other
    half. Returns (test mask, probabilities on the test rows) or None when either side has too few arrivals."""
    y = np.asarray(y, dtype=bool)
    when = dates.fillna("").astype(str).to_numpy()
    early = y & (when != "") & (when <= cutoff + "-99")
    late = y & (when > cutoff + "-99")
    if early.sum() < MIN_ARRIVALS or late.sum() < MIN_ARRIVALS:
        return None
    negatives = np.random.default_rng(seed).permutation(np.flatnonzero(~y))
    train_neg = np.zeros(len(y), bool)
    train_neg[negatives[: len(negatives) // 2]] = True
    train = early | train_neg
    test = late | (~y & ~train_neg)
    model = fit(x[train], y[train].astype(int), groups=groups)
    return test, model.probability(x[test])


def calibration(probability: np.ndarray, y: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Predicted against observed share of arrivals by decile of the (out-of-sample) probability."""
    frame = pd.DataFrame({"p": probability, "y": np.asarray(y, dtype=float)}).dropna()
    frame["decile"] = pd.qcut(frame["p"].rank(method="first"), bins, labels=False) + 1
    grouped = frame.groupby("decile")
    return pd.DataFrame({"companies": grouped.size(), "predicted": grouped["p"].mean(),
                         "observed": grouped["y"].mean(), "arrivals": grouped["y"].sum().astype(int)}).reset_index()


def explain(model: LikelihoodModel, x: pd.DataFrame, row: int, top: int = 4) -> tuple[list[tuple[str, float]],
                                                                                      list[tuple[str, float]]]:
    """What raises and what lowers one company's likelihood: (label, log-odds) largest first."""
    contribution = model.contributions(x.iloc[[row]]).iloc[0]
    ordered = contribution.sort_values()
    raising = [(feature_label(f), float(v)) for f, v in ordered[::-1].items() if v > 0.05][:top]
    lowering = [(feature_label(f), float(v)) for f, v in ordered.items() if v < -0.05][:top]
    return raising, lowering


def order_table(table: pd.DataFrame, likelihood: pd.Series, order: str = "expected") -> pd.DataFrame:
    """The ranked table (score = value to Kazakhstan) with `likelihood` and `expected` (= likelihood × score)
    columns, re-sorted and re-ranked by `order`; "value" keeps the table's order and ranks exactly."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    out = table.copy()
    out["likelihood"] = out["company_id"].map(likelihood).to_numpy(dtype=float)
    out["expected"] = out["likelihood"] * out["score"]
    if order == "value":
        return out
    key = out[order].fillna(-1.0).to_numpy(dtype=float)
    sort = rank_order(key, np.arange(len(out)))  # equal keys keep the value order
    out = out.iloc[sort].reset_index(drop=True)
    ranks = sorted_competition_ranks(key[sort])
    out["rank"], out["tied"] = ranks, shares_rank(ranks)
    return out


@dataclass(frozen=True)
class LikelihoodExplanation:
    """One company's likelihood and the facts that raise and lower it (log-odds against the average company)."""

    probability: float
    raising: list[tuple[str, float]]
    lowering: list[tuple[str, float]]


def explain_company(model: LikelihoodModel, companies: pd.DataFrame, company_id: int) -> LikelihoodExplanation | None:
    """Why a candidate's likelihood is what it is; None for a company the model does not score."""
    candidates = companies[companies["is_candidate"].astype(bool)]
    at = np.flatnonzero(candidates["company_id"].to_numpy() == company_id)
    if not len(at):
        return None
    x = feature_frame(candidates)
    raising, lowering = explain(model, x, int(at[0]))
    return LikelihoodExplanation(float(model.probability(x.iloc[[int(at[0])]])[0]), raising, lowering)
