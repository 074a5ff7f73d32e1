# medstay — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 4200

.PHONY: install system-deps run test test-fast bench clean

install: $(VENV)/.installed system-deps

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "medstay needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# What the tests need from Debian: headless Chromium for the UI test, and PostgreSQL's server
# binaries (tests/postgres.py starts a throwaway cluster with them).
system-deps:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium (browser test of the Prefect UI)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { \
	  echo "Installing Debian's postgresql (throwaway cluster for the PostgreSQL tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >/dev/null; }

run: install
	$(BIN)/medstay up --demo --port $(PORT)

test: install
	$(BIN)/pytest

test-fast: $(VENV)/.installed
	$(BIN)/pytest -m "not prefect and not browser"

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/doors.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
