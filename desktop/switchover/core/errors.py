"""Errors that carry a message fit to show a user as is: what went wrong and what to do."""

from __future__ import annotations

from pathlib import Path


class SwitchoverError(Exception):
    """Base for every error we expect and explain; anything else is a bug."""


class ConfigFileError(SwitchoverError):
    """A file could not be read or parsed; it has been left untouched."""

    def __init__(self, path: Path, message: str, line: int | None = None, column: int | None = None):
        self.path = path
        self.line = line
        self.column = column
        self.detail = message
        where = f"{path}" + (f", line {line}" if line is not None else "")
        where += f", column {column}" if column is not None and line is not None else ""
        super().__init__(f"{where}: {message} (the file was left untouched)")


class UnknownProviderError(SwitchoverError):
    pass


class ValidationError(SwitchoverError):
    pass
