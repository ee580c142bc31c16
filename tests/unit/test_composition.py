"""The compiled graph as LangGraph developers compose it: the schemas Studio builds its input form and
settings panel from, chat (``messages``) input, a subgraph of an app with its own context schema, a
tool for an agent, one chat model per role."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.utils.function_calling import convert_to_openai_tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.runtime import Runtime
from typing_extensions import TypedDict

from longwriter import BackendError, ConfigError, WriterContext, build_graph
from longwriter.agent import WriteRequest
from tests.fakes import Crashing, ScriptedWriter

TEST_SETTINGS: dict[str, Any] = {
    "memory": ":memory:",
    "embedding": "hash",
    "structured_plan": False,
}


def settings(**kw: Any) -> WriterContext:
    return WriterContext(**{**TEST_SETTINGS, **kw})


def thread() -> RunnableConfig:
    return {"configurable": {"thread_id": uuid.uuid4().hex}}


def test_input_and_context_schemas_build_and_describe_every_field() -> None:
    """Studio's input form and settings panel (they failed on Python 3.11 with typing.TypedDict)."""
    graph = build_graph()
    form = graph.get_input_jsonschema()["properties"]
    assert {"instruction", "messages", "target_words", "plan"} <= set(form)
    assert all(field.get("description") for field in form.values())
    context = graph.get_context_jsonschema()
    assert context is not None
    fields = context["properties"]
    assert set(fields) == {f.name for f in dataclasses.fields(WriterContext)}
    assert [name for name, field in fields.items() if not field.get("description")] == []
    assert {"document", "report", "messages"} <= set(graph.get_output_jsonschema()["properties"])
    assert convert_to_openai_tool(graph.as_tool())["function"]["name"] == "longwriter"


def test_chat_input_is_answered_with_the_document() -> None:
    graph = build_graph(InMemorySaver(), chat_model=ScriptedWriter(), settings=settings())
    config = thread()
    ask = {"role": "user", "content": "Write a 600-word note about tea."}
    out = graph.invoke({"messages": [ask]}, config)
    human, answer = out["messages"]
    assert isinstance(human, HumanMessage) and isinstance(answer, AIMessage)
    assert answer.content == out["document"] and out["document"].startswith("# ")
    assert out["report"]["target_words"] == 600

    # A follow-up on the thread is a new document: nothing of the first one's length or sections.
    out = graph.invoke({"messages": [("user", "Write a 400-word note about coffee.")]}, config)
    assert [m.type for m in out["messages"]] == ["human", "ai", "human", "ai"]
    assert out["messages"][-1].content == out["document"]
    report = out["report"]
    assert report["target_words"] == 400
    assert len(report["sections"]) == len(report["plan"])
    assert "coffee" in out["document"].splitlines()[0].lower()
    assert graph.get_state(config).values["instruction"] == "Write a 400-word note about coffee."


def test_an_instruction_after_a_failed_chat_run_is_the_new_request() -> None:
    saver, config = InMemorySaver(), thread()
    ask = {"messages": [("user", "Write a 1200-word history of bridges.")]}
    with pytest.raises(BackendError):
        build_graph(saver, chat_model=Crashing(crash_after=3), settings=settings()).invoke(
            ask, config
        )
    graph = build_graph(saver, chat_model=ScriptedWriter(), settings=settings())
    assert graph.get_state(config).values["sections"]  # some were written before the crash
    # Like every state key, a length settled before stays unless the new input gives one.
    out = graph.invoke({"instruction": "Write a note about tea.", "target_words": 500}, config)
    assert out["report"]["target_words"] == 500
    assert len(out["report"]["sections"]) == len(out["report"]["plan"])
    assert [m.type for m in out["messages"]] == ["human", "human", "ai"]
    assert out["messages"][1].content == "Write a note about tea."


def test_instruction_input_also_fills_the_chat() -> None:
    out = build_graph(chat_model=ScriptedWriter(), settings=settings()).invoke(
        {"instruction": "Write a 500-word note about tea."}
    )
    assert [(m.type, m.content) for m in out["messages"]] == [
        ("human", "Write a 500-word note about tea."),
        ("ai", out["document"]),
    ]


def test_a_request_needs_an_instruction_or_a_human_message() -> None:
    graph = build_graph(chat_model=ScriptedWriter(), settings=settings())
    with pytest.raises(ConfigError, match="instruction is empty"):
        graph.invoke({"messages": [AIMessage("Hello, what shall I write?")]})


@dataclass
class AppContext:
    """A user's app settings, nothing like ``WriterContext``."""

    user: str = "ada"


class AppState(TypedDict, total=False):
    instruction: str
    document: str
    report: dict[str, Any]
    greeting: str


def _greet(state: AppState, runtime: Runtime[AppContext]) -> dict[str, Any]:
    return {"greeting": f"for {runtime.context.user}"}


def _app(writer: CompiledStateGraph[Any, Any, Any, Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    """A parent graph with its own context schema and the writer graph as one of its nodes."""
    builder = StateGraph(AppState, context_schema=AppContext)
    builder.add_node("greet", _greet)
    builder.add_node("longwriter", writer)
    builder.add_edge(START, "greet")
    builder.add_edge("greet", "longwriter")
    builder.add_edge("longwriter", END)
    return builder.compile()


def test_subgraph_of_an_app_with_its_own_context_takes_its_settings_from_build_graph() -> None:
    writer = build_graph(chat_model=ScriptedWriter(), settings=settings(target_words=500))
    out = _app(writer).invoke({"instruction": "Write a note about tea."}, context=AppContext())
    assert out["greeting"] == "for ada"
    assert out["report"]["target_words"] == 500
    assert out["document"].startswith("# ") and out["report"]["words"] > 400


def test_subgraph_reads_settings_from_the_parents_config() -> None:
    writer = build_graph(chat_model=ScriptedWriter())
    given = {**TEST_SETTINGS, "target_words": 450}
    config: RunnableConfig = {"configurable": {"longwriter": given, "target_words": 9}}
    out = _app(writer).invoke(
        {"instruction": "Write a note about tea."}, config, context=AppContext()
    )
    assert out["report"]["target_words"] == 450


@dataclass
class AppWithSettings:
    """A parent context that carries this graph's settings as an attribute."""

    longwriter: WriterContext = dataclasses.field(default_factory=lambda: settings(target_words=50))


@pytest.mark.parametrize(
    ("context", "configurable", "expected"),
    [
        (WriterContext(target_words=10), {"longwriter": {"target_words": 20}}, 10),  # ours: as is
        (AppWithSettings(), {"longwriter": {"target_words": 20}}, 50),  # carried by the parent's
        ({"longwriter": WriterContext(target_words=60)}, None, 60),
        (AppContext(), {"longwriter": {"target_words": 20}, "thread_id": "t"}, 20),
        ({"longwriter": {"target_words": 30}}, {"longwriter": {"target_words": 20}}, 30),
        (AppContext(), {"target_words": 20}, 40),  # a parent's own keys are not ours
        (None, None, 40),  # nothing given: the graph's settings
    ],
)
def test_run_settings(context: Any, configurable: Any, expected: int) -> None:
    default = WriterContext(target_words=40)
    assert WriterContext.of_run(context, configurable, default).target_words == expected


@pytest.mark.parametrize(
    ("configurable", "message"),
    [
        ({"longwriter": {"prompt_layout": "sideways"}}, "prompt_layout must be one of"),
        ({"longwriter": {"target_word": 500}}, r"unknown settings \['target_word'\]"),
        ({"longwriter": "fast"}, "must be a mapping of settings"),
    ],
)
def test_bad_settings_from_a_parent_are_reported(configurable: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        WriterContext.of_run(AppContext(), configurable, None)


def test_as_tool_writes_for_an_agent() -> None:
    writer = build_graph(chat_model=ScriptedWriter(), settings=settings())
    tool = writer.as_tool(
        args_schema=WriteRequest, name="write_document", description="Write a long document."
    )
    assert convert_to_openai_tool(tool)["function"]["parameters"]["required"] == ["instruction"]
    call = {
        "name": "write_document",
        "args": {"instruction": "Write a 500-word note about tea."},
        "id": "call-1",
        "type": "tool_call",
    }
    result = tool.invoke(call["args"])
    assert result["report"]["target_words"] == 500
    heading = result["document"].splitlines()[0]
    assert heading.startswith("# ") and "tea" in heading.lower()

    agent = StateGraph(MessagesState)  # the tool step of an agent: runs the model's tool calls
    agent.add_node("tools", ToolNode([tool]))
    agent.add_edge(START, "tools")
    reply = agent.compile().invoke({"messages": [AIMessage("", tool_calls=[call])]})["messages"][-1]
    assert isinstance(reply, ToolMessage) and reply.status == "success"
    assert reply.tool_call_id == "call-1" and heading in str(reply.content)


def test_one_chat_model_per_role() -> None:
    planner, writer = ScriptedWriter(), ScriptedWriter(topic="tea")
    graph = build_graph(chat_model={"plan": planner, "write": writer}, settings=settings())
    out = graph.invoke({"instruction": "Write a 600-word note about tea."})
    assert out["report"]["target_words"] == 600
    assert planner.calls and all("Word Count" in call for call in planner.calls)
    assert writer.calls and not any("Word Count" in call for call in writer.calls)


def test_a_model_for_an_unknown_role_is_refused() -> None:
    graph = build_graph(chat_model={"draft": ScriptedWriter()}, settings=settings())
    with pytest.raises(ConfigError, match="unknown endpoint role 'draft'"):
        graph.invoke({"instruction": "Write a 500-word note about tea."})
