"""Anti-loop sampling: what to send a server when its model's drafts degenerate into loops.

Small models loop without a repetition penalty, and each server names its penalty differently: vLLM
and llama.cpp take a multiplicative repetition penalty (``repetition_penalty`` / ``repeat_penalty``,
1 = off), OpenAI-style servers only the additive ``frequency_penalty``/``presence_penalty``. The agent
raises the penalty a level each time a draft degenerates and keeps that level for the rest of the run,
so the user never has to know a model's magic number; a penalty the user set is a floor, never
lowered. A level can also be too much (a small model then writes word salad that the content filter
throws away), so a level above the first whose replies come back barren is left for the one below,
and the run never climbs to it again (:class:`LoopLadder`). Levels change the penalty only, not the
temperature: warmer text drifts. The measurements: docs/design-notes.md, "Anti-loop sampling".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ServerKind = Literal["vllm", "llama.cpp", "openai"]

DEFAULT_TEMPERATURE = 0.7
"""Sampling temperature of writing calls, unless a caller sets its own (warmer text drifts)."""
DEFAULT_TOP_P = 0.9
"""Nucleus sampling of writing calls, unless a caller sets its own: the probability mass sampled
from."""

MAX_LOOP_LEVEL = 3
# Multiplicative penalty per level: the first level is the lowest that stopped a small model's loops
# on vLLM; llama.cpp's embedded default is already 1.15, so its levels start above that.
_MULTIPLICATIVE = {
    "vllm": ("repetition_penalty", (1.0, 1.1, 1.2, 1.3)),
    "llama.cpp": ("repeat_penalty", (1.0, 1.25, 1.35, 1.45)),
}
# OpenAI's additive penalties (range -2..2): kept mild, large values garble common words.
_ADDITIVE = {"frequency_penalty": (0.0, 0.3, 0.5, 0.7), "presence_penalty": (0.0, 0.2, 0.4, 0.6)}


def anti_loop_body(kind: ServerKind, level: int, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (the request's extra fields) with the penalty of ``level`` for a ``kind`` server;
    a larger penalty already in ``body`` wins."""
    level = max(0, min(level, MAX_LOOP_LEVEL))
    if level == 0:
        return dict(body)
    out = dict(body)
    if kind in _MULTIPLICATIVE:
        key, values = _MULTIPLICATIVE[kind]
        out[key] = max(float(out.get(key) or 1.0), values[level])
    else:
        for key, values in _ADDITIVE.items():
            out[key] = max(float(out.get(key) or 0.0), values[level])
    return out


BARREN_SHARE = 0.1
"""A reply of which the clean-up and the content filter kept less than this share of the words is
barren."""
BARREN_RUN = 2
"""Barren replies in a row after which a level above the first is given up."""
MIN_BARREN_WORDS = 40  # shorter replies say too little about the sampling


@dataclass
class LoopLadder:
    """The run's anti-loop level and the highest level it may still climb to (``ceiling``),
    learned from the replies: up a level when one loops, down (for good) from a level above the
    first when :data:`BARREN_RUN` replies in a row keep almost nothing."""

    level: int = 0
    ceiling: int = MAX_LOOP_LEVEL
    barren: int = 0

    def looped(self) -> bool:
        """A reply looped: climb a level if the ceiling allows; whether it did."""
        self.barren = 0
        if self.level >= min(self.ceiling, MAX_LOOP_LEVEL):
            return False
        self.level += 1
        return True

    def kept(self, words: int, kept_words: int) -> bool:
        """A reply of ``words`` words of which ``kept_words`` survived: whether the level was
        given up because of it."""
        if words < MIN_BARREN_WORDS or kept_words >= BARREN_SHARE * words:
            self.barren = 0
            return False
        self.barren += 1
        if self.level < 2 or self.barren < BARREN_RUN:
            return False
        self.level -= 1
        self.ceiling = self.level
        self.barren = 0
        return True

    def update(self) -> dict[str, int]:
        """The state fields that keep the ladder between nodes."""
        return {"loop_level": self.level, "loop_ceiling": self.ceiling}


def ladder_of(state: Mapping[str, Any]) -> LoopLadder:
    """The run's ladder as a state left it (runs from before the ceiling start without one)."""
    return LoopLadder(state.get("loop_level", 0), state.get("loop_ceiling", MAX_LOOP_LEVEL))
