"""Rows of a bulk send written while it runs: each chunk's rows go out as soon as every
earlier chunk is done (so the output keeps input order), the tally grows as they come, the
progress bar moves, and a chunk's answer is dropped once written, so memory does not grow
with the number of numbers sent."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from smscli.output import Column, OutputFormat, RowWriter
from smscli.progress import Progress
from smscli.sending import ChunkOutcome, ChunkState, RunResult, Tally, rows_for

if TYPE_CHECKING:
    from smscli.sending import Chunk


# Values that need no quoting or escaping in JSON, CSV or TSV.
_PLAIN = re.compile(r"[0-9A-Za-z+._:-]*")


class OutcomeStream:
    def __init__(
        self,
        chunks: Iterable[Chunk],
        columns: list[Column],
        fmt: OutputFormat,
        progress: Progress,
    ) -> None:
        self._order = [chunk.index for chunk in chunks]
        self._position = 0
        self._waiting: dict[int, ChunkOutcome] = {}
        self._seen: set[int] = set()
        self._writer = RowWriter(columns, fmt)
        self._progress = progress
        self.tally = Tally()
        self._template: str | None = None

    def __call__(self, outcome: ChunkOutcome) -> None:
        """run_chunks' on_outcome hook: called on the main thread as chunks finish."""
        index = outcome.chunk.index
        if index in self._seen:
            return
        self._seen.add(index)
        before = (self.tally.accepted, self.tally.rejected)
        self.tally.add(outcome)
        self._progress.advance(
            len(outcome.chunk.numbers),
            accepted=self.tally.accepted - before[0],
            rejected=self.tally.rejected - before[1],
        )
        self._waiting[index] = outcome
        self._flush()

    def _flush(self) -> None:
        while self._position < len(self._order):
            outcome = self._waiting.pop(self._order[self._position], None)
            if outcome is None:
                return
            if not self._write_plain(outcome):
                self._writer.write(rows_for(outcome))
            if outcome.state is ChunkState.ACCEPTED:
                # Written and tallied: the per-number answer is no longer needed.
                outcome.result = None
            self._position += 1

    def _write_plain(self, outcome: ChunkOutcome) -> bool:
        """The usual chunk - every number accepted, listed in the order sent, no order ids,
        numbers and msgIds that need no quoting - written from one template per format
        instead of a dict and an encoding per number. False: write it the general way."""
        result, chunk = outcome.result, outcome.chunk
        if outcome.state is not ChunkState.ACCEPTED or result is None or chunk.order_ids:
            return False
        subs = result.accepted
        numbers = chunk.numbers
        if len(subs) != len(numbers) or outcome.untracked:
            return False
        ids = [sub.msg_id for sub in subs]
        if (
            [sub.number for sub in subs] != numbers
            or any(sub.order_id for sub in subs)
            or not _PLAIN.fullmatch("".join(numbers) + "".join(ids))
        ):
            return False
        if self._template is None:
            sample = {"number": "", "msg_id": "", "order_id": None, "accepted": True}
            self._template = (
                self._writer.template({**sample, "error": None}, ["number", "msg_id"]) or ""
            )
        if not self._template:
            return False  # a format written as a whole (table, JSON array)
        self._writer.write_filled(self._template, zip(numbers, ids, strict=True))
        return True

    def close(self, run: RunResult) -> Tally:
        """Take in what never reached the hook (chunks never started after a stop), write
        the rest in order, and finish the output."""
        for outcome in run.outcomes:
            self(outcome)
        self._flush()
        self._writer.close()
        return self.tally
