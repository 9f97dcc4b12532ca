"""One element of a multi-content request (`batch`): built only by the commands that send a
batch, not at every start-up (see smscli.gateways.base)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BatchElement:
    """One element of a multi-content batch: several numbers sharing one content."""

    numbers: tuple[str, ...]
    content: str
    sender_id: str | None = None
    order_ids: tuple[str, ...] | None = None
