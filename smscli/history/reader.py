"""The reads every part of the store builds on: a job by id, and chunks with their plans
(read back from the messages rows once a chunk's answer dropped its plan, schema v5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from smscli.history import codes
from smscli.history.db import Database, JobNotFound, guarded
from smscli.history.records import (
    CHUNK_COLUMNS,
    CHUNK_WIDTH,
    JOB_COLUMNS,
    PLAN_COLUMNS,
    Job,
    job_record,
    plan,
)
from smscli.model import Chunk

if TYPE_CHECKING:
    from smscli.history.chunkinfo import ChunkInfo


class JobReader(Database):
    @guarded
    def job(self, job_id: int) -> Job:
        row = self._db.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?",  # noqa: S608 - constant columns
            (job_id,),
        ).fetchone()
        if row is None:
            raise JobNotFound(
                f"no job {job_id} in the history", hint="list jobs with: smscli history"
            )
        return job_record(row, self.path)

    @guarded
    def last_job_id(self, profile: str | None = None) -> int | None:
        if profile is None:
            row = self._db.execute("SELECT max(id) FROM jobs").fetchone()
        else:
            row = self._db.execute(
                "SELECT max(id) FROM jobs WHERE profile = ?", (profile,)
            ).fetchone()
        return None if row[0] is None else int(row[0])

    def _chunks_with_plans(
        self, job: Job, *, answered: bool = True
    ) -> list[tuple[ChunkInfo, Chunk]]:
        """A job's chunks and their plans; answered=False leaves the plans of answered chunks
        empty (for a caller that reads their messages anyway)."""
        from smscli.history.chunkinfo import chunk_info  # a send never reads its chunks back

        rows = self._db.execute(
            f"SELECT {CHUNK_COLUMNS}, {PLAN_COLUMNS} FROM chunks"  # noqa: S608
            " WHERE job_id = ? ORDER BY idx",
            (job.id,),
        ).fetchall()
        plans = [row[CHUNK_WIDTH:] for row in rows]
        chunks = self._plans(job.id, plans) if answered else [plan(row) for row in plans]
        return [
            (chunk_info(row[:CHUNK_WIDTH], job.live), chunk)
            for row, chunk in zip(rows, chunks, strict=True)
        ]

    def _plans(self, job_id: int, rows: Sequence[Sequence[Any]]) -> list[Chunk]:
        """Chunks from their PLAN_COLUMNS rows. The plan of a chunk whose answer was
        journalled was dropped then (numbers NULL): it is read back from its messages rows,
        which hold each number with its order id, content and sender in plan order."""
        chunks = [plan(row) for row in rows]
        missing = {
            chunk.index: chunk for chunk, row in zip(chunks, rows, strict=True) if row[1] is None
        }
        if not missing:
            return chunks
        sql = "SELECT chunk, number, extra, content FROM messages WHERE job_id = ? AND pos >= 0"
        params: tuple[int, ...] = (job_id,)
        if len(missing) == 1:
            sql += " AND chunk = ?"
            params = (job_id, *missing)
        parts: dict[int, list[tuple[Any, ...]]] = {}
        for chunk_index, number, extra, content in self._db.execute(
            sql + " ORDER BY chunk, pos", params
        ):
            if chunk_index in missing:
                order_id, sender, _ = codes.unpack_extra(extra)
                parts.setdefault(chunk_index, []).append((number, order_id, content, sender))
        for index, chunk in missing.items():
            got = parts.get(index, [])
            chunk.numbers = [str(row[0]) for row in got]
            if any(row[1] is not None for row in got):
                chunk.order_ids = [row[1] or "" for row in got]
            if any(row[2] is not None for row in got):
                chunk.contents = [row[2] or "" for row in got]
            # A batch chunk carries both lists (batchfile._chunk), a sender of None each when
            # no row names one: without them a resent batch chunk is not a batch chunk.
            if chunk.contents is not None or any(row[3] is not None for row in got):
                chunk.sender_ids = [row[3] for row in got]
        return chunks
