"""A randomly initialised Llama small enough for a unit test (torch and transformers imported on use)."""

from __future__ import annotations

from typing import Any


def tiny_llama(
    vocab_size: int,
    *,
    width: int = 16,
    layers: int = 1,
    heads: int = 2,
    positions: int = 64,
    **config: Any,
) -> Any:
    """A ``LlamaForCausalLM`` of hidden size ``width`` (its MLP twice that) and two key/value heads,
    seeded so that its weights are the same on every call; ``config``: more ``LlamaConfig`` fields."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(
        LlamaConfig(
            vocab_size=vocab_size,
            hidden_size=width,
            intermediate_size=2 * width,
            num_hidden_layers=layers,
            num_attention_heads=heads,
            num_key_value_heads=2,
            max_position_embeddings=positions,
            **config,
        )
    )
