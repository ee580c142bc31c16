"""Shared test settings: an isolated LONGWRITER_HOME and the vLLM fixtures plugin."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.integration.vllm_fixtures"]


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Checkpoints, memory and outputs of every test go to a temporary LONGWRITER_HOME."""
    home = tmp_path_factory.mktemp("lw-home")
    monkeypatch.setenv("LONGWRITER_HOME", str(home))
    yield home
