"""Tying the numbers a gateway echoes back to the numbers that were sent.

Gateways echo numbers in their own form: with a `+`, an international `00`, a country code
(`86`) added or dropped. A number the answer lists in another form is still the number that
was sent (real-answers.md, issue 10): matching it keeps a sent message from being called
rejected."""

from __future__ import annotations

from collections.abc import Sequence

# Shorter digit runs would tie unrelated numbers together by their endings.
MIN_SUFFIX_DIGITS = 7


def digits(number: str) -> str:
    return "".join(char for char in number if char.isdigit())


def match_number(phone: str, numbers: Sequence[str], free: Sequence[int]) -> int | None:
    """The index (among `free`) of the sent number the gateway means by `phone`: the same
    text, the same digits, the same digits without an international `00`, or (a country code
    dropped or added) the one sent number whose digits end the other's. None when no number,
    or more than one different number, fits."""
    for index in free:
        if numbers[index] == phone:
            return index
    echoed = digits(phone)
    if not echoed:
        return None
    for index in free:
        if digits(numbers[index]) == echoed:
            return index
    bare = echoed.removeprefix("00")
    for index in free:
        if digits(numbers[index]).removeprefix("00") == bare:
            return index
    candidates = [
        index
        for index in free
        if min(len(bare), len(digits(numbers[index]))) >= MIN_SUFFIX_DIGITS
        and (digits(numbers[index]).endswith(bare) or bare.endswith(digits(numbers[index])))
    ]
    # A number sent twice may appear twice: any one of its occurrences will do.
    if candidates and len({digits(numbers[i]) for i in candidates}) == 1:
        return candidates[0]
    return None
