"""How numbers and msgIds are stored and looked up (schema v5): as integers when they are
canonical integers within 64 bits, otherwise as their text. Columns `messages.number` and
`.msg_id` have no type, so SQLite keeps whichever it is given, and an integer never equals a
text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, cast

INT64_MAX: Final = 9223372036854775807
_INT64_DIGITS: Final = len(str(INT64_MAX))


def key(text: str) -> int | str:
    """The stored form of one number or msgId: an integer when it is one written canonically
    (digits only, no leading zero, within 64 bits), so str() gives it back exactly; otherwise
    the text itself."""
    if text.isascii() and text.isdigit() and text[0] != "0" and len(text) <= _INT64_DIGITS:
        value = int(text)
        if value <= INT64_MAX:
            return value
    return text


def keys(texts: Sequence[str]) -> list[int | str]:
    """key() of each, for a whole chunk at once: when every one is a canonical integer within
    64 bits (the usual case), int() runs in C for all.

    Why the checks are enough: the joined texts are ASCII digits only, so each text is
    digits or empty; none is below "1" (min() compares the texts' first characters: an empty
    text or a leading 0 is), so each is digits with no leading 0, which int() reads exactly
    and str() gives back; one of more than 19 digits is above INT64_MAX, which max() finds
    (or int() refuses, for thousands of digits).
    A few passes in C over the chunk, cheaper than a regex over the joined list."""
    if texts:
        joined = "".join(texts)
        # bytes.isdigit: ASCII digits by table, several times faster than str's (Unicode).
        if joined.isascii() and joined.encode().isdigit() and min(texts) >= "1":
            try:
                values: list[int] = list(map(int, texts))
            except ValueError:  # more digits than int() reads from text (4300)
                values = [INT64_MAX + 1]
            if max(values) <= INT64_MAX:
                return cast("list[int | str]", values)  # no copy: a list of ints is one
    return [key(text) for text in texts]


def key_sql(column: str) -> str:
    """key() in SQL, for migrating text columns and matching text against stored keys."""
    return (
        f"CASE WHEN {column} GLOB '[1-9]*' AND {column} NOT GLOB '*[^0-9]*'"
        f" AND (length({column}) < {_INT64_DIGITS} OR (length({column}) = {_INT64_DIGITS}"
        f" AND {column} <= '{INT64_MAX}')) THEN CAST({column} AS INTEGER) ELSE {column} END"
    )
