# `make test` and `make demo` work on a fresh machine with nothing but Python 3.11+:
# they create .venv when missing and install the project into it.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-output

.PHONY: test test-fast demo lint bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Everything: unit, cli and e2e (real Chromium, Redis, Scrapyd where installed). What CI runs.
test: lint
	$(BIN)/python -m pytest

# Unit and CLI tests without services, subprocess crawls or the scan matrix: about a minute.
test-fast: lint
	$(BIN)/python -m pytest tests/unit tests/cli -m "not e2e and not chromium and not redis and not scrapyd and not ocr"

demo: $(VENV)/.installed
	$(BIN)/python examples/demo.py --db $(DEMO)/icpwatch.db

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/check_speed.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache *.egg-info
