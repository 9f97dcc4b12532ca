"""A kept raw report answer as the history hands it out (Store.raw_reports, read by a queue
provider's `report`): apart from smscli.history.raw so that the Store every command opens does
not build it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RawReport:
    """A queue provider's report answer as it came (raw_reports in smscli.history.schema)."""

    id: int
    provider: str
    profile: str | None
    received: datetime
    http_status: int
    content_type: str | None
    body: bytes
    state: str  # new (saved, not read yet) | read | unreadable
    reports: int | None
    error: str | None
