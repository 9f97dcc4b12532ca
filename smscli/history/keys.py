"""How numbers and msgIds are stored and looked up (schema v5): as integers when they are
canonical integers within 64 bits, otherwise as their text. Columns `messages.number` and
`.msg_id` have no type, so SQLite keeps whichever it is given, and an integer never equals a
text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

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


# A newline-joined list of canonical integers of at most 19 digits (msgIds have 19).
_ALL_INTS = re.compile(r"[1-9][0-9]{0,18}(?:\n[1-9][0-9]{0,18})*")


def keys(texts: Sequence[str]) -> list[int | str]:
    """key() of each, for a whole chunk at once: when every one is a canonical integer within
    64 bits (the usual case: one regex over the joined list), int() runs in C for all."""
    joined = "\n".join(texts)
    if texts and joined.isascii() and _ALL_INTS.fullmatch(joined):
        values: list[int] = list(map(int, texts))
        if max(values) <= INT64_MAX:
            return list[int | str](values)
    return [key(text) for text in texts]


def key_sql(column: str) -> str:
    """key() in SQL, for migrating text columns and matching text against stored keys."""
    return (
        f"CASE WHEN {column} GLOB '[1-9]*' AND {column} NOT GLOB '*[^0-9]*'"
        f" AND (length({column}) < {_INT64_DIGITS} OR (length({column}) = {_INT64_DIGITS}"
        f" AND {column} <= '{INT64_MAX}')) THEN CAST({column} AS INTEGER) ELSE {column} END"
    )
