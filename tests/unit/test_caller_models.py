"""A caller's model as the agent meets it: any Runnable, and a chat model's own structured output."""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableLambda

from longwriter import WriterContext, write_document
from longwriter.document import Plan, SectionPlan
from tests.fakes import ScriptedWriter

INSTRUCTION = "Write a 900-word article about the history of lighthouses."


def ctx(**kw: Any) -> WriterContext:
    return WriterContext(memory=":memory:", embedding="hash", max_revisions=0, **kw)


def test_a_plain_runnable_writes_the_document() -> None:
    """A chain or a lambda is no chat model: it takes messages only (no max_tokens) and may
    answer with a string."""
    fake = ScriptedWriter()
    seen: list[dict[str, Any]] = []

    def answer(messages: list[BaseMessage], **kwargs: Any) -> str:
        seen.append(kwargs)
        return str(fake.invoke(messages).content)

    result = write_document(
        INSTRUCTION, context=ctx(), chat_model=RunnableLambda(answer), thread_id=uuid.uuid4().hex
    )
    assert result.report["words"] >= 600 and result.text.startswith("# A Test Document on")
    assert len(seen) == len(fake.calls) >= 2 and all(kw == {} for kw in seen)


class StructuredWriter(ScriptedWriter):
    """A fake chat model with structured output: plans come back parsed, never as text."""

    structured_calls: int = 0

    def with_structured_output(  # type: ignore[override]
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable[Any, Any]:
        assert schema is Plan and include_raw

        def parsed(messages: list[BaseMessage]) -> dict[str, Any]:
            self.structured_calls += 1
            self.topic = "lighthouses"
            sections = [
                SectionPlan(title=t, main_point=f"{t} of lighthouses and their keepers", words=300)
                for t in ("Fire towers of antiquity", "The Fresnel lens", "Automated lights")
            ]
            plan = Plan(title="Lighthouses Through the Ages", sections=sections)
            return {"raw": AIMessage(plan.model_dump_json()), "parsed": plan}

        return RunnableLambda(parsed)


def test_the_planner_uses_the_models_structured_output() -> None:
    model = StructuredWriter()
    result = write_document(
        INSTRUCTION,
        context=ctx(structured_plan=True),
        chat_model=model,
        thread_id=uuid.uuid4().hex,
    )
    assert model.structured_calls == 1
    assert not any("JSON" in c or "Paragraph 1 - Main Point" in c for c in model.calls)
    headings = [line[3:] for line in result.text.splitlines() if line.startswith("## ")]
    assert headings == ["Fire towers of antiquity", "The Fresnel lens", "Automated lights"]
    assert result.text.startswith("# Lighthouses Through the Ages\n")


def test_a_model_without_structured_output_is_asked_for_json_text() -> None:
    model = ScriptedWriter()  # BaseChatModel.with_structured_output needs bind_tools: it has none
    write_document(
        INSTRUCTION, context=ctx(structured_plan=True), chat_model=model, thread_id=uuid.uuid4().hex
    )
    assert "JSON" in model.calls[0]
