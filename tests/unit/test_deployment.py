"""What a fresh `make run` and the shipped Streamlit config expose: this machine only, no tracebacks."""

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_listens_on_localhost_unless_told_otherwise():
    dry = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    line = next(x for x in dry.splitlines() if "streamlit run" in x or "--server.port" in x)
    assert "--server.address 127.0.0.1" in dry and "RADAR_LOCAL_EDITOR=1" in dry, line
    told = subprocess.run(["make", "-n", "run", "ADDRESS=0.0.0.0", "LOCAL_EDITOR=0"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    assert "--server.address 0.0.0.0" in told and "RADAR_LOCAL_EDITOR=0" in told


def test_shipped_config_shows_no_error_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


def test_the_reverse_proxy_config_for_two_replicas_parses(tmp_path):
    import os
    import shutil

    import pytest

    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        if os.environ.get("RADAR_REQUIRE_POSTGRES") == "1":  # CI installs nginx with PostgreSQL (.ci/run)
            pytest.fail("nginx is missing but RADAR_REQUIRE_POSTGRES is set (apt-get install nginx-light)")
        pytest.skip("nginx not installed (CI installs it and requires this test)")
    (tmp_path / "logs").mkdir()
    checked = subprocess.run([nginx, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "logs" / "error.log"),
                              "-c", str(ROOT / "deploy" / "nginx.conf")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    config = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "hash $radar_route consistent" in config and config.count("server 127.0.0.1:85") == 2


def test_the_load_test_runs_the_shipped_proxy_config_on_its_own_ports(tmp_path):
    """bench/load.py derives its nginx config from deploy/nginx.conf: same stickiness and upgrade, its ports."""
    import os
    import shutil

    import pytest

    from bench.load import nginx_config

    template = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    derived = nginx_config(template, 18080, [18501, 18502])
    assert "listen 127.0.0.1:18080;" in derived and "listen 8080;" not in derived
    assert "server 127.0.0.1:18501 max_fails" in derived and "server 127.0.0.1:18502 max_fails" in derived
    assert "server 127.0.0.1:8501" not in derived and "server 127.0.0.1:8502" not in derived
    for kept in ("hash $radar_route consistent", "proxy_set_header Upgrade $http_upgrade", "radar_route=$radar_route"):
        assert kept in derived
    with pytest.raises(SystemExit, match="shape"):
        nginx_config(template.replace("listen 8080;", "listen 80;"), 18080, [18501, 18502])
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        if os.environ.get("RADAR_REQUIRE_POSTGRES") == "1":
            pytest.fail("nginx is missing but RADAR_REQUIRE_POSTGRES is set (apt-get install nginx-light)")
        pytest.skip("nginx not installed (CI installs it and requires this test)")
    (tmp_path / "logs").mkdir()
    (tmp_path / "nginx.conf").write_text(derived, encoding="utf-8")
    checked = subprocess.run([nginx, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "logs" / "error.log"),
                              "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
