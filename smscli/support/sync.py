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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final, Protocol, runtime_checkable

from smscli.gateways.records import Inbound, InboundPage, SentPage
from smscli.history.support import AccountStore, Cursor, SyncState
from smscli.support.calls import Options, Pace, Progress, call
from smscli.support.windows import covered, plan, whole_seconds

SENT_SPAN: Final = timedelta(days=31)
# The platform keeps 90 days; stay a little inside so a slow clock never asks for day 91.
SENT_HISTORY: Final = timedelta(days=90) - timedelta(minutes=10)
MAX_SENT_PAGE: Final = 50_000
MO_SPAN: Final = timedelta(days=28)
MO_PAGE: Final = 100
# How far back a sync looks again for records whose state may still change.
PENDING_LOOKBACK: Final = timedelta(days=3)
# SmsGetRecv calls per drain, as for the report queue (reporting.MAX_PULLS).
MAX_PULLS: Final = 200

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
class SyncResult:
    sent: Progress = field(default_factory=lambda: Progress("sent"))
    inbound: Progress = field(default_factory=lambda: Progress("inbound"))
    reports: int = 0
    # What the gateway can be asked, and what it cannot (told to the user by `lookup`).
    consulted: list[str] = field(default_factory=list)
    not_consulted: list[str] = field(default_factory=list)
    clamped: datetime | None = None  # `since` was older than the gateway keeps: started here


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
    from smscli.reporting.drain import as_queue

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
    end = whole_seconds(opts.clock(), up=True)
    since = whole_seconds(since)
    floor = whole_seconds(end - SENT_HISTORY, up=True)
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

    end = whole_seconds(opts.clock(), up=True)
    since = max(whole_seconds(since), MO_EARLIEST)
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
    from smscli.reporting import drain

    progress = result.inbound
    state = store.state(profile, "inbound")
    for pull in range(MAX_PULLS):
        if pull:
            opts.sleep(drain.PULL_PACE)
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
    from smscli.reporting.drain import as_queue, drain_queue

    source = as_queue(gateway)
    if source is None:
        return 0
    history = store.store
    drained = drain_queue(
        source, lambda reports: history.record_reports(reports, provider=provider),
        sleep=opts.sleep,
    )
    return drained.reports
