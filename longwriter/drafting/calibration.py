"""How many tokens to ask for: tokens per word learned from what the server reports, and the
``max_tokens`` / ``min_tokens`` of a reply of a given number of words."""

from __future__ import annotations

from longwriter.llm.chat import LOOP_FINISH, Reply

OUTPUT_SLACK = 1.5  # max_tokens allows this multiple of the budget before cutting the reply
MARGIN_TOKENS = 96
RETRIEVAL_RESERVE = 400  # tokens kept free for retrieved passages when the layout is fitted
MIN_OUTPUT_TOKENS = 128


MAX_TOKENS_PER_WORD = 3.0
"""Bound of the learned tokens per word. Replies of ids and symbols once taught SmolLM2 on vLLM 6.0, and
every later request then asked for 1,864 tokens and forced 600 (``min_tokens``) of text that the
content filter threw away."""
FLOOR_TOKENS_PER_WORD = 1.4
"""``min_tokens`` counts the words it insists on at plain prose's tokens per word, whatever the learned
ratio: not more (replies of ids once taught a ratio of 3.0), and not fewer (SmolLM2 streams 1.2 tokens
per English word; at that ratio the embedded model stopped sooner, and the 1,500-word demo took 33
calls and 283 s instead of 22 calls and 203 s)."""


def output_tokens(words: int, calibration: dict[str, float]) -> int:
    """max_tokens for a reply of about ``words`` words (learned tokens-per-word, with slack)."""
    return int(words * calibration.get("tokens_per_word", 1.4) * OUTPUT_SLACK) + 64


def floor_tokens(want_tokens: int, calibration: dict[str, float], ratio: float) -> int:
    """``min_tokens`` for a request of ``want_tokens`` (see ``output_tokens``): ``ratio`` of the
    words asked for, at :data:`FLOOR_TOKENS_PER_WORD` tokens each."""
    asked = (want_tokens - 64) / (OUTPUT_SLACK * calibration.get("tokens_per_word", 1.4))
    return int(asked * ratio * FLOOR_TOKENS_PER_WORD)


def learn(
    calibration: dict[str, float], reply: Reply, estimated_prompt: int, words: int
) -> dict[str, float]:
    """Update tokens-per-word and the prompt-estimate ratio from what the server reported."""
    out = dict(calibration)
    if estimated_prompt and reply.prompt_tokens:
        seen = reply.prompt_tokens / estimated_prompt * out.get("prompt_ratio", 1.0)
        out["prompt_ratio"] = min(3.0, max(0.5, 0.5 * out.get("prompt_ratio", 1.0) + 0.5 * seen))
    if words >= 50 and reply.completion_tokens and reply.finish_reason != LOOP_FINISH:
        seen = reply.completion_tokens / words
        out["tokens_per_word"] = min(
            MAX_TOKENS_PER_WORD, max(0.5, 0.7 * out.get("tokens_per_word", 1.4) + 0.3 * seen)
        )
    return out
