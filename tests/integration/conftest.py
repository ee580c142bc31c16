"""Real components for integration tests: the embedded llama.cpp server, started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from longwriter.llm.local_server import LocalServer


@pytest.fixture(scope="session")
def local_server() -> Iterator[LocalServer]:
    """The bundled SmolLM2 behind llama.cpp's OpenAI-compatible server on 127.0.0.1 (always stopped)."""
    with LocalServer() as server:
        yield server
