"""A progress bar on stderr for bulk work: numbers done / total, accepted, rejected, rate and
ETA. Shown only on a terminal, never with --quiet, and only for more than one request; rich's
progress machinery is imported only then.

The bar never touches stdout: rich's Progress redirects sys.stdout (and sys.stderr) through
its live display by default, which sent the data rows to the terminal instead of the file or
pipe they were meant for, and redrew the bar for every row written."""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

from smscli import console


class Progress:
    """Counts numbers through a run. `enabled` False makes every call a no-op."""

    def __init__(self, total: int, *, requests: int, label: str, quiet: bool = False) -> None:
        self.enabled = requests > 1 and not quiet and console.stderr_is_tty()
        self.total = total
        self.label = label
        self.accepted = 0
        self.rejected = 0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[tally]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=console.current().stderr),
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
            # A few redraws a second are enough for a person; more cost CPU the send needs.
            refresh_per_second=4,
        )
        self._bar.__enter__()
        self._task = self._bar.add_task(self.label, total=self.total, tally="", rate="")
        return self

    def advance(self, numbers: int, *, accepted: int = 0, rejected: int = 0) -> None:
        self.accepted += accepted
        self.rejected += rejected
        if self._bar is None:
            return
        task = self._bar.tasks[0]
        elapsed = task.elapsed or 0.0
        done = task.completed + numbers
        rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 else ""
        self._bar.update(
            self._task,
            advance=numbers,
            tally=f"{self.accepted:,} ok, {self.rejected:,} rejected",
            rate=rate,
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            bar, self._bar = self._bar, None
            # The terminal may be gone (SIGHUP): the summary says the rest, if it can.
            with contextlib.suppress(OSError, ValueError):
                bar.__exit__(exc_type, exc, tb)
