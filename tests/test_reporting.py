"""The core of `report` and `balance`: id parsing, chunking, merging, retries and the --wait
schedule, with a fake clock so nothing sleeps for real."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smscli import rows
from smscli.balance import balance_below
from smscli.errors import (
    ErrorKind,
    ExitCode,
    GatewayError,
    InputError,
    NetworkError,
    SmsCliError,
    UsageError,
)
from smscli.gateways.base import DeliveryStatus, Report, ReportResult
from smscli.history.db import StoreError
from smscli.history.records import Tracked
from smscli.model import Tally
from smscli.msgids import ParsedIds, check_ids, collect_ids, detect_format, ids_from_args, parse_ids
from smscli.reads import call_with_retry, retryable
from smscli.reporting.drain import Drained, ReportsNotSaved, as_queue, check_queue, drain_queue
from smscli.reporting.outcome import (
    NOT_FOUND_DETAIL,
    Poll,
    ReportOutcome,
    exit_code,
    report_row,
    summary,
    tally,
)
from smscli.reporting.poll import WaitPolicy, check_reports, chunk_ids, fetch_reports, merge_reports
from smscli.reporting.verdicts import NOT_IN_HISTORY_DETAIL, combine, history_report, still_to_ask
from smscli.retry import RetryPolicy
from smscli.selection import HistorySelection, history_selection, refuse_other_ids

ID1, ID2, ID3 = "2401011200001000001", "2401011200001000002", "2401011200001000003"


def values(parsed: ParsedIds) -> list[tuple[str, str]]:
    return [(raw.value, raw.where) for raw in parsed.ids]


# -------------------------------------------------------------------------- id parsing


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("", "plain"),
        (f"{ID1}\n{ID2}\n", "plain"),
        (f'\n  [{{"msg_id": "{ID1}"}}]', "json"),
        (f'{{"msg_id": "{ID1}"}}\n', "jsonl"),
        (f"\ufeff\r\nnumber\tmsg_id\n1\t{ID1}\n", "tsv"),
        (f"number,msg_id\n1,{ID1}\n", "csv"),
        (f"msg_id\n{ID1}\n", "csv"),
    ],
)
def test_detect_format(text: str, fmt: str) -> None:
    assert detect_format(text) == fmt


def test_plain_ids_with_blank_lines_crlf_bom_and_spaces() -> None:
    parsed = parse_ids(f"\ufeff{ID1}\r\n\r\n  {ID2}  \r\n", "stdin")
    assert parsed.format == "plain"
    assert values(parsed) == [(ID1, "stdin line 1"), (ID2, "stdin line 3")]


def test_json_array_of_send_rows_skips_rejected_numbers() -> None:
    rows = [
        {"number": "447700900123", "msg_id": ID1, "accepted": True},
        {"number": "447700900997", "msg_id": None, "accepted": False},
        {"number": "447700900124", "msg_id": ID2, "accepted": True},
    ]
    parsed = parse_ids(json.dumps(rows, indent=2), "sent.json")
    assert values(parsed) == [(ID1, "sent.json item 1"), (ID2, "sent.json item 3")]
    assert parsed.skipped == 1


def test_json_array_of_bare_ids() -> None:
    parsed = parse_ids(f'["{ID1}", {ID2}, ""]', "stdin")
    assert [raw.value for raw in parsed.ids] == [ID1, ID2]
    assert parsed.skipped == 1


def test_jsonl_rows_with_line_numbers() -> None:
    text = f'{{"msg_id": "{ID1}"}}\n\n{{"msg_id": ""}}\n{{"msg_id": "{ID2}", "x": 1}}\n'
    parsed = parse_ids(text, "stdin")
    assert values(parsed) == [(ID1, "stdin line 1"), (ID2, "stdin line 4")]
    assert parsed.skipped == 1


def test_csv_with_quoted_fields_and_empty_msg_id() -> None:
    text = (
        "number,msg_id,order_id,outcome,error\r\n"
        f'447700900123,{ID1},"a, b",true,\r\n'
        '447700900997,,,false,"rejected, left out"\r\n'
        f"447700900124,{ID2},,true,\r\n"
    )
    parsed = parse_ids(text, "stdin")
    assert parsed.format == "csv"
    assert values(parsed) == [(ID1, "stdin line 2"), (ID2, "stdin line 4")]
    assert parsed.skipped == 1


def test_tsv_from_send() -> None:
    text = f"number\tmsg_id\terror\n447700900123\t{ID1}\t\n447700900997\t\trejected\n"
    parsed = parse_ids(text, "stdin")
    assert parsed.format == "tsv"
    assert values(parsed) == [(ID1, "stdin line 2")]
    assert parsed.skipped == 1


def test_single_column_with_header() -> None:
    assert [raw.value for raw in parse_ids(f"msg_id\n{ID1}\n", "f").ids] == [ID1]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[1, 2", "stdin is not valid JSON"),
        ('{"msg_id": "1"}\n{oops\n', "stdin line 2 is not valid JSON"),
        ('{"number": "447700900123"}\n', "stdin line 1 has no msg_id field"),
        ('{"msg_id": true}\n', "is not a msgId"),
        ("[[1]]", "stdin item 1: expected an object"),
        ('{"a": 1}', "no msg_id field"),
        ("number,msg_ids\n1,2\n", "stdin line 1: the header has no msg_id column"),
    ],
)
def test_malformed_input_names_where(text: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        parse_ids(text, "stdin")


def test_args_split_on_commas() -> None:
    assert [(x.value, x.where) for x in ids_from_args([f"{ID1},{ID2}", f" {ID3} ,"])] == [
        (ID1, "argument 1"),
        (ID2, "argument 1"),
        (ID3, "argument 2"),
    ]


# -------------------------------------------------------------------------- checking


def test_check_ids_drops_duplicates_keeping_order() -> None:
    raw = ids_from_args([ID2, ID1, ID2, ID3, ID1])
    collected = check_ids(raw)
    assert collected.ids == [ID2, ID1, ID3]
    assert collected.duplicates == 2


def test_bad_ids_are_all_named_with_their_place() -> None:
    raw = parse_ids(f"{ID1}\nabc\n12 34\n+4477\n٣٤\n", "stdin").ids
    with pytest.raises(InputError) as info:
        check_ids(raw)
    message = info.value.message
    assert message.startswith("4 invalid msgIds (msgIds are digits only):")
    assert "stdin line 2: 'abc'" in message
    assert "stdin line 3: '12 34'" in message
    assert "stdin line 4: '+4477'" in message
    assert "stdin line 5" in message  # non-ASCII digits are not a msgId
    assert info.value.exit_code is ExitCode.USAGE


def test_many_bad_ids_are_counted_past_the_limit() -> None:
    raw = ids_from_args([f"x{i}" for i in range(12)])
    with pytest.raises(InputError) as info:
        check_ids(raw)
    assert info.value.message.splitlines()[-1] == "  … and 7 more"


def test_no_ids_explains_rejected_rows() -> None:
    with pytest.raises(InputError, match="no msgIds found") as info:
        check_ids([], skipped=2)
    assert "2 rows had an empty msg_id" in str(info.value.hint)


# -------------------------------------------------------------------------- collecting


def test_collect_from_args_and_file(tmp_path: Path) -> None:
    path = tmp_path / "sent.jsonl"
    path.write_text(f'{{"msg_id": "{ID2}"}}\n{{"msg_id": "{ID1}"}}\n', encoding="utf-8")
    collected = collect_ids([ID1], file=str(path), stdin=io.StringIO(ID3), stdin_is_tty=False)
    # stdin is not read when ids were given another way
    assert collected.ids == [ID1, ID2]
    assert collected.duplicates == 1


def test_collect_reads_piped_stdin_when_nothing_else_given() -> None:
    collected = collect_ids([], stdin=io.StringIO(f"{ID1}\n{ID2}\n"), stdin_is_tty=False)
    assert collected.ids == [ID1, ID2]


def test_collect_dash_reads_stdin_too() -> None:
    collected = collect_ids([ID3, "-"], stdin=io.StringIO(f"{ID1}\n"), stdin_is_tty=True)
    assert collected.ids == [ID3, ID1]


def test_collect_on_a_terminal_without_ids_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no msgIds given") as info:
        collect_ids([], stdin=io.StringIO(""), stdin_is_tty=True)
    assert "smscli send ... -q | smscli report" in str(info.value.hint)


def test_collect_missing_file() -> None:
    with pytest.raises(InputError, match=r"not found: /nonexistent/ids\.txt"):
        collect_ids([], file="/nonexistent/ids.txt")


# -------------------------------------------------------------------------- chunking, merging


def test_chunk_ids() -> None:
    ids = [str(10**18 + i) for i in range(450)]
    chunks = chunk_ids(ids, 200)
    assert [len(c) for c in chunks] == [200, 200, 50]
    assert [i for c in chunks for i in c] == ids
    assert chunk_ids([], 200) == []


def test_merge_keeps_input_order_and_marks_absent_ids_not_found() -> None:
    results = [
        ReportResult((Report(ID3, DeliveryStatus.FAILED, code="1"),)),
        ReportResult(
            (
                Report(ID1, DeliveryStatus.DELIVERED, code="0"),
                Report("999", DeliveryStatus.DELIVERED),  # never asked: dropped
            ),
            not_found=1,
        ),
    ]
    merged = merge_reports([ID1, ID2, ID3], results)
    assert [(m.msg_id, m.status) for m in merged] == [
        (ID1, DeliveryStatus.DELIVERED),
        (ID2, DeliveryStatus.NOT_FOUND),
        (ID3, DeliveryStatus.FAILED),
    ]
    assert merged[1].detail == NOT_FOUND_DETAIL


def test_report_row_shows_not_found_as_pending() -> None:
    when = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    row = report_row(Report(ID1, DeliveryStatus.DELIVERED, "4477", when, "0"))
    assert row == {
        "number": "4477",
        "msg_id": ID1,
        "status": "delivered",
        "time": when,
        "code": "0",
        "detail": "delivered",
        "source": "gateway",
    }
    assert list(row) == list(rows.REPORT)
    row = report_row(Report(ID2, DeliveryStatus.NOT_FOUND))
    assert row["status"] == "pending"
    assert row["detail"] == "not found yet (still queued, or an unknown id)"
    assert report_row(Report(ID3, DeliveryStatus.FAILED))["detail"] == "failed at the carrier"
    odd = Report(ID3, DeliveryStatus.UNKNOWN, code="7", detail="unknown status '7'")
    assert report_row(odd)["detail"] == "unknown status '7'"


def test_summary_and_counts() -> None:
    reports = [
        Report(ID1, DeliveryStatus.DELIVERED),
        Report(ID2, DeliveryStatus.NOT_FOUND),
        Report(ID3, DeliveryStatus.PENDING),
    ]
    counts = tally(reports)
    assert summary(counts) == "1 delivered, 0 failed, 1 pending, 1 not found"
    assert counts.waiting == 2
    assert summary(tally([Report(ID1, DeliveryStatus.UNKNOWN)])).endswith(", 1 unknown")
    # One Tally: counted as its add_status would, the send outcomes left at 0.
    statuses = [*(r.status for r in reports), DeliveryStatus.UNKNOWN, DeliveryStatus.FAILED]
    one = Tally()
    for status in statuses:
        one.add_status(status)
    assert tally(Report(str(i), s) for i, s in enumerate(statuses)) == one
    assert (one.unreported, one.failed, one.total, one.unknown) == (1, 1, 0, 0)


# -------------------------------------------------------------------------- fakes


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FakeSource:
    """A gateway whose answer for each id is computed from the fake clock."""

    max_ids_per_report = 200

    def __init__(
        self,
        state: Callable[[str], DeliveryStatus | None],
        *,
        faults: Sequence[SmsCliError] = (),
        size: int = 200,
    ) -> None:
        self.state = state
        self.faults = list(faults)
        self.calls: list[list[str]] = []
        self.max_ids_per_report = size
        self._lock = threading.Lock()

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
        with self._lock:
            self.calls.append(list(msg_ids))
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            raise fault
        reports = []
        for msg_id in msg_ids:
            status = self.state(msg_id)
            if status is not None:
                reports.append(Report(msg_id, status, number="4477", code="x"))
        return ReportResult(tuple(reports))


def always(status: DeliveryStatus | None) -> Callable[[str], DeliveryStatus | None]:
    return lambda msg_id: status


NO_RETRY_WAIT = RetryPolicy(attempts=3, base_delay=0.5, max_delay=10.0)


# -------------------------------------------------------------------------- fetching


def test_fetch_splits_into_calls_of_at_most_max_ids() -> None:
    ids = [str(10**18 + i) for i in range(450)]
    source = FakeSource(always(DeliveryStatus.DELIVERED))
    reports = fetch_reports(source, ids, concurrency=4)
    assert sorted(len(c) for c in source.calls) == [50, 200, 200]
    assert sorted(i for c in source.calls for i in c) == sorted(ids)
    assert [rep.msg_id for rep in reports] == ids


def test_fetch_concurrency_is_bounded() -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    class Slow(FakeSource):
        def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.02)
            with lock:
                in_flight -= 1
            return super().get_report(msg_ids)

    source = Slow(always(DeliveryStatus.DELIVERED), size=10)
    fetch_reports(source, [str(10**18 + i) for i in range(100)], concurrency=3)
    assert len(source.calls) == 10
    assert 1 < peak <= 3


def test_fetch_error_stops_queued_calls_and_is_raised() -> None:
    auth = GatewayError("authentication failed", kind=ErrorKind.AUTH)

    class SlowSource(FakeSource):
        # Calls that succeed take a while, as over a network; otherwise the second worker can
        # finish all 49 before the main thread even sees the first one's error.
        def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
            failing = bool(self.faults)
            result = super().get_report(msg_ids)
            if not failing:
                time.sleep(0.02)
            return result

    source = SlowSource(always(DeliveryStatus.DELIVERED), faults=[auth], size=1)
    with pytest.raises(GatewayError, match="authentication failed"):
        fetch_reports(source, [str(10**18 + i) for i in range(50)], concurrency=2)
    assert len(source.calls) < 50


# -------------------------------------------------------------------------- retrying


def test_backoff_schedule_with_jitter() -> None:
    clock = FakeClock()
    source = FakeSource(
        always(DeliveryStatus.DELIVERED),
        faults=[NetworkError("HTTP 500", maybe_processed=True)] * 2,
    )
    retried: list[tuple[int, float]] = []
    reports = fetch_reports(
        source,
        [ID1],
        retry=NO_RETRY_WAIT,
        sleep=clock.sleep,
        on_retry=lambda exc, attempt, pause: retried.append((attempt, pause)),
    )
    assert reports[0].status is DeliveryStatus.DELIVERED
    assert len(source.calls) == 3
    first, second = clock.sleeps
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0
    assert [a for a, _ in retried] == [1, 2]


def test_retry_after_is_honoured() -> None:
    clock = FakeClock()
    rate = GatewayError("HTTP 429", kind=ErrorKind.RATE, retry_after=7.0)
    source = FakeSource(always(DeliveryStatus.DELIVERED), faults=[rate])
    fetch_reports(source, [ID1], sleep=clock.sleep)
    assert clock.sleeps == [7.0]


def test_attempts_are_bounded() -> None:
    clock = FakeClock()
    busy = GatewayError("queries too frequent", code="-15", kind=ErrorKind.RATE)
    source = FakeSource(always(DeliveryStatus.DELIVERED), faults=[busy] * 5)
    with pytest.raises(GatewayError, match="too frequent"):
        fetch_reports(source, [ID1], sleep=clock.sleep)
    assert len(source.calls) == 3
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize(
    ("error", "again"),
    [
        (NetworkError("reset", maybe_processed=True), True),
        (NetworkError("refused", maybe_processed=False), True),
        (GatewayError("-15", kind=ErrorKind.RATE), True),
        (GatewayError("-18", kind=ErrorKind.SERVER), True),
        (GatewayError("-1", kind=ErrorKind.AUTH), False),
        (GatewayError("-14", kind=ErrorKind.INPUT), False),
        (GatewayError("-16", kind=ErrorKind.CLOCK), False),
        (InputError("bad"), False),
    ],
)
def test_what_is_retried(error: SmsCliError, again: bool) -> None:
    assert retryable(error) is again


def test_non_retryable_error_is_raised_at_once() -> None:
    calls = 0

    def fn() -> int:
        nonlocal calls
        calls += 1
        raise GatewayError("auth", kind=ErrorKind.AUTH)

    with pytest.raises(GatewayError):
        call_with_retry(fn, sleep=lambda s: None)
    assert calls == 1


# -------------------------------------------------------------------------- waiting


def test_without_wait_asks_once() -> None:
    source = FakeSource(always(DeliveryStatus.PENDING))
    outcome = check_reports(source, [ID1, ID2])
    assert len(source.calls) == 1
    assert outcome.polls == 1 and not outcome.timed_out
    assert exit_code(outcome) is ExitCode.OK


def test_wait_backs_off_while_nothing_changes_then_times_out() -> None:
    clock = FakeClock()
    source = FakeSource(always(DeliveryStatus.PENDING))
    outcome = check_reports(
        source,
        [ID1],
        wait=WaitPolicy(interval=10, timeout=300),
        clock=clock,
        sleep=clock.sleep,
    )
    assert clock.sleeps[:7] == [10, 15, 22.5, 33.75, 50.625, 60, 60]
    assert sum(clock.sleeps) == 300  # the last pause is cut to the deadline
    assert outcome.timed_out
    assert exit_code(outcome) is ExitCode.WAIT_TIMEOUT
    assert outcome.polls == len(clock.sleeps) + 1


def test_wait_resets_the_interval_when_something_changes_and_requeries_only_pending() -> None:
    clock = FakeClock()
    start = clock.now

    def state(msg_id: str) -> DeliveryStatus | None:
        elapsed = clock.now - start
        if msg_id == ID1:
            return DeliveryStatus.DELIVERED
        if msg_id == ID2:  # queued, then sending, then delivered
            if elapsed < 20:
                return None
            return DeliveryStatus.PENDING if elapsed < 60 else DeliveryStatus.DELIVERED
        return DeliveryStatus.FAILED if elapsed >= 40 else DeliveryStatus.PENDING

    source = FakeSource(state)
    seen: list[Poll] = []
    hooked: list[list[str]] = []
    outcome = check_reports(
        source,
        [ID1, ID2, ID3],
        wait=WaitPolicy(interval=10, timeout=600),
        on_poll=seen.append,
        on_reports=lambda reports: hooked.append([x.msg_id for x in reports]),
        clock=clock,
        sleep=clock.sleep,
    )
    # t=0 first poll; t=10 nothing new (15); t=25 ID2 sending (10); t=35 nothing (15);
    # t=50 ID3 failed (10); t=60 ID2 delivered: done.
    assert clock.sleeps == [10, 15, 10, 15, 10]
    assert source.calls[0] == [ID1, ID2, ID3]
    assert all(call == [ID2, ID3] for call in source.calls[1:5])
    assert source.calls[5] == [ID2]
    assert hooked == source.calls  # every poll's reports pass through the hook
    assert [p.changed for p in seen] == [True, False, True, False, True, True]
    assert seen[-1].next_delay is None
    assert [x.status for x in outcome.reports] == [
        DeliveryStatus.DELIVERED,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
    ]
    assert exit_code(outcome) is ExitCode.PARTIAL


def test_wait_treats_unknown_as_final() -> None:
    clock = FakeClock()
    source = FakeSource(always(DeliveryStatus.UNKNOWN))
    outcome = check_reports(source, [ID1], wait=WaitPolicy(), clock=clock, sleep=clock.sleep)
    assert outcome.polls == 1 and clock.sleeps == []
    assert exit_code(outcome) is ExitCode.OK


def test_wait_rides_out_a_failed_poll_but_not_the_first() -> None:
    clock = FakeClock()
    outage = NetworkError("HTTP 502", maybe_processed=True)
    flaky = FakeSource(always(DeliveryStatus.PENDING))
    seen: list[Poll] = []

    def poll(p: Poll) -> None:
        seen.append(p)
        if p.number == 1:  # the second poll fails all three of its attempts
            flaky.faults.extend([outage] * 3)

    outcome = check_reports(
        flaky,
        [ID1],
        wait=WaitPolicy(interval=10, timeout=30),
        on_poll=poll,
        clock=clock,
        sleep=clock.sleep,
    )
    assert seen[1].error is outage
    assert all(p.error is None for p in seen[2:])
    assert outcome.timed_out

    first_fails = FakeSource(always(DeliveryStatus.PENDING), faults=[outage] * 3)
    with pytest.raises(NetworkError):
        check_reports(first_fails, [ID1], wait=WaitPolicy(), clock=clock, sleep=clock.sleep)


def test_ctrl_c_during_wait_returns_what_is_known() -> None:
    clock = FakeClock()

    def sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    source = FakeSource(always(DeliveryStatus.PENDING))
    outcome = check_reports(source, [ID1], wait=WaitPolicy(), clock=clock, sleep=sleep)
    assert outcome.interrupted
    assert exit_code(outcome) is ExitCode.INTERRUPTED
    assert outcome.reports[0].status is DeliveryStatus.PENDING


@pytest.mark.parametrize(("interval", "timeout"), [(0, 10), (-1, 10), (1, -1)])
def test_wait_policy_rejects_nonsense(interval: float, timeout: float) -> None:
    with pytest.raises(UsageError):
        WaitPolicy(interval=interval, timeout=timeout)


def test_an_interval_above_the_cap_is_kept() -> None:
    policy = WaitPolicy(interval=90)
    assert policy.next_delay(90, changed=False) == 90


def test_exit_code_precedence() -> None:
    failed = (Report(ID1, DeliveryStatus.FAILED), Report(ID2, DeliveryStatus.PENDING))
    assert exit_code(ReportOutcome(failed, 1, 0.0)) is ExitCode.PARTIAL
    assert exit_code(ReportOutcome(failed, 3, 9.0, timed_out=True)) is ExitCode.WAIT_TIMEOUT


# -------------------------------------------------------------------------- balance


@pytest.mark.parametrize(
    ("balance", "threshold", "below"),
    [
        ("10.0000", 10.0, False),
        ("9.9999", 10.0, True),
        ("0.1", 0.1, False),  # as decimals; 0.1 as a float is a hair above 0.1
        (" 100 ", 50, False),
        ("-3.00", 0, True),
    ],
)
def test_balance_below(balance: str, threshold: float, below: bool) -> None:
    assert balance_below(balance, threshold) is below


@pytest.mark.parametrize("balance", ["", "abc", "NaN"])
def test_balance_that_is_not_a_number(balance: str) -> None:
    with pytest.raises(SmsCliError, match=r"not a|no balance") as caught:
        balance_below(balance, 10)
    assert caught.value.exit_code is ExitCode.NETWORK  # an answer smscli cannot use


def test_a_missing_balance_cannot_be_compared() -> None:
    with pytest.raises(SmsCliError, match="no balance") as caught:
        balance_below(None, 10)
    assert caught.value.exit_code is ExitCode.NETWORK


# -------------------------------------------------------------------------- the history


def tracked(status: DeliveryStatus | None, number: str = "4477", **kw: object) -> Tracked:
    values: dict[str, object] = {"time": None, "code": None, "detail": None, **kw}
    return Tracked(number, status, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"last": True, "job": 3}, "--last and --job cannot be combined"),
        ({"job": 3, "since": "2h"}, "--job and --since cannot be combined"),
        ({"last": True, "since": "2h"}, "--last and --since cannot be combined"),
        ({"job": 0}, "job ids start at 1"),
        ({"since": "yesterday"}, "--since: 'yesterday' is neither"),
    ],
)
def test_history_selection_refuses(options: dict[str, object], fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        history_selection(**options)  # type: ignore[arg-type]


def test_history_selection() -> None:
    assert history_selection() is None
    assert history_selection(last=True) == HistorySelection("--last", last=True)
    assert history_selection(job=12) == HistorySelection("--job 12", job=12)
    since = history_selection(since="2h")
    assert since is not None and since.option == "--since 2h"
    assert since.since is not None and since.since.tzinfo is not None


@pytest.mark.parametrize(("args", "file"), [([ID1], None), (["-"], None), ([], "sent.jsonl")])
def test_a_history_selection_takes_no_other_ids(args: list[str], file: str | None) -> None:
    selection = HistorySelection("--last", last=True)
    with pytest.raises(UsageError, match="--last takes the msgIds from the history"):
        refuse_other_ids(selection, args, file)
    refuse_other_ids(selection, [], None)


def test_still_to_ask_skips_final_states_unless_refreshed() -> None:
    known = {
        ID1: tracked(DeliveryStatus.DELIVERED),
        ID2: tracked(DeliveryStatus.PENDING),
        ID3: tracked(None),
    }
    ids = [ID1, ID2, ID3, "4"]
    assert still_to_ask(ids, known) == [ID2, ID3, "4"]
    assert still_to_ask(ids, known, refresh=True) == ids
    failed = {ID1: tracked(DeliveryStatus.FAILED)}
    assert still_to_ask([ID1], failed) == []


def test_combine_answers_final_states_from_the_history_in_input_order() -> None:
    when = datetime(2026, 11, 22, 10, tzinfo=UTC)
    known = {
        ID1: tracked(DeliveryStatus.DELIVERED, "441", time=when, code="0"),
        ID2: tracked(None, "442"),
        ID3: tracked(DeliveryStatus.FAILED, "443", detail="UNDELIV"),
    }
    asked = ReportOutcome(
        reports=(
            Report(ID2, DeliveryStatus.NOT_FOUND, detail=NOT_FOUND_DETAIL),
            Report("4", DeliveryStatus.PENDING, number="444"),
        ),
        polls=2,
        elapsed=1.5,
        timed_out=True,
    )
    outcome = combine([ID3, ID1, ID2, "4"], asked, known)
    assert [x.msg_id for x in outcome.reports] == [ID3, ID1, ID2, "4"]
    first, second, third, fourth = outcome.reports
    assert (first.status, first.number, first.detail, first.source) == (
        DeliveryStatus.FAILED,
        "443",
        "UNDELIV",
        "history",
    )
    # The history holds the gateway's reason (none here); the row words the state.
    assert (second.time, second.code, second.detail) == (when, "0", None)
    assert report_row(second)["detail"] == "delivered"
    assert second.source == "history" and fourth.source == "gateway"
    assert (third.status, third.number) == (DeliveryStatus.NOT_FOUND, "442")  # number filled in
    assert fourth == asked.reports[1]
    assert (outcome.polls, outcome.elapsed, outcome.timed_out) == (2, 1.5, True)
    everything_known = combine([ID1], None, known)
    assert everything_known.polls == 0 and exit_code(everything_known) is ExitCode.OK


def test_a_gateway_that_forgot_an_id_does_not_hide_its_final_state() -> None:
    known = {ID1: tracked(DeliveryStatus.DELIVERED)}
    asked = ReportOutcome(reports=(Report(ID1, DeliveryStatus.NOT_FOUND),), polls=1, elapsed=0.1)
    (report,) = combine([ID1], asked, known).reports
    assert report.status is DeliveryStatus.DELIVERED
    assert (report_row(report)["detail"], report.source) == ("delivered", "history")


def test_history_report() -> None:
    assert history_report(ID1, None) == Report(
        ID1, DeliveryStatus.NOT_FOUND, detail=NOT_IN_HISTORY_DETAIL, source="history"
    )
    assert history_report(ID1, tracked(None)) == Report(
        ID1,
        DeliveryStatus.PENDING,
        number="4477",
        detail="no delivery report yet",
        source="history",
    )
    known = history_report(ID1, tracked(DeliveryStatus.FAILED, detail="UNDELIV"))
    assert (known.detail, known.source) == ("UNDELIV", "history")


# -------------------------------------------------------------------------- queue providers


class FakeQueue:
    """A report queue handing out each report once, at most `cap` per pull; `log` records
    pulls and saves in the order they happened."""

    report_mode = "queue"

    def __init__(self, reports: Sequence[Report] = (), *, cap: int = 50) -> None:
        self.waiting = list(reports)
        self.cap = cap
        self.log: list[str] = []
        self.faults: list[SmsCliError] = []

    def pull_reports(self) -> ReportResult:
        self.log.append("pull")
        if self.faults:
            raise self.faults.pop(0)
        batch, self.waiting = self.waiting[: self.cap], self.waiting[self.cap :]
        return ReportResult(tuple(batch))


class FakeHistory:
    def __init__(self, queue: FakeQueue) -> None:
        self.queue = queue
        self.saved: dict[str, Report] = {}
        self.known: dict[str, Tracked] = {}

    def save(self, reports: Sequence[Report]) -> None:
        self.queue.log.append(f"save {len(reports)}")
        for report in reports:
            self.saved[report.msg_id] = report

    def lookup(self, ids: Sequence[str]) -> dict[str, Tracked]:
        out = {i: self.known[i] for i in ids if i in self.known}
        for i in ids:
            if i in self.saved:
                x = self.saved[i]
                out[i] = Tracked(x.number or "4477", x.status, x.time, x.code, x.detail)
        return out


def delivered(count: int, start: int = 0) -> list[Report]:
    return [Report(str(start + i), DeliveryStatus.DELIVERED, code="12") for i in range(count)]


def test_drain_saves_each_batch_before_the_next_pull_until_one_is_empty() -> None:
    queue = FakeQueue(delivered(120))
    history = FakeHistory(queue)
    drained = drain_queue(queue, history.save)
    assert queue.log == ["pull", "save 50", "pull", "save 50", "pull", "save 20", "pull"]
    assert drained == Drained(calls=4, reports=120)
    assert len(history.saved) == 120
    again = drain_queue(queue, history.save)
    assert again == Drained(calls=1, reports=0)


def test_drain_is_bounded() -> None:
    queue = FakeQueue(delivered(500), cap=50)
    history = FakeHistory(queue)
    drained = drain_queue(queue, history.save, max_calls=3)
    assert drained == Drained(calls=3, reports=150, limit_reached=True)
    assert len(queue.waiting) == 350


def test_drain_retries_a_failed_pull_and_keeps_what_was_saved() -> None:
    queue = FakeQueue(delivered(60))
    queue.faults = [NetworkError("HTTP 502", maybe_processed=True)]
    history = FakeHistory(queue)
    assert drain_queue(queue, history.save, sleep=lambda s: None).reports == 60
    assert queue.log[:2] == ["pull", "pull"]

    queue = FakeQueue(delivered(60))
    history = FakeHistory(queue)
    outage = NetworkError("HTTP 502", maybe_processed=True)

    def save_then_fail(reports: Sequence[Report]) -> None:
        history.save(reports)
        queue.faults = [outage] * 3

    with pytest.raises(NetworkError):
        drain_queue(queue, save_then_fail, sleep=lambda s: None)
    assert len(history.saved) == 50  # the first batch was saved before the failing pulls


def test_reports_that_cannot_be_saved_are_handed_back() -> None:
    queue = FakeQueue(delivered(3))

    def broken(reports: Sequence[Report]) -> None:
        raise StoreError("the history database stayed locked for 30 s")

    with pytest.raises(ReportsNotSaved) as caught:
        drain_queue(queue, broken)
    assert [x.msg_id for x in caught.value.reports] == ["0", "1", "2"]
    assert caught.value.exit_code is ExitCode.USAGE
    assert "3 delivery reports pulled from the gateway could not be saved" in str(caught.value)
    assert queue.log == ["pull"]  # nothing more pulled after a failed save


def test_ctrl_c_while_saving_saves_the_batch_before_stopping() -> None:
    queue = FakeQueue(delivered(3))
    history = FakeHistory(queue)
    interrupts = [KeyboardInterrupt()]

    def save(reports: Sequence[Report]) -> None:
        if interrupts:
            raise interrupts.pop()
        history.save(reports)

    with pytest.raises(KeyboardInterrupt):
        drain_queue(queue, save)
    assert len(history.saved) == 3


def test_check_queue_answers_from_the_history() -> None:
    queue = FakeQueue([Report("1", DeliveryStatus.FAILED, code="13", detail="UNDELIV")])
    history = FakeHistory(queue)
    history.known = {"1": tracked(None, "441"), "2": tracked(None, "442")}
    drains: list[Drained] = []
    outcome = check_queue(
        queue, ["2", "1", "3"], save=history.save, lookup=history.lookup, on_drain=drains.append
    )
    assert [(x.msg_id, x.status) for x in outcome.reports] == [
        ("2", DeliveryStatus.PENDING),
        ("1", DeliveryStatus.FAILED),
        ("3", DeliveryStatus.NOT_FOUND),
    ]
    assert outcome.reports[1].detail == "UNDELIV"  # not marked: queue answers always come so
    assert drains == [Drained(calls=2, reports=1)]
    assert exit_code(outcome) is ExitCode.PARTIAL


def test_check_queue_waits_until_the_reports_arrive() -> None:
    clock = FakeClock()
    queue = FakeQueue()
    history = FakeHistory(queue)
    history.known = {"1": tracked(None), "2": tracked(None)}
    outage = NetworkError("HTTP 502", maybe_processed=True)

    seen: list[Poll] = []

    def arrive(poll: Poll) -> None:
        seen.append(poll)
        if poll.number == 1:
            queue.waiting = delivered(1, start=1)
        if poll.number == 2:
            queue.faults = [outage] * 3  # ridden out: the answer comes from the history
        if poll.number == 3:
            queue.waiting = delivered(1, start=2)

    outcome = check_queue(
        queue,
        ["1", "2"],
        save=history.save,
        lookup=history.lookup,
        wait=WaitPolicy(interval=10, timeout=600),
        on_poll=arrive,
        clock=clock,
        sleep=clock.sleep,
    )
    assert [p.counts.delivered for p in seen] == [0, 1, 1, 2]
    assert seen[2].error is outage
    assert outcome.polls == 4 and not outcome.timed_out
    assert exit_code(outcome) is ExitCode.OK


def test_check_queue_times_out_and_raises_a_first_failure() -> None:
    clock = FakeClock()
    queue = FakeQueue()
    history = FakeHistory(queue)
    history.known = {"1": tracked(None)}
    outcome = check_queue(
        queue,
        ["1"],
        save=history.save,
        lookup=history.lookup,
        wait=WaitPolicy(interval=10, timeout=30),
        clock=clock,
        sleep=clock.sleep,
    )
    assert outcome.timed_out and exit_code(outcome) is ExitCode.WAIT_TIMEOUT
    queue.faults = [GatewayError("bad login", code="-2", kind=ErrorKind.AUTH)]
    with pytest.raises(GatewayError):
        check_queue(queue, ["1"], save=history.save, lookup=history.lookup)


def test_as_queue() -> None:
    assert as_queue(FakeQueue()) is not None
    assert as_queue(FakeSource(always(None))) is None

    class Query(FakeQueue):
        report_mode = "query"

    assert as_queue(Query()) is None


@pytest.mark.parametrize("concurrency", [1, 4])
def test_each_calls_reports_reach_the_hook_as_that_call_is_answered(concurrency: int) -> None:
    """The history records a call's reports while the other calls are still in flight: the
    hook gets them per call (ids the gateway left out as not found), once, all of them."""
    ids = [f"2304252117461165{i:03d}" for i in range(10)]

    def state(msg_id: str) -> DeliveryStatus | None:
        return None if msg_id.endswith("7") else DeliveryStatus.DELIVERED

    source = FakeSource(state, size=3)
    hooked: list[list[tuple[str, DeliveryStatus]]] = []
    outcome = check_reports(
        source,
        ids,
        concurrency=concurrency,
        on_reports=lambda reports: hooked.append([(x.msg_id, x.status) for x in reports]),
    )
    assert len(hooked) == len(source.calls) == 4
    every = [pair for part in hooked for pair in part]
    assert sorted(every) == sorted((x.msg_id, x.status) for x in outcome.reports)
    assert sorted(len(part) for part in hooked) == [1, 3, 3, 3]
    assert (ids[7], DeliveryStatus.NOT_FOUND) in every


class RepeatingQueue(FakeQueue):
    """A queue that hands the same reports out on every pull (issue 10)."""

    def pull_reports(self) -> ReportResult:
        self.log.append("pull")
        return ReportResult(tuple(self.waiting[: self.cap]))


def test_a_queue_that_repeats_itself_is_not_drained_forever() -> None:
    queue = RepeatingQueue(delivered(2))
    history = FakeHistory(queue)
    pauses: list[float] = []
    drained = drain_queue(queue, history.save, known=history.lookup, sleep=pauses.append,
                            pace=1.0)
    assert drained == Drained(calls=2, reports=2, repeated=2)
    assert pauses == [1.0]  # one second between the two pulls


def test_every_wait_poll_of_a_repeating_queue_makes_one_pull_and_counts_nothing_new() -> None:
    clock = FakeClock()
    queue = RepeatingQueue(delivered(1, start=1))
    history = FakeHistory(queue)
    history.known = {"9": tracked(None)}
    drains: list[Drained] = []
    check_queue(
        queue,
        ["9"],
        save=history.save,
        lookup=history.lookup,
        wait=WaitPolicy(interval=10, timeout=30),
        on_drain=drains.append,
        clock=clock,
        sleep=clock.sleep,
        pace=0.0,
    )
    assert [d.calls for d in drains][:2] == [2, 1]
    assert sum(d.reports for d in drains) == 1  # the one report, counted once


def test_the_pull_budget_covers_the_whole_run() -> None:
    clock = FakeClock()
    queue = FakeQueue(delivered(500, start=100))
    history = FakeHistory(queue)
    history.known = {"9": tracked(None)}
    drains: list[Drained] = []
    check_queue(
        queue,
        ["9"],
        save=history.save,
        lookup=history.lookup,
        wait=WaitPolicy(interval=10, timeout=30),
        max_pulls=4,
        on_drain=drains.append,
        clock=clock,
        sleep=clock.sleep,
        pace=0.0,
    )
    assert sum(d.calls for d in drains) == 4 and queue.log.count("pull") == 4
    assert drains[0].limit_reached
