"""Anti-loop sampling: the penalty each server kind gets per level, never below the user's own."""

from __future__ import annotations

import re
import uuid

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

from longwriter import WriterContext, build_graph
from longwriter.agent.run import Run
from longwriter.llm.chat import DRIFT_FINISH, LOOP_FINISH, stream_until
from longwriter.llm.sampling import (
    MAX_LOOP_LEVEL,
    MIN_BARREN_WORDS,
    LoopLadder,
    anti_loop_body,
    ladder_of,
)
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
        models = Run(ctx)
        models.call([HumanMessage("Write.")], max_tokens=50)
        models.call([HumanMessage("Write.")], max_tokens=50, loop_level=2)
    plain, penalised = stub.requests
    assert not set(expected) & set(plain)
    assert {k: penalised[k] for k in expected} == pytest.approx(expected)
    assert plain["temperature"] == penalised["temperature"] == 0.5  # warmer text drifts


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
    fresh = HISTORY
    loop = fresh + " The bees fly home at dusk and sleep." * 300
    chat = GenericFakeChatModel(messages=iter([AIMessage(loop), AIMessage(fresh)]))
    reply, stopped, _ = stream_until(chat, [HumanMessage("Write.")], {})
    assert stopped == LOOP_FINISH and fresh in str(reply.content)
    assert len(str(reply.content)) < len(fresh) + 2000  # stopped long before the end
    reply, stopped, _ = stream_until(chat, [HumanMessage("Write.")], {})
    assert stopped is None and str(reply.content) == fresh


def test_a_watch_stops_the_stream_at_the_paragraph_it_rejects() -> None:
    paragraphs = [f"Paragraph {i} on bees and their hives." for i in range(6)]
    paragraphs[3] = "A paragraph on bicycles."
    chat = GenericFakeChatModel(messages=iter([AIMessage("\n\n".join(paragraphs))]))
    seen: list[str] = []

    def watch(text: str) -> bool:
        seen.append(text)
        return "bicycles" in text

    reply, stopped, pieces = stream_until(chat, [HumanMessage("Write.")], {}, watch)
    assert stopped == DRIFT_FINISH
    assert "bicycles" in str(reply.content) and "Paragraph 5" not in str(reply.content)
    assert seen == sorted(seen, key=len) and len(seen) > len(paragraphs)  # after each piece
    # A stream closed early has no usage report: its tokens are the pieces that arrived (the fake
    # sends each word and each blank as one piece).
    assert pieces == len([p for p in re.split(r"(\s)", str(reply.content)) if p])


HISTORY = (
    "Gutenberg printed about 180 copies of his Bible in Mainz around 1455, some 49 of which survive. "
    "By 1480 presses worked in more than 110 towns, from Venice to Westminster, where Caxton set up "
    "shop in 1476. Venice alone had about 150 presses by 1500, and Aldus Manutius issued his pocket "
    "editions of the classics from 1501. Historians estimate that some 20 million volumes left "
    "European presses before 1501, and between 150 and 200 million in the following century. "
    "Luther's tracts sold 300,000 copies between 1518 and 1520. In 1605 Strasbourg saw the first "
    "weekly newspaper, and by 1700 London had a dozen papers, while literacy in England rose from "
    "about 10 percent of men in 1500 to nearly half of them in 1700, a change that reshaped schools, "
    "churches and the courts alike."
)


@pytest.mark.parametrize(
    ("text", "loops"),
    [
        ("", False),
        ("The bees fly home at dusk. " * 10, False),  # too short to tell
        ("The bees fly home at dusk. " * 40, True),
        ("蜜蜂在黄昏时飞回家。" * 40, True),
        # A loop that counts is a loop ("The Printing Press: 1450", "...: 1485", 40 lines on vLLM).
        (" ".join(f"Fact {i}: hives number {i * 7} stood in row {i}." for i in range(40)), True),
        ("\n".join(f"The Printing Press: {1440 + 5 * i}" for i in range(40)), True),
        (HISTORY, False),  # prose with many numbers is not a loop
    ],
)
def test_looping(text: str, loops: bool) -> None:
    assert looping(text) is loops


def test_the_ladder_climbs_on_loops_up_to_its_ceiling() -> None:
    ladder = LoopLadder()
    assert [ladder.looped() for _ in range(MAX_LOOP_LEVEL + 1)] == [True] * MAX_LOOP_LEVEL + [False]
    assert ladder.update() == {"loop_level": MAX_LOOP_LEVEL, "loop_ceiling": MAX_LOOP_LEVEL}


def test_a_level_whose_replies_come_back_barren_is_given_up_for_the_run() -> None:
    ladder = LoopLadder(level=2)
    assert not ladder.kept(300, 0)  # one barren reply may be bad luck
    assert not ladder.kept(300, 200)  # a good one in between resets the count
    assert not ladder.kept(300, 10)
    assert ladder.kept(300, 20)  # the second in a row: back down, for good
    assert ladder.update() == {"loop_level": 1, "loop_ceiling": 1}
    assert not ladder.looped() and ladder.level == 1  # a later loop cannot climb back
    assert ladder_of(ladder.update()) == LoopLadder(1, 1)


def test_the_first_level_is_never_given_up_and_short_replies_say_nothing() -> None:
    ladder = LoopLadder(level=1)
    assert not any(ladder.kept(300, 0) for _ in range(5))
    assert ladder.level == 1 and ladder.ceiling == MAX_LOOP_LEVEL
    ladder = LoopLadder(level=3)
    assert not any(ladder.kept(MIN_BARREN_WORDS - 1, 0) for _ in range(5))
    assert ladder.level == 3
    assert ladder_of({}) == LoopLadder(0, MAX_LOOP_LEVEL)  # a state from before the ladder
