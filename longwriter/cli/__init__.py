"""``longwriter``: write long documents from the command line (typer + rich progress).

:mod:`~longwriter.cli.app` assembles the commands: ``write`` (one document in
:mod:`~longwriter.cli.write`, ``--batch`` in :mod:`~longwriter.cli.batch`), ``plan``, ``export`` and
``serve-local`` (:mod:`~longwriter.cli.tools`), and the groups ``eval``, ``dataset`` and ``train``.
Their shared options are in :mod:`~longwriter.cli.options`, the progress views in
:mod:`~longwriter.cli.views`, the instruction and plan files in :mod:`~longwriter.cli.inputs` and the
plan review in :mod:`~longwriter.cli.review`.
"""

from longwriter.cli.app import app, main

__all__ = ["app", "main"]
