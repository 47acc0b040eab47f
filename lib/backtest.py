"""Would the ranking have found the companies that came? A back-test against recorded outcomes.

Arrivals are the companies with an outcome that put something in Kazakhstan (new entity, new site, office
or staff moved, expansion of an earlier presence), at the evidence levels chosen. Every other ranked company
counts as not (yet) arrived: the test measures how far up the ranking the arrivals sit.

Point in time: an arrival is scored on what was known before its outcome. A Kazakhstan presence that began
in or after the outcome's year is the outcome itself, not a reason for it, and is removed; so is a presence
whose start year is unknown (it may be the outcome: the conservative choice, listed as undated). A Russian
production state dated after the outcome is replaced by the latest state dated before it, or removed.

AUC = P(score of an arrival > score of a non-arrival), ties counted half (Mann-Whitney U / n1 n0).
Precision@k = arrivals among the first k rows of the ranked table / k; recall@k = / number of arrivals.
Intervals: 2.5th-97.5th percentile of B bootstrap resamples, arrivals and non-arrivals resampled separately
(stratified), ranks held fixed; with 10-40 arrivals they are wide, and that is the honest answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from lib import likelihood as lk
from lib.criteria import CRITERIA, CRITERION_IDS
from lib.elicitation import PRESETS
from lib.evidence import PRODUCTION_STATES, period_date
from lib.incentives.offers import incentive_frame
from lib.models import FactsMode, Filters, ScoringSettings
from lib.outcomes import ARRIVALS, EVIDENCE_LEVELS, EvidenceLevel, OutcomeKind, outcome_year
from lib.radar import Universe
from lib.scoring import criteria_matrices, criteria_values, filter_mask, rank_companies

KS: tuple[int, ...] = (10, 50, 100)
VALIDATION_BOOTSTRAP = 200


class BacktestSettings(BaseModel):
    """Which outcomes count as arrivals, which facts the ranking may use, how many bootstrap samples."""

    model_config = ConfigDict(extra="forbid")

    arrivals: list[OutcomeKind] = Field(default_factory=lambda: list(ARRIVALS), min_length=1)
    evidence: list[EvidenceLevel] = Field(default_factory=lambda: list(EVIDENCE_LEVELS), min_length=1)
    facts: FactsMode = "point-in-time"
    bootstrap: int = Field(default=1000, ge=50, le=20_000)
    seed: int = 0


def arrivals(outcomes: pd.DataFrame, settings: BacktestSettings) -> pd.DataFrame:
    """One row per matched arrival: company_id, company, first outcome date and year, what happened, evidence."""
    chosen = outcomes[outcomes["outcome"].isin(settings.arrivals) & outcomes["evidence_level"].isin(settings.evidence)
                      & outcomes["company_id"].notna()]
    if chosen.empty:
        return pd.DataFrame(columns=["company_id", "company", "outcome_date", "year", "outcomes", "evidence"])
    chosen = chosen.assign(company_id=chosen["company_id"].astype(int), sort=chosen["outcome_date"].fillna("9999"))
    grouped = chosen.sort_values("sort").groupby("company_id")
    out = pd.DataFrame({
        "company": grouped["company"].first(),
        "outcome_date": grouped["outcome_date"].first(),
        "outcomes": grouped["outcome"].agg(lambda s: ", ".join(dict.fromkeys(s))),
        "evidence": grouped["evidence_level"].agg(lambda s: ", ".join(dict.fromkeys(s))),
    }).reset_index()
    out["year"] = out["outcome_date"].map(outcome_year)
    return out


def point_in_time(companies: pd.DataFrame, facts: pd.DataFrame,
                  came: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The companies table as the arrivals looked before their outcome, and the facts that could not be dated."""
    out = companies.copy()
    undated: list[str] = []
    index = out.reset_index().set_index("company_id")["index"]
    for row in came.itertuples():
        at = index.get(row.company_id)
        if at is None:
            continue
        company = out.loc[at]
        presence, since = company["kazakhstan_presence"], company["kazakhstan_presence_since"]
        if isinstance(presence, str) and presence not in ("none_found",):
            if pd.isna(since):
                undated.append(f"{row.company}: Kazakhstan presence ({presence}) has no start year; left out")
                out.loc[at, "kazakhstan_presence"] = None
            elif row.year is not None and int(since) >= row.year:
                out.loc[at, "kazakhstan_presence"] = None  # the outcome itself
        state, when = company["russia_production"], company["russia_production_date"]
        cutoff = row.outcome_date or ""
        if isinstance(state, str) and cutoff and isinstance(when, str) and when[:len(cutoff)] > cutoff:
            earlier = facts[(facts["company_id"] == row.company_id) & (facts["fact"] == "russia_production")
                            & facts["state"].isin(PRODUCTION_STATES)]
            earlier = earlier[[0 < len(period_date(p)) and period_date(p) <= cutoff for p in earlier["period"]]]
            if earlier.empty:
                undated.append(f"{row.company}: no Russian production state dated before {cutoff}; left out")
                out.loc[at, "russia_production"] = None
            else:
                best = earlier.iloc[int(np.argmax([period_date(p) for p in earlier["period"]]))]
                out.loc[at, "russia_production"] = best["state"]
    return out, undated


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve: P(arrival scores above a non-arrival), ties counted half."""
    positive = np.asarray(positive, dtype=bool)
    n1, n0 = int(positive.sum()), int((~positive).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    from scipy.stats import rankdata  # here: the Rank page's likelihood fit needs none of scipy.stats

    ranks = rankdata(scores)  # average ranks: a tie counts half
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


@dataclass
class Evaluation:
    """How one ranking does against the arrivals: AUC, precision and recall at k, with bootstrap intervals."""

    name: str
    auc: float
    auc_low: float
    auc_high: float
    precision: dict[int, float]
    precision_low: dict[int, float]
    precision_high: dict[int, float]
    recall: dict[int, float]

    def row(self) -> dict[str, object]:
        out: dict[str, object] = {"ranking": self.name, "auc": self.auc, "auc_low": self.auc_low,
                                  "auc_high": self.auc_high}
        for k in self.precision:
            out |= {f"p_at_{k}": self.precision[k], f"p_at_{k}_low": self.precision_low[k],
                    f"p_at_{k}_high": self.precision_high[k], f"r_at_{k}": self.recall[k]}
        return out


def evaluate(name: str, scores: np.ndarray, positions: np.ndarray, positive: np.ndarray, settings: BacktestSettings,
             ks: tuple[int, ...] = KS) -> Evaluation:
    """AUC from scores; precision/recall at k from table positions (1 = first row); stratified bootstrap."""
    positive = np.asarray(positive, dtype=bool)
    pos_idx, neg_idx = np.flatnonzero(positive), np.flatnonzero(~positive)
    n1 = len(pos_idx)
    precision = {k: float((positions[pos_idx] <= k).sum() / k) for k in ks}
    recall = {k: float((positions[pos_idx] <= k).sum() / n1) if n1 else float("nan") for k in ks}
    rng = np.random.default_rng(settings.seed)
    aucs, precs = [], {k: [] for k in ks}
    if n1:
        for _sample in range(settings.bootstrap):
            p = rng.choice(pos_idx, n1)
            q = rng.choice(neg_idx, len(neg_idx))
            both = np.concatenate([p, q])
            aucs.append(auc(scores[both], np.r_[np.ones(n1, bool), np.zeros(len(q), bool)]))
            for k in ks:
                precs[k].append((positions[p] <= k).sum() / k)

    def pct(values: list[float], q: float) -> float:
        return float(np.percentile(values, q)) if values else float("nan")

    return Evaluation(name, auc(scores, positive), pct(aucs, 2.5), pct(aucs, 97.5), precision,
                      {k: pct(precs[k], 2.5) for k in ks}, {k: pct(precs[k], 97.5) for k in ks}, recall)


def random_baseline(positive: np.ndarray, settings: BacktestSettings, ks: tuple[int, ...] = KS) -> Evaluation:
    """A ranking in random order: expected AUC 0.5 and precision@k = arrivals / companies; the interval is
    where 95% of random orders of these companies land (B permutations)."""
    positive = np.asarray(positive, dtype=bool)
    n, n1 = len(positive), int(positive.sum())
    rng = np.random.default_rng(settings.seed)
    aucs, precs = [], {k: [] for k in ks}
    for _sample in range(settings.bootstrap):
        order = rng.permutation(n)  # order[i]: the position - 1 of company i
        aucs.append(auc(-order.astype(float), positive))
        for k in ks:
            precs[k].append((order[positive] < k).sum() / k)
    expected = {k: n1 / n if n else float("nan") for k in ks}
    return Evaluation("Random order (expected)", 0.5, float(np.percentile(aucs, 2.5)), float(np.percentile(aucs, 97.5)),
                      expected, {k: float(np.percentile(precs[k], 2.5)) for k in ks},
                      {k: float(np.percentile(precs[k], 97.5)) for k in ks},
                      {k: min(k, n) / n if n else float("nan") for k in ks})


def learn_weights(x: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> np.ndarray:
    """Non-negative weights summing to 1 that best separate arrivals (logistic regression on the simplex).

    w = softmax(theta); P(arrival) = sigmoid(a * x.w + b); minimise the mean log-loss, classes weighted
    equally (arrivals are rare), plus a small ridge on theta so weights that do not matter stay even.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    m = x.shape[1]
    weight = np.where(y > 0, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1))

    def loss(params: np.ndarray) -> float:
        theta, a, b = params[:m], np.exp(params[m]), params[m + 1]
        w = np.exp(theta - theta.max())
        w /= w.sum()
        z = a * (x @ w) + b
        return float((weight * (np.logaddexp(0, z) - y * z)).sum() + l2 * (theta**2).sum())

    start = np.r_[np.zeros(m), np.log(5.0), -2.0]
    from scipy.optimize import minimize

    fit = minimize(loss, start, method="L-BFGS-B")
    theta = fit.x[:m]
    w = np.exp(theta - theta.max())
    return w / w.sum()


def leave_one_out_auc(x: np.ndarray, y: np.ndarray) -> float:
    """Leave-one-arrival-out AUC: each arrival is scored by weights fitted without it, against every other
    company (scored by the same fit). Shows how much of the in-sample AUC is overfitting."""
    y = np.asarray(y, dtype=bool)
    shares = []
    for i in np.flatnonzero(y):
        keep = np.ones(len(y), bool)
        keep[i] = False
        w = learn_weights(x[keep], y[keep])
        scores = x @ w
        negatives = scores[~y]
        shares.append(((negatives < scores[i]).sum() + 0.5 * (negatives == scores[i]).sum()) / len(negatives))
    return float(np.mean(shares)) if shares else float("nan")


@dataclass
class Backtest:
    """Everything the back-test view and the CLI show."""

    arrivals: pd.DataFrame  # company_id, company, outcome_date, rank, score, in ranking...
    unranked: list[str]  # arrivals that are not among the ranked companies (not a candidate, filtered out)
    evaluations: pd.DataFrame  # one row per ranking: current view, random, size alone, each criterion, presets...
    separation: pd.DataFrame  # per criterion: mean for arrivals and the rest, AUC alone, share unknown
    learned: dict[str, float]  # learned weights (sum 1)
    learned_auc: float
    learned_loo_auc: float
    undated: list[str] = field(default_factory=list)
    n_ranked: int = 0
    # Out-of-sample validation of the likelihood and the expected-value order beside every baseline: one row per
    # (split, ranking); splits "leave_one_out" and "time_split"; `splits_note` says why a split shows no figure.
    validation: pd.DataFrame = field(default_factory=pd.DataFrame)
    splits_note: dict[str, str] = field(default_factory=dict)
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)
    model_weights: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Per feature group: the likelihood's leave-one-out AUC with and without it (feature_group_trials).
    feature_groups: pd.DataFrame = field(default_factory=pd.DataFrame)


def feature_group_trials(x: pd.DataFrame, positive: np.ndarray, seed: int = lk.SEED) -> pd.DataFrame:
    """Why the model reads what it reads: each group of facts added to the model (or, for a group it reads, taken
    out) and the leave-one-arrival-out AUC with and without it, on the same folds."""
    model_auc = auc(lk.leave_one_arrival_out(x, positive, seed), positive)
    rows = []
    for group, label in lk.FEATURE_GROUP_LABELS.items():
        if not lk.model_columns(x.columns, (group,)):
            continue
        used = group in lk.MODEL_GROUPS
        other = tuple(g for g in lk.MODEL_GROUPS if g != group) if used else (*lk.MODEL_GROUPS, group)
        other_auc = auc(lk.leave_one_arrival_out(x, positive, seed, groups=other), positive)
        with_it, without = (model_auc, other_auc) if used else (other_auc, model_auc)
        rows.append({"group": group, "label": label, "in_model": used, "auc_with": with_it,
                     "auc_without": without, "gain": with_it - without})
    return pd.DataFrame(rows, columns=["group", "label", "in_model", "auc_with", "auc_without", "gain"])


def positions_of(scores: np.ndarray) -> np.ndarray:
    """Table position (1 = first) of each score, highest first, ties in row order."""
    order = np.lexsort((np.arange(len(scores)), -np.asarray(scores, dtype=float)))
    positions = np.empty(len(scores), dtype=np.int64)
    positions[order] = np.arange(1, len(scores) + 1)
    return positions


def training_set(universe: Universe, facts: pd.DataFrame, outcomes: pd.DataFrame,
                 filters: Filters | None = None,
                 backtest: BacktestSettings | None = None) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, pd.Series]:
    """The ranked companies as known before each arrival (point in time), their features, labels and the
    arrival dates (empty for the others), in the companies' order."""
    backtest = backtest or BacktestSettings()
    came = arrivals(outcomes, backtest)
    companies, _undated = point_in_time(universe.companies, facts, came)
    kept = companies[filter_mask(companies, filters or Filters())]
    y = kept["company_id"].isin(set(came["company_id"])).to_numpy()
    dates = kept["company_id"].map(came.set_index("company_id")["outcome_date"]).fillna("")
    return kept, lk.feature_frame(kept), y, dates


def fit_likelihood(universe: Universe, facts: pd.DataFrame, outcomes: pd.DataFrame,
                   filters: Filters | None = None) -> tuple[lk.LikelihoodModel, pd.Series]:
    """The model fitted on every recorded arrival, and each candidate's likelihood on today's facts (by
    company_id). Fitted on the candidates of the default filters, whatever the view filters."""
    _kept, x, y, _dates = training_set(universe, facts, outcomes)
    model = lk.fit(x, y)
    now = universe.companies[filter_mask(universe.companies, filters or Filters())]
    features = lk.feature_frame(now).reindex(columns=x.columns, fill_value=0.0)
    return model, pd.Series(model.probability(features), index=now["company_id"].to_numpy(), name="likelihood")


def run_backtest(universe: Universe, facts: pd.DataFrame, outcomes: pd.DataFrame, settings: ScoringSettings,
                 filters: Filters | None = None, backtest: BacktestSettings | None = None) -> Backtest:
    """Rank (point in time or current facts), then measure where the arrivals land, beside the baselines."""
    backtest = backtest or BacktestSettings()
    filters = filters or Filters()
    came = arrivals(outcomes, backtest)
    companies, undated = (point_in_time(universe.companies, facts, came) if backtest.facts == "point-in-time"
                          else (universe.companies, []))
    # The investment estimate, hence the incentive fit, follows the facts known at the time too.
    incentives = incentive_frame(companies, universe.offers, universe.assumptions)
    values = criteria_values(companies, incentives["incentive_value_usd_m"])
    ranking = rank_companies(companies, values, settings, filters).table
    positions = np.arange(1, len(ranking) + 1)
    positive = ranking["company_id"].isin(set(came["company_id"])).to_numpy()
    ranked = came.merge(ranking[["company_id", "rank", "tied", "score"]], on="company_id", how="left")
    unranked = sorted(ranked.loc[ranked["rank"].isna(), "company"])

    baseline_scores: dict[str, tuple[str, str | None, np.ndarray]] = {}

    def by_weights(name: str, weights: dict[str, float], kind: str = "", key: str | None = None) -> Evaluation:
        """The same companies ranked by other weights (weighted sum); a company another missing-data rule
        drops counts as last."""
        view = ScoringSettings(weights=weights, method="wsm", missing=settings.missing)
        table = rank_companies(companies, values, view, filters).table
        score = table.set_index("company_id")["score"].reindex(ranking["company_id"]).fillna(-1.0)
        position = pd.Series(np.arange(1, len(table) + 1), index=table["company_id"]).reindex(
            ranking["company_id"]).fillna(len(ranking) + 1)
        if kind:
            baseline_scores[name] = (kind, key, score.to_numpy())
        return evaluate(name, score.to_numpy(), position.to_numpy(), positive, backtest)

    rows = [evaluate("Current view", ranking["score"].to_numpy(), positions, positive, backtest),
            random_baseline(positive, backtest)]
    for criterion in CRITERIA:
        one = {cid: 100.0 if cid == criterion.id else 0.0 for cid in CRITERION_IDS}
        rows.append(by_weights(f"{criterion.label} alone", one, "criterion", criterion.id))
    for preset in PRESETS:
        rows.append(by_weights(f"Preset: {preset.label}", {k: float(v) for k, v in preset.weights.items()},
                               "preset", preset.id))

    matrix, unknown = criteria_matrices(companies, values, settings, filters)
    y = matrix["company_id"].isin(set(came["company_id"])).to_numpy()
    x = matrix[list(CRITERION_IDS)].to_numpy(dtype=float)
    learned = learn_weights(x, y) if y.any() else np.full(len(CRITERION_IDS), 1 / len(CRITERION_IDS))
    learned_weights = {cid: float(w) for cid, w in zip(CRITERION_IDS, learned, strict=True)}
    rows.append(by_weights("Learned from outcomes (in-sample)", {k: v * 100 for k, v in learned_weights.items()}))
    loo = leave_one_out_auc(x, y) if y.sum() >= 3 else float("nan")

    separation = pd.DataFrame({
        "criterion_id": list(CRITERION_IDS),
        "criterion": [c.label for c in CRITERIA],
        "arrivals_mean": [float(x[y, i].mean()) if y.any() else np.nan for i in range(len(CRITERION_IDS))],
        "others_mean": [float(x[~y, i].mean()) for i in range(len(CRITERION_IDS))],
        "auc_alone": [auc(x[:, i], y) for i in range(len(CRITERION_IDS))],
        "arrivals_unknown": [float(unknown[cid].to_numpy()[y].mean()) if y.any() else np.nan
                             for cid in CRITERION_IDS],
        "others_unknown": [float(unknown[cid].to_numpy()[~y].mean()) for cid in CRITERION_IDS],
    })
    evaluations = pd.DataFrame([r.row() for r in rows])
    # What each row is, so a page can name it in the reader's language.
    evaluations.insert(0, "kind", ["view", "random", *["criterion"] * len(CRITERIA), *["preset"] * len(PRESETS),
                                   "learned"])
    evaluations.insert(1, "key", [None, None, *CRITERION_IDS, *(p.id for p in PRESETS), None])
    result = Backtest(ranked, unranked, evaluations, separation, learned_weights,
                      float(evaluations.iloc[-1]["auc"]), loo, undated, len(ranking))
    validate_likelihood(result, companies, ranking, positive, baseline_scores, came, backtest)
    return result


def validate_likelihood(result: Backtest, companies: pd.DataFrame, ranking: pd.DataFrame, positive: np.ndarray,
                        baselines: dict[str, tuple[str, str | None, np.ndarray]], came: pd.DataFrame,
                        backtest: BacktestSettings) -> None:
    """Leave-one-arrival-out and time-split figures of the likelihood and of the expected-value order (its
    out-of-sample likelihood × the view's value), beside random, the view's value, every criterion and preset
    on the same held-out companies."""
    # 36 rankings per split: intervals from at most 200 resamples each (coarser, 5x faster than the view's 1,000).
    backtest = backtest.model_copy(update={"bootstrap": min(backtest.bootstrap, VALIDATION_BOOTSTRAP)})
    rows_of = companies.reset_index(drop=True).set_index("company_id")
    kept = rows_of.loc[ranking["company_id"]].reset_index()
    x = lk.feature_frame(kept)
    value = ranking["score"].to_numpy(dtype=float)
    dates = kept["company_id"].map(came.set_index("company_id")["outcome_date"]).fillna("")
    rows: list[dict[str, object]] = []

    def add(split: str, name: str, kind: str, key: str | None, scores: np.ndarray, mask: np.ndarray) -> None:
        held = evaluate(name, scores[mask], positions_of(scores[mask]), positive[mask], backtest)
        rows.append({"split": split, "kind": kind, "key": key, **held.row(),
                     "arrivals": int(positive[mask].sum()), "companies": int(mask.sum())})

    def compare(split: str, probability: np.ndarray, mask: np.ndarray) -> None:
        add(split, "Expected value (likelihood × value)", "expected", None, probability * value, mask)
        add(split, "Likelihood of coming", "likelihood", None, probability, mask)
        add(split, "Value to Kazakhstan (current view)", "view", None, value, mask)
        random = random_baseline(positive[mask], backtest)
        rows.append({"split": split, "kind": "random", "key": None, **random.row(),
                     "arrivals": int(positive[mask].sum()), "companies": int(mask.sum())})
        for name, (kind, key, scores) in baselines.items():
            add(split, name, kind, key, scores, mask)

    notes: dict[str, str] = {}
    if positive.sum() >= lk.MIN_ARRIVALS:
        oof = lk.leave_one_arrival_out(x, positive, backtest.seed)
        compare("leave_one_out", oof, np.ones(len(positive), bool))
        result.calibration = lk.calibration(oof, positive)
        result.feature_groups = feature_group_trials(x, positive, backtest.seed)
    else:
        notes["leave_one_out"] = (f"{int(positive.sum())} arrivals: too few to hold one out and fit on the rest "
                                  f"(at least {lk.MIN_ARRIVALS} needed)")
    split = lk.time_split(x, positive, dates, seed=backtest.seed)
    if split is None:
        notes["time_split"] = (f"Too few arrivals dated up to {lk.TIME_SPLIT} or after it (at least "
                               f"{lk.MIN_ARRIVALS} on each side needed)")
    else:
        mask, probability = split
        full = np.zeros(len(positive))
        full[mask] = probability
        compare("time_split", full, mask)
    result.validation = pd.DataFrame(rows)
    result.splits_note = notes
    result.model_weights = lk.fit(x, positive).weights()
