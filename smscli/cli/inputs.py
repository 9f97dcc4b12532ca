"""Reading what the user gives a command: the message text, from an option, a file or stdin,
checked before a gateway is even opened. (The numbers: smscli.numberlist.read_numbers.)"""

from __future__ import annotations

from smscli import console
from smscli.argtext import check_encodable
from smscli.errors import InputError, UsageError


def read_text(path: str, what: str, *, limit: int = 65_536) -> str:
    """A message from a file or `-` (stdin), without the final newline editors add. Read as
    every "file or stdin" is (smscli.readers), and never more than `limit` characters."""
    from smscli import readers

    if path == "-" and console.stdin_is_tty():
        console.info(f"Type the {what}, then Ctrl-D:")
    text = readers.read_text(path, console.current().stdin, what=what, limit=limit)
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n")


def read_message(message: str | None, message_file: str | None, *, max_chars: int) -> str:
    if message is not None and message_file is not None:
        raise UsageError("give the message with -m/--message or --message-file, not both")
    # Read at most a little more than allowed: enough to say how long it is, never /dev/zero.
    limit = max(max_chars * 4, 4096)
    if message_file is not None:
        text = read_text(message_file, "message", limit=limit)
    elif message == "-":
        text = read_text("-", "message", limit=limit)
    elif message is not None:
        text = message
    else:
        raise UsageError(
            "no message given", hint='use -m "text", -m - (stdin) or --message-file PATH'
        )
    if not text.strip():
        raise InputError("the message is empty")
    check_encodable(text, "the message")
    if len(text) > max_chars:
        raise InputError(
            f"the message is {len(text)} characters long; this provider takes at most {max_chars}"
        )
    return text
