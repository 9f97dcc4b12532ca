"""The account's balance as a gateway answers it: built only by `balance` (see
smscli.gateways.base)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Balance:
    balance: str | None  # None: the answer had no balance (missing or null)
    gift: str | None = None
    credit: str | None = None
    currency: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
