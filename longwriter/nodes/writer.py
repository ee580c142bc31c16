"""The writer and the reviser: one model call per step, on the prefix-stable prompt layout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage
from langgraph.runtime import Runtime

from longwriter.agent.config import WriterContext
from longwriter.agent.models import ContextOverflow, Reply
from longwriter.agent.state import Draft, Turn, WriterState
from longwriter.nodes.cleanup import clean_draft, clip_to_words, drop_repeats, replay_text
from longwriter.nodes.common import Services
from longwriter.nodes.critic import earlier_ngrams, earlier_sentences
from longwriter.nodes.prompting import (
    answered,
    layout,
    shown_title,
    step_message,
    task_message,
    turn_messages,
    with_passages,
)
from longwriter.text import count_words

OUTPUT_SLACK = 1.5  # max_tokens allows this multiple of the budget before cutting the reply
MARGIN_TOKENS = 96
RETRIEVAL_RESERVE = 400  # tokens kept free for retrieved passages when the layout is fitted
MIN_OUTPUT_TOKENS = 128


def output_tokens(words: int, calibration: dict[str, float]) -> int:
    """max_tokens for a reply of about ``words`` words (learned tokens-per-word, with slack)."""
    return int(words * calibration.get("tokens_per_word", 1.4) * OUTPUT_SLACK) + 64


def _learn(
    calibration: dict[str, float], reply: Reply, estimated_prompt: int, words: int
) -> dict[str, float]:
    """Update tokens-per-word and the prompt-estimate ratio from what the server reported."""
    out = dict(calibration)
    if estimated_prompt and reply.prompt_tokens:
        seen = reply.prompt_tokens / estimated_prompt * out.get("prompt_ratio", 1.0)
        out["prompt_ratio"] = min(3.0, max(0.5, 0.5 * out.get("prompt_ratio", 1.0) + 0.5 * seen))
    if words >= 50 and reply.completion_tokens:
        seen = reply.completion_tokens / words
        out["tokens_per_word"] = min(
            6.0, max(0.5, 0.7 * out.get("tokens_per_word", 1.4) + 0.3 * seen)
        )
    return out


@dataclass(frozen=True)
class Call:
    """A fitted, finished call: the reply, the boundary used, updated calibration, the step request."""

    reply: Reply
    boundary: int
    calibration: dict[str, float]
    request: str


def _call_fitted(
    svc: Services, state: WriterState, tail: list[BaseMessage], want_tokens: int, query: str
) -> Call:
    """Fit the layout into the window (retrieving what falls out of it), call, and learn; retries overflow."""
    calibration = dict(state["calibration"])
    index = state["current"]
    window = svc.models.window()
    for _ in range(3):
        ratio = calibration.get("prompt_ratio", 1.0)
        max_tokens = max(MIN_OUTPUT_TOKENS, min(want_tokens, window // 3))
        room = window - max_tokens - MARGIN_TOKENS
        sent = tail
        fitted = layout(
            state, sent, budget_tokens=room - (RETRIEVAL_RESERVE if index else 0), ratio=ratio
        )
        if fitted.boundary > 0 and svc.ctx.retrieve_k:
            section = state["sections_plan"][index]
            passages = svc.memory(state).related(
                f"{section['title']}. {section['main_point']} {query}",
                svc.ctx.retrieve_k,
                before=fitted.boundary,
            )
            sent = with_passages(tail, passages, state["language"])
            fitted = layout(state, sent, budget_tokens=room, ratio=ratio)
        max_tokens = max(
            MIN_OUTPUT_TOKENS, min(max_tokens, window - fitted.prompt_tokens - MARGIN_TOKENS)
        )
        try:
            floor = int((want_tokens - 64) / OUTPUT_SLACK * svc.ctx.min_tokens_ratio)
            reply = svc.models.call(fitted.messages, max_tokens=max_tokens, min_tokens=floor)
        except ContextOverflow:
            calibration["prompt_ratio"] = calibration.get("prompt_ratio", 1.0) * 1.3
            svc.emit("status", message="context overflow: shrinking the prompt and retrying")
            continue
        svc.emit("llm", **reply.stats())
        learned = _learn(calibration, reply, fitted.prompt_tokens, count_words(reply.text))
        # The request as the model saw it, without the task text that opens the first turn.
        return Call(reply, fitted.boundary, learned, str(sent[-1].content))
    raise ContextOverflow(
        "the prompt does not fit the model's context window even after shrinking it"
    )


def _clean(state: WriterState, call: Call) -> str:
    """The reply with labels, echoed request lines, headings, meta-talk and a cut-off last sentence
    removed."""
    section = state["sections_plan"][state["current"]]
    topic = f"{state['instruction']}\n{section['title']}\n{section['main_point']}"
    return clean_draft(
        call.reply.text,
        section["title"],
        call.reply.finish_reason == "length",
        language=state["language"],
        topic=topic,
        titles=_titles(state),
        prompt=f"{task_message(state, 0)}\n{call.request}",
    )


def _titles(state: WriterState) -> list[str]:
    """The document title and every heading as the model sees them."""
    return [state["title"], *(shown_title(s["title"]) for s in state["sections_plan"])]


def _turn(state: WriterState, call: Call, text: str) -> Turn:
    title = state["sections_plan"][state["current"]]["title"]
    truncated = call.reply.finish_reason == "length"
    said = replay_text(call.reply.text, text, title, truncated, _titles(state))
    return {"prompt": call.request, "said": said}


def _draft(text: str, finish_reason: str | None, action: str, turns: list[Turn]) -> Draft:
    return {
        "text": text,
        "turns": turns,
        "words": count_words(text),
        "finish_reason": finish_reason,
        "action": action,
    }


def write(
    state: WriterState, runtime: Runtime[WriterContext], *, llm: BaseChatModel | None = None
) -> dict[str, Any]:
    """Node: first draft of the current section."""
    svc = Services(runtime, llm)
    index = state["current"]
    budget = state["budgets"][index]
    section = state["sections_plan"][index]
    svc.emit(
        "section",
        index=index,
        total=len(state["sections_plan"]),
        title=section["title"],
        budget=budget,
    )
    tail: list[BaseMessage] = [HumanMessage(step_message(state, index, budget))]
    call = _call_fitted(svc, state, tail, output_tokens(budget, state["calibration"]), "")
    text = _clean(state, call)
    draft = _draft(text, call.reply.finish_reason, "write", [_turn(state, call, text)])
    return {
        "draft": draft,
        "attempts": [draft],
        "verdict": None,
        "boundary": call.boundary,
        "calibration": call.calibration,
        "stats": call.reply.stats(),
    }


def revise(
    state: WriterState, runtime: Runtime[WriterContext], *, llm: BaseChatModel | None = None
) -> dict[str, Any]:
    """Node: act on the critic's verdict (deterministic fixes first, model calls only when needed)."""
    svc = Services(runtime, llm)
    ctx = svc.ctx
    draft, verdict = state["draft"], state["verdict"]
    assert draft is not None and verdict is not None, "revise needs a draft and a verdict"
    index = state["current"]
    budget = state["budgets"][index]
    section = state["sections_plan"][index]
    action = verdict["action"]
    svc.emit("revise", index=index, action=action, reasons=verdict["reasons"])
    if action in ("dedupe", "condense"):
        text = clean_draft(draft["text"], section["title"], False)
        text = drop_repeats(text, earlier_ngrams(state), ctx.max_overlap, earlier_sentences(state))
        if action == "condense":
            text = clip_to_words(text, int(budget * (1 + ctx.length_tolerance)))
        new = _draft(text, draft["finish_reason"], action, answered(draft["turns"], text))
        if new["text"] == draft["text"]:
            action = "rewrite"  # nothing to remove deterministically: ask the model again
        else:
            return {"draft": new, "attempts": [*state["attempts"], new]}
    if action == "expand":
        # Continue the draft's own conversation, so the request extends the cached one.
        missing = max(budget - draft["words"], ctx.min_section_words // 2)
        tail = [
            *turn_messages(draft["turns"]),
            HumanMessage(step_message(state, index, missing, "continue_step")),
        ]
        call = _call_fitted(
            svc, state, tail, output_tokens(missing, state["calibration"]), draft["text"][-300:]
        )
        addition = _clean(state, call)
        joined = draft["text"].rstrip() + ("\n\n" if addition else "") + addition
        text = drop_repeats(
            joined, earlier_ngrams(state), ctx.max_overlap, earlier_sentences(state)
        )
        turns = (
            [*draft["turns"], _turn(state, call, addition)]
            if text == joined
            else answered(draft["turns"], text)
        )
    else:
        # The rewrite is replayed as the answer to the section's step, without the list of problems.
        problems = "; ".join(verdict["reasons"]) or "it did not meet the request"
        tail = [HumanMessage(step_message(state, index, budget, "rewrite_step", problems=problems))]
        call = _call_fitted(svc, state, tail, output_tokens(budget, state["calibration"]), "")
        text = _clean(state, call)
        turns = answered(draft["turns"], text)
    reply = call.reply
    new = _draft(text, reply.finish_reason, action, turns)
    return {
        "draft": new,
        "attempts": [*state["attempts"], new],
        "boundary": call.boundary,
        "calibration": call.calibration,
        "stats": reply.stats(),
    }
