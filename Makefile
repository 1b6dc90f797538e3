# The two commands: `make run` (server on SQLite with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export CLINIC_ENV ?= development

.PHONY: run test lint openapi migrate seed bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

migrate: $(VENV)/.installed
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

run: seed
	$(BIN)/gunicorn --workers $${WEB_CONCURRENCY:-2} --bind $${BIND:-127.0.0.1:8000} \
		--access-logfile - wsgi:app

test: $(VENV)/.dev-installed
	CLINIC_ENV=testing $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check clinic tests bench
	$(BIN)/ruff format --check clinic tests bench
	$(BIN)/mypy

openapi: $(VENV)/.dev-installed
	CLINIC_ENV=testing $(FLASK) openapi write --format=yaml openapi.yaml

bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
