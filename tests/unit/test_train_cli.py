"""`train sft` / `train dpo`: the shared options reach the run settings and the summary is printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import longwriter.train.dpo
import longwriter.train.sft
from longwriter.train.cli import app
from longwriter.train.common import TrainReport


def _fake_run(seen: list[Any]) -> Any:
    def run(options: Any) -> TrainReport:
        seen.append(options)
        report = TrainReport("m", options.model, str(options.out), 7, 1, 0, steps=3)
        report.losses = [2.5, 1.25]
        return report

    return run


def test_sft_command_builds_its_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(longwriter.train.sft, "run_sft", _fake_run(seen))
    args = ["sft", "--data", "d.jsonl", "--out", str(tmp_path), "--lora-r", "4", "--lr", "0.001"]
    result = CliRunner().invoke(app, [*args, "--mix", "g.jsonl", "--no-packing", "--seed", "5"])
    assert result.exit_code == 0, result.output
    options = seen[0]
    assert (options.data, options.mix, options.mix_ratio, options.packing) == (
        Path("d.jsonl"),
        Path("g.jsonl"),
        0.5,
        False,
    )
    assert (options.lora_r, options.lora_alpha, options.learning_rate) == (4, 8, 0.001)
    assert (options.seed, options.model, options.out, options.max_length) == (
        5,
        "embedded",
        tmp_path,
        32768,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["examples"], summary["dropped_too_long"], summary["steps"]) == (7, 1, 3)
    assert (summary["loss_first"], summary["loss_last"]) == (2.5, 1.25)
    CliRunner().invoke(app, ["sft", "--data", "d.jsonl", "--out", str(tmp_path)])
    assert seen[1].mix_ratio == 0.0 and seen[1].learning_rate is None  # no --mix: nothing mixed


def test_dpo_command_builds_its_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(longwriter.train.dpo, "run_dpo", _fake_run(seen))
    args = ["dpo", "--pairs", "p.jsonl", "-o", str(tmp_path), "--beta", "0.2", "--full"]
    result = CliRunner().invoke(app, [*args, "--too-long", "truncate", "--model", "m"])
    assert result.exit_code == 0, result.output
    options = seen[0]
    assert (options.pairs, options.beta, options.sft_weight, options.full) == (
        Path("p.jsonl"),
        0.2,
        0.0,
        True,
    )
    assert (options.too_long, options.model, options.lora_alpha) == ("truncate", "m", 32)
    assert json.loads(result.stdout.strip().splitlines()[-1])["out"] == str(tmp_path)
    missing = CliRunner().invoke(app, ["dpo", "--pairs", "p.jsonl"])
    assert missing.exit_code == 2 and "--output" in missing.output
