"""Per-role endpoints: validation, and plan calls going to their own (real, local stub) server."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from longwriter import ConfigError, WriterContext
from longwriter.agent.run import Run
from longwriter.api import make_plan
from tests.openai_stub import StubState, openai_stub

PLAN_REPLY = "Title: Bridges\n" + "\n".join(
    f"Paragraph {i} - Main Point: Part {i}: bridges of age {i} - Word Count: 300 words"
    for i in (1, 2, 3)
)


@pytest.mark.parametrize(
    ("endpoints", "message"),
    [
        ({"summarise": {"base_url": "http://x/v1"}}, "unknown endpoint role 'summarise'"),
        ({"plan": {"model": "big"}}, r"endpoints\['plan'\] needs a base_url"),
        ({"plan": {"base_url": "gpu-box:8000"}}, "must be an http:// or https:// URL"),
        ({"write": {"base_url": "http://x/v1", "modle": "m"}}, r"unknown keys \['modle'\]"),
        ({"plan": "http://x/v1"}, "must be a mapping"),
    ],
)
def test_bad_endpoint_table_is_a_config_error(endpoints: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        WriterContext(endpoints=endpoints)


def test_negative_connect_wait_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="connect_wait"):
        WriterContext(connect_wait=-1)


def test_roles_fall_back_to_the_main_endpoint() -> None:
    ctx = WriterContext(
        base_url="http://main/v1",
        model="m",
        api_key="k",
        endpoints={"plan": {"base_url": "http://big/v1"}},
    )
    assert (ctx.role_endpoint("write").base_url, ctx.role_endpoint("write").model) == (
        "http://main/v1",
        "m",
    )
    plan = ctx.role_endpoint("plan")
    assert (plan.base_url, plan.model, plan.api_key) == ("http://big/v1", None, "k")
    with pytest.raises(ConfigError, match="unknown endpoint role"):
        ctx.role_endpoint("judge")


def test_plan_calls_go_to_the_plan_server_and_the_window_comes_from_write() -> None:
    with (
        openai_stub(StubState(models=["big"], reply=PLAN_REPLY, max_model_len=32768)) as big,
        openai_stub(StubState(models=["fast"], max_model_len=4096)) as fast,
    ):
        ctx = WriterContext(
            base_url=fast.base_url,
            endpoints={"plan": {"base_url": big.base_url}},
            memory=":memory:",
            embedding="hash",
            structured_plan=False,
        )
        models = Run(ctx)
        assert models.window() == 4096
        assert models.call([HumanMessage("hi")], max_tokens=20).text == fast.reply
        plan = make_plan("Write a 900-word history of bridges.", context=ctx)
        assert plan["title"] == "Bridges" and len(plan["sections"]) == 3
        assert [r["model"] for r in big.requests] == ["big"]
        assert [r["model"] for r in fast.requests] == ["fast"]
