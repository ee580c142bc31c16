"""The graph's state, input and output: the document's records (:mod:`longwriter.document`) plus the
chat, as plain JSON-friendly TypedDicts (safe to checkpoint)."""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel, ConfigDict, Field, with_config

# pydantic (input schemas, Studio's form, ``as_tool``) rejects typing.TypedDict before Python 3.12.
from typing_extensions import TypedDict

from longwriter.document import (
    DocumentState,
    Report,
    with_part_fields,
)

Messages = Annotated[list[AnyMessage], add_messages]
"""The chat: a request as the last human message, each finished document as an AI message."""


@with_config(ConfigDict(use_attribute_docstrings=True))  # field docstrings describe Studio's form
class WriterInput(TypedDict, total=False):
    """What a caller passes in: ``instruction``, or chat ``messages`` whose last human one is it."""

    instruction: str
    """What to write, e.g. "Write a 5000-word history of tea"; the length may be stated in it."""
    messages: Messages
    """A chat instead: its last human message is the instruction; the document is appended."""
    target_words: int
    """Document length in words (else stated in the instruction, or the settings' default)."""
    language: str
    """Document language (en, zh, ...); else detected from the instruction."""
    plan: dict[str, Any]
    """A plan to write to: {"title", "sections": [{"title", "main_point", "words", "sources"}]}."""
    sources: list[str]
    """Your own material to write from and cite: files (.txt .md .html .pdf .docx .jsonl), folders
    or globs, read on the machine that runs the graph."""


class WriteRequest(BaseModel):
    """Arguments of the graph as an agent's tool: ``graph.as_tool(args_schema=WriteRequest)``. Plain
    ``as_tool()`` makes every ``WriterInput`` key a required argument (LangChain reads a TypedDict
    input so), which a model cannot fill sensibly."""

    instruction: str = Field(description="what to write, e.g. 'Write a 5000-word history of tea'")
    target_words: int | None = Field(
        default=None, description="document length in words, if the instruction does not say", gt=0
    )
    language: str | None = Field(default=None, description="document language code, e.g. en, zh")


class WriterOutput(TypedDict):
    """What a finished run returns (the document also as the last of ``messages``)."""

    document: str
    report: Report
    messages: Messages


class WriterState(DocumentState, total=False):
    """The full state of one document run: the document's and the chat's."""

    messages: Messages


def upgraded(state: WriterState) -> WriterState:
    """``state`` as this version reads it, whatever version checkpointed it: split sections get
    their part fields (:func:`with_part_fields`). Every node sees the state so (``longwriter.agent.graph``)."""
    plan = [with_part_fields(s) for s in state.get("sections_plan", [])]
    done = [with_part_fields(s) for s in state.get("sections", [])]
    if plan == state.get("sections_plan", []) and done == state.get("sections", []):
        return state
    return {**state, "sections_plan": plan, "sections": done}
