"""Supervised fine-tuning on long-output data (LongWriter recipe) with TRL's SFTTrainer.

Loss: the mean over *all* target tokens of the optimizer batch, not a mean of per-sequence means.
With per-sequence averaging a 10,000-token document weighs as much as a 200-token answer, so each
of its tokens counts 50 times less: the LongWriter paper warns about this for packed long-output
training. TRL 1.13 / transformers 5 already do the right thing, verified in their source:

- ``Trainer._get_num_items_in_batch`` counts the non-ignored labels over every micro-batch of the
  gradient-accumulation window (and, with ``average_tokens_across_devices=True``, over all ranks);
- SFTTrainer's loss (``loss_type="chunked_nll"``, its default, or ``"nll"``) sums the token losses
  and divides by that count, and the Trainer does not rescale by the accumulation steps;
- packing (``bfd``) concatenates examples into rows with restarting ``position_ids``; transformers
  derives a block-diagonal attention mask from them, so packed examples do not see each other.

``tests/unit/test_train_loss.py`` checks the resulting per-token weights on a toy batch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from longwriter.train.common import TrainReport, TuneOptions, run_training, trainer_inputs
from longwriter.train.examples import (
    Example,
    chat_example,
    mix_examples,
    read_examples,
    sft_conversations,
)

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase, TrainerCallback
    from trl import SFTTrainer

log = logging.getLogger(__name__)

LORA_LR = 2e-4
FULL_LR = 1e-5  # the paper's full fine-tuning learning rate


@dataclass
class SFTOptions(TuneOptions):
    """An SFT run: the long-output data, optional general data to mix in, packing."""

    data: Path = Path("data.jsonl")
    mix: Path | None = None
    mix_ratio: float = 0.0
    """Share of general examples in the training mix (0 <= r < 1)."""
    packing: bool = True
    loss_type: str = "chunked_nll"
    """TRL loss: ``chunked_nll`` (never materialises full-vocabulary logits) or ``nll``."""


def load_sft_examples(options: SFTOptions) -> list[Example]:
    """The training examples: the data file, mixed with ``--mix`` at ``--mix-ratio``."""
    examples = read_examples(options.data, chat_example).examples
    if options.mix is not None:
        general = read_examples(options.mix, chat_example).examples
        examples = mix_examples(examples, general, options.mix_ratio, options.seed)
    return examples


def build_sft_trainer(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: list[Example],
    options: SFTOptions,
    callbacks: list[TrainerCallback] | None = None,
) -> SFTTrainer:
    """An SFTTrainer for prompt-completion chat examples, LoRA unless ``options.full``."""
    from trl import SFTConfig, SFTTrainer

    config = SFTConfig(
        **options.training_arguments(lora_lr=LORA_LR, full_lr=FULL_LR),
        packing=options.packing,
        loss_type=options.loss_type,
        completion_only_loss=True,
        average_tokens_across_devices=True,
        dataset_num_proc=None,
    )
    return SFTTrainer(args=config, **trainer_inputs(model, tokenizer, examples, options, callbacks))


def run_sft(options: SFTOptions, callbacks: list[TrainerCallback] | None = None) -> TrainReport:
    """Load data and model, train, save the adapter (or full model) and tokenizer into ``out``."""
    examples = load_sft_examples(options)
    extra = {"packing": options.packing}
    return run_training(
        "sft", options, examples, sft_conversations, build_sft_trainer, extra, callbacks
    )
