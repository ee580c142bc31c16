"""The ``longwriter`` command: its commands and groups, ``--version``, and the console entry point."""

from __future__ import annotations

from importlib import metadata
from typing import Annotated

import typer

from longwriter.cli.plan import plan_command
from longwriter.cli.tools import export_command, serve_local
from longwriter.cli.write import write
from longwriter.data.cli import app as dataset_app
from longwriter.eval.cli import app as eval_app
from longwriter.train.cli import app as train_app

app = typer.Typer(
    help="Write coherent 10,000-20,000+ word documents with any chat LLM (AgentWrite + LongBench-Write).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def package_version() -> str:
    """The installed distribution's version, else (a checkout on PYTHONPATH) the package's own."""
    try:
        return metadata.version("longwriter")
    except metadata.PackageNotFoundError:
        from longwriter import __version__

        return __version__


def _print_version(wanted: bool) -> None:
    if wanted:
        print(f"longwriter {package_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Options of ``longwriter`` itself, before the command."""


app.command()(write)
app.command("plan")(plan_command)
app.command("export")(export_command)
app.command("serve-local")(serve_local)
app.add_typer(eval_app, name="eval")
app.add_typer(dataset_app, name="dataset")
app.add_typer(train_app, name="train")


def main() -> None:
    """Console entry point."""
    app()
