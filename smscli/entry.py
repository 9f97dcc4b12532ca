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
code that uses them, and the standard streams are flushed by the interpreter itself.

A command process also leaves out httpcore's SOCKS support unless the environment names a
SOCKS proxy (see _without_unused_socks)."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Mapping

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
    _without_unused_socks(os.environ)
    from smscli.cli import main as run

    try:
        run()
    finally:
        gc.freeze()


_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})


def _without_unused_socks(env: Mapping[str, str]) -> None:
    """httpcore imports its SOCKS proxy support (socksio) with itself, ~3.5 ms of every command
    that opens a gateway, though only a SOCKS proxy uses it. A proxy comes from the
    environment only (smscli has no proxy setting), and this process runs one command in an
    environment that does not change: unless a proxy variable names SOCKS, httpcore's two
    socks_proxy modules are marked absent, and httpcore falls back to its stub SOCKSProxy
    (it catches the ImportError), which nothing then uses. On macOS and Windows, httpx also
    reads the system's proxy settings, which may name one: there nothing is left out."""
    if sys.platform in ("darwin", "win32"):
        return
    for name, value in env.items():
        if name.lower() in _PROXY_VARIABLES and "socks" in value.lower():
            return
    for module in ("httpcore._sync.socks_proxy", "httpcore._async.socks_proxy"):
        sys.modules.setdefault(module, None)  # type: ignore[arg-type]


def started() -> None:
    """Start-up is over: what it built is frozen (never scanned again) and the collector's
    usual thresholds come back. A no-op unless main() raised them (tests, embedding)."""
    global _usual
    if _usual is None:
        return
    usual, _usual = _usual, None
    gc.freeze()
    gc.set_threshold(*usual)
