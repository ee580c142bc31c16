"""The request of a run: an ``instruction``, or the last human message of a chat (Agent Chat UI,
Studio's chat view), so that one graph serves both kinds of caller."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.types import Overwrite

from longwriter.agent.state import WriterState
from longwriter.errors import ConfigError


def take_request(state: WriterState) -> dict[str, Any]:
    """Node: settle the instruction. A chat that ends with a human message asks for that; else the
    ``instruction`` input is the request, added to the chat so chat views show what was asked.

    A request on a thread that holds a finished document starts a new document there: the sections
    and counters of the old one are dropped (they have reducers that would add to them). A chat
    request also drops the length, language and plan the old one settled, as a message cannot say
    it keeps them."""
    messages = state.get("messages") or []
    asked = bool(messages) and isinstance(messages[-1], HumanMessage)
    instruction = (messages[-1].text if asked else state.get("instruction") or "").strip()
    if not instruction:
        raise ConfigError(
            "the instruction is empty: say what to write (as instruction or a human message)"
        )
    update: dict[str, Any] = {"instruction": instruction}
    if not asked:
        update["messages"] = [HumanMessage(instruction)]
    if state.get("document"):
        update.update(sections=Overwrite([]), stats=Overwrite({}), document="", report={})
        if asked:
            update.update(target_words=None, language=None, plan=None)
    return update
