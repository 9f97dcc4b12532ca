"""The dataclasses every provider returns and the Gateway protocol the CLI talks to."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple, Protocol


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"
    PENDING = "pending"
    NOT_FOUND = "not_found"  # the gateway does not know the id (yet): still queued, or wrong id
    UNKNOWN = "unknown"

    @property
    def final(self) -> bool:
        return self in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


class Submitted(NamedTuple):
    """One number the gateway accepted, with the id it gave the message.

    A NamedTuple rather than a frozen dataclass: a bulk send builds one per number, and a
    tuple is several times cheaper to create."""

    number: str
    msg_id: str
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """The answer to one send request (one chunk). Only accepted numbers are in `accepted`."""

    accepted: tuple[Submitted, ...]
    success: int
    fail: int


@dataclass(frozen=True, slots=True)
class BatchElement:
    """One element of a multi-content batch: several numbers sharing one content."""

    numbers: tuple[str, ...]
    content: str
    sender_id: str | None = None
    order_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Report:
    msg_id: str
    status: DeliveryStatus
    number: str | None = None
    time: datetime | None = None
    code: str | None = None  # the provider's raw per-message status
    detail: str | None = None  # a readable reason / carrier code
    source: str = "gateway"  # or "history": answered from the local history, not asked again


@dataclass(frozen=True, slots=True)
class ReportResult:
    reports: tuple[Report, ...]
    not_found: int = 0


@dataclass(frozen=True, slots=True)
class RawAnswer:
    """An answer exactly as it came: kept before it is read (a queue provider hands each
    report out once, so an answer smscli cannot read must not be thrown away)."""

    body: bytes
    content_type: str | None
    http_status: int


@dataclass(frozen=True, slots=True)
class Balance:
    balance: str | None  # None: the answer had no balance (missing or null)
    gift: str | None = None
    credit: str | None = None
    currency: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """A request as --dry-run shows it: secrets already redacted."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]


# A callback the CLI passes for --verbose: it receives one already-redacted line.
Trace = Callable[[str], None]


class Gateway(Protocol):
    """What every provider client offers. Limits let the CLI plan chunks before sending."""

    name: str
    max_numbers_per_send: int
    max_content_chars: int
    max_ids_per_report: int
    max_sender_id: int
    report_mode: str  # "query": get_report(msg_ids); "queue": pull_reports() hands each out once

    def plan_send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
    ) -> PlannedRequest: ...

    def send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
    ) -> SendResult: ...

    def send_batch(self, elements: Sequence[BatchElement]) -> SendResult: ...

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult: ...

    def get_balance(self) -> Balance: ...

    def close(self) -> None: ...
