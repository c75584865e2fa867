# cgs-portal — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench peak clean-var browser-deps server-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e '.[testing,relstorage]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, initialise var/ with the demo, serve on http://localhost:6543
run: install
	mkdir -p var
	$(BIN)/cgs-init development.ini
	$(BIN)/pserve development.ini

## make test: system packages for browser and storage tests, then the whole suite.
## The suite starts (and always stops) a ZEO server and a throw-away PostgreSQL cluster itself
## (session fixtures in tests/conftest.py); CGS_REQUIRE_SERVERS=1 makes a missing one a failure.
## Two pytest-xdist workers use both cores (each starts its own servers on free loopback ports).
TEST_WORKERS ?= 2
test: install browser-deps server-deps
	$(BIN)/ruff check src tests $(wildcard bench)
	CGS_REQUIRE_SERVERS=1 $(BIN)/pytest -n $(TEST_WORKERS)

# Debian's chromium and CJK fonts for the headless browser tests (installed when missing).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "installing chromium and fonts-noto-cjk via apt-get"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# Debian's PostgreSQL for the RelStorage tests and bench/peak.py (installed when missing);
server-deps:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
		echo "installing postgresql via apt-get"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check src tests $(wildcard bench)

bench: install
	$(BIN)/python bench/workbook.py
	$(BIN)/python bench/filing.py

## make peak: the filing-day peak on ZEO and RelStorage, 1/2/4 waitress processes (minutes)
peak: install server-deps
	$(BIN)/python bench/peak.py

clean-var:
	rm -rf var
