"""`smscli report`: did it arrive?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from smscli.cli import common as c
from smscli.cli import completion
from smscli.cli import options as o
from smscli.errors import UsageError
from smscli.limits import MAX_JOB_ID

FROM_HISTORY = "From the local history"

if TYPE_CHECKING:
    from smscli.reporting.poll import WaitPolicy

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
            max=3600,
            callback=o.finite,
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
            max=30 * 86400,
            callback=o.finite,
            help=f"With --wait: give up after this long (exit 4) [default: {DEFAULT_TIMEOUT:g}]",
            show_default=False,
        ),
    ] = None,
    last: Annotated[
        bool,
        typer.Option(
            "--last",
            help="Every message of the newest job in the local history (of the profile "
            "named with -p, else of any profile, asked with that job's profile).",
            rich_help_panel=FROM_HISTORY,
        ),
    ] = False,
    job: Annotated[
        int | None,
        typer.Option(
            "--job",
            metavar="ID",
            max=MAX_JOB_ID,
            help="Every message of this job (see: smscli history); its own profile unless -p.",
            show_default=False,
            autocompletion=completion.job_ids,
            rich_help_panel=FROM_HISTORY,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="2h|3d|1w|2026-11-01",
            help="Every message the profile's jobs sent since then: a duration ago (s, m, h, "
            "d, w) or an ISO date. Other profiles' messages need their own -p.",
            show_default=False,
            rich_help_panel=FROM_HISTORY,
        ),
    ] = None,
    refresh: Annotated[
        bool,
        typer.Option(
            "--refresh",
            help="Ask the gateway even about messages the history already knows as delivered "
            "or failed.",
            rich_help_panel=FROM_HISTORY,
        ),
    ] = False,
    no_history: Annotated[
        bool,
        typer.Option(
            "--no-history",
            help="Neither read nor write the local history (not possible with mobset).",
            rich_help_panel=FROM_HISTORY,
        ),
    ] = False,
    profile: o.ProfileOpt = None,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
    quiet: o.QuietOpt = 0,
    wide: o.WideOpt = False,
    silent: o.SilentOpt = False,
    verbose: o.VerboseOpt = False,
) -> int:
    """Show the delivery state of sent messages.

    Statuses: delivered, failed, pending (still sending, or sent in the last 3 days and not
    known to the gateway yet), unknown (an id neither the gateway nor the history knows, or
    one sent longer ago that the gateway has no record of). Exit 3 when a message failed, 4
    when --wait timed out.

    The msgIds come from the arguments, -f or stdin, or from the local history with --last,
    --job or --since (one of these three, and then no msgIds). Every answer is written back
    to the history, and a message it already knows as delivered or failed is answered from
    it without asking the gateway again (--refresh asks anyway). --no-history, or the
    profile's history = false, writes nothing back and (for msgIds given) reads nothing.

    mobset hands out each delivery report once, from a queue: `report` pulls everything
    waiting into the history first (reports for msgIds it does not hold are kept too) and
    answers from there. So with mobset the history cannot be turned off. Pulls are paced
    (one a second), stop when one brings nothing new, and at most 200 are made per run. Every
    answer is kept as it came before it is read. On an account shared with other systems,
    set the profile's drain_reports = false: pulling takes the reports from them.

    \b
    Examples:
      smscli report 2401011200001000095
      smscli send 447700900123 -m hi -q | smscli report --wait
      smscli send -f list.csv -m hi -o jsonl > sent.jsonl; smscli report -f sent.jsonl
      smscli report --last --wait
      smscli report --since 1d -p shop
    """
    from smscli import collector
    from smscli.cli.report_ids import which_ids
    from smscli.cli.report_run import ReportRun, history_needed, open_store
    from smscli.cli.report_show import finish
    from smscli.reporting.drain import as_queue
    from smscli.selection import history_selection

    opts = c.common(ctx, profile, output, json_flag, quiet, verbose, silent=silent, wide=wide)
    policy = _wait_policy(wait, interval, timeout)
    # Checked before any profile, history or network: a bad id or option queries nothing.
    selection = history_selection(last=last, job=job, since=since)
    # No cyclic GC during the run: 100,000 reports are a million young objects holding no
    # cycles. A --wait collects after each poll, before its pause (report_run.polled).
    with collector.paused():
        collected, prof = which_ids(opts, msg_ids or [], file, selection, no_history=no_history)
        history = not no_history and prof.bool_setting("history")
        gateway = c.open_gateway(prof, opts)
        try:
            queue = as_queue(gateway)
            if queue is not None and not history:
                raise history_needed(prof, no_history)
            store = open_store(required=queue is not None) if history else None
            try:
                run = ReportRun(gateway, prof, store)
                if queue is not None:
                    outcome = run.queue(queue, collected, policy, refresh=refresh)
                else:
                    outcome = run.query(collected, policy, refresh=refresh)
            finally:
                if store is not None:
                    store.close()
        finally:
            gateway.close()
        return finish(outcome, opts, waited=policy is not None)


def _wait_policy(wait: bool, interval: float | None, timeout: float | None) -> WaitPolicy | None:
    from smscli.reporting.poll import WaitPolicy

    if not wait:
        if interval is not None or timeout is not None:
            raise UsageError("--interval and --timeout only apply with --wait")
        return None
    return WaitPolicy(
        interval=DEFAULT_INTERVAL if interval is None else interval,
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
    )
