"""LangGraph Studio path: `langgraph dev` serves langgraph.json's graph; a run goes through its HTTP API."""

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

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


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
