# Single entry points. `make run` and `make test` bootstrap everything they need on a fresh
# machine (virtual environment, Python and npm packages, Debian packages) and are quick when
# nothing changed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: bootstrap run test test-slow test-all lint format compile gas bench bench-quick demo clean

$(BIN)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The operator app's browser bundle (esbuild, from the locked npm packages); never committed.
WEB_BUNDLE := backend/web/static/build/app.js
$(WEB_BUNDLE): node_modules/.installed scripts/build_web.py backend/web/bundles.py $(shell find backend/web/assets -name "*.js")
	$(PYTHON) scripts/build_web.py

.system-deps-ok: scripts/install_system_deps.sh
	bash scripts/install_system_deps.sh
	touch $@

bootstrap: $(BIN)/.installed node_modules/.installed $(WEB_BUNDLE) .system-deps-ok

run: bootstrap
	$(BIN)/sentrace serve --host $(HOST) --port $(PORT) --demo

test: bootstrap
	$(BIN)/pytest -m "not slow" $(PYTEST_ARGS)

test-slow: bootstrap
	$(BIN)/pytest -m "slow" $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo "no slow tests selected"; exit 0; fi; exit $$rc

test-all: bootstrap
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

compile: bootstrap
	$(PY) scripts/compile_contracts.py

gas: bootstrap
	$(PY) scripts/gas_report.py

bench: bootstrap
	$(PY) scripts/bench.py

bench-quick: bootstrap
	$(PY) scripts/bench.py --quick

clean:
	rm -rf $(VENV) node_modules .system-deps-ok .pytest_cache .ruff_cache
