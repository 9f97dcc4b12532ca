"""Checks for text typed on the command line (or read from a profile) that is sent as is:
the message and the sender ID. Python turns argv bytes its locale cannot decode into lone
surrogates, which no request body can carry; a sender ID is one short token, never a line."""

from __future__ import annotations

from smscli.errors import InputError

UTF8_HINT = "retype it, or run smscli with a UTF-8 locale (e.g. LANG=C.UTF-8)"


def check_encodable(text: str, what: str) -> None:
    """Refuse `text` holding a lone surrogate (an undecodable argv byte such as 0xFF)."""
    for position, char in enumerate(text, 1):
        if "\ud800" <= char <= "\udfff":
            code = ord(char)
            byte = f"byte 0x{code - 0xDC00:02X}" if 0xDC80 <= code <= 0xDCFF else f"U+{code:04X}"
            raise InputError(
                f"{what} is not UTF-8 text ({byte} at character {position})", hint=UTF8_HINT
            )


def sender_problem(sender: str) -> str | None:
    """Why `sender` cannot be a sender ID (a control character such as a line break, or an
    undecodable byte), or None."""
    for position, char in enumerate(sender, 1):
        if char < " " or char == "\x7f" or "\x80" <= char <= "\x9f":
            return f"has a control character (U+{ord(char):04X}) at character {position}"
        if "\ud800" <= char <= "\udfff":
            return f"is not UTF-8 text (character {position})"
    return None
