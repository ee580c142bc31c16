"""The writer and the reviser: the section's first draft, then what the critic's verdict asks for."""

from __future__ import annotations

from collections import Counter
from typing import Any

from longwriter.agent.grounding import given_passages
from longwriter.agent.run import Run
from longwriter.agent.state import WriterState
from longwriter.agent.steps.drafts import new_draft
from longwriter.agent.steps.layouts import layout_for
from longwriter.drafting.cleanup import clean_draft, clip_to_words, drop_repeats
from longwriter.drafting.judge import EDITS, earlier_ngrams, earlier_sentences
from longwriter.drafting.layout import answered


def write(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: first draft of the current section."""
    index = state["current"]
    budget = state["budgets"][index]
    run.emit(
        {
            "event": "section",
            "index": index,
            "total": len(state["sections_plan"]),
            "title": state["sections_plan"][index]["title"],
            "budget": budget,
        }
    )
    given = given_passages(run, state)
    return {**layout_for(run).draft({**state, "given": given}, budget), "given": given}


def revise(state: WriterState, run: Run) -> dict[str, Any]:
    """Node: act on the critic's verdict (deterministic fixes first, model calls only when needed)."""
    ctx = run.ctx
    draft, verdict = state["draft"], state["verdict"]
    assert draft is not None and verdict is not None, "revise needs a draft and a verdict"
    index = state["current"]
    budget = state["budgets"][index]
    action = verdict["action"]
    run.emit({"event": "revise", "index": index, "action": action, "reasons": verdict["reasons"]})
    if action in EDITS:
        title = state["sections_plan"][index]["title"]
        text = clean_draft(draft["text"], title, False, cites=bool(state.get("given")))
        text = drop_repeats(text, earlier_ngrams(state), ctx.max_overlap, earlier_sentences(state))
        if action == "condense":
            text = clip_to_words(text, int(budget * (1 + ctx.length_tolerance)))
        turns = answered(draft["turns"], text)
        new = new_draft(text, draft["finish_reason"], action, turns, Counter(draft.get("removed")))
        if new["text"] != draft["text"]:
            return {"draft": new, "attempts": [*state["attempts"], new]}
        # Nothing to remove deterministically: ask the model again.
    layout = layout_for(run)
    if action == "expand":
        return layout.expand(state, budget, draft, Counter(draft.get("removed", {})))
    return layout.rewrite(state, budget, draft, verdict["reasons"])
