"""A chunk's answer as `messages` rows: what the journal writes for every number sent, so it
is built straight into tuples (column by column for the usual answer). Domain values only:
the outcome as a code, no error text (codes.message_error derives it when read)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat

from smscli.gateways.base import Submitted
from smscli.history import codes
from smscli.history.codes import ACCEPTED, NOT_SENT, REJECTED, UNKNOWN
from smscli.history.keys import key, keys
from smscli.model import Chunk, ChunkOutcome, ChunkState
from smscli.rows import error_text

Row = tuple[object, ...]

# The columns of each kind of row, in order.
PLAIN_COLUMNS = "job_id, chunk, pos, number, state, msg_id"
PLAIN_BATCH_COLUMNS = "job_id, chunk, pos, number, content, extra, state, msg_id"
MESSAGE_COLUMNS = "job_id, chunk, pos, number, msg_id, state, content, extra"
# A plain send's usual answer (accepted_keys): number and msgId bound per row, the rest fixed.
ACCEPTED_COLUMNS = "job_id, chunk, pos, number, state, msg_id"


def _extras(senders: Sequence[str | None] | None, size: int) -> Iterable[str | None]:
    if not senders or not any(senders):
        return repeat(None, size)
    return [codes.pack_extra(None, sender) for sender in senders]


def _msg_ids(outcome: ChunkOutcome) -> Sequence[str] | None:
    """The usual answer - every number of the chunk accepted once, no order ids - as its
    msgIds in the chunk's order; None for any other answer."""
    chunk, result = outcome.chunk, outcome.result
    if outcome.state is not ChunkState.ACCEPTED or result is None:
        return None
    subs, numbers = result.accepted, chunk.numbers
    size = len(numbers)
    if len(subs) != size or not size or chunk.order_ids or outcome.untracked:
        return None
    # Submitted is a tuple (number, msg_id, order_id): transposed in C, not per number.
    listed, msg_ids, order_ids = zip(*subs, strict=True)
    if list(listed) != numbers:
        # A batch's answer lists its numbers element by element (grouped by content).
        by_number = {sub.number: sub for sub in subs}
        if len(by_number) != size or by_number.keys() != set(numbers):
            return None  # a number twice, or one the gateway rewrote or left out
        _, msg_ids, order_ids = zip(*(by_number[number] for number in numbers), strict=True)
    if any(order_ids):
        return None
    return msg_ids


def plain_rows(job_id: int, outcome: ChunkOutcome) -> list[Row] | None:
    """The usual answer (see _msg_ids) as PLAIN_COLUMNS rows, or PLAIN_BATCH_COLUMNS for a
    chunk that carries contents or senders (batch), built column by column; None for any
    other answer (message_rows then). Fewer bound values per row than the general insert:
    binding them is most of what SQLite's insert costs."""
    msg_ids = _msg_ids(outcome)
    if msg_ids is None:
        return None
    chunk = outcome.chunk
    size = len(chunk.numbers)
    head = (repeat(job_id, size), repeat(chunk.index, size), range(size), number_keys(chunk))
    tail = (repeat(ACCEPTED, size), keys(msg_ids))
    if chunk.contents or chunk.sender_ids:
        extra = (chunk.contents or repeat(None, size), _extras(chunk.sender_ids, size))
        return list(zip(*head, *extra, *tail, strict=False))
    return list(zip(*head, *tail, strict=False))


def accepted_keys(outcome: ChunkOutcome) -> list[int | str] | None:
    """A plain send's usual answer (no contents, no senders) as the stored keys of its
    numbers and msgIds, interleaved: number, msgId, number, msgId... - the only values of its
    rows that are not the same for the whole chunk (ACCEPTED_COLUMNS); None otherwise."""
    chunk = outcome.chunk
    if chunk.contents or chunk.sender_ids:
        return None
    msg_ids = _msg_ids(outcome)
    if msg_ids is None:
        return None
    size = len(chunk.numbers)
    # Interleaved by slice assignment, in C, rather than a tuple per row.
    values: list[int | str] = [0] * (2 * size)
    values[::2] = number_keys(chunk)
    values[1::2] = keys(msg_ids)
    return values


def number_keys(chunk: Chunk) -> Sequence[int | str]:
    """The stored keys of a chunk's numbers: the integers it was made from when it carries
    them (Chunk.keys: positive, within 64 bits, str() of each its number - so each is its
    number's key()), else read from the text."""
    given = chunk.keys
    if given is not None and len(given) == len(chunk.numbers):
        return given
    return keys(chunk.numbers)


def message_rows(job_id: int, outcome: ChunkOutcome) -> list[Row]:
    """A chunk's answer as MESSAGE_COLUMNS rows: its numbers in order, then any the gateway
    rewrote (negative positions). The same messages as sending.rows_for, as `send` printed
    them (the error texts are derived from the outcome when read)."""
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
                order_id, code, msg_id = sub.order_id or given or None, ACCEPTED, key(sub.msg_id)
            elif number in untracked:
                # Sent without a msgId: accepted with none (its error says untracked).
                order_id, code, msg_id = given, ACCEPTED, None
            else:
                order_id, code, msg_id = given or None, REJECTED, None
            append(
                (job_id, index, i, key(number), msg_id, code, content,
                 codes.pack_extra(order_id, sender))
            )
        # A number the gateway rewrote (e.g. reformatted) still gets its msgId kept.
        pos = -1
        for listed in by_number.values():
            for sub in listed:
                append(
                    (job_id, index, pos, key(sub.number), key(sub.msg_id), ACCEPTED, None,
                     codes.pack_extra(sub.order_id, None))
                )
                pos -= 1
        return rows
    if state is ChunkState.UNKNOWN:
        code = UNKNOWN
    elif state is ChunkState.NOT_SENT:
        code = NOT_SENT
    else:
        code = REJECTED
    # Derived when read (codes.message_error), from the chunk's columns as the journal writes
    # them; kept with the message only when that would not give the same text.
    text = error_text(outcome)
    chunk_error = None if outcome.error is None else outcome.error.message
    odd = None if codes.message_error(code, None, state.value, chunk_error) == text else text
    return [
        (
            job_id,
            index,
            i,
            key(number),
            None,
            code,
            contents[i] if contents else None,
            codes.pack_extra(
                (ids[i] if ids else None) or None, senders[i] if senders else None, odd
            ),
        )
        for i, number in enumerate(numbers)
    ]
