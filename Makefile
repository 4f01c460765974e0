# Every target creates .venv on first use; nothing needs to be installed by hand.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# exporter tests: the BigQuery emulator lives in its own virtualenv (it needs duckdb 1.5.5, the
# spatial extension where DuckDB looks for it, under this HOME, and numpy, which it does not declare).
BQEMULATOR_VENV := .venv-bqemulator
BQEMULATOR := $(BQEMULATOR_VENV)/.installed
CONNECTORS := $(patsubst %/connector.py,%,$(wildcard */connector.py))
# Offline and quiet: no telemetry, a no-op pipreqs first on PATH, the venv next.
export DO_NOT_TRACK := 1
export PATH := $(CURDIR)/tools:$(CURDIR)/$(BIN):$(PATH)

.PHONY: install test lint format demo debug package bench elasticsearch-export clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml tools/requirements.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PYTHON) tools/requirements.py > $(VENV)/requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	touch $@

test: $(INSTALLED) $(BQEMULATOR) lint
	$(BIN)/python -m pytest

$(BQEMULATOR):
	test -x $(BQEMULATOR_VENV)/bin/python || $(PYTHON) -m venv $(BQEMULATOR_VENV)
	$(BQEMULATOR_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
		bqemulator==1.4.0 duckdb==1.5.5 duckdb-extension-spatial==1.5.5 numpy==2.4.6
	mkdir -p $(BQEMULATOR_VENV)/home/.duckdb/extensions/v1.5.5/linux_amd64
	cp $(BQEMULATOR_VENV)/lib/python3*/site-packages/duckdb_extension_spatial/extensions/v1.5.5/spatial.duckdb_extension \
		$(BQEMULATOR_VENV)/home/.duckdb/extensions/v1.5.5/linux_amd64/
	touch $@

lint: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

demo: $(INSTALLED)
	$(BIN)/python tools/sdk_env.py
	$(BIN)/python -m tools.demo

debug: $(INSTALLED)
	@test -n "$(CONNECTOR)" || { echo "usage: make debug CONNECTOR=<$(CONNECTORS)>"; exit 2; }
	cd $(CONNECTOR) && ./debug.sh

package: $(INSTALLED)
	$(BIN)/python tools/sdk_env.py
	@for c in $(CONNECTORS); do tools/package_connector.sh $$c || exit 1; done

bench: $(INSTALLED)
	$(BIN)/python tools/sdk_env.py
	$(BIN)/python -m tests.benchmarks

# The metrics table from motionblend's local DuckDB to $ELASTICSEARCH_URL (incremental), or,
# without it, the _bulk body as NDJSON to replay later. EXPORT_ARGS adds options (see exporter/).
EXPORT_NDJSON := files/elasticsearch/mb_blends.ndjson
elasticsearch-export: $(INSTALLED)
	@if [ -n "$$ELASTICSEARCH_URL" ]; then \
		$(BIN)/python -m exporter $(EXPORT_ARGS); \
	else \
		echo "ELASTICSEARCH_URL is not set: writing the _bulk body to $(EXPORT_NDJSON) instead"; \
		$(BIN)/python -m exporter --output $(EXPORT_NDJSON) $(EXPORT_ARGS); \
	fi

clean:
	rm -rf $(VENV) $(BQEMULATOR_VENV) */files */crash-reports files .pytest_cache .ruff_cache bench-results.json
