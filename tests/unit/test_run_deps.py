"""Per-run dependencies: runs in one process do not share endpoints, servers or caches, and give
back what they hold (the embedded server's lease) when they end, also when they fail.

The embedded llama.cpp server is faked: ``LocalServer.start`` serves an OpenAI stub instead of
starting a process, so these tests see every server a run starts and whether it still runs.
"""

from __future__ import annotations

import ast
import asyncio
import gc
import operator
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, Send
from typing_extensions import TypedDict

import longwriter
from longwriter import WriterContext, build_graph, write_document
from longwriter.agent.run import Run
from longwriter.api import DocumentResult, make_plan
from longwriter.batch.store import BatchCheckpoints
from longwriter.errors import BackendError
from longwriter.llm import local_server
from longwriter.llm.embeddings import EmbeddingChoice
from longwriter.llm.local_server import LocalServer, leased
from longwriter.text import reader
from tests.fakes import ScriptedWriter
from tests.openai_stub import StubState, openai_stub

SETTINGS: dict[str, Any] = {
    "memory": ":memory:",
    "embedding": "hash",
    "structured_plan": False,
    "max_revisions": 0,
}
ESSAY = "Write a 300-word essay on maps."


class _StubProcess:
    """Stands in for the server process: alive until terminated, which stops its stub server."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self.alive = True

    def poll(self) -> int | None:
        return None if self.alive else 0

    def terminate(self) -> None:
        self.alive = False
        self._stack.close()

    kill = terminate

    def wait(self, timeout: float | None = None) -> int:
        return 0


@dataclass
class FakeLlama:
    """The embedded servers started, each with the stub serving it; new ones answer 503 to the
    first ``unavailable`` requests."""

    started: list[tuple[LocalServer, StubState]] = field(default_factory=list)
    unavailable: int = 0

    def servers(self) -> list[LocalServer]:
        return [server for server, _ in self.started]


@pytest.fixture
def fake_llama(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLlama]:
    """``LocalServer.start`` serves a stub that lists the model as llama-cpp-python does."""
    fake = FakeLlama()

    def start(self: LocalServer) -> LocalServer:
        stack = ExitStack()
        state = StubState(models=[self.model], owned_by="me", unavailable=fake.unavailable)
        stub = stack.enter_context(openai_stub(state))
        self.port = int(stub.base_url.rsplit(":", 1)[1].split("/")[0])
        self._proc = _StubProcess(stack)  # type: ignore[assignment]
        fake.started.append((self, stub))
        return self

    monkeypatch.setattr(LocalServer, "start", start)
    yield fake
    for server in fake.servers():
        server.stop()


def _gguf(folder: Path, name: str) -> str:
    path = folder / f"{name}.gguf"
    path.write_bytes(b"GGUF")
    return str(path)


def test_a_second_run_with_another_gguf_leaves_the_first_runs_server_alone(
    fake_llama: FakeLlama, tmp_path: Path
) -> None:
    """The second run starts while the first is between two model calls. A process-wide server
    would be stopped by the second run and the first run's next call would fail."""
    first_gguf, second_gguf = _gguf(tmp_path, "first"), _gguf(tmp_path, "second")
    nested: list[DocumentResult] = []

    def second_run(event: dict[str, Any]) -> None:
        if not nested and event["event"] == "llm":  # the first run has called its server once
            context = WriterContext(gguf=second_gguf, **SETTINGS)
            nested.append(write_document("Write a 300-word essay on rivers.", context=context))

    first = write_document(
        ESSAY, context=WriterContext(gguf=first_gguf, **SETTINGS), on_event=second_run
    )
    (first_server, first_stub), (second_server, second_stub) = fake_llama.started
    assert first_server.port != second_server.port
    assert first_server.gguf.name == "first.gguf" and second_server.gguf.name == "second.gguf"
    calls_after_nesting = len(first_stub.requests) - 1
    assert calls_after_nesting > 0 and second_stub.requests  # each run called its own server
    assert first.report["words"] > 0 and nested[0].report["words"] > 0
    assert leased() == {} and not first_server.running and not second_server.running


def test_runs_with_one_gguf_share_its_server_until_the_last_lease(
    fake_llama: FakeLlama, tmp_path: Path
) -> None:
    gguf = _gguf(tmp_path, "model")
    with Run(WriterContext(gguf=gguf)) as one, Run(WriterContext(gguf=gguf)) as two:
        assert one.endpoint().base_url == two.endpoint().base_url
        assert one.endpoint() is one.endpoint()  # resolved once per run
        assert leased() == {Path(gguf): 2}
        one.close()
        assert leased() == {Path(gguf): 1} and fake_llama.servers()[0].running
        assert two.call([HumanMessage("Hi.")], max_tokens=20).text
    assert len(fake_llama.started) == 1 and leased() == {}
    assert not fake_llama.servers()[0].running
    with pytest.raises(RuntimeError, match="closed"):
        one.chat(role="write", temperature=0.3)  # a closed run makes nothing new


def test_an_embedded_run_gives_its_lease_back(fake_llama: FakeLlama, tmp_path: Path) -> None:
    context = WriterContext(gguf=_gguf(tmp_path, "model"), **SETTINGS)
    result = write_document(ESSAY, context=context)
    assert result.report["words"] > 0 and len(fake_llama.started) == 1
    assert leased() == {} and not fake_llama.servers()[0].running
    make_plan("Write a 2000-word essay on maps.", context=context)  # stops after the plan node
    assert len(fake_llama.started) == 2 and leased() == {}


def test_a_batch_keeps_its_server_between_documents(fake_llama: FakeLlama, tmp_path: Path) -> None:
    """One document at a time: without the batch's own lease, each would start the server anew."""
    context = WriterContext(gguf=_gguf(tmp_path, "model"), **SETTINGS)

    async def batch() -> None:
        async with BatchCheckpoints().open(tmp_path / "results.jsonl") as documents:
            for key, topic in [("a", "maps"), ("b", "rivers")]:
                instruction = f"Write a 300-word essay on {topic}."
                await documents.write(instruction, key=key, context=context)
                assert leased() == {Path(context.gguf or ""): 1}  # the batch's own lease

    asyncio.run(batch())
    assert len(fake_llama.started) == 1 and leased() == {}
    assert not fake_llama.servers()[0].running


class CallerError(Exception):
    """Raised by the caller's own event handler."""


def test_a_failed_run_gives_its_lease_back(fake_llama: FakeLlama, tmp_path: Path) -> None:
    context = WriterContext(gguf=_gguf(tmp_path, "model"), **SETTINGS)

    def fail(event: dict[str, Any]) -> None:
        if event["event"] == "llm":
            raise CallerError

    with pytest.raises(CallerError):
        write_document(ESSAY, context=context, on_event=fail)
    assert len(fake_llama.started) == 1 and leased() == {}

    fake_llama.unavailable = 1000  # the server never finishes loading: a node fails
    context.connect_wait = 0
    with pytest.raises(BackendError):
        write_document(ESSAY, context=context)
    assert len(fake_llama.started) == 2 and leased() == {}
    # The same in a run that no runner of ours started.
    graph = build_graph(InMemorySaver(), settings=context)
    with pytest.raises(BackendError):
        graph.invoke({"instruction": ESSAY}, {"configurable": {"thread_id": "t"}})
    assert len(fake_llama.started) == 3 and leased() == {}


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Run]:
    """Every ``Run`` made."""
    made: list[Run] = []
    init = Run.__init__

    def counted(self: Run, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Run, "__init__", counted)
    return made


@pytest.mark.parametrize("run_ids", [False, True], ids=["no-run-id", "run-id"])
def test_a_graph_run_by_others_makes_its_deps_once_and_releases_them(
    fake_llama: FakeLlama, tmp_path: Path, made: list[Run], run_ids: bool
) -> None:
    """As ``langgraph dev`` runs the module's graph: no runner of ours, the context from JSON (the
    server gives each run an id; a plain ``invoke`` has none)."""
    graph = build_graph(InMemorySaver())
    settings = {"gguf": _gguf(tmp_path, "model"), **SETTINGS}
    for run in range(2):
        config: RunnableConfig = {"configurable": {"thread_id": uuid.uuid4().hex}}
        if run_ids:
            config["run_id"] = uuid.uuid4()
        out = graph.invoke({"instruction": ESSAY}, config, context=settings)
        assert out["report"]["words"] > 0
        assert len(made) == run + 1  # one per run, shared by all its nodes
        assert leased() == {} and not fake_llama.servers()[run].running
    # A run paused for the plan review ends at the interrupt; its resumption is a new run.
    config = {"configurable": {"thread_id": uuid.uuid4().hex}}
    graph.invoke({"instruction": ESSAY}, config, context={**settings, "review_plan": True})
    assert graph.get_state(config).interrupts and leased() == {} and len(made) == 3
    out = graph.invoke(Command(resume=True), config, context={**settings, "review_plan": True})
    assert out["report"]["words"] > 0 and leased() == {} and len(made) == 4


def test_a_run_its_caller_stops_between_nodes_releases_its_deps_when_collected(
    fake_llama: FakeLlama, tmp_path: Path
) -> None:
    """No node ends such a run (here: stopped after the plan), so no node can release its deps."""
    graph = build_graph(InMemorySaver())
    settings = {"gguf": _gguf(tmp_path, "model"), **SETTINGS}
    config: RunnableConfig = {"configurable": {"thread_id": "stopped"}}
    graph.invoke(
        {"instruction": "Write a 2000-word essay on maps."},
        config,
        context=settings,
        interrupt_after=["plan"],
    )
    assert graph.get_state(config).next == ("write",) and len(fake_llama.started) == 1
    gc.collect()
    deadline = time.monotonic() + 10
    while leased() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leased() == {} and not fake_llama.servers()[0].running


class Topics(TypedDict, total=False):
    topics: list[str]
    words: Annotated[list[int], operator.add]


@pytest.mark.parametrize("run_ids", [False, True], ids=["no-run-id", "run-id"])
def test_parallel_invocations_inside_one_parent_run_get_deps_of_their_own(
    made: list[Run], monkeypatch: pytest.MonkeyPatch, run_ids: bool
) -> None:
    """One parent run (one ``runtime.control``) invokes the writer twice at once."""
    closed: list[Run] = []
    close = Run.close

    def recorded(self: Run) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(Run, "close", recorded)
    writer = build_graph(chat_model=ScriptedWriter(), settings=WriterContext(**SETTINGS))

    def write_one(state: dict[str, str]) -> dict[str, list[int]]:
        out = writer.invoke({"instruction": f"Write a 400-word note about {state['topic']}."})
        return {"words": [out["report"]["words"]]}

    builder = StateGraph(Topics)
    builder.add_node("write_one", write_one)
    builder.add_conditional_edges(
        START, lambda s: [Send("write_one", {"topic": t}) for t in s["topics"]], ["write_one"]
    )
    builder.add_edge("write_one", END)
    parent: RunnableConfig = {"run_id": uuid.uuid4()} if run_ids else {}
    out = builder.compile().invoke({"topics": ["tea", "maps"]}, parent)
    assert len(out["words"]) == 2 and min(out["words"]) > 300
    assert len(made) == 2 and set(map(id, closed)) == set(map(id, made))


def test_the_scripted_runs_hold_no_leases() -> None:
    result = write_document(ESSAY, context=WriterContext(**SETTINGS), chat_model=ScriptedWriter())
    assert result.report["words"] > 0 and leased() == {}


def test_no_module_keeps_a_cache_of_run_dependencies() -> None:
    """Run dependencies live in ``Run``; only pure functions of text and the prompt files may
    be memoized module-wide (``longwriter/text``, ``longwriter/prompts``)."""
    package = Path(longwriter.__file__).parent
    pure = {package / "text", package / "prompts"}
    cached = []
    for path in package.rglob("*.py"):
        if path.parent in pure:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = {
                    ast.unparse(d).split("(")[0].rsplit(".", 1)[-1] for d in node.decorator_list
                }
                if names & {"cache", "lru_cache", "cached_property"}:
                    cached.append(f"{path.relative_to(package)}:{node.name}")
    assert cached == []
    assert not hasattr(local_server, "shared_server")


def test_runs_share_an_embedders_calibration_but_not_the_embedder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each run has embedders of its own; the subject scorer's calibration (about a second with
    MiniLM) is a function of the vectors, kept once per process by the embedder's signature."""
    calibrated: list[str] = []
    calibrate = reader._calibrate

    def counted(embed: Any, language: str) -> Any:
        calibrated.append(language)
        return calibrate(embed, language)

    monkeypatch.setattr(reader, "_calibrations", {})
    monkeypatch.setattr(reader, "_calibrate", counted)
    embedders = []
    for subject in ("maps", "rivers"):
        with Run(WriterContext(embedding="hash")) as deps:
            deps.scorer_for(EmbeddingChoice("hash"), subject, "en")
            embedders.append(deps.embedder(EmbeddingChoice("hash")))
    assert embedders[0] is not embedders[1] and calibrated == ["en"]
    assert all(isinstance(signature, str) for signature, _ in reader._calibrations)
