"""`smscli batch`: many messages (different contents) in one go, from a CSV/TSV/JSON/JSONL file."""

# No `from __future__ import annotations`: Typer reads this command's signature twice per
# run, and string annotations would be compiled and evaluated each time (see cli/send.py).
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import collector, console
from smscli.cli import common as c
from smscli.cli import options as o
from smscli.errors import UsageError
from smscli.limits import MAX_BATCH_NUMBERS
from smscli.message import plural

if TYPE_CHECKING:
    from smscli.batchplan import Plan
    from smscli.batchtemplate import Template
    from smscli.settings import ResolvedProfile

FORMATS = "csv|tsv|json|jsonl"


@c.handle_errors
def batch(
    ctx: typer.Context,
    file: Annotated[
        str | None,
        typer.Argument(
            metavar="FILE|-",
            help="CSV/TSV with a header, a JSON array (or a sendSms/batch body) or JSONL; "
            "`-` reads stdin.",
            show_default=False,
        ),
    ] = None,
    message: Annotated[
        str | None,
        typer.Option(
            "--message",
            "-m",
            metavar="TEMPLATE",
            help="Message for every row, with {column} placeholders filled from the row "
            "({{ and }} are literal braces); `-` reads it from stdin.",
            show_default=False,
        ),
    ] = None,
    message_file: Annotated[
        str | None,
        typer.Option(
            "--message-file",
            metavar="PATH|-",
            help="Read the template from a file (`-` = stdin).",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar=FORMATS,
            help="Input format (default: from the extension; for stdin, JSON is recognised).",
            show_default=False,
        ),
    ] = None,
    sender_id: Annotated[
        str | None,
        typer.Option(
            "--sender-id",
            help="Sender ID for rows without one (default: the profile's).",
            show_default=False,
        ),
    ] = None,
    max_numbers: Annotated[
        int | None,
        typer.Option(
            "--max-numbers",
            metavar="N",
            min=1,
            max=MAX_BATCH_NUMBERS,
            help="Numbers per request (default: the profile's batch_max_numbers, 1000; "
            "at most the provider's, mobset 50).",
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
    """Send many messages in one go: one row per number and message.

    \b
    Columns / keys: number (or numbers, phone, mobile), content (or message),
    optional sender_id and order_id; any other column can fill a template.
    Rows with the same content and sender share one element of a sendSms/batch request
    (mobset, which has no such request: one SmsSend per message, up to 50 numbers each).

    \b
    Examples:
      smscli batch messages.csv
      smscli batch customers.csv -m "Hi {name}, your code is {code}" -y
      jq -c '.[]' orders.json | smscli batch - --format jsonl --dry-run
    """

    from smscli import batchfile, batchrequests
    from smscli.cli import sendjob
    from smscli.cli.gsm import batch_gsm
    from smscli.cli.jobsummary import JobRef
    from smscli.jobs import plan as planning
    from smscli.jobs import run as running
    from smscli.model import JobKind

    opts = c.common(ctx, profile, output, json_flag, quiet, verbose, silent=silent)
    if resume is not None:
        if file is not None or message is not None or message_file is not None or country:
            raise UsageError(f"--resume takes the rows from job {resume}: give no file or template")
        if no_history:
            raise UsageError("--resume needs the history: drop --no-history")
        if gsm:
            raise UsageError("--gsm does not go with --resume: a resume sends the job's rows")
        from smscli.cli import resumejob
        from smscli.jobs.resume import Resend

        return resumejob.resume(
            JobKind.BATCH, resume, opts, sender_id=sender_id, yes=yes, dry_run=dry_run,
            resend=Resend(unknown=resend_unknown, refused=resend_refused),
            pacing=(concurrency, rate),
        )
    if resend_unknown or resend_refused:
        flag = "--resend-unknown" if resend_unknown else "--resend-refused"
        raise UsageError(f"{flag} goes with --resume JOB")
    if file is None:
        raise UsageError("no batch file given", hint="smscli batch FILE (or - for stdin)")
    template = _template(message, message_file, stdin_taken=file == "-")
    prof = c.load_profile(opts, {"sender_id": sender_id, "default_country": country})
    national = c.country(prof)
    gateway = c.open_gateway(prof, opts)
    try:
        sender = c.sender_id(prof, gateway)
        if file == "-" and console.stdin_is_tty():
            console.info("Type or paste the batch, then Ctrl-D:")
        # A 200,000-row batch allocates a million objects (cells, rows, requests) holding
        # no cycles: collecting while they are built cost ~0.1 s before the first request.
        with collector.paused(freeze_built=True), batchfile.open_source(
            file, fmt, console.current().stdin
        ) as source:
            plan = batchfile.build_plan(
                source,
                template=template,
                default_sender=sender,
                max_chars=gateway.max_content_chars,
                max_sender=gateway.max_sender_id,
                country=national,
            )
            advice = batch_gsm(plan, gateway.max_content_chars)
            if gsm:
                plan = advice.plan
            cap = max_numbers or prof.int_setting("batch_max_numbers")
            packing = planning.Packing.for_gateway(gateway, cap)
            if not packing.mixed:
                # A call per message anyway, so checking each costs little (v3's own rules are
                # the file checks already: no need to plan 100,000 templated messages twice).
                planning.check_batch(gateway, plan)
            planned = list(batchrequests.plan_chunks(plan, packing.cap, mixed=packing.mixed))
        _warn(plan, source.name)
        _summary(plan, len(planned), prof, dry_run=dry_run)
        note = advice.note(gsm)
        if note is not None:
            (console.info if gsm else console.warn)(note)
        if dry_run:
            rows = sendjob.planned_rows(gateway, planned, packing.per_element)
            keys = ("request", "method", "url", "elements", "numbers", "messages")
            sendjob.print_plan(rows, keys, opts.output)
            return 0
        if not sendjob.confirm(_question(plan, advice.saved if gsm else 0), plan.numbers,
                               prof.int_setting("confirm_over"), yes):
            return 0
        history = not no_history and prof.bool_setting("history")
        pace = running.Pace.resolve(prof, concurrency, rate)
        text = template.source if template is not None else None
        journal = (
            sendjob.start(prof, text, prof.get_str("sender_id"), planned, JobKind.BATCH)
            if history
            else None
        )
        ref = JobRef(journal.job_id if journal else None, "smscli batch")
        return sendjob.run_job(gateway, planned, journal, opts, prof, pace, ref)
    finally:
        gateway.close()


def _template(
    message: str | None, message_file: str | None, *, stdin_taken: bool
) -> "Template | None":
    from smscli.batchtemplate import parse_template
    from smscli.cli.inputs import read_text

    if message is not None and message_file is not None:
        raise UsageError("give the template with -m/--message or --message-file, not both")
    if message == "-":  # as in `send`: -m - reads it from stdin
        message, message_file = None, "-"
    if message_file == "-" and stdin_taken:
        raise UsageError("stdin cannot carry both the batch and the template")
    if message_file is not None:
        message = read_text(message_file, "message template")
    if message is None:
        return None
    if not message.strip():
        raise UsageError("the message template is empty")
    from smscli.argtext import check_encodable

    check_encodable(message, "the message template")
    return parse_template(message)


def _warn(plan: "Plan", name: str) -> None:
    if plan.content_ignored:
        console.warn(f"{name} has a content column: the --message template replaces it")
    if plan.duplicates:
        pairs = "pair" if plan.duplicates == 1 else "pairs"
        console.warn(
            f"{plan.duplicates:,} duplicate (number, message) {pairs} dropped: "
            "each message goes to each number once"
        )


def _summary(plan: "Plan", requests: int, prof: "ResolvedProfile", *, dry_run: bool) -> None:
    encodings = ", ".join(sorted(plan.encodings))
    console.info(
        f"{'Would send' if dry_run else 'Sending'} {plural(plan.messages, 'message')} "
        f"({plural(plan.segments, 'segment')}) to {plural(plan.numbers, 'number')} in "
        f"{plural(requests, 'request')}: {encodings}, "
        f"profile {prof.name} ({prof.provider})"
    )


def _question(plan: "Plan", saved: int = 0) -> str:
    fewer = f", {saved:,} fewer thanks to --gsm" if saved else ""
    return (
        f"Send {plural(plan.messages, 'message')} ({plural(plan.segments, 'segment')}{fewer}) "
        f"to {plural(plan.numbers, 'number')}?"
    )
