"""A job's requests: plain sends chunked with their text, batch chunks as batch elements,
each as the request it makes (sent, or planned for a dry run), and the client's own checks
on a batch before anything leaves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from smscli.errors import InputError, UsageError
from smscli.model import Chunk

if TYPE_CHECKING:
    from smscli.batchplan import Plan as BatchPlan
    from smscli.gateways.base import BatchElement, Gateway, PlannedRequest, SendResult


def chunked(
    numbers: Iterable[str],
    size: int,
    order_ids: Iterable[str] | None = None,
    *,
    text: str | None = None,
    sender: str | None = None,
) -> Iterator[Chunk]:
    """A plain send's requests: `size` numbers each, every one carrying the text and sender."""
    if isinstance(numbers, Sequence) and size >= 1:
        given = None if order_ids is None else list(order_ids)
        if given is None or len(given) == len(numbers):
            # A slice per request, as a SendPlan makes them (a NumberList turns its
            # integers into str in C) instead of one Python step per number.
            yield from SendPlan(numbers, size, given, text, sender)
            return
        order_ids = given  # a count that differs (never from read_numbers): the loop below
    index = 0
    batch: list[str] = []
    ids: list[str] = []
    order_iter = iter(order_ids) if order_ids is not None else None
    for number in numbers:
        batch.append(number)
        if order_iter is not None:
            ids.append(next(order_iter))
        if len(batch) == size:
            yield Chunk(index, batch, ids if order_iter is not None else None, text=text,
                        sender=sender)
            index += 1
            batch, ids = [], []
    if batch:
        yield Chunk(index, batch, ids if order_iter is not None else None, text=text,
                    sender=sender)


def plan_send(
    gateway: Gateway,
    numbers: Sequence[str],
    order_ids: list[str] | None,
    text: str,
    sender: str | None,
) -> SendPlan:
    """A plain send's requests, each carrying the text and sender (as a batch chunk carries
    its contents), sized for the gateway."""
    return SendPlan(numbers, gateway.max_numbers_per_send, order_ids, text, sender)


class SendPlan(Sequence[Chunk]):
    """A plain send's requests as a sequence whose chunks are made when first asked for, then
    kept: the same chunks as `chunked` gives, in the same order.

    Making a chunk turns its numbers into str (the collector keeps them as integers): ~20 ms
    for 200,000 numbers. Made as the run takes them, that happens while earlier requests wait
    for their answers instead of before the first one leaves. What needs all of them at once
    (the history's record of the job, a dry run) makes them all by iterating."""

    __slots__ = (
        "_ints", "_made", "_numbers", "_order_ids", "_sender", "_size", "_text", "total",
    )

    def __init__(
        self,
        numbers: Sequence[str],
        size: int,
        order_ids: list[str] | None,
        text: str | None,
        sender: str | None,
    ) -> None:
        if size < 1:
            raise ValueError("a request holds at least one number")
        if order_ids is not None and len(order_ids) != len(numbers):
            raise ValueError("one order id per number")
        self._numbers = numbers
        self._ints = _ints_of(numbers)
        self._size = size
        self._order_ids = order_ids
        self._text = text
        self._sender = sender
        self.total = len(numbers)  # numbers in all the requests together
        self._made: list[Chunk | None] = [None] * -(-self.total // size)

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, index: int) -> Chunk: ...
    @overload
    def __getitem__(self, index: slice) -> list[Chunk]: ...
    def __getitem__(self, index: int | slice) -> Chunk | list[Chunk]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index < 0:
            index += len(self._made)
        if not 0 <= index < len(self._made):
            raise IndexError("no such request")
        chunk = self._made[index]
        if chunk is None:
            start, end = index * self._size, (index + 1) * self._size
            part = self._numbers[start:end]
            ids, ints = self._order_ids, self._ints
            chunk = self._made[index] = Chunk(
                index,
                part if type(part) is list else list(part),
                None if ids is None else ids[start:end],
                text=self._text,
                sender=self._sender,
                keys=None if ints is None else ints[start:end],
            )
        return chunk

    def __iter__(self) -> Iterator[Chunk]:
        return _Chunks(self)

    def indices(self) -> range:
        """The chunks' indices, without making them."""
        return range(len(self._made))


def _ints_of(numbers: Sequence[str]) -> Sequence[int] | None:
    """The integers a NumberList keeps its numbers as (str() of each is the number): its
    chunks carry them (Chunk.keys), so the history does not read every number back from the
    text made from them a moment before. None for any other sequence."""
    from smscli.numberlist import NumberList

    # Its own array, read-only here. (NumberList is documented to hold valid numbers only:
    # 6 to 15 digits, no leading 0, so int and text are one-to-one.)
    return numbers.ints if isinstance(numbers, NumberList) else None


class _Chunks(Iterator[Chunk]):
    """A SendPlan's chunks in order. The position moves on only once a chunk is made: a
    Ctrl-C landing while one is being made (run_chunks makes them as it takes them) must
    leave that chunk to the next next(), or the run would report neither its sending nor
    its not being sent (a map over the indices would already have moved past it)."""

    __slots__ = ("_next", "_plan")

    def __init__(self, plan: SendPlan) -> None:
        self._plan = plan
        self._next = 0

    def __next__(self) -> Chunk:
        if self._next >= len(self._plan):
            raise StopIteration
        chunk = self._plan[self._next]
        self._next += 1
        return chunk


@dataclass(frozen=True, slots=True)
class Packing:
    """How a batch's rows go into requests."""

    cap: int  # numbers per request
    per_element: int  # numbers per batch element
    mixed: bool  # several contents in one request

    @classmethod
    def for_gateway(cls, gateway: Gateway, cap: int) -> Packing:
        per_element = min(cap, gateway.max_numbers_per_send)
        # Only a gateway whose send_batch is one request (v3 sendSms/batch) gets several
        # contents per request: one call per element (mobset) could fail half sent.
        mixed = gateway.multi_content
        return cls(cap if mixed else per_element, per_element, mixed)


def batch_elements(chunk: Chunk, per_element: int) -> list[BatchElement]:
    """A batch chunk as the elements of one batch request, `per_element` numbers at most
    each."""
    from smscli.batchrequests import elements

    return elements(chunk, per_element)


def send_chunk(gateway: Gateway, chunk: Chunk) -> SendResult:
    """One request: a plain send's chunk as the gateway's send, a batch chunk (one content
    per number) as its batch request."""
    if chunk.contents is None:
        return gateway.send(
            chunk.numbers, chunk.text or "", sender_id=chunk.sender, order_ids=chunk.order_ids
        )
    return gateway.send_batch(batch_elements(chunk, gateway.max_numbers_per_send))


def plan_request(gateway: Gateway, chunk: Chunk) -> PlannedRequest:
    """The request a plain send's chunk makes, as a dry run shows it (secrets redacted)."""
    return gateway.plan_send(
        chunk.numbers, chunk.text or "", sender_id=chunk.sender, order_ids=chunk.order_ids
    )


def plan_elements(gateway: Gateway, parts: list[BatchElement]) -> PlannedRequest:
    """The batch request of `parts`, as a dry run shows it."""
    # Without multi_content, a one-element request is the plain send (plan_one_element).
    return gateway.plan_batch(parts)


def check_batch(gateway: Gateway, plan: BatchPlan) -> None:
    """The client's own checks on each distinct (message, sender) before any request leaves:
    its rules can be finer than the file checks (mobset counts an emoji as 2 characters)."""
    seen: set[tuple[str, str | None]] = set()
    for row in plan.rows:
        key = (row.content, row.sender_id)
        if key in seen:
            continue
        seen.add(key)
        try:
            gateway.plan_send([row.number], row.content, sender_id=row.sender_id)
        except UsageError as exc:
            raise InputError(
                f"the message for {row.number}: {exc.message}", hint="nothing was sent"
            ) from None
