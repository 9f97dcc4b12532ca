"""Resume reads on the Store: which jobs a resume can act on, and a job's resume plan (built by
smscli.history.resumeplan, imported only when a resume asks for one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from smscli.history.db import guarded, marks
from smscli.history.reader import JobReader
from smscli.history.records import PLANNED, SENDING
from smscli.model import ChunkState

if TYPE_CHECKING:
    from smscli.history.resumeplan import ResumePlan


class ResumeReads(JobReader):
    @guarded
    def resumable(self, job_ids: Sequence[int]) -> set[int]:
        """Of `job_ids`, the jobs a resume can act on: a request that never left (planned,
        not_sent), whose outcome is unknown (sending, unknown) or that was refused (the same
        chunk states resume_plan sends or asks about). Only for completion's hints."""
        if not job_ids:
            return set()
        rows = self._db.execute(
            f"SELECT DISTINCT job_id FROM chunks WHERE job_id IN ({marks(job_ids)})"  # noqa: S608
            " AND state IN (?, ?, ?, ?, ?)",
            (*job_ids, PLANNED, ChunkState.NOT_SENT.value, SENDING, ChunkState.UNKNOWN.value,
             ChunkState.REFUSED.value),
        )
        return {int(row[0]) for row in rows}

    @guarded
    def resume_plan(self, job_id: int) -> ResumePlan:
        """What a resume may send (never left), must ask about (unknown: may have arrived,
        including `sending` left by a dead process) and must never resend (answered)."""
        from smscli.history.resumeplan import read_plan

        return read_plan(self, job_id)
