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

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console, rows
from smscli.cli import common as c
from smscli.cli import completion
from smscli.errors import InputError, UsageError
from smscli.limits import MAX_JOB_ID
from smscli.message import plural
from smscli.output import write_rows

if TYPE_CHECKING:
    from smscli.history.records import ChunkInfo, Job, JobSummary, Message, NumberHit
    from smscli.history.store import Store

# The same names as smscli.store.STATUS_FILTERS (a test keeps them equal; the store is heavy).
STATUSES = ("failed", "pending", "unknown", "delivered", "rejected", "not_sent")
PREVIEW = 40
DEFAULT_LIMIT = 50

JOB_COLUMNS = rows.columns(*rows.HISTORY_JOBS)
NUMBER_COLUMNS = rows.columns(*rows.HISTORY_NUMBER)
MESSAGE_COLUMNS = rows.columns(*rows.HISTORY_SHOW)
BATCH_COLUMNS = rows.columns(*rows.BATCH_EXTRA)
CHUNK_COLUMNS = rows.columns(*rows.HISTORY_CHUNKS)

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
    output: c.OutputOpt = None,
    json_flag: c.JsonOpt = False,
    quiet: c.QuietJobsOpt = 0,
    wide: c.WideOpt = False,
) -> None:
    """List the jobs in the local history, newest first (`send` records every job unless
    --no-history or the profile's history = false)."""
    if ctx.invoked_subcommand is not None:
        return
    opts = c.common(ctx, profile, output, json_flag, quiet, False, wide=wide)
    when = _since(since)
    if status is not None and status not in STATUSES:
        raise UsageError(f"unknown --status {status!r}: choose one of {', '.join(STATUSES)}")
    if limit < 0:
        raise UsageError("--limit must be 0 or more")
    store = _open()
    try:
        if number is not None:
            hits = store.messages_to(_number(number), since=when, profile=opts.profile, job_id=job)
            if not hits:
                console.info(f"no message to {_number(number)} in the history")
            write_rows((_number_row(h) for h in hits), NUMBER_COLUMNS, opts.output, wide=opts.wide)
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
        (_job_row(s) for s in jobs), JOB_COLUMNS, opts.output, id_key="job", wide=opts.wide
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
    output: c.OutputOpt = None,
    json_flag: c.JsonOpt = False,
    quiet: c.QuietOpt = 0,
    wide: c.WideOpt = False,
) -> None:
    """One job: its header on stderr, its per-number outcomes (or --chunks) on stdout.

    \b
    Examples:
      smscli history show 12
      smscli history show 12 --chunks          one row per request
      smscli history show 12 -o csv > job12.csv
    """
    opts = c.common(ctx, None, output, json_flag, quiet, False, wide=wide)
    store = _open()
    try:
        store.job(job_id)  # the readable "no job N in the history"
        (summary,) = store.jobs(job_id=job_id)
        infos = store.chunks(job_id)
        _header(summary, infos)
        if chunks:
            write_rows(
                (_chunk_row(i) for i in infos),
                CHUNK_COLUMNS,
                opts.output,
                id_key="chunk",
                wide=opts.wide,
            )
            return
        columns = MESSAGE_COLUMNS + (BATCH_COLUMNS if summary.job.kind == "batch" else [])
        messages = store.job_messages(job_id)
    finally:
        store.close()
    write_rows((_message_row(m) for m in messages), columns, opts.output, wide=opts.wide)


@app.command("prune")
@c.handle_errors
def prune(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            metavar="DURATION",
            help="Delete jobs created longer ago than this: 90d, 12w, 36h...",
            show_default=False,
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete old jobs with their numbers and delivery states.

    \b
    Examples:
      smscli history prune --older-than 90d
      smscli history prune --older-than 12w -y     in cron
    """
    from smscli.timeparse import parse_duration

    try:
        age = parse_duration(older_than)
    except ValueError as exc:
        raise UsageError(f"--older-than: {exc}") from None
    from smscli.history.db import now
    from smscli.history.support import AccountStore

    store = _open()
    account = AccountStore(store)
    try:
        found = store.prune(age, dry_run=True)
        # The support desk's copies of the gateway's records and inbound messages too.
        records, inbound = account.prune(now() - age, dry_run=True)
        if not found.jobs and not records and not inbound:
            console.info(f"nothing to prune: no job is older than {older_than}")
            return
        what = (
            f"{plural(found.jobs, 'job')} ({plural(found.messages, 'message')})"
            f"{_synced(records, inbound)}"
        )
        _confirm_prune(f"{what} older than {older_than}", yes)
        done = store.prune(age)
        records, inbound = account.prune(now() - age)
    finally:
        store.close()
    console.info(
        f"deleted {plural(done.jobs, 'job')} ({plural(done.messages, 'message')})"
        f"{_synced(records, inbound)} older than {older_than}"
    )


def _synced(records: int, inbound: int) -> str:
    if not records and not inbound:
        return ""
    return (
        f", {plural(records, 'synced gateway record')} and "
        f"{plural(inbound, 'inbound message')}"
    )


# -- helpers -------------------------------------------------------------------------------------


def _open() -> Store:
    from smscli.history.store import Store

    return Store.open()


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    from smscli.timeparse import parse_since

    try:
        return parse_since(text)
    except ValueError as exc:
        raise UsageError(f"--since: {exc}") from None


def _number(raw: str) -> str:
    from smscli.numbers import check, normalize

    number = normalize(raw)
    problem = check(number)
    if problem:
        raise InputError(f"--number {raw!r}: {problem}")
    return number


def _confirm_prune(what: str, yes: bool) -> None:
    if yes:
        return
    if not console.interactive():
        raise UsageError(f"would delete {what}", hint="add --yes to delete them")
    if not typer.confirm(f"Delete {what}?", default=False, err=True):
        console.info("Nothing deleted.")
        raise typer.Exit(0)


def _preview(job: Job) -> str | None:
    if job.message is None:
        return "(not stored)" if not job.content_stored else None
    flat = " ".join(job.message.split())
    return flat if len(flat) <= PREVIEW else flat[: PREVIEW - 1] + "…"


def _job_row(summary: JobSummary) -> dict[str, object]:
    job, n = summary.job, summary.counts
    return {
        "job": job.id,
        "created": job.created,
        "profile": job.profile,
        "provider": job.provider,
        "kind": job.kind,
        "status": job.status,
        "numbers": job.numbers,
        "accepted": n.accepted,
        "rejected": n.rejected,
        "unknown": n.unknown,
        "not_sent": n.not_sent,
        "delivered": n.delivered,
        "failed": n.failed,
        "pending": n.pending,
        "message": _preview(job),
    }


def _message_row(m: Message) -> dict[str, object]:
    return {
        "chunk": m.chunk + 1,
        "number": m.number,
        "order_id": m.order_id,
        "msg_id": m.msg_id,
        "outcome": m.outcome,
        "error": m.error,
        "status": m.status,
        "time": m.status_time,
        "code": m.code,
        # Worded as report and lookup word it (the stored detail is the gateway's reason).
        "detail": rows.delivery_detail(m.status, m.code, m.detail) if m.status else m.detail,
        "content": m.content,
        "sender": m.sender,
    }


def _number_row(hit: NumberHit) -> dict[str, object]:
    m, job = hit.message, hit.job
    return {
        **_message_row(m),
        "job": job.id,
        "sent": m.sent or job.created,
        "profile": job.profile,
        "provider": job.provider,
        "message": m.content if m.content is not None else _preview(job),
    }


def _chunk_row(info: ChunkInfo) -> dict[str, object]:
    return {
        "chunk": info.index + 1,
        "state": info.state,
        "numbers": info.size,
        "first": info.first,
        "last": info.last,
        "attempts": info.attempts,
        "sends": info.sends,
        "error_code": info.error_code,
        "error": info.error_text,
        "started": info.started,
        "finished": info.finished,
    }


def _header(summary: JobSummary, infos: list[ChunkInfo]) -> None:
    for line in _header_lines(summary, infos):
        console.info(line)


def _header_lines(summary: JobSummary, infos: list[ChunkInfo]) -> Iterator[str]:
    job, n = summary.job, summary.counts
    when = job.created.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    yield f"job {job.id}: {job.kind}, profile {job.profile} ({job.provider}), {when}, {job.status}"
    states: dict[str, int] = {}
    for info in infos:
        states[info.state] = states.get(info.state, 0) + 1
    # A fixed order, whatever order concurrent chunks finished in.
    order = ["accepted", "rejected", "refused", "unknown", "not_sent", "sending", "planned"]
    ranked = sorted(states.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99))
    by_state = ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in ranked)
    yield (
        f"{plural(job.numbers, 'number')} in {plural(job.chunks, 'request')} "
        f"({by_state or 'none recorded'})"
    )
    yield (
        f"accepted {n.accepted:,}, rejected {n.rejected:,}, unknown {n.unknown:,}, "
        f"not sent {n.not_sent:,}; delivered {n.delivered:,}, failed {n.failed:,}, "
        f"pending {n.pending:,}"
    )
    if job.message is not None:
        yield f"message: {job.message}"
    elif not job.content_stored:
        yield "message: not stored (store_content = false)"
    if job.sender:
        yield f"sender ID: {job.sender}"
    resent = [i.index + 1 for i in infos if i.sends > 1]
    if resent:
        yield f"resent after an unknown outcome: requests {', '.join(map(str, resent))}"
    unfinished = any(i.state in ("planned", "not_sent", "unknown") for i in infos)
    if unfinished and not job.live and job.kind == "send":
        yield f"resume with: smscli send --resume {job.id}"
    if any(i.state == "refused" for i in infos) and not job.live:
        yield (
            f"refused before processing (nothing sent): once the cause is fixed, "
            f"smscli {job.kind} --resume {job.id} --resend-refused"
        )
