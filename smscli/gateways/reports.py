"""What a gateway's delivery reports hand out: one message's report, one call's reports, and
a queue provider's answer kept as it came. Built only by the commands that read reports (see
smscli.gateways.base)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smscli.gateways.base import DeliveryStatus


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
