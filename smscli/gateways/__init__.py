"""Thin gateway clients: plain values in, frozen dataclasses out, smscli errors raised.

Nothing in this package imports typer or rich, or prints."""

import sys

# `import httpx` also imports httpx's own command-line client (httpx._main) whenever click,
# rich and pygments are installed - and smscli installs the first two. That costs about 40 ms
# of every start-up for code smscli never runs. A None in sys.modules makes that one import
# fail at once, and httpx falls back to its stub `main` (it catches the ImportError). Only
# the in-process httpx.main() is affected; the `httpx` console command runs in its own process.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
