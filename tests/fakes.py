"""A scripted chat model for graph tests: answers plan requests with an AgentWrite plan and section
requests with the asked number of distinct words (or a configured fraction of it)."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

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


def _tag(n: int) -> str:
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
        if any(mark in prompt for mark in ("Paragraph 1 - Main Point", "第1段 - 主要内容", "JSON")):
            text = self.plan_reply or self._plan(prompt)
        elif "different aspects" in prompt or "个不同方面" in prompt:
            n = int(re.search(r"(\d+) (?:different aspects|个不同方面)", prompt).group(1))  # type: ignore[union-attr]
            text = "\n".join(
                f"{k}. Aspect {_tag(self.counter + k)} of this chapter" for k in range(1, n + 1)
            )
        elif self.section_replies:
            text = self.section_replies.pop(0)
        else:
            asked = int(re.findall(r"about (\d+)", prompt)[-1])  # the step's, not the task's
            text = self._prose(int(asked * self.ratio))
        self.exchanges.append((list(messages), text))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])

    def _plan(self, prompt: str) -> str:
        n = int(re.search(r"exactly (\d+) sections", prompt).group(1))  # type: ignore[union-attr]
        return "Title: A Test Document\n" + "\n".join(
            f"Paragraph {i} - Main Point: Topic {i}: what happened in part {i} - Word Count: 300 words"
            for i in range(1, n + 1)
        )

    def _prose(self, words: int) -> str:
        out: list[str] = []
        while len(out) < words:
            self.counter += 1
            n = self.counter
            sentence = [
                f"{VOCAB[(n * k + k * k) % len(VOCAB)]}{_tag(n * 9 + k)}" for k in range(1, 10)
            ]
            out += sentence
        sentences = [" ".join(out[i : i + 9]).capitalize() + "." for i in range(0, words, 9)]
        paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
        return "\n\n".join(paragraphs)
