"""Direct preference optimisation on the pairs from ``train dpo-pairs``, with TRL's DPOTrainer.

With LoRA (the default) the reference model is the same network with the adapter switched off, so
no second copy is loaded. ``--model`` may be an SFT output folder: its adapter is merged into the
base first, so the SFT model is both the starting point and the reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from longwriter.train.common import TrainReport, TuneOptions, run_training, trainer_inputs
from longwriter.train.examples import Example, Message, message_list, read_examples

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback
    from trl import DPOTrainer

log = logging.getLogger(__name__)

LORA_LR = 2e-5
FULL_LR = 1e-6


@dataclass
class DPOOptions(TuneOptions):
    """A DPO run over a pairs file."""

    pairs: Path = Path("pairs.jsonl")
    beta: float = 0.1
    sft_weight: float = 0.0
    """Weight of an extra NLL loss on the chosen answers (0: plain DPO)."""


def _turns(value: Any, role: str) -> list[Message]:
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    return message_list(value)


def preference_example(row: dict[str, Any]) -> Example:
    """``{"prompt", "chosen", "rejected"}`` as message lists, from a pairs row (text or turns)."""
    missing = [f for f in ("prompt", "chosen", "rejected") if f not in row]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    prompt = _turns(row["prompt"], "user")
    chosen, rejected = _turns(row["chosen"], "assistant"), _turns(row["rejected"], "assistant")
    if chosen == rejected:
        raise ValueError("chosen and rejected are the same")
    return {"prompt": prompt, "chosen": chosen, "rejected": rejected}


def dpo_conversations(ex: Example) -> list[list[Message]]:
    """Both conversations of a pair; the longer one decides whether it fits."""
    return [ex["prompt"] + ex["chosen"], ex["prompt"] + ex["rejected"]]


def build_dpo_trainer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: list[Example],
    options: DPOOptions,
    callbacks: list[TrainerCallback] | None = None,
) -> DPOTrainer:
    """A DPOTrainer, LoRA unless ``options.full`` (then a frozen copy is the reference)."""
    from trl import DPOConfig, DPOTrainer

    losses: dict[str, Any] = {}
    if options.sft_weight > 0:
        losses = {"loss_type": ["sigmoid", "sft"], "loss_weights": [1.0, options.sft_weight]}
    config = DPOConfig(
        **options.training_arguments(lora_lr=LORA_LR, full_lr=FULL_LR),
        beta=options.beta,
        **losses,
    )
    return DPOTrainer(args=config, **trainer_inputs(model, tokenizer, examples, options, callbacks))


def run_dpo(options: DPOOptions, callbacks: list[TrainerCallback] | None = None) -> TrainReport:
    """Load pairs and model, train, save the adapter (or full model) and tokenizer into ``out``."""
    examples = read_examples(options.pairs, preference_example).examples
    extra = {"beta": options.beta}
    return run_training(
        "dpo", options, examples, dpo_conversations, build_dpo_trainer, extra, callbacks
    )
