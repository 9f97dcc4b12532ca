"""`send --resume` and `batch --resume`: what never left of a job sent, its earlier outcomes
and the new ones rendered as one run. Apart from smscli.cli.sendjob so that a first send
never imports the resume's modules (smscli.jobs.resume and the history's resume plan)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from smscli import console
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
from smscli.cli.sendjob import confirm
from smscli.errors import OutputError
from smscli.jobs import resume as resuming
from smscli.jobs import run as running
from smscli.message import plural
from smscli.model import Chunk, JobKind, RunResult
from smscli.progress import Progress
from smscli.providers import is_sandbox

if TYPE_CHECKING:
    from smscli.gateways.base import Gateway
    from smscli.history.resumeplan import ResumePlan
    from smscli.history.store import Store
    from smscli.settings import ResolvedProfile


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
