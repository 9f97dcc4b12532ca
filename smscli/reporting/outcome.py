"""What a `report` run found: one report per id, counted, judged for the exit code and shown
as rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from smscli.errors import ExitCode, SmsCliError
from smscli.gateways.base import DeliveryStatus, Report
from smscli.model import Tally
from smscli.rows import STATE_WORDS, delivery_detail

# The history store's hook: every report of one poll, ids absent from the answer included
# (as DeliveryStatus.NOT_FOUND). Its return value is ignored (a store may count its writes).
OnReports = Callable[[Sequence[Report]], object]

NOT_FOUND_DETAIL = STATE_WORDS["not_found"]


def tally(reports: Iterable[Report]) -> Tally:
    """The reports counted by delivery state, in the one Tally (its send outcomes stay 0)."""
    n = Counter(report.status for report in reports)
    return Tally(
        delivered=n[DeliveryStatus.DELIVERED],
        failed=n[DeliveryStatus.FAILED],
        pending=n[DeliveryStatus.PENDING],
        not_found=n[DeliveryStatus.NOT_FOUND],
        unreported=n[DeliveryStatus.UNKNOWN],
    )


def summary(counts: Tally) -> str:
    text = (
        f"{counts.delivered:,} delivered, {counts.failed:,} failed, "
        f"{counts.pending:,} pending, {counts.not_found:,} not found"
    )
    if counts.unreported:
        # A report whose state nobody can read: "unknown" to the user, as it always was.
        text += f", {counts.unreported:,} unknown"
    return text


def is_waiting(report: Report) -> bool:
    """Still worth asking about. UNKNOWN is not: a status nobody can read will not become
    readable by asking again."""
    return report.status in (DeliveryStatus.PENDING, DeliveryStatus.NOT_FOUND)


@dataclass(frozen=True, slots=True)
class Poll:
    """What one round of asking found, for a progress display."""

    number: int  # 1-based
    elapsed: float
    counts: Tally
    changed: bool  # some status differs from the previous poll (always True for the first)
    next_delay: float | None  # the pause before the next poll; None when this was the last
    error: SmsCliError | None = None  # a failed poll that --wait rides out


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    reports: tuple[Report, ...]  # one per id, in input order
    polls: int
    elapsed: float
    timed_out: bool = False
    interrupted: bool = False

    @property
    def counts(self) -> Tally:
        return tally(self.reports)


def exit_code(outcome: ReportOutcome, counts: Tally | None = None) -> ExitCode:
    """Interrupted beats timed out (the run never concluded) beats failed (3) beats ok.
    Pending without --wait is not a failure: it is the normal state of a fresh message.
    `counts`: the outcome's, when the caller has counted them already."""
    if outcome.interrupted:
        return ExitCode.INTERRUPTED
    if outcome.timed_out:
        return ExitCode.WAIT_TIMEOUT
    if (counts or outcome.counts).failed:
        return ExitCode.PARTIAL
    return ExitCode.OK


def report_row(report: Report) -> dict[str, object]:
    """number, msg_id, status, time, code, detail, source (smscli.rows.REPORT). Absent ids
    show as pending: to a person "not found" reads like "lost", and on this platform it
    mostly means "still queued"."""
    status = report.status
    shown = DeliveryStatus.PENDING if status is DeliveryStatus.NOT_FOUND else status
    return {
        "number": report.number,
        "msg_id": report.msg_id,
        "status": shown.value,
        "time": report.time,
        "code": report.code,
        "detail": delivery_detail(status.value, report.code, report.detail),
        "source": report.source,
    }


def report_rows(reports: Iterable[Report]) -> Iterator[dict[str, object]]:
    return (report_row(report) for report in reports)
