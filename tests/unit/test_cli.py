"""The CLI in a subprocess: the criteria matrix, rankings agreeing with textbook methods, bad arguments."""

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from pymcdm.methods import TOPSIS
from pymcdm.normalizations import vector_normalization

from lib.criteria import CRITERIA, CRITERION_IDS
from tests.conftest import ROOT


@pytest.fixture
def cli(store, monkeypatch):
    """Run `python -m lib ...` against the test store; returns (exit code, stdout, stderr)."""
    path = str(store.path)
    store.close()  # the CLI opens the file in its own process
    from lib import store as store_module
    store_module._stores.clear()

    def run(*args: str) -> tuple[int, str, str]:
        proc = subprocess.run([sys.executable, "-m", "lib", "--db", path, *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout, proc.stderr

    return run


def test_criteria_matrix_and_rankings(cli):
    code, out, err = cli("criteria", "--format", "csv")
    assert code == 0, err
    matrix = pd.read_csv(io.StringIO(out))
    assert list(matrix.columns) == ["company_id", "name", *CRITERION_IDS]
    assert len(matrix) >= 300
    values = matrix[list(CRITERION_IDS)].to_numpy()
    assert values.min() >= 0 and values.max() <= 1

    weights = np.array([c.default_weight for c in CRITERIA], dtype=float)
    weights /= weights.sum()
    code, out, _ = cli("rank", "--method", "topsis", "--format", "csv")
    assert code == 0
    ranked = pd.read_csv(io.StringIO(out)).set_index("company_id")
    expected = TOPSIS(vector_normalization)(values, weights, np.ones(len(weights)))
    ours = ranked.loc[matrix["company_id"], "score"].to_numpy()
    assert np.max(np.abs(ours - expected)) < 1e-9

    code, out, _ = cli("rank", "--method", "wsm", "--weights", "exit_firmness=60,company_scale=0", "--format", "csv")
    assert code == 0
    ranked = pd.read_csv(io.StringIO(out))
    custom = np.array([60 if c.id == "exit_firmness" else 0 if c.id == "company_scale" else c.default_weight
                       for c in CRITERIA], dtype=float)
    custom /= custom.sum()
    wsm = pd.Series(values @ custom, index=matrix["company_id"])
    assert np.max(np.abs(ranked.set_index("company_id")["score"] - wsm.loc[ranked["company_id"]].to_numpy())) < 1e-9
    contributions = ranked[[f"c_{c}" for c in CRITERION_IDS]].sum(axis=1)
    assert np.allclose(contributions, ranked["score"], atol=1e-12)
    assert ranked["rank"].is_monotonic_increasing and ranked["rank"].iloc[0] == 1


def test_describe_and_top(cli):
    code, out, _ = cli("criteria", "--describe", "--format", "json")
    described = json.loads(out)
    assert [d["id"] for d in described] == list(CRITERION_IDS)
    assert {d["direction"] for d in described} == {"benefit", "cost"}
    code, out, _ = cli("rank", "--top", "5", "--format", "json")
    assert code == 0 and [r["rank"] for r in json.loads(out)] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("args, message", [
    (("rank", "--weights", "nope=3"), "unknown criterion 'nope'"),
    (("rank", "--weights", "exit_firmness=abc"), "is not a number"),
    (("rank", "--weights", "exit_firmness=500"), "outside 0-100"),
    (("rank", "--weights", "exit_firmness"), "expected id=value"),
    (("rank", "--method", "ahp"), "invalid choice"),
    (("rank", "--top", "0"), "--top must be at least 1"),
    (("rank", "--missing", "company_scale=maybe"), "missing.company_scale"),
])
def test_bad_arguments_one_line(cli, args, message):
    code, out, err = cli(*args)
    assert code != 0 and out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_damaged_store_file_is_one_clear_line(tmp_path):
    damaged = tmp_path / "radar.duckdb"
    damaged.write_bytes(b"not a database " * 400)
    proc = subprocess.run([sys.executable, "-m", "lib", "--db", str(damaged), "rank", "--top", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3 and proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert str(damaged) in proc.stderr and "not a valid DuckDB database file" in proc.stderr
    assert "make store" in proc.stderr and damaged.read_bytes() == b"not a database " * 400  # left as it was


def test_csv_output_escapes_formula_text(store, tmp_path):
    company_id = store.fetch_one("SELECT company_id FROM companies WHERE name = 'Ikea'")[0]
    with store.transaction() as cur:  # hostile names as an import could bring them
        cur.execute("UPDATE companies SET name = '=HYPERLINK(\"http://x\",\"a\")' WHERE company_id = ?", [company_id])
        cur.execute("UPDATE companies SET name = '+7 Telecom' WHERE name = 'Volkswagen'")
    path = str(store.path)
    store.close()
    from lib import store as store_module
    store_module._stores.clear()

    def run(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "lib", "--db", path, *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, check=True).stdout

    out = run("rank", "--format", "csv")
    assert "'=HYPERLINK" in out and "'+7 Telecom" in out
    assert ",=HYPERLINK" not in out and ',"=HYPERLINK' not in out and ",+7 Telecom" not in out
    facts = run("facts", "--company", "+7 Telecom", "--format", "csv")
    assert "'+7 Telecom" in facts and "sold" in facts


def test_screen_every_company_and_one(cli):
    code, out, err = cli("screen", "--format", "csv")
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert set(frame["list_published"]) == {"2024-05-03"}
    buyers = frame[(frame["role"] == "buyer") & (frame["result"] == "possible")]
    assert {"Interros Capital", "KAMAZ"} <= set(buyers["screened_name"])
    assert "Ledvakh Trade" in set(frame[frame["result"] == "no_match"]["screened_name"])
    code, out, err = cli("screen", "--company", "societe generale", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and {r["company"] for r in rows} == {"Societe Generale"}
    assert {(r["role"], r["result"]) for r in rows} == {("company", "no_match"), ("buyer", "possible")}


def test_screen_an_uploaded_list_of_names(cli, tmp_path):
    names = tmp_path / "names.csv"
    names.write_text("company\nПАО Сбербанк\nKaspi Bank\n", encoding="utf-8")
    code, out, err = cli("screen", "--file", str(names), "--format", "json")
    assert code == 0, err
    assert [(r["name"], r["status"]) for r in json.loads(out)] == [("ПАО Сбербанк", "possible"),
                                                                    ("Kaspi Bank", "no_match")]
    bad = tmp_path / "bad.csv"
    bad.write_text("ticker\nSBER\n", encoding="utf-8")
    code, out, err = cli("screen", "--file", str(bad))
    assert code == 2 and out == "" and "bad.csv: no name column" in err


def test_sanctions_import_dry_run_and_a_bad_file(cli, tmp_path):
    sdn = tmp_path / "sdn.csv"
    sdn.write_text('17018,"PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA",-0- ,"RUSSIA-EO14024",-0- ,-0- ,-0- ,'
                   '-0- ,-0- ,-0- ,-0- ,-0- \n', encoding="utf-8")
    code, out, err = cli("sanctions-import", str(sdn), "--published", "2026-11-20", "--dry-run")
    assert code == 0, err
    assert "published 2026-11-20 (stored: 2024-05-03); 1 entries" in out and "applied" not in out
    code, out, err = cli("sanctions-import", str(sdn))
    assert code == 2 and "does not say when it was published" in err and "Nothing was written" in err
