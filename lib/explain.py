"""Why a company ranks where it does, and the smallest single weight change that would lift it.

Contributions per criterion next to the top-10 average come from `lib.profile.score_breakdown`;
this module adds the what-if: holding every other slider fixed, move one slider (whole numbers
0-100, as in the sidebar) and find the smallest move that puts the company into the top K.
Ranks here follow the ranked table exactly: higher score first, ties in name order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel

from lib.criteria import CRITERION_IDS, weight_vector
from lib.i18n import _, fmt_number, fmt_percent
from lib.models import Method
from lib.scoring import scores_for_weights, tie_key

SLIDER_VALUES = np.arange(0, 101)  # what a user can actually set


class WeightChange(BaseModel):
    """One slider move and where it takes the company."""

    criterion_id: str
    from_weight: float  # slider value now
    to_weight: int  # slider value after the move
    share: float  # the criterion's normalised share after the move, 0-1
    rank_before: int
    rank_after: int

    @property
    def change(self) -> float:
        return self.to_weight - self.from_weight


def _row_of(matrix: pd.DataFrame, company_id: int) -> int:
    """Row of the company in the criteria matrix."""
    hits = np.flatnonzero(matrix["company_id"].to_numpy() == company_id)
    if not len(hits):
        raise KeyError(company_id)
    return int(hits[0])


def ranks_of(matrix: pd.DataFrame, company_id: int, weight_rows: np.ndarray, method: Method) -> np.ndarray:
    """The company's rank under each weight vector (rows of `weight_rows`), as the ranked table shows it.

    Equal scores share a rank, as in the table: the rank is 1 + the number of companies scoring higher.
    """
    row = _row_of(matrix, company_id)
    scores = tie_key(scores_for_weights(matrix[list(CRITERION_IDS)].to_numpy(dtype=float), weight_rows, method))
    return (scores > scores[:, row][:, None]).sum(axis=1) + 1


class WhatIf(BaseModel):
    """The company's rank now, the smallest move into the top K, and the single move that lifts it most."""

    top_k: int
    rank_now: int
    into_top_k: WeightChange | None  # None: already in the top K, or no single move within 0-100 does it
    best_move: WeightChange | None  # the best rank one move reaches (smallest such move); None if none helps


def _change(grid: np.ndarray, ranks: np.ndarray, index: int, raw: np.ndarray, rank_now: int) -> WeightChange:
    criterion, value = divmod(index, len(SLIDER_VALUES))
    new = grid[index]
    return WeightChange(criterion_id=CRITERION_IDS[criterion], from_weight=float(raw[criterion]),
                        to_weight=int(SLIDER_VALUES[value]),
                        share=float(weight_vector(dict(zip(CRITERION_IDS, new, strict=True)))[criterion]),
                        rank_before=rank_now, rank_after=int(ranks[index]))


def what_if(matrix: pd.DataFrame, weights: dict[str, float], company_id: int, top_k: int,
            method: Method = "wsm") -> WhatIf:
    """Try every slider value of every criterion, one at a time, and report the smallest useful moves.

    `matrix` is the filtered criteria matrix the ranking is computed on (lib.scoring.criteria_matrix)
    and `weights` the raw slider values. 8 criteria x 101 values is one matrix product. Among equal
    moves the better resulting rank wins. Raises KeyError if the company is not in `matrix`.
    """
    raw = np.array([float(weights.get(cid, 0.0)) for cid in CRITERION_IDS])
    m, v = len(raw), len(SLIDER_VALUES)
    grid = np.repeat(raw[None, :], m * v, axis=0)
    for i in range(m):
        grid[i * v:(i + 1) * v, i] = SLIDER_VALUES
    usable = grid.sum(axis=1) > 0  # all sliders at 0 is not a valid setting
    ranks = np.full(m * v, np.iinfo(np.int64).max)
    ranks[usable] = ranks_of(matrix, company_id, grid[usable], method)
    rank_now = int(ranks_of(matrix, company_id, raw[None, :], method)[0])
    moves = np.abs(np.tile(SLIDER_VALUES, m) - np.repeat(raw, v))
    into = None
    feasible = np.flatnonzero(ranks <= top_k)
    if rank_now > top_k and len(feasible):
        into = _change(grid, ranks, int(feasible[np.lexsort((ranks[feasible], moves[feasible]))[0]]), raw, rank_now)
    best = None
    if ranks.min() < rank_now:
        best = _change(grid, ranks, int(np.lexsort((moves, ranks))[0]), raw, rank_now)
    return WhatIf(top_k=top_k, rank_now=rank_now, into_top_k=into, best_move=best)


def current_rank(matrix: pd.DataFrame, weights: dict[str, float], company_id: int,
                 method: Method = "wsm") -> int:
    """The company's rank at the given slider values (same ordering as the ranked table)."""
    raw = np.array([[float(weights.get(cid, 0.0)) for cid in CRITERION_IDS]])
    return int(ranks_of(matrix, company_id, raw, method)[0])


def what_if_text(result: WhatIf, criterion_label: dict[str, str]) -> str:
    """The what-if in one or two sentences for the profile page (labels already translated)."""
    def move(change: WeightChange) -> dict[str, object]:
        return {"criterion": criterion_label[change.criterion_id], "from": fmt_number(change.from_weight),
                "to": change.to_weight, "share": fmt_percent(change.share), "new": change.rank_after,
                "k": result.top_k, "rank": result.rank_now}

    if result.rank_now <= result.top_k:
        return _("Rank %(rank)d: already in the top %(k)d.") % {"rank": result.rank_now, "k": result.top_k}
    if result.into_top_k is not None:
        return _("Rank %(rank)d now. Moving the %(criterion)s slider from %(from)s to %(to)d (%(share)s of the "
                 "total) would lift it to rank %(new)d, into the top %(k)d; no smaller single change does.") \
            % move(result.into_top_k)
    text = _("Rank %(rank)d now. No single weight change within 0-100 brings it into the top %(k)d.") \
        % {"rank": result.rank_now, "k": result.top_k}
    if result.best_move is None:
        return text + " " + _("No single weight change improves its rank.")
    return text + " " + _("The most one change can do: the %(criterion)s slider from %(from)s to %(to)d "
                          "(%(share)s of the total) lifts it to rank %(new)d.") % move(result.best_move)
