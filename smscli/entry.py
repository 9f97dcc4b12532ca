"""The console script. `--version` is answered before Typer is even imported: scripts call it
to probe for smscli, and it should cost no more than the interpreter's own start-up."""

from __future__ import annotations

import sys


def main() -> None:
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
    from smscli.cli import main as run

    run()
