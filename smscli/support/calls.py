"""One read of the account's records, with its waits: -15 "too frequent" slept out (or raised
as RateLimited when the caller will not wait), network faults and server errors retried a
few times (reads are idempotent), and calls after a -15 spaced out up front (Pace)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from smscli.errors import ErrorKind, GatewayError, NetworkError, SmsCliError
from smscli.history.db import now

RATE_WAIT: Final = 61.0
MAX_RATE_WAITS: Final = 5
NETWORK_RETRIES: Final = 3

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


@dataclass(slots=True)
class Progress:
    kind: str  # sent | inbound
    records: int = 0
    calls: int = 0
    window: tuple[datetime, datetime] | None = None


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
