"""run_chunks refills a slot between two answers that came in together (the second one's
journalling takes milliseconds with the history on), without breaking the journal's order:
each chunk journalled before it leaves, every answer of the batch journalled before any of
its rows, no new request once an answer that stops the run is in, and none before the rows of
the batch's last answer are written.

Two answers in one batch are made deterministic by letting the runner's first wait() return
only when every request in flight has answered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import pytest

from smscli import sending
from smscli.errors import ErrorKind, GatewayError, NetworkError, OutputError
from smscli.gateways.base import SendResult, Submitted
from smscli.jobs.plan import chunked
from smscli.model import Chunk, ChunkOutcome, ChunkState, RunResult
from smscli.retry import RetryPolicy

ONCE = RetryPolicy(attempts=1, base_delay=0.0, max_delay=0.0)


class Log:
    """What happened, in order, from every thread."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def add(self, what: str, index: int) -> None:
        with self._lock:
            self.events.append((what, index))

    def at(self, what: str, index: int) -> int:
        return self.events.index((what, index))


class Journal:
    def __init__(self, log: Log) -> None:
        self.log = log

    def before(self, chunk: Chunk) -> None:
        self.log.add("before", chunk.index)

    def after(self, outcome: ChunkOutcome) -> None:
        self.log.add("after", outcome.chunk.index)


@pytest.fixture
def first_wait_takes_all(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The runner's first wait() returns once every request in flight is done: its two
    answers come in one batch, accepted ones first (the order where refilling early could
    go wrong)."""
    real = futures.wait
    calls = [0]

    def wait(fs: Any, timeout: float | None = None, return_when: str = "") -> Any:
        calls[0] += 1
        if calls[0] == 1:
            done, not_done = real(fs, timeout=timeout)  # ALL_COMPLETED
            late = sorted(done, key=lambda f: f.result().state is not ChunkState.ACCEPTED)
            return late, not_done
        return real(fs, timeout=timeout, return_when=return_when)

    monkeypatch.setattr(sending, "wait", wait)
    yield


def numbers(count: int) -> list[str]:
    return [str(447000000001 + i) for i in range(count)]


def run(
    log: Log,
    send: Any,
    *,
    count: int = 5,
    show: Any = None,
) -> RunResult:
    def rows(outcome: ChunkOutcome) -> None:
        log.add("rows", outcome.chunk.index)
        if show is not None:
            show(outcome)

    return sending.run_chunks(
        chunked(numbers(count), 1), send, concurrency=2, journal=Journal(log),
        on_outcome=rows, retry=ONCE,
    )


def logged_ok(log: Log) -> Any:
    def send(chunk: Chunk) -> SendResult:
        log.add("send", chunk.index)
        subs = tuple(Submitted(n, f"id{n}") for n in chunk.numbers)
        return SendResult(subs, len(subs), 0)

    return send


def test_a_slot_is_refilled_between_two_answers_in_the_order_the_journal_needs(
    first_wait_takes_all: None,
) -> None:
    log = Log()
    result = run(log, logged_ok(log))
    assert [o.state for o in result.outcomes] == [ChunkState.ACCEPTED] * 5
    # The batch of chunks 0 and 1 (in either order): request 2 was journalled and started
    # after the first answer was journalled and before the second one was.
    first, second = sorted((log.at("after", 0), log.at("after", 1)))
    assert first < log.at("before", 2) < second
    # ...and every answer of the batch was journalled before any of its rows.
    assert second < min(log.at("rows", 0), log.at("rows", 1))
    # Every chunk journalled before it left; every answer journalled before its row.
    for i in range(5):
        assert log.at("before", i) < log.at("send", i)
        assert log.at("after", i) < log.at("rows", i)


@pytest.mark.parametrize(
    "error",
    [
        NetworkError("timeout", maybe_processed=True),  # unknown
        GatewayError("no balance", code="-10", kind=ErrorKind.BALANCE),
    ],
)
@pytest.mark.parametrize("failing", [0, 1])
def test_no_refill_between_answers_when_one_of_them_stops_the_run(
    first_wait_takes_all: None, error: Exception, failing: int
) -> None:
    # The accepted answer is taken first (see first_wait_takes_all), whichever chunk failed.
    log = Log()
    ok = logged_ok(log)

    def send(chunk: Chunk) -> SendResult:
        if chunk.index == failing:
            log.add("send", failing)
            raise error
        return ok(chunk)  # type: ignore[no-any-return]

    result = run(log, send)
    # Whichever of the two answers is journalled first, no third request starts.
    assert ("before", 2) not in log.events and ("send", 2) not in log.events
    assert [o.state for o in result.outcomes[2:]] == [ChunkState.NOT_SENT] * 3


def test_no_request_after_the_rows_of_a_batch_could_not_be_written(
    first_wait_takes_all: None,
) -> None:
    # The refill between the two answers happens before their rows; once the rows fail, no
    # request starts (the one already started is answered and journalled).
    log = Log()

    def closed(outcome: ChunkOutcome) -> None:
        raise OutputError("stdout is closed")

    result = run(log, logged_ok(log), show=closed)
    assert result.output_error is not None
    started = [i for what, i in log.events if what == "send"]
    assert sorted(started) == [0, 1, 2]
    assert ("after", 2) in log.events
    assert [o.state for o in result.outcomes[3:]] == [ChunkState.NOT_SENT] * 2


def test_no_refill_between_answers_under_a_rate_limit(first_wait_takes_all: None) -> None:
    # Waiting for the rate limiter there would hold the second answer's journalling back.
    log = Log()
    sleeps: list[float] = []
    limiter = sending.RateLimiter(1000.0, sleep=sleeps.append)
    result = sending.run_chunks(
        chunked(numbers(5), 1), logged_ok(log), concurrency=2, journal=Journal(log),
        on_outcome=lambda o: log.add("rows", o.chunk.index), retry=ONCE, rate=limiter,
    )
    assert [o.state for o in result.outcomes] == [ChunkState.ACCEPTED] * 5
    assert max(log.at("after", 0), log.at("after", 1)) < log.at("before", 2)
    assert max(log.at("rows", 0), log.at("rows", 1)) < log.at("before", 2)
