"""What both prompt layouts share: a fitted model call, cleaning a reply, drafts and turns, the
subject watch and the anti-loop ladder's bookkeeping."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from langchain_core.messages import BaseMessage

from longwriter.agent.events import llm_event, status
from longwriter.agent.run import Run
from longwriter.agent.state import WriterState
from longwriter.document import Draft, Turn
from longwriter.drafting.calibration import (
    MARGIN_TOKENS,
    MIN_OUTPUT_TOKENS,
    RETRIEVAL_RESERVE,
    floor_tokens,
    learn,
)
from longwriter.drafting.cleanup import (
    clean_draft,
    replay_text,
)
from longwriter.drafting.layout import (
    layout,
    task_message,
    with_passages,
)
from longwriter.drafting.relevance import drift_watch, keep_on_subject
from longwriter.llm.chat import DRIFT_FINISH, LOOP_FINISH, ContextOverflow, Reply, Watch
from longwriter.llm.sampling import LoopLadder, ladder_of
from longwriter.sources.cite import drop_invented
from longwriter.text import count_words


@dataclass(frozen=True)
class Call:
    """A fitted, finished call: the reply, the boundary used, updated calibration, the step request."""

    reply: Reply
    boundary: int
    calibration: dict[str, float]
    request: str


def call_fitted(
    run: Run, state: WriterState, tail: list[BaseMessage], want_tokens: int, query: str
) -> Call:
    """Fit the layout into the window (retrieving what falls out of it), call, and learn; retries overflow."""
    calibration = dict(state["calibration"])
    index = state["current"]
    window = run.window()
    for _ in range(3):
        ratio = calibration.get("prompt_ratio", 1.0)
        max_tokens = max(MIN_OUTPUT_TOKENS, min(want_tokens, window // 3))
        room = window - max_tokens - MARGIN_TOKENS
        sent = tail
        fitted = layout(
            state, sent, budget_tokens=room - (RETRIEVAL_RESERVE if index else 0), ratio=ratio
        )
        if fitted.boundary > 0 and run.ctx.retrieve_k:
            section = state["sections_plan"][index]
            passages = run.memory(state).related(
                f"{section['title']}. {section['main_point']} {query}",
                run.ctx.retrieve_k,
                before=fitted.boundary,
            )
            sent = with_passages(tail, passages, state["language"])
            fitted = layout(state, sent, budget_tokens=room, ratio=ratio)
        max_tokens = max(
            MIN_OUTPUT_TOKENS, min(max_tokens, window - fitted.prompt_tokens - MARGIN_TOKENS)
        )
        try:
            floor = floor_tokens(want_tokens, calibration, run.ctx.min_tokens_ratio)
            reply = run.call(
                fitted.messages,
                max_tokens=max_tokens,
                min_tokens=floor,
                loop_level=state.get("loop_level", 0),
                watch=reply_watch(run, state),
            )
        except ContextOverflow:
            calibration["prompt_ratio"] = calibration.get("prompt_ratio", 1.0) * 1.3
            run.emit(status("context overflow: shrinking the prompt and retrying"))
            continue
        run.emit(llm_event(reply.stats()))
        learned = learn(calibration, reply, fitted.prompt_tokens, count_words(reply.text))
        # The request as the model saw it, without the task text that opens the first turn.
        return Call(reply, fitted.boundary, learned, str(sent[-1].content))
    raise ContextOverflow(
        "the prompt does not fit the model's context window even after shrinking it"
    )


def cut_off(reply: Reply) -> bool:
    """Whether the reply stopped mid-text: at ``max_tokens``, or cut because it looped."""
    return reply.finish_reason in ("length", LOOP_FINISH, DRIFT_FINISH)


def clean_call(state: WriterState, call: Call) -> str:
    """The reply with labels, echoed request lines, headings, meta-talk and a cut-off last sentence
    removed."""
    return clean_reply(state, call.reply, f"{task_message(state, 0)}\n{call.request}")


def clean_reply(state: WriterState, reply: Reply, prompt: str) -> str:
    """``reply`` cleaned as :func:`clean_call` does, against the request text ``prompt``."""
    section = state["sections_plan"][state["current"]]
    topic = f"{state['instruction']}\n{section['title']}\n{section['main_point']}"
    return clean_draft(
        reply.text,
        section["title"],
        cut_off(reply),
        language=state["language"],
        topic=topic,
        titles=titles(state),
        prompt=prompt,
        cites=bool(state.get("given")),
    )


def titles(state: WriterState) -> list[str]:
    """The document title and every heading as the model sees them."""
    return [state["title"], *(s["title"] for s in state["sections_plan"])]


def turn_of(state: WriterState, call: Call, text: str) -> Turn:
    title = state["sections_plan"][state["current"]]["title"]
    truncated = cut_off(call.reply)
    said = replay_text(call.reply.text, text, title, truncated, titles(state))
    return {"prompt": call.request, "said": said}


def new_draft(
    text: str,
    finish_reason: str | None,
    action: str,
    turns: list[Turn],
    removed: Counter[str] | None = None,
) -> Draft:
    return {
        "text": text,
        "turns": turns,
        "words": count_words(text),
        "finish_reason": finish_reason,
        "action": action,
        "removed": dict(removed or {}),
    }


VLLM_CHAIN_WORDS = 800
"""``compact_chain_words=None`` on vLLM: sections continue one conversation while it holds this many
words (about three 350-word sections), so vLLM's prefix cache serves most of every prompt; elsewhere
each section opens its own (the layout measured on the embedded model)."""


def chain_words(run: Run) -> int:
    """How many words of earlier sections' exchanges a compact conversation may carry (0: none),
    never more than a quarter of the window."""
    words = run.ctx.compact_chain_words
    if words is None:
        kind = None if run.given() is not None else run.server_kind()
        words = VLLM_CHAIN_WORDS if kind == "vllm" else 0
    return min(words, run.window() // 5)


def weigh(run: Run, ladder: LoopLadder, reply: Reply, kept: str) -> None:
    """Tell the ladder how much of a reply survived (see ``LoopLadder.kept``)."""
    if ladder.kept(count_words(reply.text), count_words(kept)):
        run.emit(
            status(
                f"the model's text at a higher anti-loop level was rejected: back to "
                f"level {ladder.level} for the rest of the run"
            )
        )


def weighed(run: Run, state: WriterState, reply: Reply, kept: str) -> dict[str, int]:
    """The ladder's state update after a reply of the full layout (loops are the critic's)."""
    ladder = ladder_of(state)
    if reply.finish_reason != LOOP_FINISH:
        weigh(run, ladder, reply, kept)
    return ladder.update()


def reply_watch(run: Run, state: WriterState) -> Watch | None:
    """A watch that stops a reply once it leaves the subject (see ``drift_watch``); None when the
    content filter is off or the embedder cannot tell."""
    if not run.ctx.content_filter:
        return None
    scorer = run.scorer(state)
    if not scorer.informative:
        return None
    point = state["sections_plan"][state["current"]]["main_point"]
    # Stopping inside paragraphs makes more, shorter calls: cheap only where each call extends a
    # cached conversation (docs/design-notes.md has the figures).
    sentences = chain_words(run) > 0
    return drift_watch(scorer, point=point, instruction=state["instruction"], sentences=sentences)


def on_subject(run: Run, state: WriterState, text: str, removed: Counter[str]) -> str:
    """``text`` without invented facts (with sources), junk and off-subject paragraphs; counts
    what went in ``removed``."""
    given = state.get("given") or []
    if given:
        text, invented = drop_invented(text, [g["text"] for g in given], state["instruction"])
        if invented:
            removed["invented"] += invented
    if not run.ctx.content_filter:
        return text
    point = state["sections_plan"][state["current"]]["main_point"]
    kept, dropped = keep_on_subject(
        text, run.scorer(state), point=point, instruction=state["instruction"]
    )
    removed.update(dropped)
    return kept
