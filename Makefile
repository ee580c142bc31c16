# longwriter — the two commands: `make demo` and `make test`. Everything installs from the project files.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= local,eval,train,export,pdf,dev
DEMO_WORDS ?= 1500
DEMO_PROMPT ?= Write a $(DEMO_WORDS)-word illustrated guide to the history of coffee, from its legends in Ethiopia to modern espresso culture.
export LONGWRITER_HOME ?= $(CURDIR)/.longwriter

.PHONY: venv demo test lint unit integration clean

venv: $(STAMP)

# torch==2.13.0 is pinned in the extras (the CPU build on this machine). llama-cpp-python is compiled
# once into $(WHEELS) (about 4 minutes on 2 cores) without -march=native: a native build tuned on one
# CPU dies with a protection fault on another (seen here: an AMX build on a VM that does not enable
# AMX), and pip's own wheel cache would hand that build to every later venv, whatever CMAKE_ARGS says.
WHEELS := .longwriter/wheels
LLAMA_REQ := $(shell grep -o '"llama-cpp-python[^"]*"' pyproject.toml | tr -d '"' | sed 's/\[[a-z]*\]//')
LLAMA_WHEEL := $(WHEELS)/.built-$(subst ==,-,$(LLAMA_REQ))

$(LLAMA_WHEEL):
	$(PY) -m venv $(VENV)
	mkdir -p $(WHEELS)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip wheel -q --no-cache-dir --no-deps "$(LLAMA_REQ)" -w $(WHEELS)
	touch $@

$(STAMP): pyproject.toml $(LLAMA_WHEEL)
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --find-links $(WHEELS) -e '.[$(EXTRAS)]'
	$(BIN)/pip install -q --force-reinstall --no-deps $(WHEELS)/llama_cpp_python-*.whl
	touch $@

demo: venv
	$(BIN)/longwriter write "$(DEMO_PROMPT)" --output out/demo.md --report out/demo.report.json

lint: venv
	$(BIN)/ruff check longwriter tests benchmarks
	$(BIN)/ruff format --check longwriter tests benchmarks
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest tests/unit -q --durations=10

integration: venv
	$(BIN)/pytest tests/integration -q -m "not vllm" --durations=0

test: lint unit integration
	$(MAKE) test-vllm

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out

include mk/*.mk
