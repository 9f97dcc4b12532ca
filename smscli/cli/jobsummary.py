"""What `send` and `batch` say about a job on stderr: the summary after a run (the tally,
errors, answers the history could not take, how to resume), a resume's unknown and refused
requests, and a clock far off the gateway's. The rows themselves are cli.outcomes'."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smscli import console
from smscli import rows as row_keys
from smscli.cli import common as c
from smscli.cli.outcomes import OutcomeStream
from smscli.jobs.run import exit_code
from smscli.message import plural
from smscli.model import ChunkState, RunResult, Tally

if TYPE_CHECKING:
    from smscli.history.resumeplan import ResumePlan

SEND_COLUMNS = row_keys.columns(*row_keys.SEND)


def clock_warning(offset: float) -> None:
    if abs(offset) >= 60:
        direction = "behind" if offset > 0 else "ahead of"
        console.warn(
            f"this machine's clock is {abs(offset) / 60:,.0f} minutes {direction} the gateway's; "
            "smscli used the gateway's time, but set the clock right (e.g. enable NTP)"
        )


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
) -> int:
    """Rows on stdout (unless `stream` already wrote them as the run went), the tally and
    any errors on stderr; returns the exit code."""
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
    return int(exit_code(run, t, lost))


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


def list_unknown(plan: ResumePlan, resend_unknown: bool) -> None:
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


def list_refused(plan: ResumePlan, resend_refused: bool) -> None:
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
