"""Plans from the real embedded model (SmolLM2-135M) pass the plan check: nothing left unrepaired."""

from __future__ import annotations

import uuid

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from longwriter import WriterContext
from longwriter.agent.graph import build_graph
from longwriter.llm.embeddings import get_embedder
from longwriter.llm.local_server import LocalServer
from longwriter.planning.brief import PlanBrief
from longwriter.planning.sanity import check_plan
from longwriter.text.reader import SubjectScorer

pytestmark = pytest.mark.integration

INSTRUCTIONS = [
    "Write a 1500-word illustrated guide to the history of coffee, from its legends in Ethiopia "
    "to modern espresso culture.",
    "Write a 100-word thank-you email to my colleague Sam for covering my shift on Friday.",
    "写一篇3000字的关于长城历史的文章",
    "Write a 2000-word short story about a lighthouse keeper who finds a message in a bottle.",
    "Write a 3000-word report on the causes and effects of urban heat islands.",
]


@pytest.mark.parametrize("instruction", INSTRUCTIONS)
def test_real_plans_pass_the_check(local_server: LocalServer, instruction: str) -> None:
    ctx = WriterContext(base_url=local_server.base_url, model=local_server.model, memory=":memory:")
    graph = build_graph(InMemorySaver())
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    graph.invoke({"instruction": instruction}, config, context=ctx, interrupt_after=["plan"])  # type: ignore[arg-type]
    state = graph.get_state(config).values  # type: ignore[arg-type]
    scorer = SubjectScorer(get_embedder("minilm").embed, state["subject"], state["language"])
    brief = PlanBrief(
        instruction=instruction,
        language=state["language"],
        subject=state["subject"],
        target_words=state["target_words"],
        section_words=ctx.section_words,
        form=state["form"],
        off_subject=scorer.off_subject,
    )
    assert check_plan(state["title"], state["sections_plan"], brief) == []
    assert not [n for n in state["plan_notes"] if not n["repaired"]]
    assert sum(s["words"] for s in state["sections_plan"]) == state["body_words"]
