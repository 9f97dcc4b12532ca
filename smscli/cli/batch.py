"""`smscli batch`: many messages (different contents) in one go, from a CSV/TSV/JSON/JSONL file."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console
from smscli import rows as row_keys
from smscli.cli import common as c
from smscli.errors import ExitCode, InputError, UsageError
from smscli.limits import MAX_BATCH_NUMBERS
from smscli.output import OutputFormat, write_rows
from smscli.providers import is_sandbox

if TYPE_CHECKING:
    from collections.abc import Iterator

    from smscli.batchplan import Plan
    from smscli.batchtemplate import Template
    from smscli.gateways.base import BatchElement, Gateway, PlannedRequest
    from smscli.settings import ResolvedProfile

FORMATS = "csv|tsv|json|jsonl"


@dataclass(frozen=True, slots=True)
class Packing:
    cap: int  # numbers per request
    per_element: int  # numbers per batch element
    mixed: bool  # several contents in one request

    @classmethod
    def for_gateway(cls, gateway: Gateway, cap: int) -> Packing:
        per_element = min(cap, gateway.max_numbers_per_send)
        # Only a gateway whose send_batch is one request (v3 sendSms/batch) gets several
        # contents per request: one call per element (mobset) could fail half sent.
        mixed = gateway.multi_content
        return cls(cap if mixed else per_element, per_element, mixed)


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
    gsm: c.GsmOpt = False,
    country: c.CountryOpt = None,
    dry_run: c.DryRunOpt = False,
    yes: c.YesOpt = False,
    resume: c.ResumeOpt = None,
    resend_unknown: c.ResendUnknownOpt = False,
    resend_refused: c.ResendRefusedOpt = False,
    no_history: c.NoHistoryOpt = False,
    concurrency: c.ConcurrencyOpt = None,
    rate: c.RateOpt = None,
    profile: c.ProfileOpt = None,
    output: c.OutputOpt = None,
    json_flag: c.JsonOpt = False,
    quiet: c.QuietOpt = 0,
    silent: c.SilentOpt = False,
    verbose: c.VerboseOpt = False,
) -> None:
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
    import sys

    from smscli import batchfile
    from smscli.cli.gsm import batch_gsm

    opts = c.common(ctx, profile, output, json_flag, quiet, verbose, silent=silent)
    if resume is not None:
        if file is not None or message is not None or message_file is not None or country:
            raise UsageError(f"--resume takes the rows from job {resume}: give no file or template")
        if no_history:
            raise UsageError("--resume needs the history: drop --no-history")
        if gsm:
            raise UsageError("--gsm does not go with --resume: a resume sends the job's rows")
        from smscli.cli.send import Resend, _resume

        _resume(resume, None, None, sender_id, opts, yes, dry_run,
                Resend(unknown=resend_unknown, refused=resend_refused), (concurrency, rate),
                kind="batch")
        return
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
        with batchfile.open_source(file, fmt, sys.stdin) as source:
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
        cap = max_numbers or prof.get_int("batch_max_numbers") or 1000
        packing = Packing.for_gateway(gateway, cap)
        if not packing.mixed:
            # A call per message anyway, so checking each costs little (v3's own rules are
            # the file checks already: no need to plan 100,000 templated messages twice).
            _preflight(gateway, plan)
        _warn(plan, source.name)
        _summary(plan, packing, prof, dry_run=dry_run)
        note = advice.note(gsm)
        if note is not None:
            (console.info if gsm else console.warn)(note)
        if dry_run:
            _print_plan(gateway, plan, packing, opts.output)
            return
        _confirm(plan, prof.get_int("confirm_over"), yes, advice.saved if gsm else 0)
        history = not no_history and prof.get_bool("history") is not False
        pace = c.Pace.resolve(prof, concurrency, rate)
        _run(gateway, plan, packing, opts, prof, pace, template, history)
    finally:
        gateway.close()


def _template(
    message: str | None, message_file: str | None, *, stdin_taken: bool
) -> Template | None:
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


def _preflight(gateway: Gateway, plan: Plan) -> None:
    """The client's own checks on each distinct (message, sender) before any request leaves:
    its rules can be finer than the file checks (mobset counts an emoji as 2 characters)."""
    seen: set[tuple[str, str | None]] = set()
    for row in plan.rows:
        key = (row.content, row.sender_id)
        if key in seen:
            continue
        seen.add(key)
        try:
            gateway.plan_send([row.number], row.content, sender_id=row.sender_id)
        except UsageError as exc:
            raise InputError(
                f"the message for {row.number}: {exc.message}", hint="nothing was sent"
            ) from None


def _warn(plan: Plan, name: str) -> None:
    if plan.content_ignored:
        console.warn(f"{name} has a content column: the --message template replaces it")
    if plan.duplicates:
        plural = "pair" if plan.duplicates == 1 else "pairs"
        console.warn(
            f"{plan.duplicates:,} duplicate (number, message) {plural} dropped: "
            "each message goes to each number once"
        )


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _summary(plan: Plan, packing: Packing, prof: ResolvedProfile, *, dry_run: bool) -> None:
    from smscli.batchrequests import request_count

    requests = request_count(plan.rows, packing.cap, mixed=packing.mixed)
    encodings = ", ".join(sorted(plan.encodings))
    console.info(
        f"{'Would send' if dry_run else 'Sending'} {_plural(plan.messages, 'message')} "
        f"({_plural(plan.segments, 'segment')}) to {_plural(plan.numbers, 'number')} in "
        f"{_plural(requests, 'request')}: {encodings}, "
        f"profile {prof.name} ({prof.provider})"
    )


def _confirm(plan: Plan, threshold: int | None, yes: bool, saved: int = 0) -> None:
    limit = 100 if threshold is None else threshold
    if yes or plan.numbers <= limit:
        return
    fewer = f", {saved:,} fewer thanks to --gsm" if saved else ""
    question = (
        f"Send {_plural(plan.messages, 'message')} ({_plural(plan.segments, 'segment')}{fewer}) "
        f"to {_plural(plan.numbers, 'number')}?"
    )
    if console.confirm(question) is False:
        console.info("Nothing sent.")
        raise typer.Exit(int(ExitCode.OK))


def _planned(gateway: Gateway, parts: list[BatchElement]) -> PlannedRequest:
    # Without multi_content, a one-element request is the plain send (plan_one_element).
    return gateway.plan_batch(parts)


def _print_plan(gateway: Gateway, plan: Plan, packing: Packing, fmt: OutputFormat) -> None:
    """Dry run: one row per planned request; machine formats carry the full (redacted) body."""
    import json

    from smscli.batchrequests import chunks, elements

    def requests() -> Iterator[tuple[int, int, list[BatchElement]]]:
        for chunk in chunks(plan.rows, packing.cap, mixed=packing.mixed):
            yield chunk.index, len(chunk.numbers), elements(chunk, packing.per_element)

    def rows() -> Iterator[dict[str, object]]:
        for index, numbers, parts in requests():
            request = _planned(gateway, parts)
            yield {
                "request": index + 1,
                "method": request.method,
                "url": request.url,
                "elements": len(parts),
                "numbers": numbers,
                "messages": len({part.content for part in parts}),
                "headers": dict(request.headers),
                "body": dict(request.body),
            }

    columns = row_keys.columns("request", "method", "url", "elements", "numbers", "messages")
    if fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        columns += row_keys.columns("headers", "body")
    if fmt is OutputFormat.IDS:
        fmt = OutputFormat.TSV
    write_rows(rows(), columns, fmt)
    if fmt is OutputFormat.TABLE:
        request = _planned(gateway, next(requests())[2])
        body = json.dumps(dict(request.body), ensure_ascii=False)
        if len(body) > 600:
            body = body[:600] + "…"
        console.info(f"First request headers: {dict(request.headers)}")
        console.info(f"First request body: {body}")
    console.info("Dry run: nothing was sent.")


def _run(
    gateway: Gateway,
    plan: Plan,
    packing: Packing,
    opts: c.Common,
    prof: ResolvedProfile,
    pace: c.Pace,
    template: Template | None,
    history: bool,
) -> None:
    from smscli.batchrequests import chunks
    from smscli.cli.outcomes import OutcomeStream
    from smscli.cli.send import (
        SEND_COLUMNS,
        JobRef,
        batch_send_one,
        clock_warning,
        finish,
        new_job,
        run_journalled,
        run_paced,
    )
    from smscli.progress import Progress

    planned = list(chunks(plan.rows, packing.cap, mixed=packing.mixed))
    text = template.source if template is not None else None
    journal = (
        new_job(prof, text, prof.get_str("sender_id"), planned, kind="batch") if history else None
    )
    started = time.monotonic()
    total = sum(len(chunk.numbers) for chunk in planned)
    with Progress(total, requests=len(planned), label="sending", quiet=opts.quiet) as progress:
        stream = OutcomeStream(
            planned, SEND_COLUMNS, opts.output, progress, bounded_table=journal is not None
        )
        run = run_journalled(
            journal, lambda: run_paced(planned, batch_send_one(gateway), pace, journal, stream)
        )
    clock_warning(gateway)
    job = JobRef(journal.job_id if journal else None, "smscli batch")
    finish(run, opts, started, sandbox=is_sandbox(prof), job=job, stream=stream)
