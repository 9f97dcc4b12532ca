"""A chunk's answer as `messages` rows: what the journal writes for every number sent, so it
is built straight into tuples (column by column for the usual answer)."""

from __future__ import annotations

from itertools import repeat

from smscli.gateways.base import Submitted
from smscli.history.keys import key, keys
from smscli.history.records import ACCEPTED, NOT_SENT, REJECTED, UNKNOWN
from smscli.sending import NOT_LISTED, UNTRACKED, ChunkOutcome, ChunkState
from smscli.sending import _error_text as error_text

Row = tuple[object, ...]


def plain_rows(job_id: int, outcome: ChunkOutcome) -> list[Row] | None:
    """The usual answer - every number of the chunk accepted once, no order ids - as
    (job_id, chunk, pos, number, outcome, msg_id) rows, with (content, sender) after `number`
    for a chunk that carries them (batch), built column by column; None for any other answer
    (message_rows then). Fewer bound values per row than the general insert: binding them
    is most of what SQLite's insert costs."""
    chunk, result = outcome.chunk, outcome.result
    if outcome.state is not ChunkState.ACCEPTED or result is None:
        return None
    subs, numbers = result.accepted, chunk.numbers
    if len(subs) != len(numbers) or chunk.order_ids or outcome.untracked:
        return None
    if [sub.number for sub in subs] != numbers:
        # A batch's answer lists its numbers element by element (grouped by content).
        by_number = {sub.number: sub for sub in subs}
        if len(by_number) != len(numbers) or by_number.keys() != set(numbers):
            return None  # a number twice, or one the gateway rewrote or left out
        subs = tuple(by_number[number] for number in numbers)
    if any(sub.order_id for sub in subs):
        return None
    size = len(numbers)
    head = (repeat(job_id, size), repeat(chunk.index, size), range(size), keys(numbers))
    tail = (repeat(ACCEPTED, size), keys([sub.msg_id for sub in subs]))
    if chunk.contents or chunk.sender_ids:
        extra = (chunk.contents or repeat(None, size), chunk.sender_ids or repeat(None, size))
        return list(zip(*head, *extra, *tail, strict=False))
    return list(zip(*head, *tail, strict=False))


def message_rows(job_id: int, outcome: ChunkOutcome) -> list[Row]:
    """A chunk's answer as `messages` rows (job_id, chunk, pos, number, order_id, content,
    sender, outcome, msg_id, error): its numbers in order, then any the gateway rewrote
    (negative positions). The same rows as sending.rows_for, as `send` printed them."""
    chunk, state, index = outcome.chunk, outcome.state, outcome.chunk.index
    numbers, ids = chunk.numbers, chunk.order_ids
    contents, senders = chunk.contents, chunk.sender_ids
    result = outcome.result
    if state is ChunkState.ACCEPTED and result is not None:
        # A batch chunk can hold a number more than once (different contents): each
        # occurrence takes the next msgId listed for it, in the gateway's answer order.
        by_number: dict[str, list[Submitted]] = {}
        for sub in result.accepted:
            listed = by_number.get(sub.number)
            if listed is None:
                by_number[sub.number] = [sub]
            else:
                listed.append(sub)
        untracked = set(outcome.untracked)
        rows: list[Row] = []
        append = rows.append
        for i, number in enumerate(numbers):
            listed = by_number.get(number)
            given = ids[i] if ids else None
            content = contents[i] if contents else None
            sender = senders[i] if senders else None
            if listed:
                sub = listed.pop(0)
                order_id = sub.order_id or given or None
                code, msg_id, error = ACCEPTED, key(sub.msg_id), None
            elif number in untracked:
                order_id, code, msg_id, error = given, ACCEPTED, None, UNTRACKED
            else:
                order_id, code, msg_id, error = given or None, REJECTED, None, NOT_LISTED
            append((job_id, index, i, key(number), order_id, content, sender, code, msg_id, error))
        # A number the gateway rewrote (e.g. reformatted) still gets its msgId kept.
        pos = -1
        for listed in by_number.values():
            for sub in listed:
                append(
                    (job_id, index, pos, key(sub.number), sub.order_id, None, None, ACCEPTED,
                     key(sub.msg_id), None)
                )
                pos -= 1
        return rows
    if state is ChunkState.UNKNOWN:
        code = UNKNOWN
    elif state is ChunkState.NOT_SENT:
        code = NOT_SENT
    else:
        code = REJECTED
    text = error_text(outcome)
    return [
        (
            job_id,
            index,
            i,
            key(number),
            (ids[i] if ids else None) or None,
            contents[i] if contents else None,
            senders[i] if senders else None,
            code,
            None,
            text,
        )
        for i, number in enumerate(numbers)
    ]
