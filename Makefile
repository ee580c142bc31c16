# longwriter — the two commands: `make demo` and `make test`. Everything installs from the project files.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= local,eval,train,dev
DEMO_WORDS ?= 1500
DEMO_PROMPT ?= Write a $(DEMO_WORDS)-word illustrated guide to the history of coffee, from its legends in Ethiopia to modern espresso culture.
export LONGWRITER_HOME ?= $(CURDIR)/.longwriter

.PHONY: venv demo test lint unit integration clean

venv: $(STAMP)

# torch==2.13.0 is pinned in the extras (the CPU build on this machine); llama-cpp-python compiles once
# (about 5 minutes on 2 cores), then pip reuses its cached wheel.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[$(EXTRAS)]'
	touch $@

demo: venv
	$(BIN)/longwriter write "$(DEMO_PROMPT)" --output out/demo.md --report out/demo.report.json

lint: venv
	$(BIN)/ruff check longwriter tests benchmarks
	$(BIN)/ruff format --check longwriter tests benchmarks
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest tests/unit -q

integration: venv
	$(BIN)/pytest tests/integration -q -m "not vllm"

test: lint unit integration
	$(MAKE) test-vllm

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out

include mk/*.mk
