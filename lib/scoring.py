"""Scoring engine: criteria matrix, missing-data policy, weighted sum, TOPSIS, hard filters.

Everything is vectorised with numpy over a companies DataFrame; nothing here imports Streamlit.

Weighted sum (WSM):  score_j = sum_i w_i * x_ij, weights normalised to sum 1, so each
    contribution w_i * x_ij is shown and the contributions add up to the score.
TOPSIS (Hwang & Yoon 1981): r_ij = x_ij / sqrt(sum_j x_ij^2); v_ij = w_i * r_ij;
    A+ = max_j v_ij, A- = min_j v_ij (every column is already oriented "higher is better");
    score_j = d-_j / (d+_j + d-_j) with Euclidean distances d+ to A+ and d- to A-.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lib.criteria import CRITERION_IDS
from lib.models import STATUSES, Filters, ScoringSettings

# Exit firmness from the five-level scale: Withdrawal 1 ... Digging in 0.
EXIT_FIRMNESS = dict(zip(STATUSES, (1.0, 0.75, 0.5, 0.25, 0.0), strict=True))
# Compliance risk from still operating in Russia (the reverse scale) and a dual-use sector.
STATUS_RISK_SHARE, DUAL_USE_RISK_SHARE = 0.75, 0.25
HIGH_RISK = 0.75  # raw risk at or above this is "high" for the exclude-high-risk filter


def _log_scaled(values: pd.Series) -> pd.Series:
    """log1p-scale between the smallest and largest known value; NaN stays NaN."""
    logged = np.log1p(values.astype(float))
    low, high = logged.min(), logged.max()
    if not np.isfinite(high) or high == low:
        return logged.where(logged.isna(), 1.0)
    return (logged - low) / (high - low)


def _mean_known(*columns: pd.Series) -> pd.Series:
    """Row mean over the columns that are known; NaN when none is."""
    return pd.concat(columns, axis=1).mean(axis=1, skipna=True)


def compliance_risk(companies: pd.DataFrame) -> pd.Series:
    """Raw risk in [0,1] (higher = riskier); NaN when the sector, hence dual use, is unknown."""
    status_risk = 1.0 - companies["status"].map(EXIT_FIRMNESS).astype(float)
    dual = companies["dual_use"].astype("float")
    return STATUS_RISK_SHARE * status_risk + DUAL_USE_RISK_SHARE * dual


def criteria_values(companies: pd.DataFrame, incentive_best: dict[str, float]) -> pd.DataFrame:
    """Each criterion in [0,1], oriented so higher is better; NaN where the facts are missing.

    `companies` needs the store's company columns plus the sector's kz_priority and dual_use.
    Log scales run over the rows given, so pass the whole universe, not a filtered subset.
    """
    rev_ru = np.log1p(companies["russia_revenue_usd_m"].astype(float))
    emp_ru = np.log1p(companies["russia_employees"].astype(float))
    production = companies["russia_production"].astype("float")
    footprint = _mean_known(rev_ru / rev_ru.max(), emp_ru / emp_ru.max(), production)
    scale = _mean_known(_log_scaled(companies["revenue_worldwide_usd_m"]),
                        _log_scaled(companies["employees_worldwide"]))
    best = companies["sector_code"].map(incentive_best).astype(float)
    top = np.nanmax(best.to_numpy()) if best.notna().any() else 0.0
    values = pd.DataFrame(
        {
            "exit_firmness": companies["status"].map(EXIT_FIRMNESS).astype(float),
            "russian_footprint": footprint,
            "company_scale": scale,
            "sector_priority": companies["kz_priority"].astype(float) / 5.0,
            "incentive_fit": best / top if top > 0 else best * 0.0,
            "regional_presence": companies["kazakhstan_presence"].astype("float"),
            "production_intensity": production,
            "compliance_risk": 1.0 - compliance_risk(companies),  # a cost: inverted here
        },
        index=companies.index,
    )
    return values[list(CRITERION_IDS)].clip(0.0, 1.0)


def apply_missing(values: pd.DataFrame, settings: ScoringSettings) -> tuple[pd.DataFrame, pd.Series]:
    """Fill missing values per criterion (neutral 0.5, worst 0) or drop the company (exclude).

    Returns the filled matrix of the companies kept and, per kept company, the share of criteria
    that came from real data (data completeness).
    """
    known = values.notna()
    keep = pd.Series(True, index=values.index)
    filled = values.copy()
    for cid in CRITERION_IDS:
        policy = settings.missing[cid]
        if policy == "exclude" and settings.weights[cid] > 0:
            keep &= known[cid]
        filled[cid] = filled[cid].fillna(0.5 if policy == "neutral" else 0.0)
    completeness = known.mean(axis=1)
    return filled[keep], completeness[keep]


def weighted_sum(matrix: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores and the per-criterion contributions w_i * x_ij (rows add up to the score)."""
    contributions = matrix * weights
    return contributions.sum(axis=1), contributions


def topsis(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Closeness to the ideal solution, in [0,1]; every column is a benefit column."""
    norms = np.sqrt((matrix**2).sum(axis=0))
    normalised = np.divide(matrix, norms, out=np.zeros_like(matrix, dtype=float), where=norms > 0)
    weighted = normalised * weights
    ideal, anti_ideal = weighted.max(axis=0), weighted.min(axis=0)
    d_plus = np.sqrt(((weighted - ideal) ** 2).sum(axis=1))
    d_minus = np.sqrt(((weighted - anti_ideal) ** 2).sum(axis=1))
    total = d_plus + d_minus
    return np.divide(d_minus, total, out=np.full_like(total, 0.5), where=total > 0)


def top_k_wsm(matrix: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices and scores of the k best rows by weighted sum, best first, without sorting all rows.

    The numpy fast path for very large matrices (1M companies: a matrix-vector product and a partial
    sort). Ties keep row order, also at the cut.
    """
    scores = matrix @ weights
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    cut = scores[np.argpartition(-scores, k - 1)[:k]].min()
    above = np.flatnonzero(scores > cut)
    chosen = np.concatenate([above, np.flatnonzero(scores == cut)[: k - len(above)]])
    chosen = chosen[np.lexsort((chosen, -scores[chosen]))]
    return chosen, scores[chosen]


def filter_mask(companies: pd.DataFrame, filters: Filters) -> pd.Series:
    """Hard filters, applied before scoring. Unknown revenue fails a minimum-revenue filter."""
    mask = pd.Series(True, index=companies.index)
    if filters.candidates_only:
        mask &= companies["is_candidate"].astype(bool)
    if filters.sectors:
        mask &= companies["sector_code"].isin(filters.sectors)
    if filters.countries:
        mask &= companies["hq_country"].isin(filters.countries)
    if filters.statuses:
        mask &= companies["status"].isin(filters.statuses)
    if filters.min_revenue_usd_m > 0:
        mask &= companies["revenue_worldwide_usd_m"].fillna(-1) >= filters.min_revenue_usd_m
    if filters.exclude_high_risk:
        mask &= ~(compliance_risk(companies).fillna(1.0) >= HIGH_RISK)
    return mask


def criteria_matrix(companies: pd.DataFrame, values: pd.DataFrame, settings: ScoringSettings,
                    filters: Filters | None = None) -> pd.DataFrame:
    """The normalised matrix the ranking is computed on: company_id, name, one column per criterion."""
    subset = filter_mask(companies, filters or Filters())
    matrix, _ = apply_missing(values[subset], settings)
    out = companies.loc[matrix.index, ["company_id", "name"]].join(matrix)
    return out.reset_index(drop=True)


@dataclass
class Ranking:
    """A ranked table plus what produced it."""

    table: pd.DataFrame  # rank, company_id, name, ..., score, completeness, c_<criterion> for WSM
    weights: dict[str, float]  # normalised, sum 1
    method: str
    excluded_missing: int  # companies dropped by an 'exclude' missing-data policy


def rank_companies(companies: pd.DataFrame, values: pd.DataFrame, settings: ScoringSettings,
                   filters: Filters | None = None) -> Ranking:
    """Filter, fill missing data, score and rank. Ties keep name order, so ranks are deterministic."""
    filters = filters or Filters()
    subset = filter_mask(companies, filters)
    matrix, completeness = apply_missing(values[subset], settings)
    weights = settings.normalised_weights()
    w = np.array([weights[c] for c in CRITERION_IDS])
    x = matrix.to_numpy(dtype=float)
    info = companies.loc[matrix.index, ["company_id", "name", "sector_code", "hq_country", "status"]]
    table = info.reset_index(drop=True)
    if settings.method == "wsm":
        scores, contributions = weighted_sum(x, w)
        for i, cid in enumerate(CRITERION_IDS):
            table[f"c_{cid}"] = contributions[:, i]
    else:
        scores = topsis(x, w)
    table["score"] = scores
    table["completeness"] = completeness.to_numpy()
    order = np.lexsort((table["company_id"].to_numpy(), table["name"].str.casefold().to_numpy(), -scores))
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return Ranking(table, weights, settings.method, int(subset.sum() - len(matrix)))
