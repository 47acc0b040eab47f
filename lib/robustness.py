"""How stable is a ranking when the weights are uncertain, and do the two methods agree?

Weight uncertainty: weight vectors are drawn from a Dirichlet distribution centred on the current
normalised weights w, W ~ Dir(c * w), where the concentration c says how sure the user is (larger c,
tighter samples; each sampled weight w_i has mean w_i and variance w_i (1 - w_i) / (c + 1)).
Criteria with weight 0 stay at 0: the user switched them off.

Every sample re-ranks all companies at once (one matrix product), so 1,000 samples x 5,000
companies run in well under a second. Ranks are competition ranks ("1224"): companies with equal
scores share the better rank, so identical companies get identical results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy import stats

from lib.criteria import CRITERION_IDS, weight_vector
from lib.models import UNCERTAINTIES, Method, Uncertainty  # noqa: F401 (UNCERTAINTIES: the page's choices)
from lib.scoring import competition_ranks, scores_for_weights

# Dirichlet concentration per level. At medium (100) a 20% weight varies roughly 13-27% (90% of samples).
CONCENTRATION: dict[str, float] = {"low": 400.0, "medium": 100.0, "high": 25.0}
UNCERTAINTY_LABELS: dict[str, str] = {
    "low": "Low: we are fairly sure of the weights",
    "medium": "Medium: each weight could be a few points off",
    "high": "High: the weights are a rough guess",
}
LOW_PCT, HIGH_PCT = 0.05, 0.95  # the rank interval shown: 5th to 95th percentile


class RobustnessSettings(BaseModel):
    """What the user asks: how many top places count, how unsure the weights are, how many samples."""

    model_config = ConfigDict(extra="forbid")

    top_k: int = Field(default=10, ge=1, le=500)
    uncertainty: Uncertainty = "medium"
    samples: int = Field(default=1000, ge=10, le=20_000)
    seed: int = 0  # fixed, so a shared link shows the same figures

    @property
    def concentration(self) -> float:
        return CONCENTRATION[self.uncertainty]


def sample_weights(weights: np.ndarray, concentration: float, samples: int, seed: int = 0) -> np.ndarray:
    """`samples` x m weight vectors from Dir(concentration * w) around normalised `weights` (weight_vector); zero
    weights stay zero. Rows sum to 1."""
    w = np.asarray(weights, dtype=float)
    active = w > 0
    out = np.zeros((samples, len(w)))
    out[:, active] = np.random.default_rng(seed).dirichlet(concentration * w[active], size=samples)
    return out


def weight_intervals(weights: dict[str, float], concentration: float) -> pd.DataFrame:
    """Per criterion: the current share and the 5th-95th percentile of its sampled share (Beta marginal)."""
    w = weight_vector(weights)
    a, b = concentration * w, concentration * (1 - w)
    active = w > 0
    low = np.where(active, stats.beta.ppf(LOW_PCT, np.where(active, a, 1), np.where(active, b, 1)), 0.0)
    high = np.where(active, stats.beta.ppf(HIGH_PCT, np.where(active, a, 1), np.where(active, b, 1)), 0.0)
    return pd.DataFrame({"criterion_id": CRITERION_IDS, "weight": w, "low": low, "high": high})


def _ranks_by_sorting_everyone(scores: np.ndarray, inverse: np.ndarray, n: int,
                               k: int) -> tuple[np.ndarray, Callable[[int, np.ndarray], np.ndarray]]:
    """P(top K) per distinct row, and a function giving how many companies score strictly above given values.

    Sorts every company's score per sample (fast when few companies share their facts).
    """
    ordered = np.sort(scores[:, inverse] if scores.shape[1] < n else scores, axis=1)  # ascending
    # In the top K (competition rank <= K) exactly when the score is at least the K-th highest.
    p_top = (scores >= ordered[:, n - k][:, None]).mean(axis=0)
    return p_top, lambda sample, values: n - np.searchsorted(ordered[sample], values, side="right")


def _ranks_by_sorting_distinct(scores: np.ndarray, counts: np.ndarray,
                               k: int) -> tuple[np.ndarray, Callable[[int, np.ndarray], np.ndarray]]:
    """The same from the distinct rows only, each weighted by how many companies share it."""
    order = np.argsort(-scores, axis=1)
    descending = np.take_along_axis(scores, order, axis=1)
    at_or_above = np.cumsum(counts[order], axis=1)  # companies up to this position, best first
    # The K-th highest company score sits where the running count first reaches K.
    threshold = descending[np.arange(len(scores)), np.argmax(at_or_above >= k, axis=1)]
    p_top = (scores >= threshold[:, None]).mean(axis=0)
    ascending_negated = -descending

    def ahead_of(sample: int, values: np.ndarray) -> np.ndarray:
        positions = np.searchsorted(ascending_negated[sample], -values, side="left")  # distinct rows above
        return np.where(positions > 0, at_or_above[sample, np.maximum(positions - 1, 0)], 0)

    return p_top, ahead_of


@dataclass(frozen=True)
class Robustness:
    """Per company: rank now, P(top K) and the rank interval over the weight samples."""

    table: pd.DataFrame  # company_id, name, rank, p_top_k, rank_low, rank_median, rank_high (rank order)
    settings: RobustnessSettings
    method: Method
    stable_in_top: int  # companies of the current top K that stay in it in >= 90% of samples


def sample_unknown_scores(x: np.ndarray, unknown: np.ndarray, draws: np.ndarray, seed: int) -> np.ndarray:
    """Weighted-sum scores (samples x companies) with every unknown cell drawn anew in each sample.

    An unknown value of criterion i is drawn from the values of i that are known (the empirical
    distribution of the ranked companies), independently per company and sample: S = W X^T, then for
    each unknown cell S[:, j] += w_i (d - x_ji), where x_ji is the value the missing-data policy filled in.
    """
    rng = np.random.default_rng(seed + 1)
    scores = draws @ x.T
    for i in range(x.shape[1]):
        rows = np.flatnonzero(unknown[:, i])
        if not len(rows) or not draws[:, i].any():
            continue
        pool = x[~unknown[:, i], i]
        drawn = rng.choice(pool, size=(len(draws), len(rows))) if len(pool) else \
            rng.uniform(0.0, 1.0, size=(len(draws), len(rows)))
        scores[:, rows] += draws[:, i:i + 1] * (drawn - x[rows, i])
    return scores


def rank_robustness(matrix: pd.DataFrame, weights: dict[str, float], settings: RobustnessSettings,
                    method: Method = "wsm", interval_for: int = 100,
                    unknown: pd.DataFrame | None = None) -> Robustness:
    """Re-rank `matrix` (company_id, name, one column per criterion) under sampled weights.

    P(top K) is computed for every company. Rank intervals (5th, 50th, 95th percentile) are computed
    for the current top `interval_for` and every company with a chance of reaching the top K; the
    others get NaN (their intervals would cost time and nobody reads them).
    With `unknown` (True where a value was filled in by the missing-data policy, rows as in `matrix`) and
    the weighted sum, each sample also draws the unknown values, so P(top K) reflects missing data as well
    as uncertain weights. TOPSIS samples weights only.
    """
    columns = ["company_id", "name", "rank", "p_top_k", "rank_low", "rank_median", "rank_high"]
    x = matrix[list(CRITERION_IDS)].to_numpy(dtype=float)
    if len(x) == 0:
        return Robustness(pd.DataFrame(columns=columns), settings, method, 0)
    w = weight_vector(weights)
    n, k = len(x), min(settings.top_k, len(x))
    # Score each distinct row once: identical companies get bit-identical scores, and with many
    # companies sharing the same facts (unknowns filled the same way) there is far less to sort.
    distinct, inverse, counts = np.unique(x, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    draws = sample_weights(w, settings.concentration, settings.samples, settings.seed)
    now = competition_ranks(scores_for_weights(distinct, w[None, :], method, reference=x)[0][inverse])
    missing = None if unknown is None else unknown[list(CRITERION_IDS)].to_numpy(dtype=bool)
    if missing is not None and method == "wsm" and missing[:, w > 0].any():
        # Every company is its own row now: two companies with the same filled-in facts differ per sample.
        distinct, inverse, counts = x, np.arange(n), np.ones(n, dtype=np.int64)
        scores = sample_unknown_scores(x, missing, draws, settings.seed)
    else:
        scores = scores_for_weights(distinct, draws, method, reference=x)  # samples x distinct
    now_distinct = np.empty(len(distinct), dtype=np.int64)
    now_distinct[inverse] = now
    if len(distinct) > 0.6 * n:
        p_top, ahead_of = _ranks_by_sorting_everyone(scores, inverse, n, k)
    else:
        p_top, ahead_of = _ranks_by_sorting_distinct(scores, counts, k)
    wanted = np.flatnonzero((now_distinct <= max(interval_for, k)) | (p_top > 0))
    ranks = np.empty((len(wanted), settings.samples), dtype=np.int64)
    for sample in range(settings.samples):
        ranks[:, sample] = ahead_of(sample, scores[sample, wanted]) + 1
    # Percentiles by partial sort: 'lower' at 5%, 'higher' at 95%, so the interval never understates.
    last = settings.samples - 1
    kth = [int(np.floor(LOW_PCT * last)), last // 2, int(np.ceil(HIGH_PCT * last))]
    intervals = np.full((len(distinct), 3), np.nan)
    intervals[wanted] = np.partition(ranks, kth, axis=1)[:, kth]
    table = matrix[["company_id", "name"]].reset_index(drop=True).assign(
        rank=now, p_top_k=p_top[inverse], rank_low=intervals[inverse, 0], rank_median=intervals[inverse, 1],
        rank_high=intervals[inverse, 2])
    table = table.iloc[np.lexsort((table["name"].str.casefold().to_numpy(), now))].reset_index(drop=True)
    stable = min(k, int(((table["rank"] <= k) & (table["p_top_k"] >= 0.9)).sum()))  # ties can crowd the cut
    return Robustness(table, settings, method, stable)


@dataclass(frozen=True)
class MethodAgreement:
    """How far weighted sum and TOPSIS agree on the same matrix and weights."""

    kendall_tau: float  # over all companies: 1 = same order, 0 = unrelated, -1 = reversed
    top_k: int
    top_k_overlap: int  # companies in the top K of both methods
    differences: pd.DataFrame  # company_id, name, rank_wsm, rank_topsis, shift (largest |shift| first)


def method_agreement(matrix: pd.DataFrame, weights: dict[str, float], top_k: int = 10, among_top: int = 50,
                     rows: int = 10) -> MethodAgreement:
    """Kendall's tau between the two methods' scores, and the companies whose rank differs most.

    Differences are looked for among the companies in the top `among_top` of either method: a move
    from rank 1,200 to 1,400 matters to nobody.
    """
    x = matrix[list(CRITERION_IDS)].to_numpy(dtype=float)
    w = weight_vector(weights)[None, :]
    wsm, topsis = scores_for_weights(x, w, "wsm")[0], scores_for_weights(x, w, "topsis")[0]
    tau = float(stats.kendalltau(wsm, topsis).statistic) if len(x) > 1 else 1.0
    rank_wsm, rank_topsis = competition_ranks(wsm), competition_ranks(topsis)
    table = matrix[["company_id", "name"]].reset_index(drop=True).assign(
        rank_wsm=rank_wsm, rank_topsis=rank_topsis, shift=rank_topsis - rank_wsm)
    overlap = int(((table["rank_wsm"] <= top_k) & (table["rank_topsis"] <= top_k)).sum())
    near_top = table[(table["rank_wsm"] <= among_top) | (table["rank_topsis"] <= among_top)]
    order = near_top.assign(size=near_top["shift"].abs()).sort_values(["size", "rank_wsm"],
                                                                      ascending=[False, True])
    differences = order.drop(columns="size").head(rows).reset_index(drop=True)
    return MethodAgreement(0.0 if np.isnan(tau) else tau, top_k, overlap, differences)
