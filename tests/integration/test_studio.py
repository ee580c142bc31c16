"""LangGraph Studio path: `langgraph dev` serves langgraph.json's graph; runs go through its HTTP API."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from longwriter.llm.local_server import LocalServer, free_port
from tests.openai_stub import StubState, openai_stub

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
TEA = (
    "Tea is brewed from the leaves of the tea plant. Green tea keeps its fresh taste because its "
    "leaves are heated soon after picking, while black tea leaves are rolled and left to oxidise. "
    "Black tea wants water just off the boil, green tea cooler water and a shorter steep."
)


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[str]:
    cli = Path(sys.executable).with_name("langgraph")
    if not cli.exists():
        pytest.fail("langgraph-cli is not installed (it is in the dev extra)")
    work = tmp_path / "app"
    work.mkdir()
    for name in ("langgraph.json", ".env.example"):
        shutil.copy(ROOT / name, work / name)
    (work / "langgraph.json").write_text(
        (ROOT / "langgraph.json")
        .read_text()
        .replace('"."', f'"{ROOT}"')
        .replace("./longwriter", f"{ROOT}/longwriter")
    )
    port = free_port()
    env = {**os.environ, "LONGWRITER_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [
            str(cli),
            "dev",
            "--no-browser",
            "--no-reload",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, "langgraph dev exited"
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("langgraph dev did not become healthy")
        yield url
    finally:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def test_langgraph_dev_serves_the_graph(studio: str, local_server: LocalServer) -> None:
    context = {
        "base_url": local_server.base_url,
        "model": local_server.model,
        "memory": ":memory:",
        "embedding": "hash",
        "section_words": 150,
        "max_revisions": 0,
    }
    thread = httpx.post(f"{studio}/threads", json={}, timeout=30).json()["thread_id"]
    out = httpx.post(
        f"{studio}/threads/{thread}/runs/wait",
        json={
            "assistant_id": "longwriter",
            "input": {"instruction": "Write a 300-word note about tea."},
            "context": context,
        },
        timeout=1200,
    )
    assert out.status_code == 200, out.text[:500]
    values = out.json()
    assert values["report"]["target_words"] == 300
    assert values["document"].startswith("# ")


def test_studio_shows_the_form_described_settings_and_the_chat(studio: str) -> None:
    """What Studio builds its input form, settings panel and chat view from, and a chat run; the
    model is a stub serving one canned paragraph (this test is about the server, not the writing)."""
    [assistant] = httpx.post(
        f"{studio}/assistants/search", json={"graph_id": "longwriter"}, timeout=30
    ).json()
    schemas = httpx.get(f"{studio}/assistants/{assistant['assistant_id']}/schemas", timeout=60)
    assert schemas.status_code == 200, schemas.text[:500]
    # The server logs a schema that fails to build and sends null: each must be there.
    form = schemas.json()["input_schema"]["properties"]
    assert {"instruction", "messages"} <= set(form)
    settings = schemas.json()["context_schema"]["properties"]
    assert {"base_url", "model", "target_words", "review_plan"} <= set(settings)
    assert [name for name, field in settings.items() if not field.get("description")] == []
    assert "messages" in schemas.json()["state_schema"]["properties"]

    with openai_stub(StubState(reply=TEA)) as stub:
        thread = httpx.post(f"{studio}/threads", json={}, timeout=30).json()["thread_id"]
        out = httpx.post(
            f"{studio}/threads/{thread}/runs/wait",
            json={
                "assistant_id": "longwriter",
                "input": {
                    "messages": [{"type": "human", "content": "Write a 100-word note on tea."}]
                },
                "context": {
                    "base_url": stub.base_url,
                    "memory": ":memory:",
                    "embedding": "hash",
                    "structured_plan": False,
                    "max_revisions": 0,
                },
            },
            timeout=120,
        )
    assert out.status_code == 200, out.text[:500]
    values = out.json()
    human, answer = values["messages"]
    assert (human["type"], human["content"]) == ("human", "Write a 100-word note on tea.")
    assert answer["type"] == "ai" and answer["content"] == values["document"]
    assert values["document"].startswith("# ") and "black tea" in values["document"]
