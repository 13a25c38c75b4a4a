# Provider concerns: everything a newcomer needs is `make run` and `make test`.
#
#   make run      venv + deps, runtime apt libraries, migrate, demo data, then the site on
#                 http://127.0.0.1:8000 with a Celery worker + beat beside it (SQLite, no Redis/PostgreSQL);
#                 `make run PORT=8010` for another port (links in emails and calendars follow it)
#   make test     venv + deps, PostgreSQL/Redis/Chromium (installed and started if missing), ruff, bandit, lint-imports,
#                 migrations check, pytest.  `make test PYTEST_ARGS="-k foo"`; REQUIRE_SERVICES=1 in CI.
#   make lint | assets | bench | workflow | clean

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Shared libraries WeasyPrint (PDF letters) and python-magic (evidence uploads) load at run time.
RUNTIME_APT := libpango-1.0-0 libpangoft2-1.0-0 libmagic1 fonts-liberation graphviz poppler-utils

# `make test` settings; anything already in the environment or on the command line wins.
TEST_DATABASE_URL      ?= postgres://postgres@127.0.0.1:5432/provider_concerns
TEST_CELERY_BROKER_URL ?= redis://127.0.0.1:6379/15
REQUIRE_SERVICES ?= 0
export REQUIRE_SERVICES
PYTEST_ARGS ?=

# `make run` serves on this port; links in emails and calendar feeds use SITE_URL, which follows the port unless
# it is set already.
PORT     ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: help venv system-deps services run migrate seed test lint assets bench workflow letters clean

help:
	@echo "make run        serve http://127.0.0.1:8000 with demo data and a Celery worker (SQLite; PORT=8010 ...)"
	@echo "make test       ruff + migrations check + pytest against PostgreSQL/Redis (PYTEST_ARGS=...)"
	@echo "make lint       ruff check"
	@echo "make assets     rebuild static/govuk/ from govuk-frontend (needs npm)"
	@echo "make bench      python manage.py bench"
	@echo "make workflow   python manage.py workflow_svg"
	@echo "make clean      remove var/ and .venv/"

# ---------------------------------------------------------------------------------------- environment
# The interpreter; Debian's python3.11 needs python3.11-venv for `-m venv` (ensurepip).
$(PY):
	@if ! command -v $(PYTHON_BOOTSTRAP) >/dev/null 2>&1; then \
	    scripts/services.sh apt python3.11 python3.11-venv; \
	elif ! $(PYTHON_BOOTSTRAP) -c 'import ensurepip, venv' >/dev/null 2>&1; then \
	    scripts/services.sh apt python3.11-venv; \
	fi
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)

# Reinstall only when pyproject.toml changes (order-only on the interpreter, so the venv's mtime does not count).
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[dev]"
	@touch $@

venv: $(STAMP)

system-deps:
	@scripts/services.sh apt $(RUNTIME_APT)

services:
	@scripts/services.sh

# ---------------------------------------------------------------------------------------- run
migrate: venv
	@mkdir -p var
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: venv system-deps seed
	@HOST_PORT="127.0.0.1:$(PORT)" SITE_URL="$(SITE_URL)" scripts/run.sh

# ---------------------------------------------------------------------------------------- test
test: export DATABASE_URL ?= $(TEST_DATABASE_URL)
test: export CELERY_BROKER_URL ?= $(TEST_CELERY_BROKER_URL)
test: venv system-deps
	@scripts/services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -c pyproject.toml -r . -q
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	# --create-db: a run that was killed part-way leaves rows from its transactional tests behind;
	# reusing that database would fail the next run on duplicate users.
	$(VENV)/bin/pytest --create-db $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# ---------------------------------------------------------------------------------------- extras
assets:
	scripts/build-assets.sh

bench: export DATABASE_URL ?= $(TEST_DATABASE_URL)
bench: venv system-deps
	@scripts/services.sh
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py migrate --noinput -v0
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py bench $(BENCH_ARGS)

# The pages through gunicorn (production settings) at a fixed rate, against a database at design volume:
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/pc_scale make bench-load BENCH_ARGS="--seconds 60"
# A database holding nothing or only the demo gets design volume first (seed_demo --scale 100, ~2.5 min);
# one scaled already but short is refused unless BENCH_ARGS has --allow-small-data (docs/performance.md).
.PHONY: bench-load
bench-load: export DATABASE_URL ?= $(TEST_DATABASE_URL)
bench-load: venv system-deps
	@scripts/services.sh
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py migrate --noinput -v0
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py bench --only load --load-volume $(BENCH_ARGS)

letters: venv
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py example_letters

workflow: venv
	$(PY) manage.py workflow_svg $(WORKFLOW_ARGS)

clean:
	rm -rf var $(VENV) provider_concerns.egg-info
