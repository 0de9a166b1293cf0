# Two targets a new user needs: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup lint bench

$(BIN)/nianbao: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(BIN)/nianbao

setup: $(BIN)/nianbao

demo: setup  ## parse the bundled sample reports and show what nianbao finds
	$(BIN)/nianbao parse

test: setup  ## the whole test suite, plus lint and types
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

bench: setup  ## speed and memory (run by hand; results go into docs/benchmarks.md)
	$(BIN)/python bench/parse_speed.py
