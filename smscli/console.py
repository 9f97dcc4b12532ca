"""Messages for people, on stderr. Plain writes (no rich) so start-up stays cheap; colour only
on a terminal and never when NO_COLOR is set."""

from __future__ import annotations

import os
import sys
from typing import TextIO

_RED, _YELLOW, _DIM, _RESET = "\x1b[31m", "\x1b[33m", "\x1b[2m", "\x1b[0m"


def _color(stream: TextIO | None) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream is not None and stream.isatty()
    except (ValueError, AttributeError):
        return False


def _emit(stream: TextIO | None, text: str) -> None:
    """Write to stderr if it still works: with the terminal gone (SIGHUP), stderr closed
    (`2>&-`) or its disk full, the message is lost, but the work it reports on must not be
    (a summary failing to print must not stop a send from journalling its answers)."""
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        pass


def _write(prefix: str, color: str, text: str) -> None:
    stream = sys.stderr
    if _color(stream):
        prefix = f"{color}{prefix}{_RESET}" if prefix else prefix
    _emit(stream, f"{prefix}{text}\n")


def error(text: str) -> None:
    _write("error: ", _RED, text)


def warn(text: str) -> None:
    _write("warning: ", _YELLOW, text)


def info(text: str) -> None:
    _write("", "", text)


def detail(text: str) -> None:
    """Secondary lines (hints, verbose traces): dim on a terminal."""
    stream = sys.stderr
    if _color(stream):
        text = f"{_DIM}{text}{_RESET}"
    _emit(stream, text + "\n")


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
