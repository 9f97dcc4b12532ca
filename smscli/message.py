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

__all__ = [
    "GSM7",
    "UCS2",
    "GsmAdvice",
    "MessageInfo",
    "analyze",
    "gsm_advice",
    "name_chars",
    "to_gsm",
    "ucs2_causes",
]

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


# Typographic characters that word processors and phones put in for plain ones; each alone
# turns a whole message into UCS-2 (70 characters a segment instead of 160). `--gsm` puts
# back the plain GSM-7 character.
GSM_EQUIVALENTS = {
    "\u2018": "'",  # ‘ left single quotation mark
    "\u2019": "'",  # ’ right single quotation mark (the apostrophe of autocorrect)
    "\u201a": "'",  # ‚
    "\u201b": "'",  # ‛
    "\u2032": "'",  # ′ prime
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u2033": '"',  # ″ double prime
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u2010": "-",  # ‐ hyphen
    "\u2011": "-",  # ‑ non-breaking hyphen
    "\u2012": "-",  # ‒ figure dash
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2212": "-",  # − minus sign
    "\u2026": "...",  # … ellipsis
    "\u00a0": " ",  # no-break space
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space
    "\u200b": "",  # zero-width space
    "\u2022": "*",  # • bullet
}


def ucs2_causes(text: str) -> list[str]:
    """The distinct characters, in order of appearance, that keep `text` out of GSM-7."""
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in _GSM_ALL:
            seen.setdefault(ch)
    return list(seen)


def to_gsm(text: str) -> str:
    """`text` with its typographic characters replaced by GSM-7 equivalents; anything else
    (emoji, other scripts) is left as it is."""
    if _GSM_ALL.issuperset(text):
        return text
    return "".join(GSM_EQUIVALENTS.get(ch, ch) for ch in text)


def name_chars(chars: list[str], limit: int = 5) -> str:
    """e.g. `’ (U+2019 RIGHT SINGLE QUOTATION MARK), – (U+2013 EN DASH)`."""
    import unicodedata

    named = [
        f"{ch if ch.isprintable() and not ch.isspace() else ''} "
        f"(U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')})".lstrip()
        for ch in chars[:limit]
    ]
    more = len(chars) - limit
    return ", ".join(named) + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True, slots=True)
class GsmAdvice:
    """What --gsm does (or would do) to a message: the text to send, its cost before and
    after, and the characters replaced."""

    text: str
    before: MessageInfo
    after: MessageInfo
    replaced: list[str]

    @property
    def saved(self) -> int:
        """Segments saved per message."""
        return self.before.segments - self.after.segments

    def note(self, applied: bool, count: int = 1) -> str | None:
        """The line for the send summary, None when there is nothing to say."""
        total = f" ({self.saved * count:,} fewer in all)" if count > 1 else ""
        if applied:
            if not self.replaced:
                left = ucs2_causes(self.text)
                stays = f"; it stays UCS-2 because of {name_chars(left)}" if left else ""
                return f"--gsm: nothing to replace{stays}"
            segments = plural(self.after.segments, "segment")
            saving = (
                f" instead of {self.before.segments}{total}" if self.saved else " as before"
            )
            return (
                f"--gsm replaced {name_chars(self.replaced)}: {self.after.encoding}, "
                f"{segments} per message{saving}"
            )
        if not self.replaced or self.saved <= 0:
            return None
        chars = name_chars(self.replaced)
        more = f" ({self.saved * count:,} more in all)" if count > 1 else ""
        return (
            f"the message is {self.before.encoding} because of {chars}: "
            f"{self.before.segments} segments per message instead of {self.after.segments}"
            f"{more}; --gsm replaces them with GSM-7 equivalents"
        )


def gsm_advice(text: str) -> GsmAdvice:
    replaced_text = to_gsm(text)
    replaced = [ch for ch in ucs2_causes(text) if ch in GSM_EQUIVALENTS]
    return GsmAdvice(replaced_text, analyze(text), analyze(replaced_text), replaced)


def plural(count: int, word: str, words: str | None = None) -> str:
    """`1 segment`, `2 segments`, `1,000 numbers`."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
