# Two commands do all the set-up on a fresh machine:
#   make demo   - create .venv, install camaudit, run the emulated fleet end to end
#   make test   - create .venv, install camaudit with its dev tools, run ruff, mypy and pytest
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench clean system-deps

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/camaudit demo

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

system-deps:
	./scripts/system-deps.sh

test: system-deps lint
	./scripts/with-postgres.sh $(BIN)/pytest

bench: $(BIN)/.installed
	./scripts/system-deps.sh bench
	$(BIN)/python benchmarks/bench_scan.py

clean:
	rm -rf $(VENV) camaudit-demo .pytest_cache .mypy_cache .ruff_cache
