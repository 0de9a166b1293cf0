# Two targets a new user needs: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Debian packages some features need: a CJK font (PDF rendering, screenshots), poppler-utils
# (pdftoppm, to look at rendered pages), chromium (the review page's browser test).
SYSTEM_PACKAGES := fonts-wqy-zenhei poppler-utils chromium

.PHONY: demo test setup system-deps lint bench

$(BIN)/nianbao: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(BIN)/nianbao

setup: $(BIN)/nianbao

system-deps:  ## the Debian packages above (needs root and apt); skipped when all are present
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: setup  ## parse the bundled sample reports and show what nianbao finds
	$(BIN)/nianbao parse

test: setup  ## the whole test suite, plus lint and types
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

bench: setup  ## speed and memory (run by hand; results go into docs/benchmarks.md)
	$(BIN)/python bench/parse_speed.py
