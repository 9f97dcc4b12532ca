"""The time windows a sync asks the gateway for: [start, end) cut into spans the API accepts,
and what is still to fetch given the span already covered (sync_state)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from smscli.history.support import SyncState

# How far a sync fetches again into what it covered before (records arriving late).
OVERLAP: Final = timedelta(minutes=10)


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


def whole_seconds(value: datetime, *, up: bool = False) -> datetime:
    """Windows are sent to the second: round the end up so that a message of this very second
    is inside it, and the start down."""
    whole = value.replace(microsecond=0)
    return whole + timedelta(seconds=1) if up and whole != value else whole
