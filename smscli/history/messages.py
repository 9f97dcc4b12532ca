"""What `history` hands out beyond jobs and chunks: a job with its counts, its messages, and
the messages to one number, with how MESSAGE_COLUMNS rows (and requests without an answer)
become them. Apart from smscli.history.records so that the Store every send and report opens
does not build these classes: only the history's reads (smscli.history.queries) import it."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smscli.gateways.base import DeliveryStatus
from smscli.history import codes
from smscli.history.db import dt, text_or_none
from smscli.history.records import LOST_IN_FLIGHT, Job
from smscli.model import Chunk, MessageState, Tally


@dataclass(frozen=True, slots=True)
class JobSummary:
    job: Job
    # A job's numbers by outcome and delivery state, as far as the history knows them (see
    # queries._counts): `unknown` includes requests in flight, `not_sent` the planned ones,
    # `pending` every accepted number without a final report (the history keeps no
    # not_found); `requests`, `refused` and `unreported` are not counted.
    counts: Tally


@dataclass(frozen=True, slots=True)
class Message:
    job_id: int
    chunk: int
    pos: int
    number: str
    order_id: str | None
    content: str | None
    sender: str | None
    outcome: MessageState
    msg_id: str | None
    error: str | None
    status: DeliveryStatus | None = None
    status_time: datetime | None = None
    code: str | None = None
    detail: str | None = None
    updated: datetime | None = None
    sent: datetime | None = None  # when its chunk was answered (or started)


@dataclass(frozen=True, slots=True)
class NumberHit:
    job: Job
    message: Message



def message(row: Sequence[Any]) -> Message:
    """A message from its MESSAGE_COLUMNS row."""
    code = int(row[5])
    status = codes.status_of(code)
    status_time, code_text, detail, updated = codes.unpack_report(row[7])
    order_id, sender, error = codes.unpack_extra(row[8])
    if error is None:
        error = codes.message_error(code % 4, row[4], str(row[9]), text_or_none(row[10]))
    return Message(
        job_id=int(row[0]),
        chunk=int(row[1]),
        pos=int(row[2]),
        number=str(row[3]),
        order_id=order_id,
        content=row[6],
        sender=sender,
        outcome=codes.outcome_of(code),
        msg_id=text_or_none(row[4]),
        error=error,
        status=status,
        status_time=codes.when(status_time),
        code=code_text,
        detail=detail,
        updated=codes.when(updated),
        sent=dt(row[11]),
    )


def unanswered(
    job_id: int, chunk: Chunk, in_flight: bool, live: bool, sent: datetime | None = None
) -> Iterator[Message]:
    """The numbers of a chunk without an answer: in flight or planned while its process
    lives, else unknown (it may have arrived) or not sent."""
    if live:
        outcome, error = (MessageState.SENDING if in_flight else MessageState.PLANNED), None
    elif in_flight:
        outcome = MessageState.UNKNOWN
        error = codes.message_error(codes.UNKNOWN, None, outcome.value, LOST_IN_FLIGHT)
    else:
        outcome = MessageState.NOT_SENT
        error = codes.message_error(codes.NOT_SENT, None, outcome.value, None)
    ids, contents, senders = chunk.order_ids, chunk.contents, chunk.sender_ids
    for pos, number in enumerate(chunk.numbers):
        yield Message(
            job_id=job_id,
            chunk=chunk.index,
            pos=pos,
            number=number,
            order_id=ids[pos] if ids else None,
            content=contents[pos] if contents else None,
            sender=senders[pos] if senders else None,
            outcome=outcome,
            msg_id=None,
            error=error,
            sent=sent,
        )
