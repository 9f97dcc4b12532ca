"""SIGTERM (timeout, docker stop, systemd) and SIGHUP (the terminal went away) stop smscli the
way Ctrl-C does: as a KeyboardInterrupt, so a bulk send stops starting requests, lets the ones
in flight finish, journals every answer and prints its summary and resume command.

A signal that arrives while an answer is being journalled is held until the write is done
(`shielded()`): an exception raised inside the journal's transaction would roll it back and
lose an answer the gateway gave."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Final

from smscli.errors import ExitCode

# 128 + the signal's number, as a shell reports a process killed by it (the codes are named
# once, in ExitCode).
EXIT_CODES: Final = {
    int(signal.SIGINT): int(ExitCode.INTERRUPTED),
    **({int(signal.SIGHUP): int(ExitCode.HANGUP)} if hasattr(signal, "SIGHUP") else {}),
    int(signal.SIGTERM): int(ExitCode.TERMINATED),
}
NAMES: Final = {
    int(signal.SIGINT): "interrupted (Ctrl-C)",
    **({int(signal.SIGHUP): "stopped by SIGHUP (the terminal went away)"}
       if hasattr(signal, "SIGHUP") else {}),
    int(signal.SIGTERM): "stopped by SIGTERM",
}


class Stopped(KeyboardInterrupt):
    """A stop signal, raised on the main thread. `signum` picks the exit code."""

    def __init__(self, signum: int) -> None:
        super().__init__(NAMES.get(signum, f"stopped by signal {signum}"))
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signum, 128 + self.signum)


_state = threading.local()
_held: list[int] = []  # signals that arrived inside a shielded block, oldest first
_absorbing: list[bool] = []  # non-empty: stop signals are noted, never raised (see absorbing())
_first: list[int] = []  # the first stop signal of this process: it decides the exit code


def _depth() -> int:
    return int(getattr(_state, "depth", 0))


def _handler(signum: int, frame: FrameType | None) -> None:
    if not _first:
        _first.append(signum)
    if _absorbing:
        return
    if _depth() > 0:
        _held.append(signum)
        return
    raise Stopped(signum)


def install() -> None:
    """Route SIGINT, SIGTERM and SIGHUP to `Stopped` (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in EXIT_CODES:
        with contextlib.suppress(OSError, ValueError):  # a platform without it
            signal.signal(signum, _handler)


def first_signal() -> int | None:
    """The first stop signal this process received, if any."""
    return _first[0] if _first else None


def exit_code(default: int = 130) -> int:
    signum = first_signal()
    return EXIT_CODES.get(signum, 128 + signum) if signum is not None else default


@contextmanager
def absorbing() -> Iterator[None]:
    """Already stopping for a signal: another one (`timeout` signals the process and then its
    group; systemd repeats SIGTERM) changes nothing, so it is noted and dropped instead of
    raised into the bookkeeping of the stop, which would lose the summary. Only for steps that
    do not wait: a wait that a second signal should cut (the drain) stays outside."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _absorbing.append(True)
    try:
        yield
    finally:
        _absorbing.pop()
        _held.clear()  # a repeat held by a shielded block inside: dropped as well


@contextmanager
def shielded() -> Iterator[None]:
    """Hold stop signals until the block is done, then raise the first one held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.depth = _depth() + 1
    try:
        yield
    finally:
        _state.depth = _depth() - 1
    if _depth() == 0 and _held:
        signum = _held[0]
        _held.clear()
        raise Stopped(signum)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """shielded(), with the stop signals also blocked in the kernel for the block: a write to
    a full pipe is not interrupted at all. Interrupted, CPython's text stream can return
    having written only part of the text and drop the rest (a pipe whose reader is slower
    than the rows: a row cut in half, the rest of the request's rows gone). The signals wait
    until the block ends, then are raised as shielded() raises them; meanwhile only SIGKILL
    stops the process, so keep the block to one write (one request's rows)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        with shielded():
            yield
        return
    with shielded():
        before = signal.pthread_sigmask(signal.SIG_BLOCK, set(EXIT_CODES))
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)
