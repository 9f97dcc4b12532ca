"""What `report` shows: the rows and the summary at the end, --wait progress on stderr, what
the queue drains pulled, and reports that could not be saved."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from smscli import console, rows
from smscli.message import plural
from smscli.output import RowWriter

if TYPE_CHECKING:
    from smscli.cli.common import Common
    from smscli.errors import ExitCode
    from smscli.gateways.base import Report
    from smscli.output import OutputFormat
    from smscli.reporting.drain import Drained
    from smscli.reporting.outcome import Poll, ReportOutcome

REPORT_COLUMNS = rows.columns(*rows.REPORT)


def finish(outcome: ReportOutcome, opts: Common, *, waited: bool) -> ExitCode:
    """The rows on stdout, the summary on stderr; the run's exit code."""
    from smscli.reporting.outcome import exit_code, summary, tally

    write_report_rows(outcome.reports, opts.output, wide=opts.wide)
    counts = tally(outcome.reports)
    console.info(summary(counts))
    if outcome.timed_out:
        console.error(
            f"timed out after {duration(outcome.elapsed)} with "
            f"{plural(counts.waiting, 'message')} still pending"
        )
    elif outcome.interrupted:
        console.error(f"interrupted with {plural(counts.waiting, 'message')} still pending")
    elif counts.not_found and not waited:
        console.detail(
            "not found: still queued at the gateway, or not a msgId of this account; "
            "ask again later, or use --wait"
        )
    return exit_code(outcome, counts)


def write_report_rows(reports: Sequence[Report], fmt: OutputFormat, *, wide: bool) -> None:
    """One row per report; JSON lines, CSV and TSV rows filled into RowLines' templates."""
    from smscli.reporting.outcome import report_rows

    writer = RowWriter(REPORT_COLUMNS, fmt, wide=wide)
    lines = RowLines(fmt)
    plan = lines.plan(reports)
    if plan is None:
        writer.write(report_rows(reports))
    else:
        # In blocks: the text of 100,000 rows is never held whole.
        for start in range(0, len(reports), _ROWS_PER_WRITE):
            end = start + _ROWS_PER_WRITE
            planned = plan[start:end]
            template = planned[0]
            if planned.count(template) == len(planned) and reports[start].number is not None:
                # One template (with a number, so with two slots) for the whole block, as
                # the reports of a few answers often share: its rows are joined in C.
                block = reports[start:end]
                numbers = [report.number or "" for report in block]  # none is None
                writer.write_pairs(template, numbers, [report.msg_id for report in block])
                continue
            writer.write_filled("%s", zip(lines.fill(reports, plan, start, end)))
    writer.close()


_ROWS_PER_WRITE = 2_000


class RowLines:
    """Report rows as JSON lines, CSV or TSV, filled into a template per distinct (status,
    time, code, detail, source): a 100,000-id report's rows differ mostly in number and
    msgId, and encoding each row whole cost more than asking for it. Made at the end, a
    block at a time: rows made while the calls were in flight were held to the end, 250
    bytes each, and made again where a later answer changed them."""

    def __init__(self, fmt: OutputFormat) -> None:
        from smscli.output import OutputFormat

        self._writer = None
        if fmt in (OutputFormat.JSONL, OutputFormat.CSV, OutputFormat.TSV):
            # Only for its templates: nothing reaches stdout through it.
            self._writer = RowWriter(REPORT_COLUMNS, fmt, stream=io.StringIO())
        self._templates: dict[tuple[object, ...], str | None] = {}

    def plan(self, reports: Sequence[Report]) -> list[str] | None:
        """Each report's template; None when a format has none or a number or msgId is not
        plain digits (such a value may need quoting: every row is then written whole)."""
        if self._writer is None or not _plain(reports):
            return None
        templates = self._templates
        plan: list[str] = []
        current = ""
        last: Report | None = None
        for report in reports:
            # The reports of one answer share their time, code and detail: a report like
            # the last one (the same objects) takes its template without a key made.
            if not (
                last is not None
                and report.status is last.status
                and report.time is last.time
                and report.code is last.code
                and report.detail is last.detail
                and report.source is last.source
                and (report.number is None) is (last.number is None)
            ):
                key = (report.number is None, report.status, report.time, report.code,
                       report.detail, report.source)  # fmt: skip
                template = templates.get(key, _NONE)
                if template is _NONE:
                    template = templates[key] = self._template(report)
                if template is None:
                    return None
                current, last = template, report
            plan.append(current)
        return plan

    def fill(self, reports: Sequence[Report], plan: list[str], start: int, end: int) -> list[str]:
        """The lines of reports[start:end], as planned."""
        return [
            template % (report.msg_id,)
            if report.number is None
            else template % (report.number, report.msg_id)
            for report, template in zip(reports[start:end], plan[start:end], strict=True)
        ]

    def _template(self, report: Report) -> str | None:
        from smscli.reporting.outcome import report_row

        if self._writer is None:
            return None
        varying = ["msg_id"] if report.number is None else ["number", "msg_id"]
        return self._writer.template(report_row(report), varying)


_NONE = ""  # no template made yet for a key (a template is never empty)


def _plain(reports: Sequence[Report]) -> bool:
    """Every msgId digits, every number digits after an optional +: values written into a
    template as they are, which no format quotes or escapes. Checked a block at a time,
    each block's values joined (str methods in C; a regex over 100,000 joined values keeps
    a mark per value)."""
    for start in range(0, len(reports), _ROWS_PER_WRITE):
        block = reports[start : start + _ROWS_PER_WRITE]
        if not _digits([report.msg_id for report in block]):
            return False
        numbers = [report.number for report in block if report.number is not None]
        if not _digits([number.removeprefix("+") for number in numbers]):
            return False
    return True


def _digits(values: list[str]) -> bool:
    """Each value one ASCII digit or more (none empty, so that the values joined are digits
    only when each is)."""
    if not values:
        return True
    joined = "".join(values)
    return all(values) and joined.isascii() and joined.isdigit()


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class Progress:
    """--wait progress on stderr. On a terminal, one status line rewritten in place; when
    piped, a plain line only when a later poll found something new."""

    def __init__(self, *, live: bool) -> None:
        self._live = live
        self._width = 0

    def update(self, poll: Poll) -> None:
        from smscli.reporting.outcome import summary

        if poll.error is not None:
            self._clear()
            console.warn(f"could not ask for reports: {poll.error.message}")
        if poll.next_delay is None:
            # The last poll: the final summary says the rest.
            return
        text = f"{duration(poll.elapsed)}: {summary(poll.counts)}"
        if self._live:
            self._show(f"{text}; next check in {duration(poll.next_delay)}")
        elif poll.changed and poll.number > 1:
            console.info(text)

    def _show(self, text: str) -> None:
        env = console.current()
        # Longer than the terminal, the line would wrap and \r could not rewrite it: the
        # width of the terminal this line goes to, stderr (not stdout's, which may be a file).
        text = text[: max(20, env.width - 1)]
        env.emit("\r" + text.ljust(self._width))
        self._width = len(text)

    def _clear(self) -> None:
        if self._width:
            console.current().emit("\r" + " " * self._width + "\r")
            self._width = 0

    def close(self) -> None:
        self._clear()


class Pulled:
    """What the drains of one run pulled, told once at the end (not per poll of a wait)."""

    def __init__(self) -> None:
        self.calls = 0
        self.reports = 0
        self.repeated = 0
        self.recovered = 0
        self.limited = False

    def add(self, drained: Drained) -> None:
        self.calls += drained.calls
        self.reports += drained.reports
        self.repeated += drained.repeated
        self.recovered += drained.recovered
        self.limited = self.limited or drained.limit_reached

    def tell(self, provider: str) -> None:
        if self.recovered:
            console.info(
                f"{provider}: {self.recovered:,} delivery reports read from answers kept "
                "earlier because they could not be read then"
            )
        if self.reports:
            calls = "call" if self.calls == 1 else "calls"
            console.detail(
                f"{provider}: {self.reports:,} new delivery reports pulled into the history "
                f"({self.calls:,} {calls}); answered from the history"
            )
        elif self.calls:
            console.detail(f"{provider}: no new delivery reports; answered from the history")
        if self.repeated:
            console.detail(
                f"{provider}: {self.repeated:,} reports handed out again were already in the "
                "history (not counted as new)"
            )
        if self.limited:
            console.warn(
                f"stopped pulling after {plural(self.calls, 'call')}: more reports may be waiting; "
                "run `smscli report` again to pull the rest"
            )


def rescue(reports: tuple[Report, ...]) -> None:
    """Reports pulled but not saved exist nowhere else: one JSON line each on stderr."""
    import json

    lines = []
    for report in reports:
        line = {
            "msg_id": report.msg_id,
            "status": report.status.value,
            "time": report.time.isoformat() if report.time else None,
            "code": report.code,
            "detail": report.detail,
        }
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
    console.current().emit("".join(lines))
