"""Exceptions with messages meant for users: one line that names the problem."""

from __future__ import annotations


class LongWriterError(Exception):
    """Base class: the message is shown to the user as is."""


class ConfigError(LongWriterError):
    """Bad settings or input (empty instruction, impossible target, unreadable file)."""


class BackendError(LongWriterError):
    """The model server is unreachable, unknown, or keeps failing."""
