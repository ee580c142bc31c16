"""Anti-loop sampling: the penalty each server kind gets per level, never below the user's own."""

from __future__ import annotations

import uuid

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

from longwriter import WriterContext, build_graph
from longwriter.agent.deps import RunDeps
from longwriter.agent.models import stream_until_loop
from longwriter.llm.sampling import MAX_LOOP_LEVEL, anti_loop_body, anti_loop_temperature
from longwriter.text import looping
from tests.fakes import ScriptedWriter
from tests.openai_stub import StubState, openai_stub


@pytest.mark.parametrize(
    ("kind", "level", "body", "expected"),
    [
        ("vllm", 0, {}, {}),
        ("vllm", 1, {}, {"repetition_penalty": 1.1}),
        ("vllm", 3, {"top_k": 40}, {"top_k": 40, "repetition_penalty": 1.3}),
        ("vllm", 1, {"repetition_penalty": 1.25}, {"repetition_penalty": 1.25}),  # user's is higher
        ("llama.cpp", 0, {"repeat_penalty": 1.15}, {"repeat_penalty": 1.15}),
        ("llama.cpp", 1, {"repeat_penalty": 1.15}, {"repeat_penalty": 1.25}),
        ("llama.cpp", 9, {}, {"repeat_penalty": 1.45}),  # capped at the top level
        ("openai", 1, {}, {"frequency_penalty": 0.3, "presence_penalty": 0.2}),
        (
            "openai",
            2,
            {"frequency_penalty": 1.0},
            {"frequency_penalty": 1.0, "presence_penalty": 0.4},
        ),
    ],
)
def test_penalty_per_server_kind_and_level(
    kind: str, level: int, body: dict[str, float], expected: dict[str, float]
) -> None:
    assert anti_loop_body(kind, level, body) == expected  # type: ignore[arg-type]


def test_body_is_not_modified_in_place() -> None:
    body = {"repetition_penalty": 1.0}
    anti_loop_body("vllm", 2, body)
    assert body == {"repetition_penalty": 1.0}


def test_temperature_warms_per_level_but_never_past_one_nor_below_the_users() -> None:
    assert anti_loop_temperature(0.7, 0) == 0.7
    assert anti_loop_temperature(0.7, 2) == pytest.approx(0.9)
    assert anti_loop_temperature(0.7, MAX_LOOP_LEVEL + 5) == 1.0
    assert anti_loop_temperature(1.2, 3) == 1.2


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("vllm", {"repetition_penalty": 1.2}),
        ("me", {"repeat_penalty": 1.35}),  # llama-cpp-python reached by URL
        ("stub", {"frequency_penalty": 0.5, "presence_penalty": 0.4}),  # OpenAI-style
    ],
)
def test_calls_carry_the_run_level_penalty_of_their_server(
    owner: str, expected: dict[str, float]
) -> None:
    with openai_stub(StubState(owned_by=owner)) as stub:
        ctx = WriterContext(base_url=stub.base_url, model="stub-model", temperature=0.5)
        models = RunDeps(ctx).models
        models.call([HumanMessage("Write.")], max_tokens=50)
        models.call([HumanMessage("Write.")], max_tokens=50, loop_level=2)
    plain, penalised = stub.requests
    assert not set(expected) & set(plain)
    assert {k: penalised[k] for k in expected} == pytest.approx(expected)
    assert plain["temperature"] == 0.5 and penalised["temperature"] == pytest.approx(0.7)


@pytest.mark.parametrize("layout", ["history", "compact"])
def test_a_looping_draft_raises_the_level_for_the_rest_of_the_run(layout: str) -> None:
    fake = ScriptedWriter()
    fake.section_replies = ["The bees fly home at dusk and the bees fly home at dusk. " * 40]
    graph = build_graph(InMemorySaver(), chat_model=fake)
    config: RunnableConfig = {"configurable": {"thread_id": uuid.uuid4().hex}}
    context = WriterContext(
        memory=":memory:",
        embedding="hash",
        structured_plan=False,
        content_filter=False,
        prompt_layout=layout,
    )
    graph.invoke({"instruction": "Write a 900-word essay on bees."}, config, context=context)
    values = graph.get_state(config).values
    assert values["loop_level"] == 1  # learned once, kept: the later drafts did not loop
    assert "dusk" not in values["document"] or values["document"].count("dusk") <= 2


def test_a_stream_that_loops_is_cut_early() -> None:
    fresh = " ".join(
        f"Sentence {i} tells the history of bees in town number {i}." for i in range(30)
    )
    loop = fresh + " The bees fly home at dusk and sleep." * 300
    chat = GenericFakeChatModel(messages=iter([AIMessage(loop), AIMessage(fresh)]))
    reply, looped = stream_until_loop(chat, [HumanMessage("Write.")], {})
    assert looped and fresh in str(reply.content)
    assert len(str(reply.content)) < len(fresh) + 2000  # stopped long before the end
    reply, looped = stream_until_loop(chat, [HumanMessage("Write.")], {})
    assert not looped and str(reply.content) == fresh


@pytest.mark.parametrize(
    ("text", "loops"),
    [
        ("", False),
        ("The bees fly home at dusk. " * 10, False),  # too short to tell
        ("The bees fly home at dusk. " * 40, True),
        ("蜜蜂在黄昏时飞回家。" * 40, True),
        (" ".join(f"Fact {i}: hives number {i * 7} stood in row {i}." for i in range(40)), False),
    ],
)
def test_looping(text: str, loops: bool) -> None:
    assert looping(text) is loops
