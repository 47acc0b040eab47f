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

from lib.criteria import CRITERION_IDS, weight_vector
from lib.evidence import COMPANY_FACTS, PRESENCE_VALUE, PRODUCTION_VALUE
from lib.models import STATUSES, Filters, Method, ScoringSettings

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


def _log_share_of_max(values: pd.Series) -> pd.Series:
    """log1p(x) / log1p(max x): 0 for nothing, 1 for the largest known; NaN stays NaN."""
    logged = np.log1p(values.astype(float))
    high = logged.max()
    if not np.isfinite(high) or high <= 0:
        return logged.where(logged.isna(), 0.0)
    return logged / high


def _max_known(*columns: pd.Series) -> pd.Series:
    """Row maximum over the columns that are known; NaN when none is.

    The maximum, not the mean: a further fact about the same thing can only raise the value, so a company
    with less evidence never scores above one with more evidence of the same size.
    """
    return pd.concat(columns, axis=1).max(axis=1, skipna=True)


def fact_completeness(companies: pd.DataFrame) -> pd.Series:
    """Share of the company-specific facts that are known (0 for a company with none).

    Only facts about the company count (COMPANY_FACTS): what comes from the tracker grade or the sector
    is never counted, so a company about which nothing was found shows 0 %.
    """
    known = companies[list(COMPANY_FACTS)].notna()
    return known.sum(axis=1) / len(COMPANY_FACTS)


def facts_known(companies: pd.DataFrame) -> pd.Series:
    """How many of the company-specific facts are known."""
    return companies[list(COMPANY_FACTS)].notna().sum(axis=1).astype(int)


def compliance_risk(companies: pd.DataFrame) -> pd.Series:
    """Raw risk in [0,1] (higher = riskier); NaN when the sector, hence dual use, is unknown."""
    status_risk = 1.0 - companies["status"].map(EXIT_FIRMNESS).astype(float)
    dual = companies["dual_use"].astype("float")
    return STATUS_RISK_SHARE * status_risk + DUAL_USE_RISK_SHARE * dual


def criteria_values(companies: pd.DataFrame, incentive_value_usd_m: pd.Series | None = None) -> pd.DataFrame:
    """Each criterion in [0,1], oriented so higher is better; NaN where the facts are missing.

    russian_footprint = max(log1p(rev_RU)/log1p(max rev_RU), log1p(emp_RU)/log1p(max emp_RU))
    company_scale     = max(log-scaled revenue worldwide, log-scaled employees worldwide)
    incentive_fit     = log1p(value)/log1p(max value), value = best eligible package's present value in USD m at
                        the company's investment (lib.incentives.offers.incentive_frame); 0 when none qualifies
    regional_presence = PRESENCE_VALUE[level]     (own plant 1 ... licensee 0.25, none found / ended 0)
    production_intensity = PRODUCTION_VALUE[state] (suspended 1, sold/closed/reported 0.5, operating 0.25,
                                                    none 0)
    Production enters one criterion only; the footprint measures size (revenue, staff) alone.
    `companies` needs the store's company columns plus the sector's kz_priority and dual_use.
    Log scales run over the rows given, so pass the whole universe, not a filtered subset.
    """
    footprint = _max_known(_log_share_of_max(companies["russia_revenue_usd_m"]),
                           _log_share_of_max(companies["russia_employees"]))
    scale = _max_known(_log_scaled(companies["revenue_worldwide_usd_m"]),
                       _log_scaled(companies["employees_worldwide"]))
    values = pd.DataFrame(
        {
            "exit_firmness": companies["status"].map(EXIT_FIRMNESS).astype(float),
            "russian_footprint": footprint,
            "company_scale": scale,
            "sector_priority": companies["kz_priority"].astype(float) / 5.0,
            "incentive_fit": _log_share_of_max(pd.Series(np.nan, index=companies.index)
                                               if incentive_value_usd_m is None
                                               else incentive_value_usd_m.reindex(companies.index)),
            "regional_presence": companies["kazakhstan_presence"].map(PRESENCE_VALUE).astype(float),
            "production_intensity": companies["russia_production"].map(PRODUCTION_VALUE).astype(float),
            "compliance_risk": 1.0 - compliance_risk(companies),  # a cost: inverted here
        },
        index=companies.index,
    )
    return values[list(CRITERION_IDS)].clip(0.0, 1.0)


def fill_value(policy: str) -> float:
    """What an unknown criterion value counts as: neutral 0.5, worst 0 (exclude drops the company)."""
    return 0.5 if policy == "neutral" else 0.0


def apply_missing(values: pd.DataFrame, settings: ScoringSettings) -> tuple[pd.DataFrame, pd.Series]:
    """Fill missing values per criterion (neutral 0.5, worst 0) or drop the company (exclude).

    Returns the filled matrix of the companies kept and, per kept company, which cells were unknown.
    """
    known = values.notna()
    keep = pd.Series(True, index=values.index)
    filled = values.copy()
    for cid in CRITERION_IDS:
        policy = settings.missing[cid]
        if policy == "exclude" and settings.weights[cid] > 0:
            keep &= known[cid]
        filled[cid] = filled[cid].fillna(fill_value(policy))
    return filled[keep], ~known[keep]


CHUNK_ROWS = 8192  # rows per slice of the TOPSIS kernel: 8192 x 8 doubles = 512 KiB, within a core's cache


def scores_for_weights(matrix: np.ndarray, weight_rows: np.ndarray, method: Method,
                       reference: np.ndarray | None = None) -> np.ndarray:
    """The one scoring kernel: scores (len(weight_rows) x companies) of every company under every weight vector.

    Used by the ranking, robustness, the what-if, group weighting, the back-test, exports and the CLI.
    WSM: S = W X^T. TOPSIS with vector-normalised r_ij = x_ij / n_j (n_j = ||x_.j||): since weights are
    non-negative the ideal is w_j max_i r_ij, so d+^2 = sum_j (w_j / n_j)^2 (x_ij - max_i x_ij)^2, one matrix
    product of the squared gaps with the scaled squared weights, likewise d-^2 with the minimum; the normalised
    matrix itself is never built (the gaps are worked out in slices of CHUNK_ROWS rows, one temporary reused).
    A company's score is 0.5 when every company is equal on every weighted criterion. `reference` is the full
    matrix the column norms and ideals come from when `matrix` holds only some of its rows (e.g. the distinct
    ones). Scores are invariant to scaling w.
    """
    x = np.asarray(matrix, dtype=float)
    w = np.asarray(weight_rows, dtype=float)
    if method == "wsm":
        return w @ x.T
    ref = x if reference is None else np.asarray(reference, dtype=float)
    norms = np.sqrt(np.einsum("ij,ij->j", ref, ref))
    inverse = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    scaled = (w * inverse) ** 2  # weight rows x criteria: (w_j / n_j)^2, 0 for an all-zero column
    best, worst = column_reduce(np.maximum, ref), column_reduce(np.minimum, ref)
    d_plus, d_minus = np.empty((len(w), len(x))), np.empty((len(w), len(x)))
    gap = np.empty((min(len(x), CHUNK_ROWS), x.shape[1]))
    for start in range(0, len(x), CHUNK_ROWS):  # in cache-sized slices: the matrix is read from memory once
        rows = x[start:start + CHUNK_ROWS]
        part = gap[:len(rows)]
        for ideal, distance in ((best, d_plus), (worst, d_minus)):
            np.subtract(rows, ideal, out=part)
            np.square(part, out=part)
            distance[:, start:start + len(rows)] = _weighted_sum(part, scaled)
    np.sqrt(d_plus, out=d_plus)
    np.sqrt(d_minus, out=d_minus)
    d_plus += d_minus
    degenerate = d_plus == 0  # every company equal on every weighted criterion
    d_plus[degenerate] = 1.0
    d_minus /= d_plus
    d_minus[degenerate] = 0.5
    return d_minus


def column_reduce(op: np.ufunc, x: np.ndarray, block: int = 256) -> np.ndarray:
    """op.reduce(x, axis=0) (the column maxima or minima), exactly, but about ten times faster on a tall matrix
    of few columns: blocks of `block` rows are laid side by side, so the reduction runs along long contiguous
    rows instead of eight values at a time."""
    n, m = x.shape
    full = n - n % block
    if full == 0:
        return op.reduce(x, axis=0)
    out = op.reduce(op.reduce(x[:full].reshape(-1, block * m), axis=0).reshape(block, m), axis=0)
    return op(out, op.reduce(x[full:], axis=0)) if full < n else out


def _weighted_sum(values: np.ndarray, weight_rows: np.ndarray) -> np.ndarray:
    """weight_rows @ values.T; with one weight row as a matrix-vector product over the rows (BLAS's fast path:
    at 1M companies about twice as fast as the product with the transposed matrix)."""
    if len(weight_rows) == 1:
        return (values @ weight_rows[0])[None, :]
    return weight_rows @ values.T


# Scores closer than this are equal: sums of the same contributions in another order differ by ~1e-16.
TIE_TOLERANCE = 1e-9


def tie_key(scores: np.ndarray) -> np.ndarray:
    """The one tie rule: scores on a 1e-9 grid, so scores equal but for float noise compare equal."""
    return np.round(np.asarray(scores, dtype=float) / TIE_TOLERANCE)


def rank_order(scores: np.ndarray, within_tie: np.ndarray) -> np.ndarray:
    """The row order of a ranking: best score first (the tie rule above); equal scores by `within_tie` (distinct
    non-negative integers, lower first). The same order as np.lexsort((within_tie, -tie_key(scores))), in a
    quarter of the time at 1M rows: an unstable sort of the scores, then only the tied rows sorted again."""
    key = -tie_key(scores)
    order = np.argsort(key)
    same = _same_as_previous(key[order])
    if same.any():
        tied = same.copy()
        tied[:-1] |= same[1:]
        rows = order[tied]
        # One integer per tied row: its group of equal scores, then within_tie (distinct, so any sort will do).
        group = np.cumsum(~same)[tied].astype(np.int64)
        order[tied] = rows[np.argsort(group * (int(within_tie.max(initial=0)) + 1) + within_tie[rows])]
    return order


def _same_as_previous(ordered: np.ndarray) -> np.ndarray:
    """Per position of a sorted key: equal to the one before (NaNs, sorted last, count as equal)."""
    same = np.zeros(len(ordered), dtype=bool)
    same[1:] = (ordered[1:] == ordered[:-1]) | (np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
    return same


def sorted_competition_ranks(ordered_scores: np.ndarray) -> np.ndarray:
    """competition_ranks of scores already in rank order (best first), without sorting them again."""
    starts = ~_same_as_previous(tie_key(ordered_scores))
    return np.maximum.accumulate(np.where(starts, np.arange(1, len(starts) + 1), 0)).astype(np.int64)


def shares_rank(ranks: np.ndarray) -> np.ndarray:
    """Per position of ranks in order: whether the rank is shared with a neighbour (shown "100=")."""
    same = ranks[1:] == ranks[:-1]
    tied = np.zeros(len(ranks), dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    return tied


def competition_ranks(scores: np.ndarray) -> np.ndarray:
    """Rank of each score along the last axis (highest = 1); tied scores share the best rank ("1 2 2 4")."""
    key = -tie_key(scores)  # ascending: best first
    ordered = np.sort(key, axis=-1)
    if key.ndim == 1:
        return np.searchsorted(ordered, key, side="left").astype(np.int64) + 1
    return np.array([np.searchsorted(o, k, side="left") for o, k in zip(ordered, key, strict=True)],
                    dtype=np.int64).reshape(key.shape) + 1


def top_k_wsm(matrix: np.ndarray, weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices and scores of the k best rows by weighted sum, best first, without sorting all rows.

    The numpy fast path for very large matrices (1M companies: a matrix-vector product and a partial
    sort). Ties (the tie rule above) keep row order, also at the cut.
    """
    scores = scores_for_weights(matrix, weights[None, :], "wsm")[0]
    k = min(k, len(scores))
    if k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    # Only rows near the k-th best raw score can be among the best k on the tie rule's grid (a row rounds at most
    # half a grid step away), so the tie rule is applied to those few rows, in row order.
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    near = np.flatnonzero(scores >= kth - 2 * TIE_TOLERANCE)
    key = tie_key(scores[near])
    cut = np.partition(key, len(key) - k)[len(key) - k]
    above = np.flatnonzero(key > cut)
    chosen = np.concatenate([above, np.flatnonzero(key == cut)[: k - len(above)]])
    chosen = near[chosen[np.lexsort((chosen, -key[chosen]))]]
    return chosen, scores[chosen]


def already_producing(companies: pd.DataFrame) -> np.ndarray:
    """True for a company with its own plant in Kazakhstan (what "New entrants only" leaves out); a presence never
    looked up is not a plant."""
    return companies["kazakhstan_presence"].astype(object).eq("production_site").to_numpy()


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
    if filters.new_entrants_only:
        mask &= ~already_producing(companies)
    return mask


def criteria_matrices(companies: pd.DataFrame, values: pd.DataFrame, settings: ScoringSettings,
                      filters: Filters | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The normalised matrix the ranking is computed on (company_id, name, one column per criterion) and, in the
    same rows and order, True where a value was filled in by the missing-data policy."""
    subset = filter_mask(companies, filters or Filters())
    matrix, unknown = apply_missing(values[subset], settings)
    names = companies.loc[matrix.index, ["company_id", "name"]]
    return names.join(matrix).reset_index(drop=True), names.join(unknown).reset_index(drop=True)


def criteria_matrix(companies: pd.DataFrame, values: pd.DataFrame, settings: ScoringSettings,
                    filters: Filters | None = None) -> pd.DataFrame:
    """The normalised matrix the ranking is computed on: company_id, name, one column per criterion."""
    return criteria_matrices(companies, values, settings, filters)[0]


@dataclass
class Ranking:
    """A ranked table plus what produced it."""

    table: pd.DataFrame  # rank, tied, company_id, name, ..., score, completeness, facts_known, c_<criterion>
    weights: dict[str, float]  # normalised, sum 1
    method: str
    excluded_missing: int  # companies dropped by an 'exclude' missing-data policy


def rank_label(rank: int, tied: bool) -> str:
    """'100=' for a shared rank, '7' otherwise."""
    return f"{rank}=" if tied else str(rank)


@dataclass(frozen=True)
class RankingBase:
    """What a ranking needs that the weights do not change (filters and missing-data policy applied): cached by
    the app, so a slider move only scores, sorts and builds the table."""

    info: pd.DataFrame  # company_id, name, sector_code, hq_country, status of the kept companies
    x: np.ndarray  # their filled criteria matrix
    completeness: np.ndarray
    facts_known: np.ndarray
    within_tie: np.ndarray  # position in the order used among equal scores: completeness, name, id
    excluded_missing: int


def ranking_base(companies: pd.DataFrame, values: pd.DataFrame, settings: ScoringSettings,
                 filters: Filters | None = None) -> RankingBase:
    """Filter and fill missing data (depends on the weights only through which criteria are switched off)."""
    subset = filter_mask(companies, filters or Filters())
    matrix, _unknown = apply_missing(values[subset], settings)
    kept = companies.loc[matrix.index]
    info = kept[["company_id", "name", "sector_code", "hq_country", "status"]].reset_index(drop=True)
    completeness = fact_completeness(kept).to_numpy()
    order = np.lexsort((info["company_id"].to_numpy(), info["name"].str.casefold().to_numpy(), -completeness))
    within_tie = np.empty(len(order), dtype=np.int64)
    within_tie[order] = np.arange(len(order))
    return RankingBase(info, matrix.to_numpy(dtype=float), completeness, facts_known(kept).to_numpy(), within_tie,
                       int(subset.sum() - len(matrix)))


def rank_base(base: RankingBase, settings: ScoringSettings) -> Ranking:
    """Score and rank: equal scores share a rank (shown "100="); within a tie, more complete records come first,
    then name, then id."""
    w = weight_vector(settings.weights)
    scores = scores_for_weights(base.x, w[None, :], settings.method)[0]
    table = base.info.copy()
    if settings.method == "wsm":
        for i, cid in enumerate(CRITERION_IDS):
            table[f"c_{cid}"] = base.x[:, i] * w[i]  # the contributions: they add up to the score
    table["score"] = scores
    table["completeness"] = base.completeness
    table["facts_known"] = base.facts_known
    order = rank_order(scores, base.within_tie)
    table = table.iloc[order].reset_index(drop=True)
    ranks = sorted_competition_ranks(scores[order])
    table.insert(0, "rank", ranks)
    table.insert(1, "tied", shares_rank(ranks))
    return Ranking(table, dict(zip(CRITERION_IDS, w.tolist(), strict=True)), settings.method, base.excluded_missing)


def rank_companies(companies: pd.DataFrame, values: pd.DataFrame, settings: ScoringSettings,
                   filters: Filters | None = None) -> Ranking:
    """Filter, fill missing data, score and rank (ranking_base, then rank_base)."""
    return rank_base(ranking_base(companies, values, settings, filters), settings)
