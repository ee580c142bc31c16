"""Chat calls as the nodes make them: model lookup, error mapping, usage and timing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.runnables import Runnable
from pydantic import BaseModel

from longwriter.errors import BackendError
from longwriter.llm import Endpoint, accepts_min_tokens, sampling_defaults
from longwriter.llm.local_server import EMBEDDED_CONTEXT
from longwriter.llm.sampling import anti_loop_body
from longwriter.text import estimate_tokens, looping

if TYPE_CHECKING:
    from longwriter.agent.deps import RunDeps

SchemaT = TypeVar("SchemaT", bound=BaseModel)
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


class Models:
    """Chat calls of one run: to the endpoints of its settings, or to LangChain models given by the
    caller (its ``RunDeps`` resolve and keep both).

    Calls have a role (``plan`` or ``write``, see ``WriterContext.endpoints``); the default is ``write``.
    A role without a given model calls its endpoint.
    """

    def __init__(self, deps: RunDeps) -> None:
        self.deps = deps
        self.ctx = deps.ctx
        self._unstructured: set[str] = set()  # roles whose model failed at structured output

    def given(self, role: str = "write") -> ChatModel | None:
        """The caller's model for ``role``, None when the role calls an endpoint."""
        return self.deps.given(role)

    def endpoint(self, role: str = "write") -> Endpoint:
        """The resolved endpoint of ``role`` (leases the embedded server on first use)."""
        return self.deps.endpoint(role)

    def window(self) -> int:
        """Context window in tokens (the ``write`` endpoint's: the window the prompts are fitted to)."""
        if self.ctx.context_window:
            return self.ctx.context_window
        if self.given() is not None:
            return EMBEDDED_CONTEXT
        return self.deps.served_window() or EMBEDDED_CONTEXT

    def chat(self, *, temperature: float | None = None, role: str = "write") -> ChatModel:
        """The chat model to call for ``role``."""
        model = self.given(role)
        if model is not None:
            return model
        return self.deps.chat(role, self.ctx.temperature if temperature is None else temperature)

    def limits(
        self, max_tokens: int, min_tokens: int = 0, role: str = "write", loop_level: int = 0
    ) -> dict[str, Any]:
        """Per-call length and sampling arguments; ``max_tokens`` also goes in the body for servers
        (llama.cpp) that ignore OpenAI's newer ``max_completion_tokens``; ``min_tokens`` only where the
        server takes it; the embedded model's sampling defaults unless ``extra_body`` overrides them,
        raised to the run's anti-loop ``loop_level`` (see ``longwriter.llm.sampling``)."""
        max_tokens = max(16, max_tokens)
        if self.given(role) is not None:
            return {"max_tokens": max_tokens}
        kind = self.deps.server_kind(role)
        body = anti_loop_body(
            kind, loop_level, {**sampling_defaults(self.endpoint(role)), **self.ctx.extra_body}
        )
        body["max_tokens"] = max_tokens
        if min_tokens > 0 and accepts_min_tokens(kind):
            body["min_tokens"] = min(min_tokens, max_tokens - 1)
        return {"max_tokens": max_tokens, "extra_body": body}

    def call(
        self,
        messages: list[BaseMessage],
        *,
        max_tokens: int,
        min_tokens: int = 0,
        temperature: float | None = None,
        response_format: dict[str, Any] | None = None,
        role: str = "write",
        loop_level: int = 0,
        watch: Watch | None = None,
    ) -> Reply:
        """One chat completion for ``role``, streamed and closed early when it loops or ``watch``
        says so; reasoning text stripped. ``loop_level`` > 0 samples against loops (a higher
        repetition penalty)."""
        started = time.monotonic()
        kwargs = self.limits(max_tokens, min_tokens, role, loop_level)
        if response_format is not None and self.given(role) is None:
            # In the body, not as a client argument: the client would switch to its strict parse mode.
            kwargs["extra_body"] = {**kwargs["extra_body"], "response_format": response_format}
        try:
            chat = self.chat(temperature=temperature, role=role)
            streamed: Streamed | None = None
            if not isinstance(chat, BaseChatModel):
                msg = as_message(chat.invoke(messages))  # it takes no call options
            else:
                streamed = stream_until(chat, messages, kwargs, watch)
                msg = streamed.message
        except openai.BadRequestError as exc:
            text = str(exc)
            if "context" in text.lower() or "too long" in text.lower() or "maximum" in text.lower():
                raise ContextOverflow(
                    f"request exceeds the model's context window: {text}"
                ) from None
            raise BackendError(f"the model server rejected the request: {text}") from None
        except openai.NotFoundError as exc:
            raise BackendError(f"model or URL not found: {exc}") from None
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            where = self.ctx.role_endpoint(role).base_url or "the embedded server"
            raise BackendError(f"cannot reach the model server ({where}): {exc}") from None
        except openai.APIStatusError as exc:
            raise BackendError(
                f"model server error HTTP {exc.status_code}: {exc.message}"
            ) from None
        return _reply(msg, messages, started, streamed)

    def structured(
        self, schema: type[SchemaT], messages: list[BaseMessage], *, role: str = "write"
    ) -> tuple[SchemaT | None, Reply] | None:
        """The caller's chat model's own structured output (``with_structured_output``) for
        ``role``: the parsed object (None when the reply did not parse) and the call; None when the
        role calls an endpoint (which gets a ``response_format``) or the model has no structured
        output."""
        model = self.given(role)
        if not isinstance(model, BaseChatModel) or role in self._unstructured:
            return None
        started = time.monotonic()
        try:
            out = model.with_structured_output(schema, include_raw=True).invoke(messages)
        except Exception:
            # Any failure (no structured output, or a server that rejects it: llama-cpp-python
            # answers OpenAI's json_schema format with HTTP 500): JSON text from now on.
            self._unstructured.add(role)
            return None
        parsed = out.get("parsed") if isinstance(out, dict) else out
        raw = out.get("raw") if isinstance(out, dict) else None
        raw_msg = raw if isinstance(raw, BaseMessage) else AIMessage(content="")
        return (parsed if isinstance(parsed, schema) else None), _reply(raw_msg, messages, started)


def as_message(out: Any) -> BaseMessage:
    """What a caller's Runnable returned, as a message (a string becomes the reply's text)."""
    return out if isinstance(out, BaseMessage) else AIMessage(content=str(out))


def _reply(
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
    costs a few hundred tokens instead of all of ``max_tokens`` (on vLLM with its own sampling,
    SmolLM2 looped to the limit). Says why it was cut (:data:`LOOP_FINISH`, :data:`DRIFT_FINISH`)."""
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
