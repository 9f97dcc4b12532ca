"""What the history hands out (jobs, chunk plans, tracked msgIds) and how its rows become
those records: the columns each query selects, and the codes stored in place of words. A
job's chunks as the history tells them are smscli.history.chunkinfo's; the `history`
command's own records (a job's messages, the messages to a number, a job with its counts)
smscli.history.messages'. Both are imported only by the reads that build them."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, NamedTuple

from smscli.gateways.base import DeliveryStatus
from smscli.history import codes
from smscli.history.db import dt, text_or_none
from smscli.history.locks import job_locked
from smscli.model import Chunk, JobKind, JobStatus

PLANNED: Final = "planned"  # recorded with its job, not started
SENDING: Final = "sending"  # committed just before the request leaves
LOST_IN_FLIGHT: Final = "no result recorded: smscli stopped while this request was in flight"


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    created: datetime
    updated: datetime
    profile: str
    provider: str
    kind: JobKind
    message: str | None
    message_hash: str | None
    content_stored: bool
    sender: str | None
    numbers: int
    chunks: int
    # `running` only while its process lives: a job whose process was killed reads interrupted.
    status: JobStatus
    pid: int | None

    @property
    def live(self) -> bool:
        return self.status is JobStatus.RUNNING


class Tracked(NamedTuple):
    """What `report` needs per msgId: skip final ones, show the last known state."""

    number: str | None  # None only for a report kept without its message (orphan_reports)
    status: DeliveryStatus | None  # None: never reported
    time: datetime | None
    code: str | None
    detail: str | None


# --------------------------------------------------------------------------- columns

JOB_COLUMNS: Final = (
    "id, created, updated, profile, provider, kind, message, message_hash, content_stored,"
    " sender, numbers, chunks, status, pid"
)
# The same, of the jobs table named `j`.
J_JOB_COLUMNS: Final = ", ".join(f"j.{c.strip()}" for c in JOB_COLUMNS.split(","))
CHUNK_COLUMNS: Final = (
    "job_id, idx, size, state, attempts, sends, error_kind, error_code, error_text, started,"
    " finished"
)
CHUNK_WIDTH: Final = 11
PLAN_COLUMNS: Final = "idx, numbers, order_ids, contents, senders"
C_PLAN_COLUMNS: Final = "c.idx, c.numbers, c.order_ids, c.contents, c.senders"
# A message with what its error is derived from (codes.message_error): its chunk `c`'s
# state and error text, and when that chunk was answered (or started).
MESSAGE_COLUMNS: Final = (
    "m.job_id, m.chunk, m.pos, m.number, m.msg_id, m.state, m.content, m.report, m.extra,"
    " c.state, c.error_text, coalesce(c.finished, c.started)"
)
MESSAGE_WIDTH: Final = 12
TRACKED: Final = "SELECT m.msg_id, m.number, m.state, m.report"

_STATUSES: Final = {status.value: status for status in DeliveryStatus}

# --------------------------------------------------------------------------- rows -> records


def job_record(row: Sequence[Any], db_path: pathlib.Path) -> Job:
    status, pid = JobStatus(row[12]), None if row[13] is None else int(row[13])
    if status is JobStatus.RUNNING and not job_locked(db_path, int(row[0]), pid):
        status = JobStatus.INTERRUPTED
    return Job(
        id=int(row[0]),
        created=datetime.fromisoformat(row[1]),
        updated=datetime.fromisoformat(row[2]),
        profile=row[3],
        provider=row[4],
        kind=JobKind(row[5]),
        message=row[6],
        message_hash=row[7],
        content_stored=bool(row[8]),
        sender=row[9],
        numbers=int(row[10]),
        chunks=int(row[11]),
        status=status,
        pid=pid,
    )


def plan(row: Sequence[Any]) -> Chunk:
    """A chunk as planned, from its `PLAN_COLUMNS` row. An answered chunk's plan was dropped
    (its numbers are NULL): JobReader._plans reads it back from its messages."""

    def listed(text: str | None) -> list[Any] | None:
        return None if text is None else list(json.loads(text))

    return Chunk(
        int(row[0]),
        str(row[1]).split("\n") if row[1] else [],
        order_ids=listed(row[2]),
        contents=listed(row[3]),
        sender_ids=listed(row[4]),
    )


def plan_values(
    chunk: Chunk, store_content: bool
) -> tuple[str, str | None, str | None, str | None]:
    def dumped(values: Sequence[object] | None) -> str | None:
        return None if values is None else json.dumps(list(values), ensure_ascii=False)

    return (
        "\n".join(chunk.numbers),
        dumped(chunk.order_ids),
        dumped(chunk.contents) if store_content else None,
        dumped(chunk.sender_ids),
    )


def tracked(row: Sequence[Any]) -> tuple[str, Tracked]:
    """msgId -> Tracked from a TRACKED row (msg_id, number, state, report)."""
    # Runs per msgId a `report` asks about (100,000 at a time): no JSON for the unreported.
    if row[3] is None:
        return str(row[0]), Tracked(text_or_none(row[1]), codes.status_of(row[2]), None, None, None)
    status_time, code, detail, _ = codes.unpack_report(row[3])
    return str(row[0]), Tracked(
        number=text_or_none(row[1]),
        status=codes.status_of(row[2]),
        time=codes.when(status_time),
        code=code,
        detail=detail,
    )


def tracked_orphan(row: Sequence[Any]) -> tuple[str, Tracked]:
    """msgId -> Tracked from orphan_reports (msg_id, number, status, status_time, code,
    detail)."""
    return str(row[0]), Tracked(
        number=text_or_none(row[1]),
        status=_STATUSES[row[2]] if row[2] is not None else None,
        time=dt(row[3]),
        code=row[4],
        detail=row[5],
    )
