# longwriter — the two commands: `make demo` and `make test`. Everything installs from the project files.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= local,eval,train,export,pdf,sources,dev
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

# The vLLM venv and model (minutes of downloads, little CPU) are set up in the background while the
# integration tests run; not during the unit tests, whose linear-time checks want a quiet machine.
VLLM_SETUP_LOG := .longwriter/vllm-setup.log

test: lint unit
	@mkdir -p .longwriter; \
	$(MAKE) --no-print-directory vllm-model > $(VLLM_SETUP_LOG) 2>&1 & setup=$$!; \
	status=0; $(MAKE) --no-print-directory integration || status=$$?; \
	if ! wait $$setup; then echo "vLLM setup failed ($(VLLM_SETUP_LOG)):"; tail -30 $(VLLM_SETUP_LOG); exit 1; fi; \
	test $$status -eq 0 || exit $$status; \
	$(MAKE) --no-print-directory test-vllm

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache out

include mk/*.mk
