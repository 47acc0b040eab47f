"""Benchmark helpers: synthetic companies, stores built in a temporary folder, timing, and the machine.

Synthetic companies are drawn from the seed companies (bootstrap rows, so the share of missing facts,
sectors and statuses stay realistic) with noise on the numeric facts so that few rows are identical.
Nothing here writes to data/: every store lives in a temporary folder.
"""

from __future__ import annotations

import csv
import os
import platform
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from lib.incentives.offers import incentive_frame
from lib.radar import Universe, load_universe
from lib.scoring import criteria_values
from lib.store import SEED_DIR, close_all, open_store

NUMERIC_FACTS = ("revenue_worldwide_usd_m", "employees_worldwide", "russia_revenue_usd_m", "russia_employees")
PACKAGES = ("streamlit", "duckdb", "numpy", "pandas", "scipy", "altair", "pydantic", "playwright")


@dataclass(frozen=True)
class Timing:
    """Median and spread of repeated runs, in milliseconds."""

    median_ms: float
    min_ms: float
    max_ms: float
    runs: int


def measure(run: Callable[[], object], repeat: int = 5, warmup: int = 1) -> Timing:
    """Time `run` `repeat` times after `warmup` untimed calls."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return Timing(statistics.median(times), min(times), max(times), repeat)


def summarise(times_ms: list[float]) -> Timing:
    return Timing(statistics.median(times_ms), min(times_ms), max(times_ms), len(times_ms))


def seed_universe(workdir: Path) -> Universe:
    """The seed data's universe, from a store built in `workdir`."""
    store = open_store(workdir / "seed.duckdb")
    return load_universe(store)


def synthetic_companies(seed: pd.DataFrame, n: int, rng_seed: int = 0, first_id: int = 1) -> pd.DataFrame:
    """n companies bootstrapped from `seed` rows, with new ids and names and noisy numeric facts."""
    rng = np.random.default_rng(rng_seed)
    rows = seed.iloc[rng.integers(0, len(seed), n)].reset_index(drop=True).copy()
    ids = np.arange(first_id, first_id + n)
    rows["company_id"] = ids
    rows["name"] = [f"Synthetic company {i:07d}" for i in ids]
    for column in NUMERIC_FACTS:
        noisy = rows[column].astype(float) * rng.lognormal(0.0, 0.5, n)
        rows[column] = noisy.round(0) if "employees" in column else noisy.round(1)
    rows["is_candidate"] = True
    rows["exclusion_reason"] = None
    return rows


def synthetic_universe(seed: Universe, n: int, rng_seed: int = 0) -> Universe:
    """An in-memory universe of n synthetic companies (criterion values computed as for real ones)."""
    companies = synthetic_companies(seed.companies, n, rng_seed)
    incentives = incentive_frame(companies, seed.offers, seed.assumptions)
    return Universe(companies, criteria_values(companies, incentives["incentive_value_usd_m"]), incentives,
                    seed.offers, seed.assumptions)


def synthetic_store(workdir: Path, total: int) -> Path:
    """A store with the seed companies plus synthetic ones up to `total`, loaded like the real seed."""
    seed_dir = workdir / f"seed_{total}"
    if seed_dir.exists():
        shutil.rmtree(seed_dir)
    shutil.copytree(SEED_DIR, seed_dir)
    path = seed_dir / "companies.csv"
    real = pd.read_csv(path, dtype=str, keep_default_na=False)
    extra = synthetic_companies(real.replace("", None).astype({c: float for c in NUMERIC_FACTS}),
                                total - len(real), first_id=int(real["company_id"].astype(int).max()) + 1)
    extra = extra.astype(object).where(extra.notna(), "")
    for column in ("employees_worldwide", "russia_employees"):
        extra[column] = [str(int(v)) if v != "" else "" for v in extra[column]]
    extra["is_candidate"] = "true"
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(extra[real.columns].itertuples(index=False))
    db = workdir / f"radar_{total}.duckdb"
    open_store(db, seed_dir=seed_dir)
    close_all()  # the app under test opens it next
    return db


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        cpu = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    ram = "unknown"
    try:
        kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    chromium = "not installed"
    if Path("/usr/bin/chromium").exists():
        try:
            chromium = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True,
                                      timeout=20).stdout.strip() or "installed"
        except (OSError, subprocess.SubprocessError):
            chromium = "installed"
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())  # other work on the machine skews every figure
    return {"nproc": str(len(os.sched_getaffinity(0))), "load average (1/5/15 min)": load,
            "cpu": cpu, "ram": ram, "os": platform.platform(),
            "python": platform.python_version(), "packages": ", ".join(versions), "chromium": chromium}
