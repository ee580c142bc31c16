"""``longwriter plan``: the section plan alone, as JSON to edit and pass to ``write --plan``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from longwriter.cli.inputs import read_instruction
from longwriter.cli.options import WriterOptions
from longwriter.cli_support import guarded, stderr, with_options
from longwriter.files import save_json
from longwriter.userfiles import check_output_file


@guarded()
@with_options(settings=WriterOptions)
def plan_command(
    *,
    instruction: Annotated[str, typer.Argument(help="the instruction, or a file holding it")],
    output: Annotated[Path, typer.Option("--output", "-o", help="plan JSON file")] = Path(
        "plan.json"
    ),
    settings: WriterOptions,
) -> None:
    """Plan only: write the section plan to JSON, to edit and pass to `write --plan`."""
    from longwriter.api import make_plan

    context = settings.context()
    text = read_instruction(instruction)
    check_output_file(output, "--output")
    result = make_plan(text, context=context)
    save_json(output, result)
    stderr.print(
        f"plan: {len(result['sections'])} sections, {result['target_words']} words → {output}"
    )
