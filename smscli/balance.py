"""The balance threshold of `balance --below` and the profile's low_balance."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from smscli.errors import NetworkError


def balance_below(balance: str | None, threshold: float) -> bool:
    """Compared as decimals, exactly as the gateway wrote the amount. An answer with no
    usable amount (missing, null, not a number) cannot be compared: exit 6, as any answer
    smscli cannot use, never a silent "not below"."""
    if balance is None or not balance.strip():
        raise NetworkError(
            f"the gateway's answer has no balance: cannot compare it with the threshold "
            f"{threshold:g}",
            maybe_processed=True,
            hint="see the whole answer with -v",
        )
    try:
        amount = Decimal(balance.strip())
    except InvalidOperation:
        raise NetworkError(
            f"the gateway's balance {balance!r} is not a number: cannot compare it with "
            f"the threshold {threshold:g}",
            maybe_processed=True,
        ) from None
    if not amount.is_finite():
        raise NetworkError(
            f"the gateway's balance {balance!r} is not a finite number", maybe_processed=True
        )
    return amount < Decimal(repr(threshold))
