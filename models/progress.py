"""Progress bars and one-line notes for long model work (training, embedding, classifying), on stderr.

Example:
    >>> rep = Reporter(enabled=False)
    >>> with rep.task("embedding", total=3) as advance:
    ...     advance(3)
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

__all__ = ["Reporter"]


class Reporter:
    """Rich progress bars on stderr, or nothing when ``enabled`` is False (tests, libraries).

    Args:
        enabled: show bars and notes.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._console = None

    @property
    def console(self):  # noqa: ANN201 - rich is imported lazily
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True)
        return self._console

    def note(self, message: str) -> None:
        """Print one line (when enabled)."""
        if self.enabled:
            self.console.print(f"[bold]stigmascope[/bold]: {message}", highlight=False)

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        """A progress bar; yields ``advance(n)``."""
        if not self.enabled:
            yield lambda n=1: None
            return
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TimeRemainingColumn(), console=self.console, transient=False) as bar:
            tid = bar.add_task(description, total=total)
            yield lambda n=1: bar.advance(tid, n)
