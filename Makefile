# cgs-portal — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench clean-var browser-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install -q -e '.[testing]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, initialise var/ with the demo, serve on http://localhost:6543
run: install
	mkdir -p var
	$(BIN)/cgs-init development.ini
	$(BIN)/pserve development.ini

## make test: system packages for browser tests, then the whole suite
test: install browser-deps
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/pytest

# Debian's chromium and CJK fonts for the headless browser tests (installed when missing).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "installing chromium and fonts-noto-cjk via apt-get"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check src tests $(wildcard bench)

bench: install
	$(BIN)/python bench/workbook.py
	$(BIN)/python bench/filing.py

clean-var:
	rm -rf var
