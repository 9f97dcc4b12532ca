"""What a gateway knows of the account as a whole: the records of every message sent from it
(by smscli or any other system), and the inbound messages (replies) it received. Plain frozen
values; the clients fill them, smscli.support stores and reads them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smscli.gateways.base import DeliveryStatus


@dataclass(frozen=True, slots=True)
class SentRecord:
    """One message the account sent, as the gateway's sent-records call lists it."""

    msg_id: str
    number: str
    status: DeliveryStatus
    # When it was sent, when known (v3 lists none: derived from the msgId when it carries a
    # plausible yyMMddHHmmss stamp), and when its delivery state was reached.
    sent: datetime | None
    status_time: datetime | None
    code: str | None  # the gateway's raw per-message status
    detail: str | None


@dataclass(frozen=True, slots=True)
class SentPage:
    records: tuple[SentRecord, ...]
    start_index: int
    # The gateway's success + fail counts; whether they count the window or the page is not
    # documented, so paging never relies on them alone.
    total: int | None


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message a phone sent to the account (an MO / reply)."""

    number: str  # the phone that sent it
    to: str | None  # the account's number or sender id it was sent to, when given
    content: str
    time: datetime | None
    msg_id: str | None  # the gateway's id for it, when it gives one


@dataclass(frozen=True, slots=True)
class InboundPage:
    records: tuple[Inbound, ...]
    current: int
    pages: int
    total: int
