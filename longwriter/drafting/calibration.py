"""How many tokens to ask for: tokens per word learned from what the server reports, and the
``max_tokens`` / ``min_tokens`` of a reply of a given number of words."""

from __future__ import annotations

from longwriter.llm.chat import LOOP_FINISH, Reply
from longwriter.text.lang import CJK_LANGUAGES

OUTPUT_SLACK = 1.5  # max_tokens allows this multiple of the budget before cutting the reply
MARGIN_TOKENS = 96
RETRIEVAL_RESERVE = 400  # tokens kept free for retrieved passages when the layout is fitted
MIN_OUTPUT_TOKENS = 128


PROSE_TOKENS_PER_WORD = 1.4
"""Tokens per word of plain prose: where the learned ratio starts, and what it falls back to."""
CJK_TOKENS_PER_WORD = 1.5
"""Where the learned ratio starts for Chinese, Japanese and Korean (a word is a character or two)."""
MAX_TOKENS_PER_WORD = 3.0
"""Bound of the learned tokens per word: replies of ids and symbols would otherwise teach a ratio that
makes every later request ask for far more text than it needs (docs/design-notes.md)."""
FLOOR_TOKENS_PER_WORD = PROSE_TOKENS_PER_WORD
"""``min_tokens`` counts the words it insists on at plain prose's tokens per word, whatever the learned
ratio: a higher learned ratio would force junk, a lower one lets a small model stop too soon
(docs/design-notes.md)."""


def default_calibration(language: str) -> dict[str, float]:
    """A run's calibration before the server has reported anything: the prompt estimate as is, and
    the tokens per word of prose in ``language``."""
    per_word = CJK_TOKENS_PER_WORD if language in CJK_LANGUAGES else PROSE_TOKENS_PER_WORD
    return {"prompt_ratio": 1.0, "tokens_per_word": per_word}


def tokens_per_word(calibration: dict[str, float]) -> float:
    """The learned tokens per word of ``calibration`` (plain prose's before any was learned)."""
    return calibration.get("tokens_per_word", PROSE_TOKENS_PER_WORD)


def output_tokens(words: int, calibration: dict[str, float]) -> int:
    """max_tokens for a reply of about ``words`` words (learned tokens-per-word, with slack)."""
    return int(words * tokens_per_word(calibration) * OUTPUT_SLACK) + 64


def floor_tokens(want_tokens: int, calibration: dict[str, float], ratio: float) -> int:
    """``min_tokens`` for a request of ``want_tokens`` (see ``output_tokens``): ``ratio`` of the
    words asked for, at :data:`FLOOR_TOKENS_PER_WORD` tokens each."""
    asked = (want_tokens - 64) / (OUTPUT_SLACK * tokens_per_word(calibration))
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
            MAX_TOKENS_PER_WORD, max(0.5, 0.7 * tokens_per_word(out) + 0.3 * seen)
        )
    return out
