"""Load test: simulated users on two app replicas sharing one PostgreSQL database (`make load`).

Each replica is its own process holding the app as a server process would (process-wide caches and connection
pool); in it every user is a thread driving its own AppTest session of app.py: a page load, slider moves on the
rank page, then edits on the Outreach page (pick a company, write a next step, Save). Users edit a handful of
shared entries, so stale saves happen and must come back as conflicts. Afterwards every save a user saw
succeed must be in the audit log exactly once (nothing lost, nothing doubled), and nothing else may be there.

    python -m bench.load --url postgresql://...   (a server where it may create and drop a database;
                                                   default $RADAR_TEST_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTREACH = "pages/outreach.py"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def simulate_user(replica: int, user: int, rounds: int, companies: list[int], out: dict) -> None:
    """One session: load, move a slider, open Outreach and save an edit, `rounds` times."""
    from streamlit.testing.v1 import AppTest

    rng = random.Random(replica * 1000 + user)

    def run(at: AppTest, kind: str) -> AppTest:
        start = time.perf_counter()
        at.run()
        out["times"].append((kind, (time.perf_counter() - start) * 1000))
        if at.exception:
            raise RuntimeError(at.exception[0].value)
        return at

    try:
        at = run(AppTest.from_file(str(ROOT / "app.py"), default_timeout=600), "page load")
        for step in range(rounds):
            at.switch_page("pages/rank.py")
            run(at, "page load")
            at.slider(key="w_company_scale").set_value(rng.choice((0, 25, 50, 75, 100)))
            run(at, "slider move")
            at.switch_page(OUTREACH)
            run(at, "page load")
            at.selectbox(key="of_company").set_value(rng.choice(companies))
            run(at, "pick a company")
            token = f"r{replica}-u{user}-s{step}"
            at.text_input(key="of_next").set_value(token)
            at.button(key="of_save").click()
            run(at, "shortlist save")
            if any("Saved" in s.value for s in at.success):
                out["saved"].append(token)
            elif any("Not saved" in e.value for e in at.error):  # the stale-save message, with both versions
                out["conflicts"].append(token)
            else:
                raise RuntimeError(f"save {token}: neither saved nor refused")
    except Exception:  # counted, the user's session stops
        out["errors"].append(traceback.format_exc(limit=3))


def _share_apptest_runtime() -> None:
    """Let AppTest sessions run in threads at once, as sessions do in one server process.

    AppTest (streamlit 1.67) installs a mock Runtime singleton for each run and removes it afterwards, and patches
    the `global.appTest` option for the run: with several sessions at once, one run's clean-up would pull the
    runtime from under another ("Runtime hasn't been created!"). Here the last mock stays available and the option
    stays set. Only the test harness is shared; the app's caches are process-wide in a real server too.
    """
    from contextlib import nullcontext

    from streamlit import config
    from streamlit.runtime import Runtime
    from streamlit.testing.v1 import app_test

    last: list[object] = []
    original = Runtime.__dict__["instance"].__func__

    def instance(cls):
        if cls._instance is not None:
            last[:] = [cls._instance]
            return cls._instance
        return last[0] if last else original(cls)

    Runtime.instance = classmethod(instance)
    Runtime.exists = classmethod(lambda cls: True)
    config.set_option("global.appTest", True)
    app_test.patch_config_options = lambda _options: nullcontext()
    # One compiled-script cache per process, as a server has: Python 3.11's compiler is not safe to run in
    # several threads at once ("AST constructor recursion depth mismatch"), and a server compiles each page once.
    shared_scripts = app_test.ScriptCache()
    app_test.ScriptCache = lambda: shared_scripts


def replica_main(args: argparse.Namespace) -> None:
    """One replica process: `args.users` concurrent sessions; writes what they saw to `args.out`."""
    os.environ["RADAR_DATABASE_URL"] = args.db
    os.environ.setdefault("RADAR_LOCAL_EDITOR", "1")
    from bench.__main__ import _keep_navigation_in_apptest

    _keep_navigation_in_apptest()
    _share_apptest_runtime()
    from streamlit import logger

    logger.set_log_level("error")  # each user thread would warn that it runs outside a script run
    companies = [int(c) for c in args.companies.split(",")]
    out: dict = {"times": [], "saved": [], "conflicts": [], "errors": []}
    threads = [threading.Thread(target=simulate_user, args=(args.replica, u, args.rounds, companies, out))
               for u in range(args.users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("RADAR_TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (a database is created and dropped there)")
    parser.add_argument("--users", type=int, default=50, help="simulated users in all (split over the replicas)")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="slider move + shortlist save rounds per user")
    parser.add_argument("--entries", type=int, default=8, help="shortlist entries the users share")
    parser.add_argument("--replica", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--companies", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.replica is not None:
        replica_main(args)
        return 0
    if not args.url:
        parser.error("--url (or RADAR_TEST_DATABASE_URL) is required: start a server with scripts/pg_test_server.sh")

    import psycopg

    from lib.auth import User
    from lib.models import Filters, ScoringSettings
    from lib.shortlist import add_to_shortlist
    from lib.store import connect
    from lib.store_postgres import with_database

    name = f"radar_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    db = with_database(args.url, name)
    try:
        store = connect(db)
        store.load_seed()
        companies = list(range(1, args.entries + 1))
        add_to_shortlist(store, User(name="load", role="editor"), [{"company_id": c, "score": 0.5, "rank": c}
                                                                   for c in companies], (ScoringSettings(), Filters()))
        store.close()
        per_replica = [args.users // args.replicas + (r < args.users % args.replicas) for r in range(args.replicas)]
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            procs = [subprocess.Popen([sys.executable, "-m", "bench.load", "--replica", str(r), "--db", db,
                                       "--users", str(n), "--rounds", str(args.rounds),
                                       "--companies", ",".join(map(str, companies)), "--out", f"{tmp}/{r}.json"],
                                      cwd=ROOT)
                     for r, n in enumerate(per_replica)]
            codes = [p.wait() for p in procs]
            wall = time.perf_counter() - start
            results = [json.loads(Path(f"{tmp}/{r}.json").read_text()) for r in range(args.replicas)
                       if Path(f"{tmp}/{r}.json").exists()]
        store = connect(db)
        audited = [json.loads(a)["next_step"] for (a,) in store.fetch_all(
            "SELECT after FROM audit_log WHERE action = 'shortlist_update'") if "next_step" in json.loads(a)]
        final = dict(store.fetch_all("SELECT company_id, next_step FROM shortlist"))
        versions = store.fetch_one("SELECT sum(version - 1) FROM shortlist")[0]
        store.close()
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    saved = [t for r in results for t in r["saved"]]
    conflicts = [t for r in results for t in r["conflicts"]]
    errors = [e for r in results for e in r["errors"]] + [f"replica exit {c}" for c in codes if c]
    lost = sorted(set(saved) - set(audited))
    duplicated = sorted({t for t in audited if audited.count(t) > 1})
    unexplained = sorted(set(audited) - set(saved))
    times: dict[str, list[float]] = {}
    for r in results:
        for kind, ms in r["times"]:
            times.setdefault(kind, []).append(ms)
    every = [ms for values in times.values() for ms in values]
    print(f"{args.users} users on {args.replicas} replicas, {args.rounds} rounds each, {len(companies)} shared "
          f"entries; wall {wall:.1f} s; load average {os.getloadavg()[0]:.1f}")
    print(f"saves: {len(saved)} saved, {len(conflicts)} refused as conflicts; audit rows {len(audited)}, "
          f"version bumps {versions}; lost {len(lost)}, duplicated {len(duplicated)}, unexplained "
          f"{len(unexplained)}; errors {len(errors)}")
    print("| Rerun | Runs | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for kind, values in [*times.items(), ("all reruns", every)]:
        print(f"| {kind} | {len(values)} | {statistics.median(values):,.0f} | {percentile(values, 95):,.0f} "
              f"| {max(values):,.0f} |")
    for error in errors[:5]:
        print(error, file=sys.stderr)
    ok = not errors and not lost and not duplicated and not unexplained and versions == len(saved)
    ok = ok and all(final[c] in saved or final[c] is None for c in final)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
