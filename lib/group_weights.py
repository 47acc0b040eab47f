"""Several officials, one weighting: AHP with its consistency ratio, swing weights, and pooling (AIJ / AIP).

AHP (Saaty): a positive reciprocal matrix A of pairwise judgements (a_ij = how much more criterion i matters
than j, a_ji = 1/a_ij). Weights = the principal eigenvector of A, normalised to sum 1. Consistency:
CI = (lambda_max - n) / (n - 1), CR = CI / RI(n), with RI from Donegan and Dodd (1991), the table ahpy uses
by default; CR above 0.10 asks for a review, and the judgement that deviates most from the weights
(|log(a_ij w_j / w_i)| largest) is named.
Swing weighting: each criterion's swing from worst to best is rated 0-100, the most valuable swing 100;
weights = ratings / their sum (n-1 judgements instead of n(n-1)/2).
Pooling (Forman and Peniwati 1998): AIJ, the element-wise geometric mean of the individual matrices, for a
group acting as one (it keeps reciprocity); AIP, the normalised geometric mean of the individual weights, for
separate individuals. A participant who gave sliders or swings is pooled through the consistent matrix of
their weights (a_ij = w_i / w_j), so both methods take every participant.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    import pandas as pd

from lib.criteria import CRITERION_IDS

# Donegan and Dodd (1991) random indices, as ahpy (the default 'dd' table).
RANDOM_INDEX: dict[int, float] = {3: 0.4914, 4: 0.8286, 5: 1.0591, 6: 1.1797, 7: 1.2519, 8: 1.3171, 9: 1.3733,
                                  10: 1.4055, 11: 1.4213, 12: 1.4497, 13: 1.4643, 14: 1.4822, 15: 1.4969}
CR_LIMIT = 0.10
SAATY_SCALE: tuple[float, ...] = (1 / 9, 1 / 7, 1 / 5, 1 / 3, 1.0, 3.0, 5.0, 7.0, 9.0)
Mode = Literal["sliders", "swing", "ahp"]
MODES: tuple[Mode, ...] = ("sliders", "swing", "ahp")
MODE_LABELS: dict[str, str] = {"sliders": "Sliders (a weight per criterion)",
                               "swing": "Swing weighting (rate each criterion's swing against the best, 0-100)",
                               "ahp": "Pairwise comparisons (AHP)"}
PoolMethod = Literal["judgements", "priorities"]
POOL_LABELS: dict[str, str] = {
    "judgements": "Aggregate the judgements (AIJ): the group acts as one body and owns one set of judgements",
    "priorities": "Aggregate the priorities (AIP): separate officials, each with their own view",
}


@dataclass(frozen=True)
class AhpResult:
    """Weights of one pairwise matrix and how consistent it is."""

    weights: np.ndarray
    lambda_max: float
    consistency_index: float
    consistency_ratio: float
    worst_pair: tuple[int, int] | None  # the judgement to review (row, column), None when consistent enough

    @property
    def acceptable(self) -> bool:
        return self.consistency_ratio <= CR_LIMIT


def random_index(n: int) -> float:
    """RI(n), interpolated between tabled sizes as ahpy does; 0 for n < 3 (always consistent)."""
    if n < 3:
        return 0.0
    if n in RANDOM_INDEX:
        return RANDOM_INDEX[n]
    sizes = tuple(RANDOM_INDEX)
    low = sizes[max(bisect.bisect_left(sizes, n) - 1, 0)]
    high = sizes[min(bisect.bisect_right(sizes, n), len(sizes) - 1)]
    if high == low:
        return RANDOM_INDEX[high]
    return RANDOM_INDEX[low] + (RANDOM_INDEX[high] - RANDOM_INDEX[low]) * (n - low) / (high - low)


def check_reciprocal(matrix: np.ndarray) -> np.ndarray:
    """A positive reciprocal square matrix as floats, or ValueError saying what is wrong."""
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"a pairwise matrix must be square, got {a.shape}")
    if not np.all(np.isfinite(a)) or (a <= 0).any():
        raise ValueError("every judgement must be a positive number")
    if not np.allclose(a * a.T, 1.0, rtol=1e-6):
        i, j = np.unravel_index(np.argmax(np.abs(a * a.T - 1)), a.shape)
        raise ValueError(f"the matrix is not reciprocal: a[{i + 1},{j + 1}] = {a[i, j]:g} but "
                         f"a[{j + 1},{i + 1}] = {a[j, i]:g} (it must be {1 / a[i, j]:g})")
    return a


def ahp(matrix: np.ndarray) -> AhpResult:
    """Principal-eigenvector weights, lambda_max, CI and CR (Donegan-Dodd RI), and the judgement to review."""
    a = check_reciprocal(matrix)
    n = len(a)
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    lam = float(values[k].real)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    cr = abs(ci / random_index(n)) if n > 2 else 0.0
    worst = None
    if cr > CR_LIMIT:
        deviation = np.abs(np.log(a * np.outer(1 / w, w)))
        deviation[np.tril_indices(n)] = -1
        i, j = np.unravel_index(int(np.argmax(deviation)), a.shape)
        worst = (int(i), int(j))
    return AhpResult(w, lam, float(ci), float(cr), worst)


def matrix_from_pairs(judgements: dict[str, float], criteria: tuple[str, ...] = CRITERION_IDS) -> np.ndarray:
    """The reciprocal matrix from upper-triangle judgements keyed "a|b" (how much more a matters than b)."""
    n = len(criteria)
    index = {c: i for i, c in enumerate(criteria)}
    a = np.ones((n, n))
    for key, value in judgements.items():
        left, right = key.split("|")
        i, j = index[left], index[right]
        a[i, j], a[j, i] = float(value), 1.0 / float(value)
    return a


def pairs(criteria: tuple[str, ...] = CRITERION_IDS) -> list[tuple[str, str]]:
    """Every pair once, in criterion order: the n(n-1)/2 questions of AHP."""
    return list(itertools.combinations(criteria, 2))


def swing_weights(ratings: dict[str, float]) -> dict[str, float]:
    """Swing ratings (the best swing 100, the others relative to it) normalised to weights summing to 1."""
    values = {c: float(ratings.get(c, 0.0)) for c in CRITERION_IDS}
    if any(v < 0 or v > 100 for v in values.values()):
        raise ValueError("swing ratings run from 0 to 100")
    if max(values.values()) <= 0:
        raise ValueError("at least one criterion needs a swing above 0")
    total = sum(values.values())
    return {c: v / total for c, v in values.items()}


def consistent_matrix(weights: np.ndarray) -> np.ndarray:
    """a_ij = w_i / w_j: the judgements that weights imply (zero weights get a tiny floor to stay positive)."""
    w = np.maximum(np.asarray(weights, dtype=float), 1e-6)
    return np.outer(w, 1 / w)


def pool_judgements(matrices: list[np.ndarray]) -> np.ndarray:
    """AIJ: the element-wise geometric mean of reciprocal matrices (itself reciprocal)."""
    stack = np.stack([check_reciprocal(m) for m in matrices])
    return np.exp(np.log(stack).mean(axis=0))


def pool_priorities(weights: list[np.ndarray]) -> np.ndarray:
    """AIP: the geometric mean of the individual weight vectors, normalised to sum 1."""
    stack = np.maximum(np.stack([np.asarray(w, dtype=float) for w in weights]), 1e-6)
    g = np.exp(np.log(stack).mean(axis=0))
    return g / g.sum()


class Submission(BaseModel):
    """One participant's weighting as submitted to a round."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    participant: str = Field(min_length=1, max_length=120)
    mode: Mode
    sliders: dict[str, float] | None = None  # 0-100 per criterion
    swings: dict[str, float] | None = None  # 0-100 per criterion, the best 100
    judgements: dict[str, float] | None = None  # "a|b" -> Saaty value 1/9 ... 9

    @field_validator("sliders", "swings")
    @classmethod
    def _criteria(cls, values: dict[str, float] | None) -> dict[str, float] | None:
        if values is None:
            return None
        unknown = set(values) - set(CRITERION_IDS)
        if unknown:
            raise ValueError(f"unknown criterion {sorted(unknown)[0]!r}")
        if any(not 0 <= v <= 100 for v in values.values()):
            raise ValueError("values run from 0 to 100")
        if sum(values.values()) <= 0:
            raise ValueError("at least one criterion needs a value above 0")
        return values

    @field_validator("judgements")
    @classmethod
    def _judgements(cls, values: dict[str, float] | None) -> dict[str, float] | None:
        if values is None:
            return None
        valid = {f"{a}|{b}" for a, b in pairs()}
        out: dict[str, float] = {}
        for key, value in values.items():
            if not 1 / 9 - 1e-9 <= float(value) <= 9 + 1e-9:
                raise ValueError("judgements run from 1/9 to 9")
            if key in valid:
                out[key] = float(value)
            elif "|".join(reversed(key.split("|"))) in valid:  # "b|a" given: store it as "a|b" = 1 / value
                out["|".join(reversed(key.split("|")))] = 1.0 / float(value)
            else:
                raise ValueError(f"unknown comparison {key!r}")
        return out

    def matrix(self) -> np.ndarray:
        """The participant's judgements as a reciprocal matrix (consistent ones for sliders and swings)."""
        if self.mode == "ahp":
            return matrix_from_pairs(self.judgements or {})
        return consistent_matrix(self.weight_vector())

    def weight_vector(self) -> np.ndarray:
        """Weights in criterion order, summing to 1."""
        if self.mode == "ahp":
            return ahp(self.matrix()).weights
        values = self.sliders if self.mode == "sliders" else self.swings
        raw = np.array([float((values or {}).get(c, 0.0)) for c in CRITERION_IDS])
        if raw.sum() <= 0:
            raise ValueError(f"{self.participant} gave no weight above 0")
        return raw / raw.sum()

    def consistency_ratio(self) -> float | None:
        return ahp(self.matrix()).consistency_ratio if self.mode == "ahp" else None


def pooled_weights(submissions: list[Submission], method: PoolMethod) -> np.ndarray:
    """The group's weights from every submission, by AIJ or AIP."""
    if not submissions:
        raise ValueError("nobody has submitted yet")
    if method == "judgements":
        return ahp(pool_judgements([s.matrix() for s in submissions])).weights
    return pool_priorities([s.weight_vector() for s in submissions])


def spread(submissions: list[Submission]) -> dict[str, tuple[float, float, float]]:
    """Per criterion: the lowest, median and highest weight among the participants."""
    stack = np.stack([s.weight_vector() for s in submissions])
    return {c: (float(stack[:, i].min()), float(np.median(stack[:, i])), float(stack[:, i].max()))
            for i, c in enumerate(CRITERION_IDS)}


def top_k_by_participant(matrix: pd.DataFrame, weight_rows: dict[str, np.ndarray], k: int = 10) -> dict[str, list]:
    """Each participant's top k company names by weighted sum (same criteria matrix, their weights)."""
    from lib.scoring import scores_for_weights

    x = matrix[list(CRITERION_IDS)].to_numpy(dtype=float)
    names = matrix["name"].to_numpy()
    scores = scores_for_weights(x, np.stack(list(weight_rows.values())), "wsm")
    return {who: list(names[np.argsort(-row, kind="stable")[:k]]) for who, row in zip(weight_rows, scores,
                                                                                    strict=True)}


def top_k_share(matrix: pd.DataFrame, weight_rows: list[np.ndarray], k: int = 10) -> pd.DataFrame:
    """Per company, the share of participants whose weights put it in the top k (competition ranks, as the
    robustness analysis counts them); only companies with a share above 0, highest first."""

    from lib.scoring import competition_ranks, scores_for_weights

    x = matrix[list(CRITERION_IDS)].to_numpy(dtype=float)
    scores = scores_for_weights(x, np.stack(weight_rows), "wsm")
    inside = np.stack([competition_ranks(row) <= k for row in scores])
    out = matrix[["company_id", "name"]].assign(share=inside.mean(axis=0))
    return out[out["share"] > 0].sort_values(["share", "name"], ascending=[False, True]).reset_index(drop=True)
