"""Running a planned send: chunks go out concurrently (bounded), each one journalled before
it leaves and after it returns, and nothing is ever resent unless the gateway provably never
processed it. Used by `send` and `batch`, whatever the provider."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from typing import Protocol

from smscli.errors import (
    ErrorKind,
    ExitCode,
    GatewayError,
    NetworkError,
    OutputError,
    SmsCliError,
)
from smscli.gateways.base import SendResult
from smscli.model import Chunk, ChunkOutcome, ChunkState, Failure, RunResult
from smscli.retry import RetryPolicy
from smscli.signals import absorbing, shielded


class Journal(Protocol):
    def before(self, chunk: Chunk) -> None: ...

    def after(self, outcome: ChunkOutcome) -> None: ...


# After these, more chunks would fail the same way (or worse, add to an unknown outcome).
_STOP_KINDS = {
    ErrorKind.AUTH,
    ErrorKind.BALANCE,
    ErrorKind.CLOCK,
    ErrorKind.RATE,
    ErrorKind.SERVER,
    ErrorKind.NETWORK,
}


class RateLimiter:
    """At most `rate` request starts per second, evenly spaced (a token bucket holding one
    token): a gateway's rate limit is usually per second, and a burst at start-up is what
    trips it."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = clock()

    def acquire(self) -> None:
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = max(now, self._next) + self._interval


def provably_unsent(exc: SmsCliError) -> bool:
    """True only when resending cannot double-send: the request never reached the gateway,
    or the gateway said it did not process it."""
    if isinstance(exc, NetworkError):
        return not exc.maybe_processed
    if isinstance(exc, GatewayError):
        return exc.retryable_unsent
    return False


def refused_unprocessed(exc: SmsCliError) -> bool:
    """True when the gateway refused the request with a status meaning it processed none of
    it (see GatewayError.unprocessed): a resume may send it again once asked to."""
    return isinstance(exc, GatewayError) and exc.unprocessed


def attempt_chunk(
    chunk: Chunk,
    send_one: Callable[[Chunk], SendResult],
    retry: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    halt: threading.Event | None = None,
) -> ChunkOutcome:
    attempt = 0
    last: SmsCliError | None = None
    while True:
        if halt is not None and halt.is_set() and attempt > 0:
            # The run is stopping (signal, lost output): no new attempt of a request that
            # provably never arrived; a resume sends it.
            failed = None if last is None else Failure.of(last)
            return ChunkOutcome(chunk, ChunkState.NOT_SENT, error=failed, attempts=attempt)
        attempt += 1
        try:
            result = send_one(chunk)
        except SmsCliError as exc:
            unsent = provably_unsent(exc)
            if unsent and attempt < retry.attempts:
                last = exc
                delay = retry.delay(attempt, getattr(exc, "retry_after", None))
                if halt is not None:
                    halt.wait(delay)
                else:
                    sleep(delay)
                continue
            if unsent:
                # Refused before processing (connect error, 429, -15, -16) even on the last
                # attempt: nothing of it was sent, so a resume may send it.
                state = ChunkState.NOT_SENT
            elif isinstance(exc, NetworkError):
                state = ChunkState.UNKNOWN
            elif refused_unprocessed(exc):
                state = ChunkState.REFUSED
            else:
                state = ChunkState.REJECTED
            # The one place a request's exception becomes its outcome's value.
            return ChunkOutcome(chunk, state, error=Failure.of(exc), attempts=attempt)
        return answered(chunk, result, attempt)


# What the summary says after numbers were sent without a message id.
_SENT_HINT = "the messages were sent: do not send them again"


def answered(chunk: Chunk, result: SendResult, attempts: int = 1) -> ChunkOutcome:
    """The outcome of a request the gateway answered: accepted. Numbers accepted without a
    message id (`result.untracked`) are sent, never to be sent again; the outcome carries
    them with an error that says so (the summary prints it, the history records it, and it
    exits 3, never 1: a script must not read it as "rejected" and send again). A batch that
    stopped part-way (`result.stopped_by`) keeps the part that was sent, accepted, and
    carries the error that stopped it (which may stop the run)."""
    untracked = result.untracked
    if result.stopped_by is not None:
        error = _stopped_part_way(result, result.stopped_by)
    elif untracked:
        error = Failure(
            result.note or "sent, but the gateway gave no message id", kind=ErrorKind.REJECTED,
            code=result.code, hint=_SENT_HINT, exit_code=ExitCode.PARTIAL,
        )
    else:
        return ChunkOutcome(chunk, ChunkState.ACCEPTED, result=result, attempts=attempts)
    return ChunkOutcome(
        chunk, ChunkState.ACCEPTED, result=result, error=error, attempts=attempts,
        untracked=untracked,
    )


def _stopped_part_way(result: SendResult, error: SmsCliError) -> Failure:
    """The error that stopped a batch, saying how much of it was sent; of the same kind, so
    that it stops the run as it would have alone."""
    sent = result.elements_sent
    message = f"element {sent + 1} of {result.elements} failed after {sent} were sent: {error}"
    return replace(
        Failure.of(error),
        message=message,
        hint="the elements sent are recorded as sent: do not send them again",
    )


def run_chunks(
    chunks: Iterable[Chunk],
    send_one: Callable[[Chunk], SendResult],
    *,
    concurrency: int = 4,
    journal: Journal | None = None,
    on_outcome: Callable[[ChunkOutcome], None] | None = None,
    retry: RetryPolicy | None = None,
    drain_timeout: float = 60.0,
    rate: RateLimiter | None = None,
) -> RunResult:
    """Send every chunk at most once. Stops starting new chunks after an error that would
    repeat (auth, balance, rate, server, network), on Ctrl-C / SIGTERM / SIGHUP, when the rows
    can no longer be written (`on_outcome` raised OutputError) or when the journal cannot
    record an answer; in-flight chunks finish (for at most `drain_timeout` seconds once
    stopping) and every answer is journalled."""
    retry = retry or RetryPolicy()
    run = RunResult()
    pending: dict[Future[ChunkOutcome], Chunk] = {}
    source = iter(chunks)
    stop = False
    halt = threading.Event()  # tells requests waiting to retry that the run is stopping
    deadline: float | None = None
    show = on_outcome

    def stopping(error: Failure | None) -> None:
        nonlocal stop, deadline
        if not stop and error is not None and run.stopped_by is None:
            run.stopped_by = error
        stop = True
        halt.set()
        if deadline is None:
            deadline = time.monotonic() + drain_timeout

    def record(outcome: ChunkOutcome, *, notify: bool = True) -> None:
        # In the run first: a signal while journalling must not drop an outcome from the
        # rows; and no signal may land inside the journal's write (shielded) either.
        with shielded():
            run.outcomes.append(outcome)
            if journal:
                try:
                    journal.after(outcome)
                except SmsCliError as exc:
                    # Answered but not recorded: no further request may start, since the
                    # history could not tell what became of it. The rows still show it.
                    run.unrecorded.append(outcome)
                    run.journal_error = run.journal_error or Failure.of(exc, history=True)
                    stopping(None)
        if notify:
            write(outcome)
        if stops_run(outcome):
            stopping(outcome.error)

    def write(outcome: ChunkOutcome) -> None:
        nonlocal show
        if show is None:
            return
        try:
            show(outcome)
        except OutputError as exc:
            # Nobody reads the rows any more: stop, but journal everything still coming.
            run.output_error = Failure.of(exc)
            show = None
            stopping(None)

    # A chunk taken from `source` but not yet in `pending`, and whether it may have left.
    taken: Chunk | None = None
    may_have_left = False
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency))

    def fill() -> None:
        """Start chunks until `concurrency` are in flight, the source is empty or the run
        stops; each is journalled before it leaves."""
        nonlocal taken, may_have_left
        while not stop and len(pending) < max(1, concurrency):
            chunk = taken = next(source, None)
            may_have_left = False
            if chunk is None:
                return
            if journal:
                try:
                    with shielded():
                        journal.before(chunk)
                except SmsCliError as exc:
                    # Unrecorded, a chunk must not leave: a crash would lose its fate.
                    failed = Failure.of(exc, history=True)
                    run.outcomes.append(
                        ChunkOutcome(chunk, ChunkState.NOT_SENT, error=failed, attempts=0)
                    )
                    taken = None
                    stopping(failed)
                    return
            if rate is not None:
                rate.acquire()
            # Submitted and tracked in one shielded step: a signal inside submit() could
            # otherwise leave a request on its way that nobody waits for (its outcome would
            # have to be called unknown).
            with shielded():
                may_have_left = True
                future = pool.submit(attempt_chunk, chunk, send_one, retry, time.sleep, halt)
                pending[future] = chunk
                taken = None

    try:
        try:
            while True:
                fill()
                if not pending:
                    break
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                done, _ = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                if not done and deadline is not None:
                    _give_up(pending, record)
                    break
                # Every answer is journalled before any is shown: writing rows can block on
                # a slow reader of stdout, and the journal must not wait for it. Recorded and
                # taken out of `pending` in one shielded step: a signal in between would
                # either lose the answer or record it twice. Between two answers the slot the
                # first one freed is refilled (the next one's journalling takes milliseconds
                # with the history on), unless one of the answers in stops the run or a rate
                # limit could hold the next answer's journalling back; after the last, only
                # once the rows are written, so that rows the output can no longer take stop
                # the run before another request leaves.
                finished: list[ChunkOutcome] = []
                early = (
                    len(done) > 1
                    and rate is None
                    and not any(map(_stops_when_recorded, done))
                )
                for future in done:
                    if finished and early:
                        fill()
                    with shielded():
                        outcome = future.result()
                        record(outcome, notify=False)
                        pending.pop(future)
                    finished.append(outcome)
                for outcome in finished:
                    write(outcome)
        except KeyboardInterrupt:
            # The same signal again (`timeout` signals the process, then its group) must not
            # cut this bookkeeping: only the drain's wait may be cut by a second one.
            with absorbing():
                run.interrupted = True
                stopping(None)
                # No rows while draining: a reader that stopped reading (the pipe full) would
                # hold the drain and its journalling back. The caller writes them afterwards.
                show = None
                if taken is not None and all(c is not taken for c in pending.values()):
                    _record_taken(taken, may_have_left, record)
                # Answers that arrived while the signal was being raised are journalled too.
                done_now = {f: c for f, c in pending.items() if f.done()}
                for future in done_now:
                    pending.pop(future)
                    _despite_signals(record, future.result())
            _drain(pending, record, max(0.0, (deadline or 0.0) - time.monotonic()))
        # Chunks never started are reported so the user sees every number's fate.
        with _stopping_quietly(run):
            if stop:
                for chunk in source:
                    run.outcomes.append(ChunkOutcome(chunk, ChunkState.NOT_SENT, attempts=0))
    finally:
        # Every future is done or given up by now: waiting here would only let a request
        # that outlasted the drain hold the summary back.
        with _stopping_quietly(run):
            pool.shutdown(wait=False, cancel_futures=True)
    run.outcomes.sort(key=lambda o: o.chunk.index)
    return run


def stops_run(outcome: ChunkOutcome) -> bool:
    """True for an outcome after which no further request may start: unknown, or an error
    that would repeat."""
    err = outcome.error
    return outcome.state is ChunkState.UNKNOWN or (err is not None and err.kind in _STOP_KINDS)


def _stops_when_recorded(future: Future[ChunkOutcome]) -> bool:
    """An answer in (a done future) that will stop the run once recorded; a future that
    raised counts as one (recording it raises)."""
    return future.exception() is not None or stops_run(future.result())


def _stopping_quietly(run: RunResult) -> AbstractContextManager[None]:
    """A run stopped by a signal ends without another one cutting it (see absorbing())."""
    return absorbing() if run.interrupted else nullcontext()


def _give_up(
    pending: dict[Future[ChunkOutcome], Chunk], record: Callable[[ChunkOutcome], None]
) -> None:
    """Stopping, and the requests still in flight outlasted the drain: their outcome is
    unknown (they may have arrived), and the process must not wait for them any longer."""
    for future, chunk in list(pending.items()):
        future.cancel()
        error = Failure.no_answer("no answer before smscli stopped waiting")
        record(ChunkOutcome(chunk, ChunkState.UNKNOWN, error=error))
    pending.clear()


def _record_taken(
    chunk: Chunk, may_have_left: bool, record: Callable[[ChunkOutcome], None]
) -> None:
    """Ctrl-C between taking a chunk and tracking its future: once submit() was called the
    request may be on its way (Python's own submit can be interrupted after queueing it)."""
    if not may_have_left:
        record(ChunkOutcome(chunk, ChunkState.NOT_SENT, attempts=0))
        return
    error = Failure.no_answer("interrupted while the request was starting")
    record(ChunkOutcome(chunk, ChunkState.UNKNOWN, error=error))


def _drain(
    pending: dict[Future[ChunkOutcome], Chunk],
    record: Callable[[ChunkOutcome], None],
    timeout: float,
) -> None:
    try:
        done, not_done = wait(pending, timeout=timeout)
    except KeyboardInterrupt:
        # A second signal: stop waiting. Answers already in are still journalled.
        done = {f for f in pending if f.done()}
        not_done = set(pending) - done
    for future in done:
        _despite_signals(record, future.result())
    for future in not_done:
        future.cancel()
        chunk = pending[future]
        error = Failure.no_answer("interrupted while the request was in flight")
        _despite_signals(record, ChunkOutcome(chunk, ChunkState.UNKNOWN, error=error))


def _despite_signals(record: Callable[[ChunkOutcome], None], outcome: ChunkOutcome) -> None:
    """Record while already stopping: a further signal (a second Ctrl-C, systemd's repeated
    SIGTERM) must not cut the journalling of the answers that are in. Held while recording, it
    is raised once the outcome is recorded, so it is let go here; one landing before the
    shield is up makes it try again."""
    recorded = False
    while not recorded:
        try:
            with shielded():
                record(outcome)
                recorded = True
        except KeyboardInterrupt:
            continue
