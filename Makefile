# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench services clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,redis]'
	touch $(STAMP)

## Start the service with the embedded defaults (SQLite, in-process events) and the demo.
run: $(STAMP)
	$(BIN)/wa-crm demo

# pytest-xdist workers: the tests mostly wait on servers, subprocesses and browsers, so more
# workers than cores pay; past three, the workers' own start-up and contention eat the gain on
# this two-core machine (measured: README, "Tests and benchmarks").
TEST_WORKERS ?= 3

## Every test: starts PostgreSQL and Redis when they are not running, then lint + pytest in
## parallel; prints how long it all took.
test: $(STAMP)
	@started=$$(date +%s); \
	$(MAKE) --no-print-directory services lint \
		&& $(BIN)/pytest -p no:cacheprovider -n $(TEST_WORKERS); \
	status=$$?; \
	echo "make test: $$(( $$(date +%s) - started )) s (services, lint and pytest), exit $$status"; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/lint-imports
	$(BIN)/mypy

services:
	scripts/ensure-services.sh
	scripts/ensure-browser.sh

bench: $(STAMP) services
	command -v wrk >/dev/null || apt-get install -y -qq wrk
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
