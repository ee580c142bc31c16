"""Quality score S_q of LongBench-Write: an LLM judge rates each response on six dimensions (1-5).

Each dimension's mean rating maps to ``(mean - 1) * 25`` on 0-100; S_q is the average of the six.
The judge's answer is parsed tolerantly (fenced JSON, extra prose, nested ``scores``, "4/5"), but a
missing or out-of-range rating is never guessed: the call is retried a bounded number of times, then
the failure is recorded in the row.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import openai
from langchain_core.messages import HumanMessage

from longwriter.errors import shown
from longwriter.eval.rows import Prediction
from longwriter.llm import Endpoint, chat_model
from longwriter.prompts import render
from longwriter.text import document_language, estimate_tokens

log = logging.getLogger(__name__)

DIMENSIONS: tuple[str, ...] = (
    "relevance",
    "accuracy",
    "coherence",
    "clarity",
    "breadth_and_depth",
    "reading_experience",
)
DIMENSION_LABELS = {
    "relevance": "Relevance",
    "accuracy": "Accuracy",
    "coherence": "Coherence",
    "clarity": "Clarity",
    "breadth_and_depth": "Breadth and Depth",
    "reading_experience": "Reading Experience",
}
# JSON schema for servers with constrained decoding (vLLM, llama.cpp): ratings can only be 1-5. The
# analysis is capped (a rambling small model cannot eat the token budget), low enough that
# llama-cpp-python can compile the cap into a grammar (docs/design-notes.md).
JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "analysis": {"type": "string", "maxLength": 800},
        **{d: {"type": "integer", "enum": [1, 2, 3, 4, 5]} for d in DIMENSIONS},
    },
    "required": ["analysis", *DIMENSIONS],
}
# How servers take a JSON schema: OpenAI/vLLM style, then llama-cpp-python's (grammar from "schema").
RESPONSE_FORMATS: dict[str, dict[str, Any]] = {
    "json_schema": {
        "type": "json_schema",
        "json_schema": {"name": "verdict", "schema": JUDGE_SCHEMA},
    },
    "json_object": {"type": "json_object", "schema": JUDGE_SCHEMA},
}
_ALIASES = {re.sub(r"_|and", "", d): d for d in DIMENSIONS}
# Possessive runs: an unclosed fence after a long run of letters or blanks must not backtrack.
_FENCE = re.compile(r"```[a-zA-Z]*+\s*+(.*?)```", re.DOTALL)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_LAST_THINK_END = re.compile(r"(?s:.*)</think>", re.IGNORECASE)
_RATING = re.compile(r"0*+([1-5])(?:\.0+)?(?:\s*/\s*5)?")
_OBJECT_START = re.compile(r"\{(?=\s*+[\"}])")
"""Where a JSON object can begin ('{"' or '{}'): braces in prose or LaTeX are not tried."""
_FAILED_STARTS = 16
"""Failed decodes tried per text: each costs up to the length of the text (json counts the lines
before the error), so an answer of many broken objects would otherwise take quadratic time."""


class JudgeParseError(ValueError):
    """The judge's answer has no usable JSON verdict; the message says what is wrong."""


@dataclass(frozen=True)
class Verdict:
    """The parsed ratings (every dimension, 1-5) and the judge's explanation."""

    scores: dict[str, int]
    analysis: str


def _dimension(key: str) -> str | None:
    words = re.findall(r"[a-z]+", key.lower())
    return _ALIASES.get("".join(w for w in words if w != "and"))


def _rating(value: Any) -> int | None:
    """A rating given as 4, 4.0, "4", "4/5" or {"score": 4}; None unless it is an integer from 1 to 5
    (compared, never converted: a 400-digit number must not overflow)."""
    if isinstance(value, dict) and "score" in value:
        value = value["score"]
    if isinstance(value, str):
        match = _RATING.fullmatch(value.strip())
        return int(match.group(1)) if match else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value in (1, 2, 3, 4, 5) else None


def _without_thinking(text: str) -> str:
    """``text`` without its <think>...</think> blocks. Openers after the last closer are left alone:
    each would otherwise be matched lazily to the end of the text, in quadratic time."""
    last = _LAST_THINK_END.match(text)
    if last is None:
        return text
    return _THINK.sub("", text[: last.end()]) + text[last.end() :]


def _dicts(value: Any) -> Iterator[dict[str, Any]]:
    """The objects in a decoded JSON value, outer first, in text order (no recursion: any depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(item.values()))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every JSON object in ``text``: fenced blocks first, then objects embedded in prose.

    A decoded object is not decoded again from the braces inside it (its inner objects come from the
    decoded value), so valid JSON costs linear time however deeply it nests.
    """
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    for source in [*_FENCE.findall(text), text]:
        decoded_to = failures = 0
        for start in (m.start() for m in _OBJECT_START.finditer(source)):
            if start < decoded_to:
                continue
            try:
                obj, decoded_to = decoder.raw_decode(source, start)
            except (ValueError, RecursionError):  # bad JSON, a 5,000-digit number, deep nesting
                failures += 1
                if failures == _FAILED_STARTS:
                    break
                continue
            found.extend(_dicts(obj))
    return found


def parse_judgement(text: str) -> Verdict:
    """The six ratings of a judge answer; raises JudgeParseError naming what is missing or bad."""
    text = _without_thinking(text)
    objects = _json_objects(text)
    if not objects:
        raise JudgeParseError("no JSON object in the answer")
    best: tuple[int, dict[str, int], list[str], str] | None = None
    for obj in objects:
        fields = {**obj, **obj["scores"]} if isinstance(obj.get("scores"), dict) else obj
        scores: dict[str, int] = {}
        problems: list[str] = []
        for name, value in fields.items():
            dim = _dimension(str(name))
            if dim is None:
                continue
            rating = _rating(value)
            if rating is None:
                problems.append(f"{dim}={shown(value)} is not an integer from 1 to 5")
            else:
                scores[dim] = rating
        analysis = fields.get("analysis")
        candidate = (len(scores), scores, problems, analysis if isinstance(analysis, str) else "")
        if best is None or candidate[0] > best[0]:
            best = candidate
    assert best is not None
    _count, scores, problems, analysis = best
    missing = [
        d for d in DIMENSIONS if d not in scores and not any(p.startswith(d) for p in problems)
    ]
    if missing:
        problems.append("missing " + ", ".join(missing))
    if problems:
        raise JudgeParseError("; ".join(problems))
    return Verdict(scores, analysis.strip())


@dataclass(frozen=True)
class JudgeConfig:
    """How to call the judge. ``context_window`` None means the response is never shortened."""

    endpoint: Endpoint
    temperature: float = 0.3
    top_p: float = 0.95
    attempts: int = 3
    max_tokens: int = 1024
    timeout: float = 300.0
    context_window: int | None = None
    json_schema: bool = True


class Judge:
    """Rates predictions with an LLM judge; one instance per run (it remembers schema support)."""

    def __init__(self, config: JudgeConfig) -> None:
        if config.attempts < 1:
            raise ValueError("the judge needs at least one attempt")
        self.config = config
        # Constrained-output forms still worth trying, best first; a refusal drops the first.
        self._formats = list(RESPONSE_FORMATS) if config.json_schema else []

    def _fit(self, pred: Prediction, language: str) -> tuple[str, bool]:
        """The judge prompt, with the response cut to fit the judge's context window if needed."""
        prompt = render("judge", language, instruction=pred.task.prompt, response=pred.response)
        window = self.config.context_window
        if window is None:
            return prompt, False
        overflow = estimate_tokens(prompt) + self.config.max_tokens + 64 - window
        if overflow <= 0:
            return prompt, False
        room = estimate_tokens(pred.response) - overflow
        if room <= 0:
            raise ValueError(
                f"the instruction alone does not fit the judge's {window}-token window"
            )
        cut = pred.response[: len(pred.response) * room // estimate_tokens(pred.response)]
        return render("judge", language, instruction=pred.task.prompt, response=cut), True

    async def _ask(self, prompt: str) -> str:
        cfg = self.config
        shape = self._formats[0] if self._formats else None
        llm = chat_model(
            cfg.endpoint,
            temperature=cfg.temperature,
            top_p=cfg.top_p,
            max_tokens=cfg.max_tokens,
            extra_body={
                "max_tokens": cfg.max_tokens,  # llama.cpp's server ignores max_completion_tokens
                **({"response_format": RESPONSE_FORMATS[shape]} if shape else {}),
            },
            timeout=cfg.timeout,
        )
        try:
            message = await llm.ainvoke([HumanMessage(prompt)])
        except openai.APIStatusError as exc:
            refused = exc.status_code in (400, 422) or "response_format" in str(exc)
            if shape is None or not refused:
                raise
            log.warning("the judge server refused response_format %s; trying the next form", shape)
            if shape in self._formats:  # another row in flight may have dropped it already
                self._formats.remove(shape)
            return await self._ask(prompt)
        return message.text

    async def judge(self, pred: Prediction) -> dict[str, Any]:
        """A judge row: ``scores`` (None plus ``error`` after repeated bad answers) and details."""
        started = time.monotonic()
        language = document_language(pred.task.prompt)
        row: dict[str, Any] = {
            "key": pred.task.key,
            "length": pred.task.length,
            "type": pred.task.type,
        }
        if not pred.response.strip():  # nothing to judge: the lowest rating everywhere, no call
            row.update(scores=dict.fromkeys(DIMENSIONS, 1), analysis="empty response", attempts=0)
            row.update(error=None, truncated=False, seconds=0.0)
            return row
        prompt, truncated = self._fit(pred, language)
        errors: list[str] = []
        for attempt in range(1, self.config.attempts + 1):
            answer = await self._ask(prompt)
            try:
                verdict = parse_judgement(answer)
            except JudgeParseError as exc:
                errors.append(str(exc))
                log.info(
                    "judge answer for %s unusable (attempt %d): %s", pred.task.key, attempt, exc
                )
                continue
            row.update(
                scores=verdict.scores, analysis=verdict.analysis, attempts=attempt, error=None
            )
            break
        else:
            row.update(
                scores=None, analysis="", attempts=self.config.attempts, error=" | ".join(errors)
            )
        row.update(truncated=truncated, seconds=round(time.monotonic() - started, 2))
        return row


def summarize_quality(rows: Sequence[dict[str, Any]], s_l: float | None = None) -> dict[str, Any]:
    """Per-dimension scores ``(mean - 1) * 25``, ``S_q`` (their mean) and ``S = (S_l + S_q) / 2``.

    Rows without scores (judge failures) are counted, not scored.
    """
    judged = [r["scores"] for r in rows if isinstance(r.get("scores"), dict)]
    dims: dict[str, float | None] = {}
    for dim in DIMENSIONS:
        values = [s[dim] for s in judged if dim in s]
        dims[dim] = round((sum(values) / len(values) - 1) * 25, 2) if values else None
    known = [v for v in dims.values() if v is not None]
    s_q = round(sum(known) / len(known), 2) if len(known) == len(DIMENSIONS) else None
    return {
        "n": len(rows),
        "judged": len(judged),
        "failed": len(rows) - len(judged),
        "dimensions": dims,
        "S_q": s_q,
        "S_l": s_l,
        "S": round((s_l + s_q) / 2, 2) if s_l is not None and s_q is not None else None,
    }
