"""``longwriter export`` (a Markdown document to html, docx, epub or pdf) and ``longwriter
serve-local`` (the embedded model server in the foreground)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from longwriter.cli.options import Format, Gguf, Language
from longwriter.cli_support import emit, guarded, stderr
from longwriter.errors import ConfigError
from longwriter.export import output_format
from longwriter.userfiles import check_output_file, read_user_text


@guarded()
def export_command(
    document: Annotated[Path, typer.Argument(help="a Markdown document, e.g. one `write` wrote")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="output file (default: the document's, new suffix)"),
    ] = None,
    fmt: Format = None,
    language: Language = None,
) -> None:
    """Convert a Markdown document to html, docx, epub or pdf, with a table of contents."""
    from longwriter.export import export
    from longwriter.text.lang import detect_language

    if fmt is None and output is None:
        raise ConfigError("give --format or an --output file name")
    fmt = output_format(output, fmt)
    output = output or document.with_suffix(f".{fmt}")
    text = read_user_text(document, "document")
    if output.resolve() == document.resolve():
        raise ConfigError(f"--output {output} is the document itself")
    check_output_file(output, "--output")
    export(text, output, fmt, title=document.stem, language=language or detect_language(text))
    stderr.print(f"[bold green]done:[/] {output}")
    emit({"output": str(output), "format": fmt})


@guarded()
def serve_local(
    gguf: Gguf = None,
    port: Annotated[int, typer.Option(help="port on 127.0.0.1 (0 = a free one)")] = 0,
    n_ctx: Annotated[int, typer.Option(help="context window")] = 8192,
) -> None:
    """Run the embedded OpenAI-compatible llama.cpp server in the foreground (Ctrl-C stops it)."""
    from longwriter.llm.local_server import LocalServer

    try:
        server = LocalServer(gguf, n_ctx=n_ctx, port=port or None)
        with server:
            stderr.print(f"serving {server.model} at {server.base_url} (Ctrl-C to stop)")
            while server.running:
                time.sleep(1)
    except KeyboardInterrupt:
        stderr.print("stopped")
