# Two commands from a clean clone: `make run` serves the dashboard, `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: run test install install-test lint bench bundle clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

# The postgres extra (psycopg) too: the store, pipeline, review and API tests also run against
# PostgreSQL when CONFLICTMAP_TEST_POSTGRES_URL is set (.ci/run sets it). The stamp depends on this
# file too, so a venv installed before a change of extras here is brought up to date.
$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml Makefile
	$(PY) -m pip install --quiet -e '.[test,postgres]'
	touch $@

# The page's plotly.js with only the trace types it draws (scripts/build_plotly_bundle.py): its
# first map about 0.6-0.7 s sooner. Built when Node.js and npm are there; otherwise the page runs on
# Dash's full plotly.js and this says so once (the stamp), until frontend/ changes or `make bundle`.
BUNDLE_STAMP := frontend/.build-attempted
$(BUNDLE_STAMP): $(VENV)/.installed frontend/package.json frontend/package-lock.json frontend/plotly-entry.js \
		scripts/build_plotly_bundle.py
	$(PY) scripts/build_plotly_bundle.py --if-possible
	touch $@

bundle: $(VENV)/.installed
	$(PY) scripts/build_plotly_bundle.py
	touch $(BUNDLE_STAMP)

install: $(VENV)/.installed $(BUNDLE_STAMP)
install-test: $(VENV)/.installed-test $(BUNDLE_STAMP)

run: $(VENV)/.installed $(BUNDLE_STAMP)
	$(PY) app.py --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test $(BUNDLE_STAMP)
	$(PY) -m pytest

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_dashboard.py

clean:  # keeps var/, where the store (everything ingested) lives
	rm -rf build *.egg-info var/bench assets/plotly-bundle frontend/.build frontend/.build-attempted
