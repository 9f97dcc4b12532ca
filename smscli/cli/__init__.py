"""The Typer app. Commands live one per module; this file only wires them together.

There is deliberately no default command: a mistyped subcommand must never send anything."""

from __future__ import annotations

from typing import Annotated

import typer

from smscli import __version__
from smscli.cli import common as c

EXIT_CODES = """\b
Exit codes:
  0  ok
  1  the gateway rejected the request (other than authentication)
  2  usage, input or config error: nothing was sent
  3  partial: some numbers rejected, some messages failed, or balance below threshold
  4  report --wait timed out with messages still pending
  5  authentication or permission refused by the gateway
  6  network or server fault (connect error, timeout, HTTP 5xx, body not JSON);
     for a send the outcome may be unknown, and the message says so
  130 interrupted
"""

app = typer.Typer(
    name="smscli",
    help="Send SMS through HTTP gateways (laaffic, onbuka, itniotech v3; offline sandbox).",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    # Plain Click help: rich-formatted help costs ~250 ms of start-up (see bench/startup.py).
    rich_markup_mode=None,
    # Locals hold secrets: never let a pretty traceback print them.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smscli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: c.ProfileOpt = None,
    output: c.OutputOpt = None,
    json_flag: c.JsonOpt = False,
    quiet: c.QuietOpt = False,
    verbose: c.VerboseOpt = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Send SMS through HTTP gateways from the command line."""
    ctx.obj = {
        "profile": profile,
        "output": output,
        "json": json_flag,
        "quiet": quiet,
        "verbose": verbose,
    }


def _register() -> None:
    from smscli.cli import balance, batch, config, history, report, sandbox, send

    app.command("send", no_args_is_help=False)(send.send)
    app.command("batch")(batch.batch)
    app.command("report")(report.report)
    app.command("balance")(balance.balance)
    app.add_typer(config.app, name="config")
    app.add_typer(sandbox.app, name="sandbox")
    app.add_typer(history.app, name="history")


_register()


def main() -> None:
    app(prog_name="smscli")
