"""`sync`: the account's records pulled from the gateway into the history, incrementally.

v3 (laaffic, onbuka, itniotech, sandbox): getSentRcd in windows of at most 31 days within the
last 90, each paged with startIndex; recordMo in windows of at most 28 days (one month at the
shortest), paged by `current`. mobset: SmsGetRecv drained until empty (and the delivery report
queue with it); it has no call that lists sent messages.

Incremental and resumable, per profile (sync_state): a window is fetched page by page, each page
saved with the cursor after it in one transaction, so an interrupted sync resumes at the next
page and a page fetched twice changes nothing (records are keyed by msgId). What is fully
synced is one contiguous span; the next sync fetches only what lies outside it, plus a look back
over records still pending (their delivery state changes later) and a few minutes of overlap.

-15 "too frequent" (the FAQ allows getSentRcd once a minute): with `wait` the sync sleeps it out
(an HTTP 429's Retry-After, else `rate_wait` seconds) and tells `on_wait`, a few times at most,
then spaces the next getSentRcd calls that far apart up front (Pace); without `wait` (lookup),
it stops and raises RateLimited: what was saved stays saved.

Pages are saved as they come and nothing else is kept: memory stays that of one page (50,000
records) however long the sync.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final, Protocol, runtime_checkable

from smscli.errors import ErrorKind, GatewayError, NetworkError, SmsCliError
from smscli.gateways.records import Inbound, InboundPage, SentPage
from smscli.history.db import now
from smscli.history.support import AccountStore, Cursor, SyncState

SENT_SPAN: Final = timedelta(days=31)
# The platform keeps 90 days; stay a little inside so a slow clock never asks for day 91.
SENT_HISTORY: Final = timedelta(days=90) - timedelta(minutes=10)
MAX_SENT_PAGE: Final = 50_000
MO_SPAN: Final = timedelta(days=28)
MO_PAGE: Final = 100
# How far back a sync looks again for records whose state may still change.
PENDING_LOOKBACK: Final = timedelta(days=3)
OVERLAP: Final = timedelta(minutes=10)
RATE_WAIT: Final = 61.0
MAX_RATE_WAITS: Final = 5
NETWORK_RETRIES: Final = 3
# SmsGetRecv calls per drain, as for the report queue (reporting.MAX_PULLS).
MAX_PULLS: Final = 200

OnProgress = Callable[["Progress"], None]
OnWait = Callable[[float, str], None]
Sleep = Callable[[float], None]


class RateLimited(SmsCliError):
    """The gateway said "too frequent" and the caller would not wait."""

    def __init__(self, error: GatewayError) -> None:
        super().__init__(
            f"the gateway refused the query as too frequent ({error.message})",
            hint="getSentRcd allows about one call a minute; try again in a minute",
        )
        self.error = error
        self.exit_code = error.exit_code


@runtime_checkable
class SentSource(Protocol):
    def get_sent_records(
        self, start: datetime, end: datetime, *, start_index: int = 0
    ) -> SentPage: ...


@runtime_checkable
class WindowInbound(Protocol):
    def get_inbound(
        self, start: datetime, end: datetime, *, current: int = 1, size: int = 100
    ) -> InboundPage: ...


@runtime_checkable
class QueueInbound(Protocol):
    def pull_inbound(self) -> tuple[Inbound, ...]: ...


@dataclass(slots=True)
class Progress:
    kind: str  # sent | inbound
    records: int = 0
    calls: int = 0
    window: tuple[datetime, datetime] | None = None


@dataclass(slots=True)
class SyncResult:
    sent: Progress = field(default_factory=lambda: Progress("sent"))
    inbound: Progress = field(default_factory=lambda: Progress("inbound"))
    reports: int = 0
    # What the gateway can be asked, and what it cannot (told to the user by `lookup`).
    consulted: list[str] = field(default_factory=list)
    not_consulted: list[str] = field(default_factory=list)
    clamped: datetime | None = None  # `since` was older than the gateway keeps: started here


@dataclass(frozen=True, slots=True)
class Options:
    wait: bool = True  # sleep out -15; False: raise RateLimited
    rate_wait: float = RATE_WAIT
    sleep: Sleep = time.sleep
    on_wait: OnWait | None = None
    on_progress: OnProgress | None = None
    clock: Callable[[], datetime] = now
    store_content: bool = True  # the profile's store_content: keep inbound texts
    # Look back over records still pending (up to PENDING_LOOKBACK). `lookup` does not: it
    # asks getReport about the messages it shows instead, and leaves the rest to `sync`.
    refresh_pending: bool = True
    # The profile's drain_reports (issue 10): False leaves a shared report queue alone.
    drain_reports: bool = True


def capabilities(gateway: object) -> tuple[list[str], list[str]]:
    """(what a sync consults, what it cannot) for this gateway, in words for the user."""
    consulted, missing = [], []
    if isinstance(gateway, SentSource):
        consulted.append("the gateway's records of every message sent from the account")
    else:
        missing.append(
            "messages sent by other systems (this provider has no call listing sent messages)"
        )
    if isinstance(gateway, WindowInbound | QueueInbound):
        consulted.append("inbound messages")
    else:
        missing.append("inbound messages (this provider has no call for them)")
    if _queued_reports(gateway):
        consulted.append("the delivery report queue")
    return consulted, missing


def _queued_reports(gateway: object) -> bool:
    """The gateway declares queued delivery reports (report_mode) and can pull them."""
    from smscli.reporting import as_queue

    return as_queue(gateway) is not None


def sync(
    gateway: object,
    store: AccountStore,
    *,
    profile: str,
    provider: str,
    since: datetime,
    sent: bool = True,
    inbound: bool = True,
    options: Options | None = None,
) -> SyncResult:
    opts = options or Options()
    result = SyncResult()
    result.consulted, result.not_consulted = capabilities(gateway)
    if sent and isinstance(gateway, SentSource):
        _sync_sent(gateway, store, profile, provider, since, opts, result)
    if inbound and isinstance(gateway, WindowInbound):
        _sync_mo(gateway, store, profile, provider, since, opts, result)
    elif inbound and isinstance(gateway, QueueInbound):
        _drain_inbound(gateway, store, profile, provider, opts, result)
    if sent and opts.drain_reports and _queued_reports(gateway):
        result.reports = _drain_reports(gateway, store, provider, opts)
    return result


# -- windows ---------------------------------------------------------------------------------


def split(start: datetime, end: datetime, span: timedelta) -> list[tuple[datetime, datetime]]:
    """[start, end) in consecutive windows of at most `span`, oldest first."""
    windows = []
    while start < end:
        stop = min(end, start + span)
        windows.append((start, stop))
        start = stop
    return windows


def plan(
    state: SyncState,
    start: datetime,
    end: datetime,
    span: timedelta,
    refresh_from: datetime | None = None,
) -> list[tuple[datetime, datetime]]:
    """The windows still to fetch to cover [start, end): before the covered span (newest
    first, so coverage stays contiguous), then from its end (less the overlap, or back to
    `refresh_from`) to `end`, oldest first."""
    lo, hi = state.covered_from, state.covered_until
    if lo is None or hi is None or start > hi or end < lo:
        return split(start, end, span)
    windows = list(reversed(split(start, lo, span))) if start < lo else []
    tail = hi - OVERLAP
    if refresh_from is not None:
        tail = min(tail, refresh_from)
    return windows + split(max(tail, start), end, span)


def covered(state: SyncState, window: tuple[datetime, datetime]) -> SyncState:
    """The state once `window` is fully fetched: the covered span grows to include it when they
    touch; a window apart from it (an old span left behind) replaces it when newer."""
    a, b = window
    lo, hi = state.covered_from, state.covered_until
    if lo is None or hi is None or b < lo or a > hi:
        if hi is not None and b <= hi:
            return replace(state, cursor=None)
        return replace(state, covered_from=a, covered_until=b, cursor=None)
    return replace(state, covered_from=min(lo, a), covered_until=max(hi, b), cursor=None)


def _whole_seconds(value: datetime, *, up: bool = False) -> datetime:
    """Windows are sent to the second: round the end up so that a message of this very second
    is inside it, and the start down."""
    whole = value.replace(microsecond=0)
    return whole + timedelta(seconds=1) if up and whole != value else whole


# -- calls -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Pace:
    """Once the gateway has said "too frequent", the next calls of that kind are spaced
    `interval` apart up front, rather than each meeting -15 before its wait."""

    interval: float
    limited: bool = False
    last: float | None = None  # time.monotonic() of the last call

    def before(self, what: str, opts: Options) -> None:
        if not self.limited or self.last is None:
            return
        pause = self.interval - (time.monotonic() - self.last)
        if pause > 0:
            if opts.on_wait is not None:
                opts.on_wait(pause, f"{what}: one call per {self.interval:.0f} s, as the gateway"
                             " asked")
            opts.sleep(pause)


def call(fn: Callable[[], Any], what: str, opts: Options, pace: Pace | None = None) -> Any:
    """One read with its waits: -15 slept out (or raised as RateLimited), network faults and
    server errors retried a few times (reads are idempotent), anything else raised. With
    `pace`, calls after a -15 are spaced out before they are made."""
    waits = failures = 0
    while True:
        try:
            if pace is not None:
                pace.before(what, opts)
            try:
                return fn()
            finally:
                if pace is not None:
                    pace.last = time.monotonic()
        except GatewayError as exc:
            if exc.kind is ErrorKind.RATE:
                if pace is not None:
                    pace.limited = True
                if not opts.wait or waits >= MAX_RATE_WAITS:
                    raise RateLimited(exc) from None
                waits += 1
                pause = exc.retry_after if exc.retry_after is not None else opts.rate_wait
                if opts.on_wait is not None:
                    opts.on_wait(pause, f"{what}: the gateway says too frequent")
                opts.sleep(pause)
                if pace is not None:
                    pace.last = None  # just waited: no second pause before the retry
                continue
            if exc.kind is not ErrorKind.SERVER or failures >= NETWORK_RETRIES - 1:
                raise
            failures += 1
        except NetworkError as exc:
            if failures >= NETWORK_RETRIES - 1:
                raise
            failures += 1
            pause = exc.retry_after if exc.retry_after is not None else 0.5 * 2**failures
            if opts.on_wait is not None:
                opts.on_wait(pause, f"{what}: {exc.message}")
            opts.sleep(pause)


# -- getSentRcd ------------------------------------------------------------------------------


def _sync_sent(
    gateway: SentSource,
    store: AccountStore,
    profile: str,
    provider: str,
    since: datetime,
    opts: Options,
    result: SyncResult,
) -> None:
    end = _whole_seconds(opts.clock(), up=True)
    since = _whole_seconds(since)
    floor = _whole_seconds(end - SENT_HISTORY, up=True)
    if since < floor:
        result.clamped = floor
        since = floor
    state = store.state(profile, "sent")
    progress = result.sent
    pace = Pace(opts.rate_wait)
    if state.cursor is not None:
        cursor = state.cursor
        if cursor.start >= floor:
            state = _sent_window(gateway, store, profile, provider, state,
                                 (cursor.start, cursor.end), cursor.index, opts, progress, pace)
        else:
            state = replace(state, cursor=None)  # the gateway no longer has it
    refresh = (
        store.oldest_pending(profile, max(since, end - PENDING_LOOKBACK))
        if opts.refresh_pending
        else None
    )
    for window in plan(state, since, end, SENT_SPAN, refresh):
        state = _sent_window(
            gateway, store, profile, provider, state, window, 0, opts, progress, pace
        )
    store.put_state(replace(state, last_success=end, last_error=None))


def _sent_window(
    gateway: SentSource,
    store: AccountStore,
    profile: str,
    provider: str,
    state: SyncState,
    window: tuple[datetime, datetime],
    index: int,
    opts: Options,
    progress: Progress,
    pace: Pace,
) -> SyncState:
    start, end = window
    progress.window = window
    while True:
        page: SentPage = call(
            functools.partial(gateway.get_sent_records, start, end, start_index=index),
            "getSentRcd",
            opts,
            pace,
        )
        progress.calls += 1
        count = len(page.records)
        more = _more(page, index, count)
        if more:
            state = replace(state, cursor=Cursor(start, end, index + count))
        else:
            state = covered(state, window)
        store.save_sent(page.records, provider=provider, profile=profile, state=state)
        progress.records += count
        if opts.on_progress is not None:
            opts.on_progress(progress)
        if not more:
            return state
        index += count


def _more(page: SentPage, index: int, count: int) -> bool:
    """Whether the window has records after this page. The gateway's success + fail may
    count the window (then it says) or only this page (then only a full page of 50,000
    means more): either reading is honoured, so no record is missed and, when the count is
    the window's, no empty page is asked for."""
    if count == 0:
        return False
    total = page.total
    if total is not None and total > index + count:
        return True
    return count >= MAX_SENT_PAGE and (total is None or total == count)


# -- recordMo --------------------------------------------------------------------------------


def _sync_mo(
    gateway: WindowInbound,
    store: AccountStore,
    profile: str,
    provider: str,
    since: datetime,
    opts: Options,
    result: SyncResult,
) -> None:
    from smscli.gateways.v3_records import MO_EARLIEST

    end = _whole_seconds(opts.clock(), up=True)
    since = max(_whole_seconds(since), MO_EARLIEST)
    state = store.state(profile, "inbound")
    progress = result.inbound
    if state.cursor is not None:
        cursor = state.cursor
        state = _mo_window(gateway, store, profile, provider, state,
                           (cursor.start, cursor.end), max(1, cursor.index), opts, progress)
    for window in plan(state, since, end, MO_SPAN):
        state = _mo_window(gateway, store, profile, provider, state, window, 1, opts, progress)
    store.put_state(replace(state, last_success=end, last_error=None))


def _mo_window(
    gateway: WindowInbound,
    store: AccountStore,
    profile: str,
    provider: str,
    state: SyncState,
    window: tuple[datetime, datetime],
    current: int,
    opts: Options,
    progress: Progress,
) -> SyncState:
    start, end = window
    progress.window = window
    while True:
        page: InboundPage = call(
            functools.partial(gateway.get_inbound, start, end, current=current, size=MO_PAGE),
            "recordMo",
            opts,
        )
        progress.calls += 1
        more = bool(page.records) and page.current < page.pages
        state = (
            replace(state, cursor=Cursor(start, end, current + 1))
            if more
            else covered(state, window)
        )
        store.save_inbound(page.records, provider=provider, profile=profile, state=state,
                           store_content=opts.store_content)
        progress.records += len(page.records)
        if opts.on_progress is not None:
            opts.on_progress(progress)
        if not more:
            return state
        current += 1


# -- mobset queues ---------------------------------------------------------------------------


def _drain_inbound(
    gateway: QueueInbound,
    store: AccountStore,
    profile: str,
    provider: str,
    opts: Options,
    result: SyncResult,
) -> None:
    """SmsGetRecv until it comes back empty or brings nothing new (a queue that hands the
    same messages out again is not pulled forever: issue 10's rule for the report queue),
    paced like SmsGetReport, each batch saved before the next call: a message it hands out
    may exist nowhere else."""
    from smscli import reporting

    progress = result.inbound
    state = store.state(profile, "inbound")
    for pull in range(MAX_PULLS):
        if pull:
            opts.sleep(reporting.PULL_PACE)
        batch: tuple[Inbound, ...] = call(gateway.pull_inbound, "SmsGetRecv", opts)
        progress.calls += 1
        if not batch:
            break
        try:
            added = store.save_inbound(batch, provider=provider, profile=profile, state=None,
                                       store_content=opts.store_content)
        except KeyboardInterrupt:
            # The write was rolled back, and the gateway will not hand these out again.
            store.save_inbound(batch, provider=provider, profile=profile, state=None,
                               store_content=opts.store_content)
            raise
        progress.records += added
        if opts.on_progress is not None:
            opts.on_progress(progress)
        if not added:
            break
    end = opts.clock()
    store.put_state(replace(state, covered_until=end, last_success=end, last_error=None))


def _drain_reports(gateway: object, store: AccountStore, provider: str, opts: Options) -> int:
    from smscli.reporting import as_queue, drain_queue

    source = as_queue(gateway)
    if source is None:
        return 0
    history = store.store
    drained = drain_queue(
        source, lambda reports: history.record_reports(reports, provider=provider),
        sleep=opts.sleep,
    )
    return drained.reports
