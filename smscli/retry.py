"""How long to wait before a request is tried again: exponential backoff with jitter, or the
gateway's own hint. Shared by sends (only provably unsent requests are retried, see sending.py)
and idempotent reads (reads.py); kept apart so `balance` and `report ID` need not import the
send engine."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 10.0

    def delay(self, attempt: int, hint: float | None) -> float:
        if hint is not None:
            return min(hint, self.max_delay * 3)
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(backoff / 2, backoff)
