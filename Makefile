# The two fresh-machine commands: `make demo` (the main job) and `make test` (the test suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

.PHONY: install demo test lint
install: $(STAMP)

demo: $(STAMP)
	$(BIN)/scorolink demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy --ignore-missing-imports src/scorolink/catalog src/scorolink/clients src/scorolink/connectors src/scorolink/replicate src/scorolink/transfer src/scorolink/sync src/scorolink/query src/scorolink/dbapi.py src/scorolink/sandbox/xero src/scorolink/runtime src/scorolink/web src/scorolink/saved_connections.py
