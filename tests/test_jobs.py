"""The job layer (smscli.jobs) and the shared vocabulary (smscli.model): the text travels in
the chunk for send and batch alike, one request per chunk, one tally, the exit policy."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smscli.errors import ExitCode, GatewayError
from smscli.gateways.base import (
    BatchElement,
    DeliveryStatus,
    PlannedRequest,
    SendResult,
    Submitted,
)
from smscli.jobs.plan import chunked, plan_request, send_chunk
from smscli.jobs.resume import Resend, resume_chunks
from smscli.jobs.run import exit_code
from smscli.model import Chunk, ChunkOutcome, ChunkState, Failure, RunResult, Tally
from smscli.sending import answered


class Recorder:
    """A gateway that records what it was asked to send."""

    name = "recorder"
    max_numbers_per_send = 2

    def __init__(self) -> None:
        self.sends: list[tuple[list[str], str, str | None, Any]] = []
        self.batches: list[list[BatchElement]] = []

    def send(self, numbers: Any, content: str, *, sender_id: Any = None,
             order_ids: Any = None) -> SendResult:
        self.sends.append((list(numbers), content, sender_id, order_ids))
        return SendResult(tuple(Submitted(n, f"id{n}") for n in numbers), len(numbers), 0)

    def send_batch(self, elements: Any) -> SendResult:
        self.batches.append(list(elements))
        numbers = [n for e in elements for n in e.numbers]
        return SendResult(tuple(Submitted(n, f"id{n}") for n in numbers), len(numbers), 0)

    def plan_send(self, numbers: Any, content: str, *, sender_id: Any = None,
                  order_ids: Any = None) -> PlannedRequest:
        return PlannedRequest("POST", "u", {}, {"numbers": ",".join(numbers), "c": content})


def test_a_plain_sends_chunks_carry_the_text_and_go_out_as_a_send() -> None:
    gateway = Recorder()
    chunks = list(chunked(["1", "2", "3"], 2, text="hello", sender="ACME"))
    assert [c.numbers for c in chunks] == [["1", "2"], ["3"]]
    assert all(c.text == "hello" and c.sender == "ACME" for c in chunks)
    send_chunk(gateway, chunks[1])  # type: ignore[arg-type]
    assert gateway.sends == [(["3"], "hello", "ACME", None)] and gateway.batches == []
    assert plan_request(gateway, chunks[0]).body == {"numbers": "1,2", "c": "hello"}  # type: ignore[arg-type]


def _plain(chunks: Any) -> list[tuple[int, list[str], list[str] | None, Any, Any]]:
    return [(c.index, c.numbers, c.order_ids, c.text, c.sender) for c in chunks]


@given(
    st.integers(0, 25),
    st.integers(1, 8),
    st.none() | st.integers(-3, 3),
)
def test_chunked_slices_a_sequence_as_it_walks_an_iterator(
    count: int, size: int, ids_off: int | None
) -> None:
    # A list (or the collector's NumberList) is sliced per request; the result is what the
    # number-by-number walk of any iterable gives, types included.
    from array import array

    from smscli.numberlist import NumberList

    numbers = [str(447000000001 + i) for i in range(count)]
    ids = None if ids_off is None else [f"o{i}" for i in range(max(0, count + ids_off))]

    def walk(source: Any) -> Any:
        try:
            return _plain(chunked(source, size, ids, text="hi", sender="ACME"))
        except RuntimeError as exc:  # fewer ids than numbers: StopIteration inside
            return type(exc)

    expected = walk(iter(numbers))
    assert walk(numbers) == expected
    assert walk(NumberList(array("q", map(int, numbers)))) == expected
    chunks = list(chunked(NumberList(array("q", map(int, numbers))), size))
    assert all(type(c.numbers) is list for c in chunks)


@given(st.integers(1, 25), st.integers(1, 8), st.booleans())
def test_a_send_plan_makes_the_chunks_chunked_gives(count: int, size: int, ids: bool) -> None:
    # plan_send's chunks are made when first asked for: the same chunks, in the same order,
    # each made once (asking again gives the same object).
    from array import array

    from smscli.jobs.plan import plan_send
    from smscli.numberlist import NumberList

    numbers = NumberList(array("q", range(447000000001, 447000000001 + count)))
    order_ids = [f"o{i}" for i in range(count)] if ids else None
    gateway = Recorder()
    gateway.max_numbers_per_send = size
    plan = plan_send(gateway, numbers, order_ids, "hi", "ACME")  # type: ignore[arg-type]
    expected = list(chunked(list(numbers), size, order_ids, text="hi", sender="ACME"))
    assert len(plan) == len(expected) and plan.total == count
    assert list(plan.indices()) == [c.index for c in expected]
    assert plan[-1] == expected[-1]
    made = list(plan)
    assert made == expected
    assert all(a is b for a, b in zip(made, plan, strict=True))
    assert plan[1:] == expected[1:]
    with pytest.raises(IndexError):
        plan[len(expected)]
    # Each carries its numbers' integers (Chunk.keys), each its number's history key.
    from smscli.history.keys import keys

    assert all(c.keys is not None and list(c.keys) == keys(c.numbers) for c in made)
    assert all(c.keys is None for c in expected)  # a list of str: nothing to carry


def test_a_batch_chunk_goes_out_as_the_gateways_batch_request() -> None:
    gateway = Recorder()
    chunk = Chunk(0, ["1", "2", "3"], contents=["a", "b", "a"], sender_ids=[None, None, None])
    send_chunk(gateway, chunk)  # type: ignore[arg-type]
    (elements,) = gateway.batches
    assert [(e.numbers, e.content) for e in elements] == [(("1", "3"), "a"), (("2",), "b")]
    assert gateway.sends == []


def test_tally_counts_numbers_by_outcome_and_delivery_state() -> None:
    ok = Chunk(0, ["1", "2"])
    answer = SendResult((Submitted("2", "b"), Submitted("1", "a")), 2, 0)  # out of order
    outcomes = [
        ChunkOutcome(ok, ChunkState.ACCEPTED, result=answer),
        ChunkOutcome(Chunk(1, ["3"]), ChunkState.ACCEPTED, result=SendResult((), 0, 1)),
        ChunkOutcome(Chunk(2, ["4", "5"]), ChunkState.REFUSED, error=Failure.said("no")),
        ChunkOutcome(
            Chunk(3, ["6"]), ChunkState.UNKNOWN, error=Failure.no_answer("x")
        ),
        ChunkOutcome(Chunk(4, ["7"]), ChunkState.NOT_SENT, attempts=0),
    ]
    t = Tally.of(outcomes)
    assert (t.accepted, t.rejected, t.refused, t.unknown, t.not_sent) == (2, 3, 2, 1, 1)
    assert t.requests == 4 and t.total == 7  # a chunk never started is no request
    for status in (DeliveryStatus.DELIVERED, DeliveryStatus.PENDING, DeliveryStatus.NOT_FOUND,
                   DeliveryStatus.UNKNOWN):
        t.add_status(status)
    assert (t.delivered, t.pending, t.not_found, t.unreported, t.waiting) == (1, 1, 1, 1, 2)


def test_resume_chunks_carry_the_jobs_text_and_only_what_may_be_sent() -> None:
    from types import SimpleNamespace

    never = Chunk(0, ["1"])
    maybe = Chunk(1, ["2"])
    refused = ChunkOutcome(Chunk(2, ["3"]), ChunkState.REFUSED)
    job = SimpleNamespace(id=7, sender="ACME", profile="p")
    plan = SimpleNamespace(job=job, to_send=[never], unknown=[(None, maybe)], refused=[refused])
    chunks = resume_chunks(plan, Resend(), 10, "hi")  # type: ignore[arg-type]
    assert [c.index for c in chunks] == [0]
    assert (chunks[0].text, chunks[0].sender) == ("hi", "ACME")
    both = resume_chunks(plan, Resend(unknown=True, refused=True), 10, "hi")  # type: ignore[arg-type]
    assert [c.index for c in both] == [0, 1, 2]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (ChunkOutcome(Chunk(0, ["1"]), ChunkState.ACCEPTED,
                      result=SendResult((Submitted("1", "a"),), 1, 0)), ExitCode.OK),
        (answered(Chunk(0, ["1"]), SendResult((), 0, 0, untracked=("1",), note="x", code="0")),
         ExitCode.PARTIAL),
        (ChunkOutcome(Chunk(0, ["1"]), ChunkState.UNKNOWN,
                      error=Failure.no_answer("x")), ExitCode.NETWORK),
        (ChunkOutcome(Chunk(0, ["1"]), ChunkState.REJECTED, error=Failure.said("no")),
         ExitCode.REJECTED),
    ],
)
def test_exit_code(outcome: ChunkOutcome, expected: ExitCode) -> None:
    run = RunResult([outcome])
    assert exit_code(run, Tally.of(run.outcomes)) == expected


def test_answers_that_are_sends_reach_the_run_as_accepted_requests() -> None:
    """Sent without ids, and a batch stopped part-way, come back as values of the result: the
    engine makes them accepted requests (never resent), and a stop kind stops the run."""
    from smscli.errors import ErrorKind
    from smscli.rows import UNTRACKED, rows_for
    from smscli.sending import run_chunks

    balance = GatewayError("gateway code -4: balance", code="-4", kind=ErrorKind.BALANCE)
    answers = {
        0: SendResult((), 0, 0, untracked=("1", "2"), note="no ids", code="0"),
        1: SendResult((Submitted("3", "m3"),), 1, 0, stopped_by=balance, elements_sent=1,
                      elements=2),
    }
    run = run_chunks(
        [Chunk(0, ["1", "2"]), Chunk(1, ["3", "4"]), Chunk(2, ["5"])],
        lambda chunk: answers[chunk.index],
        concurrency=1,
    )
    untracked, stopped, never = run.outcomes
    assert untracked.state is ChunkState.ACCEPTED and untracked.untracked == ("1", "2")
    assert untracked.error is not None and untracked.error.exit_code == ExitCode.PARTIAL
    assert [r["error"] for r in rows_for(untracked)] == [UNTRACKED, UNTRACKED]
    assert stopped.state is ChunkState.ACCEPTED and stopped.error is run.stopped_by
    assert isinstance(stopped.error, Failure) and stopped.error.kind is ErrorKind.BALANCE
    assert stopped.error.message.startswith("element 2 of 2 failed after 1 were sent: gateway")
    assert never.state is ChunkState.NOT_SENT  # the balance refusal stopped the run
    tally = Tally.of(run.outcomes)
    assert (tally.accepted, tally.rejected, tally.not_sent) == (3, 1, 1)
    assert exit_code(run, tally) == ExitCode.PARTIAL
