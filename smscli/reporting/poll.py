"""Asking a query provider (v3 getReport) about msgIds: calls of at most the gateway's
`max_ids_per_report` ids, concurrently and retried, merged back into input order; and the
polling loop of `--wait` (shared with the queue providers' drain), until nothing is pending
or the timeout passes."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from smscli.errors import SmsCliError, UsageError
from smscli.gateways.base import DeliveryStatus, Report, ReportResult
from smscli.reads import QUERY_RETRY, Clock, OnRetry, Sleep, call_with_retry, retryable
from smscli.reporting.outcome import (
    NOT_FOUND_DETAIL,
    OnReports,
    Poll,
    ReportOutcome,
    is_waiting,
    tally,
)
from smscli.retry import RetryPolicy

if TYPE_CHECKING:
    import queue
    from concurrent.futures import Future


# Turns one call's reports into what counts (a verdict drawn this way is no report to record).
# Given with the ids the call asked, in the same order: equal to the reports' own, these are
# the texts the caller holds already (a judged report may take them instead of a copy).
Classify = Callable[[list[Report], list[str]], list[Report]]
# Of a batch of ids (in input order), those to ask about: the others are answered elsewhere
# (the history's final states). Called batch by batch while the first calls are out, so
# that deciding which ids to ask about overlaps asking.
Pick = Callable[[list[str]], list[str]]
# Ids handed to a Pick at a time: five calls' worth of v3's 200 ids.
PICK_BATCH = 1000


class ReportSource(Protocol):
    """The part of a Gateway that `report` needs."""

    @property
    def max_ids_per_report(self) -> int: ...

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult: ...


def chunk_ids(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), max(1, size))]


def merge_reports(ids: Sequence[str], results: Iterable[ReportResult]) -> list[Report]:
    """One report per asked id, in the order asked. The platform leaves ids it has no record
    of out of its answer (fresh messages still queued count as not found), so those become
    NOT_FOUND; ids the gateway answered but nobody asked about are dropped."""
    asked = set(ids)
    found: dict[str, Report] = {}
    for result in results:
        for report in result.reports:
            if report.msg_id in asked:
                found[report.msg_id] = report
    return [
        found.get(msg_id) or Report(msg_id, DeliveryStatus.NOT_FOUND, detail=NOT_FOUND_DETAIL)
        for msg_id in ids
    ]


def fetch_reports(
    source: ReportSource,
    ids: Sequence[str],
    *,
    concurrency: int = 4,
    retry: RetryPolicy = QUERY_RETRY,
    sleep: Sleep = time.sleep,
    on_retry: OnRetry | None = None,
    on_part: OnReports | None = None,
    classify: Classify | None = None,
    pick: Pick | None = None,
) -> list[Report]:
    """One report per id (ids unique), in order. Calls of at most `max_ids_per_report` ids run
    on a bounded thread pool; the first error that survives its retries stops the rest and is
    raised. `on_part` gets each call's reports (one per id it asked, as merge_reports makes
    them) on the calling thread as soon as that call is answered: the history records them
    while the other calls are still in flight. `classify` then turns them, also while the
    others are in flight. With `pick`, only the ids it picks are asked about (and reported),
    picked batch by batch while the first calls are already out."""
    size = source.max_ids_per_report
    made: list[list[str]] = []  # the calls' ids, in order, as they are made
    chunks = _chunks(ids, size, made) if pick is None else _picked(ids, pick, size, made)
    parts: dict[int, list[Report]] = {}
    # Only what merging over every answer needs is kept of the answers (not the answers
    # themselves: 100,000 reports): reports for ids their call did not ask (the last one per
    # id, with its call's index), and the ids a call asked that its own answer left out.
    strays: dict[str, tuple[int, Report]] = {}
    absent: set[str] = set()

    def ask(chunk: list[str]) -> ReportResult:
        return call_with_retry(
            lambda: source.get_report(chunk), retry, sleep=sleep, on_retry=on_retry
        )

    def answered(index: int, result: ReportResult) -> None:
        part = _merge_part(made[index], result, index, strays, absent)
        if on_part is not None:
            on_part(part)
        parts[index] = part if classify is None else classify(part, made[index])

    # Two calls or more go to the pool; one (or none) is made right here. Without a pool,
    # every id is picked before the first call, as when they were picked beforehand.
    first = list(itertools.islice(chunks, 2 if concurrency > 1 else None))
    if len(first) <= 1 or concurrency <= 1:
        for index, chunk in enumerate(itertools.chain(first, chunks)):
            answered(index, ask(chunk))
    else:
        _run_pool(ask, itertools.chain(first, chunks), concurrency, answered)
    reports = [report for index in range(len(made)) for report in parts.pop(index)]
    if strays:
        _merge_strays(reports, made, strays, absent, classify)
    return reports


def _merge_strays(
    reports: list[Report],
    made: list[list[str]],
    strays: dict[str, tuple[int, Report]],
    absent: set[str],
    classify: Classify | None,
) -> None:
    """An answer held ids its call did not ask about: merged as merge_reports merges every
    answer in call order (an id answered in another call's answer counts, as it always did):
    the answer of the latest call wins, its own call's included. In place."""
    at: list[int] = []
    replaced: list[Report] = []
    replaced_ids: list[str] = []
    position = 0
    for index, chunk in enumerate(made):
        for msg_id in chunk:
            stray = strays.get(msg_id)
            if stray is not None and (stray[0] > index or msg_id in absent):
                at.append(position)
                replaced.append(stray[1])
                replaced_ids.append(msg_id)
            position += 1
    if classify is not None and replaced:
        replaced = classify(replaced, replaced_ids)
    for position, report in zip(at, replaced, strict=True):
        reports[position] = report


def _chunks(ids: Sequence[str], size: int, made: list[list[str]]) -> Iterator[list[str]]:
    for chunk in chunk_ids(ids, size):
        made.append(chunk)
        yield chunk


def _picked(
    ids: Sequence[str], pick: Pick, size: int, made: list[list[str]]
) -> Iterator[list[str]]:
    """The calls of chunk_ids(picked ids), made as the batches are picked."""
    size = max(1, size)
    pending: list[str] = []
    for start in range(0, len(ids), PICK_BATCH):
        pending += pick(list(ids[start : start + PICK_BATCH]))
        while len(pending) >= size:
            chunk, pending = pending[:size], pending[size:]
            made.append(chunk)
            yield chunk
    if pending:
        made.append(pending)
        yield pending


def _merge_part(
    chunk: list[str],
    result: ReportResult,
    index: int,
    strays: dict[str, tuple[int, Report]],
    absent: set[str],
) -> list[Report]:
    """merge_reports of one call (the `index`th). Reports for ids it did not ask go to
    `strays` (the latest call's per id), the ids its answer left out to `absent`."""
    found = {r.msg_id: r for r in result.reports}
    part = []
    for msg_id in chunk:
        report = found.pop(msg_id, None)
        if report is None:
            absent.add(msg_id)
            report = Report(msg_id, DeliveryStatus.NOT_FOUND, detail=NOT_FOUND_DETAIL)
        part.append(report)
    for msg_id, report in found.items():  # left over: not asked by this call
        kept = strays.get(msg_id)
        if kept is None or kept[0] < index:
            strays[msg_id] = (index, report)
    return part


def _run_pool(
    ask: Callable[[list[str]], ReportResult],
    chunks: Iterable[list[str]],
    concurrency: int,
    answered: Callable[[int, ReportResult], None],
) -> None:
    import queue
    from concurrent.futures import ThreadPoolExecutor

    # Threads start as calls are submitted, up to `concurrency`. Calls are submitted (and
    # so their ids picked) only so far ahead of the answers as keeps every thread busy:
    # what is picked for a call (the history's view of its ids) lives until its answer.
    # Each call says when it is done on a queue: waiting on all the calls not answered yet
    # cost a look at each of them per answer.
    pool = ThreadPoolExecutor(max_workers=concurrency)
    finished: queue.SimpleQueue[int] = queue.SimpleQueue()
    futures: list[Future[ReportResult] | None] = []
    pending = iter(chunks)
    outstanding = 0

    def submit(count: int) -> None:
        nonlocal outstanding
        for chunk in itertools.islice(pending, count):
            submitted = pool.submit(ask, chunk)
            submitted.add_done_callback(_tell(finished, len(futures)))
            futures.append(submitted)
            outstanding += 1

    try:
        submit(concurrency * _CALLS_AHEAD)
        while outstanding:
            index = finished.get()
            future = futures[index]
            if future is None:
                continue
            if _failed(future):
                raise _first_error(futures)
            futures[index] = None  # answered: its answer is not kept
            outstanding -= 1
            answered(index, future.result())
            submit(1)
    finally:
        # Never start the queued calls after an error or Ctrl-C; running ones finish on
        # their own (a read is harmless).
        pool.shutdown(wait=False, cancel_futures=True)


# Calls submitted per thread of the pool before the first answer (the running one and those
# queued behind it), and kept so after each answer.
_CALLS_AHEAD = 2


def _tell(finished: queue.SimpleQueue[int], index: int) -> Callable[[object], None]:
    return lambda _: finished.put(index)


def _failed(future: Future[ReportResult]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is not None


def _first_error(futures: Sequence[Future[ReportResult] | None]) -> BaseException:
    # In chunk order, so the message does not depend on thread timing.
    for future in futures:
        exc = future.exception() if future is not None and _failed(future) else None
        if exc is not None:
            return exc
    raise AssertionError("no failed future")


@dataclass(frozen=True, slots=True)
class WaitPolicy:
    """Poll every `interval` seconds while something changes, stretching the pause ×`backoff`
    (up to `max_interval`) while nothing does; give up after `timeout` seconds."""

    interval: float = 10.0
    timeout: float = 600.0
    max_interval: float = 60.0
    backoff: float = 1.5

    def __post_init__(self) -> None:
        if not self.interval > 0:
            raise UsageError("--interval must be greater than 0")
        if not self.timeout >= 0:
            raise UsageError("--timeout must be 0 or more")

    def next_delay(self, previous: float | None, changed: bool) -> float:
        if previous is None or changed:
            return self.interval
        return min(max(self.max_interval, self.interval), previous * self.backoff)


def check_reports(
    source: ReportSource,
    ids: Sequence[str],
    *,
    wait: WaitPolicy | None = None,
    concurrency: int = 4,
    retry: RetryPolicy = QUERY_RETRY,
    on_reports: OnReports | None = None,
    on_poll: Callable[[Poll], None] | None = None,
    on_retry: OnRetry | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    classify: Classify | None = None,
    pick: Pick | None = None,
) -> ReportOutcome:
    """Ask once, or with `wait` keep asking about the ids still pending until none is or the
    timeout passes. During a wait, a poll that fails with a retryable error (after its own
    retries) is ridden out; any other error is raised. Ctrl-C during a wait returns what is
    known so far (interrupted=True). `classify` turns each call's answers before they count
    (e.g. verdicts.judge_answers: an id nobody knows is not waited for). With `pick`, the
    outcome is about the ids it picks (in order), picked while the first poll's first calls
    are out; none picked: no poll at all."""

    def ask(todo: list[str], ride_out: bool) -> tuple[list[Report], SmsCliError | None]:
        return _poll(
            source, todo, ride_out, concurrency, retry, sleep, on_retry, on_reports, classify
        )

    # on_reports gets each call's reports as that call is answered (see fetch_reports).
    if pick is None:
        return keep_asking(ask, ids, wait=wait, on_poll=on_poll, clock=clock, sleep=sleep)
    started = clock()
    first = fetch_reports(
        source,
        ids,
        concurrency=concurrency,
        retry=retry,
        sleep=sleep,
        on_retry=on_retry,
        on_part=on_reports,
        classify=classify,
        pick=pick,
    )
    if not first:
        return ReportOutcome(reports=(), polls=0, elapsed=0.0)
    picked = [report.msg_id for report in first]
    return keep_asking(
        ask,
        picked,
        wait=wait,
        on_poll=on_poll,
        clock=clock,
        sleep=sleep,
        first=(first, started),
    )


# Asks about the ids still waiting; rides out a retryable error when told to (returning it).
Ask = Callable[[list[str], bool], tuple[list[Report], SmsCliError | None]]


def keep_asking(
    ask: Ask,
    ids: Sequence[str],
    *,
    wait: WaitPolicy | None,
    on_poll: Callable[[Poll], None] | None,
    clock: Clock,
    sleep: Sleep,
    first: tuple[list[Report], float] | None = None,
) -> ReportOutcome:
    """The polling loop shared by query and queue providers. `first`: the first poll's
    reports, already asked for, and when that poll started."""
    started = clock() if first is None else first[1]
    if wait is None:
        return _ask_once(ask, ids, on_poll, clock, started, first)
    latest: dict[str, Report] = {}
    todo: list[str] = list(ids)
    polls = 0
    delay: float | None = None
    timed_out = interrupted = False
    try:
        while True:
            if first is not None:
                reports, error, first = first[0], None, None
            else:
                reports, error = ask(todo, wait is not None and bool(latest))
            polls += 1
            changed = _apply(latest, reports)
            todo = [msg_id for msg_id in ids if is_waiting(latest[msg_id])]
            pause: float | None = None
            if wait is not None and todo:
                remaining = wait.timeout - (clock() - started)
                if remaining > 0:
                    delay = wait.next_delay(delay, changed)
                    pause = min(delay, remaining)
                else:
                    timed_out = True
            if on_poll is not None:
                counts = tally(latest.values())
                on_poll(Poll(polls, clock() - started, counts, changed, pause, error))
            if pause is None:
                break
            sleep(pause)
    except KeyboardInterrupt:
        if wait is None or len(latest) < len(ids):
            raise
        interrupted = True
    return ReportOutcome(
        reports=tuple(latest[msg_id] for msg_id in ids),
        polls=polls,
        elapsed=clock() - started,
        timed_out=timed_out,
        interrupted=interrupted,
    )


def _ask_once(
    ask: Ask,
    ids: Sequence[str],
    on_poll: Callable[[Poll], None] | None,
    clock: Clock,
    started: float,
    first: tuple[list[Report], float] | None,
) -> ReportOutcome:
    """keep_asking without a wait: one poll, whose reports (one per id, in order) are the
    outcome as they come, without the bookkeeping of what changed and what still waits."""
    reports, error = first[0] if first is not None else ask(list(ids), False)[0], None
    if on_poll is not None:
        on_poll(Poll(1, clock() - started, tally(reports), bool(reports), None, error))
    return ReportOutcome(reports=tuple(reports), polls=1, elapsed=clock() - started)


def _poll(
    source: ReportSource,
    ids: Sequence[str],
    ride_out: bool,
    concurrency: int,
    retry: RetryPolicy,
    sleep: Sleep,
    on_retry: OnRetry | None,
    on_part: OnReports | None = None,
    classify: Classify | None = None,
) -> tuple[list[Report], SmsCliError | None]:
    try:
        reports = fetch_reports(
            source,
            ids,
            concurrency=concurrency,
            retry=retry,
            sleep=sleep,
            on_retry=on_retry,
            on_part=on_part,
            classify=classify,
        )
    except SmsCliError as exc:
        if ride_out and retryable(exc):
            return [], exc
        raise
    return reports, None


def _apply(latest: dict[str, Report], reports: Iterable[Report]) -> bool:
    changed = False
    for report in reports:
        before = latest.get(report.msg_id)
        if before is None or before.status is not report.status:
            changed = True
        latest[report.msg_id] = report
    return changed
