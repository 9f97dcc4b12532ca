"""One message's delivery report, as a gateway (or the history) tells it. Built only by the
commands that read reports or the history's reports (see smscli.gateways.base); what one
report call answers is smscli.gateways.reportcalls'."""

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
