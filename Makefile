# avro-ingest: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK := stack/stack.sh

.PHONY: help deps venv stack-up stack-down stack-status airflow-up airflow-down airflow-status test test-unit test-integration soak lint demo bench clean-state

help:
	@echo "make demo          install, start the local stack, run the pipeline on sample data"
	@echo "make test          install, start the local stack, run unit and integration tests"
	@echo "make test-unit     unit tests only (no stack needed)"
	@echo "make soak          the race, fault, services and browser tests, SOAK_ROUNDS times"
	@echo "make lint          ruff and mypy"
	@echo "make stack-up | stack-down | stack-status"
	@echo "make airflow-up | airflow-down | airflow-status   Airflow's services and UI (port 8080)"
	@echo "make bench         benchmarks (see bench/README.md)"

deps:
	@stack/install-system-deps.sh

CACHE ?= $(or $(AVRO_INGEST_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/avro-ingest)
WHEELS := $(CACHE)/wheels

# Re-installs when a pin changes. Every pinned package is kept as a wheel (downloaded, or
# built once, like gssapi) in the user's cache, so a second install downloads nothing.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@stack/install-system-deps.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@mkdir -p $(WHEELS)
	@$(PY) -m pip wheel --quiet --no-index --find-links $(WHEELS) -w $(WHEELS) \
		-r requirements-dev.txt 2>/dev/null \
	|| $(PY) -m pip wheel --quiet --find-links $(WHEELS) -w $(WHEELS) -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-index --find-links $(WHEELS) -r requirements-dev.txt
	@touch $@

# The package (plugins/) and the repository's own modules (stack, tests, bench) importable by
# every program this venv runs, with no sys.path edits in the scripts.
$(VENV)/.paths: $(VENV)/.installed
	@$(PY) -c 'import sysconfig; open(sysconfig.get_paths()["purelib"] + "/avro-ingest.pth", "w").write("$(CURDIR)/plugins\n$(CURDIR)\n")'
	@touch $@

venv: $(VENV)/.installed $(VENV)/.paths

stack-up: venv
	@$(STACK) up

stack-down:
	@$(STACK) down

stack-status:
	@$(STACK) status

airflow-up: venv stack-up
	@$(PY) stack/airflow_services.py up

airflow-down:
	@test ! -x $(PY) || $(PY) stack/airflow_services.py down

airflow-status:
	@$(PY) stack/airflow_services.py status

test: venv stack-up
	@bin/run-pytest tests

test-unit: venv
	@bin/run-pytest tests -m "not integration"

test-integration: venv stack-up
	@bin/run-pytest tests -m integration

# The tests of timing (runs racing, services killed, the scheduler, the browser) again and
# again: a failure that shows once in twenty runs shows here, not at night.
SOAK_ROUNDS ?= 5
SOAK_TESTS := tests/integration/test_exactly_once.py tests/integration/test_crash_points.py \
	tests/integration/test_files_that_move.py tests/integration/test_claim_and_wait.py \
	tests/integration/test_services.py tests/integration/test_trigger_form_in_a_browser.py

soak: venv stack-up
	@for round in $$(seq 1 $(SOAK_ROUNDS)); do \
		echo "soak: round $$round of $(SOAK_ROUNDS)"; \
		bin/run-pytest $(SOAK_TESTS) -q || { echo "soak: failed in round $$round"; exit 1; }; \
	done

lint: venv
	$(PY) -m ruff check .
	$(PY) -m mypy plugins/avro_ingest

demo: venv stack-up
	@$(PY) bin/demo.py

bench: venv stack-up
	@$(PY) bench/e2e/run.py $(BENCH_ARGS)

# The services' database goes too (run by root, its data is in /tmp).
clean-state: stack-down
	@test ! -x $(PY) || $(PY) stack/airflow_services.py remove
	rm -rf stack/.state
