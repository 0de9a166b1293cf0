# Two targets a new user needs: `make demo` and `make test`. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

# Debian packages some features need: a CJK font (PDF rendering, screenshots), poppler-utils
# (pdftoppm, to look at rendered pages), chromium (the review page's browser test),
# LibreOffice (reading .doc/.wps/.odt; turning rendered DOCX into PDF for a look), PostgreSQL
# (the store's server tests start a private cluster with scripts/pg-test-server).
SYSTEM_PACKAGES := fonts-wqy-zenhei poppler-utils chromium libreoffice-writer-nogui postgresql

.PHONY: demo demo-deps serve test setup native system-deps lint bench fuzz

$(BIN)/nianbao: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,ocr]"
	@# An editable install leaves our own modules uncompiled; with PYTHONDONTWRITEBYTECODE set
	@# (as on CI machines) every command would compile ~50 modules again (~70 ms of each start).
	$(BIN)/python -m compileall -q src >/dev/null
	@touch $(BIN)/nianbao

setup: $(BIN)/nianbao native

# The parse's hot modules compiled with mypyc into build/native (docs/native.md): cached, used only while
# every source matches the build; without a C compiler, or if mypyc fails, one line says so and nianbao
# runs as pure Python. NIANBAO_NATIVE=0 skips the build (and turns a present one off).
native: $(BIN)/nianbao
	@$(BIN)/python tools/build_native.py || echo "native build: failed; nianbao runs as pure Python"

system-deps:  ## the Debian packages above; installed when root with apt, else a warning (their tests skip)
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	else \
	  echo "warning: missing system packages:$$missing (install them as root; the tests that need them skip)"; \
	fi

DEMO := demo

# What the demo needs from the system: a CJK TrueType font to embed in the sample PDFs (without
# one they use STSong-Light, which shows only in viewers that carry Adobe's CJK fonts).
DEMO_PACKAGES := fonts-wqy-zenhei

demo-deps:
	-@$(MAKE) --no-print-directory system-deps SYSTEM_PACKAGES="$(DEMO_PACKAGES)"  # the demo runs without it

demo: setup demo-deps  ## write a sample corpus (30 fictional reports, all formats) and review it
	$(BIN)/nianbao sample -n 30 -o $(DEMO) --seed 7 --defects 0.3
	$(BIN)/nianbao check $(DEMO)/cases --html $(DEMO)/review.html --xlsx $(DEMO)/findings.xlsx || [ $$? -eq 1 ]
	$(BIN)/nianbao ingest $(DEMO)/cases --db $(DEMO)/nianbao.db --quiet
	$(BIN)/nianbao list --db $(DEMO)/nianbao.db
	@echo "审核页面：$(DEMO)/review.html  意见表：$(DEMO)/findings.xlsx  标准答案：$(DEMO)/gold/  数据库：$(DEMO)/nianbao.db"
	@echo "在浏览器中审核：make serve（首次打开 http://127.0.0.1:8000/ 时创建管理员账号）"

serve: setup  ## the reviewer's desk over the demo store (make demo first); the first visit creates the admin
	$(BIN)/nianbao serve --db $(DEMO)/nianbao.db

test: setup system-deps  ## the whole test suite, plus lint and types
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy tools/build_native.py
	$(BIN)/mypy
	$(BIN)/pytest

bench: setup  ## speed and memory (run by hand; results go into docs/benchmarks.md)
	$(BIN)/python bench/parse_speed.py
	$(BIN)/python bench/format_speed.py

FUZZ_ROUNDS ?= 10

fuzz: setup  ## the long fuzz run: hostile and damaged inputs through the CLI (figures go into docs/fuzz.md)
	$(BIN)/python bench/fuzz.py --rounds $(FUZZ_ROUNDS) --seed 1
