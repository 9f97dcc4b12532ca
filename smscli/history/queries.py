"""The reads behind `history`: jobs with their per-number counts, a job's chunks and
messages, and every message to one number."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Final

from smscli.gateways.base import DeliveryStatus
from smscli.history.codes import ACCEPTED, FINAL_SQL, OUTCOME_SQL, REJECTED, status_sql
from smscli.history.db import dt, guarded, marks, ts
from smscli.history.keys import key
from smscli.history.reader import JobReader
from smscli.history.records import (
    C_PLAN_COLUMNS,
    CHUNK_COLUMNS,
    CHUNK_WIDTH,
    J_JOB_COLUMNS,
    JOB_COLUMNS,
    MESSAGE_COLUMNS,
    MESSAGE_WIDTH,
    SENDING,
    job_record,
    plan,
)
from smscli.model import ChunkState, Tally

if TYPE_CHECKING:
    from smscli.history.chunkinfo import ChunkInfo
    from smscli.history.messages import JobSummary, Message, NumberHit

# The records these reads hand out (smscli.history.messages) are imported by the methods that
# build them: the Store every send and report opens does not pay for them.

# Jobs having at least one message in a state, for `history --status`. Constant SQL only.
_IN_MESSAGES = "EXISTS (SELECT 1 FROM messages m WHERE m.job_id = jobs.id AND {})"
_IN_CHUNKS = "EXISTS (SELECT 1 FROM chunks c WHERE c.job_id = jobs.id AND {})"
_PENDING = f"{OUTCOME_SQL} = {ACCEPTED} AND NOT {FINAL_SQL}"
STATUS_FILTERS: Final[dict[str, str]] = {
    "delivered": _IN_MESSAGES.format(status_sql(DeliveryStatus.DELIVERED)),
    "failed": _IN_MESSAGES.format(status_sql(DeliveryStatus.FAILED)),
    "pending": _IN_MESSAGES.format(_PENDING),
    "unknown": "("
    + _IN_CHUNKS.format("c.state IN ('unknown', 'sending')")
    + " OR "
    + _IN_MESSAGES.format(status_sql(DeliveryStatus.UNKNOWN))
    + ")",
    "rejected": _IN_MESSAGES.format(f"{OUTCOME_SQL} = {REJECTED}"),
    "not_sent": _IN_CHUNKS.format("c.state IN ('planned', 'not_sent')"),
}


def job_filter(
    since: datetime | None, profile: str | None, job_id: int | None, table: str = "jobs"
) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if since is not None:
        where.append(f"{table}.created >= ?")
        params.append(ts(since))
    if profile is not None:
        where.append(f"{table}.profile = ?")
        params.append(profile)
    if job_id is not None:
        where.append(f"{table}.id = ?")
        params.append(job_id)
    return where, params


class Queries(JobReader):
    @guarded
    def jobs(
        self,
        *,
        since: datetime | None = None,
        status: str | None = None,
        profile: str | None = None,
        job_id: int | None = None,
        limit: int | None = None,
    ) -> list[JobSummary]:
        """Jobs newest first, with their per-number counts. `status` is a STATUS_FILTERS key."""
        where, params = job_filter(since, profile, job_id)
        if status is not None:
            where.append(STATUS_FILTERS[status])
        sql = f"SELECT {JOB_COLUMNS} FROM jobs"  # noqa: S608 - constant SQL, bound values
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        from smscli.history.messages import JobSummary

        jobs = [job_record(row, self.path) for row in self._db.execute(sql, params)]
        counts = self._counts([j.id for j in jobs])
        return [JobSummary(j, counts.get(j.id, Tally())) for j in jobs]

    def _counts(self, job_ids: Sequence[int]) -> dict[int, Tally]:
        if not job_ids:
            return {}
        qs = marks(job_ids)
        answered = {
            int(row[0]): [int(v or 0) for v in row[1:]]
            for row in self._db.execute(
                f"SELECT m.job_id, sum({OUTCOME_SQL} = 0), sum({OUTCOME_SQL} = 1),"  # noqa: S608
                f" sum({OUTCOME_SQL} = 2), sum({OUTCOME_SQL} = 3),"
                f" sum({status_sql(DeliveryStatus.DELIVERED)}),"
                f" sum({status_sql(DeliveryStatus.FAILED)}), sum({_PENDING})"
                f" FROM messages m WHERE m.job_id IN ({qs}) AND m.pos >= 0 GROUP BY m.job_id",
                tuple(job_ids),
            )
        }
        # Numbers of chunks without an answer have no rows: count them from the chunks.
        waiting = {
            int(row[0]): (int(row[1] or 0), int(row[2] or 0))
            for row in self._db.execute(
                "SELECT job_id, sum(CASE WHEN state = 'sending' THEN size END),"  # noqa: S608
                " sum(CASE WHEN state = 'planned' THEN size END)"
                f" FROM chunks WHERE job_id IN ({qs}) AND state IN ('planned', 'sending')"
                " GROUP BY job_id",
                tuple(job_ids),
            )
        }
        counts = {}
        for job_id in job_ids:
            acc, rej, unk, unsent, delivered, failed, pending = answered.get(job_id, [0] * 7)
            flying, planned = waiting.get(job_id, (0, 0))
            counts[job_id] = Tally(
                accepted=acc, rejected=rej, unknown=unk + flying, not_sent=unsent + planned,
                delivered=delivered, failed=failed, pending=pending,
            )
        return counts

    @guarded
    def chunks(self, job_id: int) -> list[ChunkInfo]:
        """A job's chunks with their first and last numbers."""
        from smscli.history.chunkinfo import chunk_info

        job = self.job(job_id)
        # Answered chunks keep their numbers in their messages rows only.
        ends: dict[tuple[int, int], str] = {
            (int(row[0]), int(row[1])): str(row[2])
            for row in self._db.execute(
                "SELECT m.chunk, m.pos, m.number FROM chunks c JOIN messages m"
                " ON m.job_id = c.job_id AND m.chunk = c.idx AND m.pos IN (0, c.size - 1)"
                " WHERE c.job_id = ? AND c.numbers IS NULL",
                (job_id,),
            )
        }
        out = []
        for row in self._db.execute(
            f"SELECT {CHUNK_COLUMNS}, numbers FROM chunks"  # noqa: S608
            " WHERE job_id = ? ORDER BY idx",
            (job_id,),
        ):
            info = chunk_info(row[:CHUNK_WIDTH], job.live)
            if row[CHUNK_WIDTH] is None:
                first = ends.get((info.index, 0), "")
                last = ends.get((info.index, info.size - 1), "")
            else:
                numbers = str(row[CHUNK_WIDTH])
                first, _, _ = numbers.partition("\n")
                _, _, last = numbers.rpartition("\n")
            out.append(replace(info, first=first or None, last=last or None))
        return out

    @guarded
    def job_messages(self, job_id: int) -> list[Message]:
        """Every number of the job in send order (rewritten numbers after their chunk's)."""
        from smscli.history.messages import message, unanswered

        job = self.job(job_id)
        rows: dict[int, list[Message]] = {}
        for row in self._db.execute(
            f"SELECT {MESSAGE_COLUMNS} FROM messages m"  # noqa: S608
            " JOIN chunks c ON c.job_id = m.job_id AND c.idx = m.chunk"
            " WHERE m.job_id = ? ORDER BY m.chunk, m.pos",
            (job_id,),
        ):
            rows.setdefault(int(row[1]), []).append(message(row))
        out: list[Message] = []
        for info, chunk in self._chunks_with_plans(job, answered=False):
            answered = rows.get(info.index)
            if answered is not None:
                out.extend(m for m in answered if m.pos >= 0)
                # Numbers the gateway rewrote (-1, -2, ...) follow, as `send` printed them.
                out.extend(m for m in reversed(answered) if m.pos < 0)
            else:
                # No rows: planned or in flight (shown not_sent / unknown once its process died).
                in_flight = info.state in (SENDING, ChunkState.UNKNOWN.value)
                sent = info.finished or info.started
                out.extend(unanswered(job_id, chunk, in_flight, job.live, sent))
        return out

    @guarded
    def messages_to(
        self,
        number: str,
        *,
        since: datetime | None = None,
        profile: str | None = None,
        job_id: int | None = None,
    ) -> list[NumberHit]:
        """Every message to `number` (normalised) across profiles and jobs, newest job first,
        including numbers of requests without an answer (in flight, never started)."""
        from smscli.history.messages import NumberHit, message

        where, params = job_filter(since, profile, job_id, table="j")
        extra = "".join(f" AND {w}" for w in where)
        wanted = key(number)
        # Through by_number, and in the answered chunks not indexed yet (a job still running,
        # or whose process died before finishing: schema v7). A chunk is one or the other in
        # any one snapshot (index_numbers marks it in the transaction that indexes it).
        indexed = (
            f"SELECT {MESSAGE_COLUMNS}, {J_JOB_COLUMNS} FROM by_number n"  # noqa: S608
            " JOIN messages m ON m.job_id = n.job_id AND m.chunk = n.chunk AND m.pos = n.pos"
            " AND m.number = n.number JOIN jobs j ON j.id = m.job_id"
            " JOIN chunks c ON c.job_id = m.job_id AND c.idx = m.chunk"
            f" WHERE n.number = ?{extra}"
        )
        pending = (
            f"SELECT {MESSAGE_COLUMNS}, {J_JOB_COLUMNS}"  # noqa: S608
            " FROM chunks c INDEXED BY chunks_unindexed JOIN jobs j ON j.id = c.job_id"
            " JOIN messages m ON m.job_id = c.job_id AND m.chunk = c.idx"
            f" WHERE c.unindexed = 1 AND m.number = ?{extra}"
        )
        hits = [
            NumberHit(job_record(row[MESSAGE_WIDTH:], self.path), message(row))
            for sql in (indexed, pending)
            for row in self._db.execute(sql, [wanted, *params])
        ]
        hits.extend(self._unanswered_hits(number, extra, params))
        hits.sort(key=lambda h: (-h.job.id, h.message.chunk, h.message.pos))
        return hits

    def _unanswered_hits(
        self, number: str, extra: str, params: list[object]
    ) -> Iterator[NumberHit]:
        from smscli.history.messages import NumberHit, unanswered

        for row in self._db.execute(
            f"SELECT c.state, c.started, {C_PLAN_COLUMNS},"  # noqa: S608
            f" {J_JOB_COLUMNS} FROM chunks c JOIN jobs j ON j.id = c.job_id"
            " WHERE c.state IN ('planned', 'sending')"
            " AND instr(char(10) || c.numbers || char(10), char(10) || ? || char(10)) > 0"
            f"{extra}",
            [number, *params],
        ):
            job = job_record(row[7:], self.path)
            chunk = plan(row[2:7])
            for found in unanswered(job.id, chunk, row[0] == SENDING, job.live, dt(row[1])):
                if found.number == number:
                    yield NumberHit(job, found)
