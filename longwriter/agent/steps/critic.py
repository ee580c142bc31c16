"""The critic step: judge the current draft (:func:`longwriter.drafting.judge.judge`)."""

from __future__ import annotations

from longwriter.agent.events import status
from longwriter.agent.run import Run
from longwriter.agent.state import WriterState
from longwriter.drafting.judge import earlier_ngrams, judge
from longwriter.llm.sampling import ladder_of


def critic(state: WriterState, run: Run) -> dict[str, object]:
    """Node: judge the current draft; store the verdict and the draft's score."""
    draft = state["draft"]
    assert draft is not None, "critic needs a draft"
    index = state["current"]
    dups = 0
    if draft["words"] and index > 0:
        dups = len(
            run.memory(state).near_duplicates(
                draft["text"], run.ctx.duplicate_similarity, before=index
            )
        )
    verdict = judge(
        draft,
        state["budgets"][index],
        run.ctx,
        language=state["language"],
        earlier=earlier_ngrams(state),
        near_duplicates=dups,
    )
    attempts = list(state.get("attempts", []))
    attempts[-1] = {**attempts[-1], "score": verdict["score"], "reasons": verdict["reasons"]}
    run.emit(
        {
            "event": "verdict",
            "section": index,
            "ok": verdict["ok"],
            "action": verdict["action"],
            "reasons": verdict["reasons"],
            "words": draft["words"],
        }
    )
    update: dict[str, object] = {"verdict": verdict, "attempts": attempts}
    ladder = ladder_of(state)
    if verdict.get("degenerate") and ladder.looped():
        # Learned for the run: later sections start with the sampling that stopped the loops.
        update.update(ladder.update())
        run.emit(status(f"the model loops: anti-loop sampling level {ladder.level}"))
    return update
