"""The vLLM server started by `make test-vllm`: model listing, chat, prefix-cache metrics."""

from __future__ import annotations

import httpx
import pytest
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from longwriter.llm.metrics import metric_total as prometheus_total

pytestmark = pytest.mark.vllm

PREFIX_METRICS = ("vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total")


def metric_total(metrics_text: str, name: str) -> float:
    """A Prometheus counter's total, which must be present."""
    value = prometheus_total(metrics_text, name)
    assert value is not None, f"{name} missing from /metrics"
    return value


def test_models_lists_served_name_and_context_length(
    vllm_base_url: str, vllm_model: str, vllm_max_model_len: int
) -> None:
    response = httpx.get(f"{vllm_base_url}/models", timeout=30)
    response.raise_for_status()
    models = {model["id"]: model for model in response.json()["data"]}
    assert vllm_model in models
    assert models[vllm_model]["max_model_len"] == vllm_max_model_len


def test_chat_completion_through_langchain(vllm_base_url: str, vllm_model: str) -> None:
    chat = ChatOpenAI(
        base_url=vllm_base_url,
        model=vllm_model,
        api_key=SecretStr("EMPTY"),
        temperature=0,
        max_completion_tokens=48,
    )
    reply = chat.invoke("Name three colours of the rainbow.")
    assert isinstance(reply.content, str)
    assert reply.content.strip()
    assert "<|im_" not in reply.content  # the ChatML template was applied, not echoed
    assert reply.response_metadata["finish_reason"] in {"stop", "length"}
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["output_tokens"] > 0


def test_metrics_count_prefix_cache_hits(
    vllm_base_url: str, vllm_root_url: str, vllm_model: str
) -> None:
    # A shared prefix of several KV blocks, sent twice: the second request must hit the cache.
    prompt = " ".join(f"Section {i} covers events of the year {1000 + i}." for i in range(80))

    def totals() -> tuple[float, float]:
        text = httpx.get(f"{vllm_root_url}/metrics", timeout=30).text
        queries, hits = (metric_total(text, name) for name in PREFIX_METRICS)
        return queries, hits

    queries_before, hits_before = totals()
    for _ in range(2):
        response = httpx.post(
            f"{vllm_base_url}/completions",
            json={"model": vllm_model, "prompt": prompt, "max_tokens": 1, "temperature": 0},
            timeout=120,
        )
        response.raise_for_status()
    queries_after, hits_after = totals()
    assert queries_after > queries_before
    assert hits_after > hits_before
