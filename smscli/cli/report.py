"""`smscli report`: did it arrive?"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.errors import SmsCliError, UsageError
from smscli.output import Column, write_rows

if TYPE_CHECKING:
    from smscli.reporting import OnReports, OnRetry, Poll, ReportOutcome, WaitPolicy
    from smscli.settings import ResolvedProfile

REPORT_COLUMNS = [
    Column("msg_id", "Message ID"),
    Column("number", "Number"),
    Column("status", "Status"),
    Column("time", "Time"),
    Column("code", "Code", "right"),
    Column("detail", "Detail"),
]

DEFAULT_INTERVAL = 10.0
DEFAULT_TIMEOUT = 600.0


@c.handle_errors
def report(
    ctx: typer.Context,
    msg_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[MSG_ID]...",
            help="msgIds (comma-separated allowed); `-` or piped stdin reads them from stdin.",
            show_default=False,
        ),
    ] = None,
    file: Annotated[
        str | None,
        typer.Option(
            "--file",
            "-f",
            metavar="PATH|-",
            help="msgIds one per line, or the output of send/batch in any format; `-` = stdin.",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Keep asking until no message is pending.")
    ] = False,
    interval: Annotated[
        float | None,
        typer.Option(
            "--interval",
            metavar="SECONDS",
            help=f"With --wait: seconds between polls, stretched up to 60 while nothing "
            f"changes [default: {DEFAULT_INTERVAL:g}]",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help=f"With --wait: give up after this long (exit 4) [default: {DEFAULT_TIMEOUT:g}]",
            show_default=False,
        ),
    ] = None,
    profile: c.ProfileOpt = None,
    output: c.OutputOpt = None,
    json_flag: c.JsonOpt = False,
    quiet: c.QuietOpt = False,
    verbose: c.VerboseOpt = False,
) -> None:
    """Show the delivery state of sent messages.

    Statuses: delivered, failed, pending (still sending, or not known to the gateway yet),
    unknown. Exit 3 when a message failed, 4 when --wait timed out.

    \b
    Examples:
      smscli report 2401011200001000095
      smscli send 447700900123 -m hi -q | smscli report --wait
      smscli send -f list.csv -m hi -o jsonl > sent.jsonl; smscli report -f sent.jsonl
    """
    from smscli import reporting as r

    opts = c.common(ctx, profile, output, json_flag, quiet, verbose)
    policy = _wait_policy(wait, interval, timeout)
    # Checked before any profile or network: a bad id queries nothing.
    collected = r.collect_ids(
        msg_ids or [], file=file, stdin=sys.stdin, stdin_is_tty=console.stdin_is_tty()
    )
    if collected.duplicates:
        console.detail(f"{collected.duplicates:,} duplicate msgIds: each is queried once")
    prof = c.load_profile(opts)
    gateway = c.open_gateway(prof, opts)
    view = _Progress(live=console.stderr_is_tty())
    try:
        outcome = r.check_reports(
            gateway,
            collected.ids,
            wait=policy,
            concurrency=prof.get_int("concurrency") or 4,
            retry=r.QUERY_RETRY,
            on_reports=_history_hook(prof),
            on_poll=view.update,
            on_retry=_retrying("getReport"),
        )
    finally:
        view.close()
        gateway.close()
    _finish(outcome, opts, waited=policy is not None)


def _wait_policy(wait: bool, interval: float | None, timeout: float | None) -> WaitPolicy | None:
    from smscli.reporting import WaitPolicy

    if not wait:
        if interval is not None or timeout is not None:
            raise UsageError("--interval and --timeout only apply with --wait")
        return None
    return WaitPolicy(
        interval=DEFAULT_INTERVAL if interval is None else interval,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
    )


def _history_hook(prof: ResolvedProfile) -> OnReports | None:
    """Where the local history store will record delivery states (when the profile's
    `history` is on). No store exists yet."""
    return None


def _retrying(what: str) -> OnRetry:
    def say(exc: SmsCliError, attempt: int, pause: float) -> None:
        console.detail(f"{what}: {exc.message}; trying again in {pause:.1f} s")

    return say


def _finish(outcome: ReportOutcome, opts: c.Common, *, waited: bool) -> None:
    from smscli import reporting as r

    write_rows(r.report_rows(outcome.reports), REPORT_COLUMNS, opts.output)
    counts = outcome.counts
    console.info(r.summary(counts))
    if outcome.timed_out:
        console.error(
            f"timed out after {_duration(outcome.elapsed)} with {counts.waiting:,} messages "
            "still pending"
        )
    elif outcome.interrupted:
        console.error(f"interrupted with {counts.waiting:,} messages still pending")
    elif counts.not_found and not waited:
        console.detail(
            "not found: still queued at the gateway, or not a msgId of this account; "
            "ask again later, or use --wait"
        )
    raise typer.Exit(int(r.exit_code(outcome)))


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class _Progress:
    """--wait progress on stderr. On a terminal, one status line rewritten in place; when
    piped, a plain line only when a later poll found something new."""

    def __init__(self, *, live: bool) -> None:
        self._live = live
        self._width = 0

    def update(self, poll: Poll) -> None:
        from smscli.reporting import summary

        if poll.error is not None:
            self._clear()
            console.warn(f"could not ask for reports: {poll.error.message}")
        if poll.next_delay is None:
            # The last poll: the final summary says the rest.
            return
        text = f"{_duration(poll.elapsed)}: {summary(poll.counts)}"
        if self._live:
            self._show(f"{text}; next check in {_duration(poll.next_delay)}")
        elif poll.changed and poll.number > 1:
            console.info(text)

    def _show(self, text: str) -> None:
        import shutil

        # Longer than the terminal, the line would wrap and \r could not rewrite it.
        text = text[: max(20, shutil.get_terminal_size().columns - 1)]
        sys.stderr.write("\r" + text.ljust(self._width))
        sys.stderr.flush()
        self._width = len(text)

    def _clear(self) -> None:
        if self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()
            self._width = 0

    def close(self) -> None:
        self._clear()
