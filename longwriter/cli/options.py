"""The option sets of ``write`` and ``plan``. An option that sets a ``WriterContext`` field takes its
default and help from the field (:func:`longwriter.cli_support.setting`); ``WriterContext`` checks
the values (:func:`longwriter.cli_support.writer_context`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from longwriter.agent.context import WriterContext
from longwriter.cli_support import (
    ApiKey,
    BaseUrl,
    EmbeddingKey,
    EmbeddingKind,
    EmbeddingModel,
    EmbeddingUrl,
    ModelName,
    Temperature,
    embedding_settings,
    parse_extra_body,
    setting,
    writer_context,
)
from longwriter.errors import ConfigError

Words = Annotated[int | None, setting("target_words", "-w")]
Gguf = Annotated[Path | None, setting("gguf")]
Language = Annotated[str | None, setting("language")]
Endpoints = Annotated[
    list[str] | None,
    typer.Option(  # the command line's own syntax for WriterContext.endpoints (a dict there)
        "--endpoint",
        envvar="LONGWRITER_ENDPOINTS",
        help="ROLE=URL[,MODEL]: send the plan or write calls to their own server (repeatable; "
        "in the env var, separated by spaces)",
    ),
]
ConnectWait = Annotated[float, setting("connect_wait")]
Format = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="md, html, docx, epub or pdf, with a table of contents (default: the --output "
        "suffix, else md)",
    ),
]


def parse_endpoints(values: Sequence[str]) -> dict[str, dict[str, str]]:
    """``--endpoint ROLE=URL[,MODEL]`` values as ``WriterContext.endpoints``."""
    out: dict[str, dict[str, str]] = {}
    for value in values:
        role, sep, rest = value.partition("=")
        url, _, model = (part.strip() for part in rest.partition(","))
        role = role.strip()
        if not sep or not role or not url:
            raise ConfigError(f"--endpoint takes ROLE=URL[,MODEL], got {value!r}")
        if role in out:
            raise ConfigError(f"--endpoint {role}=... is given twice")
        out[role] = {"base_url": url} | ({"model": model} if model else {})
    return out


@dataclass(frozen=True)
class WriterOptions:
    """What ``write`` and ``plan`` share: the length and language, the model endpoints, the embedder."""

    words: Words = None
    base_url: BaseUrl = None
    model: ModelName = None
    api_key: ApiKey = "EMPTY"
    endpoint: Endpoints = None
    connect_wait: ConnectWait = WriterContext.connect_wait
    gguf: Gguf = None
    language: Language = None
    embedding: EmbeddingKind = None
    embedding_url: EmbeddingUrl = None
    embedding_model: EmbeddingModel = None
    embedding_key: EmbeddingKey = None

    def context(self, **more: Any) -> WriterContext:
        """The run's settings (these and ``more``, WriterContext fields), checked by WriterContext."""
        embedder = (self.embedding, self.embedding_url, self.embedding_model, self.embedding_key)
        settings = {
            "base_url": self.base_url,
            "model": self.model,
            "api_key": self.api_key,
            "endpoints": parse_endpoints(self.endpoint or ()),
            "connect_wait": self.connect_wait,
            "target_words": self.words,
            "gguf": str(self.gguf) if self.gguf else None,
            "language": self.language,
            **embedding_settings(*embedder),
        }
        return writer_context(settings | more)


@dataclass(frozen=True)
class WritingOptions:
    """How ``write`` writes: sampling, revisions, section length, memory."""

    temperature: Temperature = WriterContext.temperature
    max_revisions: Annotated[int, setting("max_revisions")] = WriterContext.max_revisions
    section_words: Annotated[int, setting("section_words")] = WriterContext.section_words
    extra_body: Annotated[str | None, setting("extra_body", more="Give a JSON object.")] = None
    memory: Annotated[str | None, setting("memory")] = None

    def settings(self) -> dict[str, Any]:
        """These options as WriterContext fields."""
        return {
            "temperature": self.temperature,
            "max_revisions": self.max_revisions,
            "section_words": self.section_words,
            "memory": self.memory,
            **({"extra_body": parse_extra_body(self.extra_body)} if self.extra_body else {}),
        }
