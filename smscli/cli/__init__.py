"""The Typer app. Commands live one per module; this file only wires them together.

There is deliberately no default command: a mistyped subcommand must never send anything."""

# No `from __future__ import annotations`: Typer reads the root callback's signature on every
# run, and string annotations would be compiled and evaluated each time (see cli/send.py).
import functools
import importlib
import os
import sys
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Annotated, Any

import click
import typer
import typer.main

from smscli import __version__
from smscli.cli import options as o
from smscli.cli.help import SmsGroup, adopt, run_main

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from smscli.console import Environment

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
  74 the output or the history could not be written (disk full, I/O error,
     stdout closed); a send stops and says what was answered
  129 stopped by SIGHUP (the terminal went away)
  130 interrupted (Ctrl-C)
  141 the output's reader went away (closed pipe, e.g. | head)
  143 stopped by SIGTERM (timeout, docker stop, systemctl stop)
"""

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class LazyGroup(SmsGroup):
    """The root group: lists every command but builds only the one asked for."""

    def _main_shell_completion(
        self,
        ctx_args: MutableMapping[str, Any],
        prog_name: str,
        complete_var: str | None = None,
    ) -> None:
        # zsh gets a formatter that keeps apostrophes (smscli.cli.completion); the other
        # shells are Typer's own.
        var = complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper()
        if os.environ.get(var) == "complete_zsh":
            from smscli.cli.completion import zsh_complete

            click.echo(zsh_complete(self, ctx_args, prog_name, var))
            sys.exit(0)
        super()._main_shell_completion(ctx_args, prog_name, complete_var)

    def main(  # type: ignore[override]
        self,
        args: list[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        return run_main(
            super().main,
            args=args,
            prog_name=prog_name,
            complete_var=complete_var,
            standalone_mode=standalone_mode,
            **extra,
        )

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Click's own, over the stand-ins: `smscli --help` imports no command.
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, summary(name).get_short_help_str(limit)) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> "list[CompletionItem]":
        # Completing a command's name (`smscli se<TAB>`) needs only names and summaries;
        # Click would build each matching command to read them. Options come from Click.
        from click.shell_completion import CompletionItem

        results = [
            CompletionItem(name, help=summary(name).get_short_help_str())
            for name in COMMANDS
            if name.startswith(incomplete)
        ]
        results.extend(click.Command.shell_complete(self, ctx, incomplete))
        return results


app = typer.Typer(
    name="smscli",
    cls=LazyGroup,
    help="Send SMS through HTTP gateways (laaffic, onbuka, itniotech v3; offline sandbox).",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    # Plain Click help: rich-formatted help costs ~250 ms of start-up (see bench/startup.py).
    rich_markup_mode=None,
    # Locals hold secrets: never let a pretty traceback print them.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    context_settings=CONTEXT_SETTINGS,
)


def _version(value: bool) -> None:
    if value:
        from smscli import console

        typer.echo(f"smscli {__version__}", file=console.current().stdout)
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    profile: o.ProfileOpt = None,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
    quiet: o.QuietOpt = 0,
    silent: o.SilentOpt = False,
    verbose: o.VerboseOpt = False,
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
        "silent": silent,
        "verbose": verbose,
    }


# name -> (module, attribute, kind, summary). Commands are imported and built only when used:
# building every Typer command for each `--help` or Tab press costs more than the rest of
# start-up. The summary is the first sentence of the command's own help, for the root's
# `--help` and for completing a command's name without importing it (a test keeps them equal).
COMMANDS: dict[str, tuple[str, str, str, str]] = {
    "send": ("smscli.cli.send", "send", "command", "Send one message to one or many numbers."),
    "batch": (
        "smscli.cli.batch", "batch", "command",
        "Send many messages in one go: one row per number and message.",
    ),
    "report": (
        "smscli.cli.report", "report", "command", "Show the delivery state of sent messages."
    ),
    "balance": (
        "smscli.cli.balance", "balance", "command", "Show the account balance, gift and credit."
    ),
    "lookup": (
        "smscli.cli.lookup", "lookup", "command",
        "Messages to and from some numbers: did they get our SMS?",
    ),
    "inbox": (
        "smscli.cli.inbox", "inbox", "command", "Inbound messages (replies), newest first."
    ),
    "sync": ("smscli.cli.sync", "sync", "command", "Pull the account's records into the history."),
    "history": (
        "smscli.cli.history", "app", "group",
        "What was sent, to whom, and what became of it (the local history).",
    ),
    "config": (
        "smscli.cli.config", "app", "group",
        "Create, inspect and edit profiles (provider, credentials, tunables).",
    ),
    "sandbox": (
        "smscli.cli.sandbox", "app", "group",
        "The offline simulators (v3, mobset): try smscli without an account.",
    ),
}


def summary(name: str) -> click.Command:
    """A stand-in for command `name` carrying only its name and summary: enough for the
    root's help and for completing command names, without importing the command."""
    return click.Command(name, help=COMMANDS[name][3])


@functools.cache
def load_command(name: str) -> click.Command | None:
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    module_name, attribute, kind, _ = entry
    target = getattr(importlib.import_module(module_name), attribute)
    if kind == "group":
        command = typer.main.get_command(target)
    else:
        single = typer.Typer(
            add_completion=False,
            rich_markup_mode=None,
            context_settings=CONTEXT_SETTINGS,
        )
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return adopt(command)


def main(env: "Environment | None" = None) -> None:
    """Run the command line in `env` (by default the process's own console)."""
    from smscli import console, signals

    # SIGTERM (timeout, docker stop, systemd) and SIGHUP stop a send as Ctrl-C does.
    signals.install()
    with console.use(env or console.current()):
        app(prog_name="smscli")
