# medstay — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 4200

.PHONY: install system-deps run lint test test-fast bench clean

install: $(VENV)/.installed system-deps

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "medstay needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# What the tests need from Debian: headless Chromium for the UI test, PostgreSQL's server
# binaries (tests/postgres.py starts a throwaway cluster with them), redis-server (Prefect's
# API server in several processes, MEDSTAY_PREFECT_SERVER_WORKERS) and sqlite3 (backups).
system-deps:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium (browser test of the Prefect UI)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { \
	  echo "Installing Debian's postgresql (throwaway cluster for the PostgreSQL tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >/dev/null; }
	@command -v redis-server >/dev/null || { \
	  echo "Installing Debian's redis-server (Prefect's API server in several processes)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	@command -v sqlite3 >/dev/null || { \
	  echo "Installing Debian's sqlite3 (the README's backup of the project database)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; }

run: install
	$(BIN)/medstay up --demo --port $(PORT)

# The modules that touch the project database, run a second time with it on PostgreSQL
# (each test a fresh schema of the throwaway cluster): the same suite passes on both.
DB_TESTS := tests/cli/test_cli.py tests/cli/test_fuzz_entry.py tests/privacy/test_privacy.py \
	tests/record/test_corrections.py tests/record/test_import_history.py tests/record/test_projections.py \
	tests/reminders/test_reminders.py tests/reminders/test_warm_start.py tests/tasks/test_form_fuzz.py tests/tasks/test_resume_form.py

# The house's rules: lint and import order, one format, types (strict on rules/ and models/);
# the layering itself is a test (tests/test_layering.py).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy rules models

test: install lint
	$(BIN)/pytest
	MEDSTAY_TEST_DATABASE=postgres $(BIN)/pytest -q $(DB_TESTS)

test-fast: $(VENV)/.installed
	$(BIN)/pytest -m "not prefect and not browser"

# Sizes: BENCH_SIZES (bench/scale.py, default 1000,10000), BENCH_RUNS (live runs through
# medstay up: 1000 on the embedded SQLite, then 1000 and 10000 with Prefect on PostgreSQL, then
# 1000 with Prefect's API in 2 processes, each against Prefect's bulk endpoint on a second fresh
# home of the same kind; the API filter on Prefect alone at the last size); FULL=1 adds 100,000.
# A script whose counts do not match exits 1. CI runs it small (.ci/run). The first two lines (a
# fact with `medstay up` running, the rules against the plain loop) exit 1 when their goal is not
# met: said, not fatal.
BENCH_RUNS ?= 1000 10000
bench: install
	-$(BIN)/python bench/fact.py --stack
	-$(BIN)/python bench/rules_loop.py
	$(BIN)/python bench/run.py
	$(BIN)/python bench/doors.py
	$(BIN)/python bench/scale.py $(if $(FULL),--full,)
	$(BIN)/python bench/claim.py --phases
	$(BIN)/python bench/worker.py
	$(BIN)/python bench/prefect_scale.py $(firstword $(BENCH_RUNS))
	for n in $(BENCH_RUNS) $(if $(FULL),100000,); do $(BIN)/python bench/prefect_scale.py $$n --postgres || exit 1; done
	$(BIN)/python bench/prefect_scale.py $(firstword $(BENCH_RUNS)) --postgres --server-workers 2
	$(BIN)/python bench/prefect_filter.py $(lastword $(BENCH_RUNS))

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
