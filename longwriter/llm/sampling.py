"""Anti-loop sampling: what to send a server when its model's drafts degenerate into loops.

Small models loop without a repetition penalty (SmolLM2 on vLLM with the server's own sampling: section
rep4 0.65-0.88), and each server names its penalty differently: vLLM and llama.cpp take a multiplicative
repetition penalty (``repetition_penalty`` / ``repeat_penalty``, 1 = off), OpenAI-style servers only the
additive ``frequency_penalty``/``presence_penalty``. The agent raises the penalty a level each time a
draft degenerates and keeps that level for the rest of the run, so the user never has to know a model's
magic number; a penalty the user set is a floor, never lowered.
"""

from __future__ import annotations

from typing import Any, Literal

ServerKind = Literal["vllm", "llama.cpp", "openai"]

MAX_LOOP_LEVEL = 3
# Multiplicative penalty per level: 1.1 stopped SmolLM2's loops on vLLM (section rep4 0.65-0.88 down to
# 0.01-0.02); llama.cpp's embedded default is already 1.15, so its levels start above that.
_MULTIPLICATIVE = {
    "vllm": ("repetition_penalty", (1.0, 1.1, 1.2, 1.3)),
    "llama.cpp": ("repeat_penalty", (1.0, 1.25, 1.35, 1.45)),
}
# OpenAI's additive penalties (range -2..2): kept mild, large values garble common words.
_ADDITIVE = {"frequency_penalty": (0.0, 0.3, 0.5, 0.7), "presence_penalty": (0.0, 0.2, 0.4, 0.6)}
TEMPERATURE_STEP = 0.1
MAX_TEMPERATURE = 1.0


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


def anti_loop_temperature(temperature: float, level: int) -> float:
    """The sampling temperature at ``level``: a little warmer per level, which also breaks loops."""
    level = max(0, min(level, MAX_LOOP_LEVEL))
    return max(temperature, min(MAX_TEMPERATURE, temperature + TEMPERATURE_STEP * level))
