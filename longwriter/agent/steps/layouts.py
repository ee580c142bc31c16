"""The two prompt layouts a section is written in, behind one interface: the full conversation
(prefix-stable, one call per step) and the compact one (short self-contained requests)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.messages import BaseMessage, HumanMessage

from longwriter.agent.events import llm_event, status
from longwriter.agent.run import Run
from longwriter.agent.state import WriterState
from longwriter.agent.steps.drafts import (
    Call,
    call_fitted,
    chain_words,
    clean_call,
    clean_reply,
    cut_off,
    new_draft,
    on_subject,
    reply_watch,
    titles,
    turn_of,
    weigh,
    weighed,
)
from longwriter.document import Draft, Turn
from longwriter.drafting.calibration import (
    MARGIN_TOKENS,
    MIN_OUTPUT_TOKENS,
    floor_tokens,
    learn,
    output_tokens,
)
from longwriter.drafting.cleanup import (
    drop_repeats,
    replay_text,
    sentence_keys,
)
from longwriter.drafting.judge import LOOP_LINES, earlier_ngrams, earlier_sentences
from longwriter.drafting.layout import (
    answered,
    chained_turns,
    compact_messages,
    estimate,
    step_message,
    turn_messages,
)
from longwriter.llm.chat import LOOP_FINISH
from longwriter.llm.sampling import LoopLadder, ladder_of
from longwriter.sources.cite import fact_sentences
from longwriter.text import count_words, duplicated_lines, repeated_ngram_share

COMPACT_MAX_WINDOW = 8192
"""``prompt_layout="auto"`` writes compact requests for models with a window this small or smaller:
small models, whose text drifts under a long history of their own (measured with SmolLM2, 8,192
tokens), and whose window would hold only a few sections of history anyway."""


def compact_layout(run: Run) -> bool:
    """Whether this run writes with short requests (see ``WriterContext.prompt_layout``)."""
    if run.ctx.prompt_layout != "auto":
        return run.ctx.prompt_layout == "compact"
    return run.given() is None and run.window() <= COMPACT_MAX_WINDOW


SEED_SENTENCES = 2
"""Source sentences a section of the compact layout opens with (see ``compact_fill``)."""


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


def looping(text: str, max_share: float) -> bool:
    return repeated_ngram_share(text, 4) > max_share or len(duplicated_lines(text)) >= LOOP_LINES


def compact_fill(run: Run, state: WriterState, words: int, start: Draft | None = None) -> Filled:
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
    given = state.get("given") or []
    if given and start is None:
        # A small model mixes up the facts it is shown: the section opens with the sources' own
        # sentences, cited, and the model writes on from them.
        stated = " ".join(s["text"] for s in state.get("sections", []))
        seeds = fact_sentences(
            {g["n"]: g["text"] for g in given}, stated, state["instruction"], SEED_SENTENCES
        )
        if seeds:
            out.text = " ".join(seeds)
            first = compact_messages(state, index, words, [], [], None)
            out.turns.append({"prompt": str(first[-1].content), "said": out.text})
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
            watch=reply_watch(run, state),
        )
        run.emit(llm_event(reply.stats()))
        for key, value in reply.stats().items():
            out.stats[key] = out.stats.get(key, 0) + value
        out.calibration = learn(out.calibration, reply, prompt_tokens, count_words(reply.text))
        request = str(messages[-1].content)
        piece = clean_reply(state, reply, request)
        loops = reply.finish_reason == LOOP_FINISH or looping(piece, ctx.max_repeat_share)
        if loops and out.ladder.looped():
            run.emit(status(f"the model loops: anti-loop sampling level {out.ladder.level}"))
        seen = said_before | sentence_keys(out.text)
        piece = drop_repeats(piece, earlier, ctx.max_overlap, seen)
        piece = on_subject(run, state, piece, out.removed)
        if not loops:
            weigh(run, out.ladder, reply, piece)
        if not count_words(piece):
            continue
        replay = replay_text(reply.text, piece, section["title"], cut_off(reply), titles(state))
        out.text = f"{out.text}\n\n{piece}".strip()
        out.turns.append({"prompt": request, "said": replay})
        out.finish_reason = reply.finish_reason
    return out


def filled_update(state: WriterState, filled: Filled, action: str) -> dict[str, Any]:
    """The state update for a compact-layout draft (a new attempt at the section)."""
    draft = new_draft(filled.text, filled.finish_reason, action, filled.turns, filled.removed)
    return {
        "draft": draft,
        "attempts": [*state.get("attempts", []), draft],
        "calibration": filled.calibration,
        **filled.ladder.update(),
        "stats": filled.stats,
    }


class SectionLayout(Protocol):
    """How a section's text is asked for; each method returns the step's partial state update."""

    def draft(self, state: WriterState, budget: int) -> dict[str, Any]:
        """The first draft of the current section, about ``budget`` words."""
        ...

    def expand(
        self, state: WriterState, budget: int, draft: Draft, removed: Counter[str]
    ) -> dict[str, Any]:
        """``draft`` continued towards ``budget`` words (``removed`` counts what was cut so far)."""
        ...

    def rewrite(
        self, state: WriterState, budget: int, draft: Draft, reasons: list[str]
    ) -> dict[str, Any]:
        """A new draft instead of ``draft``, which the critic rejected for ``reasons``."""
        ...


@dataclass(frozen=True)
class CompactLayout:
    """Short requests of at most ``step_words`` words each, for small models and windows."""

    run: Run

    def draft(self, state: WriterState, budget: int) -> dict[str, Any]:
        fresh: WriterState = {**state, "attempts": []}
        return {
            **filled_update(fresh, compact_fill(self.run, state, budget), "write"),
            "verdict": None,
        }

    def expand(
        self, state: WriterState, budget: int, draft: Draft, removed: Counter[str]
    ) -> dict[str, Any]:
        filled = compact_fill(self.run, state, budget, draft)
        filled.removed.update(removed)
        return filled_update(state, filled, "expand")

    def rewrite(
        self, state: WriterState, budget: int, draft: Draft, reasons: list[str]
    ) -> dict[str, Any]:
        return filled_update(state, compact_fill(self.run, state, budget), "rewrite")


@dataclass(frozen=True)
class ConversationLayout:
    """One conversation over the document, one call per step, so a prefix cache serves the history."""

    run: Run

    def draft(self, state: WriterState, budget: int) -> dict[str, Any]:
        index = state["current"]
        tail: list[BaseMessage] = [HumanMessage(step_message(state, index, budget))]
        call = call_fitted(self.run, state, tail, output_tokens(budget, state["calibration"]), "")
        removed: Counter[str] = Counter()
        text = on_subject(self.run, state, clean_call(state, call), removed)
        first = new_draft(
            text, call.reply.finish_reason, "write", [turn_of(state, call, text)], removed
        )
        return {**self._called(state, call, text, first), "attempts": [first], "verdict": None}

    def expand(
        self, state: WriterState, budget: int, draft: Draft, removed: Counter[str]
    ) -> dict[str, Any]:
        ctx, index = self.run.ctx, state["current"]
        # Continue the draft's own conversation, so the request extends the cached one.
        missing = max(budget - draft["words"], ctx.min_section_words // 2)
        tail = [
            *turn_messages(draft["turns"]),
            HumanMessage(step_message(state, index, missing, "continue_step")),
        ]
        want = output_tokens(missing, state["calibration"])
        call = call_fitted(self.run, state, tail, want, draft["text"][-300:])
        addition = on_subject(self.run, state, clean_call(state, call), removed)
        joined = draft["text"].rstrip() + ("\n\n" if addition else "") + addition
        text = drop_repeats(
            joined, earlier_ngrams(state), ctx.max_overlap, earlier_sentences(state)
        )
        turns = (
            [*draft["turns"], turn_of(state, call, addition)]
            if text == joined
            else answered(draft["turns"], text)
        )
        new = new_draft(text, call.reply.finish_reason, "expand", turns, removed)
        return self._called(state, call, text, new)

    def rewrite(
        self, state: WriterState, budget: int, draft: Draft, reasons: list[str]
    ) -> dict[str, Any]:
        # The rewrite is replayed as the answer to the section's step, without the list of problems.
        problems = "; ".join(reasons) or "it did not meet the request"
        step = step_message(state, state["current"], budget, "rewrite_step", problems=problems)
        want = output_tokens(budget, state["calibration"])
        call = call_fitted(self.run, state, [HumanMessage(step)], want, "")
        removed: Counter[str] = Counter()
        text = on_subject(self.run, state, clean_call(state, call), removed)
        turns = answered(draft["turns"], text)
        new = new_draft(text, call.reply.finish_reason, "rewrite", turns, removed)
        return self._called(state, call, text, new)

    def _called(self, state: WriterState, call: Call, text: str, new: Draft) -> dict[str, Any]:
        """The update after one call: the new attempt and what the call taught the run."""
        return {
            "draft": new,
            "attempts": [*state.get("attempts", []), new],
            "boundary": call.boundary,
            "calibration": call.calibration,
            "stats": call.reply.stats(),
            **weighed(self.run, state, call.reply, text),
        }


def layout_for(run: Run) -> SectionLayout:
    """The layout this run writes in (see ``WriterContext.prompt_layout``)."""
    return CompactLayout(run) if compact_layout(run) else ConversationLayout(run)
