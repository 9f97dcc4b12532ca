"""Messages for people, on stderr. Plain writes (no rich) so start-up stays cheap; colour only
on a terminal and never when NO_COLOR is set."""

from __future__ import annotations

import os
import sys
from typing import TextIO

_RED, _YELLOW, _DIM, _RESET = "\x1b[31m", "\x1b[33m", "\x1b[2m", "\x1b[0m"


def _color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (ValueError, AttributeError):
        return False


# --silent (-qq): information and hints are held back, and printed only if the command then
# fails (cron mails any output; a failure's context is worth the mail). Bounded, so a long
# run cannot grow it without end.
_held: list[str] | None = None
_HELD_MAX = 200


def set_silent(on: bool) -> None:
    global _held
    _held = [] if on else None


def silent() -> bool:
    return _held is not None


def release_held(*, failed: bool) -> None:
    """Print the held-back lines if the command failed; forget them otherwise."""
    global _held
    if _held is None:
        return
    lines, _held = _held, []
    if failed and lines:
        sys.stderr.write("".join(lines))
        sys.stderr.flush()


def _hold(text: str) -> bool:
    if _held is None:
        return False
    _held.append(text + "\n")
    if len(_held) > _HELD_MAX:
        del _held[: len(_held) - _HELD_MAX]
    return True


def _write(prefix: str, color: str, text: str) -> None:
    stream = sys.stderr
    if _color(stream):
        prefix = f"{color}{prefix}{_RESET}" if prefix else prefix
    stream.write(f"{prefix}{text}\n")
    stream.flush()


def error(text: str) -> None:
    _write("error: ", _RED, text)


def warn(text: str) -> None:
    _write("warning: ", _YELLOW, text)


def info(text: str) -> None:
    if not _hold(text):
        _write("", "", text)


def detail(text: str) -> None:
    """Secondary lines (hints, verbose traces): dim on a terminal."""
    if _hold(text):
        return
    stream = sys.stderr
    if _color(stream):
        text = f"{_DIM}{text}{_RESET}"
    stream.write(text + "\n")
    stream.flush()


def stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, AttributeError):
        return False


def stdout_is_tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (ValueError, AttributeError):
        return False


def stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (ValueError, AttributeError):
        return False


def interactive() -> bool:
    """Prompting is allowed only when a person sits at both ends."""
    return stdin_is_tty() and stdout_is_tty()
