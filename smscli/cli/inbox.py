"""`smscli inbox`: inbound messages (replies to the account), newest first.

Row keys (fixed): time, number, to, content, msg_id."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.cli import options as o
from smscli.cli.syncing import (
    DEFAULT_SINCE,
    SinceOpt,
    normalized,
    open_history,
    profile_country,
    run_sync,
    since_time,
)
from smscli.errors import SmsCliError
from smscli.output import write_rows
from smscli.rows import INBOX, columns

# The keys in the order every command shares (smscli.rows.INBOX).
# Built from the vocabulary, so a narrow terminal hides the recipient rather than folding a
# number, msgId or time (issue 15); the sender is the row's number, headed "From".
COLUMNS = [
    replace(column, heading="From") if column.key == "number" else column
    for column in columns(*INBOX)
]


@c.handle_errors
def inbox(
    ctx: typer.Context,
    since: SinceOpt = DEFAULT_SINCE,
    number: Annotated[
        str | None,
        typer.Option("--number", "-n", metavar="NUMBER", help="Only messages from this number.",
                     show_default=False),
    ] = None,
    no_sync: Annotated[
        bool,
        typer.Option("--no-sync", help="Show the history only; ask the gateway nothing."),
    ] = False,
    profile: o.ProfileOpt = None,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
    quiet: o.QuietOpt = False,
    verbose: o.VerboseOpt = False,
    wide: o.WideOpt = False,
) -> None:
    """Inbound messages (replies), newest first. Fetches new ones from the gateway first
    (the profile's account) unless --no-sync.

    \b
    Examples:
      smscli inbox
      smscli inbox --since 1d --number "+44 7700 900123" -o json
    """
    opts = c.common(ctx, profile, output, json_flag, quiet, verbose, wide=wide)
    sender = (
        normalized(number, "--number", country=profile_country(opts))
        if number is not None else None
    )
    when = since_time(since)
    store = open_history()
    try:
        if not no_sync:
            prof = c.load_profile(opts)
            gateway = c.open_gateway(prof, opts)
            try:
                run_sync(gateway, store, prof, when, wait=False, sent=False)
            except SmsCliError as exc:  # offline, rate-limited, refused: the history still answers
                console.warn(f"could not fetch new inbound messages ({exc.message}): "
                             "showing the history")
            finally:
                gateway.close()
        from smscli.support.lookup import inbox_rows

        rows = list(inbox_rows(store, when, sender))
    finally:
        store.close()
    if not rows:
        console.info("no inbound messages in the window")
    write_rows(rows, COLUMNS, opts.output, wide=opts.wide)
