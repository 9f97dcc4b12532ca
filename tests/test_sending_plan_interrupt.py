"""A Ctrl-C landing while run_chunks makes a plain send's next chunk (SendPlan makes them as
the run takes them): that chunk is not lost, it is reported as not sent with the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

from smscli.gateways.base import SendResult, Submitted
from smscli.jobs.plan import SendPlan
from smscli.model import Chunk, ChunkState
from smscli.sending import run_chunks


class Interrupting(Sequence[str]):
    """Numbers whose slice from `at` raises KeyboardInterrupt the first time it is made."""

    def __init__(self, numbers: list[str], at: int) -> None:
        self._numbers = numbers
        self._at = at

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice) and index.start == self._at:
            self._at = -1
            raise KeyboardInterrupt
        return self._numbers[index]

    def __len__(self) -> int:
        return len(self._numbers)


NUMBERS = [str(447000000001 + i) for i in range(10)]


def test_a_chunk_interrupted_while_made_is_made_again_by_the_next_next() -> None:
    chunks = iter(SendPlan(Interrupting(NUMBERS, 4), 2, None, "hi", None))
    assert [next(chunks).index, next(chunks).index] == [0, 1]
    try:
        next(chunks)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt was not raised")
    assert [c.index for c in chunks] == [2, 3, 4]


def test_a_run_interrupted_while_making_a_chunk_reports_every_chunk() -> None:
    plan = SendPlan(Interrupting(NUMBERS, 6), 2, None, "hi", None)
    sent: list[int] = []

    def send_one(chunk: Chunk) -> SendResult:
        sent.append(chunk.index)
        return SendResult(
            tuple(Submitted(n, f"id{n}") for n in chunk.numbers), len(chunk.numbers), 0
        )

    run = run_chunks(plan, send_one, concurrency=1)
    assert run.interrupted
    assert [o.chunk.index for o in run.outcomes] == [0, 1, 2, 3, 4]
    assert sorted(sent) == [0, 1, 2]
    assert [o.state for o in run.outcomes[3:]] == [ChunkState.NOT_SENT] * 2
    assert sum(len(o.chunk.numbers) for o in run.outcomes) == len(NUMBERS)
