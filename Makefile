# ALPR platform: `make run` starts the whole platform locally, `make test` runs the tests.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := libs/common libs/cli libs/devstack \
	services/ingest services/recognition services/hotlist services/search services/audit services/sharing
PYPROJECTS := $(addsuffix /pyproject.toml,$(PACKAGES))
# Python may cache compiled modules (``__pycache__``, git-ignored) even where the environment says
# not to (this project's machines set PYTHONDONTWRITEBYTECODE=1): pytest otherwise parses and
# rewrites the assertions of ~390 modules (tests, conftests, plugin packages) again in each
# worker on every run, and every service and ``alpr`` process compiles our packages again.
# Measured: collection 9.5 s of CPU per worker without the cache, 5.9 s with it.
# ``make test PYTHONDONTWRITEBYTECODE=1`` restores the environment's choice.
export PYTHONDONTWRITEBYTECODE :=

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): $(PYPROJECTS) requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v 'is ignored: it is neither a file' || true; }
	$(BIN)/python -m pip install --quiet -c constraints.txt -r requirements-dev.txt \
		$(addprefix -e ,$(PACKAGES)) 2>&1 | { grep -v 'is ignored: it is neither a file' || true; }
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create .venv and install every package (editable) and the tools

.PHONY: run
run: install ## Run the whole platform locally (embedded PostgreSQL, S3, issuer, six services)
	$(BIN)/alpr dev up

.PHONY: test
test: install ## Lint and type-check beside the whole test suite against real PostgreSQL, S3 and OIDC
	@# Lint runs beside the tests, not before them: the suite waits on its databases and services
	@# about a fifth of the time, which lint's CPU fills instead of adding its time before the
	@# tests. Niced, it takes mostly that idle time: mypy without its cache (a fresh clone) needs 30 s
	@# of CPU, which at equal priority came out of the tests' share. Its output is shown once the
	@# tests end; either failing fails.
	@mkdir -p build
	@nice -n 10 $(MAKE) --no-print-directory lint > build/lint.log 2>&1 & lint=$$!; \
	$(MAKE) --no-print-directory pytest && tests=0 || tests=$$?; \
	wait $$lint && linted=0 || linted=$$?; \
	echo "--- make lint (exit $$linted)"; cat build/lint.log; \
	test $$tests -eq 0 && test $$linted -eq 0

.PHONY: pytest
pytest: install ## The test suite alone (no lint)
	@# Three workers (each with its own PostgreSQL, S3 and issuer), a whole file at a time so a
	@# module's fixtures are set up once, the longest files first (conftest.py's LONGEST_FIRST).
	@# Two cores: the workers wait on their services often enough that a third keeps both busy
	@# (two workers took 319 s, three 256 s, four 266 s).
	$(BIN)/pytest -n 3 --dist loadfile --no-loadscope-reorder

.PHONY: test-slow
test-slow: install ## The hostile-input suite (tests/fuzz) with 200 fuzzed examples per operation
	ALPR_FUZZ_EXAMPLES=$${ALPR_FUZZ_EXAMPLES:-200} $(BIN)/pytest tests/fuzz

.PHONY: test-faults
test-faults: install ## The fault suite (tests/faults, marker faults): a whole stack under faults, then a 5-minute soak
	$(BIN)/pytest -m faults -s tests/faults

.PHONY: lint
lint: install ## ruff, mypy --strict and the import rules (tools/check_imports.py)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/check_imports.py
	$(BIN)/mypy libs services/*/src tests deploy/tools tools
	@# Each service's tests on their own: every tests/ folder has its own conftest module.
	for dir in services/*/tests; do ls $$dir/*.py >/dev/null 2>&1 || continue; MYPYPATH=$$dir $(BIN)/mypy $$dir || exit 1; done

.PHONY: bench
bench: install ## Run the benchmarks (they print their figures beside a baseline)
	$(BIN)/pytest -m bench -s

.PHONY: down
down: install ## Stop a stack started with `make run` / `alpr dev up --detach`
	$(BIN)/alpr dev down

.PHONY: clean
clean: ## Remove the venv and local data
	rm -rf $(VENV) .alpr

.PHONY: openapi
openapi: install ## Write the platform's merged OpenAPI document to build/openapi.json
	$(BIN)/alpr dev openapi --out build/openapi.json

.PHONY: sdk
sdk: openapi ## Regenerate and build the TypeScript SDK (clients/typescript) from that document
	cd clients/typescript && npm ci --no-audit --no-fund && npm run generate && npm run build

.PHONY: console
console: ## Build the SDK and the reference console (apps/console/dist), which `make run` serves at /
	cd clients/typescript && npm ci --no-audit --no-fund && npm run build
	cd apps/console && npm ci --no-audit --no-fund && npm run build
