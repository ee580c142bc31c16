"""Pytest plugin: where the vLLM server under test is (set by `make test-vllm`).

Register it once, e.g. in tests/conftest.py: `pytest_plugins = ["tests.integration.vllm_fixtures"]`.
Every fixture skips the test when LONGWRITER_VLLM_URL is unset.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def vllm_base_url() -> str:
    """OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1."""
    url = os.environ.get("LONGWRITER_VLLM_URL", "").rstrip("/")
    if not url:
        pytest.skip("LONGWRITER_VLLM_URL is unset: run `make test-vllm` to start vLLM and test")
    return url


@pytest.fixture(scope="session")
def vllm_root_url(vllm_base_url: str) -> str:
    """Server root (for /health and /metrics), the base URL without its /v1."""
    return vllm_base_url.removesuffix("/v1")


@pytest.fixture(scope="session")
def vllm_model(vllm_base_url: str) -> str:
    """Served model name (LONGWRITER_VLLM_MODEL, default smollm2)."""
    return os.environ.get("LONGWRITER_VLLM_MODEL", "smollm2")


@pytest.fixture(scope="session")
def vllm_max_model_len(vllm_base_url: str) -> int:
    """Context length the server was started with (LONGWRITER_VLLM_MAX_LEN, default 8192)."""
    return int(os.environ.get("LONGWRITER_VLLM_MAX_LEN", "8192"))
