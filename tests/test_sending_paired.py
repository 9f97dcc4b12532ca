"""run_chunks with a PairedJournal: an answer is journalled together with the `before` of the
request that takes its slot (one history commit instead of two), and the safety rules stay:
every request journalled before it leaves, every answer before its rows, nothing started
after an answer that stops the run, and a request journalled with an answer but never sent
(the run stopped in between) journalled again as not sent."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from smscli.errors import NetworkError, OutputError, SmsCliError
from smscli.gateways.base import SendResult, Submitted
from smscli.jobs.plan import chunked
from smscli.model import Chunk, ChunkOutcome, ChunkState
from smscli.retry import RetryPolicy
from smscli.sending import PairedJournal, run_chunks

ONCE = RetryPolicy(attempts=1, base_delay=0.0, max_delay=0.0)


class Log:
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def add(self, what: str, index: int) -> None:
        with self._lock:
            self.events.append((what, index))

    def at(self, what: str, index: int) -> int:
        return self.events.index((what, index))

    def of(self, what: str) -> list[int]:
        return [i for w, i in self.events if w == what]


class Paired:
    """A PairedJournal that logs: `before`, `after`, and a pair as `after` then `before`."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.pairs: list[tuple[int, int]] = []
        self.states: dict[int, ChunkState] = {}
        self.fail_pair_before: int | None = None  # the chunk whose `before` fails in a pair
        self.fail_pair: int | None = None  # the answer a pair cannot record

    def before(self, chunk: Chunk) -> None:
        self.log.add("before", chunk.index)

    def after(self, outcome: ChunkOutcome) -> None:
        self.log.add("after", outcome.chunk.index)
        self.states[outcome.chunk.index] = outcome.state

    def after_and_before(self, outcome: ChunkOutcome, chunk: Chunk) -> SmsCliError | None:
        if outcome.chunk.index == self.fail_pair:
            raise SmsCliError("disk full")
        if chunk.index == self.fail_pair_before:
            self.after(outcome)
            return SmsCliError("cannot record request before sending it")
        self.pairs.append((outcome.chunk.index, chunk.index))
        self.after(outcome)
        self.before(chunk)
        return None


def numbers(count: int) -> list[str]:
    return [str(447000000001 + i) for i in range(count)]


def sender(log: Log, fail: int | None = None) -> Callable[[Chunk], SendResult]:
    def send(chunk: Chunk) -> SendResult:
        log.add("sent", chunk.index)
        if chunk.index == fail:
            raise NetworkError("cut", maybe_processed=True)
        subs = tuple(Submitted(n, f"m{n}") for n in chunk.numbers)
        return SendResult(subs, len(subs), 0)

    return send


def test_a_paired_journal_is_one() -> None:
    assert isinstance(Paired(Log()), PairedJournal)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_each_answer_is_journalled_with_the_next_request_before_it_leaves(
    concurrency: int,
) -> None:
    log = Log()
    journal = Paired(log)
    run = run_chunks(
        chunked(numbers(20), 2), sender(log), concurrency=concurrency, journal=journal,
        on_outcome=lambda o: log.add("row", o.chunk.index), retry=ONCE,
    )
    assert [o.state for o in run.outcomes] == [ChunkState.ACCEPTED] * 10
    assert sorted(log.of("before")) == list(range(10)) and sorted(log.of("sent")) == list(
        range(10)
    )
    assert sorted(log.of("after")) == list(range(10))
    for i in range(10):
        assert log.at("before", i) < log.at("sent", i) < log.at("after", i) < log.at("row", i)
    # The first `concurrency` requests start alone; every later one with an answer.
    assert [j for _, j in journal.pairs] == list(range(concurrency, 10))


def test_an_answer_that_stops_the_run_is_never_paired() -> None:
    log = Log()
    journal = Paired(log)
    run = run_chunks(
        chunked(numbers(10), 2), sender(log, fail=1), concurrency=1, journal=journal,
        retry=ONCE,
    )
    assert journal.pairs == [(0, 1)]  # 1's answer (unknown) took no request with it
    assert log.of("sent") == [0, 1]
    assert journal.states == {0: ChunkState.ACCEPTED, 1: ChunkState.UNKNOWN}
    assert [o.state for o in run.outcomes][2:] == [ChunkState.NOT_SENT] * 3


def test_a_request_its_pair_cannot_record_never_leaves_and_the_answer_is_kept() -> None:
    log = Log()
    journal = Paired(log)
    journal.fail_pair_before = 2
    run = run_chunks(
        chunked(numbers(10), 2), sender(log), concurrency=1, journal=journal, retry=ONCE
    )
    assert log.of("sent") == [0, 1]
    assert journal.states == {0: ChunkState.ACCEPTED, 1: ChunkState.ACCEPTED}
    assert run.stopped_by is not None and run.stopped_by.history
    third = run.outcomes[2]
    assert third.state is ChunkState.NOT_SENT and third.error == run.stopped_by
    assert [o.state for o in run.outcomes][3:] == [ChunkState.NOT_SENT] * 2
    assert not run.unrecorded


def test_an_answer_its_pair_cannot_record_stops_the_run_and_its_request_stays_unsent() -> None:
    log = Log()
    journal = Paired(log)
    journal.fail_pair = 1
    run = run_chunks(
        chunked(numbers(10), 2), sender(log), concurrency=1, journal=journal, retry=ONCE
    )
    assert log.of("sent") == [0, 1]
    assert [o.chunk.index for o in run.unrecorded] == [1]
    assert run.journal_error is not None and run.journal_error.history
    assert [o.state for o in run.outcomes] == [ChunkState.ACCEPTED] * 2 + [
        ChunkState.NOT_SENT
    ] * 3
    assert 2 not in log.of("before")  # never recorded as sending: nothing to undo


def test_a_request_journalled_with_an_answer_whose_rows_fail_is_journalled_not_sent() -> None:
    # The rows of answer 0 cannot be written: the run stops before request 1, journalled
    # `sending` with that answer, leaves; the journal then says it was not sent.
    log = Log()
    journal = Paired(log)

    def show(outcome: ChunkOutcome) -> None:
        raise OutputError("no space left on the device")

    run = run_chunks(
        chunked(numbers(10), 2), sender(log), concurrency=1, journal=journal,
        on_outcome=show, retry=ONCE,
    )
    assert run.output_error is not None
    assert journal.pairs == [(0, 1)] and log.of("sent") == [0]
    assert journal.states == {0: ChunkState.ACCEPTED, 1: ChunkState.NOT_SENT}
    assert [o.state for o in run.outcomes] == [ChunkState.ACCEPTED] + [ChunkState.NOT_SENT] * 4
    assert [o.chunk.index for o in run.outcomes] == list(range(5))


def test_a_signal_after_a_pair_journals_its_request_not_sent() -> None:
    log = Log()
    journal = Paired(log)

    def show(outcome: ChunkOutcome) -> None:
        raise KeyboardInterrupt

    run = run_chunks(
        chunked(numbers(10), 2), sender(log), concurrency=1, journal=journal,
        on_outcome=show, retry=ONCE,
    )
    assert run.interrupted
    assert journal.pairs == [(0, 1)] and log.of("sent") == [0]
    assert journal.states == {0: ChunkState.ACCEPTED, 1: ChunkState.NOT_SENT}
    assert log.of("after") == [0, 1]  # each once
    assert [o.state for o in run.outcomes] == [ChunkState.ACCEPTED] + [ChunkState.NOT_SENT] * 4


def test_a_source_that_fails_while_pairing_loses_no_answer() -> None:
    log = Log()
    journal = Paired(log)

    def source() -> Iterator[Chunk]:
        yield Chunk(0, ["447000000001"])
        raise ValueError("the plan broke")

    with pytest.raises(ValueError, match="the plan broke"):
        run_chunks(source(), sender(log), concurrency=1, journal=journal, retry=ONCE)
    assert log.of("sent") == [0] and journal.states == {0: ChunkState.ACCEPTED}
