"""A batch plan's rows packed into requests: chunks of at most `cap` numbers, and each chunk as
the sendSms/batch elements the gateway receives."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING

from smscli.gateways.batch import BatchElement
from smscli.model import Chunk

if TYPE_CHECKING:
    from smscli.batchplan import Plan, Row

__all__ = ["chunks", "elements", "plan_chunks"]


def _groups(rows: Sequence[Row]) -> dict[tuple[str, str | None, bool], list[int]]:
    """Row indexes by (content, sender, has an order id). An element's orderId must cover all
    its numbers or none, so rows with and without one never share an element."""
    groups: dict[tuple[str, str | None, bool], list[int]] = {}
    get = groups.get  # and no list made per row for setdefault: 200,000 rows pass here
    for index, (_, content, sender_id, order_id) in enumerate(rows):
        key = (content, sender_id, order_id is not None)
        members = get(key)
        if members is None:
            members = groups[key] = []
        members.append(index)
    return groups


def chunks(rows: Sequence[Row], cap: int, *, mixed: bool = True) -> Iterator[Chunk]:
    """Requests of at most `cap` numbers. Rows with one content and sender stay together (one
    element), in order of first appearance; a group is split only where a request is full, so
    there are as few requests as the numbers allow. `mixed=False` gives every group requests
    of its own (one element each), for gateways whose "batch" is one call per element."""
    if cap < 1:
        raise ValueError("cap must be at least 1")
    index = 0
    current: list[int] = []
    for members in _groups(rows).values():
        if current and not mixed:
            yield _chunk(index, rows, current)
            index, current = index + 1, []
        start = 0
        while start < len(members):
            taken = members[start : start + cap - len(current)]
            current.extend(taken)
            start += len(taken)
            if len(current) >= cap:
                yield _chunk(index, rows, current)
                index, current = index + 1, []
    if current:
        yield _chunk(index, rows, current)


def plan_chunks(plan: Plan, cap: int, *, mixed: bool = True) -> Iterator[Chunk]:
    """chunks(plan.rows, cap, mixed=mixed). When every row has the default sender and no
    order id (the usual batch), a group is all the rows of one message, which the plan has
    already in order (Plan.by_message, set only then): the requests are cut from those lists
    instead of grouping 200,000 rows one by one, and they are the same requests."""
    rows, by_message = plan.rows, plan.by_message
    if (
        by_message is None
        or not rows
        or sum(map(len, map(itemgetter(1), by_message))) != len(rows)
    ):
        return chunks(rows, cap, mixed=mixed)
    return _message_chunks(by_message, rows[0].sender_id, cap, mixed)


def _message_chunks(
    by_message: list[tuple[str, list[str]]], sender: str | None, cap: int, mixed: bool
) -> Iterator[Chunk]:
    # chunks() with a group per message and lists of numbers for lists of row indexes.
    if cap < 1:
        raise ValueError("cap must be at least 1")
    index = 0
    numbers: list[str] = []
    contents: list[str] = []
    for content, members in by_message:
        if numbers and not mixed:
            yield _same_sender(index, numbers, contents, sender)
            index, numbers, contents = index + 1, [], []
        start = 0
        while start < len(members):
            taken = members[start : start + cap - len(numbers)]
            numbers += taken
            contents += [content] * len(taken)
            start += len(taken)
            if len(numbers) >= cap:
                yield _same_sender(index, numbers, contents, sender)
                index, numbers, contents = index + 1, [], []
    if numbers:
        yield _same_sender(index, numbers, contents, sender)


def _same_sender(
    index: int, numbers: list[str], contents: list[str], sender: str | None
) -> Chunk:
    return Chunk(
        index=index,
        numbers=numbers,
        order_ids=None,
        contents=contents,
        sender_ids=[sender] * len(numbers),
    )


def _chunk(index: int, rows: Sequence[Row], members: list[int]) -> Chunk:
    # Column by column in C (zip), not a comprehension per field: 200,000 rows pass here.
    picked = [rows[i] for i in members]
    numbers, contents, sender_ids, order_ids = map(list, zip(*picked, strict=True))
    has_ids = order_ids.count(None) != len(order_ids)
    return Chunk(
        index=index,
        numbers=numbers,
        # Chunk.order_ids is one str per number: "" marks a row without one.
        order_ids=[order_id or "" for order_id in order_ids] if has_ids else None,
        contents=contents,
        sender_ids=sender_ids,
    )


def elements(chunk: Chunk, max_per_element: int) -> list[BatchElement]:
    """The chunk as batch elements, in the chunk's number order (so the gateway's answer,
    which follows the elements, lines up with chunk.numbers)."""
    if chunk.contents is None or chunk.sender_ids is None:
        raise ValueError("not a batch chunk: it has no per-number contents")
    ids = chunk.order_ids
    groups: dict[tuple[str, str | None, bool], list[int]] = {}
    get = groups.get
    if ids and len(ids) != len(chunk.contents):
        raise ValueError("a batch chunk has one order id (or \"\") per number")
    has_ids = map(bool, ids) if ids else repeat(False)
    for i, key in enumerate(zip(chunk.contents, chunk.sender_ids, has_ids, strict=False)):
        members = get(key)
        if members is None:
            members = groups[key] = []
        members.append(i)
    out: list[BatchElement] = []
    for (content, sender, has_id), members in groups.items():
        for start in range(0, len(members), max_per_element):
            part = members[start : start + max_per_element]
            out.append(
                BatchElement(
                    numbers=tuple(chunk.numbers[i] for i in part),
                    content=content,
                    sender_id=sender,
                    order_ids=tuple(ids[i] for i in part) if ids and has_id else None,
                )
            )
    return out
