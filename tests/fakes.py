"""Scripted chat models for graph tests: ``ScriptedWriter`` answers plan requests with an AgentWrite
plan and section requests with the asked number of distinct words (or a configured fraction of it);
``ReplayWriter`` first replays a fixed list of replies, whatever the prompts say; ``Crashing`` dies
like a server after a number of calls."""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from longwriter import api
from longwriter.errors import BackendError
from longwriter.text import parse_target_words
from longwriter.text.subject import subject_of

VOCAB = [
    "river",
    "empire",
    "trade",
    "law",
    "army",
    "senate",
    "coin",
    "road",
    "city",
    "temple",
    "harvest",
    "winter",
    "port",
    "grain",
    "bridge",
    "letter",
    "market",
    "court",
    "poet",
    "ship",
    "forest",
    "bronze",
    "iron",
    "tax",
    "family",
    "village",
    "garden",
    "council",
    "voyage",
    "map",
]


def letter_code(n: int) -> str:
    """A short letter code unique to ``n`` (keeps fake prose free of repeated n-grams)."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out += chr(97 + r)
        if not n:
            return out


class ScriptedWriter(BaseChatModel):
    """Deterministic fake writer; ``ratio`` scales how much of the asked length it writes."""

    ratio: float = 1.0
    plan_reply: str | None = None
    calls: list[str] = Field(default_factory=list)
    exchanges: list[tuple[list[BaseMessage], str]] = Field(default_factory=list)  # request, reply
    section_replies: list[str] = Field(default_factory=list)
    counter: int = 0
    topic: str = ""  # what its prose is about (set by the plans it makes up, or by the test)

    @property
    def _llm_type(self) -> str:
        return "scripted-writer"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        prompt = str(messages[-1].content)
        self.calls.append(prompt)
        text = self._reply(prompt)
        self.exchanges.append((list(messages), text))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def _reply(self, prompt: str) -> str:
        """The text of the reply to ``prompt``."""
        if any(mark in prompt for mark in ("Paragraph 1 - Main Point", "第1段 - 主要内容", "JSON")):
            return self.plan_reply or self._plan(prompt)
        if "different aspects" in prompt or "个不同方面" in prompt:
            n = int(re.search(r"(\d+) (?:different aspects|个不同方面)", prompt).group(1))  # type: ignore[union-attr]
            return "\n".join(
                f"{k}. Aspect {letter_code(self.counter + k)} in detail" for k in range(1, n + 1)
            )
        if self.section_replies:
            return self.section_replies.pop(0)
        if not re.search(r"about \d+", prompt):  # not a section request (e.g. a plan fallback)
            return self.plan_reply or ""
        asked = int(re.findall(r"about (\d+)", prompt)[-1])  # the step's, not the task's
        return self._prose(int(asked * self.ratio))

    def _plan(self, prompt: str) -> str:
        n = int(re.search(r"exactly (\d+) sections", prompt).group(1))  # type: ignore[union-attr]
        # A plan a reader would accept: distinct headings, main points about the instruction's subject
        # (the instruction is the prompt's first line that asks for a length).
        line = next((ln for ln in prompt.splitlines() if parse_target_words(ln)), "")
        self.topic = subject_of(line) if line else "the subject"
        return f"Title: A Test Document on {self.topic}\n" + "\n".join(
            f"Paragraph {i} - Main Point: Topic {i} and the {VOCAB[i % len(VOCAB)]}: "
            f"how {self.topic} changed in period {i} - Word Count: 300 words"
            for i in range(1, n + 1)
        )

    def _prose(self, words: int) -> str:
        out: list[str] = []
        while len(out) < words:
            self.counter += 1
            n = self.counter
            sentence = [
                f"{VOCAB[(n * k + k * k) % len(VOCAB)]}{letter_code(n * 9 + k)}"
                for k in range(1, 10)
            ]
            topic = [w for w in re.findall(r"\w+", self.topic) if len(w) > 3] or self.topic.split()
            if topic:  # two words of the topic in every sentence, in turn
                sentence[2], sentence[6] = topic[n % len(topic)], topic[(n + 1) % len(topic)]
            out += sentence
        sentences = [" ".join(out[i : i + 9]).capitalize() + "." for i in range(0, words, 9)]
        paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
        return "\n\n".join(paragraphs)


class ReplayWriter(ScriptedWriter):
    """Replies with ``replies`` in order, whatever the prompts say (planning comes first in a run);
    once they are used up, writes sections like :class:`ScriptedWriter`."""

    replies: list[str] = Field(default_factory=list)

    def _reply(self, prompt: str) -> str:
        return self.replies.pop(0) if self.replies else super()._reply(prompt)


class Crashing(ScriptedWriter):
    """Fails like a dying server after ``crash_after`` calls."""

    crash_after: int = 3

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        if len(self.calls) >= self.crash_after:
            raise BackendError("cannot reach the model server: connection refused")
        return super()._generate(messages, stop, run_manager, **kw)


def write_with(monkeypatch: pytest.MonkeyPatch, model: BaseChatModel) -> list[api.DocumentRun]:
    """Every document the API or the CLI writes uses ``model``, also under runners that pick their
    own (called again, the latest ``model`` wins): it is put into the one runner, ``DocumentRun``.
    Returns the runs made from now on."""
    original = getattr(api.DocumentRun.values, "__wrapped__", api.DocumentRun.values)
    runs: list[api.DocumentRun] = []

    @functools.wraps(original)
    def values(run: api.DocumentRun, *args: Any, **kwargs: Any) -> dict[str, Any]:
        runs.append(run)
        return original(dataclasses.replace(run, chat_model=model), *args, **kwargs)

    monkeypatch.setattr(api.DocumentRun, "values", values)
    return runs
