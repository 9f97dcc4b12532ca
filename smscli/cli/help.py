"""Plain (Click) help with smscli's manners: options shown in the groups their commands
declare (`rich_help_panel`), a suggestion for a mistyped subcommand, and Click's own errors
("Error: No such option") written the way every other smscli error is ("error: ...").

Rich-formatted help would do the grouping, but costs ~250 ms of start-up (bench/startup.py),
so the plain formatter is taught the groups instead."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click
from typer.core import TyperCommand, TyperGroup

OPTIONS = "Options"


def format_grouped_options(
    command: click.Command, ctx: click.Context, formatter: click.HelpFormatter
) -> None:
    """Arguments, then the command's own options, then each declared group in the order it
    first appears (the common options come last, as every command lists them last)."""
    arguments: list[tuple[str, str]] = []
    groups: dict[str, list[tuple[str, str]]] = {OPTIONS: []}
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        if param.param_type_name == "argument":
            arguments.append(record)
            continue
        panel = getattr(param, "rich_help_panel", None) or OPTIONS
        groups.setdefault(panel, []).append(record)
    if arguments:
        with formatter.section("Arguments"):
            formatter.write_dl(arguments)
    for panel, records in groups.items():
        if records:
            with formatter.section(panel):
                formatter.write_dl(records)


class SmsCommand(TyperCommand):
    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        format_grouped_options(self, ctx, formatter)


class SmsGroup(TyperGroup):
    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        format_grouped_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else None
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            ctx.fail(f"no such command {name!r}{suggestion(name, self.list_commands(ctx))}")
        return super().resolve_command(ctx, args)


def suggestion(name: str, choices: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def adopt(command: click.Command) -> click.Command:
    """Give a command built by Typer (and its subcommands) smscli's help and errors."""
    if type(command) is TyperCommand:
        command.__class__ = SmsCommand
    elif type(command) is TyperGroup:
        command.__class__ = SmsGroup
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            adopt(sub)
    return command


def show_usage_error(exc: click.ClickException) -> None:
    """One `error:` line like every other smscli error, then where to look for help."""
    from smscli import console

    if isinstance(exc, click.NoSuchOption):
        # Worded as a mistyped subcommand is: "(did you mean '--json'?)", the closest one
        # (Click writes "No such option '--jsn'. (Did you mean one of: ...?)").
        close = exc.possibilities or []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        message = f"no such option {exc.option_name!r}{hint}"
    else:
        message = exc.format_message()
        message = message[:1].lower() + message[1:]
    console.error(message.rstrip("."))
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        console.detail(f"  see: {ctx.command_path} --help")


def run_main(main: Any, **kwargs: Any) -> Any:
    """Run Click's main without its standalone error printing, printing usage errors our way;
    `main` is the base class's bound main. Returns what a non-standalone main returns."""
    standalone = kwargs.pop("standalone_mode", True)
    if not standalone:
        return main(standalone_mode=False, **kwargs)
    try:
        result = main(standalone_mode=False, **kwargs)
    except click.ClickException as exc:
        show_usage_error(exc)
        sys.exit(exc.exit_code)
    except click.Abort:
        from smscli import console

        console.error("interrupted")
        sys.exit(130)
    except SystemExit as exc:
        # Click turns a closed pipe under help or --version (`smscli --help | true`) into exit 1
        # (1 means "the gateway rejected" here), marking it by wrapping stdout: 141 instead.
        if exc.code == 1 and isinstance(sys.stdout, click.utils.PacifyFlushWrapper):
            sys.exit(141)
        raise
    except OSError as exc:
        # Help, --version and the like are written by Click itself, outside any command's
        # error boundary: `smscli --help > /dev/full` or `| true` must not end in a traceback.
        if not stdout_failed(exc):
            raise
        exit_output_failure(exc)
    sys.exit(result if isinstance(result, int) else 0)


def stdout_failed(exc: OSError) -> bool:
    """Whether an OSError that reached the top is stdout failing: a closed pipe or a full disk
    (only writes fail that way: the history's own failures are sqlite3 errors), or any error
    while what is pending on stdout cannot be flushed either."""
    import errno

    if exc.errno in (errno.EPIPE, errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    if sys.stdout is None:
        return True
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        return True
    return False


def exit_output_failure(exc: BaseException) -> None:
    """Exit as a command does when its output fails: 141 without a word for a closed pipe
    (the reader went away), else one line and 74."""
    from smscli import console
    from smscli.errors import OutputClosed
    from smscli.output import output_error

    error = output_error(exc)
    if not isinstance(error, OutputClosed):
        console.error(error.message)
    sys.exit(int(error.exit_code))
