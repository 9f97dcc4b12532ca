"""A job's resume plan: what a resume may send (never left), must ask about (unknown: may
have arrived) and must never resend (answered), read from a job's chunks, its messages and
its answered markers. Imported by ResumeReads.resume_plan only, so a command that does not
resume (a first send, `report`) never builds these classes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from smscli.errors import ErrorKind
from smscli.gateways.base import Submitted
from smscli.gateways.sends import SendResult
from smscli.history import codes
from smscli.history.chunkinfo import ChunkInfo
from smscli.history.codes import ACCEPTED, OUTCOME_SQL
from smscli.history.locks import answered_markers, marked_outcome
from smscli.history.reader import JobReader
from smscli.history.records import LOST_IN_FLIGHT, PLANNED, SENDING, Job
from smscli.model import Chunk, ChunkOutcome, ChunkState, Failure


@dataclass(slots=True)
class ResumePlan:
    job: Job
    to_send: list[Chunk] = field(default_factory=list)  # never left: planned or not_sent
    unknown: list[tuple[ChunkInfo, Chunk]] = field(default_factory=list)  # may have arrived
    settled: list[ChunkOutcome] = field(default_factory=list)  # accepted/rejected: never resent
    # Refused before processing (balance, auth, ...): sent again only with --resend-refused.
    refused: list[ChunkOutcome] = field(default_factory=list)

    def outcomes_without(self, indices: Iterable[int]) -> list[ChunkOutcome]:
        """The recorded outcome of every chunk not in `indices` (those are being sent now)."""
        skip = set(indices)
        refused = [o for o in self.refused if o.chunk.index not in skip]
        unsent = [
            ChunkOutcome(chunk, ChunkState.NOT_SENT, attempts=0)
            for chunk in self.to_send
            if chunk.index not in skip
        ]
        unknown = [
            ChunkOutcome(chunk, ChunkState.UNKNOWN, error=_unknown_failure(info))
            for info, chunk in self.unknown
            if chunk.index not in skip
        ]
        return self.settled + refused + unsent + unknown


_KINDS = {k.value: k for k in ErrorKind}


def recorded_failure(info: ChunkInfo) -> Failure | None:
    """The failure a chunk's outcome carried, read back from its (error_kind, error_code,
    error_text) columns as the value the journal wrote (journal.error_fields): the hint is not
    kept, and a gateway's kind gives the exit code it gives in a run."""
    if info.error_text is None:
        return None
    kind = _KINDS.get(str(info.error_kind))
    if kind is ErrorKind.NETWORK:
        return Failure.no_answer(info.error_text)
    if kind is not None:
        return Failure.said(info.error_text, kind, info.error_code)
    return Failure(info.error_text)


def _unknown_failure(info: ChunkInfo) -> Failure:
    return recorded_failure(info) or Failure.no_answer(LOST_IN_FLIGHT)


def read_plan(store: JobReader, job_id: int) -> ResumePlan:
    """What a resume may send (never left), must ask about (unknown: may have arrived,
    including `sending` left by a dead process) and must never resend (answered)."""
    job = store.job(job_id)
    plan = ResumePlan(job)
    # Answers a run could not record (mark_answered): known, so never offered as unknown,
    # even before claim_job records them.
    marked = answered_markers(store.path, job_id)
    for info, chunk in store._chunks_with_plans(job):
        if info.state in (PLANNED, ChunkState.NOT_SENT.value):
            plan.to_send.append(chunk)
        elif info.state in (SENDING, ChunkState.UNKNOWN.value) and info.index in marked and (
            known := marked_outcome(chunk, marked[info.index][0])
        ):
            (plan.refused if known.state is ChunkState.REFUSED else plan.settled).append(known)
        elif info.state in (SENDING, ChunkState.UNKNOWN.value):
            plan.unknown.append((info, chunk))
        elif info.state == ChunkState.REFUSED.value:
            plan.refused.append(_settled(store, job_id, info, chunk))
        else:
            plan.settled.append(_settled(store, job_id, info, chunk))
    return plan


def _settled(store: JobReader, job_id: int, info: ChunkInfo, chunk: Chunk) -> ChunkOutcome:
    state = ChunkState(info.state)
    if state is not ChunkState.ACCEPTED:
        return ChunkOutcome(chunk, state, error=recorded_failure(info), attempts=info.attempts)
    accepted_sql = (
        "SELECT number, msg_id, extra FROM messages m WHERE job_id = ? AND chunk = ?"  # noqa: S608
        f" AND {OUTCOME_SQL} = ? ORDER BY pos < 0, abs(pos)"
    )
    rows = [
        (str(number), None if msg_id is None else str(msg_id), codes.unpack_extra(extra)[0])
        for number, msg_id, extra in store._db.execute(accepted_sql, (job_id, info.index, ACCEPTED))
    ]
    accepted = tuple(
        Submitted(number, msg_id, order_id) for number, msg_id, order_id in rows if msg_id
    )
    # Sent without a message id (SentWithoutIds): still sent, never "rejected" on a resume.
    untracked = tuple(number for number, msg_id, _ in rows if not msg_id)
    result = SendResult(accepted, len(accepted), max(0, info.size - len(rows)))
    error = recorded_failure(info) if untracked else None
    return ChunkOutcome(
        chunk, state, result=result, error=error, attempts=info.attempts, untracked=untracked
    )
