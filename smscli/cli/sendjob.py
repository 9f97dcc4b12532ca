"""`send` and `batch` on the command line, past their own options: a job run with its rows
streaming out and the progress bar moving, then the summary; a dry run's planned requests.
A resume is smscli.cli.resumejob's. The work itself is smscli.jobs'; this module asks, shows
and renders."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from smscli import console
from smscli import rows as row_keys
from smscli.cli import common as c
from smscli.cli.jobsummary import SEND_COLUMNS, JobRef, clock_warning, finish
from smscli.cli.outcomes import OutcomeStream
from smscli.jobs import plan as planning
from smscli.jobs import run as running
from smscli.model import Chunk, JobKind
from smscli.output import OutputFormat, write_rows
from smscli.progress import Progress
from smscli.providers import is_sandbox

if TYPE_CHECKING:
    from smscli.gateways.base import Gateway, PlannedRequest
    from smscli.history.journal import StoreJournal
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
