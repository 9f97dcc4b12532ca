"""`send` and `batch` on the command line, past their own options: a job run with its rows
streaming out and the progress bar moving, then the summary; a dry run's planned requests;
a resume. The work itself is smscli.jobs'; this module asks, shows and renders."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from smscli import console
from smscli import rows as row_keys
from smscli.cli import common as c
from smscli.cli.jobsummary import (
    SEND_COLUMNS,
    JobRef,
    clock_warning,
    finish,
    list_refused,
    list_unknown,
)
from smscli.cli.outcomes import OutcomeStream
from smscli.errors import OutputError
from smscli.jobs import plan as planning
from smscli.jobs import resume as resuming
from smscli.jobs import run as running
from smscli.message import plural
from smscli.model import Chunk, JobKind, RunResult
from smscli.output import OutputFormat, write_rows
from smscli.progress import Progress
from smscli.providers import is_sandbox

if TYPE_CHECKING:
    from smscli.gateways.base import Gateway, PlannedRequest
    from smscli.history.journal import StoreJournal
    from smscli.history.resume import ResumePlan
    from smscli.history.store import Store
    from smscli.settings import ResolvedProfile


def confirm(question: str, count: int, threshold: int, yes: bool) -> bool:
    """True to go on: -y, few enough numbers (`threshold`: the profile's confirm_over), or the
    user said yes."""
    if yes or count <= threshold:
        return True
    if console.confirm(question) is False:
        console.info("Nothing sent.")
        return False
    return True


def start(
    prof: ResolvedProfile,
    text: str | None,
    sender: str | None,
    chunks: Sequence[Chunk],
    kind: JobKind,
) -> StoreJournal:
    journal = running.open_job(prof, text, sender, chunks, kind)
    console.detail(f"recorded as job {journal.job_id} in the history")
    return journal


def run_job(
    gateway: Gateway,
    chunks: Sequence[Chunk],
    journal: StoreJournal | None,
    opts: c.Common,
    prof: ResolvedProfile,
    pace: running.Pace,
    ref: JobRef,
) -> int:
    """A first run: rows as the answers come, the bar, then the summary; the exit code."""
    started = time.monotonic()
    if isinstance(chunks, planning.SendPlan):
        total = chunks.total  # without making the chunks before the first request leaves
    else:
        total = sum(len(chunk.numbers) for chunk in chunks)
    with Progress(total, requests=len(chunks), label="sending", quiet=opts.quiet) as progress:
        stream = OutcomeStream(
            chunks, SEND_COLUMNS, opts.output, progress, bounded_table=journal is not None
        )
        run, closed = running.run(gateway, chunks, pace, journal, stream)
    if closed.warning:
        console.warn(closed.warning)
    clock_warning(running.clock_offset(gateway))
    return finish(run, opts, started, sandbox=is_sandbox(prof), job=ref, stream=stream)


# -- dry run -----------------------------------------------------------------------------------


def planned_rows(
    gateway: Gateway,
    chunks: Iterable[Chunk],
    per_element: int | None = None,
    first: PlannedRequest | None = None,
) -> Iterator[dict[str, object]]:
    """One row per planned request, each request planned once (`first`: request 1, already
    planned by the command's own checks)."""
    size = per_element or gateway.max_numbers_per_send
    for chunk in chunks:
        parts = None if chunk.contents is None else planning.batch_elements(chunk, size)
        if chunk.index == 0 and first is not None:
            plan = first
        elif parts is None:
            plan = planning.plan_request(gateway, chunk)
        else:
            plan = planning.plan_elements(gateway, parts)
        row: dict[str, object] = {
            "request": chunk.index + 1,
            "method": plan.method,
            "url": plan.url,
            "numbers": len(chunk.numbers),
            "first": chunk.numbers[0],
            "last": chunk.numbers[-1],
            "headers": dict(plan.headers),
            "body": dict(plan.body),
        }
        if parts is not None:
            row["elements"] = len(parts)
            row["messages"] = len({part.content for part in parts})
        yield row


def print_plan(rows: Iterable[dict[str, object]], keys: tuple[str, ...], fmt: OutputFormat) -> None:
    """Dry run: one row per planned request; machine formats carry the full (redacted) body;
    a table is followed by request 1's headers and body."""
    first: list[dict[str, object]] = []

    def kept() -> Iterator[dict[str, object]]:
        for row in rows:
            if not first:
                first.append(row)
            yield row

    columns = row_keys.columns(*keys)
    if fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        columns += row_keys.columns("headers", "body")
    if fmt is OutputFormat.IDS:
        fmt = OutputFormat.TSV
    write_rows(kept(), columns, fmt)
    if fmt is OutputFormat.TABLE and first:
        body = json.dumps(first[0]["body"], ensure_ascii=False)
        if len(body) > 600:
            body = body[:600] + "…"
        console.info(f"First request headers: {first[0]['headers']}")
        console.info(f"First request body: {body}")
    console.info("Dry run: nothing was sent.")


# -- resume ------------------------------------------------------------------------------------


def resume(
    kind: JobKind,
    job_id: int,
    opts: c.Common,
    *,
    message: tuple[str | None, str | None] = (None, None),
    sender_id: str | None = None,
    yes: bool = False,
    dry_run: bool = False,
    resend: resuming.Resend = resuming.Resend(),  # noqa: B008 - frozen
    pacing: tuple[int | None, float | None] = (None, None),
) -> int:
    """Send what never left of a job; unknown requests only with --resend-unknown, refused
    ones only with --resend-refused; accepted and rejected ones never. The rows cover the
    whole job, old outcomes and new. A send job's chunks get its message (`message`: -m and
    --message-file, needed when the history kept only its hash); a batch's carry their own."""
    from smscli.history.store import Store

    store = Store.open()
    try:
        job = store.job(job_id)
        resuming.check_resumable(job, kind)
        prof = c.job_profile(opts, job, "resuming it")
        gateway = c.open_gateway(prof, opts)
        try:
            text, limit = None, None
            if kind is JobKind.SEND:
                given = None
                if message != (None, None):
                    from smscli.cli.inputs import read_message

                    given = read_message(*message, max_chars=gateway.max_content_chars)
                text = resuming.resume_text(job, given)
                limit = gateway.max_numbers_per_send
            resuming.check_sender(job, sender_id)
            plan = store.resume_plan(job_id)
            if plan.unknown:
                list_unknown(plan, resend.unknown)
            if plan.refused:
                list_refused(plan, resend.refused)
            chunks = resuming.resume_chunks(plan, resend, limit, text)
            if dry_run or not chunks:
                return _nothing(store, plan, chunks, opts, dry_run, is_sandbox(prof))
            count = sum(len(ch.numbers) for ch in chunks)
            if not confirm(f"Send to {plural(count, 'number')}?", count,
                           prof.int_setting("confirm_over"), yes):
                return 0
            store.claim_job(job_id)
            # After the claim: what a dead process left in flight is now `unknown`.
            plan = store.resume_plan(job_id)
            chunks = resuming.resume_chunks(plan, resend, limit, text)
            pace = running.Pace.resolve(prof, *pacing)
            return _resume_run(store, plan, chunks, gateway, opts, prof, pace)
        finally:
            gateway.close()
    finally:
        store.close()


def _nothing(
    store: Store, plan: ResumePlan, chunks: list[Chunk], opts: c.Common, dry_run: bool,
    sandbox: bool,
) -> int:
    """A dry run, or nothing left to send: say so, show the job's rows."""
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
        return 0
    console.info(f"job {job}: nothing left to send")
    if not plan.job.live:
        store.finish_job(job)  # a killed run never set it
    run = RunResult(outcomes=sorted(plan.outcomes_without(()), key=lambda o: o.chunk.index))
    ref = JobRef(job, f"smscli {plan.job.kind}", needs_message=not plan.job.content_stored)
    return finish(run, opts, time.monotonic(), sandbox=sandbox, job=ref)


def _resume_run(
    store: Store,
    plan: ResumePlan,
    chunks: list[Chunk],
    gateway: Gateway,
    opts: c.Common,
    prof: ResolvedProfile,
    pace: running.Pace,
) -> int:
    job = plan.job
    count = sum(len(ch.numbers) for ch in chunks)
    console.info(
        f"Resuming job {job.id} (profile {prof.name}): sending {plural(count, 'number')} in "
        f"{plural(len(chunks), 'request')}; {plural(len(plan.settled), 'answered request')} "
        f"{'is' if len(plan.settled) == 1 else 'are'} not resent"
    )
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
        return int(exc.exit_code)
    journal = store.journal(job.id)
    started = time.monotonic()
    total = sum(len(ch.numbers) for ch in chunks)
    with Progress(total, requests=len(chunks), label="sending", quiet=opts.quiet) as progress:
        stream.progress = progress
        run, closed = running.run(gateway, chunks, pace, journal, stream)
    if closed.warning:
        console.warn(closed.warning)
    clock_warning(running.clock_offset(gateway))
    ref = JobRef(job.id, f"smscli {job.kind}", needs_message=not job.content_stored)
    return finish(resuming.merged(earlier, run), opts, started, sandbox=is_sandbox(prof), job=ref,
                  stream=stream)
