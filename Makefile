# `make run`, `make serve` and `make test` set up everything they need on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests wait on servers, workers and a browser as much as they compute: three
# processes keep two cores busy.
TEST_PROCESSES ?= 3
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
MANAGE := DEBUG=1 $(BIN)/python manage.py
SERVE_MANAGE := DEBUG=0 $(BIN)/python manage.py

.PHONY: run serve test test-full lint format train superuser system-packages clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.runtime: requirements.txt | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

## run: set up, migrate, serve on http://127.0.0.1:$(PORT) within a minute: a quick model
## first (seconds), the full one trained meanwhile as a job by a worker at low priority
## (log: var/worker.log) and put in service when ready; the worker stops with the server
run: $(VENV)/.runtime
	$(MANAGE) migrate --noinput
	$(MANAGE) import_models
	$(MANAGE) train_model --if-missing --fast --skip-evaluation
	$(MANAGE) train_model --if-fast --in-background
	@mkdir -p var
	@echo "A worker runs the jobs (training, rescoring, exports) at low priority; log: var/worker.log"
	nice -n 15 env $(MANAGE) db_worker --queue-name default,training --no-reload > var/worker.log 2>&1 & \
	  worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(MANAGE) runserver $(HOST):$(PORT)

## serve: production-like: static files collected, migrate, train if needed, gunicorn on http://$(HOST):$(PORT)
serve: $(VENV)/.runtime
	@test -n "$$SECRET_KEY" || { \
	  echo "make serve: SECRET_KEY is not set. DEBUG is off here, so Django needs a secret key:" >&2; \
	  echo "  export SECRET_KEY=\"\$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')\"" >&2; \
	  echo "(keep it the same across restarts; see .env.example for the other settings)" >&2; \
	  exit 2; }
	$(SERVE_MANAGE) collectstatic --noinput --verbosity 0
	$(SERVE_MANAGE) migrate --noinput
	$(SERVE_MANAGE) import_models
	$(SERVE_MANAGE) train_model --if-missing
	@echo "Jobs (training, rescoring, exports from the admin and the API) need a worker, on this"
	@echo "machine or another with the same settings: DEBUG=0 $(BIN)/python manage.py db_worker"
	@echo "  --queue-name default,training   (how many, which queues: docs/deploy.md)"
	HOST=$(HOST) PORT=$(PORT) DEBUG=0 SECURE_SSL_REDIRECT=$${SECURE_SSL_REDIRECT:-0} \
	  LOG_FORMAT=$${LOG_FORMAT:-json} exec $(BIN)/gunicorn --config gunicorn.conf.py digitsite.wsgi

## test: set up (tools, Chromium and Redis included), lint (ruff and the layers' import
## contract), run the suite in TEST_PROCESSES processes: every test but the full
## model's (it trains it: minutes of both cores), which `make test-full` adds
test: $(VENV)/.dev system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest --numprocesses $(TEST_PROCESSES) --dist worksteal --durations=10 -m "not full_training"

## test-full: `make test`, then the full model trained as `make run` trains it and held
## to the recognition targets (what .ci/run does before the PostgreSQL pass)
test-full: test
	$(BIN)/python -m pytest -m full_training

## system-packages: Debian's Chromium (Playwright cannot download one here), Redis and
## Prometheus (with promtool) for the tests
system-packages:
	@test -x /usr/bin/chromium -a -x /usr/bin/redis-server -a -x /usr/bin/prometheus || { \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q \
	  chromium redis-server prometheus; }

## format: apply ruff's formatting and safe fixes
format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## train: train a new model and put it in service
train: $(VENV)/.runtime
	$(MANAGE) train_model

## superuser: create an admin account for /admin/ (asks; or, without a terminal, set
## DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_EMAIL and DJANGO_SUPERUSER_PASSWORD)
superuser: $(VENV)/.runtime
	$(MANAGE) migrate --noinput
	$(MANAGE) createsuperuser $(if $(DJANGO_SUPERUSER_PASSWORD),--noinput)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache
