"""Which encoding an SMS text needs and how many segments (billed parts) it takes.

GSM-7 uses the GSM 03.38 default alphabet and its extension table, without the national
language shift tables (gateways rarely support them). Anything outside falls back to UCS-2.

Multi-part counting is exact rather than a plain ceil(): a segment never ends between the
escape and the character of a GSM-7 extension char, nor between the halves of a UTF-16
surrogate pair (phones and SMSCs move the whole character to the next part). The count can
therefore be higher than ceil(units / 153) or ceil(units / 67), never lower.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GSM7", "UCS2", "MessageInfo", "analyze"]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 default alphabet in code order, minus 0x1B (the escape to the extension table,
# not a character of its own).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each costs two septets: the escape plus its code.
_GSM_EXTENDED = frozenset("\f^{}\\[~]|€")
_GSM_ALL = _GSM_BASIC | _GSM_EXTENDED

_SINGLE = {GSM7: 160, UCS2: 70}
_MULTI = {GSM7: 153, UCS2: 67}  # what is left after the concatenation header


@dataclass(frozen=True, slots=True)
class MessageInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    chars: int  # characters as the user sees them (len of the str)
    units: int  # GSM-7 septets or UCS-2 (UTF-16) code units
    segments: int  # 0 for an empty text
    per_segment: int  # units a segment holds: 160/153 (GSM-7) or 70/67 (UCS-2)


def analyze(text: str) -> MessageInfo:
    if _GSM_ALL.issuperset(text):
        encoding, costs = GSM7, [2 if ch in _GSM_EXTENDED else 1 for ch in text]
    else:
        encoding, costs = UCS2, [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    units = sum(costs)
    if units <= _SINGLE[encoding]:
        return MessageInfo(encoding, len(text), units, 1 if units else 0, _SINGLE[encoding])
    per_segment = _MULTI[encoding]
    return MessageInfo(encoding, len(text), units, _count_parts(costs, per_segment), per_segment)


def _count_parts(costs: list[int], per_segment: int) -> int:
    parts, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:  # the character moves whole to the next part
            parts += 1
            used = 0
        used += cost
    return parts
