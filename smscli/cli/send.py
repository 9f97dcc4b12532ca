"""`smscli send`: one message to many numbers."""

# No `from __future__ import annotations` here: Typer reads this command's signature twice
# (typing.get_type_hints), and string annotations would be compiled and evaluated each time,
# ~2 ms of every run of the command; evaluated once at import, they cost almost nothing.

from typing import Annotated

import typer

from smscli import console
from smscli.cli import common as c
from smscli.cli import options as o
from smscli.cli.inputs import read_message
from smscli.errors import UsageError
from smscli.message import plural
from smscli.numberlist import read_numbers
from smscli.providers import scheduled


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
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="TIME",
            help='Schedule the send, e.g. "2026-12-01 09:00" (local time) or '
            '"2026-12-01T09:00+08:00"; providers that support it (mobset).',
            show_default=False,
        ),
    ] = None,
    gsm: o.GsmOpt = False,
    country: o.CountryOpt = None,
    dry_run: o.DryRunOpt = False,
    yes: o.YesOpt = False,
    resume: o.ResumeOpt = None,
    resend_unknown: o.ResendUnknownOpt = False,
    resend_refused: o.ResendRefusedOpt = False,
    no_history: o.NoHistoryOpt = False,
    concurrency: o.ConcurrencyOpt = None,
    rate: o.RateOpt = None,
    profile: o.ProfileOpt = None,
    output: o.OutputOpt = None,
    json_flag: o.JsonOpt = False,
    quiet: o.QuietOpt = 0,
    silent: o.SilentOpt = False,
    verbose: o.VerboseOpt = False,
) -> int:
    """Send one message to one or many numbers.

    \b
    Examples:
      smscli send 447700900123 -m "Your code is 4711"
      cut -d, -f2 customers.csv | smscli send -m "We are open on Sunday" -y
      smscli send -f customers.csv --column phone --message-file notice.txt
      smscli send --resume 12
    """
    from smscli.cli import sendjob
    from smscli.cli.jobsummary import JobRef
    from smscli.jobs import plan as planning
    from smscli.jobs import run as running
    from smscli.message import analyze, gsm_advice
    from smscli.model import JobKind

    opts = c.common(ctx, profile, output, json_flag, quiet, verbose, silent=silent)
    if resume is not None:
        if numbers or numbers_file is not None or order_id is not None or column is not None or (
            country is not None
        ):
            raise UsageError(f"--resume takes the numbers from job {resume}: give no numbers")
        if no_history:
            raise UsageError("--resume needs the history: drop --no-history")
        if at is not None:
            raise UsageError("--at does not go with --resume: the history keeps no schedule")
        if gsm:
            raise UsageError("--gsm does not go with --resume: a resume sends the job's message")
        from smscli.cli import resumejob
        from smscli.jobs.resume import Resend

        return resumejob.resume(
            JobKind.SEND, resume, opts, message=(message, message_file), sender_id=sender_id,
            yes=yes, dry_run=dry_run, pacing=(concurrency, rate),
            resend=Resend(unknown=resend_unknown, refused=resend_refused),
        )
    if resend_unknown or resend_refused:
        flag = "--resend-unknown" if resend_unknown else "--resend-refused"
        raise UsageError(f"{flag} goes with --resume JOB")
    when = None
    if at is not None:
        from smscli.timeparse import parse_at

        when = parse_at(at)
    prof = c.load_profile(opts, {"sender_id": sender_id, "default_country": country})
    national = c.country(prof)
    gateway = c.open_gateway(prof, opts)
    try:
        if when is not None:
            gateway = scheduled(gateway, when)
        text = read_message(message, message_file, max_chars=gateway.max_content_chars)
        advice = gsm_advice(text)
        if gsm:
            text = advice.text
        stdin_taken = message == "-" or message_file == "-"
        given = read_numbers(
            numbers or [],
            numbers_file=numbers_file,
            column=column,
            order_ids=order_id,
            stdin_taken=stdin_taken,
            country=national,
        )
        sender = c.sender_id(prof, gateway)
        chunks = planning.plan_send(gateway, given.numbers, given.order_ids, text, sender)
        # The client's own checks (e.g. mobset counts an emoji as 2 characters) before any
        # request leaves: a bad input sends nothing. A dry run shows this plan as request 1.
        first = planning.plan_request(gateway, chunks[0]) if chunks else None
        info = analyze(text)
        count = len(given.numbers)
        if given.duplicates:
            dropped = plural(given.duplicates, "duplicate number")
            console.warn(f"{dropped} dropped: each number is sent once")
        segments = "segment" if info.segments == 1 else "segments"
        console.info(
            f"{'Would send' if dry_run else 'Sending'} to {plural(count, 'number')} in "
            f"{plural(len(chunks), 'request')}: {info.encoding}, {info.segments} {segments} "
            f"per message ({info.chars} characters), profile {prof.name} ({prof.provider})"
        )
        note = advice.note(gsm, count)
        if note is not None:
            (console.info if gsm else console.warn)(note)
        if when is not None:
            from smscli.timeparse import describe_at

            console.info(f"Scheduled for {describe_at(when)}: the gateway holds them until then")
        if dry_run:
            rows = sendjob.planned_rows(gateway, chunks, first=first)
            keys = ("request", "method", "url", "numbers", "first", "last")
            sendjob.print_plan(rows, keys, opts.output)
            return 0
        saved = advice.saved if gsm else 0
        cost = f" ({info.segments * count:,} segments" + (
            f", {saved * count:,} fewer thanks to --gsm)" if saved else ")"
        ) if info.segments else ""
        question = f"Send to {plural(count, 'number')}{cost}?"
        if not sendjob.confirm(question, count, prof.int_setting("confirm_over"), yes):
            return 0
        history = not no_history and prof.bool_setting("history")
        pace = running.Pace.resolve(prof, concurrency, rate)
        journal = sendjob.start(prof, text, sender, chunks, JobKind.SEND) if history else None
        ref = JobRef(
            journal.job_id if journal else None, needs_message=not running.stores_content(prof)
        )
        return sendjob.run_job(gateway, chunks, journal, opts, prof, pace, ref)
    finally:
        gateway.close()
