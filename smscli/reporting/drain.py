"""Queue providers (mobset): the gateway hands each delivery report out once, so `report`
drains its queue into the history (each batch saved, and each raw answer kept, before the
next pull: a pulled report exists nowhere else) and answers from the history."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from smscli.errors import ExitCode, GatewayError, SmsCliError
from smscli.gateways.base import RawAnswer, Report, ReportMode, ReportResult
from smscli.reads import QUERY_RETRY, Clock, OnRetry, Sleep, call_with_retry, retryable
from smscli.reporting.outcome import OnReports, Poll, ReportOutcome
from smscli.reporting.poll import WaitPolicy, keep_asking
from smscli.reporting.verdicts import history_report
from smscli.retry import RetryPolicy

if TYPE_CHECKING:
    from smscli.history.records import Tracked

# SmsGetReport calls per `report` run (every poll of a --wait included): 10,000 reports at
# mobset's 50 per call. Ends a run even if a gateway kept handing out new reports.
MAX_PULLS = 200
# Seconds between two pulls of one drain: the vendor's own sample polls once a second.
PULL_PACE = 1.0


@runtime_checkable
class QueueSource(Protocol):
    """A gateway whose reports are not looked up by id but handed out once each (mobset)."""

    report_mode: str

    def pull_reports(self) -> ReportResult: ...


@runtime_checkable
class RawQueueSource(Protocol):
    """A queue source that can hand over an answer unread, so it is kept before being read."""

    def pull_raw(self) -> RawAnswer: ...

    def read_reports(self, raw: RawAnswer) -> ReportResult: ...


class RawKeeper(Protocol):
    """Where raw answers are kept (the history's raw_reports)."""

    def keep(self, raw: RawAnswer) -> int: ...

    def read(self, raw_id: int, reports: int) -> None: ...

    def unreadable(self, raw_id: int, error: str) -> str:
        """Mark it unreadable; returns where it is kept, for the user."""
        ...

    def unread(self) -> list[tuple[int, RawAnswer]]:
        """Kept answers not read yet: unreadable ones, and any a crash left unread."""
        ...


def reread_kept(source: QueueSource, keeper: RawKeeper, save: OnReports) -> int:
    """Read again the answers kept because they could not be read (or were not, before a
    crash): this smscli may read what an older one could not. Returns how many reports they
    held; an answer still unreadable stays kept as it is."""
    if not isinstance(source, RawQueueSource):
        return 0
    found = 0
    for raw_id, raw in keeper.unread():
        try:
            result = source.read_reports(raw)
        except SmsCliError:
            continue
        if result.reports:
            _save(save, result.reports)
        keeper.read(raw_id, len(result.reports))
        found += len(result.reports)
    return found


def as_queue(gateway: object) -> QueueSource | None:
    """The gateway as a queue source when its reports come from a queue, else None."""
    if isinstance(gateway, QueueSource) and gateway.report_mode == ReportMode.QUEUE:
        return gateway
    return None


class ReportsNotSaved(SmsCliError):
    """Reports pulled from a queue could not be saved: the gateway will not hand them out
    again, so `reports` are the only copy left (the CLI prints them)."""

    def __init__(self, error: SmsCliError, reports: Sequence[Report]) -> None:
        super().__init__(
            f"{len(reports)} delivery reports pulled from the gateway could not be saved: "
            f"{error.message}",
            hint="the gateway hands each report out once: they are printed above as JSON lines",
        )
        self.error = error
        self.reports = tuple(reports)
        self.exit_code = error.exit_code


class UnreadableReports(SmsCliError):
    """A report answer smscli cannot read. It may hold reports the gateway will not hand out
    again, so it is kept raw (`where`) and pulling stops: more pulls could only lose more.
    Exit 6, as any answer smscli cannot use; not retried."""

    exit_code = ExitCode.NETWORK

    def __init__(self, error: SmsCliError, where: str) -> None:
        super().__init__(
            f"the gateway's report answer could not be read ({error.message}); it is kept "
            f"as it came in {where}",
            hint="the reports it may hold are not lost: a later smscli can read them again; "
            "pulling stopped so that no more are taken",
        )
        self.error = error
        self.where = where


@dataclass(frozen=True, slots=True)
class Drained:
    calls: int
    reports: int  # reports not seen before
    limit_reached: bool = False  # stopped by the call limit: more may be waiting
    repeated: int = 0  # handed out again although already in the history (not counted new)
    recovered: int = 0  # read from answers kept unread earlier (reread_kept)


def drain_queue(
    source: QueueSource,
    save: OnReports,
    *,
    max_calls: int = MAX_PULLS,
    retry: RetryPolicy = QUERY_RETRY,
    sleep: Sleep = time.sleep,
    on_retry: OnRetry | None = None,
    keeper: RawKeeper | None = None,
    known: Callable[[Sequence[str]], Mapping[str, Tracked]] | None = None,
    seen: set[tuple[str, str]] | None = None,
    pace: float | None = None,
) -> Drained:
    """Pull until a call brings nothing new (empty, or only reports already seen) or
    `max_calls` calls were made, `pace` seconds apart (the vendor's own sample polls once a
    second), saving each batch before the next call: a pulled report exists nowhere else.
    With a `keeper` (and a source that can hand answers over unread), each answer's bytes are
    kept before it is read, and an unreadable one stops the drain (UnreadableReports).
    `known` (the history's lookup) and `seen` (shared by the drains of one run) tell new
    reports from ones handed out again. A retried pull loses nothing more than the failed
    one already did."""
    seen = set() if seen is None else seen
    pause = PULL_PACE if pace is None else pace
    calls = new = repeated = 0
    while calls < max_calls:
        if calls:
            sleep(pause)
        result, raw_id = call_with_retry(
            lambda: _pull(source, keeper), retry, sleep=sleep, on_retry=on_retry
        )
        calls += 1
        if not result.reports:
            if keeper is not None and raw_id is not None:
                keeper.read(raw_id, 0)
            return Drained(calls, new, repeated=repeated)
        fresh = _fresh(result.reports, seen, known)
        _save(save, result.reports)
        if keeper is not None and raw_id is not None:
            keeper.read(raw_id, len(result.reports))
        seen.update((r.msg_id, r.status.value) for r in result.reports)
        new += fresh
        repeated += len(result.reports) - fresh
        if not fresh:
            # Only reports it handed out before: a queue that repeats itself is not drained
            # by asking again.
            return Drained(calls, new, repeated=repeated)
    return Drained(calls, new, limit_reached=True, repeated=repeated)


def _pull(source: QueueSource, keeper: RawKeeper | None) -> tuple[ReportResult, int | None]:
    if keeper is None or not isinstance(source, RawQueueSource):
        return source.pull_reports(), None
    raw = source.pull_raw()
    raw_id = keeper.keep(raw)
    try:
        result = source.read_reports(raw)
    except GatewayError:
        keeper.read(raw_id, 0)  # the gateway's own error: it handed out nothing
        raise
    except SmsCliError as exc:
        if raw.http_status >= 400:
            keeper.read(raw_id, 0)  # an HTTP error page, not reports
            raise
        raise UnreadableReports(exc, keeper.unreadable(raw_id, exc.message)) from None
    return result, raw_id


def _fresh(
    reports: Sequence[Report],
    seen: set[tuple[str, str]],
    known: Callable[[Sequence[str]], Mapping[str, Tracked]] | None,
) -> int:
    """How many of `reports` were not seen before, in this run or in the history."""
    history = known([r.msg_id for r in reports]) if known is not None else {}
    count = 0
    for report in reports:
        before = history.get(report.msg_id)
        if (report.msg_id, report.status.value) in seen:
            continue
        if before is not None and before.status is report.status:
            continue
        count += 1
    return count


def _save(save: OnReports, reports: Sequence[Report]) -> None:
    try:
        try:
            save(reports)
        except KeyboardInterrupt:
            # Ctrl-C during the write rolled it back: these reports exist nowhere else, so
            # write them before stopping.
            save(reports)
            raise
    except SmsCliError as exc:
        raise ReportsNotSaved(exc, reports) from None


def check_queue(
    source: QueueSource,
    ids: Sequence[str],
    *,
    save: OnReports,
    lookup: Callable[[Sequence[str]], Mapping[str, Tracked]],
    wait: WaitPolicy | None = None,
    max_pulls: int = MAX_PULLS,
    retry: RetryPolicy = QUERY_RETRY,
    on_drain: Callable[[Drained], None] | None = None,
    on_poll: Callable[[Poll], None] | None = None,
    on_retry: OnRetry | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    keeper: RawKeeper | None = None,
    pull: bool = True,
    pace: float | None = None,
    now: Callable[[], datetime] | None = None,
    sent_times: Callable[[Sequence[str]], Mapping[str, datetime]] | None = None,
) -> ReportOutcome:
    """Drain the queue into the history (`save`), then answer every id from it (`lookup`);
    with `wait`, again until nothing is pending or the timeout passes. At most `max_pulls`
    pulls in the whole run (every poll of a wait included); `pull=False` answers from the
    history alone. Errors as in check_reports: a retryable one is ridden out during a wait
    (the answer then comes from what the history already holds), any other is raised."""
    budget = [max_pulls]
    seen: set[tuple[str, str]] = set()
    if keeper is not None:
        recovered = reread_kept(source, keeper, save)
        if recovered and on_drain is not None:
            on_drain(Drained(0, 0, recovered=recovered))

    def ask(todo: list[str], ride_out: bool) -> tuple[list[Report], SmsCliError | None]:
        error = None
        if pull and budget[0] > 0:
            try:
                drained = drain_queue(
                    source,
                    save,
                    max_calls=budget[0],
                    retry=retry,
                    sleep=sleep,
                    on_retry=on_retry,
                    keeper=keeper,
                    known=lookup,
                    seen=seen,
                    pace=pace,
                )
            except SmsCliError as exc:
                if not (ride_out and retryable(exc)):
                    raise
                error = exc
            else:
                budget[0] -= drained.calls
                if on_drain is not None:
                    on_drain(drained)
        known = lookup(todo)
        at = now() if now is not None else None
        sent = sent_times(todo) if sent_times is not None and at is not None else {}
        reports = [
            history_report(msg_id, known.get(msg_id), now=at, sent=sent.get(msg_id))
            for msg_id in todo
        ]
        return reports, error

    return keep_asking(ask, ids, wait=wait, on_poll=on_poll, clock=clock, sleep=sleep)
