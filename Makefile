# The two commands a person needs: `make run` and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN = $(VENV)/bin

.PHONY: run test install lint openapi screenshots clean

$(BIN)/mccs: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/mccs

install: $(BIN)/mccs

## Serve a node on http://127.0.0.1:8000 (SQLite in ./var, demo data when the database is empty).
run: install
	$(BIN)/mccs migrate
	$(BIN)/mccs seed --demo --if-empty
	$(BIN)/mccs serve

## The whole test suite (SQLite unless DATABASE_URL names PostgreSQL).
test: install
	$(BIN)/pytest

## Regenerate docs/openapi.json after changing an API endpoint (a test fails while it is stale).
openapi: install
	$(BIN)/mccs export-openapi

## Screenshots of the main screens (phone and desktop) into docs/screenshots/, made by the browser tests.
screenshots: install
	MCCS_SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/browser/test_screenshots_browser.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
