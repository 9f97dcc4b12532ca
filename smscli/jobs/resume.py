"""Planning a resume: which jobs may be resumed by whom, the message a send job's resume
sends, and the requests it sends now (never an answered one; unknown and refused ones only
when asked)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smscli.errors import UsageError
from smscli.model import Chunk, ChunkOutcome, JobKind, RunResult

if TYPE_CHECKING:
    from smscli.history.records import Job
    from smscli.history.resumeplan import ResumePlan


# -- resume ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resend:
    """What a resume sends besides the requests that never left."""

    unknown: bool = False  # outcome unknown: the gateway may have them (may double)
    refused: bool = False  # refused before processing (balance, auth...): nothing was sent


def check_resumable(job: Job, kind: JobKind) -> None:
    """Refuse a job of the other kind, a batch whose rows were not kept, or one another
    process is sending right now."""
    if job.kind != kind.value:
        raise UsageError(
            f"job {job.id} is a {job.kind} job: resume it with `smscli {job.kind} --resume "
            f"{job.id}`"
        )
    if kind is JobKind.BATCH and not job.content_stored:
        raise UsageError(
            f"job {job.id}'s messages were not stored (store_content = false): a batch "
            "cannot be resumed",
            hint=f"see what was sent with `smscli history show {job.id}`",
        )
    if job.live and job.pid != os.getpid():
        raise UsageError(
            f"job {job.id} is being sent right now by process {job.pid}",
            hint="wait for it to finish (or stop it) before resuming",
        )


def check_sender(job: Job, sender_id: str | None) -> None:
    if sender_id is not None and sender_id != job.sender:
        raise UsageError(
            f"job {job.id} was sent with sender ID {job.sender or '(none)'}: "
            "a resume keeps it; drop --sender-id"
        )


def resume_text(job: Job, given: str | None) -> str:
    """The message a send job's resume sends: the stored one, or (not stored) the one given
    again, checked against the stored hash."""
    from smscli.history.journal import message_matches

    if job.message is not None:
        if given is not None and given != job.message:
            raise UsageError(
                f"the message given differs from job {job.id}'s",
                hint="a resume sends the job's own message: drop -m / --message-file",
            )
        return job.message
    if given is None:
        raise UsageError(
            f"job {job.id}'s message was not stored (store_content = false)",
            hint="give it again with -m or --message-file; it is checked against its hash",
        )
    if not message_matches(job.message_hash, given):
        raise UsageError(
            f"the message given is not job {job.id}'s (its hash differs)",
            hint="nothing was sent; give exactly the message of the original send",
        )
    return given


def resume_chunks(
    plan: ResumePlan, resend: Resend, max_size: int | None, text: str | None = None
) -> list[Chunk]:
    """The chunks a resume sends now, in job order: those that never left, and the unknown
    and refused ones when asked to. A send job's chunks get the job's text and sender."""
    unknown = [chunk for _, chunk in plan.unknown]
    refused = [o.chunk for o in plan.refused]
    chunks = sorted(
        plan.to_send + (unknown if resend.unknown else []) + (refused if resend.refused else []),
        key=lambda ch: ch.index,
    )
    too_big = [ch for ch in chunks if max_size is not None and len(ch.numbers) > max_size]
    if too_big:
        raise UsageError(
            f"request {too_big[0].index + 1} of job {plan.job.id} holds "
            f"{len(too_big[0].numbers):,} numbers; this profile's gateway takes {max_size:,}",
            hint=f"resume with the job's profile ({plan.job.profile})",
        )
    if text is not None:
        for chunk in chunks:
            chunk.text, chunk.sender = text, plan.job.sender
    return chunks


def merged(earlier: list[ChunkOutcome], result: RunResult) -> RunResult:
    """A resume's run with the job's earlier outcomes: the whole job, in order."""
    return RunResult(
        outcomes=sorted(earlier + result.outcomes, key=lambda o: o.chunk.index),
        interrupted=result.interrupted,
        stopped_by=result.stopped_by,
        output_error=result.output_error,
        unrecorded=result.unrecorded,
        journal_error=result.journal_error,
    )
