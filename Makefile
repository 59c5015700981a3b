# `make run` and `make test` set up everything they need on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
MANAGE := DEBUG=1 $(BIN)/python manage.py

.PHONY: run test lint format train superuser browser clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.runtime: requirements.txt | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## run: set up, migrate, train a model if none is in service, serve on http://127.0.0.1:8000
run: $(VENV)/.runtime
	$(MANAGE) migrate --noinput
	$(MANAGE) train_model --if-missing
	$(MANAGE) runserver $(HOST):$(PORT)

## test: set up (tools and Chromium included), lint, run the whole suite
test: $(VENV)/.dev browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

## browser: Debian's Chromium for the end-to-end tests (Playwright cannot download one here)
browser:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

## format: apply ruff's formatting and safe fixes
format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## train: train a new model and put it in service
train: $(VENV)/.runtime
	$(MANAGE) train_model

## superuser: create an admin account for /admin/
superuser: $(VENV)/.runtime
	$(MANAGE) migrate --noinput
	$(MANAGE) createsuperuser

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
