"""The request of a run: an ``instruction``, or the last human message of a chat (Agent Chat UI,
Studio's chat view), so that one graph serves both kinds of caller."""

from __future__ import annotations

import uuid
from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.types import Overwrite

from longwriter.agent.state import WriterState
from longwriter.errors import instruction_given


def take_request(state: WriterState) -> dict[str, Any]:
    """Node: settle the instruction. A chat that ends with a human message not yet taken asks for
    that; else the ``instruction`` input is the request, added to the chat so chat views show what
    was asked. ``request_id`` keeps the message taken, so an instruction sent after a failed chat
    run is not mistaken for the old message.

    A request on a thread that holds an earlier one's plan or document starts a new document: the
    sections and counters of the old one are dropped (they have reducers that would add to them). A
    chat request also drops the length, language and plan the old one settled, as a message cannot
    give them; an ``instruction`` input keeps them, like any state key, unless it gives new ones."""
    messages = state.get("messages") or []
    last = messages[-1] if messages else None
    asked = isinstance(last, HumanMessage) and last.id != state.get("request_id")
    request = last if asked and last is not None else None
    instruction = instruction_given(
        request.text if request else state.get("instruction"),
        " (as instruction or a human message)",
    )
    update: dict[str, Any] = {"instruction": instruction}
    if request is None:
        request = HumanMessage(instruction, id=uuid.uuid4().hex)
        update["messages"] = [request]
    update["request_id"] = request.id
    if state.get("sections_plan") or state.get("document"):
        update.update(
            sections=Overwrite([]), stats=Overwrite({}), document="", report={}, references=[]
        )
        if asked:
            update.update(target_words=None, language=None, plan=None)
    return update
