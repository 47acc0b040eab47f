"""Command-line interface for headless use and scripting (`python -m lib --help`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

import duckdb
import pandas as pd
from pydantic import ValidationError

from lib.criteria import CRITERIA, CRITERION_IDS
from lib.export import safe_frame
from lib.models import METHODS, ORDERS, ScoringSettings
from lib.radar import load_universe
from lib.scoring import criteria_matrix, rank_companies
from lib.store import (
    ROOT,
    Store,
    StoreUnavailable,
    as_store_problem,
    close_all,
    connect,
    copy_store,
    db_path,
    open_store,
    redacted,
)


class CliError(Exception):
    """A user error: printed as one line on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one clear line instead of usage + message
        raise CliError(message)


def _pairs(text: str | None, what: str) -> dict[str, str]:
    """Parse 'id=value,id=value' into a dict, naming the first bad item."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise CliError(f"--{what}: expected id=value, got {item!r}")
        if key.strip() not in CRITERION_IDS:
            raise CliError(f"--{what}: unknown criterion {key.strip()!r} (known: {', '.join(CRITERION_IDS)})")
        pairs[key.strip()] = value.strip()
    return pairs


def _settings(args: argparse.Namespace) -> ScoringSettings:
    weights: dict[str, float] = {}
    for key, value in _pairs(getattr(args, "weights", None), "weights").items():
        try:
            weights[key] = float(value)
        except ValueError:
            raise CliError(f"--weights: {key}={value!r} is not a number") from None
    try:
        return ScoringSettings(weights=weights, method=getattr(args, "method", "wsm"),
                               missing=_pairs(args.missing, "missing"))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise CliError(f"{'.'.join(map(str, err['loc'])) or 'settings'}: {err['msg']}") from None


def _plain(value: object) -> object:
    """numpy scalars to Python numbers for json (full float precision kept)."""
    return value.item() if hasattr(value, "item") else str(value)


def _emit(frame: pd.DataFrame, fmt: str) -> None:
    if fmt == "csv":  # opened in Excel: text starting with = + - @ is written as text, as the app's exports do
        safe_frame(frame).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        records = frame.astype(object).where(frame.notna(), None).to_dict("records")
        json.dump(records, sys.stdout, indent=1, ensure_ascii=False, default=_plain)
        sys.stdout.write("\n")


def cmd_build(args: argparse.Namespace) -> None:
    store = open_store(args.db, create=True)  # the one command that creates a DuckDB store
    counts = store.fetch_one("SELECT (SELECT count(*) FROM companies), (SELECT count(*) FROM incentive_packages)")
    print(f"store {redacted(store.location)}: {counts[0]} companies, {counts[1]} incentive packages")


def cmd_migrate(args: argparse.Namespace) -> None:
    """Copy the store (--db, default: the configured one) into a new store: DuckDB to PostgreSQL or back."""
    source = open_store(args.db, create=False)
    target = connect(args.to)
    try:
        checksums = copy_store(source, target)
    finally:
        target.close()
    for table, (rows, digest) in checksums.items():
        print(f"{table}: {rows} rows, sha256 {digest[:16]}")
    print(f"copied {redacted(source.location)} to {redacted(target.location)}: every count and checksum matches")


def cmd_criteria(args: argparse.Namespace) -> None:
    if args.describe:
        rows = [{"id": c.id, "label": c.label, "direction": c.direction, "default_weight": c.default_weight,
                 "default_missing": c.default_missing, "description": c.description} for c in CRITERIA]
        _emit(pd.DataFrame(rows), args.format)
        return
    universe = load_universe(open_store(args.db, create=False))
    _emit(criteria_matrix(universe.companies, universe.values, _settings(args)), args.format)


def cmd_rank(args: argparse.Namespace) -> None:
    if args.top is not None and args.top < 1:
        raise CliError(f"--top must be at least 1, got {args.top}")
    store = open_store(args.db, create=False)
    universe = load_universe(store)
    ranking = rank_companies(universe.companies, universe.values, _settings(args))
    contribution_columns = [f"c_{c}" for c in CRITERION_IDS] if args.method == "wsm" else []
    table = ranking.table
    extra: list[str] = []
    if args.order != "value":  # value: today's weighted ranking exactly, without fitting anything
        from lib.backtest import fit_likelihood
        from lib.likelihood import order_table
        from lib.outcomes import stored_outcomes

        _model, likelihood = fit_likelihood(universe, store.company_facts(), stored_outcomes(store))
        table = order_table(table, likelihood, args.order)
        extra = ["likelihood", "expected"]
    table = table.rename(columns={"sector_code": "sector"})
    table = table[["rank", "tied", "company_id", "name", "sector", "score", *extra, "completeness", "facts_known",
                   *contribution_columns]]
    _emit(table.head(args.top) if args.top else table, args.format)


def cmd_research_queue(args: argparse.Namespace) -> None:
    """The unknown facts that could most change who is in the top N of the order, with what to search for."""
    if args.top < 1:
        raise CliError(f"--top must be at least 1, got {args.top}")
    if args.limit is not None and args.limit < 1:
        raise CliError(f"--limit must be at least 1, got {args.limit}")
    from lib.backtest import fit_likelihood
    from lib.outcomes import stored_outcomes
    from lib.research import research_queue

    store = open_store(args.db, create=False)
    universe = load_universe(store)
    facts = store.company_facts()
    model, likelihood = fit_likelihood(universe, facts, stored_outcomes(store))
    queue = research_queue(universe, _settings(args), model, likelihood, facts, order=args.order, top=args.top,
                           include_searched=args.include_searched)
    _emit(queue.head(args.limit) if args.limit else queue, args.format)


def _company_id(store: Store, name: str) -> int:
    """The id of the company with this name (any case); a clear error naming the company otherwise."""
    matches = store.fetch_all("SELECT company_id, name FROM companies WHERE lower(name) = lower(?) ORDER BY 1",
                              [name.strip()])
    if not matches:
        raise CliError(f"no company named {name!r}; `python -m lib rank` lists the names")
    return int(matches[0][0])


def cmd_history(args: argparse.Namespace) -> None:
    """One company's Russia status observations in time order, the current one marked (the stated rule)."""
    from lib.status_history import history

    store = open_store(args.db, create=False)
    frame = history(store, _company_id(store, args.company))
    columns = ["company", "date", "tracker", "status", "tracker_grade", "status_date", "recorded_on", "source",
               "source_file", "current"]
    _emit(frame[columns], args.format)


def cmd_alerts(args: argparse.Namespace) -> None:
    """Alerts since a day (for a cron job or systemd timer); with --send-email, the digests by [radar.smtp] first."""
    import tomllib
    from datetime import date
    from pathlib import Path

    from lib.alerts import SmtpConfig, account_roles, all_alerts, send_digests

    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError:
        raise CliError(f"--since {args.since!r} is not a date (use YYYY-MM-DD)") from None
    store = open_store(args.db, create=False)
    if args.send_email:
        path = Path(args.secrets)
        try:
            secrets = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise CliError(f"cannot read the secrets file {path}: {exc}") from None
        try:
            config = SmtpConfig.from_secrets(secrets)
        except ValidationError as exc:
            raise CliError(f"[radar.smtp] in {path} is not valid: {exc.errors()[0]['loc']} "
                           f"{exc.errors()[0]['msg']}") from None
        if config is None:
            raise CliError(f"{path} has no [radar.smtp] section: no e-mail is sent")
        sent = send_digests(store, config, account_roles(secrets))
        print(f"e-mailed: {sum(sent.values())} alerts to {len(sent)} people", file=sys.stderr)
    frame = all_alerts(store, since, args.watcher)
    _emit(frame, args.format)


def cmd_facts(args: argparse.Namespace) -> None:
    """Every dated observation (company, fact, value, state, period, source), optionally of one company."""
    store = open_store(args.db, create=False)
    company_id = None
    if args.company:
        matches = store.fetch_all("SELECT company_id, name FROM companies WHERE lower(name) = lower(?)",
                                  [args.company.strip()])
        if not matches:
            raise CliError(f"no company named {args.company!r}; `python -m lib rank` lists the names")
        company_id = int(matches[0][0])
    facts = store.company_facts(company_id)
    columns = ["company", "fact", "value", "state", "period", "recorded_on", "source", "note"]
    _emit(facts[columns], args.format)


def cmd_import(args: argparse.Namespace) -> None:
    """Preview a company list and, unless --dry-run, apply it; rejected rows are listed on stderr."""
    import getpass
    from pathlib import Path

    from lib.auth import User
    from lib.importer import ImportRefused, ImportRejected, apply_import, preview_import, summary_text
    from lib.outcomes import apply_outcomes, is_outcomes_table, preview_outcomes
    from lib.tablefile import read_table

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    store = open_store(args.db, create=False)
    user = User(name=args.actor or getpass.getuser(), role="editor")
    try:
        data = path.read_bytes()
        table = read_table(data, path.name)
        if is_outcomes_table(table):  # an outcomes file (company, outcome, date, evidence_level, source...)
            outcomes = preview_outcomes(store, table, path.name, data)
            print(f"{path.name} (outcomes): {len(outcomes.outcomes)} to add, "
                  f"{len({e.row for e in outcomes.errors})} rejected, {len(outcomes.unmatched)} not matched")
            for name in outcomes.unmatched:
                print(f"not matched to a stored company: {name}")
            for error in outcomes.errors:
                print(f"rejected {error.text()}", file=sys.stderr)
            if not args.dry_run:
                try:
                    added = apply_outcomes(store, user, outcomes)
                except ValueError as exc:
                    raise CliError(f"{exc} Nothing was written.") from None
                print(f"applied: {added} outcomes added")
            return
        preview = preview_import(store, data, path.name)
    except ImportRefused as exc:
        raise CliError(str(exc)) from None
    print(summary_text(preview))
    from lib.alerts import watched_by_anyone
    from lib.importer import status_change_frame

    # Status changes first, of the companies someone follows first: their owners will be alerted.
    for change in status_change_frame(preview, watched_by_anyone(store)).itertuples():
        print(f"status row {change.row} {change.name}: {change.stored_status} -> {change.new_status} "
              f"({change.tracker}, {change.new_status_date or 'no date'})" + (" [followed]" if change.watched else ""))
    for column in preview.unknown_columns:
        print(f"not imported: column {column}")
    for change in preview.updates:
        for c in change.changes:
            print(f"update row {change.row} {change.name}: {c.field} {c.before!r} -> {c.after!r}")
    for error in preview.errors:
        print(f"rejected {error.text()}", file=sys.stderr)
    if args.dry_run:
        return
    # Whoever can open the store file from a shell is trusted as an editor; the audit log records the name.
    for _attempt in range(5):
        try:
            result = apply_import(store, user, preview, skip_rejected=args.skip_rejected)
            break
        except ImportRejected as exc:
            if store.ranking_version() == preview.data_version:
                raise CliError(f"{exc} Nothing was written (see --skip-rejected).") from None
            # Another import or a steward edit on a shared (PostgreSQL) store came first: preview again and retry.
            preview = preview_import(store, data, path.name)
            print(f"the store changed meanwhile; previewed again: {summary_text(preview)}")
    else:
        raise CliError("The store kept changing during the import; nothing was written. Try again.")
    print(f"applied: {result.added} added, {result.updated} updated, {result.tracker_statuses} tracker statuses, "
          f"{result.audit_rows} audit rows")
    for change in result.status_changes:
        print(f"current status of {change['name']}: {change['before']} -> {change['after']}")


def _screening_rows(screenings: dict) -> pd.DataFrame:
    """One row per company, screened name and list (and match, where there is one)."""
    rows = []
    for s in screenings.values():
        for result in s.results:
            base = {"company": s.name, "list": result.title, "list_published": result.published.isoformat(),
                    "company_result": s.status, "diversion_risk": s.diversion_risk}
            matched = {m.subject for m in result.matches}
            for role, name in s.subjects:
                if name not in matched:
                    rows.append({**base, "role": role, "screened_name": name, "result": "no_match"})
            for m in result.matches:
                rows.append({**base, "role": m.role, "screened_name": m.subject, "result": m.status,
                             "listed_entry": m.primary_name, "listed_name": m.listed_name, "entry_id": m.entry_id,
                             "score": round(m.score, 1), "programmes": m.programmes, "reviewer": m.reviewer,
                             "reason": m.reason})
    columns = ["company", "role", "screened_name", "list", "list_published", "result", "listed_entry", "listed_name",
               "entry_id", "score", "programmes", "reviewer", "reason", "company_result", "diversion_risk"]
    return pd.DataFrame(rows, columns=columns)


def cmd_screen(args: argparse.Namespace) -> None:
    """Screen the companies (with their parents and buyers), one company, or the names of an uploaded file."""
    from pathlib import Path

    from lib.screening import screen_companies, screen_names
    from lib.tablefile import ImportRefused, read_table

    store = open_store(args.db, create=False)
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise CliError(f"{path}: no such file")
        try:
            table = read_table(path.read_bytes(), path.name)
        except ImportRefused as exc:
            raise CliError(str(exc)) from None
        header = [c.strip().lower() for c in table.columns]
        column = next((header.index(c) for c in ("name", "company", "company_name", "buyer") if c in header), None)
        if column is None:
            raise CliError(f"{path.name}: no name column (expected one of name, company, company_name, buyer; "
                           f"found {', '.join(table.columns) or 'none'})")
        names = [cells[column].strip() for _row, cells in table.rows if column < len(cells) and cells[column].strip()]
        if not names:
            raise CliError(f"{path.name}: the {table.columns[column]} column is empty")
        _emit(screen_names(store, names), args.format)
        return
    ids = None
    if args.company:
        found = store.fetch_all("SELECT company_id FROM companies WHERE lower(name) = lower(?)", [args.company.strip()])
        if not found:
            raise CliError(f"no company named {args.company!r}; `python -m lib rank` lists the names")
        ids = [int(r[0]) for r in found]
    _emit(_screening_rows(screen_companies(store, ids)), args.format)


def cmd_sanctions_import(args: argparse.Namespace) -> None:
    """Preview a newer official SDN file (sdn.xml, or sdn.csv [+ alt.csv] with its date) and, unless --dry-run,
    replace the stored list with it."""
    import getpass
    from datetime import date
    from pathlib import Path

    from lib.auth import User
    from lib.sanctions_lists import SanctionsFileError, apply_list_import, preview_list_import

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        published = date.fromisoformat(args.published) if args.published else None
    except ValueError:
        raise CliError(f"--published: {args.published!r} is not a date (YYYY-MM-DD)") from None
    aliases = Path(args.aliases).read_bytes() if args.aliases else None
    store = open_store(args.db, create=False)
    try:
        preview = preview_list_import(store, path.read_bytes(), path.name, published=published, aliases=aliases)
    except SanctionsFileError as exc:
        raise CliError(f"{exc} Nothing was written.") from None
    print(f"{path.name}: {preview.meta.title}, published {preview.meta.published} (stored: "
          f"{preview.stored_published or 'none'}); {preview.entries} entries, {len(preview.names)} names; "
          f"{len(preview.added_entries)} entries added, {len(preview.dropped_entries)} no longer listed")
    if not args.dry_run:
        user = User(name=args.actor or getpass.getuser(), role="editor")
        print(f"applied: {apply_list_import(store, user, preview)} names stored")


def cmd_backtest(args: argparse.Namespace) -> None:
    """Where the companies that came rank under a view; AUC and precision at 10/50/100 beside the baselines."""
    from pathlib import Path

    from lib.backtest import BacktestSettings, run_backtest
    from lib.outcomes import preview_outcomes, stored_outcomes
    from lib.tablefile import ImportRefused, read_table

    store = open_store(args.db, create=False)
    unmatched: list[str] = []
    if args.outcomes:
        path = Path(args.outcomes)
        if not path.is_file():
            raise CliError(f"{path}: no such file")
        try:
            data = path.read_bytes()
            preview = preview_outcomes(store, read_table(data, path.name), path.name, data)
        except ImportRefused as exc:
            raise CliError(str(exc)) from None
        if preview.errors:
            raise CliError("; ".join(e.text() for e in preview.errors[:5]))
        unmatched = preview.unmatched
        outcomes = pd.DataFrame([{"company_id": o.company_id, "company": o.matched_name or o.company,
                                  "outcome": o.outcome, "outcome_date": o.date, "evidence_level": o.evidence_level}
                                 for o in preview.outcomes],
                                columns=["company_id", "company", "outcome", "outcome_date", "evidence_level"])
    else:
        outcomes = stored_outcomes(store)
        unmatched = sorted(set(outcomes.loc[outcomes["company_id"].isna(), "company"]))
    universe = load_universe(store)
    result = run_backtest(universe, store.company_facts(), outcomes, _settings(args),
                          backtest=BacktestSettings(facts=args.facts, bootstrap=args.bootstrap))
    view = result.evaluations.iloc[0]
    matched = result.arrivals.rename(columns={"company": "name"})[["company_id", "name", "outcome_date", "rank",
                                                                   "tied", "score", "outcomes", "evidence"]]
    matched = matched.astype({"company_id": "Int64", "rank": "Int64"})
    if args.format == "json":
        payload = {"facts": args.facts, "matched": matched.astype(object).where(matched.notna(), None)
                   .to_dict("records"), "unmatched": unmatched, "not_ranked": result.unranked,
                   "undated_facts": result.undated, "ranked_companies": result.n_ranked,
                   "evaluations": result.evaluations.to_dict("records"), "learned_weights": result.learned,
                   "learned_auc_in_sample": result.learned_auc, "learned_auc_leave_one_out": result.learned_loo_auc,
                   "likelihood_validation": result.validation.astype(object).where(result.validation.notna(), None)
                   .to_dict("records"), "likelihood_splits_not_shown": result.splits_note,
                   "likelihood_calibration": result.calibration.to_dict("records"),
                   "likelihood_features": result.model_weights.to_dict("records"),
                   "likelihood_feature_groups": result.feature_groups.to_dict("records")}
        json.dump(payload, sys.stdout, indent=1, ensure_ascii=False, default=_plain)
        sys.stdout.write("\n")
    else:
        rows = pd.concat([matched.assign(matched=True),
                          pd.DataFrame({"name": unmatched, "matched": False})], ignore_index=True)
        _emit(rows, "csv")
    print(f"AUC {view['auc']:.3f} ({view['auc_low']:.3f}-{view['auc_high']:.3f}); precision at 10/50/100: "
          f"{view['p_at_10']:.2f} / {view['p_at_50']:.2f} / {view['p_at_100']:.2f}; "
          f"{len(matched)} arrivals matched, {len(unmatched)} names not matched", file=sys.stderr)
    for split, rows in (result.validation.groupby("split", sort=False) if len(result.validation) else ()):
        best = rows.set_index("kind")
        print(f"{split}: expected value AUC {best.loc['expected', 'auc']:.3f}, likelihood "
              f"{best.loc['likelihood', 'auc']:.3f}, value {best.loc['view', 'auc']:.3f} "
              f"({int(best.loc['expected', 'arrivals'])} held-out arrivals)", file=sys.stderr)
    for split, why in result.splits_note.items():
        print(f"{split}: not shown: {why}", file=sys.stderr)


def cmd_weights(args: argparse.Namespace) -> None:
    """`weights ahp`: weights and consistency ratio of one pairwise matrix (CSV: criteria as header and first
    column). `weights pool`: several participants' weights (a row each) or matrices (blocks) pooled."""
    from pathlib import Path

    from lib import group_weights as gw

    def read(path_text: str) -> pd.DataFrame:
        path = Path(path_text)
        if not path.is_file():
            raise CliError(f"{path}: no such file")
        try:
            return pd.read_csv(path, index_col=0)
        except (ValueError, pd.errors.ParserError) as exc:
            raise CliError(f"{path}: not a CSV table ({exc})") from None

    try:
        if args.action == "ahp":
            frame = read(args.matrix)
            if list(frame.index.astype(str)) != list(frame.columns.astype(str)):
                raise CliError("the matrix needs the same criteria as header and as first column, in the same order")
            result = gw.ahp(frame.to_numpy(dtype=float))
            names = [str(c) for c in frame.columns]
            payload = {"weights": dict(zip(names, map(float, result.weights), strict=True)),
                       "lambda_max": result.lambda_max, "consistency_ratio": result.consistency_ratio,
                       "random_index": "Donegan and Dodd (1991), as ahpy",
                       "review": None if result.worst_pair is None else
                       [names[result.worst_pair[0]], names[result.worst_pair[1]]]}
        else:
            frame = read(args.inputs)
            names = [str(c) for c in frame.columns]
            weights = frame.to_numpy(dtype=float)
            if (weights < 0).any() or (weights.sum(axis=1) <= 0).any():
                raise CliError("every participant needs non-negative weights with at least one above 0")
            weights = weights / weights.sum(axis=1, keepdims=True)
            pooled = (gw.ahp(gw.pool_judgements([gw.consistent_matrix(w) for w in weights])).weights
                      if args.method == "judgements" else gw.pool_priorities(list(weights)))
            payload = {"method": args.method, "participants": [str(p) for p in frame.index],
                       "weights": dict(zip(names, map(float, pooled), strict=True)),
                       "spread": {n: [float(weights[:, i].min()), float(weights[:, i].max())]
                                  for i, n in enumerate(names)}}
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.format == "json":
        json.dump(payload, sys.stdout, indent=1, default=_plain)
        sys.stdout.write("\n")
    else:
        _emit(pd.DataFrame({"criterion": list(payload["weights"]), "weight": list(payload["weights"].values())}),
              "csv")


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "build": cmd_build, "criteria": cmd_criteria, "rank": cmd_rank, "facts": cmd_facts, "import": cmd_import,
    "backtest": cmd_backtest, "weights": cmd_weights, "migrate": cmd_migrate, "research-queue": cmd_research_queue,
    "screen": cmd_screen, "sanctions-import": cmd_sanctions_import,
    "history": cmd_history, "alerts": cmd_alerts,
}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lib", description="Relocation Radar from the command line.")
    parser.add_argument("--db", default=None, help="DuckDB file or postgresql:// URL (default: "
                        f"$RADAR_DATABASE_URL, else $RADAR_DB, else {db_path()})")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("build", help="create the store from the seed data if it does not exist")
    mig = sub.add_parser("migrate", help="copy the store, audit log included, into a new DuckDB file or "
                                         "PostgreSQL database, checked by row counts and checksums")
    mig.add_argument("--to", required=True, help="postgresql://... (an empty database) or a new .duckdb path")
    crit = sub.add_parser("criteria", help="print the normalised criteria matrix (higher is better)")
    crit.add_argument("--describe", action="store_true", help="list the criteria instead of the matrix")
    crit.add_argument("--missing", help="missing-data policy per criterion: id=neutral|worst|exclude,...")
    crit.add_argument("--format", choices=("csv", "json"), default="csv")
    rank = sub.add_parser("rank", help="rank the candidate companies")
    rank.add_argument("--order", choices=ORDERS, default="expected",
                      help="expected (likelihood x value, the default), likelihood of coming, or value to "
                           "Kazakhstan (the weighted score alone)")
    rank.add_argument("--method", choices=METHODS, default="wsm")
    rank.add_argument("--weights", help="id=value,... (0-100, normalised to sum 1; others keep defaults)")
    rank.add_argument("--missing", help="missing-data policy per criterion: id=neutral|worst|exclude,...")
    rank.add_argument("--top", type=int, default=None, help="only the first N companies")
    rank.add_argument("--format", choices=("csv", "json"), default="csv")
    queue = sub.add_parser("research-queue", help="the unknown facts that could most change the top N, first")
    queue.add_argument("--top", type=int, default=50, help="the cut that matters: the top N of the order (50)")
    queue.add_argument("--order", choices=ORDERS, default="expected", help="the order whose top counts")
    queue.add_argument("--weights", help="id=value,... (0-100, normalised to sum 1; others keep defaults)")
    queue.add_argument("--missing", help="missing-data policy per criterion: id=neutral|worst|exclude,...")
    queue.add_argument("--include-searched", action="store_true",
                       help="also list unknowns a search already answered with 'not found'")
    queue.add_argument("--limit", type=int, default=None, help="only the first N rows of the queue")
    queue.add_argument("--format", choices=("csv", "json"), default="csv")
    facts = sub.add_parser("facts", help="list every company fact with its state, date and source")
    facts.add_argument("--company", default=None, help="only this company (its name, any case)")
    facts.add_argument("--format", choices=("csv", "json"), default="csv")
    hist = sub.add_parser("history", help="one company's Russia status observations (every tracker), in time order")
    hist.add_argument("--company", required=True, help="the company's name, any case")
    hist.add_argument("--format", choices=("csv", "json"), default="json")
    alerts = sub.add_parser("alerts", help="alerts to watchers of changed companies, for a cron job or systemd timer")
    alerts.add_argument("--since", default=None, help="only alerts created on or after this day (YYYY-MM-DD)")
    alerts.add_argument("--watcher", default=None, help="only this person's alerts")
    alerts.add_argument("--send-email", action="store_true",
                        help="first e-mail each watcher a digest of unsent alerts ([radar.smtp] in --secrets)")
    alerts.add_argument("--secrets", default=str(ROOT / ".streamlit" / "secrets.toml"),
                        help="the app's secrets file (default: .streamlit/secrets.toml)")
    alerts.add_argument("--format", choices=("csv", "json"), default="json")
    back = sub.add_parser("backtest", help="where the companies that came rank, AUC and precision at 10/50/100")
    back.add_argument("--outcomes", default=None, help="a CSV/.xlsx with at least a name column (default: stored)")
    back.add_argument("--method", choices=METHODS, default="wsm")
    back.add_argument("--weights", help="id=value,... (0-100, normalised to sum 1; others keep defaults)")
    back.add_argument("--missing", help="missing-data policy per criterion: id=neutral|worst|exclude,...")
    back.add_argument("--facts", choices=("point-in-time", "current"), default="point-in-time",
                      help="score arrivals on what was known before their outcome (default) or on today's facts")
    back.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the intervals")
    back.add_argument("--format", choices=("csv", "json"), default="csv")
    weights = sub.add_parser("weights", help="group weighting: AHP weights of a matrix, or pooled weights")
    weights_sub = weights.add_subparsers(dest="action", required=True, parser_class=_Parser)
    ahp_cmd = weights_sub.add_parser("ahp", help="weights and consistency ratio of one pairwise matrix")
    ahp_cmd.add_argument("--matrix", required=True, help="CSV with the criteria as header and first column")
    ahp_cmd.add_argument("--format", choices=("csv", "json"), default="csv")
    pool_cmd = weights_sub.add_parser("pool", help="pool several participants' weights (a row each)")
    pool_cmd.add_argument("--inputs", required=True, help="CSV: participant, then one column per criterion")
    pool_cmd.add_argument("--method", choices=("judgements", "priorities"), default="judgements")
    pool_cmd.add_argument("--format", choices=("csv", "json"), default="csv")
    imp = sub.add_parser("import", help="import a company list (Yale CELI, KSE, own export; CSV or .xlsx) "
                                        "or an outcomes file (company, outcome, date, evidence_level, source)")
    imp.add_argument("file", help="the CSV or .xlsx file")
    imp.add_argument("--dry-run", action="store_true", help="only show what would change")
    imp.add_argument("--skip-rejected", action="store_true", help="import the valid rows even if some are rejected")
    imp.add_argument("--actor", default=None, help="name recorded in the audit log (default: your login)")
    screen = sub.add_parser("screen", help="screen companies, their group parents and the buyers of their "
                                           "Russian businesses (or the names of a file) against the sanctions lists")
    screen.add_argument("--company", default=None, help="only this company (its name, any case)")
    screen.add_argument("--file", default=None, help="a CSV/.xlsx of names to screen (a name or company column)")
    screen.add_argument("--format", choices=("csv", "json"), default="csv")
    sanc = sub.add_parser("sanctions-import", help="replace the stored OFAC SDN list with a newer official file")
    sanc.add_argument("file", help="sdn.xml (carries its date) or sdn.csv")
    sanc.add_argument("--aliases", default=None, help="alt.csv, the aliases of an sdn.csv")
    sanc.add_argument("--published", default=None, help="publication date of an sdn.csv (YYYY-MM-DD)")
    sanc.add_argument("--dry-run", action="store_true", help="only show what would change")
    sanc.add_argument("--actor", default=None, help="name recorded in the audit log (default: your login)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = None
    try:
        args = build_parser().parse_args(argv)
        COMMANDS[args.command](args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`: not an error
        sys.stderr.close()
        return 0
    except StoreUnavailable as exc:  # locked by the running app, or not a DuckDB file
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except duckdb.Error as exc:  # a damaged block met while reading: the path and what to do, not a traceback
        problem = as_store_problem(exc, getattr(args, "db", None))
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return 3
    finally:
        close_all()
    return 0
