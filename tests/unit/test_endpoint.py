"""Endpoints against a real local HTTP stub: startup wait, model checks, request body, event loops."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time

import pytest

from longwriter.errors import BackendError
from longwriter.llm import Endpoint, chat_model, check_endpoint, resolve_endpoint
from longwriter.llm import endpoint as endpoint_module
from tests.openai_stub import StubState, openai_stub


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(endpoint_module, "POLL_SECONDS", 0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_server_fails_after_the_wait(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    started = time.monotonic()
    with pytest.raises(BackendError, match=rf"cannot reach the model server at {url} after 0.3 s"):
        check_endpoint(Endpoint(url, "m"), 0.3)
    assert 0.3 <= time.monotonic() - started < 3
    assert any("not ready" in r.message for r in caplog.records if r.levelno == logging.WARNING)


def test_no_wait_fails_at_once() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(BackendError, match=rf"cannot reach the model server at {url}: "):
        resolve_endpoint(url, None, wait=0)


def test_loading_server_answering_503_is_awaited() -> None:
    with openai_stub(StubState(unavailable=3, max_model_len=4096)) as stub:
        assert check_endpoint(Endpoint(stub.base_url, "stub-model"), 5.0) == 4096
        assert stub.unavailable == 0


def test_server_that_starts_late_is_awaited() -> None:
    port = _free_port()
    done = threading.Event()

    def start_later() -> None:
        time.sleep(0.3)
        with openai_stub(StubState(models=["late-model"]), port=port):
            done.wait(10)

    threading.Thread(target=start_later, daemon=True).start()
    try:
        found = resolve_endpoint(f"http://127.0.0.1:{port}/v1", None, wait=5.0)
    finally:
        done.set()
    assert found.model == "late-model"


def test_wrong_model_name_lists_what_is_served() -> None:
    with openai_stub(StubState(models=["a", "b"])) as stub:
        with pytest.raises(BackendError, match=r"model 'c' is not served .* \(it offers: a, b\)"):
            check_endpoint(Endpoint(stub.base_url, "c"), 0.0)
        assert resolve_endpoint(stub.base_url + "/", None).model == "a"


def test_max_tokens_goes_in_the_request_body() -> None:
    with openai_stub() as stub:
        llm = chat_model(
            Endpoint(stub.base_url, "stub-model"), max_tokens=77, extra_body={"top_k": 5}
        )
        assert llm.invoke("hi").content == stub.reply
        body = stub.requests[-1]
        assert (body["max_tokens"], body["max_completion_tokens"], body["top_k"]) == (77, 77, 5)


def test_one_chat_model_serves_several_event_loops() -> None:
    with openai_stub() as stub:
        llm = chat_model(Endpoint(stub.base_url, "stub-model"), max_retries=0)
        for _ in range(2):  # the second loop used to fail with "Event loop is closed"
            assert asyncio.run(llm.ainvoke("hi")).content == stub.reply
        assert len(stub.requests) == 2


def test_prometheus_counters_sum_over_label_sets() -> None:
    from longwriter.llm.metrics import metric_total

    text = (
        "# HELP vllm:prefix_cache_hits_total hits\n"
        'vllm:prefix_cache_hits_total{engine="0"} 30.0\n'
        'vllm:prefix_cache_hits_total{engine="1"} 12.0\n'
        "vllm:prefix_cache_hits_total_created 1.7e9\n"
    )
    assert metric_total(text, "vllm:prefix_cache_hits_total") == 42.0
    assert metric_total(text, "vllm:prefix_cache_queries_total") is None
