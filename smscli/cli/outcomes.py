"""Rows of a bulk send written while it runs: each chunk's rows go out as soon as every
earlier chunk is done (so the output keeps input order), the tally grows as they come, the
progress bar moves, and a chunk's answer is dropped once written, so memory does not grow
with the number of numbers sent.

Two edges: when stdout stops taking rows (closed pipe, full disk) the first OutputError is
raised to run_chunks, which stops sending, and is kept in `error`; every later outcome is
only counted. On a terminal (the table format) a big send shows a bounded view: every row
if there are few, else the rows that need a look (not accepted) and how to see the rest."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING

from smscli.errors import OutputError
from smscli.jobs.plan import SendPlan
from smscli.model import ChunkOutcome, ChunkState, RunResult, Tally
from smscli.output import Column, OutputFormat, Row, RowWriter
from smscli.progress import Progress
from smscli.rows import rows_for

if TYPE_CHECKING:
    from smscli.model import Chunk

# A table of up to this many rows is shown whole; a bigger one shows only the rows that
# matter (rejected, unknown, not sent), at most TABLE_NOTEWORTHY of them. Rendering 20,000
# rows on a terminal takes rich about 20 s, and nobody reads them there.
TABLE_ALL = 100
TABLE_NOTEWORTHY = 200


class TableView:
    """The rows a terminal gets: all while few, then only those not accepted."""

    def __init__(self) -> None:
        self.rows: list[Row] = []  # every row while total <= TABLE_ALL
        self.noteworthy: list[Row] = []
        self.total = 0
        self.noteworthy_total = 0

    def add(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.total += 1
            if self.total <= TABLE_ALL:
                self.rows.append(row)
            elif self.rows:
                self.rows = []  # too many: from now on only the noteworthy ones count
            if row.get("outcome") != "accepted":
                self.noteworthy_total += 1
                if len(self.noteworthy) < TABLE_NOTEWORTHY:
                    self.noteworthy.append(row)

    @property
    def bounded(self) -> bool:
        return self.total > TABLE_ALL

    def shown(self) -> list[Row]:
        return self.noteworthy if self.bounded else self.rows


# Values that need no quoting or escaping in JSON, CSV or TSV.
_PLAIN = re.compile(r"[0-9A-Za-z+._:-]*")
# Submitted's fields, read in C over a chunk's thousand answers.
_number, _msg_id, _order_id = itemgetter(0), itemgetter(1), itemgetter(2)


class OutcomeStream:
    def __init__(
        self,
        chunks: Iterable[Chunk],
        columns: list[Column],
        fmt: OutputFormat,
        progress: Progress | None = None,
        *,
        bounded_table: bool = True,
    ) -> None:
        # A plain send's plan makes its chunks as the run takes them: not all here at once.
        self._order: Sequence[int] = (
            chunks.indices() if isinstance(chunks, SendPlan) else [chunk.index for chunk in chunks]
        )
        self._position = 0
        self._waiting: dict[int, ChunkOutcome] = {}
        self._seen: set[int] = set()
        self._fmt = fmt
        self._columns = columns
        self.progress = progress
        # Only the table is bounded, and only when the rows can be seen again elsewhere.
        self.view = TableView() if fmt is OutputFormat.TABLE and bounded_table else None
        self._writer: RowWriter | None = None
        self.error: OutputError | None = None
        if self.view is None:
            try:
                self._writer = RowWriter(columns, fmt)
            except OutputError as exc:
                self.error = exc
        self.tally = Tally()
        self._template: str | None = None

    def __call__(self, outcome: ChunkOutcome) -> None:
        """run_chunks' on_outcome hook: called on the main thread as chunks finish. Raises
        OutputError once, when stdout stops taking rows."""
        if not self._take(outcome):
            return
        if self.error is None:
            self._flush()

    def _take(self, outcome: ChunkOutcome) -> bool:
        index = outcome.chunk.index
        if index in self._seen:
            return False
        self._seen.add(index)
        before = (self.tally.accepted, self.tally.rejected)
        self.tally.add(outcome)
        if self.progress is not None:
            self.progress.advance(
                len(outcome.chunk.numbers),
                accepted=self.tally.accepted - before[0],
                rejected=self.tally.rejected - before[1],
            )
        self._waiting[index] = outcome
        return True

    def _flush(self) -> None:
        while self._position < len(self._order):
            outcome = self._waiting.get(self._order[self._position])
            if outcome is None:
                return
            if self.view is not None:
                self.view.add(rows_for(outcome))
            elif self._writer is not None:
                try:
                    if not self._write_plain(outcome):
                        self._writer.write(rows_for(outcome))
                except OutputError as exc:
                    self.error = exc
                    raise
            del self._waiting[self._order[self._position]]
            if outcome.state is ChunkState.ACCEPTED:
                # Written and tallied: the per-number answer is no longer needed.
                outcome.result = None
            self._position += 1

    def _write_plain(self, outcome: ChunkOutcome) -> bool:
        """The usual chunk - every number accepted, listed in the order sent, no order ids,
        numbers and msgIds that need no quoting - written from one template per format
        instead of a dict and an encoding per number. False: write it the general way."""
        result, chunk, writer = outcome.result, outcome.chunk, self._writer
        if writer is None:
            return False
        if outcome.state is not ChunkState.ACCEPTED or result is None or chunk.order_ids:
            return False
        subs = result.accepted
        numbers = chunk.numbers
        if len(subs) != len(numbers) or outcome.untracked:
            return False
        ids = list(map(_msg_id, subs))
        if (
            list(map(_number, subs)) != numbers
            or any(map(_order_id, subs))
            or not _PLAIN.fullmatch("".join(numbers) + "".join(ids))
        ):
            return False
        if self._template is None:
            sample = {"number": "", "msg_id": "", "order_id": None, "outcome": "accepted"}
            self._template = (
                writer.template({**sample, "error": None}, ["number", "msg_id"]) or ""
            )
        if not self._template:
            return False  # a format written as a whole (table, JSON array)
        writer.write_pairs(self._template, numbers, ids)
        return True

    def close(self, run: RunResult) -> Tally:
        """Take in what never reached the hook (chunks never started after a stop), write
        the rest in order, and finish the output. Never raises: a failed write is in
        `error`."""
        for outcome in run.outcomes:
            self._take(outcome)
        if self.error is None:
            try:
                self._flush()
                if self._writer is not None:
                    self._writer.close()
                elif self.view is not None:
                    self._write_view(self.view)
            except OutputError as exc:
                self.error = exc
        return self.tally

    def _write_view(self, view: TableView) -> None:
        from smscli.output import write_rows

        if view.bounded and not view.shown():
            return  # every number accepted: the summary says so, the rows are in the history
        write_rows(view.shown(), self._columns, OutputFormat.TABLE)
