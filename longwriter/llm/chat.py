"""Chat calls to an OpenAI-compatible server or a caller's LangChain model: streaming with early
stops (loops, drift), error mapping and the reply's figures. No run state: the run decides the
arguments (:mod:`longwriter.agent.run`)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.runnables import Runnable

from longwriter.errors import BackendError
from longwriter.text import estimate_tokens, looping

_THINK = re.compile(r"<think>.*?(</think>|$)", re.DOTALL | re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    """A finished chat call."""

    text: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    seconds: float

    def stats(self) -> dict[str, float]:
        """Counters for the state's ``stats`` reducer."""
        return {
            "calls": 1,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "llm_seconds": self.seconds,
        }


class ContextOverflow(BackendError):
    """The server rejected the request as longer than its context window."""


ChatModel = BaseChatModel | Runnable[Any, Any]
"""A caller's model: a LangChain chat model, or any Runnable that takes a list of messages and
returns a message or a string (a chain, a ``RunnableLambda``, a remote graph...)."""
ChatModels = ChatModel | Mapping[str, ChatModel]
"""A caller's chat model for every role, or one per role (``{"plan": big, "write": small}``)."""


def complete(
    chat: ChatModel,
    messages: list[BaseMessage],
    kwargs: dict[str, Any],
    *,
    where: str,
    watch: Watch | None = None,
) -> Reply:
    """One chat completion, streamed and closed early when it loops or ``watch`` says so; the
    server's errors as :class:`BackendError` naming ``where`` it was sent; reasoning text stripped."""
    started = time.monotonic()
    try:
        streamed: Streamed | None = None
        if not isinstance(chat, BaseChatModel):
            msg = as_message(chat.invoke(messages))  # it takes no call options
        else:
            streamed = stream_until(chat, messages, kwargs, watch)
            msg = streamed.message
    except openai.BadRequestError as exc:
        text = str(exc)
        if "context" in text.lower() or "too long" in text.lower() or "maximum" in text.lower():
            raise ContextOverflow(f"request exceeds the model's context window: {text}") from None
        raise BackendError(f"the model server rejected the request: {text}") from None
    except openai.NotFoundError as exc:
        raise BackendError(f"model or URL not found: {exc}") from None
    except (openai.APIConnectionError, openai.APITimeoutError) as exc:
        raise BackendError(f"cannot reach the model server ({where}): {exc}") from None
    except openai.APIStatusError as exc:
        raise BackendError(f"model server error HTTP {exc.status_code}: {exc.message}") from None
    return reply_of(msg, messages, started, streamed)


def as_message(out: Any) -> BaseMessage:
    """What a caller's Runnable returned, as a message (a string becomes the reply's text)."""
    return out if isinstance(out, BaseMessage) else AIMessage(content=str(out))


def reply_of(
    msg: BaseMessage,
    messages: list[BaseMessage],
    started: float,
    streamed: Streamed | None = None,
) -> Reply:
    """The call's reply and figures: the server's usage when it reported one, else the pieces a
    stream delivered, else an estimate from the text."""
    raw = msg.content if isinstance(msg.content, str) else str(msg.content)
    text = _THINK.sub("", raw).strip()
    usage = getattr(msg, "usage_metadata", None) or {}
    meta = msg.response_metadata or {}
    pieces = streamed.pieces if streamed is not None else 0
    return Reply(
        text=text,
        finish_reason=(streamed.stopped if streamed else None) or meta.get("finish_reason"),
        prompt_tokens=int(
            usage.get("input_tokens") or sum(estimate_tokens(str(m.content)) for m in messages)
        ),
        completion_tokens=int(usage.get("output_tokens") or pieces or estimate_tokens(raw)),
        seconds=time.monotonic() - started,
    )


LOOP_FINISH = "loop"
"""``Reply.finish_reason`` of a reply cut off because the model fell into a loop."""
DRIFT_FINISH = "drift"
"""``Reply.finish_reason`` of a reply cut off by its ``watch``: the text left the subject."""
LOOP_CHECK_CHARS = 256  # how much new text arrives between two loop checks of a stream

Watch = Callable[[str], bool]
"""Looks at a reply's text so far (after each piece that arrives, so it must be cheap when nothing
it judges has changed) and says whether to stop reading it."""


class Streamed(NamedTuple):
    """A streamed reply: the message so far, why reading stopped early (None when it ended by
    itself) and how many pieces of text arrived (one per token on vLLM and llama.cpp: the only
    token count of a stream closed before the server's usage report)."""

    message: BaseMessage
    stopped: str | None
    pieces: int


def stream_until(
    chat: BaseChatModel,
    messages: list[BaseMessage],
    kwargs: dict[str, Any],
    watch: Watch | None = None,
) -> Streamed:
    """Stream a reply and stop reading it when its end loops (:func:`longwriter.text.looping`) or
    ``watch`` says so: closing the stream makes the server abort the request, so a loop or a drift
    costs a few hundred tokens instead of all of ``max_tokens`` (a small model that loops goes on to
    the limit). Says why it was cut (:data:`LOOP_FINISH`, :data:`DRIFT_FINISH`)."""
    reply: BaseMessageChunk | None = None
    unchecked = pieces = 0
    for chunk in chat.stream(messages, **kwargs):
        reply = chunk if reply is None else reply + chunk
        piece = str(chunk.content)
        pieces += bool(piece)
        unchecked += len(piece)
        if unchecked >= LOOP_CHECK_CHARS:
            unchecked = 0
            if looping(str(reply.content)):
                return Streamed(reply, LOOP_FINISH, pieces)
        if watch is not None and piece and watch(str(reply.content)):
            return Streamed(reply, DRIFT_FINISH, pieces)
    return Streamed(reply if reply is not None else AIMessageChunk(content=""), None, pieces)
