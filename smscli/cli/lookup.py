"""`smscli lookup`: did this number get our SMS? Everything the account knows about some
numbers, newest first: messages smscli's jobs sent, messages any other system on the account
sent (the gateway's records, synced first), and the replies they sent back.

Row keys (fixed): time, direction (out|in), number, msg_id, status (delivered|failed|pending|
unknown|received), detail, content, job, profile, source (history|gateway). Times are local on
a terminal, ISO-8601 with offset in machine formats."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.cli import options as o
from smscli.cli.lookup_sync import sync_first
from smscli.cli.syncing import (
    DEFAULT_SINCE,
    SinceOpt,
    normalized,
    open_history,
    profile_country,
    since_time,
)
from smscli.output import Column, OutputFormat, write_rows
from smscli.rows import LOOKUP, columns

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime


# Machine formats: the keys in the order every command shares (smscli.rows.LOOKUP); the
# table has its own, words first (_columns).
COLUMNS = columns(*LOOKUP)

# The table is read by a person asking "did it arrive, and if not why": the words (detail,
# content) matter more there than the ids, so on a narrow terminal the source, profile, job
# and message ID give way before them; the time, direction, number and status always stay.
# Without these, every column was priority 0 and rich folded numbers and msgIds (issue 15).
_TABLE_PRIORITY = {"source": 8, "profile": 7, "job": 6, "msg_id": 5, "content": 3, "detail": 2}


@c.handle_errors
def lookup(
    ctx: typer.Context,
    numbers: Annotated[
        list[str],
        typer.Argument(
            metavar="NUMBER...", help="Phone numbers, written any way `send` takes them."
        ),
    ],
    since: SinceOpt = DEFAULT_SINCE,
    no_sync: Annotated[
        bool,
        typer.Option("--no-sync", help="Answer from the history only; ask the gateway nothing."),
    ] = False,
    profile: o.ProfileOpt = None,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
    quiet: o.QuietOpt = False,
    verbose: o.VerboseOpt = False,
    wide: o.WideOpt = False,
) -> None:
    """Messages to and from some numbers: did they get our SMS?

    Everything about these numbers, newest first: what was sent to them (by smscli or any
    system on the account), its delivery status, and what they sent back.

    First syncs the window from the gateway (the profile's account), unless --no-sync; when it
    cannot (rate-limited, offline) it answers from the history and says how fresh that is.

    \b
    Examples:
      smscli lookup "+44 7700 900123"
      smscli lookup 447700900123 447700900456 --since 30d -o json
      smscli lookup 447700900123 --no-sync        offline: the history only
      smscli lookup 447700900123 --wide           every column, job and msgId too
    """
    opts = c.common(ctx, profile, output, json_flag, quiet, verbose, wide=wide)
    from smscli.numberlist import numbers_from_args

    # As `send` reads its arguments: comma-separated pieces, each normalised and checked.
    country = profile_country(opts)
    wanted = [normalized(raw.value, country=country) for raw in numbers_from_args(numbers)]
    when = since_time(since)
    store = open_history()
    try:
        notes: list[str] = []
        if not no_sync:
            notes = sync_first(store, opts, when, wanted)
        else:
            notes = ["not synced (--no-sync): answered from the history"]
        from smscli.support.lookup import lookup_rows

        rows = lookup_rows(store, wanted, when, time_text=_time_text(opts.output))
    finally:
        store.close()
    if not rows:
        synced = any(note.startswith("consulted:") for note in notes)
        _nothing(wanted, since, when, synced, opts.output)
    else:
        write_rows(rows, _columns(rows, opts.output), opts.output, wide=opts.wide)
    for note in notes:
        console.detail(note)


def _nothing(
    wanted: list[str], since: str, when: datetime, synced: bool, fmt: OutputFormat
) -> None:
    """No match: an empty table says nothing to a person, so a line on stderr says what was
    consulted and the window; machine formats stay empty (`[]` for json), exit 0."""
    if fmt is OutputFormat.JSON:
        write_rows([], COLUMNS, fmt)
    if fmt is not OutputFormat.TABLE:
        return
    # "Gateway records" only when the sync went through (--no-sync, offline, rate-limited:
    # the history alone, as the notes after this line say).
    consulted = "history and gateway records" if synced else "only the local history"
    console.info(
        f"nothing to or from {', '.join(wanted)} {_window(since, when)} ({consulted} consulted)"
    )


_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}


def _window(since: str, when: datetime) -> str:
    """ "in the last 7 days" for a duration, "since 2026-11-01 00:00" for a date."""
    text = since.strip()
    amount, unit = text[:-1], text[-1:].lower()
    if amount.isdigit() and unit in _UNITS:
        n = int(amount)
        return f"in the last {_UNITS[unit]}" if n == 1 else f"in the last {n} {_UNITS[unit]}s"
    return f"since {_shown(when)}"


def _columns(rows: list[dict[str, object]], fmt: OutputFormat) -> list[Column]:
    """Every key for scripts. A table (a person at a terminal) puts the words first and the
    message ID late, and leaves out the profile when every row has the same one."""
    if fmt is not OutputFormat.TABLE:
        return COLUMNS
    by_key = {column.key: replace(column, priority=_TABLE_PRIORITY.get(column.key, 0))
              for column in COLUMNS}
    order = ["time", "direction", "number", "status", "detail", "content", "job", "msg_id",
             "profile", "source"]
    if len({row["profile"] for row in rows}) <= 1:
        order.remove("profile")
    return [by_key[key] for key in order]


def _time_text(fmt: OutputFormat) -> Callable[[datetime], str]:
    """Times inside `detail` as the rest of the row shows them: local on a table."""
    if fmt is OutputFormat.TABLE:
        return _local_short
    return lambda when: when.isoformat(timespec="seconds")


def _local_short(when: datetime) -> str:
    """Local time; the date only when it is not today (the table is narrow enough)."""
    from datetime import datetime as clock

    local = when.astimezone()
    if local.date() == clock.now().astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def _shown(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M")
