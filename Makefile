# The two Quickstart targets install what they need into .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench mutate clean console-setup

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dask]'
	touch $(STAMP)

# The console's JavaScript (uPlot), from the committed lock file; and the browser its
# tests drive (Debian's chromium: playwright cannot download one here). As root, as CI is.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
console-setup: node_modules/.package-lock.json
	@test -x /usr/bin/chromium || (apt-get update -q && apt-get install -y -q chromium)

demo: $(STAMP)
	$(BIN)/cabinleak demo --plot docs/demo.png --preview docs/report.png

test: $(STAMP) console-setup
	$(BIN)/ruff check src tests $(wildcard benchmarks/*.py) $(wildcard tools/*.py) $(wildcard examples/*.py)
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks/*.py) $(wildcard tools/*.py) $(wildcard examples/*.py)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_startup.py --write
	$(BIN)/python benchmarks/bench_simulate.py --write
	$(BIN)/python benchmarks/bench_simulate.py --write --linear-below-Pa 1
	$(BIN)/python benchmarks/bench_detect.py --write
	$(BIN)/python benchmarks/bench_estimate.py --write
	$(BIN)/python benchmarks/bench_analyze.py --write
	$(BIN)/python benchmarks/bench_locate.py --write
	$(BIN)/python benchmarks/bench_locate_realistic.py --write
	$(BIN)/python benchmarks/calibrate_realistic.py
	$(BIN)/python benchmarks/bench_realistic.py --write
	$(BIN)/python benchmarks/bench_scale.py --write
	$(BIN)/python benchmarks/bench_blowdown.py --write
	$(BIN)/python benchmarks/bench_cells.py --write
	$(BIN)/python benchmarks/bench_mmod.py --write
	$(BIN)/python benchmarks/bench_campaign.py --million --write

# Mutation testing (tools/mutate.py; docs/mutation.md): a seeded sample of small slips in
# physics/, estimate/ and locate/model.py, each run against the tests mapped to its module.
# Slow (15-40 min on two shared cores); MUTATE_ARGS="--max-per-module 0" runs every site.
MUTATE_ARGS ?=
mutate: $(STAMP)
	$(BIN)/python tools/mutate.py $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .mutate node_modules
