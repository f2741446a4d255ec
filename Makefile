# avro-ingest: `make demo` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK := stack/stack.sh

.PHONY: help deps venv stack-up stack-down stack-status test test-unit test-integration lint demo bench clean-state

help:
	@echo "make demo          install, start the local stack, run the pipeline on sample data"
	@echo "make test          install, start the local stack, run unit and integration tests"
	@echo "make test-unit     unit tests only (no stack needed)"
	@echo "make lint          ruff and mypy"
	@echo "make stack-up | stack-down | stack-status"
	@echo "make bench         benchmarks (see bench/README.md)"

deps:
	@stack/install-system-deps.sh

# Re-installs when a pin changes. pip keeps downloaded and built wheels in its cache
# (~/.cache/pip), so a second install on the same machine downloads nothing.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@stack/install-system-deps.sh
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

stack-up: venv
	@$(STACK) up

stack-down:
	@$(STACK) down

stack-status:
	@$(STACK) status

test: venv stack-up
	@bin/run-pytest tests

test-unit: venv
	@bin/run-pytest tests -m "not integration"

test-integration: venv stack-up
	@bin/run-pytest tests -m integration

lint: venv
	$(PY) -m ruff check .
	$(PY) -m mypy plugins/avro_ingest

demo: venv stack-up
	@$(PY) bin/demo.py

bench: venv stack-up
	@$(PY) bench/run.py $(BENCH_ARGS)

clean-state: stack-down
	rm -rf stack/.state
