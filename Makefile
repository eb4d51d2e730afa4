# Every target bootstraps the virtualenv through a stamp file, so `make run` and
# `make test` work on a fresh clone with nothing but Python >= 3.10 installed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PY := $(BIN)/python
DBT := cd dbt_project && ../$(BIN)/dbt
HOST ?= 127.0.0.1
DOCS_PORT ?= 8080
# pytest-xdist workers for make test (TEST_WORKERS=0 runs in one process)
TEST_WORKERS ?= 2
DAGSTER_STAMP := $(VENV)/.dagster-installed
DAGSTER_HOME ?= $(CURDIR)/.dagster
DAGSTER_PORT ?= 3000

# DEMO=1: act on the demo's own database (crypto_metrics_demo on the embedded server), which
# `make demo` fills, instead of the one `make run` loads: make status DEMO=1, make psql DEMO=1 ...
DEMO ?=
export CRYPTO_METRICS_DEMO := $(DEMO)

export RUNTIME__DLTHUB_TELEMETRY ?= false
export DBT_SEND_ANONYMOUS_USAGE_STATS ?= false
export DO_NOT_TRACK ?= 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1


.PHONY: setup test test-fast lint format db-start db-stop db-url psql env transform transform-hourly transform-daily \
        freshness status docs run demo hourly daily export chart report bench clean clean-db \
        dagster-setup dagster

setup: $(STAMP) ## create .venv and install the project with its dev tools

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is required")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

dagster-setup: $(DAGSTER_STAMP) ## install the optional Dagster extra (pip install -e ".[dagster]")

$(DAGSTER_STAMP): $(STAMP) pyproject.toml
	@$(PY) -m pip install --quiet -e ".[dev,dagster]"
	@# dagster-dbt asks for sqlglot[rs]; sqlglot 29 no longer uses sqlglotrs and warns on every
	@# import when it is there (two stray lines on stderr of every entry script), so drop it
	@$(PY) -m pip uninstall --quiet --yes sqlglotrs
	@touch $(DAGSTER_STAMP)

dagster: $(DAGSTER_STAMP) ## the Dagster UI (asset graph, partitions, backfills) on http://127.0.0.1:3000
	@mkdir -p $(DAGSTER_HOME)
	@cp -u orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	@$(PY) -m pipelines.common.database_cli start
	@DAGSTER_HOME=$(DAGSTER_HOME) $(PY) -m orchestration.pools
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -m orchestration.definitions -h $(HOST) -p $(DAGSTER_PORT)

test: $(STAMP) ## run the test suite (starts the embedded PostgreSQL unless DATABASE_URL is set)
	CRYPTO_METRICS_DEMO= $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: $(STAMP) ## the inner loop: unit and contract tests, without the slow end-to-end loads and the fault matrix (< 3 min)
	CRYPTO_METRICS_DEMO= $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow and not faults" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check pipelines scripts tests bench orchestration fake_apis

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format pipelines scripts tests bench orchestration fake_apis

db-start: $(STAMP) ## start (or reuse) the embedded server; with DATABASE_URL, check that server
	@$(PY) -m pipelines.common.database_cli start

db-stop: $(STAMP)
	@$(PY) -m pipelines.common.database_cli stop

db-url: $(STAMP) ## print the database URL with the password masked
	@$(PY) -m pipelines.common.database_cli masked-url

psql: $(STAMP) ## psql on the database; ARGS are psql's (ARGS='-c "select 1"'), or SQL on stdin
	@$(PY) -m pipelines.common.database_cli psql $(ARGS)

env: $(STAMP) ## shell exports for dbt/psql: eval $$(make -s env)
	@$(PY) -m pipelines.common.database_cli env

transform: $(STAMP) ## dbt build (seeds, models, tests over every row)
	@$(PY) -m pipelines.common.dbt build

transform-hourly: $(STAMP) ## the hourly cron's build: what new loads change, tests on their rows only
	@$(PY) -m pipelines.common.dbt hourly

transform-daily: $(STAMP) ## the daily cron's build: everything, every test over every row
	@$(PY) -m pipelines.common.dbt daily

freshness: $(STAMP) ## dbt source freshness over the raw tables that exist (monitoring for cron)
	@$(PY) -m pipelines.common.dbt freshness

status: $(STAMP) ## per source: last run, failures, rows in 24 h, data age; exit 0 only when all are OK
	@$(PY) -m pipelines.status $(ARGS)

docs: $(STAMP) ## dbt docs generate, then serve the catalogue on 127.0.0.1
	@$(PY) -m pipelines.common.dbt docs generate
	@$(PY) -m pipelines.common.dbt docs serve --host $(HOST) --port $(DOCS_PORT) --no-browser

run: $(STAMP) ## live pull of every source with credentials, then dbt build, then a summary
	@$(PY) scripts/run_all.py

demo: $(STAMP) ## the same as run, offline, against the fake API servers, into the demo's own database
	@$(PY) scripts/run_all.py --demo

hourly: $(STAMP) ## cron's hourly line: the hourly sources live, the hourly dbt build, status
	@$(PY) scripts/run_all.py --schedule hourly

daily: $(STAMP) ## cron's 00:05 UTC line: every source's daily run (re-read, reconcile), the full dbt build, status
	@$(PY) scripts/run_all.py --schedule daily

# every registered source: make load-<source> (live) and make backfill-<source>, ARGS passed on.
# The sources by name (no recipe: the pattern rules below give it; a test keeps the list equal
# to pipelines/registry.py); a source added to the registry works through the patterns at once.
load-defillama load-artemis load-velo: ## live pull of one source: make load-velo (= python pipelines/velo.py live $(ARGS))
backfill-defillama backfill-artemis backfill-velo: ## history of one source: make backfill-velo ARGS="--since 2026-01-01"

load-%: $(STAMP)
	@test -f pipelines/$*.py || { echo "error: no source '$*' (pipelines/$*.py)" >&2; exit 2; }
	@$(PY) pipelines/$*.py live $(ARGS)

backfill-%: $(STAMP)
	@test -f pipelines/$*.py || { echo "error: no source '$*' (pipelines/$*.py)" >&2; exit 2; }
	@$(PY) pipelines/$*.py backfill $(ARGS)

export: $(STAMP) ## query/export CSV or Parquet: make export ARGS="--entity bitcoin --metric PRICE -o exports/btc.csv"
	@$(PY) scripts/export_metrics.py $(ARGS)

chart: $(STAMP) ## one metric of one entity across sources: make chart ARGS="--entity bitcoin --metric PRICE --compare"
	@$(PY) scripts/chart.py $(ARGS)

report: $(STAMP) ## self-contained HTML page on the state of the data (exports/report.html)
	@$(PY) scripts/report.py $(ARGS)

bench: $(STAMP) ## throughput and memory benchmarks (see bench/README.md)
	@$(PY) bench/run_all.py $(ARGS)

clean: ## remove generated files; keeps the database (.pgdata) and .dlt/secrets.toml
	rm -rf $(VENV) dbt_project/target dbt_project/logs .pytest_cache .ruff_cache .hypothesis bench/results

clean-db: ## stop the embedded server and DELETE its data and dlt's working state (DEMO=1: only the demo's)
ifeq ($(DEMO),1)
	@$(PY) -m pipelines.common.demo drop
else
	-@test -x $(PY) && $(PY) -m pipelines.common.database_cli stop
	rm -rf .pgdata .dlt-pipelines
endif
