"""The local smoke path: a few SFT and DPO steps on the embedded model, on CPU, in minutes.

It writes a tiny deterministic dataset, trains a LoRA adapter with SFT, trains DPO on top of it,
loads the SFT adapter back and generates. ``longwriter train smoke``, the integration test and
``benchmarks/bench_train.py`` all run it.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from longwriter.jsonl import save_jsonl
from longwriter.train.common import EMBEDDED, TrainReport, load_model_and_tokenizer

TOPICS = ("tea", "rivers", "bridges", "clocks", "maps", "bells")


def _answer(topic: str, sentences: int) -> str:
    return " ".join(
        f"The story of {topic} continues with point {i}, a careful note on how {topic} shaped "
        f"daily life."
        for i in range(sentences)
    )


def write_toy_data(folder: Path, examples: int = 2, sentences: int = 4) -> tuple[Path, Path]:
    """A tiny SFT file (chat rows) and a DPO pairs file (long answer chosen over a one-liner)."""
    sft: list[dict[str, Any]] = []
    pairs: list[dict[str, Any]] = []
    for topic in TOPICS[:examples]:
        prompt = f"Write a note about {topic}."
        answer = _answer(topic, sentences)
        messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
        sft.append({"messages": messages})
        pairs.append({"prompt": prompt, "chosen": answer, "rejected": f"{topic.title()} exist."})
    return save_jsonl(folder / "toy_sft.jsonl", sft), save_jsonl(folder / "toy_pairs.jsonl", pairs)


@dataclass
class SmokeResult:
    """Figures of a smoke run."""

    sft: TrainReport
    dpo: TrainReport | None
    generated: str
    load_and_generate_seconds: float

    def summary(self) -> dict[str, Any]:
        """Flat figures for printing."""
        out: dict[str, Any] = {"generated": self.generated}
        for name, rep in (("sft", self.sft), ("dpo", self.dpo)):
            if rep is None:
                continue
            out[name] = {
                k: v
                for k, v in asdict(rep).items()
                if k in ("steps", "seconds", "steps_per_second", "tokens_per_second", "peak_rss_mb")
            }
            out[name]["loss_first"] = rep.losses[0] if rep.losses else None
            out[name]["loss_last"] = rep.losses[-1] if rep.losses else None
        out["load_and_generate_seconds"] = round(self.load_and_generate_seconds, 2)
        return out


def losses_ok(report: TrainReport) -> bool:
    """Finite losses, and the last below the first."""
    return (
        bool(report.losses)
        and all(map(math.isfinite, report.losses))
        and (len(report.losses) < 2 or report.losses[-1] < report.losses[0])
    )


def generate(model_dir: Path, prompt: str, max_new_tokens: int = 16) -> str:
    """Load a trained folder (adapter merged onto its base) and greedily continue a chat prompt."""
    import torch

    model, tokenizer = load_model_and_tokenizer(str(model_dir), bf16=False)
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
    )
    inputs = tokenizer(str(text), return_tensors="pt", add_special_tokens=False)
    prompt_tokens = int(inputs["input_ids"].shape[1])
    with torch.no_grad():
        out = cast(Any, model).generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
    return str(tokenizer.decode(out[0, prompt_tokens:], skip_special_tokens=True))


def run_smoke(
    folder: Path,
    *,
    model: str = EMBEDDED,
    sft_steps: int = 4,
    dpo_steps: int = 2,
    max_length: int = 256,
    learning_rate: float = 1e-3,
) -> SmokeResult:
    """SFT for ``sft_steps``, DPO for ``dpo_steps`` (0 skips it), reload and generate."""
    from longwriter.train.dpo import DPOOptions, run_dpo
    from longwriter.train.sft import SFTOptions, run_sft

    sft_data, pairs = write_toy_data(folder)
    shared: dict[str, Any] = {"max_length": max_length, "learning_rate": learning_rate}
    sft_out = folder / "sft"
    sft = run_sft(
        SFTOptions(data=sft_data, model=model, out=sft_out, max_steps=sft_steps, **shared)
    )
    dpo = None
    if dpo_steps:
        dpo = run_dpo(
            DPOOptions(
                pairs=pairs, model=str(sft_out), out=folder / "dpo", max_steps=dpo_steps, **shared
            )
        )
    started = time.perf_counter()
    text = generate(sft_out, f"Write a note about {TOPICS[0]}.")
    return SmokeResult(sft, dpo, text, time.perf_counter() - started)
