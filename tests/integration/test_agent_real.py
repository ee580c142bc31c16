"""The agent against the real embedded llama.cpp server, real Chroma and the bundled MiniLM embeddings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from longwriter import WriterContext, write_document
from longwriter.agent.graph import build_graph
from longwriter.api import sqlite_checkpointer
from longwriter.llm.embeddings import get_embedder
from longwriter.llm.local_server import LocalServer, bundled_gguf, leased
from longwriter.memory import open_memory
from longwriter.text import duplicated_lines

pytestmark = pytest.mark.integration


def test_short_document_through_real_server_and_chroma(
    local_server: LocalServer, tmp_path: Path
) -> None:
    ctx = WriterContext(
        base_url=local_server.base_url,
        model=local_server.model,
        memory=str(tmp_path / "chroma"),
        section_words=150,
        max_revisions=1,
    )
    result = write_document(
        "Write a 300-word article about lighthouses.",
        context=ctx,
        thread_id="lighthouses",
        checkpointer=InMemorySaver(),
    )
    report = result.report
    assert report["target_words"] == 300
    assert len(report["sections"]) >= 2
    assert report["words"] > 0 and report["completion_tokens"] > 0 and report["prompt_tokens"] > 0
    assert result.text.startswith("# ")
    assert report["duplicated_lines"] == 0, duplicated_lines(result.text)
    # Every accepted section is in the persistent Chroma collection, exactly once.
    memory = open_memory(str(tmp_path / "chroma"), "lighthouses", get_embedder("minilm"))
    assert memory.sections() == set(range(len(report["sections"])))
    stored = memory.count()
    memory.add_section(0, report["sections"][0]["title"], "Replacement text for the first section.")
    assert memory.count() <= stored  # re-adding a section replaces it, never duplicates it
    related = memory.related("lighthouse keepers and lamps", 2)
    assert related and all(-1.0 <= p.similarity <= 1.0 for p in related)


def test_wrong_model_name_is_a_clear_error(local_server: LocalServer) -> None:
    from longwriter import BackendError

    ctx = WriterContext(base_url=local_server.base_url, model="no-such-model", memory=":memory:")
    with pytest.raises(BackendError, match="not served"):
        write_document("Write a 300-word note.", context=ctx)


def test_unreachable_url_is_a_clear_error() -> None:
    from longwriter import BackendError
    from longwriter.llm.local_server import free_port

    ctx = WriterContext(
        base_url=f"http://127.0.0.1:{free_port()}/v1", model="x", memory=":memory:", connect_wait=2
    )
    with pytest.raises(BackendError, match=r"cannot reach .* after 2 s"):
        write_document("Write a 300-word note.", context=ctx)


def test_two_runs_with_two_ggufs_each_get_their_own_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second run with another GGUF starts while the first is mid-document: each writes through
    its own embedded server, the first run's server keeps running, and both stop when their runs end."""
    first_gguf, second_gguf = tmp_path / "first.gguf", tmp_path / "second.gguf"
    first_gguf.symlink_to(bundled_gguf())
    second_gguf.symlink_to(bundled_gguf())
    settings = {"memory": str(tmp_path / "chroma"), "section_words": 150, "max_revisions": 0}
    seen: dict[Path, LocalServer] = {}
    start = LocalServer.start

    def recorded(server: LocalServer) -> LocalServer:
        seen[server.gguf] = server
        return start(server)

    monkeypatch.setattr(LocalServer, "start", recorded)
    nested: list[str] = []

    def second_run(event: dict[str, object]) -> None:
        if nested or event["event"] != "llm":
            return
        context = WriterContext(gguf=str(second_gguf), **settings)  # type: ignore[arg-type]
        result = write_document("Write a 150-word note about harbours.", context=context)
        nested.append(result.text)
        assert leased() == {first_gguf: 1}  # the second run gave its lease back ...
        assert seen[first_gguf].running  # ... and the first run's server still runs

    context = WriterContext(gguf=str(first_gguf), **settings)  # type: ignore[arg-type]
    first = write_document(
        "Write a 150-word note about lighthouses.", context=context, on_event=second_run
    )
    assert first.report["words"] > 50 and nested and len(nested[0].split()) > 50
    assert set(seen) == {first_gguf, second_gguf}
    assert seen[first_gguf].port != seen[second_gguf].port
    assert leased() == {} and not any(server.running for server in seen.values())
    left = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert left.stdout.strip() == "", "an embedded server outlived its runs"


def saved_sections(db: Path) -> list[dict[str, object]]:
    """Accepted sections in the SQLite checkpoint of thread "maps" (empty if none yet)."""
    if not db.exists():
        return []
    with sqlite_checkpointer(db) as saver:
        values = build_graph(saver).get_state({"configurable": {"thread_id": "maps"}}).values
    return list(values.get("sections", []))


def test_kill_and_resume_loses_no_accepted_section(tmp_path: Path) -> None:
    """SIGKILL the CLI after its first accepted section; --resume finishes with that section unchanged."""
    env = {**os.environ, "LONGWRITER_HOME": str(tmp_path)}
    db = tmp_path / "checkpoints.sqlite"
    args = [
        "write",
        "Write a 450-word essay about the history of maps.",
        "--thread-id",
        "maps",
        "--section-words",
        "150",
        "--max-revisions",
        "0",
        "-o",
        str(tmp_path / "maps.md"),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "longwriter.cli", *args],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 900
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if "section 1/" in line and "words (budget" in line:
                break
            assert time.monotonic() < deadline, "no section accepted in time"
        # The event is sent from inside the commit step; its checkpoint is written right after it.
        while not saved_sections(db) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert any("words (budget" in line for line in seen), "".join(seen)
    before = saved_sections(db)
    assert len(before) >= 1
    time.sleep(1.5)  # the orphaned llama.cpp server notices its parent is gone and exits
    orphans = subprocess.run(
        ["pgrep", "-f", f"serve_guard {proc.pid} "], capture_output=True, text=True
    )
    assert orphans.stdout.strip() == "", "the embedded server outlived the killed CLI"

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "longwriter.cli",
            "write",
            "--thread-id",
            "maps",
            "--resume",
            "-o",
            str(tmp_path / "maps.md"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    report = json.loads(Path(summary["report"]).read_text())
    assert [s["words"] for s in report["sections"][: len(before)]] == [s["words"] for s in before]
    document = (tmp_path / "maps.md").read_text()
    assert all(s["text"].strip() in document for s in before)
    assert "resuming maps" in done.stderr


def test_a_callers_chat_model_plans_through_its_structured_output(
    local_server: LocalServer,
) -> None:
    """The plan role is the caller's ChatOpenAI on the real server: the planner asks it for
    structured output (``with_structured_output``, an HTTP call the server must answer), the
    writer calls the endpoint; the document comes out whatever the 135M model's plan was."""
    from langchain_openai import ChatOpenAI

    class Planner(ChatOpenAI):
        structured_asks: int = 0

        def with_structured_output(self, *args: Any, **kwargs: Any) -> Any:
            self.structured_asks += 1
            return super().with_structured_output(*args, **kwargs)

    # llama.cpp ignores the max_completion_tokens that ChatOpenAI sends for max_tokens: the body's
    # own max_tokens bounds every reply (a rambling plan ran for minutes without it)
    planner = Planner(
        base_url=local_server.base_url,
        model=local_server.model,
        api_key="EMPTY",
        temperature=0.3,
        max_retries=0,
        extra_body={"max_tokens": 400},
    )
    ctx = WriterContext(
        base_url=local_server.base_url,
        model=local_server.model,
        memory=":memory:",
        embedding="hash",
        section_words=100,
        max_revisions=0,
    )
    result = write_document(
        "Write a 200-word article about lighthouses.", context=ctx, chat_model={"plan": planner}
    )
    assert planner.structured_asks >= 1
    assert result.report["words"] > 0 and result.report["plan"]
