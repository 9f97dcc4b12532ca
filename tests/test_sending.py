"""The chunk runner: bounded concurrency, pacing, stop rules, and never a blind resend."""

from __future__ import annotations

import threading
import time

import pytest

from smscli.errors import ErrorKind, GatewayError, NetworkError
from smscli.gateways.base import SendResult, Submitted
from smscli.jobs.plan import chunked
from smscli.model import Chunk, ChunkState, RunResult, Tally
from smscli.retry import RetryPolicy
from smscli.rows import rows_for
from smscli.sending import (
    RateLimiter,
    attempt_chunk,
    provably_unsent,
    run_chunks,
)


def rows_of(run: RunResult) -> list[dict[str, object]]:
    return [row for outcome in run.outcomes for row in rows_for(outcome)]


NO_WAIT = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)


def ok(chunk: Chunk) -> SendResult:
    subs = tuple(Submitted(n, f"id{n}") for n in chunk.numbers)
    return SendResult(subs, len(subs), 0)


def test_chunked_sizes_and_order_ids() -> None:
    chunks = list(chunked([str(i) for i in range(2500)], 1000, [f"o{i}" for i in range(2500)]))
    assert [len(c.numbers) for c in chunks] == [1000, 1000, 500]
    assert [c.index for c in chunks] == [0, 1, 2]
    assert chunks[2].order_ids is not None and chunks[2].order_ids[0] == "o2000"
    assert list(chunked([], 10)) == []


@pytest.mark.parametrize(
    ("exc", "unsent"),
    [
        (NetworkError("refused", maybe_processed=False), True),
        (NetworkError("timeout", maybe_processed=True), False),
        (GatewayError("-15", code="-15", kind=ErrorKind.RATE), True),
        (GatewayError("-16", code="-16", kind=ErrorKind.CLOCK), True),
        (GatewayError("-10", code="-10", kind=ErrorKind.BALANCE), False),
        (GatewayError("-18", code="-18", kind=ErrorKind.SERVER), False),
    ],
)
def test_only_provably_unsent_errors_are_retryable(exc: Exception, unsent: bool) -> None:
    assert provably_unsent(exc) is unsent  # type: ignore[arg-type]


def test_attempt_retries_connect_errors_then_succeeds() -> None:
    calls: list[int] = []

    def flaky(chunk: Chunk) -> SendResult:
        calls.append(1)
        if len(calls) < 3:
            raise NetworkError("refused", maybe_processed=False)
        return ok(chunk)

    outcome = attempt_chunk(Chunk(0, ["111111"]), flaky, NO_WAIT, sleep=lambda s: None)
    assert outcome.state is ChunkState.ACCEPTED and outcome.attempts == 3


def test_attempt_never_retries_a_maybe_processed_request() -> None:
    calls: list[int] = []

    def lost(chunk: Chunk) -> SendResult:
        calls.append(1)
        raise NetworkError("reset", maybe_processed=True)

    outcome = attempt_chunk(Chunk(0, ["111111"]), lost, NO_WAIT, sleep=lambda s: None)
    assert outcome.state is ChunkState.UNKNOWN and len(calls) == 1


def test_attempt_gives_up_after_the_bounded_attempts() -> None:
    def refused(chunk: Chunk) -> SendResult:
        raise NetworkError("refused", maybe_processed=False)

    outcome = attempt_chunk(Chunk(0, ["111111"]), refused, NO_WAIT, sleep=lambda s: None)
    assert outcome.state is ChunkState.NOT_SENT and outcome.attempts == 3


def test_retry_after_is_honoured() -> None:
    slept: list[float] = []
    calls: list[int] = []

    def limited(chunk: Chunk) -> SendResult:
        calls.append(1)
        if len(calls) == 1:
            raise GatewayError("429", kind=ErrorKind.RATE, retry_after=2.5)
        return ok(chunk)

    attempt_chunk(Chunk(0, ["111111"]), limited, RetryPolicy(), sleep=slept.append)
    assert slept == [2.5]


def test_concurrency_is_bounded_and_every_chunk_sent_once() -> None:
    lock = threading.Lock()
    active, peak, seen = [0], [0], []

    def slow(chunk: Chunk) -> SendResult:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
            seen.append(chunk.index)
        time.sleep(0.01)
        with lock:
            active[0] -= 1
        return ok(chunk)

    chunks = chunked([str(100000 + i) for i in range(100)], 5)
    run = run_chunks(chunks, slow, concurrency=3)
    assert peak[0] == 3
    assert sorted(seen) == list(range(20))
    assert [o.chunk.index for o in run.outcomes] == list(range(20))
    assert Tally.of(run.outcomes).accepted == 100


def test_auth_error_stops_new_chunks_and_reports_the_rest_not_sent() -> None:
    def denied(chunk: Chunk) -> SendResult:
        raise GatewayError("auth", code="-1", kind=ErrorKind.AUTH)

    run = run_chunks(chunked([str(100000 + i) for i in range(50)], 5), denied, concurrency=1)
    states = [o.state for o in run.outcomes]
    # Refused before processing: counted rejected, resumable with --resend-refused.
    assert states[0] is ChunkState.REFUSED
    assert set(states[1:]) == {ChunkState.NOT_SENT}
    assert run.stopped_by is not None and run.stopped_by.exit_code == 5
    t = Tally.of(run.outcomes)
    assert (t.rejected, t.refused, t.not_sent, t.requests) == (5, 5, 45, 1)


def test_unknown_outcome_stops_the_run() -> None:
    calls: list[int] = []

    def second_lost(chunk: Chunk) -> SendResult:
        calls.append(chunk.index)
        if chunk.index == 1:
            raise NetworkError("reset", maybe_processed=True)
        return ok(chunk)

    run = run_chunks(chunked([str(100000 + i) for i in range(30)], 10), second_lost,
                     concurrency=1)
    assert [o.state for o in run.outcomes] == [ChunkState.ACCEPTED, ChunkState.UNKNOWN,
                                               ChunkState.NOT_SENT]
    assert calls == [0, 1]


def test_rows_mark_left_out_numbers_rejected_and_unknown_as_none() -> None:
    def partial(chunk: Chunk) -> SendResult:
        if chunk.index == 1:
            raise NetworkError("reset", maybe_processed=True)
        subs = (Submitted(chunk.numbers[0], "m0"),)
        return SendResult(subs, 1, len(chunk.numbers) - 1)

    run = run_chunks(chunked(["111111", "222222", "333333", "444444"], 2), partial,
                     concurrency=1)
    rows = list(rows_of(run))
    assert [(r["number"], r["outcome"]) for r in rows] == [
        ("111111", "accepted"), ("222222", "rejected"), ("333333", "unknown"),
        ("444444", "unknown")]
    assert rows[0]["msg_id"] == "m0"
    assert str(rows[2]["error"]).startswith("outcome unknown")


def test_rate_limiter_spaces_request_starts() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limiter.acquire()
    assert slept == pytest.approx([0.25, 0.25, 0.25, 0.25])
    now[0] += 10  # idle time does not bank a burst
    limiter.acquire()
    limiter.acquire()
    assert slept[-1] == pytest.approx(0.25)
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_run_chunks_paces_with_the_limiter() -> None:
    # A virtual clock that only sleeping advances: the spacing is checked exactly, whatever
    # the load on the machine (no timed assertion).
    now = [0.0]
    starts: list[float] = []

    def sleep(seconds: float) -> None:
        now[0] += seconds

    class Recording(RateLimiter):
        def acquire(self) -> None:
            super().acquire()
            starts.append(now[0])

    run_chunks(chunked([str(100000 + i) for i in range(4)], 1), ok, concurrency=4,
               rate=Recording(20.0, clock=lambda: now[0], sleep=sleep))
    assert starts == pytest.approx([0.0, 0.05, 0.10, 0.15])


def test_refusals_outlasting_the_retries_leave_the_chunk_resumable() -> None:
    def busy(chunk: Chunk) -> SendResult:
        raise GatewayError("too frequent", code="-15", kind=ErrorKind.RATE)

    outcome = attempt_chunk(Chunk(0, ["111111"]), busy, NO_WAIT, sleep=lambda s: None)
    assert outcome.state is ChunkState.NOT_SENT and outcome.attempts == 3
    rows = rows_of(run_chunks([Chunk(0, ["111111"])], busy, retry=NO_WAIT))
    assert rows[0]["outcome"] == "not_sent" and str(rows[0]["error"]).startswith("not sent")
