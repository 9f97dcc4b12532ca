"""`smscli send`: one message to many numbers."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.cli.inputs import read_message, read_numbers
from smscli.errors import ExitCode, SmsCliError, UsageError
from smscli.output import Column, OutputFormat, write_rows

if TYPE_CHECKING:
    from smscli.gateways.base import Gateway
    from smscli.sending import RunResult
    from smscli.settings import ResolvedProfile

SEND_COLUMNS = [
    Column("number", "Number"),
    Column("msg_id", "Message ID"),
    Column("order_id", "Order ID"),
    Column("accepted", "Accepted"),
    Column("error", "Error"),
]


@c.handle_errors
def send(
    ctx: typer.Context,
    numbers: Annotated[
        list[str] | None,
        typer.Argument(
            help="Phone numbers in international form (comma-separated allowed); "
            "`-` or piped stdin reads them from stdin.",
            show_default=False,
        ),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option(
            "--message", "-m", help="Message text; `-` reads it from stdin.", show_default=False
        ),
    ] = None,
    message_file: Annotated[
        str | None,
        typer.Option(
            "--message-file",
            metavar="PATH",
            help="Read the message from a file.",
            show_default=False,
        ),
    ] = None,
    numbers_file: Annotated[
        str | None,
        typer.Option(
            "--numbers-file",
            "-f",
            metavar="PATH|-",
            help="Numbers, one per line or CSV (header detected); `-` = stdin.",
            show_default=False,
        ),
    ] = None,
    column: Annotated[
        str | None,
        typer.Option(
            "--column",
            metavar="NAME|INDEX",
            help="CSV column holding the numbers (default: detected).",
            show_default=False,
        ),
    ] = None,
    sender_id: Annotated[
        str | None,
        typer.Option("--sender-id", help="Sender ID (default: the profile's).", show_default=False),
    ] = None,
    order_id: Annotated[
        str | None,
        typer.Option(
            "--order-id", help="Your own ids, comma-separated, one per number.", show_default=False
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the planned requests; send nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    profile: c.ProfileOpt = None,
    output: c.OutputOpt = None,
    json_flag: c.JsonOpt = False,
    quiet: c.QuietOpt = False,
    verbose: c.VerboseOpt = False,
) -> None:
    """Send one message to one or many numbers.

    \b
    Examples:
      smscli send 447700900123 -m "Your code is 4711"
      cut -d, -f2 customers.csv | smscli send -m "We are open on Sunday" -y
      smscli send -f customers.csv --column phone --message-file notice.txt
    """
    from smscli.message import analyze

    opts = c.common(ctx, profile, output, json_flag, quiet, verbose)
    prof = c.load_profile(opts, {"sender_id": sender_id})
    gateway = c.open_gateway(prof, opts)
    try:
        text = read_message(message, message_file, max_chars=gateway.max_content_chars)
        stdin_taken = message == "-" or message_file == "-"
        given = read_numbers(
            numbers or [],
            numbers_file=numbers_file,
            column=column,
            order_ids=order_id,
            stdin_taken=stdin_taken,
        )
        sender = prof.get_str("sender_id")
        if sender is not None and len(sender) > gateway.max_sender_id:
            raise UsageError(
                f"the sender ID is {len(sender)} characters long; at most "
                f"{gateway.max_sender_id} are allowed"
            )
        info = analyze(text)
        size = gateway.max_numbers_per_send
        count = len(given.numbers)
        requests = -(-count // size)
        if given.duplicates:
            console.warn(f"{given.duplicates} duplicate numbers dropped: each number is sent once")
        segments = "segment" if info.segments == 1 else "segments"
        console.info(
            f"{'Would send' if dry_run else 'Sending'} to {count:,} number{'s' if count != 1 else ''}"
            f" in {requests:,} "
            f"request{'s' if requests != 1 else ''}: {info.encoding}, {info.segments} {segments} "
            f"per message ({info.chars} characters), profile {prof.name} ({prof.provider})"
        )
        if dry_run:
            _print_plan(gateway, given.numbers, given.order_ids, text, sender, size, opts.output)
            return
        _confirm(count, prof.get_int("confirm_over"), yes)
        _run(gateway, given.numbers, given.order_ids, text, sender, opts, prof)
    finally:
        gateway.close()


def _confirm(count: int, threshold: int | None, yes: bool) -> None:
    limit = 100 if threshold is None else threshold
    if yes or count <= limit or not console.interactive():
        return
    if not typer.confirm(f"Send to {count:,} numbers?", default=False, err=True):
        console.info("Nothing sent.")
        raise typer.Exit(int(ExitCode.OK))


def _print_plan(
    gateway: Gateway,
    numbers: Sequence[str],
    order_ids: list[str] | None,
    text: str,
    sender: str | None,
    size: int,
    fmt: OutputFormat,
) -> None:
    """Dry run: one row per planned request; machine formats carry the full (redacted) body."""
    from smscli.sending import chunked

    def rows() -> object:
        for chunk in chunked(numbers, size, order_ids):
            plan = gateway.plan_send(
                chunk.numbers, text, sender_id=sender, order_ids=chunk.order_ids
            )
            yield {
                "request": chunk.index + 1,
                "method": plan.method,
                "url": plan.url,
                "numbers": len(chunk.numbers),
                "first": chunk.numbers[0],
                "last": chunk.numbers[-1],
                "headers": dict(plan.headers),
                "body": dict(plan.body),
            }

    columns = [
        Column("request", "Request", "right"),
        Column("method", "Method"),
        Column("url", "URL"),
        Column("numbers", "Numbers", "right"),
        Column("first", "First"),
        Column("last", "Last"),
    ]
    if fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        columns += [Column("headers", "Headers"), Column("body", "Body")]
    if fmt is OutputFormat.IDS:
        fmt = OutputFormat.TSV
    write_rows(rows(), columns, fmt)  # type: ignore[arg-type]
    if fmt is OutputFormat.TABLE:
        import json

        first = next(chunked(numbers, size, order_ids))
        plan = gateway.plan_send(first.numbers, text, sender_id=sender, order_ids=first.order_ids)
        body = json.dumps(dict(plan.body), ensure_ascii=False)
        if len(body) > 600:
            body = body[:600] + "…"
        console.info(f"First request headers: {dict(plan.headers)}")
        console.info(f"First request body: {body}")
    console.info("Dry run: nothing was sent.")


def _run(
    gateway: Gateway,
    numbers: Sequence[str],
    order_ids: list[str] | None,
    text: str,
    sender: str | None,
    opts: c.Common,
    prof: ResolvedProfile,
) -> None:
    from smscli.sending import Chunk, chunked, run_chunks

    def send_one(chunk: Chunk) -> object:
        return gateway.send(chunk.numbers, text, sender_id=sender, order_ids=chunk.order_ids)

    started = time.monotonic()
    run = run_chunks(
        chunked(numbers, gateway.max_numbers_per_send, order_ids),
        send_one,  # type: ignore[arg-type]
        concurrency=prof.get_int("concurrency") or 4,
    )
    finish(run, opts, started, sandbox=prof.provider == "sandbox")


def finish(run: RunResult, opts: c.Common, started: float, *, sandbox: bool) -> None:
    """Rows on stdout, the tally and any errors on stderr, then the exit code. Shared with
    `batch`."""
    from smscli.sending import ChunkState, outcome_rows, tally

    write_rows(outcome_rows(run), SEND_COLUMNS, opts.output)
    t = tally(run)
    elapsed = time.monotonic() - started
    parts = [f"{t.accepted:,} accepted"]
    if t.rejected:
        parts.append(f"{t.rejected:,} rejected")
    if t.unknown:
        parts.append(f"{t.unknown:,} unknown")
    if t.not_sent:
        parts.append(f"{t.not_sent:,} not sent")
    plural = "request" if t.requests == 1 else "requests"
    console.info(f"{', '.join(parts)} ({t.requests:,} {plural}, {elapsed:.1f} s)")
    if sandbox:
        console.detail("sandbox: simulated, no real SMS was sent")
    seen: set[str] = set()
    for outcome in run.outcomes:
        err = outcome.error
        if err is None or err.message in seen or outcome.state is ChunkState.UNKNOWN:
            continue
        seen.add(err.message)
        c.report_error(err)
    unknown = run.by_state(ChunkState.UNKNOWN)
    if unknown:
        cause = unknown[0].error.message if unknown[0].error else "no answer"
        console.error(
            f"{cause}: the outcome of {t.unknown:,} numbers is unknown, the gateway may have "
            "sent them. Do not resend them blindly: check with `smscli report` first."
        )
    raise typer.Exit(int(_exit_code(run, t)))


def _exit_code(run: RunResult, t: object) -> ExitCode:
    from smscli.errors import NetworkError
    from smscli.sending import ChunkState, Tally

    assert isinstance(t, Tally)
    if run.interrupted:
        return ExitCode.INTERRUPTED
    if t.unknown or isinstance(run.stopped_by, NetworkError):
        return ExitCode.NETWORK
    if t.accepted == t.total:
        return ExitCode.OK
    if t.accepted:
        return ExitCode.PARTIAL
    errors: list[SmsCliError] = [
        o.error for o in run.outcomes if o.error is not None and o.state is not ChunkState.NOT_SENT
    ]
    first = run.stopped_by or (errors[0] if errors else None)
    return first.exit_code if first else ExitCode.REJECTED
