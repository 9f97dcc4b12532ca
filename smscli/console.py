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
        _emit(sys.stderr, "".join(lines))


def _hold(text: str) -> bool:
    if _held is None:
        return False
    _held.append(text + "\n")
    if len(_held) > _HELD_MAX:
        del _held[: len(_held) - _HELD_MAX]
    return True


def _fit(stream: TextIO | None, text: str, indent: int) -> str:
    """On a terminal, a line longer than it is wide breaks between words (the terminal would
    cut a number, a name or "e.g." in two); never inside a word. Piped output is unchanged."""
    if not _isatty(stream):
        return text
    width = _width(stream)
    if all(len(line) < width for line in text.split("\n")):
        return text
    import textwrap

    lines = []
    for n, line in enumerate(text.split("\n")):
        lead = len(line) - len(line.lstrip())
        lines.append(
            textwrap.fill(
                line,
                width=width - 1,
                initial_indent="",
                subsequent_indent=" " * (indent if n == 0 else lead + 2),
                break_long_words=False,
                break_on_hyphens=False,
                drop_whitespace=True,
            )
            if len(line) >= width
            else line
        )
    return "\n".join(lines)


def _width(stream: TextIO | None) -> int:
    """The width of the terminal `stream` writes to. Not shutil's, which measures stdout: with
    stdout redirected (`-o jsonl > file`, `| head`) it fell back to 80 columns and lines were
    broken at 80 on a wider terminal. COLUMNS still wins, as it does for rich's tables."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(stream.fileno()).columns if stream is not None else 80
    except (OSError, ValueError, AttributeError):
        return 80


def _isatty(stream: TextIO | None) -> bool:
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
    line = _fit(stream, prefix + text, indent=2)
    if prefix and _color(stream):
        line = f"{color}{prefix}{_RESET}{line[len(prefix):]}"
    _emit(stream, line + "\n")


def error(text: str) -> None:
    global _held
    if _held is not None:
        # Something went wrong: --silent has nothing more to hide. What was held back comes
        # first, in order, and the rest of the run prints as it goes.
        lines, _held = _held, None
        _emit(sys.stderr, "".join(lines))
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
    text = _fit(stream, text, indent=len(text) - len(text.lstrip()) + 2)
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


def confirm(question: str) -> bool | None:
    """Ask the person at the terminal a yes/no question (default no); None when nobody can be
    asked. Numbers piped in at a terminal (`cut ... | smscli send`) leave stdin a pipe, so the
    question goes to the controlling terminal, /dev/tty, as clig.dev recommends. Only when one
    of stdin, stdout or stderr is a terminal: cron, CI and captured test runs are never asked,
    whatever terminal the process may have inherited."""
    if not (stdin_is_tty() or stdout_is_tty() or stderr_is_tty()):
        return None
    try:
        tty = os.open("/dev/tty", os.O_RDWR | getattr(os, "O_NOCTTY", 0))
    except OSError:
        if not (stdin_is_tty() and stderr_is_tty()):
            return None
        import typer  # no /dev/tty (Windows): the usual prompt on stdin/stderr

        return bool(typer.confirm(question, default=False, err=True))
    try:
        os.write(tty, f"{question} [y/N]: ".encode())
        answer = b""
        while not answer.endswith(b"\n"):
            got = os.read(tty, 1)  # the terminal is in line mode: this returns a whole line
            if not got:  # end of input (Ctrl-D): no
                os.write(tty, b"\n")
                break
            answer += got
    finally:
        os.close(tty)
    return answer.decode(errors="replace").strip().lower() in ("y", "yes")


def interactive() -> bool:
    """Prompting is allowed only when a person sits at both ends."""
    return stdin_is_tty() and stdout_is_tty()
