"""The console smscli runs in, and messages for people on its stderr.

`Environment` is the one object holding console state: the three standard streams, whether
each is a terminal, the width of the terminal stderr writes to, colour, who answers a yes/no
question, and the lines --silent holds back. Everything that asks "is this a terminal?" or
writes to stdout/stderr asks the *current* environment (`current()`); tests and embedding
programs install their own with `use(Environment(...))` instead of patching module globals
(httpie's `Environment` is the model).

Messages are plain writes (no rich) so start-up stays cheap; colour only on a terminal and
never when NO_COLOR is set."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

_RED, _YELLOW, _DIM, _RESET = "\x1b[31m", "\x1b[33m", "\x1b[2m", "\x1b[0m"

# --silent (-qq): information and hints are held back, and printed only if the command then
# fails (cron mails any output; a failure's context is worth the mail). Bounded, so a long
# run cannot grow it without end.
_HELD_MAX = 200


def _isatty(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, AttributeError):
        return False


class Environment:
    """Console state. Every argument left None is read from the process when asked: the
    streams are sys.stdin/stdout/stderr *at that moment* (signal handling and test runners
    replace them), terminal detection asks the stream, the width comes from COLUMNS or the
    terminal, colour from NO_COLOR / FORCE_COLOR and stderr. Given values are used as they
    are, so a test says "stderr is a terminal" without one."""

    def __init__(
        self,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        stdin_isatty: bool | None = None,
        stdout_isatty: bool | None = None,
        stderr_isatty: bool | None = None,
        colors: bool | None = None,
        width: int | None = None,
        confirm: Callable[[str], bool | None] | None = None,
    ) -> None:
        self._stdin, self._stdout, self._stderr = stdin, stdout, stderr
        self._ttys = (stdin_isatty, stdout_isatty, stderr_isatty)
        self._colors = colors
        self._width = width
        self._confirm = confirm
        self._held: list[str] | None = None

    # The streams. A process started with one closed (`>&-`) has None for it.
    @property
    def stdin(self) -> TextIO | None:
        return self._stdin if self._stdin is not None else sys.stdin

    @property
    def stdout(self) -> TextIO | None:
        return self._stdout if self._stdout is not None else sys.stdout

    @property
    def stderr(self) -> TextIO | None:
        return self._stderr if self._stderr is not None else sys.stderr

    @property
    def stdin_isatty(self) -> bool:
        given = self._ttys[0]
        return given if given is not None else _isatty(self.stdin)

    @property
    def stdout_isatty(self) -> bool:
        given = self._ttys[1]
        return given if given is not None else _isatty(self.stdout)

    @property
    def stderr_isatty(self) -> bool:
        given = self._ttys[2]
        return given if given is not None else _isatty(self.stderr)

    @property
    def interactive(self) -> bool:
        """Prompting is allowed only when a person sits at both ends."""
        return self.stdin_isatty and self.stdout_isatty

    @property
    def colors(self) -> bool:
        """Colour on stderr: never with NO_COLOR, always with FORCE_COLOR, else on a terminal."""
        if self._colors is not None:
            return self._colors
        if os.environ.get("NO_COLOR"):
            return False
        if os.environ.get("FORCE_COLOR"):
            return True
        return self.stderr_isatty

    @property
    def width(self) -> int:
        """The width of the terminal stderr writes to. Not shutil's, which measures stdout:
        with stdout redirected (`-o jsonl > file`, `| head`) it fell back to 80 columns and
        lines were broken at 80 on a wider terminal. COLUMNS still wins, as it does for rich's
        tables."""
        if self._width is not None:
            return self._width
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return int(columns)
        stream = self.stderr
        try:
            return os.get_terminal_size(stream.fileno()).columns if stream is not None else 80
        except (OSError, ValueError, AttributeError):
            return 80

    # --silent: what is held back, and when it is printed after all.
    @property
    def silent(self) -> bool:
        return self._held is not None

    def set_silent(self, on: bool) -> None:
        self._held = [] if on else None

    def hold(self, text: str) -> bool:
        """Keep a line back under --silent; False when not silent (print it now)."""
        if self._held is None:
            return False
        self._held.append(text + "\n")
        if len(self._held) > _HELD_MAX:
            del self._held[: len(self._held) - _HELD_MAX]
        return True

    def release_held(self, *, failed: bool, stop: bool = False) -> None:
        """Print the held-back lines if the command failed, forget them otherwise. `stop`:
        --silent has nothing more to hide, the rest of the run prints as it goes."""
        if self._held is None:
            return
        lines, self._held = self._held, (None if stop else [])
        if failed and lines:
            self.emit("".join(lines))

    def emit(self, text: str) -> None:
        """Write to stderr if it still works: with the terminal gone (SIGHUP), stderr closed
        (`2>&-`) or its disk full, the message is lost, but the work it reports on must not
        be (a summary failing to print must not stop a send from journalling its answers)."""
        stream = self.stderr
        if stream is None:
            return
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):
            pass

    def fit(self, text: str, indent: int) -> str:
        """On a terminal, a line longer than it is wide breaks between words (the terminal
        would cut a number, a name or "e.g." in two); never inside a word. Piped output is
        unchanged."""
        if not self.stderr_isatty:
            return text
        width = self.width
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

    def confirm(self, question: str) -> bool | None:
        """Ask the person at the terminal a yes/no question (default no); None when nobody can
        be asked. Numbers piped in at a terminal (`cut ... | smscli send`) leave stdin a pipe,
        so the question goes to the controlling terminal, /dev/tty, as clig.dev recommends.
        Only when one of stdin, stdout or stderr is a terminal: cron, CI and captured test
        runs are never asked, whatever terminal the process may have inherited."""
        if self._confirm is not None:
            return self._confirm(question)
        if not (self.stdin_isatty or self.stdout_isatty or self.stderr_isatty):
            return None
        try:
            tty = os.open("/dev/tty", os.O_RDWR | getattr(os, "O_NOCTTY", 0))
        except OSError:
            if not (self.stdin_isatty and self.stderr_isatty):
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


_current = Environment()


def current() -> Environment:
    """The environment this command runs in."""
    return _current


@contextmanager
def use(env: Environment) -> Iterator[Environment]:
    """Run with `env` as the current environment (a command run, a test), then put the
    previous one back. Process-wide, not per thread: worker threads report to the same
    console as the command that started them."""
    global _current
    previous, _current = _current, env
    try:
        yield env
    finally:
        _current = previous


def _write(prefix: str, color: str, text: str) -> None:
    env = _current
    line = env.fit(prefix + text, indent=2)
    if prefix and env.colors:
        line = f"{color}{prefix}{_RESET}{line[len(prefix):]}"
    env.emit(line + "\n")


def error(text: str) -> None:
    # Something went wrong: --silent has nothing more to hide. What was held back comes first,
    # in order, and the rest of the run prints as it goes.
    _current.release_held(failed=True, stop=True)
    _write("error: ", _RED, text)


def warn(text: str) -> None:
    _write("warning: ", _YELLOW, text)


def info(text: str) -> None:
    if not _current.hold(text):
        _write("", "", text)


def detail(text: str) -> None:
    """Secondary lines (hints, verbose traces): dim on a terminal."""
    env = _current
    if env.hold(text):
        return
    text = env.fit(text, indent=len(text) - len(text.lstrip()) + 2)
    if env.colors:
        text = f"{_DIM}{text}{_RESET}"
    env.emit(text + "\n")


# What commands ask of the current environment, by name (the call sites read as questions).
def stdin_is_tty() -> bool:
    return _current.stdin_isatty


def stdout_is_tty() -> bool:
    return _current.stdout_isatty


def stderr_is_tty() -> bool:
    return _current.stderr_isatty


def interactive() -> bool:
    """Prompting is allowed only when a person sits at both ends."""
    return _current.interactive


def confirm(question: str) -> bool | None:
    return _current.confirm(question)
