"""`python -m bench` (or `make bench`): how fast scoring, robustness and the rank page are. Prints a table.

Not a test: it measures and prints each figure with its target (issues 7, 14 and 25) and whether it is met; nothing
fails when a target is missed. The browser part times the Rank page and a bare st.dataframe page of the same rows
(bench/bare_table.py) in the same run: first render (the server's first visit, then new browser contexts on the warm
server) and slider move to updated table, and prints each ratio with the bare baseline beside it (target: 1.2x).
The import part runs on DuckDB, and on PostgreSQL too when RADAR_TEST_DATABASE_URL names a server.
Options: --quick (smaller sizes, for a smoke run), --parts scoring,robustness,import,apptest,browser (default: all).
The load test with real clients is `python -m bench.load` (`make load`).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench import Timing, machine, measure, seed_universe, summarise, synthetic_store, synthetic_universe
from lib.criteria import CRITERION_IDS, weight_vector
from lib.models import ScoringSettings
from lib.robustness import RobustnessSettings, rank_robustness
from lib.scoring import criteria_matrices, criteria_matrix, rank_companies, rank_order, scores_for_weights, top_k_wsm
from lib.store import ROOT, close_all

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
Row = tuple[str, str, Timing | None, str]  # what, size, timing, target or note
PARTS = ("scoring", "robustness", "import", "screening", "apptest", "browser")


def against(timing: Timing, limit_ms: float) -> str:
    """The target beside the figure, and whether the median meets it."""
    limit = f"{limit_ms / 1000:g} s" if limit_ms >= 1000 else f"{limit_ms:g} ms"
    return f"target < {limit}: {'met' if timing.median_ms < limit_ms else 'not met'}"


def scoring_rows(universe_seed, sizes: list[int]) -> list[Row]:
    """WSM top 50 and full TOPSIS on the numpy fast path, and the full rank_companies pipeline."""
    rows: list[Row] = []
    settings = ScoringSettings()
    weights = weight_vector(settings.weights)
    for n in sizes:
        universe = synthetic_universe(universe_seed, n, rng_seed=n)
        matrix = criteria_matrix(universe.companies, universe.values, settings)[list(CRITERION_IDS)]
        x = np.ascontiguousarray(matrix.to_numpy(dtype=float))
        label = f"{n:,} x 8"
        big = n >= 1_000_000
        wsm = measure(lambda x=x: top_k_wsm(x, weights, 50), 7)
        rows.append(("WSM top 50 (numpy fast path)", label, wsm, against(wsm, 10) if big else ""))
        within_tie = np.arange(n)  # the ranking's order among equal scores (completeness, name, id)
        topsis = measure(lambda x=x, t=within_tie: rank_order(scores_for_weights(x, weights[None, :], "topsis")[0], t),
                         5)
        rows.append(("TOPSIS, all scores + full ranking", label, topsis, against(topsis, 150) if big else ""))
        repeat = 3 if big else 5
        for method in ("wsm", "topsis"):
            run_settings = settings.model_copy(update={"method": method})
            rows.append((f"rank_companies ({method}: filters, missing data, table)", label,
                         measure(lambda u=universe, s=run_settings: rank_companies(u.companies, u.values, s),
                                 repeat, warmup=0 if big else 1), "pipeline, no target"))
    return rows


def robustness_rows(universe_seed, n: int, samples: int) -> list[Row]:
    settings = ScoringSettings()
    universe = synthetic_universe(universe_seed, n, rng_seed=7)
    matrix = criteria_matrix(universe.companies, universe.values, settings)
    rows: list[Row] = []
    robust = RobustnessSettings(samples=samples, top_k=10)
    for method in ("wsm", "topsis"):
        timing = measure(lambda m=method: rank_robustness(matrix, settings.weights, robust, m), 5)
        rows.append((f"Robustness ({method}), P(top 10) + rank intervals", f"{samples:,} samples x {len(matrix):,}",
                     timing, "< 300 ms"))
    seed_matrix, seed_unknown = criteria_matrices(universe_seed.companies, universe_seed.values, settings)
    rows.append(("Robustness (wsm) on the seed data", f"{samples:,} samples x {len(seed_matrix):,}",
                 measure(lambda: rank_robustness(seed_matrix, settings.weights, RobustnessSettings(samples=samples)),
                         5), "< 300 ms"))
    # The Decision quality page's default: every sample also draws the unknown facts (no distinct-row shortcut).
    rows.append(("Robustness (wsm) on the seed data, unknown facts drawn too", f"{samples:,} samples x "
                 f"{len(seed_matrix):,}", measure(lambda: rank_robustness(
                     seed_matrix, settings.weights, RobustnessSettings(samples=samples), unknown=seed_unknown), 5),
                 "< 300 ms"))
    return rows


KSE_STATUSES = ("withdrawal", "transfer", "suspended", "scalingback", "holdoff", "continue")
KSE_INDUSTRIES = ("Industrials", "Consumer Staples", "Materials", "Information Technology", "Health Care")
KSE_COUNTRIES = ("USA", "Germany", "Japan", "France", "Sweden", "Switzerland", "UK", "Italy")


def kse_file(n: int) -> bytes:
    """A KSE-shaped export of n new companies: UTF-8 with BOM, ";" separators, decimal commas."""
    rng = np.random.default_rng(n)
    lines = ["Company;Status;Industry;Country;Revenue(RF), mln.USD;Employees(RF)"]
    for i in range(n):
        revenue = f"{rng.lognormal(3, 1.5):.1f}".replace(".", ",") if i % 3 else ""
        employees = str(int(rng.lognormal(6, 1.2))) if i % 4 else ""
        lines.append(f"Bench Company {i:06d};{KSE_STATUSES[i % 6]};{KSE_INDUSTRIES[i % 5]};"
                     f"{KSE_COUNTRIES[i % 8]};{revenue};{employees}")
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


IMPORT_RUNS = 3  # each into a fresh store: one run alone moved by 20-30% between runs on this 2-vCPU machine


def import_rows(fresh: Callable[[int], str | Path], n: int, backend: str = "DuckDB") -> list[Row]:
    """Preview (read, validate, diff) and apply (one transaction, audited) of an n-row file into a new store at
    `fresh(i)`, then a re-import of it; IMPORT_RUNS times, medians. Issue 25's targets, for 100,000 rows: preview +
    apply < 1.5 s on DuckDB and < 3 s on PostgreSQL, re-import preview < 0.8 s."""
    from lib.auth import User
    from lib.importer import apply_import, preview_import
    from lib.store import SEED_DIR, open_store

    data = kse_file(n)
    user = User(name="bench", role="editor")
    label = f"{n:,} rows, {len(data) / 1e6:.1f} MB"
    previews, applies, totals, agains = [], [], [], []
    for run in range(IMPORT_RUNS):
        store = open_store(fresh(run), seed_dir=SEED_DIR)
        start = time.perf_counter()
        preview = preview_import(store, data, "kse_bench.csv")
        previewed = time.perf_counter()
        assert preview.add_count == n and not preview.errors, "the benchmark file must import cleanly"
        result = apply_import(store, user, preview)
        done = time.perf_counter()
        assert result.added == n
        unchanged = preview_import(store, data, "kse_bench.csv")
        agains.append((time.perf_counter() - done) * 1000)
        previews.append((previewed - start) * 1000)
        applies.append((done - previewed) * 1000)
        totals.append((done - start) * 1000)
        close_all()
    first, applied, both, again = map(summarise, (previews, applies, totals, agains))

    def rate(timing: Timing) -> str:
        return f"{n / (timing.median_ms / 1000):,.0f} rows/s"

    full = n >= 100_000  # the targets are for 100,000 rows
    limit = 1500 if backend == "DuckDB" else 3000
    return [(f"Import preview: read, validate, diff (KSE CSV), {backend}", label, first, rate(first)),
            (f"Import apply: one transaction, audit log, {backend}", label, applied, rate(applied)),
            (f"Import preview + apply, {backend}", label, both, rate(both) + ("; " + against(both, limit) if full
                                                                            else "")),
            (f"Re-import of the same file (preview), {backend}", label, again,
             f"{rate(again)}; {unchanged.add_count} adds, {len(unchanged.updates)} updates"
             + ("; " + against(again, 800) if full else ""))]


def postgres_import_rows(n: int) -> list[Row]:
    """import_rows on PostgreSQL, in databases made for it on the server RADAR_TEST_DATABASE_URL names (and dropped
    afterwards); skipped without that variable."""
    url = os.environ.get("RADAR_TEST_DATABASE_URL")
    if not url:
        return [("Import preview + apply, PostgreSQL", f"{n:,} rows", None,
                 "skipped: set RADAR_TEST_DATABASE_URL (scripts/pg_test_server.sh start DIR)")]
    import psycopg

    from lib.store.postgres import with_database

    names = [f"radar_bench_import_{os.getpid()}_{run}" for run in range(IMPORT_RUNS)]

    def fresh(run: int) -> str:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {names[run]}")
            conn.execute(f"CREATE DATABASE {names[run]}")
        return with_database(url, names[run])

    try:
        return import_rows(fresh, n, "PostgreSQL")
    finally:
        close_all()
        with psycopg.connect(url, autocommit=True) as conn:
            for name in names:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def apptest_row(db: Path, label: str, moves: int) -> Row:
    """Rerun time of the rank page in AppTest after a slider move (median of `moves`)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["RADAR_DB"] = str(db)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    start = time.perf_counter()
    at.run()
    first = (time.perf_counter() - start) * 1000
    if at.exception:
        return ("AppTest rerun of the rank page", label, None, f"failed: {at.exception[0].value}")
    companies = len(at.dataframe[0].value)
    times = []
    for i in range(moves):
        at.slider(key="w_company_scale").set_value(100 if i % 2 == 0 else 0)
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
    close_all()
    return ("AppTest rerun of the rank page after a slider move", f"{label}, {companies:,} ranked", summarise(times),
            f"first run {first:,.0f} ms")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Runs in the page: resolves with the ms from the key press to the first frame where the table's top
# names differ from `before`. Timed inside the browser, so polling from Python adds nothing.
WATCH_TABLE = """
([before]) => new Promise((resolve) => {
    const names = () => {
        const grid = document.querySelector('[data-testid="stDataFrame"]');
        if (!grid) return [];
        return [...grid.querySelectorAll('[role="row"]')].slice(1, 11).map((row) => {
            const cell = row.querySelector('[role="gridcell"][aria-colindex="2"]');
            return cell ? cell.textContent : "";
        });
    };
    const started = performance.now();
    const check = () => {
        const now = names();
        if (now.length && now.join("|") !== before.join("|")) resolve(performance.now() - window.__keyAt);
        else if (performance.now() - started > 30000) resolve(-1);
        else setTimeout(check, 2);
    };
    check();
})
"""
TOP_NAMES = "() => [...document.querySelectorAll('[data-testid=\"stDataFrame\"] [role=\"row\"]')].slice(1, 11)" \
            ".map(r => { const c = r.querySelector('[role=\"gridcell\"][aria-colindex=\"2\"]'); " \
            "return c ? c.textContent : ''; })"
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


BARE = "bench/bare_table.py"  # the baseline: one slider and st.dataframe of the same rows


def browser_rows(db: Path, label: str, moves: int, script: str = "app.py", visits: int = 3) -> list[Row]:
    """Against `streamlit run <script>` in real Chromium: first render on the server's first visit (cold), first
    render in new browser contexts once the server is warm (median of `visits`), and slider move to updated
    table (median of `moves`, after one warm-up move)."""
    page_name = "bare st.dataframe page" if script == BARE else "Rank page"
    whats = [f"Chromium: first render, server's first visit, {page_name}",
             f"Chromium: first render, new browser context, warm server, {page_name}",
             f"Chromium: slider move to updated table, {page_name}"]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [(what, label, None, "skipped: playwright not installed") for what in whats]
    if not Path(CHROMIUM).exists():
        return [(what, label, None, f"skipped: {CHROMIUM} not installed") for what in whats]
    port = _free_port()
    env = {**os.environ, "RADAR_DB": str(db), "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def first_render(browser):
        """A fresh browser context (no cache, no cookies): from goto to the table drawn and the app idle."""
        context = browser.new_context(viewport={"width": 1600, "height": 1200})
        page = context.new_page()
        start = time.perf_counter()
        page.goto(base)
        page.wait_for_selector('[data-testid="stDataFrame"] [role="gridcell"]', state="attached", timeout=120_000)
        page.wait_for_function(IDLE, timeout=120_000)
        return (time.perf_counter() - start) * 1000, context, page

    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            cold, context, _page = first_render(browser)
            context.close()
            warm = []
            for _visit in range(visits):
                ms, context, page = first_render(browser)
                warm.append(ms)
                if _visit < visits - 1:
                    context.close()
            page.evaluate("() => document.addEventListener('keydown', () => { window.__keyAt = performance.now(); },"
                          " {capture: true})")
            slider = page.get_by_role("slider", name="Company scale")
            times = []
            for i in range(moves + 1):  # the first move warms up
                page.wait_for_function(IDLE, timeout=60_000)
                before = page.evaluate(TOP_NAMES)
                slider.focus()
                slider.press("End" if i % 2 == 0 else "Home")
                elapsed = page.evaluate(WATCH_TABLE, [before])
                if elapsed < 0:
                    return [(what, label, None, "table did not change") for what in whats]
                if i:
                    times.append(elapsed)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return [(whats[0], label, summarise([cold]), "imports and caches of a new process included"),
            (whats[1], label, summarise(warm), "from goto to the table drawn and the app idle"),
            (whats[2], label, summarise(times), "")]


def ratio_rows(app: list[Row], bare: list[Row]) -> list[Row]:
    """Rank page against the bare page, each figure with the bare baseline beside it (target: within 1.2x)."""
    rows: list[Row] = []
    for (what, size, app_timing, _note), (_what, _size, bare_timing, _bare_note) in zip(app, bare, strict=True):
        measured = what.removeprefix("Chromium: ").removesuffix(", Rank page")
        title = f"Rank page / bare page: {measured}"
        if app_timing is None or bare_timing is None:
            rows.append((title, size, None, "not measured"))
            continue
        ratio = app_timing.median_ms / bare_timing.median_ms
        verdict = "met" if ratio <= 1.2 else "not met"
        rows.append((title, size, None, f"**ratio {ratio:.2f}** (Rank page {app_timing.median_ms:,.0f} ms, bare page "
                                        f"{bare_timing.median_ms:,.0f} ms; target <= 1.2: {verdict})"))
    return rows


def print_table(rows: list[Row]) -> None:
    print("| Measurement | Size | Median ms | Min ms | Max ms | Runs | Target / note |")
    print("|---|---|---:|---:|---:|---:|---|")
    for what, size, timing, note in rows:
        if timing is None:
            print(f"| {what} | {size} | — | — | — | — | {note} |")
        else:
            print(f"| {what} | {size} | {timing.median_ms:,.1f} | {timing.min_ms:,.1f} | {timing.max_ms:,.1f} "
                  f"| {timing.runs} | {note} |")


def screening_rows(workdir: Path) -> list[Row]:
    """Sanctions screening of every company, its group parent and its buyers: the index once, then the screening."""
    from lib import screening
    from lib.store import SEED_DIR, open_store

    store = open_store(workdir / "screening.duckdb", seed_dir=SEED_DIR)
    subjects = len(screening.screening_subjects(store))
    names = store.fetch_one("SELECT count(*) FROM sanctions_names")[0]
    label = f"{subjects:,} names x {names:,} listed names"
    index = measure(lambda: screening.build_index(store), 3)
    screened = measure(lambda: screening.screen_companies(store), 3)  # the index is cached after the first run
    close_all()
    return [("Screening: index of the sanctions lists (once per list version)", label, index, ""),
            ("Screening: every company, parent and buyer (cached index)", label, screened,
             f"{subjects / (screened.median_ms / 1000):,.0f} names/s")]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, from {', '.join(PARTS)}")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if not parts or parts - set(PARTS):
        parser.error(f"--parts: choose from {', '.join(PARTS)}")
    sizes = [10_000] if args.quick else [10_000, 100_000, 1_000_000]
    app_sizes = [2_000] if args.quick else [10_000]
    info = machine()
    print("Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="radar-bench-") as tmp:
        workdir = Path(tmp)
        seed = seed_universe(workdir)
        if "scoring" in parts:
            print("scoring ...", file=sys.stderr, flush=True)
            rows += scoring_rows(seed, sizes)
        if "robustness" in parts:
            print("robustness ...", file=sys.stderr, flush=True)
            rows += robustness_rows(seed, 1_000 if args.quick else 5_000, 1_000)
        if "import" in parts:
            print("import ...", file=sys.stderr, flush=True)
            rows += import_rows(lambda run: workdir / f"import{run}.duckdb", 10_000 if args.quick else 100_000)
            rows += postgres_import_rows(10_000 if args.quick else 100_000)
        if "screening" in parts:
            print("screening ...", file=sys.stderr, flush=True)
            rows += screening_rows(workdir)
        seed_db = workdir / "seed.duckdb"
        close_all()
        stores = [(seed_db, "seed data")]
        if parts & {"apptest", "browser"}:
            stores += [(synthetic_store(workdir, n), f"{n:,} companies") for n in app_sizes]
        if "apptest" in parts:
            for db, label in stores:
                print(f"AppTest {label} ...", file=sys.stderr, flush=True)
                rows.append(apptest_row(db, label, 3 if args.quick else 7))
        if "browser" in parts:
            for db, label in stores:
                print(f"Chromium {label} ...", file=sys.stderr, flush=True)
                bare = browser_rows(db, label, 5 if args.quick else 9, BARE)
                app = browser_rows(db, label, 5 if args.quick else 9)
                rows += [*bare, *app, *ratio_rows(app, bare)]
    print()
    print_table(rows)
    # Other work on the machine skews the browser figures most: say how busy it was when they were taken.
    print("\nLoad average at the end (1/5/15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
