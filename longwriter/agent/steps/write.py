"""The writer and the reviser: one model call per step, on the prefix-stable prompt layout."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage, HumanMessage

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
    output_tokens,
)
from longwriter.drafting.cleanup import (
    clean_draft,
    clip_to_words,
    drop_repeats,
    replay_text,
    sentence_keys,
)
from longwriter.drafting.judge import EDITS, LOOP_LINES, earlier_ngrams, earlier_sentences
from longwriter.drafting.layout import (
    answered,
    chained_turns,
    compact_messages,
    estimate,
    layout,
    step_message,
    task_message,
    turn_messages,
    with_passages,
)
from longwriter.drafting.relevance import drift_watch, keep_on_subject
from longwriter.llm.chat import DRIFT_FINISH, LOOP_FINISH, ContextOverflow, Reply, Watch
from longwriter.llm.sampling import LoopLadder, ladder_of
from longwriter.text import count_words, duplicated_lines, repeated_ngram_share


@dataclass(frozen=True)
class Call:
    """A fitted, finished call: the reply, the boundary used, updated calibration, the step request."""

    reply: Reply
    boundary: int
    calibration: dict[str, float]
    request: str


def _call_fitted(
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
                watch=_watch(run, state),
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


def _clean(state: WriterState, call: Call) -> str:
    """The reply with labels, echoed request lines, headings, meta-talk and a cut-off last sentence
    removed."""
    return _clean_reply(state, call.reply, f"{task_message(state, 0)}\n{call.request}")


def _clean_reply(state: WriterState, reply: Reply, prompt: str) -> str:
    """``reply`` cleaned as :func:`_clean` does, against the request text ``prompt``."""
    section = state["sections_plan"][state["current"]]
    topic = f"{state['instruction']}\n{section['title']}\n{section['main_point']}"
    return clean_draft(
        reply.text,
        section["title"],
        cut_off(reply),
        language=state["language"],
        topic=topic,
        titles=_titles(state),
        prompt=prompt,
    )


def _titles(state: WriterState) -> list[str]:
    """The document title and every heading as the model sees them."""
    return [state["title"], *(s["title"] for s in state["sections_plan"])]


def _turn(state: WriterState, call: Call, text: str) -> Turn:
    title = state["sections_plan"][state["current"]]["title"]
    truncated = cut_off(call.reply)
    said = replay_text(call.reply.text, text, title, truncated, _titles(state))
    return {"prompt": call.request, "said": said}


def _draft(
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


COMPACT_MAX_WINDOW = 8192
"""``prompt_layout="auto"`` writes compact requests for models with a window this small or smaller:
small models, whose text drifts under a long history of their own (measured with SmolLM2, 8,192
tokens), and whose window would hold only a few sections of history anyway."""


def compact_layout(run: Run) -> bool:
    """Whether this run writes with short requests (see ``WriterContext.prompt_layout``)."""
    if run.ctx.prompt_layout != "auto":
        return run.ctx.prompt_layout == "compact"
    return run.given() is None and run.window() <= COMPACT_MAX_WINDOW


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


@dataclass
class Filled:
    """What the compact layout wrote for a section: the text, its exchanges and what the calls cost."""

    text: str
    turns: list[Turn]
    finish_reason: str | None
    calibration: dict[str, float]
    ladder: LoopLadder
    stats: dict[str, float] = field(default_factory=dict)
    removed: Counter[str] = field(default_factory=Counter)


def _looping(text: str, max_share: float) -> bool:
    return repeated_ngram_share(text, 4) > max_share or len(duplicated_lines(text)) >= LOOP_LINES


def _compact_fill(run: Run, state: WriterState, words: int, start: Draft | None = None) -> Filled:
    """Write the current section up to about ``words`` words (continuing the draft ``start``), one
    short request of at most ``step_words`` words at a time; every piece is cleaned and stripped of
    repeats before it joins the text, and a piece that loops raises the run's anti-loop level."""
    ctx = run.ctx
    index = state["current"]
    section = state["sections_plan"][index]
    out = Filled(
        start["text"].strip() if start else "",
        list(start["turns"]) if start else [],
        None,
        dict(state["calibration"]),
        ladder_of(state),
    )
    chain_start, prior = chained_turns(state, index, chain_words(run))
    passages = []
    if chain_start > 0 and ctx.retrieve_k:
        query = f"{section['title']}. {section['main_point']}"
        passages = run.memory(state).related(query, min(2, ctx.retrieve_k), before=chain_start)
    earlier, said_before = earlier_ngrams(state), earlier_sentences(state)
    window = run.window()
    low = words * (1 - ctx.length_tolerance)
    for _ in range(math.ceil(words / ctx.step_words) + 2):
        written = count_words(out.text)
        if written >= low:
            break
        need = words - written
        ask = need if need <= 1.5 * ctx.step_words else ctx.step_words
        messages = compact_messages(state, index, ask, out.turns, passages, prior)
        want = output_tokens(ask, out.calibration)
        prompt_tokens = estimate(messages, out.calibration.get("prompt_ratio", 1.0))
        max_tokens = max(MIN_OUTPUT_TOKENS, min(want, window - prompt_tokens - MARGIN_TOKENS))
        floor = floor_tokens(want, out.calibration, ctx.min_tokens_ratio)
        reply = run.call(
            messages,
            max_tokens=max_tokens,
            min_tokens=floor,
            loop_level=out.ladder.level,
            watch=_watch(run, state),
        )
        run.emit(llm_event(reply.stats()))
        for key, value in reply.stats().items():
            out.stats[key] = out.stats.get(key, 0) + value
        out.calibration = learn(out.calibration, reply, prompt_tokens, count_words(reply.text))
        request = str(messages[-1].content)
        piece = _clean_reply(state, reply, request)
        loops = reply.finish_reason == LOOP_FINISH or _looping(piece, ctx.max_repeat_share)
        if loops and out.ladder.looped():
            run.emit(status(f"the model loops: anti-loop sampling level {out.ladder.level}"))
        seen = said_before | sentence_keys(out.text)
        piece = drop_repeats(piece, earlier, ctx.max_overlap, seen)
        piece = _on_subject(run, state, piece, out.removed)
        if not loops:
            _weigh(run, out.ladder, reply, piece)
        if not count_words(piece):
            continue
        replay = replay_text(reply.text, piece, section["title"], cut_off(reply), _titles(state))
        out.text = f"{out.text}\n\n{piece}".strip()
        out.turns.append({"prompt": request, "said": replay})
        out.finish_reason = reply.finish_reason
    return out


def _weigh(run: Run, ladder: LoopLadder, reply: Reply, kept: str) -> None:
    """Tell the ladder how much of a reply survived (see ``LoopLadder.kept``)."""
    if ladder.kept(count_words(reply.text), count_words(kept)):
        run.emit(
            status(
                f"the model's text at a higher anti-loop level was rejected: back to "
                f"level {ladder.level} for the rest of the run"
            )
        )


def _weighed(run: Run, state: WriterState, reply: Reply, kept: str) -> dict[str, int]:
    """The ladder's state update after a reply of the full layout (loops are the critic's)."""
    ladder = ladder_of(state)
    if reply.finish_reason != LOOP_FINISH:
        _weigh(run, ladder, reply, kept)
    return ladder.update()


def _watch(run: Run, state: WriterState) -> Watch | None:
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


def _on_subject(run: Run, state: WriterState, text: str, removed: Counter[str]) -> str:
    """``text`` without junk and off-subject paragraphs; counts what went in ``removed``."""
    if not run.ctx.content_filter:
        return text
    point = state["sections_plan"][state["current"]]["main_point"]
    kept, dropped = keep_on_subject(
        text, run.scorer(state), point=point, instruction=state["instruction"]
    )
    removed.update(dropped)
    return kept


def _filled_update(state: WriterState, filled: Filled, action: str) -> dict[str, Any]:
    """The state update for a compact-layout draft (a new attempt at the section)."""
    draft = _draft(filled.text, filled.finish_reason, action, filled.turns, filled.removed)
    return {
        "draft": draft,
        "attempts": [*state.get("attempts", []), draft],
        "calibration": filled.calibration,
        **filled.ladder.update(),
        "stats": filled.stats,
    }


def write(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: first draft of the current section."""
    index = state["current"]
    budget = state["budgets"][index]
    section = state["sections_plan"][index]
    run.emit(
        {
            "event": "section",
            "index": index,
            "total": len(state["sections_plan"]),
            "title": section["title"],
            "budget": budget,
        }
    )
    if compact_layout(run):
        update = _filled_update(
            {**state, "attempts": []}, _compact_fill(run, state, budget), "write"
        )
        return {**update, "verdict": None}
    tail: list[BaseMessage] = [HumanMessage(step_message(state, index, budget))]
    call = _call_fitted(run, state, tail, output_tokens(budget, state["calibration"]), "")
    removed: Counter[str] = Counter()
    text = _on_subject(run, state, _clean(state, call), removed)
    draft = _draft(text, call.reply.finish_reason, "write", [_turn(state, call, text)], removed)
    return {
        "draft": draft,
        "attempts": [draft],
        "verdict": None,
        "boundary": call.boundary,
        "calibration": call.calibration,
        "stats": call.reply.stats(),
        **_weighed(run, state, call.reply, text),
    }


def revise(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: act on the critic's verdict (deterministic fixes first, model calls only when needed)."""
    ctx = run.ctx
    draft, verdict = state["draft"], state["verdict"]
    assert draft is not None and verdict is not None, "revise needs a draft and a verdict"
    index = state["current"]
    budget = state["budgets"][index]
    section = state["sections_plan"][index]
    action = verdict["action"]
    run.emit({"event": "revise", "index": index, "action": action, "reasons": verdict["reasons"]})
    if action in EDITS:
        text = clean_draft(draft["text"], section["title"], False)
        text = drop_repeats(text, earlier_ngrams(state), ctx.max_overlap, earlier_sentences(state))
        if action == "condense":
            text = clip_to_words(text, int(budget * (1 + ctx.length_tolerance)))
        turns = answered(draft["turns"], text)
        new = _draft(text, draft["finish_reason"], action, turns, Counter(draft.get("removed")))
        if new["text"] == draft["text"]:
            action = "rewrite"  # nothing to remove deterministically: ask the model again
        else:
            return {"draft": new, "attempts": [*state["attempts"], new]}
    removed = Counter(draft.get("removed", {})) if action == "expand" else Counter()
    if compact_layout(run):
        filled = _compact_fill(run, state, budget, draft if action == "expand" else None)
        filled.removed.update(removed)
        return _filled_update(state, filled, action)
    if action == "expand":
        # Continue the draft's own conversation, so the request extends the cached one.
        missing = max(budget - draft["words"], ctx.min_section_words // 2)
        tail = [
            *turn_messages(draft["turns"]),
            HumanMessage(step_message(state, index, missing, "continue_step")),
        ]
        call = _call_fitted(
            run, state, tail, output_tokens(missing, state["calibration"]), draft["text"][-300:]
        )
        addition = _on_subject(run, state, _clean(state, call), removed)
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
        call = _call_fitted(run, state, tail, output_tokens(budget, state["calibration"]), "")
        text = _on_subject(run, state, _clean(state, call), removed)
        turns = answered(draft["turns"], text)
    reply = call.reply
    new = _draft(text, reply.finish_reason, action, turns, removed)
    return {
        "draft": new,
        "attempts": [*state["attempts"], new],
        "boundary": call.boundary,
        "calibration": call.calibration,
        "stats": reply.stats(),
        **_weighed(run, state, reply, text),
    }
