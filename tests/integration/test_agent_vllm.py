"""The agent through a real vLLM server (`make test-vllm`): a multi-section document, and the prefix cache
reusing the growing shared prefix of the writer's multi-turn prompts, with the server's own sampling."""

from __future__ import annotations

import httpx
import pytest

from longwriter import WriterContext, write_document
from longwriter.llm import Endpoint, check_endpoint
from tests.integration.test_vllm_server import metric_total

pytestmark = pytest.mark.vllm


def test_agent_writes_through_vllm_with_prefix_cache_hits(
    vllm_base_url: str, vllm_root_url: str, vllm_model: str, vllm_max_model_len: int
) -> None:
    assert (
        check_endpoint(Endpoint(vllm_base_url, vllm_model)) == vllm_max_model_len
    )  # window read from vLLM

    def totals() -> tuple[float, float]:
        text = httpx.get(f"{vllm_root_url}/metrics", timeout=30).text
        return (
            metric_total(text, "vllm:prefix_cache_hits_total"),
            metric_total(text, "vllm:prefix_cache_queries_total"),
        )

    hits0, queries0 = totals()
    ctx = WriterContext(
        base_url=vllm_base_url,
        model=vllm_model,
        memory=":memory:",
        embedding="hash",
        section_words=150,
        max_revisions=1,
    )  # the server's own sampling: the agent finds the penalty SmolLM2 needs by itself
    result = write_document("Write a 600-word article about the history of tea.", context=ctx)
    hits1, queries1 = totals()
    report = result.report
    assert report["target_words"] == 600
    assert len(report["sections"]) >= 3
    assert report["words"] > 200
    assert report["duplicated_lines"] == 0
    hit_rate = (hits1 - hits0) / max(1.0, queries1 - queries0)
    print(f"prefix cache hit rate over the document: {hit_rate:.2f}")
    # Planning and the first section have nothing to reuse; then every request extends an earlier
    # one (on vLLM a section continues the conversation of the sections before it). Requests that
    # each opened their own conversation reused 0.15 here; longer documents reuse more.
    assert hit_rate > 0.4, hit_rate
