"""The application layer of `send` and `batch`: a job is planned (its chunks, each carrying
what it sends), recorded in the history before its first request leaves, run by the engine
(smscli.sending) at the command's pace, closed, and its outcome turned into an exit code. A
resume plans what may be sent again. Commands call this module and render what it returns;
it never prints, prompts or calls back into them.

    plan (plan_send / batchfile.chunks) -> open_job -> run -> close_job (inside run)
        -> exit_code;  resume: resume_chunks + resume_text, then the same run"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smscli.errors import (
    ExitCode,
    InputError,
    NetworkError,
    NotSupported,
    SmsCliError,
    UsageError,
)
from smscli.model import Chunk, ChunkOutcome, ChunkState, JobKind, RunResult, Tally
from smscli.sending import RateLimiter, RetryPolicy, chunked, run_chunks

if TYPE_CHECKING:
    from smscli.batchfile import Plan as BatchPlan
    from smscli.gateways.base import BatchElement, Gateway, PlannedRequest, SendResult
    from smscli.settings import ResolvedProfile
    from smscli.store import Job, ResumePlan, StoreJournal


# -- pacing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pace:
    """How a bulk command spreads its requests: option, else profile, else default."""

    concurrency: int
    rate: float | None
    attempts: int

    @classmethod
    def resolve(cls, profile: ResolvedProfile, concurrency: int | None, rate: float | None) -> Pace:
        return cls(
            concurrency=concurrency or profile.get_int("concurrency") or 4,
            rate=rate if rate is not None else profile.get_float("rate"),
            attempts=profile.get_int("retries") or 3,
        )


# -- planning ----------------------------------------------------------------------------------


def plan_send(
    gateway: Gateway,
    numbers: Sequence[str],
    order_ids: list[str] | None,
    text: str,
    sender: str | None,
) -> list[Chunk]:
    """A plain send's requests, each carrying the text and sender (as a batch chunk carries
    its contents), sized for the gateway."""
    return list(
        chunked(numbers, gateway.max_numbers_per_send, order_ids, text=text, sender=sender)
    )


# Gateways whose send_batch is one request for many contents (v3 sendSms/batch). Any other
# (mobset makes one call per element) gets one content per request, so that a failure can
# never leave a request half sent and reported as not sent.
MULTI_CONTENT = frozenset({"v3"})


@dataclass(frozen=True, slots=True)
class Packing:
    """How a batch's rows go into requests."""

    cap: int  # numbers per request
    per_element: int  # numbers per batch element
    mixed: bool  # several contents in one request

    @classmethod
    def for_gateway(cls, gateway: Gateway, cap: int) -> Packing:
        per_element = min(cap, gateway.max_numbers_per_send)
        mixed = gateway.name in MULTI_CONTENT
        return cls(cap if mixed else per_element, per_element, mixed)


def batch_elements(chunk: Chunk, per_element: int) -> list[BatchElement]:
    """A batch chunk as the elements of one batch request, `per_element` numbers at most
    each."""
    from smscli.batchfile import elements

    return elements(chunk, per_element)


def send_chunk(gateway: Gateway, chunk: Chunk) -> SendResult:
    """One request: a plain send's chunk as the gateway's send, a batch chunk (one content
    per number) as its batch request."""
    if chunk.contents is None:
        return gateway.send(
            chunk.numbers, chunk.text or "", sender_id=chunk.sender, order_ids=chunk.order_ids
        )
    return gateway.send_batch(batch_elements(chunk, gateway.max_numbers_per_send))


def plan_request(gateway: Gateway, chunk: Chunk) -> PlannedRequest:
    """The request a plain send's chunk makes, as a dry run shows it (secrets redacted)."""
    return gateway.plan_send(
        chunk.numbers, chunk.text or "", sender_id=chunk.sender, order_ids=chunk.order_ids
    )


def plan_elements(gateway: Gateway, parts: list[BatchElement]) -> PlannedRequest:
    """The batch request of `parts`, as a dry run shows it."""
    # plan_batch is a v3 extra, not part of the Gateway protocol; a one-element request on
    # another gateway is its plain send.
    plan_batch = getattr(gateway, "plan_batch", None)
    if plan_batch is not None:
        planned: PlannedRequest = plan_batch(parts)
        return planned
    if len(parts) != 1:
        raise NotSupported(f"provider {gateway.name} cannot show a multi-content request")
    (only,) = parts
    return gateway.plan_send(
        only.numbers, only.content, sender_id=only.sender_id, order_ids=only.order_ids
    )


def check_batch(gateway: Gateway, plan: BatchPlan) -> None:
    """The client's own checks on each distinct (message, sender) before any request leaves:
    its rules can be finer than the file checks (mobset counts an emoji as 2 characters)."""
    seen: set[tuple[str, str | None]] = set()
    for row in plan.rows:
        key = (row.content, row.sender_id)
        if key in seen:
            continue
        seen.add(key)
        try:
            gateway.plan_send([row.number], row.content, sender_id=row.sender_id)
        except UsageError as exc:
            raise InputError(
                f"the message for {row.number}: {exc.message}", hint="nothing was sent"
            ) from None


# -- the history -------------------------------------------------------------------------------


def stores_content(prof: ResolvedProfile) -> bool:
    return prof.get_bool("store_content") is not False


def open_job(
    prof: ResolvedProfile,
    text: str | None,
    sender: str | None,
    chunks: list[Chunk],
    kind: JobKind = JobKind.SEND,
) -> StoreJournal:
    """The job and all its chunks, recorded before the first request leaves."""
    from smscli.store import Store

    store = Store.open()
    try:
        job_id = store.create_job(
            profile=prof.name,
            provider=prof.provider,
            kind=kind.value,
            message=text,
            sender=sender,
            chunks=chunks,
            store_content=stores_content(prof),
        )
        return store.journal(job_id)
    except BaseException:
        store.close()
        raise


@dataclass(slots=True)
class Closed:
    """What closing a job left: answers the history could not record even on a second try
    (named by the summary, never to be resent), and a warning when the job's final status
    could not be written (the rows still tell what happened)."""

    unrecorded: list[ChunkOutcome]
    warning: str | None = None


def close_job(journal: StoreJournal | None) -> Closed:
    """The job's final status, after trying once more the answers the history refused."""
    from smscli.store import StoreError, mark_answered

    if journal is None:
        return Closed([])
    closed = Closed([])
    try:
        closed.unrecorded = journal.retry_failures()
        if closed.unrecorded:
            # Left beside the job's lock so a later resume knows these were answered and
            # never offers them as unknown (which would invite sending them twice).
            mark_answered(journal.store.path, journal.job_id, closed.unrecorded)
        journal.store.finish_job(journal.job_id)
    except StoreError as exc:
        closed.warning = exc.message
    finally:
        journal.store.close()
    return closed


# -- running -----------------------------------------------------------------------------------


def run(
    gateway: Gateway,
    chunks: list[Chunk],
    pace: Pace,
    journal: StoreJournal | None,
    on_outcome: Callable[[ChunkOutcome], None] | None = None,
) -> tuple[RunResult, Closed]:
    """Send the chunks at the command's pace, each journalled before it leaves and after it
    returns; then close the job in the history, whatever happened. `on_outcome` gets each
    outcome once it is journalled (it writes the rows) and may raise OutputError to stop."""
    try:
        result = run_chunks(
            chunks,
            functools.partial(send_chunk, gateway),
            concurrency=pace.concurrency,
            journal=journal,
            on_outcome=on_outcome,
            retry=RetryPolicy(attempts=pace.attempts),
            rate=RateLimiter(pace.rate) if pace.rate else None,
        )
    except BaseException:
        close_job(journal)
        raise
    closed = close_job(journal)
    if journal is not None:
        result.unrecorded = closed.unrecorded
    return result, closed


def clock_offset(gateway: Gateway) -> float:
    """How far the gateway's clock is from this machine's, as its signed requests found."""
    return float(getattr(gateway, "clock_offset", 0.0) or 0.0)


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
    from smscli.store import message_matches

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


# -- the outcome -------------------------------------------------------------------------------


def exit_code(result: RunResult, tally: Tally, lost: SmsCliError | None = None) -> int:
    """The run's exit code: a stop by signal, then lost output, then the history, then what
    the gateway answered."""
    from smscli.signals import exit_code as signal_exit_code
    from smscli.store import StoreError

    if result.interrupted:
        return signal_exit_code(int(ExitCode.INTERRUPTED))
    if lost is not None:
        return lost.exit_code
    if result.unrecorded or result.journal_error is not None:
        return ExitCode.IO_ERROR
    if isinstance(result.stopped_by, StoreError):
        # The history could not record a request before it left: it stayed unsent, and so
        # did the rest; not a usage error (2), since earlier requests were sent.
        return ExitCode.IO_ERROR
    if tally.unknown or isinstance(result.stopped_by, NetworkError):
        return ExitCode.NETWORK
    if tally.accepted == tally.total:
        # Sent without message ids: not a failure, but nothing a script can track either.
        untracked = any(o.untracked for o in result.outcomes)
        return ExitCode.PARTIAL if untracked else ExitCode.OK
    if tally.accepted:
        return ExitCode.PARTIAL
    errors: list[SmsCliError] = [
        o.error
        for o in result.outcomes
        if o.error is not None and o.state is not ChunkState.NOT_SENT
    ]
    first = result.stopped_by or (errors[0] if errors else None)
    return first.exit_code if first else ExitCode.REJECTED
