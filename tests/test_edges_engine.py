"""run_chunks at the edges: rows that can no longer be written, a journal that cannot record an
answer, signals held while an answer is journalled, a second signal during the drain."""

from __future__ import annotations

import threading

import pytest

from smscli import signals
from smscli.errors import ExitCode, OutputClosed, SmsCliError
from smscli.gateways.base import SendResult, Submitted
from smscli.jobs.plan import chunked
from smscli.model import Chunk, ChunkOutcome, ChunkState
from smscli.sending import run_chunks


def numbers(count: int) -> list[str]:
    return [str(447700000000 + i) for i in range(count)]


def ok(chunk: Chunk) -> SendResult:
    subs = tuple(Submitted(n, f"m{n}") for n in chunk.numbers)
    return SendResult(subs, len(subs), 0)


class Journal:
    def __init__(self, fail_after: int | None = None) -> None:
        self.fail_after = fail_after
        self.before_calls: list[int] = []
        self.after_calls: list[tuple[int, ChunkState]] = []

    def before(self, chunk: Chunk) -> None:
        self.before_calls.append(chunk.index)

    def after(self, outcome: ChunkOutcome) -> None:
        if self.fail_after is not None and outcome.chunk.index == self.fail_after:
            raise SmsCliError("disk full")
        self.after_calls.append((outcome.chunk.index, outcome.state))


def test_rows_that_cannot_be_written_stop_the_run_but_every_answer_is_journalled() -> None:
    journal = Journal()
    shown: list[int] = []

    def show(outcome: ChunkOutcome) -> None:
        if shown:
            raise OutputClosed("broken pipe")
        shown.append(outcome.chunk.index)

    run = run_chunks(chunked(numbers(20), 2), ok, concurrency=1, journal=journal, on_outcome=show)
    assert run.output_error is not None and run.output_error.exit_code == ExitCode.OUTPUT_CLOSED
    assert shown == [0]
    started = set(journal.before_calls)
    assert started == {0, 1}  # nothing started once the output was gone
    assert [i for i, _ in journal.after_calls] == [0, 1]
    states = [o.state for o in run.outcomes]
    assert states[:2] == [ChunkState.ACCEPTED] * 2 and set(states[2:]) == {ChunkState.NOT_SENT}


def test_an_answer_the_journal_cannot_take_stops_the_run_and_is_kept_in_the_rows() -> None:
    journal = Journal(fail_after=1)
    shown: list[int] = []
    run = run_chunks(
        chunked(numbers(10), 2), ok, concurrency=1, journal=journal,
        on_outcome=lambda o: shown.append(o.chunk.index),
    )
    assert [o.chunk.index for o in run.unrecorded] == [1]
    assert run.journal_error is not None and run.stopped_by is None
    assert shown == [0, 1]  # the unrecorded answer still reaches the output
    assert journal.before_calls == [0, 1]
    assert run.outcomes[1].state is ChunkState.ACCEPTED


def test_a_signal_while_an_answer_is_journalled_waits_for_the_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGTERM landing inside journal.after: the answer is committed first, then the run stops
    as for Ctrl-C (a KeyboardInterrupt inside the write would have rolled it back)."""
    committed: list[int] = []

    class Slow(Journal):
        def after(self, outcome: ChunkOutcome) -> None:
            if outcome.chunk.index == 1:
                signals._handler(15, None)  # as if SIGTERM arrived right here
            committed.append(outcome.chunk.index)

    monkeypatch.setattr(signals, "_first", [])
    run = run_chunks(chunked(numbers(10), 2), ok, concurrency=1, journal=Slow())
    assert run.interrupted
    assert committed[:2] == [0, 1]
    assert [o.state for o in run.outcomes[:2]] == [ChunkState.ACCEPTED] * 2
    assert signals.first_signal() == 15 and signals.exit_code() == 143


def test_a_second_signal_during_the_drain_still_journals_every_answer_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def held(chunk: Chunk) -> SendResult:
        if chunk.index > 0:
            release.wait(30)
        return ok(chunk)

    recorded: list[int] = []

    class Interrupting(Journal):
        def after(self, outcome: ChunkOutcome) -> None:
            recorded.append(outcome.chunk.index)
            if outcome.chunk.index in (0, 1):
                # Ctrl-C right after answer 0 (requests 1 and 2 in flight), and again while
                # the drain journals answer 1.
                release.set()
                signals._handler(2, None)

    monkeypatch.setattr(signals, "_first", [])
    run = run_chunks(chunked(numbers(8), 2), held, concurrency=3, journal=Interrupting())
    assert run.interrupted
    assert sorted(recorded) == [0, 1, 2]  # each once, none left unknown
    assert len(run.outcomes) == 4
    assert [o.state for o in run.outcomes] == [ChunkState.ACCEPTED] * 3 + [ChunkState.NOT_SENT]


def test_a_repeated_signal_while_the_run_stops_does_not_lose_the_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`timeout` sends SIGTERM to smscli and again to its process group: the repeat lands while
    the run is recording what it stops with. Found by the old-versus-new battery (qa12): the
    repeat escaped run_chunks, so the rows of the numbers not sent, the summary and the resume
    command were lost (the history was right). The repeat must change nothing."""
    from smscli.sending import RateLimiter

    class Repeating(Journal):
        def after(self, outcome: ChunkOutcome) -> None:
            super().after(outcome)
            if outcome.state is ChunkState.NOT_SENT:
                signals._handler(15, None)  # the group's copy of the signal, right here

    def first_signal_while_pacing(_seconds: float) -> None:
        signals._handler(15, None)  # the first SIGTERM, while waiting for the next start

    monkeypatch.setattr(signals, "_first", [])
    monkeypatch.setattr(signals, "_held", [])
    journal = Repeating()
    try:
        run = run_chunks(
            chunked(numbers(10), 2),
            ok,
            concurrency=1,
            journal=journal,
            rate=RateLimiter(1.0, sleep=first_signal_while_pacing),
        )
    except signals.Stopped:  # a KeyboardInterrupt: pytest would stop the whole session
        pytest.fail("the repeated signal escaped run_chunks: the run's result was lost")
    assert run.interrupted
    assert [o.state for o in run.outcomes] == [ChunkState.ACCEPTED] + [ChunkState.NOT_SENT] * 4
    assert journal.after_calls == [(0, ChunkState.ACCEPTED), (1, ChunkState.NOT_SENT)]
    assert signals.exit_code() == 143
    assert signals._held == []  # nothing left to go off later, in the summary


def test_a_repeated_signal_as_the_run_ends_its_pool_does_not_lose_the_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same repeat landing in the run's last steps (the not-sent chunks listed, the thread
    pool shut down), where the battery's traceback showed it."""
    import concurrent.futures.thread as pool_module

    from smscli.sending import RateLimiter

    shutdown = pool_module.ThreadPoolExecutor.shutdown

    def repeat_then_shutdown(self: pool_module.ThreadPoolExecutor, *a: object, **k: object) -> None:
        if signals.first_signal() is not None:
            signals._handler(15, None)
        shutdown(self, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(pool_module.ThreadPoolExecutor, "shutdown", repeat_then_shutdown)
    monkeypatch.setattr(signals, "_first", [])
    monkeypatch.setattr(signals, "_held", [])
    try:
        run = run_chunks(
            chunked(numbers(6), 2),
            ok,
            concurrency=1,
            journal=Journal(),
            rate=RateLimiter(1.0, sleep=lambda _s: signals._handler(15, None)),
        )
    except signals.Stopped:
        pytest.fail("the repeated signal escaped run_chunks: the run's result was lost")
    assert run.interrupted
    assert [o.state for o in run.outcomes] == [ChunkState.ACCEPTED] + [ChunkState.NOT_SENT] * 2
