"""``write --review-plan``: the plan opens as JSON in the user's editor before any section is written."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click
import typer

from longwriter.cli.inputs import user_plan
from longwriter.cli_support import print_error, stderr
from longwriter.errors import ConfigError

if TYPE_CHECKING:
    from longwriter.api import ReviewPlan
    from longwriter.cli.views import ProgressView


def plan_reviewer(view: ProgressView, how_to_resume: str) -> ReviewPlan:
    """The plan review of a run shown in ``view``: the display pauses while the user edits; a bad
    edit ends the command (a ConfigError, exit 2) with how to continue the run."""

    def review(plan: dict[str, Any]) -> Any:
        view.progress.stop()
        try:
            answer = edit_plan(plan)
        except ConfigError as exc:
            raise ConfigError(f"{exc}. {how_to_resume}") from None
        view.progress.start()
        return answer

    return review


def edit_plan(plan: dict[str, Any]) -> Any:
    """The plan opened as JSON in the user's editor ($VISUAL, $EDITOR): the edited plan (checked like
    a --plan file), or None to keep the plan as planned (no terminal, editor quit without saving,
    nothing changed). An invalid edit is reported in one line and, if the user agrees, reopened as
    they left it."""
    planned = json.dumps(plan, ensure_ascii=False, indent=2) + "\n"
    if not sys.stdin.isatty():
        stderr.print(planned, markup=False, highlight=False)
        stderr.print("(no terminal: accepting the plan as is)")
        return None
    text = planned
    while True:
        try:
            edited = click.edit(text, extension=".json")
        except click.ClickException as exc:
            raise ConfigError(
                f"cannot edit the plan: {exc.format_message()} (set $EDITOR)"
            ) from None
        if edited is None or edited.strip() == planned.strip():
            stderr.print("plan kept as planned")
            return None
        try:
            return user_plan(edited, "the edited plan")
        except ConfigError as exc:
            print_error(str(exc))
            if not typer.confirm(
                "Edit it again? (no: keep the plan as planned)", default=True, err=True
            ):
                return None
            text = edited
