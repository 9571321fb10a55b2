"""User-facing errors. Each message says what was expected, what was found, where, and what to do.

Raise a subclass of :class:`StigmascopeError` for anything the user can fix (bad file, bad option,
missing model); the CLI prints it as one line and exits with status 2. Programming errors stay
ordinary exceptions with tracebacks.
"""

from __future__ import annotations


class StigmascopeError(Exception):
    """Base class of errors the user can act on."""


class InputError(StigmascopeError):
    """An input file or record cannot be read (names file, line, field)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = ":".join(str(p) for p in (path, line) if p is not None)
        if field:
            where = f"{where} field {field!r}" if where else f"field {field!r}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.line, self.field = path, line, field


class ConfigError(StigmascopeError):
    """A configuration value or file is invalid."""


class ModelError(StigmascopeError):
    """A model directory is missing, corrupt or does not match the taxonomy."""
