"""The console script. `--version` is answered before Typer is even imported: scripts call it
to probe for smscli, and it should cost no more than the interpreter's own start-up.

Start-up (Click, Typer, httpx and smscli's own modules) allocates some 40,000 objects that
live as long as the process. With the usual thresholds the cyclic collector ran ~60 times
over them and found nothing: ~10 ms of a one-number send's ~170 ms of CPU. So the young
generation's threshold is raised for the start-up (the collector still runs, as a safety net,
just not every 700 allocations) and `started()` freezes what start-up built and restores the
usual thresholds once the command's heavy imports are done (the gateway is open), so that
the work itself (a bulk send) is collected as usual, minus rescanning the start-up objects.

At exit everything still alive is frozen as well: the interpreter's last collection would
otherwise scan it all once more (~15 ms for `--help` or a Tab completion, ~25 ms for
`history`) to free memory the operating system takes back anyway. Nothing of smscli's relies
on a collection at exit: files, the history and the locks are closed (or committed) by the
code that uses them, and the standard streams are flushed by the interpreter itself."""

from __future__ import annotations

import gc
import sys

STARTUP_THRESHOLD = 60_000
_usual: tuple[int, int, int] | None = None  # the thresholds to restore; None: not raised


def main() -> None:
    global _usual
    if sys.argv[1:] == ["--version"]:
        from smscli import __version__, console

        out = console.current().stdout
        try:
            if out is None:  # started with stdout closed (`>&-`)
                raise ValueError("stdout is closed")
            out.write(f"smscli {__version__}\n")
            out.flush()
        except (OSError, ValueError) as exc:
            from smscli.cli.help import exit_output_failure

            exit_output_failure(exc)
        return
    _usual = gc.get_threshold()
    gc.set_threshold(STARTUP_THRESHOLD, _usual[1], _usual[2])
    from smscli.cli import main as run

    try:
        run()
    finally:
        gc.freeze()


def started() -> None:
    """Start-up is over: what it built is frozen (never scanned again) and the collector's
    usual thresholds come back. A no-op unless main() raised them (tests, embedding)."""
    global _usual
    if _usual is None:
        return
    usual, _usual = _usual, None
    gc.freeze()
    gc.set_threshold(*usual)
