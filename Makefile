# The two Quickstart targets install what they need into .venv themselves.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cabinleak demo --plot docs/demo.png --preview docs/report.png

test: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks/*.py)
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks/*.py)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_simulate.py --write
	$(BIN)/python benchmarks/bench_simulate.py --write --linear-below-Pa 1
	$(BIN)/python benchmarks/bench_detect.py --write
	$(BIN)/python benchmarks/bench_estimate.py --write
	$(BIN)/python benchmarks/bench_analyze.py --write
	$(BIN)/python benchmarks/bench_locate.py --write
	$(BIN)/python benchmarks/calibrate_realistic.py
	$(BIN)/python benchmarks/bench_realistic.py --write

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache
