"""Delivery reports and the account balance: which msgIds to ask about, asking for them in
gateway-sized chunks (concurrently, retried), merging the answers back into input order, and
polling until nothing is pending. Used by `report` and `balance`; no typer, no printing.

Where the local history store plugs in:

- `collect_ids(...)` reads msgIds given by the user; `ids_from_history(...)` is its twin for
  `--last/--job/--since`. Either way the ids come with what the history knows of them.
- query providers (v3): `check_reports(..., on_reports=...)` passes every call's reports through
  one callback as that call is answered (while the others are in flight), where delivery
  states get recorded; `combine(...)` answers ids whose final state
  the history already holds without asking again.
- queue providers (mobset): `check_queue(...)` drains the gateway's report queue into the
  history (each batch saved before the next is pulled: a pulled report is gone from the
  gateway) and answers from the history.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Protocol, TextIO, TypeVar, runtime_checkable

from smscli.errors import (
    ErrorKind,
    ExitCode,
    GatewayError,
    InputError,
    NetworkError,
    SmsCliError,
    UsageError,
)
from smscli.gateways.base import DeliveryStatus, RawAnswer, Report, ReportMode, ReportResult
from smscli.message import plural
from smscli.rows import STATE_WORDS, delivery_detail
from smscli.sending import RetryPolicy

if TYPE_CHECKING:
    from concurrent.futures import Future

    from smscli.history.records import Tracked
    from smscli.history.store import Store

T = TypeVar("T")

# Reads are idempotent, so unlike a send every failure worth a second try gets one.
QUERY_RETRY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=10.0)

Clock = Callable[[], float]
Sleep = Callable[[float], None]
# Called before each retry with the error, the attempt that failed (1-based) and the pause.
OnRetry = Callable[[SmsCliError, int, float], None]
# The history store's hook: every report of one poll, ids absent from the answer included
# (as DeliveryStatus.NOT_FOUND). Its return value is ignored (a store may count its writes).
OnReports = Callable[[Sequence[Report]], object]

DETAIL_LIMIT = 5

NOT_FOUND_DETAIL = STATE_WORDS["not_found"]
NO_REPORT_DETAIL = "no delivery report yet"
NOT_IN_HISTORY_DETAIL = "no delivery report yet, and not a msgId in the history"
# SmsGetReport calls per `report` run (every poll of a --wait included): 10,000 reports at
# mobset's 50 per call. Ends a run even if a gateway kept handing out new reports.
MAX_PULLS = 200
# Seconds between two pulls of one drain: the vendor's own sample polls once a second.
PULL_PACE = 1.0


# -------------------------------------------------------------------------- which ids


@dataclass(frozen=True, slots=True)
class RawId:
    value: str
    where: str  # "stdin line 3", "argument 2", "sent.json item 4": for error messages


@dataclass(frozen=True, slots=True)
class ParsedIds:
    format: str  # plain | json | jsonl | csv | tsv
    ids: list[RawId]
    skipped: int = 0  # rows with an empty msg_id (rejected, or accepted without an id)


@dataclass(frozen=True, slots=True)
class CollectedIds:
    ids: list[str]  # unique, in input order
    duplicates: int = 0
    skipped: int = 0
    # What the history knows of the ids (those it knows): filled by ids_from_history, or by the
    # CLI from Store.lookup for ids the user gave.
    tracked: Mapping[str, Tracked] = field(default_factory=dict)
    origin: str | None = None  # "job 12", "3 jobs since ...": where history-selected ids came from


def detect_format(text: str) -> str:
    """JSON array, JSON lines, a send/batch/report table with a msg_id header, or plain ids."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "jsonl"
    header = stripped.split("\n", 1)[0]
    if "msg_id" in header:
        return "tsv" if "\t" in header else "csv"
    return "plain"


def parse_ids(text: str, source: str) -> ParsedIds:
    """The msgIds in `text` (whatever `detect_format` finds), each with where it was."""
    text = text.removeprefix("\ufeff")
    fmt = detect_format(text)
    if fmt == "json":
        ids, skipped = _json_ids(text, source)
    elif fmt == "jsonl":
        ids, skipped = _jsonl_ids(text, source)
    elif fmt in ("csv", "tsv"):
        ids, skipped = _table_ids(text, source, "\t" if fmt == "tsv" else ",")
    else:
        ids, skipped = _plain_ids(text, source), 0
    return ParsedIds(fmt, ids, skipped)


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _plain_ids(text: str, source: str) -> list[RawId]:
    return [
        RawId(line.strip(), f"{source} line {n}")
        for n, line in enumerate(_lines(text), 1)
        if line.strip()
    ]


def _json_ids(text: str, source: str) -> tuple[list[RawId], int]:
    try:
        rows = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{source} is not valid JSON: {exc}", hint="nothing was queried") from None
    if not isinstance(rows, list):
        raise InputError(f"{source}: expected a JSON array", hint="nothing was queried")
    return _collect_rows((row, f"{source} item {n}") for n, row in enumerate(rows, 1))


def _jsonl_ids(text: str, source: str) -> tuple[list[RawId], int]:
    def rows() -> Iterator[tuple[object, str]]:
        for n, line in enumerate(_lines(text), 1):
            if not line.strip():
                continue
            where = f"{source} line {n}"
            try:
                yield json.loads(line), where
            except ValueError as exc:
                raise InputError(
                    f"{where} is not valid JSON: {exc}", hint="nothing was queried"
                ) from None

    return _collect_rows(rows())


def _collect_rows(rows: Iterable[tuple[object, str]]) -> tuple[list[RawId], int]:
    ids: list[RawId] = []
    skipped = 0
    for row, where in rows:
        value = _row_id(row, where)
        if value is None:
            skipped += 1
        else:
            ids.append(RawId(value, where))
    return ids, skipped


def _row_id(row: object, where: str) -> str | None:
    """A row's msg_id; None for an empty one (a rejected number has no msgId)."""
    if isinstance(row, str | int) and not isinstance(row, bool):
        return str(row).strip() or None  # a JSON list of bare ids
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected an object with a msg_id field")
    if "msg_id" not in row:
        raise InputError(
            f"{where} has no msg_id field",
            hint="feed the output of `smscli send` or `smscli batch`, or one msgId per line",
        )
    value = row["msg_id"]
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"{where}: msg_id {value!r} is not a msgId")
    return str(value).strip() or None


def _table_ids(text: str, source: str, delimiter: str) -> tuple[list[RawId], int]:
    # newline="" hands csv the raw line ends, so quoted fields with newlines survive.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    column: int | None = None
    ids: list[RawId] = []
    skipped = 0
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if column is None:
            column = _id_column(row, f"{source} line {reader.line_num}")
            continue
        value = row[column].strip() if column < len(row) else ""
        if value:
            ids.append(RawId(value, f"{source} line {reader.line_num}"))
        else:
            skipped += 1
    return ids, skipped


def _id_column(header: list[str], where: str) -> int:
    cells = [cell.strip() for cell in header]
    if "msg_id" not in cells:
        raise InputError(f"{where}: the header has no msg_id column", hint="nothing was queried")
    return cells.index("msg_id")


def ids_from_args(args: Sequence[str]) -> list[RawId]:
    ids: list[RawId] = []
    for n, arg in enumerate(args, 1):
        for part in arg.split(","):
            if part.strip():
                ids.append(RawId(part.strip(), f"argument {n}"))
    return ids


def is_msg_id(value: str) -> bool:
    return value.isascii() and value.isdigit()


def _shorten(value: str, width: int = 40) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def check_ids(raw: Sequence[RawId], *, skipped: int = 0) -> CollectedIds:
    """Every id checked (digits only; a bad one stops everything) and duplicates dropped."""
    bad = [r for r in raw if not is_msg_id(r.value)]
    if bad:
        plural = "" if len(bad) == 1 else "s"
        lines = [f"{len(bad)} invalid msgId{plural} (msgIds are digits only):"]
        lines += [f"  {r.where}: {_shorten(r.value)!r}" for r in bad[:DETAIL_LIMIT]]
        if len(bad) > DETAIL_LIMIT:
            lines.append(f"  … and {len(bad) - DETAIL_LIMIT} more")
        raise InputError("\n".join(lines), hint="nothing was queried")
    unique = list(dict.fromkeys(r.value for r in raw))
    if not unique:
        hint = "give msgIds as arguments, with -f PATH, or pipe in the output of `smscli send`"
        if skipped:
            # Not "rejected": issue 10's accepted-without-id rows have no msg_id either, and
            # calling them rejected invites sending them again.
            hint = (
                f"{skipped} row{'' if skipped == 1 else 's'} had an empty msg_id: numbers the "
                "gateway rejected, or accepted without giving a message id (sent: do not send "
                "those again); each row's outcome and error say which"
            )
        raise InputError("no msgIds found in the input", hint=hint)
    return CollectedIds(unique, duplicates=len(raw) - len(unique), skipped=skipped)


def collect_ids(
    args: Sequence[str],
    *,
    file: str | None = None,
    stdin: TextIO | None = None,
    stdin_is_tty: bool = True,
) -> CollectedIds:
    """The msgIds to report on, from arguments (`-` = stdin), `file` (`-` = stdin) or, when
    neither is given, piped stdin. The single id source of `report`: history-based selections
    (last run, a job, a time window) belong here too."""
    plain = [a for a in args if a != "-"]
    wants_stdin = "-" in args or file == "-"
    if not plain and file is None and not wants_stdin:
        if stdin_is_tty or stdin is None:
            raise UsageError(
                "no msgIds given",
                hint="pass them as arguments, with -f/--file PATH, or pipe them in: "
                "smscli send ... -q | smscli report",
            )
        wants_stdin = True
    raw = ids_from_args(plain)
    skipped = 0
    if file is not None and file != "-":
        parsed = parse_ids(_read_ids(file, stdin), file)
        raw += parsed.ids
        skipped += parsed.skipped
    if wants_stdin:
        if stdin is None:
            raise UsageError("no stdin to read msgIds from")
        parsed = parse_ids(_read_ids("-", stdin), "stdin")
        raw += parsed.ids
        skipped += parsed.skipped
    return check_ids(raw, skipped=skipped)


@dataclass(frozen=True, slots=True)
class HistorySelection:
    """`--last`, `--job ID` or `--since WHEN`: the msgIds come from the local history."""

    option: str  # as the user gave it, for messages
    last: bool = False
    job: int | None = None
    since: datetime | None = None


def history_selection(
    *, last: bool = False, job: int | None = None, since: str | None = None
) -> HistorySelection | None:
    """The history selection asked for, if any; at most one of the three."""
    given = [
        name
        for name, on in (("--last", last), ("--job", job is not None), ("--since", since))
        if on
    ]
    if len(given) > 1:
        raise UsageError(f"{' and '.join(given)} cannot be combined: choose one")
    if job is not None:
        if job < 1:
            raise UsageError(f"--job {job}: job ids start at 1", hint="list jobs: smscli history")
        return HistorySelection(f"--job {job}", job=job)
    if since is not None:
        from smscli.timeparse import parse_since

        try:
            return HistorySelection(f"--since {since}", since=parse_since(since))
        except ValueError as exc:
            raise UsageError(f"--since: {exc}") from None
    return HistorySelection("--last", last=True) if last else None


def refuse_other_ids(selection: HistorySelection, args: Sequence[str], file: str | None) -> None:
    """History-selected ids are the whole question: mixing in other ids would hide which
    answer belongs to which."""
    if args or file is not None:
        given = "-f/--file" if file is not None and not args else "msgIds"
        raise UsageError(
            f"{selection.option} takes the msgIds from the history: give no {given} with it",
            hint="either name the messages (arguments, -f, stdin) or select them from the history",
        )


def ids_from_history(store: Store, selection: HistorySelection, profile: str) -> CollectedIds:
    """The ids `selection` picks, with what the history knows of them. --last is the newest job
    of `profile`; --since is scoped to `profile` too (another profile's msgIds belong to another
    account, whose gateway alone can answer for them); --job is any job."""
    if selection.since is not None:
        tracked = store.ids_since(selection.since, profile)
        return CollectedIds(list(tracked), tracked=tracked, origin=f"{selection.option}")
    job_id = selection.job if selection.job is not None else store.last_job_id(profile)
    if job_id is None:
        raise UsageError(
            f"no job of profile {profile} in the history",
            hint="sends are recorded unless --no-history or history = false; "
            "`smscli history` lists the jobs, -p chooses another profile",
        )
    tracked = store.ids_for_job(job_id)
    live = store.job(job_id).live
    if not tracked and live:
        raise UsageError(
            f"job {job_id} is still being sent: no answer with a msgId is recorded yet",
            hint=f"ask again in a moment, or follow it with: smscli history show {job_id}",
        )
    if not tracked:
        # A job the gateway accepted without giving ids (issue 10) must not read as "accepted
        # none": that would invite sending the same messages again.
        summaries = store.jobs(job_id=job_id)
        accepted = summaries[0].counts.accepted if summaries else 0
        if accepted:
            raise UsageError(
                f"job {job_id} has no msgIds: the gateway accepted {plural(accepted, 'number')} "
                "without giving a message id, so their delivery cannot be followed",
                hint=f"they were sent: do not send them again; see: smscli history show {job_id}",
            )
        raise UsageError(
            f"job {job_id} has no msgIds: the gateway accepted none of its numbers",
            hint=f"see: smscli history show {job_id}",
        )
    origin = f"job {job_id}" + (" (still being sent: the msgIds recorded so far)" if live else "")
    # Numbers accepted without a msgId (issue 10) cannot be asked about: counted, so that the
    # report does not silently show fewer messages than the job sent.
    summaries = [] if live else store.jobs(job_id=job_id)
    untracked = max(summaries[0].counts.accepted - len(tracked), 0) if summaries else 0
    return CollectedIds(list(tracked), tracked=tracked, origin=origin, skipped=untracked)


def _read_ids(path: str, stdin: TextIO | None) -> str:
    # The one "file or stdin" reader of send -f and batch: encodings, NUL bytes and endless
    # lines are refused with the line number.
    from smscli.readers import open_lines

    with open_lines(path, stdin, what="file") as reader:
        return "".join(reader)


# -------------------------------------------------------------------------- asking


class ReportSource(Protocol):
    """The part of a Gateway that `report` needs."""

    @property
    def max_ids_per_report(self) -> int: ...

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult: ...


def retryable(exc: SmsCliError) -> bool:
    """Worth asking again: no usable answer, too many requests, or a server-side failure.
    Auth, input and clock errors would only repeat."""
    if isinstance(exc, NetworkError):
        return True
    return isinstance(exc, GatewayError) and exc.kind in (ErrorKind.RATE, ErrorKind.SERVER)


def call_with_retry(
    fn: Callable[[], T],
    retry: RetryPolicy = QUERY_RETRY,
    *,
    sleep: Sleep = time.sleep,
    on_retry: OnRetry | None = None,
) -> T:
    """`fn()` with up to `retry.attempts` tries, for idempotent reads only (getReport,
    getBalance): exponential backoff with jitter, or the gateway's Retry-After."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except SmsCliError as exc:
            if attempt >= retry.attempts or not retryable(exc):
                raise
            pause = retry.delay(attempt, getattr(exc, "retry_after", None))
            if on_retry is not None:
                on_retry(exc, attempt, pause)
            sleep(pause)


def chunk_ids(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i : i + size]) for i in range(0, len(ids), max(1, size))]


def merge_reports(ids: Sequence[str], results: Iterable[ReportResult]) -> list[Report]:
    """One report per asked id, in the order asked. The platform leaves ids it has no record
    of out of its answer (fresh messages still queued count as not found), so those become
    NOT_FOUND; ids the gateway answered but nobody asked about are dropped."""
    asked = set(ids)
    found: dict[str, Report] = {}
    for result in results:
        for report in result.reports:
            if report.msg_id in asked:
                found[report.msg_id] = report
    return [
        found.get(msg_id) or Report(msg_id, DeliveryStatus.NOT_FOUND, detail=NOT_FOUND_DETAIL)
        for msg_id in ids
    ]


def fetch_reports(
    source: ReportSource,
    ids: Sequence[str],
    *,
    concurrency: int = 4,
    retry: RetryPolicy = QUERY_RETRY,
    sleep: Sleep = time.sleep,
    on_retry: OnRetry | None = None,
    on_part: OnReports | None = None,
) -> list[Report]:
    """One report per id (ids unique), in order. Calls of at most `max_ids_per_report` ids run
    on a bounded thread pool; the first error that survives its retries stops the rest and is
    raised. `on_part` gets each call's reports (one per id it asked, as merge_reports makes
    them) on the calling thread as soon as that call is answered: the history records them
    while the other calls are still in flight."""
    chunks = chunk_ids(ids, source.max_ids_per_report)

    def ask(chunk: list[str]) -> ReportResult:
        return call_with_retry(
            lambda: source.get_report(chunk), retry, sleep=sleep, on_retry=on_retry
        )

    def answered(chunk: list[str], result: ReportResult) -> None:
        if on_part is not None:
            on_part(merge_reports(chunk, [result]))

    if len(chunks) <= 1 or concurrency <= 1:
        results = []
        for chunk in chunks:
            results.append(ask(chunk))
            answered(chunk, results[-1])
        return merge_reports(ids, results)
    return merge_reports(ids, _run_pool(ask, chunks, concurrency, answered))


def _run_pool(
    ask: Callable[[list[str]], ReportResult],
    chunks: list[list[str]],
    concurrency: int,
    answered: Callable[[list[str], ReportResult], None],
) -> list[ReportResult]:
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(chunks)))
    try:
        futures = [pool.submit(ask, chunk) for chunk in chunks]
        chunk_of = dict(zip(futures, chunks, strict=True))
        waiting = set(futures)
        while waiting:
            done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
            if any(_failed(future) for future in done):
                raise _first_error(futures)
            for future in done:
                answered(chunk_of[future], future.result())
        return [future.result() for future in futures]
    finally:
        # Never start the queued calls after an error or Ctrl-C; running ones finish on
        # their own (a read is harmless).
        pool.shutdown(wait=False, cancel_futures=True)


def _failed(future: Future[ReportResult]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is not None


def _first_error(futures: Sequence[Future[ReportResult]]) -> BaseException:
    # In chunk order, so the message does not depend on thread timing.
    for future in futures:
        exc = future.exception() if _failed(future) else None
        if exc is not None:
            return exc
    raise AssertionError("no failed future")


# -------------------------------------------------------------------------- waiting


@dataclass(frozen=True, slots=True)
class WaitPolicy:
    """Poll every `interval` seconds while something changes, stretching the pause ×`backoff`
    (up to `max_interval`) while nothing does; give up after `timeout` seconds."""

    interval: float = 10.0
    timeout: float = 600.0
    max_interval: float = 60.0
    backoff: float = 1.5

    def __post_init__(self) -> None:
        if not self.interval > 0:
            raise UsageError("--interval must be greater than 0")
        if not self.timeout >= 0:
            raise UsageError("--timeout must be 0 or more")

    def next_delay(self, previous: float | None, changed: bool) -> float:
        if previous is None or changed:
            return self.interval
        return min(max(self.max_interval, self.interval), previous * self.backoff)


@dataclass(frozen=True, slots=True)
class Counts:
    delivered: int = 0
    failed: int = 0
    pending: int = 0  # sending: known to the gateway, no report yet
    not_found: int = 0  # absent from the answer: still queued, or an unknown id
    unknown: int = 0

    @property
    def waiting(self) -> int:
        return self.pending + self.not_found


def tally(reports: Iterable[Report]) -> Counts:
    n = dict.fromkeys(DeliveryStatus, 0)
    for report in reports:
        n[report.status] += 1
    return Counts(
        delivered=n[DeliveryStatus.DELIVERED],
        failed=n[DeliveryStatus.FAILED],
        pending=n[DeliveryStatus.PENDING],
        not_found=n[DeliveryStatus.NOT_FOUND],
        unknown=n[DeliveryStatus.UNKNOWN],
    )


def summary(counts: Counts) -> str:
    text = (
        f"{counts.delivered:,} delivered, {counts.failed:,} failed, "
        f"{counts.pending:,} pending, {counts.not_found:,} not found"
    )
    if counts.unknown:
        text += f", {counts.unknown:,} unknown"
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
    counts: Counts
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
    def counts(self) -> Counts:
        return tally(self.reports)


def check_reports(
    source: ReportSource,
    ids: Sequence[str],
    *,
    wait: WaitPolicy | None = None,
    concurrency: int = 4,
    retry: RetryPolicy = QUERY_RETRY,
    on_reports: OnReports | None = None,
    on_poll: Callable[[Poll], None] | None = None,
    on_retry: OnRetry | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    classify: Callable[[Report], Report] | None = None,
) -> ReportOutcome:
    """Ask once, or with `wait` keep asking about the ids still pending until none is or the
    timeout passes. During a wait, a poll that fails with a retryable error (after its own
    retries) is ridden out; any other error is raised. Ctrl-C during a wait returns what is
    known so far (interrupted=True). `classify` turns each answer before it counts (e.g.
    not_found_verdict: an id nobody knows is not waited for)."""

    def ask(todo: list[str], ride_out: bool) -> tuple[list[Report], SmsCliError | None]:
        return _poll(source, todo, ride_out, concurrency, retry, sleep, on_retry, on_reports)

    # on_reports gets each call's reports as that call is answered (see fetch_reports).
    return _keep_asking(
        ask,
        ids,
        wait=wait,
        on_reports=None,
        on_poll=on_poll,
        clock=clock,
        sleep=sleep,
        classify=classify,
    )


# Asks about the ids still waiting; rides out a retryable error when told to (returning it).
Ask = Callable[[list[str], bool], tuple[list[Report], SmsCliError | None]]


def _keep_asking(
    ask: Ask,
    ids: Sequence[str],
    *,
    wait: WaitPolicy | None,
    on_reports: OnReports | None,
    on_poll: Callable[[Poll], None] | None,
    clock: Clock,
    sleep: Sleep,
    classify: Callable[[Report], Report] | None = None,
) -> ReportOutcome:
    """The polling loop shared by query and queue providers. `on_reports` gets the answers
    as the gateway gave them (a verdict `classify` draws is no report to record)."""
    started = clock()
    latest: dict[str, Report] = {}
    todo: list[str] = list(ids)
    polls = 0
    delay: float | None = None
    timed_out = interrupted = False
    try:
        while True:
            reports, error = ask(todo, wait is not None and bool(latest))
            polls += 1
            judged = reports if classify is None else [classify(x) for x in reports]
            changed = _apply(latest, judged)
            if reports and on_reports is not None:
                on_reports(reports)
            todo = [msg_id for msg_id in ids if is_waiting(latest[msg_id])]
            pause: float | None = None
            if wait is not None and todo:
                remaining = wait.timeout - (clock() - started)
                if remaining > 0:
                    delay = wait.next_delay(delay, changed)
                    pause = min(delay, remaining)
                else:
                    timed_out = True
            if on_poll is not None:
                counts = tally(latest.values())
                on_poll(Poll(polls, clock() - started, counts, changed, pause, error))
            if pause is None:
                break
            sleep(pause)
    except KeyboardInterrupt:
        if wait is None or len(latest) < len(ids):
            raise
        interrupted = True
    return ReportOutcome(
        reports=tuple(latest[msg_id] for msg_id in ids),
        polls=polls,
        elapsed=clock() - started,
        timed_out=timed_out,
        interrupted=interrupted,
    )


def _poll(
    source: ReportSource,
    ids: Sequence[str],
    ride_out: bool,
    concurrency: int,
    retry: RetryPolicy,
    sleep: Sleep,
    on_retry: OnRetry | None,
    on_part: OnReports | None = None,
) -> tuple[list[Report], SmsCliError | None]:
    try:
        reports = fetch_reports(
            source,
            ids,
            concurrency=concurrency,
            retry=retry,
            sleep=sleep,
            on_retry=on_retry,
            on_part=on_part,
        )
    except SmsCliError as exc:
        if ride_out and retryable(exc):
            return [], exc
        raise
    return reports, None


def _apply(latest: dict[str, Report], reports: Iterable[Report]) -> bool:
    changed = False
    for report in reports:
        before = latest.get(report.msg_id)
        if before is None or before.status is not report.status:
            changed = True
        latest[report.msg_id] = report
    return changed


# -------------------------------------------------------------------------- the history


# How long after its send a message may still be unknown to the gateway (queued: v3 counts it
# in `nofound`) or without a report, and be called pending. Past it, neither the gateway nor
# the history has anything to wait for: unknown. The vendors document no such window; three
# days outlasts any queue the documents describe.
RECENT = timedelta(days=3)
# v3 msgIds usually start with their submission time, yyMMddHHmmss at UTC+8 (not always:
# real-answers.md V2), which dates an id the history does not hold.
_ID_TZ = timezone(timedelta(hours=8))
UNKNOWN_ID_DETAIL = "neither the gateway nor the history knows this id"
FORGOTTEN_DETAIL = "the gateway has no record of it, and it was not sent recently"
NO_REPORT_LATE_DETAIL = "no delivery report came, and it was not sent recently"


def id_time(msg_id: str) -> datetime | None:
    """The submission time a 19-digit v3 msgId starts with, if it starts with one."""
    if len(msg_id) != 19 or not msg_id.isdigit():
        return None
    try:
        return datetime.strptime(msg_id[:12], "%y%m%d%H%M%S").replace(tzinfo=_ID_TZ)
    except ValueError:
        return None


def recently_sent(
    msg_id: str, known: Tracked | None, now: datetime, sent: datetime | None = None
) -> bool:
    """Sent within RECENT, as far as anyone can tell: by the history's record of the send
    (`sent`), or (an id the history does not hold) by the time the id starts with. A message
    the history holds without a send time counts as recent: nothing says it is not."""
    if known is not None:
        return sent is None or now - sent <= RECENT
    stamp = id_time(msg_id)
    return stamp is not None and -RECENT <= now - stamp <= RECENT


def not_found_verdict(
    report: Report, known: Tracked | None, now: datetime, sent: datetime | None = None
) -> Report:
    """A getReport answer that does not list an id (`nofound`): pending while the message can
    still be queued at the gateway, unknown otherwise. A final state the history holds is
    left for `combine` to show."""
    if report.status is not DeliveryStatus.NOT_FOUND or _final(known):
        return report
    number = report.number or (known.number if known is not None else None)
    if recently_sent(report.msg_id, known, now, sent):
        return replace(report, status=DeliveryStatus.PENDING, number=number,
                       detail=NOT_FOUND_DETAIL)
    detail = FORGOTTEN_DETAIL if known is not None else UNKNOWN_ID_DETAIL
    return replace(report, status=DeliveryStatus.UNKNOWN, number=number, detail=detail)


def history_report(
    msg_id: str,
    known: Tracked | None,
    *,
    now: datetime | None = None,
    sent: datetime | None = None,
) -> Report:
    """What the history knows of one msgId as a report: its last delivery state; pending while
    no report has come for a message it holds; not found for an id it does not hold. With
    `now`, a message without a report that was not sent recently, and an id the history does
    not hold, are unknown instead (RECENT). Its `source` says the answer came from the history
    (a row key of its own, so the detail reads the same whichever way the answer came)."""
    if known is None:
        if now is not None and not recently_sent(msg_id, None, now):
            return Report(
                msg_id, DeliveryStatus.UNKNOWN, detail=UNKNOWN_ID_DETAIL, source="history"
            )
        return Report(
            msg_id, DeliveryStatus.NOT_FOUND, detail=NOT_IN_HISTORY_DETAIL, source="history"
        )
    if known.status is None:
        if now is not None and not recently_sent(msg_id, known, now, sent):
            return Report(
                msg_id,
                DeliveryStatus.UNKNOWN,
                number=known.number,
                detail=NO_REPORT_LATE_DETAIL,
                source="history",
            )
        return Report(
            msg_id,
            DeliveryStatus.PENDING,
            number=known.number,
            detail=NO_REPORT_DETAIL,
            source="history",
        )
    return Report(
        msg_id,
        known.status,
        number=known.number,
        time=known.time,
        code=known.code,
        detail=known.detail,
        source="history",
    )


def still_to_ask(
    ids: Sequence[str], tracked: Mapping[str, Tracked], *, refresh: bool = False
) -> list[str]:
    """The ids a query provider must be asked about: those without a final state in the
    history (every id with `refresh`). A delivered or failed message stays so."""
    if refresh:
        return list(ids)
    return [i for i in ids if not _final(tracked.get(i))]


def _final(known: Tracked | None) -> bool:
    return known is not None and known.status is not None and known.status.final


def combine(
    ids: Sequence[str], asked: ReportOutcome | None, tracked: Mapping[str, Tracked]
) -> ReportOutcome:
    """One report per id, in input order: the gateway's answer where it was asked, else the
    history's final state (marked). A gateway that has forgotten an old id (not found) does
    not hide the final state the history holds; the number is the one the history sent to
    (the answer may lack it, or echo it as +44..., 0044..., issue 10)."""
    answered = {r.msg_id: r for r in asked.reports} if asked is not None else {}
    reports = []
    for msg_id in ids:
        known = tracked.get(msg_id)
        got = answered.get(msg_id)
        if got is None or (got.status is DeliveryStatus.NOT_FOUND and _final(known)):
            reports.append(history_report(msg_id, known))
        elif known is not None and known.number is not None and got.number != known.number:
            reports.append(replace(got, number=known.number))
        else:
            reports.append(got)
    if asked is None:
        return ReportOutcome(reports=tuple(reports), polls=0, elapsed=0.0)
    return replace(asked, reports=tuple(reports))


# -------------------------------------------------------------------------- queue providers


@runtime_checkable
class QueueSource(Protocol):
    """A gateway whose reports are not looked up by id but handed out once each (mobset)."""

    report_mode: str

    def pull_reports(self) -> ReportResult: ...


@runtime_checkable
class RawQueueSource(Protocol):
    """A queue source that can hand over an answer unread, so it is kept before being read."""

    def pull_raw(self) -> RawAnswer: ...

    def read_reports(self, raw: RawAnswer) -> ReportResult: ...


class RawKeeper(Protocol):
    """Where raw answers are kept (the history's raw_reports)."""

    def keep(self, raw: RawAnswer) -> int: ...

    def read(self, raw_id: int, reports: int) -> None: ...

    def unreadable(self, raw_id: int, error: str) -> str:
        """Mark it unreadable; returns where it is kept, for the user."""
        ...

    def unread(self) -> list[tuple[int, RawAnswer]]:
        """Kept answers not read yet: unreadable ones, and any a crash left unread."""
        ...


def reread_kept(source: QueueSource, keeper: RawKeeper, save: OnReports) -> int:
    """Read again the answers kept because they could not be read (or were not, before a
    crash): this smscli may read what an older one could not. Returns how many reports they
    held; an answer still unreadable stays kept as it is."""
    if not isinstance(source, RawQueueSource):
        return 0
    found = 0
    for raw_id, raw in keeper.unread():
        try:
            result = source.read_reports(raw)
        except SmsCliError:
            continue
        if result.reports:
            _save(save, result.reports)
        keeper.read(raw_id, len(result.reports))
        found += len(result.reports)
    return found


def as_queue(gateway: object) -> QueueSource | None:
    """The gateway as a queue source when its reports come from a queue, else None."""
    if isinstance(gateway, QueueSource) and gateway.report_mode == ReportMode.QUEUE:
        return gateway
    return None


class ReportsNotSaved(SmsCliError):
    """Reports pulled from a queue could not be saved: the gateway will not hand them out
    again, so `reports` are the only copy left (the CLI prints them)."""

    def __init__(self, error: SmsCliError, reports: Sequence[Report]) -> None:
        super().__init__(
            f"{len(reports)} delivery reports pulled from the gateway could not be saved: "
            f"{error.message}",
            hint="the gateway hands each report out once: they are printed above as JSON lines",
        )
        self.error = error
        self.reports = tuple(reports)
        self.exit_code = error.exit_code


class UnreadableReports(SmsCliError):
    """A report answer smscli cannot read. It may hold reports the gateway will not hand out
    again, so it is kept raw (`where`) and pulling stops: more pulls could only lose more.
    Exit 6, as any answer smscli cannot use; not retried."""

    exit_code = ExitCode.NETWORK

    def __init__(self, error: SmsCliError, where: str) -> None:
        super().__init__(
            f"the gateway's report answer could not be read ({error.message}); it is kept "
            f"as it came in {where}",
            hint="the reports it may hold are not lost: a later smscli can read them again; "
            "pulling stopped so that no more are taken",
        )
        self.error = error
        self.where = where


@dataclass(frozen=True, slots=True)
class Drained:
    calls: int
    reports: int  # reports not seen before
    limit_reached: bool = False  # stopped by the call limit: more may be waiting
    repeated: int = 0  # handed out again although already in the history (not counted new)
    recovered: int = 0  # read from answers kept unread earlier (reread_kept)


def drain_queue(
    source: QueueSource,
    save: OnReports,
    *,
    max_calls: int = MAX_PULLS,
    retry: RetryPolicy = QUERY_RETRY,
    sleep: Sleep = time.sleep,
    on_retry: OnRetry | None = None,
    keeper: RawKeeper | None = None,
    known: Callable[[Sequence[str]], Mapping[str, Tracked]] | None = None,
    seen: set[tuple[str, str]] | None = None,
    pace: float | None = None,
) -> Drained:
    """Pull until a call brings nothing new (empty, or only reports already seen) or
    `max_calls` calls were made, `pace` seconds apart (the vendor's own sample polls once a
    second), saving each batch before the next call: a pulled report exists nowhere else.
    With a `keeper` (and a source that can hand answers over unread), each answer's bytes are
    kept before it is read, and an unreadable one stops the drain (UnreadableReports).
    `known` (the history's lookup) and `seen` (shared by the drains of one run) tell new
    reports from ones handed out again. A retried pull loses nothing more than the failed
    one already did."""
    seen = set() if seen is None else seen
    pause = PULL_PACE if pace is None else pace
    calls = new = repeated = 0
    while calls < max_calls:
        if calls:
            sleep(pause)
        result, raw_id = call_with_retry(
            lambda: _pull(source, keeper), retry, sleep=sleep, on_retry=on_retry
        )
        calls += 1
        if not result.reports:
            if keeper is not None and raw_id is not None:
                keeper.read(raw_id, 0)
            return Drained(calls, new, repeated=repeated)
        fresh = _fresh(result.reports, seen, known)
        _save(save, result.reports)
        if keeper is not None and raw_id is not None:
            keeper.read(raw_id, len(result.reports))
        seen.update((r.msg_id, r.status.value) for r in result.reports)
        new += fresh
        repeated += len(result.reports) - fresh
        if not fresh:
            # Only reports it handed out before: a queue that repeats itself is not drained
            # by asking again.
            return Drained(calls, new, repeated=repeated)
    return Drained(calls, new, limit_reached=True, repeated=repeated)


def _pull(source: QueueSource, keeper: RawKeeper | None) -> tuple[ReportResult, int | None]:
    if keeper is None or not isinstance(source, RawQueueSource):
        return source.pull_reports(), None
    raw = source.pull_raw()
    raw_id = keeper.keep(raw)
    try:
        result = source.read_reports(raw)
    except GatewayError:
        keeper.read(raw_id, 0)  # the gateway's own error: it handed out nothing
        raise
    except SmsCliError as exc:
        if raw.http_status >= 400:
            keeper.read(raw_id, 0)  # an HTTP error page, not reports
            raise
        raise UnreadableReports(exc, keeper.unreadable(raw_id, exc.message)) from None
    return result, raw_id


def _fresh(
    reports: Sequence[Report],
    seen: set[tuple[str, str]],
    known: Callable[[Sequence[str]], Mapping[str, Tracked]] | None,
) -> int:
    """How many of `reports` were not seen before, in this run or in the history."""
    history = known([r.msg_id for r in reports]) if known is not None else {}
    count = 0
    for report in reports:
        before = history.get(report.msg_id)
        if (report.msg_id, report.status.value) in seen:
            continue
        if before is not None and before.status is report.status:
            continue
        count += 1
    return count


def _save(save: OnReports, reports: Sequence[Report]) -> None:
    try:
        try:
            save(reports)
        except KeyboardInterrupt:
            # Ctrl-C during the write rolled it back: these reports exist nowhere else, so
            # write them before stopping.
            save(reports)
            raise
    except SmsCliError as exc:
        raise ReportsNotSaved(exc, reports) from None


def check_queue(
    source: QueueSource,
    ids: Sequence[str],
    *,
    save: OnReports,
    lookup: Callable[[Sequence[str]], Mapping[str, Tracked]],
    wait: WaitPolicy | None = None,
    max_pulls: int = MAX_PULLS,
    retry: RetryPolicy = QUERY_RETRY,
    on_drain: Callable[[Drained], None] | None = None,
    on_poll: Callable[[Poll], None] | None = None,
    on_retry: OnRetry | None = None,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
    keeper: RawKeeper | None = None,
    pull: bool = True,
    pace: float | None = None,
    now: Callable[[], datetime] | None = None,
    sent_times: Callable[[Sequence[str]], Mapping[str, datetime]] | None = None,
) -> ReportOutcome:
    """Drain the queue into the history (`save`), then answer every id from it (`lookup`);
    with `wait`, again until nothing is pending or the timeout passes. At most `max_pulls`
    pulls in the whole run (every poll of a wait included); `pull=False` answers from the
    history alone. Errors as in check_reports: a retryable one is ridden out during a wait
    (the answer then comes from what the history already holds), any other is raised."""
    budget = [max_pulls]
    seen: set[tuple[str, str]] = set()
    if keeper is not None:
        recovered = reread_kept(source, keeper, save)
        if recovered and on_drain is not None:
            on_drain(Drained(0, 0, recovered=recovered))

    def ask(todo: list[str], ride_out: bool) -> tuple[list[Report], SmsCliError | None]:
        error = None
        if pull and budget[0] > 0:
            try:
                drained = drain_queue(
                    source,
                    save,
                    max_calls=budget[0],
                    retry=retry,
                    sleep=sleep,
                    on_retry=on_retry,
                    keeper=keeper,
                    known=lookup,
                    seen=seen,
                    pace=pace,
                )
            except SmsCliError as exc:
                if not (ride_out and retryable(exc)):
                    raise
                error = exc
            else:
                budget[0] -= drained.calls
                if on_drain is not None:
                    on_drain(drained)
        known = lookup(todo)
        at = now() if now is not None else None
        sent = sent_times(todo) if sent_times is not None and at is not None else {}
        reports = [
            history_report(msg_id, known.get(msg_id), now=at, sent=sent.get(msg_id))
            for msg_id in todo
        ]
        return reports, error

    return _keep_asking(
        ask, ids, wait=wait, on_reports=None, on_poll=on_poll, clock=clock, sleep=sleep
    )


def exit_code(outcome: ReportOutcome) -> ExitCode:
    """Interrupted beats timed out (the run never concluded) beats failed (3) beats ok.
    Pending without --wait is not a failure: it is the normal state of a fresh message."""
    if outcome.interrupted:
        return ExitCode.INTERRUPTED
    if outcome.timed_out:
        return ExitCode.WAIT_TIMEOUT
    if outcome.counts.failed:
        return ExitCode.PARTIAL
    return ExitCode.OK


# -------------------------------------------------------------------------- rendering


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


# -------------------------------------------------------------------------- balance


def balance_below(balance: str | None, threshold: float) -> bool:
    """Compared as decimals, exactly as the gateway wrote the amount. An answer with no
    usable amount (missing, null, not a number) cannot be compared: exit 6, as any answer
    smscli cannot use, never a silent "not below"."""
    if balance is None or not balance.strip():
        raise NetworkError(
            f"the gateway's answer has no balance: cannot compare it with the threshold "
            f"{threshold:g}",
            maybe_processed=True,
            hint="see the whole answer with -v",
        )
    try:
        amount = Decimal(balance.strip())
    except InvalidOperation:
        raise NetworkError(
            f"the gateway's balance {balance!r} is not a number: cannot compare it with "
            f"the threshold {threshold:g}",
            maybe_processed=True,
        ) from None
    if not amount.is_finite():
        raise NetworkError(
            f"the gateway's balance {balance!r} is not a finite number", maybe_processed=True
        )
    return amount < Decimal(repr(threshold))
