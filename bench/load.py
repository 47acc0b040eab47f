"""Load test with real clients: 50 sessions speaking Streamlit's WebSocket protocol to two replicas behind nginx.

`make load`. Two `streamlit run app.py` processes share one PostgreSQL database; nginx in front of them runs a
configuration derived from deploy/nginx.conf (its own free port and the replicas' ports, the same cookie
stickiness and WebSocket upgrade). Each user is a protocol client (bench/stclient.py): it requests the page
through nginx, opens /_stcore/stream and sends what a browser sends (BackMsg protobufs), then `rounds` times:
the Rank page, a move of the Company scale slider, the Outreach page, picks one of the shared shortlist entries,
writes a next step and saves. Users share a handful of entries, so stale saves happen and must come back as
conflicts. Afterwards every save a user saw succeed must be in the audit log exactly once (nothing lost, nothing
doubled), and nothing else may be there. Each replica is warmed by one visit first: the figures are those of
running replicas, not of a process start.

    python -m bench.load --url postgresql://...   (a server where it may create and drop a database;
                                                   default $RADAR_TEST_DATABASE_URL)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ACTIONS = ("open the app", "rank page", "slider move", "outreach page", "pick a company", "shortlist save")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def nginx_config(template: str, listen: int, replicas: list[int]) -> str:
    """deploy/nginx.conf with its own port, these replicas, and an access log naming the replica of each request."""
    servers = re.findall(r"server 127\.0\.0\.1:\d+", template)
    if len(servers) != len(replicas) or "listen 8080;" not in template or "access_log logs/access.log;" not in template:
        raise SystemExit(f"deploy/nginx.conf no longer has the shape bench/load.py derives its config from "
                         f"(listen 8080, access_log, {len(replicas)} upstream servers)")
    config = template.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    for server, port in zip(servers, replicas, strict=True):
        config = config.replace(server + " ", f"server 127.0.0.1:{port} ", 1)
    return config.replace("access_log logs/access.log;",
                          "log_format replica '$upstream_addr $request_uri $status';\n"
                          "    access_log logs/access.log replica;")


def start_replicas(stack: ExitStack, db: str, count: int, logdir: Path) -> list[int]:
    """`count` replicas of the app on free ports, as `make run` starts one (editor mode, no file watcher)."""
    env = {**os.environ, "RADAR_DATABASE_URL": db, "RADAR_LOCAL_EDITOR": "1"}
    env.pop("RADAR_DB", None)
    ports = []
    for r in range(count):
        port = free_port()
        log = stack.enter_context((logdir / f"replica{r}.log").open("w"))
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
             "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        stack.callback(_stop, proc)
        ports.append(port)
    for port in ports:
        wait_until_up(f"http://127.0.0.1:{port}/_stcore/health")
    return ports


def start_nginx(stack: ExitStack, prefix: Path, replicas: list[int]) -> int:
    """nginx in front of the replicas, with a config derived from deploy/nginx.conf; returns its port."""
    if not Path(NGINX).exists():
        raise SystemExit(f"nginx not found ({NGINX}): apt-get install nginx-light")
    (prefix / "logs").mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config((ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8"), port, replicas),
                    encoding="utf-8")
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-e", str(prefix / "logs" / "error.log"), "-c", str(conf),
                             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stack.callback(_stop, proc)
    wait_until_up(f"http://127.0.0.1:{port}/_stcore/health", timeout_s=30)
    return port


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def simulate_user(base: str, user: int, rounds: int, out: dict) -> None:
    """One browser tab: open the app, then `rounds` times rank page, slider, Outreach, pick a company, save."""
    from bench.stclient import Session

    rng = random.Random(user)

    def timed(kind: str, run) -> None:
        out["times"].append((kind, run.ms))

    try:
        async with Session(base) as session:
            timed("open the app", await session.open())
            for step in range(rounds):
                timed("rank page", await session.goto(""))
                timed("slider move", await session.set("w_company_scale", rng.choice((0, 25, 50, 75, 100))))
                timed("outreach page", await session.goto("outreach"))
                company = rng.choice(list(session.widget("of_company").options))
                timed("pick a company", await session.set("of_company", company))
                token = f"u{user}-s{step}"
                run = await session.set("of_next", token, submit="of_save")
                timed("shortlist save", run)
                if any(kind == "success" and body.startswith("Saved") for kind, body in run.alerts):
                    out["saved"].append(token)
                elif any(kind == "error" and body.startswith("Not saved") for kind, body in run.alerts):
                    out["conflicts"].append(token)  # the stale-save message, with both versions
                else:
                    raise RuntimeError(f"save {token}: neither saved nor refused ({run.alerts})")
    except Exception as exc:  # counted; this user's session stops
        out["errors"].append(f"user {user}: {exc!r}")


async def warm_up(replicas: list[int]) -> None:
    """One visit to each replica directly: a process's first visit imports the app and fills its caches."""
    from bench.stclient import Session

    async def visit(port: int) -> None:
        async with Session(f"http://127.0.0.1:{port}") as session:
            await session.open()

    await asyncio.gather(*(visit(port) for port in replicas))


async def run_users(base: str, users: int, rounds: int) -> dict:
    out: dict = {"times": [], "saved": [], "conflicts": [], "errors": []}
    await asyncio.gather(*(simulate_user(base, u, rounds, out) for u in range(users)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("RADAR_TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (a database is created and dropped there)")
    parser.add_argument("--users", type=int, default=50, help="concurrent sessions (WebSocket protocol clients)")
    parser.add_argument("--replicas", type=int, default=2, help="app replicas behind nginx (deploy/nginx.conf has 2)")
    parser.add_argument("--rounds", type=int, default=3, help="slider move + shortlist save rounds per user")
    parser.add_argument("--entries", type=int, default=8, help="shortlist entries the users share")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("--url (or RADAR_TEST_DATABASE_URL) is required: start a server with scripts/pg_test_server.sh")

    import psycopg

    from lib.auth import User
    from lib.models import Filters, ScoringSettings
    from lib.shortlist import add_to_shortlist
    from lib.store import connect
    from lib.store.postgres import with_database

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
        with tempfile.TemporaryDirectory(prefix="radar-load-") as tmp, ExitStack() as stack:
            replicas = start_replicas(stack, db, args.replicas, Path(tmp))
            port = start_nginx(stack, Path(tmp) / "nginx", replicas)

            asyncio.run(warm_up(replicas))
            load_before = os.getloadavg()[0]
            start = time.perf_counter()
            out = asyncio.run(run_users(f"http://127.0.0.1:{port}", args.users, args.rounds))
            wall = time.perf_counter() - start
            load_after = os.getloadavg()[0]
            streams = [line.split()[0] for line in (Path(tmp) / "nginx" / "logs" / "access.log").read_text()
                       .splitlines() if " /_stcore/stream " in line]
        per_replica = [sum(1 for s in streams if s.endswith(f":{p}")) for p in replicas]
        store = connect(db)
        audited = [json.loads(a)["next_step"] for (a,) in store.fetch_all(
            "SELECT after FROM audit_log WHERE action = 'shortlist_update'") if "next_step" in json.loads(a)]
        final = dict(store.fetch_all("SELECT company_id, next_step FROM shortlist"))
        versions = store.fetch_one("SELECT sum(version - 1) FROM shortlist")[0]
        store.close()
    finally:
        with psycopg.connect(args.url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    saved, conflicts, errors = out["saved"], out["conflicts"], out["errors"]
    lost = sorted(set(saved) - set(audited))
    duplicated = sorted({t for t in audited if audited.count(t) > 1})
    unexplained = sorted(set(audited) - set(saved))
    times: dict[str, list[float]] = {kind: [] for kind in ACTIONS}
    for kind, ms in out["times"]:
        times[kind].append(ms)
    every = [ms for kind, values in times.items() if kind != "open the app" for ms in values]
    print(f"{args.users} WebSocket sessions through nginx (deploy/nginx.conf) to {args.replicas} replicas "
          f"(sessions per replica: {', '.join(map(str, per_replica))}), one PostgreSQL database; {args.rounds} "
          f"rounds each, {len(companies)} shared entries; wall {wall:.1f} s; load average {load_before:.1f} before, "
          f"{load_after:.1f} after")
    print(f"saves: {len(saved)} saved, {len(conflicts)} refused as conflicts; audit rows {len(audited)}, "
          f"version bumps {versions}; lost {len(lost)}, duplicated {len(duplicated)}, unexplained "
          f"{len(unexplained)}; errors {len(errors)}")
    print("| Action | Runs | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for kind, values in [*times.items(), ("all reruns (not the first load)", every)]:
        if values:
            print(f"| {kind} | {len(values)} | {statistics.median(values):,.0f} | {percentile(values, 95):,.0f} "
                  f"| {max(values):,.0f} |")
    for error in errors[:5]:
        print(error, file=sys.stderr)
    ok = not errors and not lost and not duplicated and not unexplained and versions == len(saved)
    ok = ok and all(final[c] in saved or final[c] is None for c in final)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
