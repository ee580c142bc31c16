"""Several documents at once on one embedded llama.cpp server (issue 27).

llama-cpp-python's server runs one request at a time. By default (``interrupt_requests``) a new
request cut off the reply being streamed, which the writer then saw as empty ("the model returned no
text ... after 3 attempts"), and its ``/v1/models`` waited for every queued generation, so a run
starting beside others timed out asking for the model list. All tests share one server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from longwriter import DocumentResult, WriterContext, write_many
from longwriter.llm.local_server import ServerLease, acquire, leased, release

pytestmark = pytest.mark.integration

INSTRUCTIONS = [
    "Write a 150-word essay on why libraries still matter.",
    "Write a 150-word story about a clockmaker and a stray cat.",
    "Write a 150-word note about lighthouses.",
    "Write a 150-word guide to keeping a sourdough starter.",
]
# Lean runs: one short section each, no revision rounds, the lexical embedder (no MiniLM load).
SETTINGS: dict[str, Any] = {
    "memory": ":memory:",
    "embedding": "hash",
    "section_words": 150,
    "max_revisions": 0,
}


@pytest.fixture(scope="module")
def lease() -> Iterator[ServerLease]:
    """The embedded default server, held for the module: the runs' own leases share it."""
    held = acquire()
    try:
        yield held
    finally:
        release(held)


def _stream(base_url: str, prompt: str, tokens: int, seed: int) -> dict[str, Any]:
    """One streamed chat completion of exactly ``tokens`` tokens unless cut off: its content pieces
    and when they came."""
    body = {
        "model": "smollm2",
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": tokens,
        "min_tokens": tokens - 1,
        "stream": True,
        "seed": seed,
    }
    started = time.monotonic()
    pieces, first = 0, None
    with httpx.stream("POST", f"{base_url}/chat/completions", json=body, timeout=120) as resp:
        for line in resp.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            if json.loads(line[6:])["choices"][0]["delta"].get("content"):
                pieces += 1
                first = first if first is not None else time.monotonic() - started
    return {"pieces": pieces, "first": first, "seconds": time.monotonic() - started}


def _in_thread(target: Any, *args: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: out.update(target(*args)), daemon=True)
    thread.start()
    return thread, out


def test_a_second_stream_waits_instead_of_cutting_off_the_first(lease: ServerLease) -> None:
    first, got_first = _in_thread(_stream, lease.base_url, "Write about libraries.", 160, 1)
    time.sleep(1.0)  # the first reply is streaming when the second request arrives
    second, got_second = _in_thread(_stream, lease.base_url, "Write about clocks.", 160, 2)
    first.join(120)
    second.join(120)
    # Interrupted, the first stream ended at once with the tokens it had (28 words in one probe).
    assert got_first["pieces"] >= 150, got_first
    assert got_second["pieces"] >= 150, got_second
    assert got_second["first"] >= got_first["seconds"] - 1.0  # it waited its turn


def test_model_list_answers_while_a_reply_streams(lease: ServerLease) -> None:
    stream, got = _in_thread(_stream, lease.base_url, "Write about harbours.", 300, 3)
    time.sleep(1.5)
    started = time.monotonic()
    resp = httpx.get(f"{lease.base_url}/models", timeout=10)
    waited = time.monotonic() - started
    stream.join(120)
    assert resp.status_code == 200 and resp.json()["data"][0]["id"] == lease.model
    assert waited < 2.0, f"/v1/models took {waited:.1f} s behind a generation"
    assert got["pieces"] >= 290 and got["seconds"] > 1.5 + waited, got  # not cut off by the GET


def _built(results: list[DocumentResult | BaseException]) -> list[DocumentResult]:
    failed = [repr(r) for r in results if isinstance(r, BaseException)]
    assert not failed, failed
    docs = [r for r in results if isinstance(r, DocumentResult)]
    for doc in docs:
        assert len(doc.text.split()) >= 50, doc.text
    return docs


def test_two_documents_at_once_on_the_embedded_default(lease: ServerLease) -> None:
    results = asyncio.run(
        write_many(INSTRUCTIONS[:2], context=WriterContext(**SETTINGS), concurrency=2)
    )
    assert len(_built(results)) == 2
    assert leased() == {lease.gguf: 1}  # the runs gave their leases back; the module's is left


def test_four_documents_at_once_through_the_servers_url(lease: ServerLease) -> None:
    """What ``dataset build``, ``eval run`` and ``write --batch`` do: the runs reach the embedded
    server by its URL, and each asks its ``/v1/models`` as it starts, while the others stream."""
    context = WriterContext(base_url=lease.base_url, model=lease.model, **SETTINGS)
    results = asyncio.run(write_many(INSTRUCTIONS, context=context, concurrency=4))
    assert len(_built(results)) == 4
