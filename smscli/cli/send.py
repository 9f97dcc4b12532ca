"""`smscli send`: one message to many numbers."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer

from smscli import console
from smscli import rows as row_keys
from smscli.cli import common as c
from smscli.cli.inputs import read_message, read_numbers
from smscli.errors import ExitCode, OutputError, SmsCliError, UsageError
from smscli.message import plural
from smscli.output import OutputFormat, write_rows
from smscli.progress import Progress
from smscli.providers import is_sandbox, scheduled
from smscli.timeparse import describe_at, parse_at

if TYPE_CHECKING:
    from smscli.cli.outcomes import OutcomeStream
    from smscli.gateways.base import Gateway, SendResult
    from smscli.history.journal import StoreJournal
    from smscli.history.records import Job
    from smscli.history.resume import ResumePlan
    from smscli.history.store import Store
    from smscli.sending import Chunk, ChunkOutcome, Journal, RunResult, Tally
    from smscli.settings import ResolvedProfile

SEND_COLUMNS = row_keys.columns(*row_keys.SEND)


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
    """Send one message to one or many numbers.

    \b
    Examples:
      smscli send 447700900123 -m "Your code is 4711"
      cut -d, -f2 customers.csv | smscli send -m "We are open on Sunday" -y
      smscli send -f customers.csv --column phone --message-file notice.txt
      smscli send --resume 12
    """
    from smscli.message import analyze, gsm_advice

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
        _resume(
            resume, message, message_file, sender_id, opts, yes, dry_run,
            Resend(unknown=resend_unknown, refused=resend_refused), (concurrency, rate),
        )
        return
    if resend_unknown or resend_refused:
        flag = "--resend-unknown" if resend_unknown else "--resend-refused"
        raise UsageError(f"{flag} goes with --resume JOB")
    when = parse_at(at) if at is not None else None
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
        # The client's own checks (e.g. mobset counts an emoji as 2 characters) before any
        # request leaves: a bad input sends nothing.
        gateway.plan_send(given.numbers[: gateway.max_numbers_per_send], text, sender_id=sender)
        info = analyze(text)
        size = gateway.max_numbers_per_send
        count = len(given.numbers)
        requests = -(-count // size)
        if given.duplicates:
            dropped = plural(given.duplicates, "duplicate number")
            console.warn(f"{dropped} dropped: each number is sent once")
        segments = "segment" if info.segments == 1 else "segments"
        console.info(
            f"{'Would send' if dry_run else 'Sending'} to {count:,} "
            f"number{'s' if count != 1 else ''} in {requests:,} "
            f"request{'s' if requests != 1 else ''}: {info.encoding}, {info.segments} {segments} "
            f"per message ({info.chars} characters), profile {prof.name} ({prof.provider})"
        )
        note = advice.note(gsm, count)
        if note is not None:
            (console.info if gsm else console.warn)(note)
        if when is not None:
            console.info(f"Scheduled for {describe_at(when)}: the gateway holds them until then")
        if dry_run:
            _print_plan(gateway, given.numbers, given.order_ids, text, sender, size, opts.output)
            return
        _confirm(
            count, prof.get_int("confirm_over"), yes, info.segments, advice.saved if gsm else 0
        )
        history = not no_history and prof.get_bool("history") is not False
        pace = c.Pace.resolve(prof, concurrency, rate)
        _run(gateway, given.numbers, given.order_ids, text, sender, opts, prof, pace, history)
    finally:
        gateway.close()


def _confirm(
    count: int, threshold: int | None, yes: bool, segments: int = 0, saved: int = 0
) -> None:
    limit = 100 if threshold is None else threshold
    if yes or count <= limit:
        return
    cost = ""
    if segments:
        cost = f" ({segments * count:,} segments" + (
            f", {saved * count:,} fewer thanks to --gsm)" if saved else ")"
        )
    if console.confirm(f"Send to {plural(count, 'number')}{cost}?") is False:
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

    columns = row_keys.columns("request", "method", "url", "numbers", "first", "last")
    if fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        columns += row_keys.columns("headers", "body")
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
    pace: c.Pace,
    history: bool = True,
) -> None:
    from smscli.cli.outcomes import OutcomeStream
    from smscli.sending import chunked

    chunks = list(chunked(numbers, gateway.max_numbers_per_send, order_ids))
    journal = new_job(prof, text, sender, chunks) if history else None
    started = time.monotonic()
    total = sum(len(chunk.numbers) for chunk in chunks)
    with Progress(total, requests=len(chunks), label="sending", quiet=opts.quiet) as progress:
        stream = OutcomeStream(
            chunks, SEND_COLUMNS, opts.output, progress, bounded_table=journal is not None
        )
        run = run_journalled(
            journal, lambda: run_paced(chunks, _send_one(gateway, text, sender), pace, journal,
                                       stream)
        )
    clock_warning(gateway)
    job = JobRef(journal.job_id if journal else None, needs_message=not _stores_content(prof))
    finish(run, opts, started, sandbox=is_sandbox(prof), job=job, stream=stream)


def run_journalled(journal: StoreJournal | None, go: Callable[[], RunResult]) -> RunResult:
    """Run, then close the job in the history (whatever happened); answers the history could
    not take are tried once more, and those still unrecorded are named by `finish`."""
    try:
        run = go()
    except BaseException:
        end_job(journal)
        raise
    unrecorded = end_job(journal)
    if journal is not None:
        run.unrecorded = unrecorded
    return run


def run_paced(
    chunks: list[Chunk],
    send_one: Callable[[Chunk], SendResult],
    pace: c.Pace,
    journal: Journal | None,
    on_outcome: Callable[[ChunkOutcome], None] | None = None,
) -> RunResult:
    """run_chunks with the command's concurrency, rate and retry budget. Shared with batch."""
    from smscli.sending import RateLimiter, RetryPolicy, run_chunks

    return run_chunks(
        chunks,
        send_one,
        concurrency=pace.concurrency,
        journal=journal,
        on_outcome=on_outcome,
        retry=RetryPolicy(attempts=pace.attempts),
        rate=RateLimiter(pace.rate) if pace.rate else None,
    )


def clock_warning(gateway: Gateway) -> None:
    offset = gateway.clock_offset
    if abs(offset) >= 60:
        direction = "behind" if offset > 0 else "ahead of"
        console.warn(
            f"this machine's clock is {abs(offset) / 60:,.0f} minutes {direction} the gateway's; "
            "smscli used the gateway's time, but set the clock right (e.g. enable NTP)"
        )


def _send_one(gateway: Gateway, text: str, sender: str | None) -> Callable[[Chunk], SendResult]:
    def send_one(chunk: Chunk) -> SendResult:
        return gateway.send(chunk.numbers, text, sender_id=sender, order_ids=chunk.order_ids)

    return send_one


def _stores_content(prof: ResolvedProfile) -> bool:
    return prof.get_bool("store_content") is not False


def batch_send_one(gateway: Gateway) -> Callable[[Chunk], SendResult]:
    """A batch chunk (one content per number) as the gateway's batch request."""
    from smscli.batchrequests import elements

    def send_one(chunk: Chunk) -> SendResult:
        return gateway.send_batch(elements(chunk, gateway.max_numbers_per_send))

    return send_one


def new_job(
    prof: ResolvedProfile,
    text: str | None,
    sender: str | None,
    chunks: list[Chunk],
    kind: str = "send",
) -> StoreJournal:
    """The job and all its chunks, recorded before the first request leaves."""
    from smscli.history.store import Store

    store = Store.open()
    try:
        job_id = store.create_job(
            profile=prof.name,
            provider=prof.provider,
            kind=kind,
            message=text,
            sender=sender,
            chunks=chunks,
            store_content=_stores_content(prof),
        )
        journal = store.journal(job_id)
    except BaseException:
        store.close()
        raise
    console.detail(f"recorded as job {job_id} in the history")
    return journal


def end_job(journal: StoreJournal | None) -> list[ChunkOutcome]:
    """The job's final status; returns the answers the history could not record (tried once
    more first). History trouble here is a warning, not a failure: the rows still tell what
    happened, and `finish` names any answer left unrecorded."""
    from smscli.history.db import StoreError

    if journal is None:
        return []
    from smscli.history.locks import mark_answered

    unrecorded: list[ChunkOutcome] = []
    try:
        unrecorded = journal.retry_failures()
        if unrecorded:
            # Left beside the job's lock so a later resume knows these were answered and
            # never offers them as unknown (which would invite sending them twice).
            mark_answered(journal.store.path, journal.job_id, unrecorded)
        journal.store.finish_job(journal.job_id)
    except StoreError as exc:
        console.warn(exc.message)
    finally:
        journal.store.close()
    return unrecorded


# -- resume ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resend:
    """What a resume sends besides the requests that never left."""

    unknown: bool = False  # outcome unknown: the gateway may have them (may double)
    refused: bool = False  # refused before processing (balance, auth...): nothing was sent


def _resume(
    job_id: int,
    message: str | None,
    message_file: str | None,
    sender_id: str | None,
    opts: c.Common,
    yes: bool,
    dry_run: bool,
    resend: Resend,
    pacing: tuple[int | None, float | None] = (None, None),
    kind: str = "send",
) -> None:
    """Send what never left of a job; unknown requests only with --resend-unknown, refused
    ones only with --resend-refused; accepted and rejected ones never. The rows cover the
    whole job, old outcomes and new. Shared with `batch --resume` (kind "batch"), whose
    chunks carry their own contents."""
    from smscli.history.store import Store

    store = Store.open()
    try:
        job = store.job(job_id)
        if job.kind != kind:
            raise UsageError(
                f"job {job_id} is a {job.kind} job: resume it with `smscli {job.kind} --resume "
                f"{job_id}`"
            )
        if kind == "batch" and not job.content_stored:
            raise UsageError(
                f"job {job_id}'s messages were not stored (store_content = false): a batch "
                "cannot be resumed",
                hint=f"see what was sent with `smscli history show {job_id}`",
            )
        if job.live and job.pid != os.getpid():
            raise UsageError(
                f"job {job_id} is being sent right now by process {job.pid}",
                hint="wait for it to finish (or stop it) before resuming",
            )
        prof = c.job_profile(opts, job, "resuming it")
        gateway = c.open_gateway(prof, opts)
        try:
            if kind == "batch":
                send_one = batch_send_one(gateway)
                limit = None
            else:
                text = _resume_message(job, message, message_file, gateway.max_content_chars)
                send_one = _send_one(gateway, text, job.sender)
                limit = gateway.max_numbers_per_send
            if sender_id is not None and sender_id != job.sender:
                raise UsageError(
                    f"job {job_id} was sent with sender ID {job.sender or '(none)'}: "
                    "a resume keeps it; drop --sender-id"
                )
            plan = store.resume_plan(job_id)
            chunks = _resume_chunks(plan, resend, limit)
            if dry_run or not chunks:
                _resume_nothing(store, plan, chunks, opts, dry_run, is_sandbox(prof))
            _confirm(sum(len(ch.numbers) for ch in chunks), prof.get_int("confirm_over"), yes)
            store.claim_job(job_id)
            # After the claim: what a dead process left in flight is now `unknown`.
            plan = store.resume_plan(job_id)
            chunks = _resume_chunks(plan, resend, limit, quiet=True)
            pace = c.Pace.resolve(prof, *pacing)
            _resume_run(store, plan, chunks, gateway, send_one, opts, prof, pace)
        finally:
            gateway.close()
    finally:
        store.close()


def _resume_message(job: Job, message: str | None, message_file: str | None, max_chars: int) -> str:
    from smscli.history.journal import message_matches

    given = None
    if message is not None or message_file is not None:
        given = read_message(message, message_file, max_chars=max_chars)
    if job.message is not None:
        if given is not None and given != job.message:
            raise UsageError(
                f"the message given differs from job {job.id}'s",
                hint="a resume sends the job's own message: drop -m / --message-file",
            )
        return job.message
    if given is None:
        raise UsageError(
            f"job {job.id}'s message was not stored (store_content = false)",
            hint="give it again with -m or --message-file; it is checked against its hash",
        )
    if not message_matches(job.message_hash, given):
        raise UsageError(
            f"the message given is not job {job.id}'s (its hash differs)",
            hint="nothing was sent; give exactly the message of the original send",
        )
    return given


def _resume_chunks(
    plan: ResumePlan, resend: Resend, max_size: int | None, *, quiet: bool = False
) -> list[Chunk]:
    """The chunks to send now, after telling the user about the unknown and refused ones."""
    unknown = [chunk for _, chunk in plan.unknown]
    refused = [o.chunk for o in plan.refused]
    if unknown and not quiet:
        _list_unknown(plan, resend.unknown)
    if refused and not quiet:
        _list_refused(plan, resend.refused)
    chunks = sorted(
        plan.to_send + (unknown if resend.unknown else []) + (refused if resend.refused else []),
        key=lambda ch: ch.index,
    )
    too_big = [ch for ch in chunks if max_size is not None and len(ch.numbers) > max_size]
    if too_big:
        raise UsageError(
            f"request {too_big[0].index + 1} of job {plan.job.id} holds "
            f"{len(too_big[0].numbers):,} numbers; this profile's gateway takes {max_size:,}",
            hint=f"resume with the job's profile ({plan.job.profile})",
        )
    return chunks


def _list_unknown(plan: ResumePlan, resend_unknown: bool) -> None:
    job = plan.job.id
    numbers = sum(len(chunk.numbers) for _, chunk in plan.unknown)
    console.warn(
        f"job {job}: {plural(len(plan.unknown), 'request')} with {plural(numbers, 'number')} "
        f"{'has' if len(plan.unknown) == 1 else 'have'} an unknown "
        f"outcome: the gateway may have received {_them(numbers)}"
    )
    for info, chunk in plan.unknown:
        ends = f"{chunk.numbers[0]} … {chunk.numbers[-1]}" if chunk.numbers else "no numbers"
        console.detail(
            f"  request {info.index + 1}: {plural(len(chunk.numbers), 'number')} ({ends}): "
            f"{info.error_text or 'no answer'}"
        )
    if resend_unknown:
        those = "that number" if numbers == 1 else "those numbers"
        console.warn(
            f"resending {_them(numbers)} as --resend-unknown asks: {those} may get it twice"
        )
    else:
        console.info(
            f"not resending {_them(numbers)}: check with `smscli report --job {job}` first; "
            f"`smscli send --resume {job} --resend-unknown` resends {_them(numbers)} anyway"
        )


def _list_refused(plan: ResumePlan, resend_refused: bool) -> None:
    job, kind = plan.job.id, plan.job.kind
    numbers = sum(len(o.chunk.numbers) for o in plan.refused)
    causes = sorted({o.error.message for o in plan.refused if o.error is not None})
    console.info(
        f"job {job}: {plural(len(plan.refused), 'request')} with {plural(numbers, 'number')} "
        f"{'was' if len(plan.refused) == 1 else 'were'} refused by the gateway before it "
        f"processed {_them(len(plan.refused))} ({'; '.join(causes) or 'refused'})"
    )
    if resend_refused:
        console.info(f"sending {_them(numbers)} as --resend-refused asks")
    else:
        console.info(
            f"not sending {_them(numbers)}: once the cause is fixed, `smscli {kind} --resume "
            f"{job} --resend-refused` sends {_them(numbers)}"
        )


def _resume_nothing(
    store: Store,
    plan: ResumePlan,
    chunks: list[Chunk],
    opts: c.Common,
    dry_run: bool,
    sandbox: bool,
) -> None:
    """A dry run, or nothing left to send: say so, show the job's rows, exit."""
    from smscli.sending import RunResult

    job = plan.job.id
    if dry_run:
        count = sum(len(ch.numbers) for ch in chunks)
        which = ", ".join(str(ch.index + 1) for ch in chunks[:20]) + (", …" if chunks[20:] else "")
        console.info(
            f"Would send {plural(count, 'number')} of job {job} in "
            f"{plural(len(chunks), 'request')}"
            + (f" ({which})" if chunks else "")
        )
        console.info("Dry run: nothing was sent.")
        raise typer.Exit(int(ExitCode.OK))
    console.info(f"job {job}: nothing left to send")
    if not plan.job.live:
        store.finish_job(job)  # a killed run never set it
    run = RunResult(outcomes=sorted(plan.outcomes_without(()), key=lambda o: o.chunk.index))
    ref = JobRef(job, f"smscli {plan.job.kind}", needs_message=not plan.job.content_stored)
    finish(run, opts, time.monotonic(), sandbox=sandbox, job=ref)


def _resume_run(
    store: Store,
    plan: ResumePlan,
    chunks: list[Chunk],
    gateway: Gateway,
    send_one: Callable[[Chunk], SendResult],
    opts: c.Common,
    prof: ResolvedProfile,
    pace: c.Pace,
) -> None:
    from smscli.sending import RunResult

    job = plan.job
    count = sum(len(ch.numbers) for ch in chunks)
    console.info(
        f"Resuming job {job.id} (profile {prof.name}): sending {plural(count, 'number')} in "
        f"{plural(len(chunks), 'request')}; {plural(len(plan.settled), 'answered request')} "
        f"{'is' if len(plan.settled) == 1 else 'are'} not resent"
    )
    from smscli.cli.outcomes import OutcomeStream

    earlier = plan.outcomes_without(ch.index for ch in chunks)
    # Rows stream out in job order as for a first run (earlier outcomes as they come due), so
    # a reader that goes away stops the resume too, instead of being found out at the end.
    stream = OutcomeStream(
        sorted([o.chunk for o in earlier] + chunks, key=lambda ch: ch.index),
        SEND_COLUMNS,
        opts.output,
    )
    try:
        for outcome in earlier:
            stream(outcome)
    except OutputError as exc:  # the output is gone before anything was sent
        console.error(f"{exc.message}: nothing was sent; job {job.id} is as it was")
        raise typer.Exit(int(exc.exit_code)) from None
    journal = store.journal(job.id)
    started = time.monotonic()
    total = sum(len(ch.numbers) for ch in chunks)
    with Progress(total, requests=len(chunks), label="sending", quiet=opts.quiet) as progress:
        stream.progress = progress
        run = run_journalled(
            journal, lambda: run_paced(chunks, send_one, pace, journal, stream)
        )
    clock_warning(gateway)
    whole = RunResult(
        outcomes=sorted(earlier + run.outcomes, key=lambda o: o.chunk.index),
        interrupted=run.interrupted,
        stopped_by=run.stopped_by,
        output_error=run.output_error,
        unrecorded=run.unrecorded,
        journal_error=run.journal_error,
    )
    job_ref = JobRef(job.id, f"smscli {job.kind}", needs_message=not job.content_stored)
    finish(whole, opts, started, sandbox=is_sandbox(prof), job=job_ref, stream=stream)


# -- the end of a run ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobRef:
    """What `finish` says about a run's job: its id in the summary and the command that
    resumes it; id None means history was off, so nothing can be resumed."""

    id: int | None
    command: str = "smscli send"
    needs_message: bool = False  # the message was not stored: a resume needs -m again


def finish(
    run: RunResult,
    opts: c.Common,
    started: float,
    *,
    sandbox: bool,
    job: JobRef | None = None,
    stream: OutcomeStream | None = None,
) -> None:
    """Rows on stdout (unless `stream` already wrote them as the run went), the tally and
    any errors on stderr, then the exit code. Shared with `batch`."""
    from smscli.cli.outcomes import OutcomeStream
    from smscli.sending import ChunkState

    # Measured before the rows are drawn: a table's rendering is not the send's time.
    elapsed = time.monotonic() - started
    if stream is None:
        stream = OutcomeStream(
            [o.chunk for o in run.outcomes], SEND_COLUMNS, opts.output,
            bounded_table=job is not None and job.id is not None,
        )
    t = stream.close(run)
    lost = run.output_error or stream.error
    if stream.view is not None and stream.view.bounded and job is not None:
        _table_note(stream.view.total, stream.view.noteworthy_total, len(stream.view.shown()),
                    job)
    parts = [f"{t.accepted:,} accepted"]
    if t.rejected:
        parts.append(f"{t.rejected:,} rejected")
    if t.unknown:
        parts.append(f"{t.unknown:,} unknown")
    if t.not_sent:
        parts.append(f"{t.not_sent:,} not sent")
    prefix = f"job {job.id}: " if job is not None and job.id is not None else ""
    console.info(f"{prefix}{', '.join(parts)} ({plural(t.requests, 'request')}, {elapsed:.1f} s)")
    if sandbox:
        console.detail("sandbox: simulated, no real SMS was sent")
    if run.interrupted:
        console.error(
            f"{c.stop_reason()}: no new request was started; every answer that came back "
            "was recorded"
        )
    if lost is not None:
        if job is not None and job.id is not None:
            console.error(
                f"{lost.message}: sending stopped; every answer received is in the history "
                f"(`smscli history show {job.id}` shows the rows not written)"
            )
        else:
            console.error(
                f"{lost.message}: sending stopped; history is off, so the rows not written "
                "are lost"
            )
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
            f"{cause}: the outcome of {plural(t.unknown, 'number')} is unknown, the gateway may "
            f"have sent {_them(t.unknown)}. Do not resend {_them(t.unknown)} blindly: check with "
            "`smscli report` first."
        )
    if run.unrecorded:
        _unrecorded(run, job)
    elif run.journal_error is not None:
        console.error(
            f"{run.journal_error.message}: sending stopped (those answers were recorded on a "
            "second try, so the history is complete)"
        )
    if job is not None:
        _resume_hint(t, job, unrecorded=bool(run.unrecorded))
    raise typer.Exit(int(_exit_code(run, t, lost)))


def _table_note(total: int, noteworthy: int, shown: int, job: JobRef) -> None:
    """A big send on a terminal: the table held only the rows that need a look."""
    rest = total - noteworthy
    which = (
        "every number was accepted"
        if not noteworthy
        else f"the table shows {shown:,} of the {noteworthy:,} rows not accepted"
    )
    console.info(
        f"{total:,} rows: {which}; {rest:,} accepted rows are not drawn on the terminal. "
        f"All of them: `smscli history show {job.id}` (or -o jsonl/csv/tsv next time)"
    )


def _unrecorded(run: RunResult, job: JobRef | None) -> None:
    """Answers the history could not take: say exactly which, so nothing invites sending
    them again (the history reads them as unknown)."""
    err = run.journal_error
    numbers = sum(len(o.chunk.numbers) for o in run.unrecorded)
    which = ", ".join(str(o.chunk.index + 1) for o in run.unrecorded[:20])
    if run.unrecorded[20:]:
        which += ", …"
    console.error(
        f"{err.message if err else 'the history failed'}: sending stopped. The gateway "
        f"answered {'request' if len(run.unrecorded) == 1 else 'requests'} {which} "
        f"({plural(numbers, 'number')}) but the history could not record "
        + (
            "that answer: it is in the rows written above; the history shows the request in "
            "flight until a resume records it as sent."
            if len(run.unrecorded) == 1
            else "those answers: they are in the rows written above; the history shows the "
            "requests in flight until a resume records them as sent."
        )
        + f" Do NOT resend {_them(numbers)}."
    )
    for o in run.unrecorded[:20]:
        first, last = o.chunk.numbers[0], o.chunk.numbers[-1]
        console.detail(
            f"  request {o.chunk.index + 1}: {len(o.chunk.numbers):,} numbers ({first} … {last}) "
            f"answered {o.state.value}"
        )
    if job is not None and job.id is not None:
        console.detail(
            f"  never use --resend-unknown on job {job.id}: it would send those numbers twice"
        )


def _them(count: int) -> str:
    """The pronoun for `count` numbers or requests: "1 number … it", "2 numbers … them"."""
    return "it" if count == 1 else "them"


def _resume_hint(t: Tally, job: JobRef, *, unrecorded: bool = False) -> None:
    if not (t.not_sent or t.unknown or t.refused):
        return
    if job.id is None:
        console.info(
            "history is off (--no-history or profile history = false): this send cannot be resumed"
        )
        return
    again = " --message-file PATH" if job.needs_message else ""
    command = f"{job.command} --resume {job.id}{again}"
    if t.not_sent:
        console.info(f"to send the {plural(t.not_sent, 'number')} not sent: {command}")
    if t.refused:
        console.info(
            f"to send the {plural(t.refused, 'number')} the gateway refused without processing "
            f"{_them(t.refused)}, once the cause is fixed: {command} --resend-refused"
        )
    if t.unknown and not unrecorded:
        console.info(
            f"to resend the {plural(t.unknown, 'number')} with an unknown outcome anyway "
            f"({'it' if t.unknown == 1 else 'they'} may get the message twice): "
            f"{command} --resend-unknown"
        )


def _exit_code(run: RunResult, t: Tally, lost: SmsCliError | None = None) -> int:
    from smscli.errors import NetworkError
    from smscli.sending import ChunkState

    if run.interrupted:
        return c.stop_exit_code()
    if lost is not None:
        return lost.exit_code
    if run.unrecorded or run.journal_error is not None:
        return ExitCode.IO_ERROR
    from smscli.history.db import StoreError

    if isinstance(run.stopped_by, StoreError):
        # The history could not record a request before it left: it stayed unsent, and so
        # did the rest; not a usage error (2), since earlier requests were sent.
        return ExitCode.IO_ERROR
    if t.unknown or isinstance(run.stopped_by, NetworkError):
        return ExitCode.NETWORK
    if t.accepted == t.total:
        # Sent without message ids: not a failure, but nothing a script can track either.
        untracked = any(o.untracked for o in run.outcomes)
        return ExitCode.PARTIAL if untracked else ExitCode.OK
    if t.accepted:
        return ExitCode.PARTIAL
    errors: list[SmsCliError] = [
        o.error for o in run.outcomes if o.error is not None and o.state is not ChunkState.NOT_SENT
    ]
    first = run.stopped_by or (errors[0] if errors else None)
    return first.exit_code if first else ExitCode.REJECTED
