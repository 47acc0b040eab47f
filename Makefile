# Relocation Radar: `make run` serves the app, `make test` runs every test (browser tests included).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# `make run` listens on this machine only and makes its one user an editor (RADAR_LOCAL_EDITOR=1). To serve
# others, set ADDRESS=0.0.0.0 and configure sign-in (DEPLOY.md); with secrets, visitors are viewers.
ADDRESS ?= 127.0.0.1
LOCAL_EDITOR ?= 1
export RADAR_DB ?= data/radar.duckdb

.PHONY: run test bench load lint setup setup-dev store clean i18n

# The app's own requirements for `make run`; the test, benchmark and lint tools on top for the other targets.
$(BIN)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11+ (or run make PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(BIN)/.installed

setup-dev: $(BIN)/.installed-dev

store: setup
	$(BIN)/python -m lib build

run: store
	RADAR_LOCAL_EDITOR=$(LOCAL_EDITOR) $(BIN)/streamlit run app.py --server.address $(ADDRESS) \
		--server.port $(PORT) --server.headless true

test: setup-dev
	$(BIN)/python -m pytest

bench: setup-dev store
	$(BIN)/python -m bench

# 50 WebSocket clients (Streamlit's protocol) through nginx to two replicas sharing one PostgreSQL database
# (bench/load.py; needs nginx). Uses the server in
# $$RADAR_TEST_DATABASE_URL, else starts a throwaway one (scripts/pg_test_server.sh) and removes it afterwards.
load: setup-dev
	@if [ -n "$$RADAR_TEST_DATABASE_URL" ]; then $(BIN)/python -m bench.load; else \
		dir=$$(mktemp -d /tmp/radar-load-pg.XXXXXX); eval "$$(scripts/pg_test_server.sh start $$dir)"; \
		$(BIN)/python -m bench.load; status=$$?; scripts/pg_test_server.sh stop $$dir; exit $$status; fi

# Re-extract messages (code + data), merge them into lib/locales/{ru,kk}, compile, list what is untranslated.
# The app compiles stale .mo files itself on first use, so `make run` needs no compile step.
i18n: setup
	$(BIN)/python scripts/i18n.py update

lint: setup-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) data/*.duckdb data/*.duckdb.wal
