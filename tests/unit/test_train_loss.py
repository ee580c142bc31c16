"""The SFT loss weighs every target token of the batch equally, whatever the length of its example.

A toy batch holds one long and one short example. One real training step runs through the trainer
that ``longwriter train sft`` builds, on a tiny randomly initialised Llama. Hooks record the final
hidden states ``h_t``, their gradients ``g_t`` and the labels. For next-token cross-entropy weighted
by ``w_t``, ``g_t = w_t * W^T (softmax(W h_t) - onehot(y_t))`` (``W`` = output embedding), so each
target token's weight can be read off and compared. Token averaging gives every one ``1/N``;
averaging per sequence would give the short example's tokens a larger weight, and the last test
shows the probe catches exactly that.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("trl")

from tokenizers import Tokenizer, models, pre_tokenizers  # noqa: E402
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402

from longwriter.train.examples import Example  # noqa: E402
from longwriter.train.sft import SFTOptions, build_sft_trainer  # noqa: E402
from tests.tiny_llama import tiny_llama  # noqa: E402

CHATML = (
    "{% for m in messages %}{{ '<|im_start|>' + m['role'] + ' ' + m['content'] + '<|im_end|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant ' }}{% endif %}"
)
SPECIALS = ["<pad>", "<|im_start|>", "<|im_end|>"]
WORDS = [f"w{i}" for i in range(40)] + ["user", "assistant", "system"]
LONG_WORDS, SHORT_WORDS = 48, 3


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    """A whitespace word-level tokenizer with a ChatML template, built in memory."""
    vocab = {tok: i for i, tok in enumerate(SPECIALS + WORDS)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<pad>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core, pad_token="<pad>", eos_token="<|im_end|>", bos_token=None
    )
    tok.add_special_tokens({"additional_special_tokens": SPECIALS[1:]})
    tok.chat_template = CHATML
    return tok


def tiny_model(vocab_size: int) -> LlamaForCausalLM:
    return tiny_llama(vocab_size, width=32, layers=2, heads=4, positions=256, pad_token_id=0)


def example(n_words: int, offset: int) -> Example:
    words = " ".join(f"w{(offset + i) % 40}" for i in range(n_words))
    return {
        "prompt": [{"role": "user", "content": f"w{offset} w{offset + 1}"}],
        "completion": [{"role": "assistant", "content": words}],
    }


class WeightProbe:
    """Records what is needed to recover each target token's loss weight during one train step."""

    def __init__(self, trainer: Any) -> None:
        self.batches: list[dict[str, Any]] = []
        self.hidden: list[torch.Tensor] = []
        self.grads: list[torch.Tensor] = []
        base = trainer.model
        causal = base.get_base_model() if hasattr(base, "get_base_model") else base
        self.head = causal.get_output_embeddings().weight
        collate = trainer.data_collator

        def recording_collator(features: list[dict[str, Any]]) -> dict[str, Any]:
            batch = collate(features)
            self.batches.append({k: v.clone() for k, v in batch.items() if k == "labels"})
            return batch

        trainer.data_collator = recording_collator

        def on_backbone(_module: Any, _args: Any, output: Any) -> None:
            h = output.last_hidden_state
            self.hidden.append(h.detach().clone())
            h.register_hook(lambda grad: self.grads.append(grad.detach().clone()))

        causal.base_model.register_forward_hook(on_backbone)

    def weights(self) -> torch.Tensor:
        """Loss weight of every target token seen in the step, in order."""
        out = []
        for batch, h, g in zip(self.batches, self.hidden, self.grads, strict=True):
            labels = batch["labels"][:, 1:].reshape(-1)
            h_flat = h[:, :-1].reshape(-1, h.size(-1))
            g_flat = g[:, :-1].reshape(-1, g.size(-1))
            for t in torch.nonzero(labels != -100).flatten().tolist():
                probs = torch.softmax(h_flat[t] @ self.head.detach().T, dim=-1)
                probs[labels[t]] -= 1.0
                direction = self.head.detach().T @ probs
                weight = (g_flat[t] @ direction) / (direction @ direction)
                # the gradient must be a pure multiple of the cross-entropy direction
                assert torch.allclose(g_flat[t], weight * direction, atol=1e-6, rtol=1e-3)
                out.append(float(weight))
        return torch.tensor(out, dtype=torch.float64)


def measure(tmp_path: Path, **overrides: Any) -> tuple[torch.Tensor, int]:
    """Token weights of one training step on the long + short toy batch, and the target count."""
    tok = tiny_tokenizer()
    model = tiny_model(len(tok))
    examples = [example(LONG_WORDS, 0), example(SHORT_WORDS, 7)]
    options = SFTOptions(out=tmp_path, max_steps=1, max_length=128, **overrides)
    trainer = build_sft_trainer(model, tok, examples, options)
    # every completion token plus <|im_end|> is a target
    n_targets = LONG_WORDS + SHORT_WORDS + 2
    probe = WeightProbe(trainer)
    trainer.train()
    return probe.weights(), n_targets


def per_sequence_loss(outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None) -> Any:
    """The averaging the paper warns against: mean over sequences of each sequence's token mean."""
    logits = outputs.logits[:, :-1].float()
    target = labels[:, 1:]
    nll = torch.nn.functional.cross_entropy(
        logits.transpose(1, 2), target, ignore_index=-100, reduction="none"
    )
    mask = (target != -100).float()
    return ((nll * mask).sum(1) / mask.sum(1)).mean()


@pytest.mark.parametrize(
    ("batch_size", "grad_accum", "packing", "loss_type"),
    [
        (2, 1, False, "chunked_nll"),  # both examples in one padded micro-batch
        (1, 2, False, "chunked_nll"),  # one example per micro-batch, gradient accumulation
        (2, 1, True, "chunked_nll"),  # both packed into one row (the default)
        (1, 2, False, "nll"),
    ],
)
def test_long_and_short_examples_tokens_weigh_the_same(
    tmp_path: Path, batch_size: int, grad_accum: int, packing: bool, loss_type: str
) -> None:
    weights, n_targets = measure(
        tmp_path,
        batch_size=batch_size,
        grad_accum=grad_accum,
        packing=packing,
        loss_type=loss_type,
    )
    assert len(weights) == n_targets
    assert torch.allclose(weights, torch.full_like(weights, 1.0 / n_targets), rtol=1e-3)


def test_probe_detects_per_sequence_averaging(tmp_path: Path) -> None:
    options = SFTOptions(
        out=tmp_path, max_steps=1, max_length=128, batch_size=2, packing=False, loss_type="nll"
    )
    tok = tiny_tokenizer()
    trainer = build_sft_trainer(
        tiny_model(len(tok)), tok, [example(LONG_WORDS, 0), example(SHORT_WORDS, 7)], options
    )
    trainer.compute_loss_func = per_sequence_loss
    probe = WeightProbe(trainer)
    trainer.train()
    weights = probe.weights()
    long_w, short_w = weights.min(), weights.max()
    assert len(weights) == LONG_WORDS + SHORT_WORDS + 2
    # per-sequence: 1/(2*49) for the long example's tokens, 1/(2*4) for the short one's
    assert float(short_w / long_w) == pytest.approx((LONG_WORDS + 1) / (SHORT_WORDS + 1), rel=1e-3)


def test_packed_examples_do_not_see_each_other(tmp_path: Path) -> None:
    """Packing on CPU (sdpa, no flash-attention) keeps examples apart.

    A packed row gives every token the same logits as running its example alone, so the default
    ``packing=True`` is safe without flash-attention.
    """
    tok = tiny_tokenizer()
    model = tiny_model(len(tok))
    examples = [example(LONG_WORDS, 0), example(SHORT_WORDS, 7)]
    trainer = build_sft_trainer(model, tok, examples, SFTOptions(out=tmp_path, max_length=128))
    packed = trainer.data_collator([trainer.train_dataset[0]])
    assert packed["input_ids"].shape[0] == 1  # one row holding both examples
    model = trainer.model.eval()
    with torch.no_grad():
        together = model(input_ids=packed["input_ids"], position_ids=packed["position_ids"]).logits
        starts = torch.nonzero(packed["position_ids"][0] == 0).flatten().tolist()
        bounds = [*starts, packed["input_ids"].shape[1]]
        assert len(starts) == 2
        for start, end in itertools.pairwise(bounds):
            alone = model(input_ids=packed["input_ids"][:, start:end]).logits
            assert torch.allclose(together[:, start:end], alone, atol=1e-5)
