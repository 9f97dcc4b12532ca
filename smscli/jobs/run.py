"""Running a job: its pace, its record in the history (opened before the first request,
closed whatever happened), the engine's run, and the exit code of its outcome."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smscli.errors import ExitCode, SmsCliError
from smscli.jobs.plan import send_chunk
from smscli.model import (
    Chunk,
    ChunkOutcome,
    ChunkState,
    Failure,
    JobKind,
    RunResult,
    Tally,
)
from smscli.retry import RetryPolicy
from smscli.sending import RateLimiter, run_chunks

if TYPE_CHECKING:
    from smscli.gateways.base import Gateway
    from smscli.history.journal import StoreJournal
    from smscli.settings import ResolvedProfile


@dataclass(frozen=True, slots=True)
class Pace:
    """How a bulk command spreads its requests: option, else profile, else default."""

    concurrency: int
    rate: float | None
    attempts: int

    @classmethod
    def resolve(cls, profile: ResolvedProfile, concurrency: int | None, rate: float | None) -> Pace:
        return cls(
            concurrency=concurrency or profile.int_setting("concurrency"),
            rate=rate if rate is not None else profile.get_float("rate"),
            attempts=profile.int_setting("retries"),
        )


# -- the history -------------------------------------------------------------------------------


def stores_content(prof: ResolvedProfile) -> bool:
    return prof.bool_setting("store_content")


def open_job(
    prof: ResolvedProfile,
    text: str | None,
    sender: str | None,
    chunks: Sequence[Chunk],
    kind: JobKind = JobKind.SEND,
) -> StoreJournal:
    """The job and all its chunks, recorded before the first request leaves."""
    from smscli.history.store import Store

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
    if journal is None:
        return Closed([])  # --no-history: the history's modules are not even imported
    from smscli.history.db import StoreError
    from smscli.history.locks import mark_answered

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
    chunks: Iterable[Chunk],
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
    return gateway.clock_offset


# -- the outcome -------------------------------------------------------------------------------


def exit_code(
    result: RunResult, tally: Tally, lost: SmsCliError | Failure | None = None
) -> int:
    """The run's exit code: a stop by signal, then lost output, then the history, then what
    the gateway answered."""
    from smscli.signals import exit_code as signal_exit_code

    if result.interrupted:
        return signal_exit_code(int(ExitCode.INTERRUPTED))
    if lost is not None:
        return lost.exit_code
    if result.unrecorded or result.journal_error is not None:
        return ExitCode.IO_ERROR
    stopped = result.stopped_by
    if stopped is not None and stopped.history:
        # The history could not record a request before it left: it stayed unsent, and so
        # did the rest; not a usage error (2), since earlier requests were sent.
        return ExitCode.IO_ERROR
    if tally.unknown or (stopped is not None and stopped.unanswered):
        return ExitCode.NETWORK
    if tally.accepted == tally.total:
        # Sent without message ids: not a failure, but nothing a script can track either.
        untracked = any(o.untracked for o in result.outcomes)
        return ExitCode.PARTIAL if untracked else ExitCode.OK
    if tally.accepted:
        return ExitCode.PARTIAL
    errors: list[Failure] = [
        o.error
        for o in result.outcomes
        if o.error is not None and o.state is not ChunkState.NOT_SENT
    ]
    first = stopped or (errors[0] if errors else None)
    return first.exit_code if first else ExitCode.REJECTED
