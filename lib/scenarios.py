"""Named scenarios (weights, method, missing-data policy, filters) saved in the store, and their comparison.

Saving and deleting change shared data: editors only, checked here, in one audited transaction.
Comparing two scenarios ranks the universe under each and reports how the top N moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from lib.auth import User, require_editor
from lib.criteria import CRITERIA
from lib.i18n import N_, _
from lib.radar import Universe
from lib.scoring import rank_companies
from lib.store import Store
from lib.viewstate import METHOD_LABELS, ViewState

# How a company moved between two scenarios' top N: the comparison table and the slope chart use the same words.
MOVEMENT_LABELS: dict[str, str] = {"entered": N_("Entered the top"), "left": N_("Left the top"),
                                   "stayed": N_("Stayed in the top")}

Movement = Literal["entered", "left", "stayed"]


class ScenarioExists(ValueError):
    """A scenario with that name exists and the caller did not ask to replace it."""


class ScenarioCreate(BaseModel):
    """What an editor submits: a name, an optional note, and the view."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    note: str | None = Field(default=None, max_length=500)
    view: ViewState


class Scenario(ScenarioCreate):
    """A saved scenario as read back from the store."""

    scenario_id: int
    created_by: str
    created_at: datetime


def save_scenario(store: Store, user: User, name: str, view: ViewState, note: str | None = None,
                  replace: bool = False) -> Scenario:
    """Save the view under `name` (editors only); with replace=True an existing one is overwritten."""
    require_editor(user, _("save a scenario"))
    new = ScenarioCreate(name=name, note=note or None, view=view.scoring_part())
    now = datetime.now()
    view_json = new.view.model_dump_json()
    with store.transaction(ranking=False) as cur:
        old = cur.execute("SELECT scenario_id, view, note, created_by FROM scenarios WHERE name = ?",
                          [new.name]).fetchone()
        if old is not None and not replace:
            raise ScenarioExists(_("A scenario named “%(name)s” exists already; choose another name or "
                                   "replace it.") % {"name": new.name})
        if old is None:
            scenario_id = cur.execute(
                "INSERT INTO scenarios (name, created_by, created_at, view, note) VALUES (?, ?, ?, ?, ?) "
                "RETURNING scenario_id", [new.name, user.name, now, view_json, new.note]).fetchone()[0]
            before = None
        else:
            scenario_id = old[0]
            cur.execute("UPDATE scenarios SET created_by = ?, created_at = ?, view = ?, note = ? "
                        "WHERE scenario_id = ?", [user.name, now, view_json, new.note, scenario_id])
            before = {"view": old[1], "note": old[2], "created_by": old[3]}
        store.audit(cur, actor=user.name, action="replace_scenario" if old else "save_scenario",
                    table="scenarios", record_key=new.name, before=before,
                    after={"view": view_json, "note": new.note})
    return Scenario(scenario_id=int(scenario_id), created_by=user.name, created_at=now, **new.model_dump())


def _row_to_scenario(row: tuple) -> Scenario:
    scenario_id, name, created_by, created_at, view_json, note = row
    return Scenario(scenario_id=scenario_id, name=name, created_by=created_by, created_at=created_at,
                    view=ViewState.model_validate_json(view_json), note=note)


def list_scenarios(store: Store) -> list[Scenario]:
    """Every saved scenario, newest first."""
    rows = store.fetch_all("SELECT scenario_id, name, created_by, created_at, view, note FROM scenarios "
                           "ORDER BY created_at DESC, scenario_id DESC")
    return [_row_to_scenario(row) for row in rows]


def load_scenario(store: Store, scenario_id: int) -> Scenario | None:
    row = store.fetch_one("SELECT scenario_id, name, created_by, created_at, view, note FROM scenarios "
                          "WHERE scenario_id = ?", [scenario_id])
    return None if row is None else _row_to_scenario(row)


def delete_scenario(store: Store, user: User, scenario_id: int) -> bool:
    """Delete a scenario (editors only); False when it did not exist."""
    require_editor(user, _("delete a scenario"))
    with store.transaction(ranking=False) as cur:
        old = cur.execute("SELECT name, view, note, created_by FROM scenarios WHERE scenario_id = ?",
                          [scenario_id]).fetchone()
        if old is None:
            return False
        cur.execute("DELETE FROM scenarios WHERE scenario_id = ?", [scenario_id])
        store.audit(cur, actor=user.name, action="delete_scenario", table="scenarios", record_key=old[0],
                    before={"view": old[1], "note": old[2], "created_by": old[3]})
    return True


@dataclass
class Comparison:
    """How the top N changes from scenario A to scenario B."""

    table: pd.DataFrame  # company_id, name, rank_a, rank_b, shift (+ = up in B), movement
    top_n: int
    ranked_a: int  # companies ranked under A (after its filters)
    ranked_b: int

    def names(self, movement: Movement) -> list[str]:
        return list(self.table.loc[self.table["movement"] == movement, "name"])


def compare_views(universe: Universe, a: ViewState, b: ViewState, top_n: int = 10) -> Comparison:
    """Rank under both views; every company in either top N with its rank in each, NA when not ranked."""
    tables = [rank_companies(universe.companies, universe.values, v.settings(), v.filters()).table for v in (a, b)]
    ranks = [t.set_index("company_id")["rank"] for t in tables]
    names = pd.concat([t.set_index("company_id")["name"] for t in tables])
    names = names[~names.index.duplicated()]
    top = [set(t["company_id"].head(top_n)) for t in tables]
    ids = sorted(top[0] | top[1])
    out = pd.DataFrame({"company_id": ids, "name": names.reindex(ids).to_numpy()})
    out["rank_a"] = ranks[0].reindex(ids).astype("Int64").to_numpy()
    out["rank_b"] = ranks[1].reindex(ids).astype("Int64").to_numpy()
    out["shift"] = out["rank_a"] - out["rank_b"]
    in_a, in_b = out["company_id"].isin(top[0]), out["company_id"].isin(top[1])
    out["movement"] = "stayed"
    out.loc[in_b & ~in_a, "movement"] = "entered"
    out.loc[in_a & ~in_b, "movement"] = "left"
    # Best-ranked first: by rank in B, then the ones that left by their rank in A.
    out = out.sort_values(["rank_b", "rank_a"], na_position="last", kind="stable").reset_index(drop=True)
    return Comparison(out, top_n, len(tables[0]), len(tables[1]))


def scenarios_frame(scenarios: list[Scenario]) -> pd.DataFrame:
    """One row per scenario for the table: who, when, method, weights and filters in words."""
    def weights_text(view: ViewState) -> str:
        shares = view.settings().normalised_weights()
        parts = sorted(((shares[c.id], _(c.label)) for c in CRITERIA), reverse=True)
        return ", ".join(f"{label} {share:.0%}" for share, label in parts if share > 0)

    def filters_text(view: ViewState) -> str:
        parts = [*view.sectors, *view.countries, *(_(s) for s in view.statuses)]
        if view.min_revenue_usd_m:
            parts.append(_("revenue ≥ %(n)s USD m") % {"n": f"{view.min_revenue_usd_m:,.0f}"})
        if view.exclude_high_risk:
            parts.append(_("no high compliance risk"))
        if view.new_entrants_only:
            parts.append(_("new entrants only"))
        return ", ".join(parts) or _("none")

    rows = [{"scenario_id": s.scenario_id, "name": s.name, "created_by": s.created_by,
             "created_at": s.created_at, "method": _(METHOD_LABELS[s.view.method]),
             "weights": weights_text(s.view), "filters": filters_text(s.view), "note": s.note or ""}
            for s in scenarios]
    return pd.DataFrame(rows, columns=["scenario_id", "name", "created_by", "created_at", "method", "weights",
                                       "filters", "note"])
