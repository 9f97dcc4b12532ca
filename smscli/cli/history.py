"""`smscli history`: what was sent, to whom, and what became of it (the local store).

Row keys: smscli.rows (HISTORY_JOBS, HISTORY_NUMBER, HISTORY_SHOW, HISTORY_CHUNKS), listed
in README's "Row keys" table.

`outcome` is the send's answer per number (accepted, rejected, unknown, not_sent, sending);
`status` the last delivery state `report` saw (delivered, failed, pending, not_found, unknown;
empty until a report); `time` when the gateway gave that state, `sent` when the message left.
Chunks count from 1, like the requests of `send --dry-run`. Times are ISO 8601 in UTC in
machine formats and local in the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.cli import completion
from smscli.cli import history_rows as hr
from smscli.cli import options as o
from smscli.cli.history_prune import prune
from smscli.cli.syncing import normalized, open_history, profile_country, since_time
from smscli.errors import UsageError
from smscli.limits import MAX_JOB_ID
from smscli.output import write_rows

if TYPE_CHECKING:
    pass

# The names of smscli.history.queries.STATUS_FILTERS (a test keeps them equal; the store is heavy).
STATUSES = ("failed", "pending", "unknown", "delivered", "rejected", "not_sent")
DEFAULT_LIMIT = 50

app = typer.Typer(
    help="What was sent, to whom, and what became of it (the local history). Without a "
    "subcommand: the jobs, newest first.",
    epilog="""\b
Examples:
  smscli history --since 3d
  smscli history --number "+44 7700 900123"     did this number get our message?
  smscli history --status failed --profile shop
  smscli history show 12
  smscli history prune --older-than 90d
""",
    no_args_is_help=False,
    rich_markup_mode=None,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar="2h|3d|1w|2026-11-01",
        help="Only jobs created since then: a duration ago (s, m, h, d, w) or an ISO date.",
        show_default=False,
    ),
]
QuietJobsOpt = Annotated[
    int,
    typer.Option(
        "--quiet", "-q", count=True, help="Print only the ids, one per line" + o.QQ,
        rich_help_panel=o.COMMON, show_default=False,
    ),
]
FilterProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Only jobs of this profile.",
        show_default=False,
        autocompletion=completion.profiles,
    ),
]


@app.callback(invoke_without_command=True)
@c.handle_errors
def history(
    ctx: typer.Context,
    since: SinceOpt = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="|".join(STATUSES),
            help="Only jobs having messages in this state (unknown = the send's outcome is "
            "unknown; pending = accepted, not yet delivered or failed).",
            show_default=False,
        ),
    ] = None,
    job: Annotated[
        int | None,
        typer.Option(
            "--job",
            metavar="ID",
            min=1,
            max=MAX_JOB_ID,
            help="Only this job.",
            show_default=False,
            autocompletion=completion.job_ids,
        ),
    ] = None,
    number: Annotated[
        str | None,
        typer.Option(
            "--number",
            "-n",
            metavar="NUMBER",
            help="Every message to this number, across profiles and jobs, with its last known "
            "delivery state.",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", metavar="N", max=MAX_JOB_ID - 1, help="At most N jobs (0 = all)."
        ),
    ] = DEFAULT_LIMIT,
    profile: FilterProfileOpt = None,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
    quiet: QuietJobsOpt = 0,
    wide: o.WideOpt = False,
) -> None:
    """List the jobs in the local history, newest first (`send` records every job unless
    --no-history or the profile's history = false)."""
    if ctx.invoked_subcommand is not None:
        return
    opts = c.common(ctx, profile, output, json_flag, quiet, False, wide=wide)
    when = None if since is None else since_time(since)
    if status is not None and status not in STATUSES:
        raise UsageError(f"unknown --status {status!r}: choose one of {', '.join(STATUSES)}")
    if limit < 0:
        raise UsageError("--limit must be 0 or more")
    store = open_history()
    try:
        if number is not None:
            # A national number ("07400 123456") as `send` and `lookup` read it: of the
            # profile's default_country (the --profile named, else the default one).
            wanted = normalized(number, "--number", country=profile_country(opts))
            hits = store.messages_to(wanted, since=when, profile=opts.profile, job_id=job)
            if not hits:
                console.info(f"no message to {wanted} in the history")
            rows = (hr.number_row(h) for h in hits)
            write_rows(rows, hr.NUMBER_COLUMNS, opts.output, wide=opts.wide)
            return
        jobs = store.jobs(
            since=when,
            status=status,
            profile=opts.profile,
            job_id=job,
            limit=limit + 1 if limit else None,
        )
    finally:
        store.close()
    if limit and len(jobs) > limit:
        jobs = jobs[:limit]
        console.info(f"the {limit} newest jobs; --limit 0 lists all")
    write_rows(
        (hr.job_row(s) for s in jobs), hr.JOB_COLUMNS, opts.output, id_key="job", wide=opts.wide
    )


@app.command("show")
@c.handle_errors
def show(
    ctx: typer.Context,
    job_id: Annotated[
        int,
        typer.Argument(
            metavar="JOB",
            min=1,
            max=MAX_JOB_ID,
            help="The job's id (see: smscli history).",
            autocompletion=completion.job_ids,
        ),
    ],
    chunks: Annotated[
        bool, typer.Option("--chunks", help="One row per request (chunk) instead of per number.")
    ] = False,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
    quiet: o.QuietOpt = 0,
    wide: o.WideOpt = False,
) -> None:
    """One job: its header on stderr, its per-number outcomes (or --chunks) on stdout.

    \b
    Examples:
      smscli history show 12
      smscli history show 12 --chunks          one row per request
      smscli history show 12 -o csv > job12.csv
    """
    opts = c.common(ctx, None, output, json_flag, quiet, False, wide=wide)
    store = open_history()
    try:
        store.job(job_id)  # the readable "no job N in the history"
        (summary,) = store.jobs(job_id=job_id)
        infos = store.chunks(job_id)
        hr.header(summary, infos)
        if chunks:
            write_rows(
                (hr.chunk_row(i) for i in infos),
                hr.CHUNK_COLUMNS,
                opts.output,
                id_key="chunk",
                wide=opts.wide,
            )
            return
        columns = hr.MESSAGE_COLUMNS + (hr.BATCH_COLUMNS if summary.job.kind == "batch" else [])
        messages = store.job_messages(job_id)
    finally:
        store.close()
    write_rows((hr.message_row(m) for m in messages), columns, opts.output, wide=opts.wide)


app.command("prune")(prune)
