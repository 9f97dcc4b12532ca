"""Reads from a gateway (getReport, getBalance, report queue pulls) are idempotent, so unlike
a send every failure worth a second try gets one: the retry rule they share."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from smscli.errors import ErrorKind, GatewayError, NetworkError, SmsCliError
from smscli.retry import RetryPolicy

T = TypeVar("T")

QUERY_RETRY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=10.0)

Clock = Callable[[], float]
Sleep = Callable[[float], None]
# Called before each retry with the error, the attempt that failed (1-based) and the pause.
OnRetry = Callable[[SmsCliError, int, float], None]


def retryable(exc: SmsCliError) -> bool:
    """Worth asking again: no usable answer, too many requests, or a server-side failure.
    Auth, input and clock errors would only repeat."""
    if isinstance(exc, NetworkError):
        return True
    return isinstance(exc, GatewayError) and exc.kind in (ErrorKind.RATE, ErrorKind.SERVER)


def call_with_retry(
    fn: Callable[[], T],
    retry: RetryPolicy = QUERY_RETRY,
    *,
    sleep: Sleep = time.sleep,
    on_retry: OnRetry | None = None,
) -> T:
    """`fn()` with up to `retry.attempts` tries, for idempotent reads only (getReport,
    getBalance): exponential backoff with jitter, or the gateway's Retry-After."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except SmsCliError as exc:
            if attempt >= retry.attempts or not retryable(exc):
                raise
            pause = retry.delay(attempt, getattr(exc, "retry_after", None))
            if on_retry is not None:
                on_retry(exc, attempt, pause)
            sleep(pause)
