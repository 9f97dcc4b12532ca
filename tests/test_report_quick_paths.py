"""The quick paths of a 100,000-id `report` (issue 13) give exactly what the general ones
give: getReport's URL as httpx builds it, receiveTime read once per distinct value, plain id
lists read without an object per id, report rows filled from templates."""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from smscli.cli.report_show import REPORT_COLUMNS, RowLines, write_report_rows
from smscli.errors import InputError
from smscli.gateways import http
from smscli.gateways.base import DeliveryStatus, Report, ReportResult
from smscli.gateways.v3 import V3Client
from smscli.gateways.v3_answers import parse_receive_time
from smscli.history.records import Tracked
from smscli.msgids import check_ids, collect_ids, parse_ids
from smscli.output import OutputFormat, write_rows
from smscli.reporting.outcome import NOT_FOUND_DETAIL, Poll, ReportOutcome, report_rows, tally
from smscli.reporting.poll import (
    PICK_BATCH,
    WaitPolicy,
    check_reports,
    chunk_ids,
    fetch_reports,
    merge_reports,
)
from smscli.reporting.verdicts import combine, judge_answers, not_found_verdict

BASE = "https://gw.test/v3/getReport"
IDS = [str(2304252117461165117 + i) for i in range(200)]


def test_the_quick_query_url_is_the_one_httpx_builds() -> None:
    for params in (
        {"appId": "4luaKsL2", "msgIds": ",".join(IDS)},
        {"appId": "a", "msgIds": IDS[0]},
        {"x": "", "y": "a.b~c_d-e"},
    ):
        quick = http.query_url(BASE, params)
        assert quick is not None
        slow = httpx.URL(BASE, params=params)
        assert quick == slow and quick.raw_path == slow.raw_path
        assert str(quick) == str(slow)


@pytest.mark.parametrize("value", ["a b", "é", "a&b", "a=b", "1+2", "x/y", "%41"])
def test_a_query_that_needs_quoting_is_left_to_httpx(value: str) -> None:
    assert http.query_url(BASE, {"appId": "a", "msgIds": value}) is None


def test_the_quick_form_turns_itself_off_when_it_does_not_match_httpx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "https://other.test/v3/getReport"
    monkeypatch.setattr(http, "_QUICK_BASES", {})
    monkeypatch.setattr(http, "_with_query", lambda base, query: httpx.URL(f"{url}?wrong"))
    assert http.query_url(url, {"a": "1"}) is None
    assert {url: None} == http._QUICK_BASES
    assert http.query_url(url, {"a": "1"}) is None  # and stays off for that URL


def test_get_report_sends_the_url_httpx_would_and_reads_each_time_alike() -> None:
    seen: list[httpx.Request] = []
    times: list[object] = [
        "2026-12-01T10:00:00+08:00",
        "2026-12-01T10:00:00+08:00",
        "2026-12-01 10:00:01",
        1764554400000,
        "1764554400",
        None,
        "",
        ["not", "a", "time"],
        {"nor": "this"},
        True,
        1,
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        array = [
            {"msgId": IDS[i], "number": "447700900123", "status": -1, "receiveTime": when}
            for i, when in enumerate(times)
        ]
        return httpx.Response(200, json={"status": "0", "array": array, "nofound": 0})

    gateway = V3Client(
        api_key="bDqJFiq9",
        api_secret="7bz1lzh9",
        app_id="4luaKsL2",
        base_url="https://gw.test/v3/",
        transport=httpx.MockTransport(handler),
    )
    try:
        result = gateway.get_report(IDS)
    finally:
        gateway.close()
    expected = httpx.URL(BASE, params={"appId": "4luaKsL2", "msgIds": ",".join(IDS)})
    assert seen[0].url.raw_path == expected.raw_path
    assert http._QUICK_BASES[BASE] is not None  # the quick form was used
    assert [r.time for r in result.reports] == [parse_receive_time(t) for t in times]
    assert result.reports[0].time == datetime(2026, 12, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        f"{IDS[0]}\n{IDS[1]}\n{IDS[0]}\n",
        f"\ufeff{IDS[0]}\r\n\r\n  {IDS[1]}  \r\n{IDS[2]}",
        f"{IDS[0]}\r{IDS[1]}\n\n\n",
        "\u2003" + IDS[0] + "\u2003\n",
    ],
)
def test_a_plain_list_reads_as_parse_ids_reads_it(text: str) -> None:
    quick = collect_ids([IDS[5], "-"], stdin=io.StringIO(text), stdin_is_tty=False)
    slow = check_ids(
        [*parse_ids(IDS[5], "argument").ids, *parse_ids(text, "stdin").ids],
    )
    assert quick == slow


@pytest.mark.parametrize(
    "text", [f"{IDS[0]}\nabc\n12 34\n", "\n\n", f"{IDS[0]}\n٣٤\n", f"{IDS[0]}\n+4477\n"]
)
def test_a_plain_list_with_a_bad_id_says_where_as_before(text: str) -> None:
    with pytest.raises(InputError) as quick:
        collect_ids([], stdin=io.StringIO(text), stdin_is_tty=False)
    with pytest.raises(InputError) as slow:
        check_ids(parse_ids(text, "stdin").ids)
    assert (quick.value.message, quick.value.hint) == (slow.value.message, slow.value.hint)


SOME_TIME = datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
REPORTS = [
    Report(IDS[0], DeliveryStatus.DELIVERED, number="447700900123", time=SOME_TIME, code="0"),
    Report(IDS[1], DeliveryStatus.DELIVERED, number="+447700900124", time=SOME_TIME, code="0"),
    Report(IDS[2], DeliveryStatus.PENDING, number=None, code="-1"),
    Report(IDS[3], DeliveryStatus.NOT_FOUND, detail="not found yet (still queued, or unknown)"),
    Report(IDS[4], DeliveryStatus.FAILED, number="447700900125", code="13", detail='UND "x", é'),
    Report(IDS[5], DeliveryStatus.UNKNOWN, number="447700900126", detail="unknown status '7'"),
    Report(IDS[6], DeliveryStatus.DELIVERED, number="447700900127", time=SOME_TIME, code="0"),
    Report(IDS[7], DeliveryStatus.PENDING, number="447700900128", source="history"),
]
ODD_NUMBERS = ["4477,00", '44"77', "44 77", "٤٤٧٧", "", "+", "44\n77"]


def rows_text(fmt: OutputFormat, reports: list[Report], quick: bool) -> str:
    out = io.StringIO()
    saved = sys.stdout
    sys.stdout = out
    try:
        if quick:
            write_report_rows(reports, fmt, wide=False)
        else:
            write_rows(report_rows(reports), REPORT_COLUMNS, fmt, wide=False)
    finally:
        sys.stdout = saved
    return out.getvalue()


@pytest.mark.parametrize(
    "fmt", [OutputFormat.JSONL, OutputFormat.CSV, OutputFormat.TSV, OutputFormat.JSON]
)
def test_filled_rows_are_the_rows_written_whole(fmt: OutputFormat) -> None:
    assert rows_text(fmt, REPORTS, True) == rows_text(fmt, REPORTS, False)
    assert rows_text(fmt, [], True) == rows_text(fmt, [], False)
    for odd in ODD_NUMBERS:
        reports = [*REPORTS, Report(IDS[9], DeliveryStatus.PENDING, number=odd)]
        assert rows_text(fmt, reports, True) == rows_text(fmt, reports, False), odd


class OddSource:
    """Answers the first call with a report for an id of the second call too."""

    max_ids_per_report = 2

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
        if msg_ids[0] == IDS[0]:
            return ReportResult(
                reports=(
                    Report(IDS[0], DeliveryStatus.PENDING, code="-1"),
                    Report(IDS[2], DeliveryStatus.DELIVERED, code="0"),
                )
            )
        return ReportResult(reports=(Report(IDS[3], DeliveryStatus.FAILED, code="1"),))


@pytest.mark.parametrize("concurrency", [1, 4])
def test_an_id_answered_in_another_calls_answer_counts_as_it_always_did(
    concurrency: int,
) -> None:
    ids = IDS[:4]
    parts: list[list[str]] = []
    got = fetch_reports(
        OddSource(),
        ids,
        concurrency=concurrency,
        on_part=lambda part: parts.append([r.msg_id for r in part]),
        classify=lambda part, _: part,
    )
    source = OddSource()
    expected = merge_reports(ids, [source.get_report(ids[:2]), source.get_report(ids[2:])])
    assert got == expected
    assert [r.status for r in got] == [
        DeliveryStatus.PENDING,
        DeliveryStatus.NOT_FOUND,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.FAILED,
    ]
    assert sorted(parts) == [ids[:2], ids[2:]]  # the history still gets each call's own


def test_judged_answers_are_what_combine_and_not_found_verdict_make() -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    old = now - timedelta(days=30)
    tracked = {
        IDS[0]: Tracked("447700900123", DeliveryStatus.PENDING, None, None, None),
        IDS[1]: Tracked("447700900124", None, None, None, None),
        IDS[2]: Tracked("447700900125", DeliveryStatus.DELIVERED, old, "0", None),
    }
    asked: list[list[str]] = []

    def sent_times(ids: Sequence[str]) -> dict[str, datetime]:
        asked.append(list(ids))
        return {IDS[1]: old}

    answers = [
        Report(IDS[0], DeliveryStatus.PENDING, number="0044 7700 900123", code="-1"),
        Report(IDS[1], DeliveryStatus.NOT_FOUND, detail=NOT_FOUND_DETAIL),
        Report(IDS[2], DeliveryStatus.NOT_FOUND, detail=NOT_FOUND_DETAIL),
        Report(IDS[3], DeliveryStatus.NOT_FOUND, detail=NOT_FOUND_DETAIL),
    ]
    judged = judge_answers(answers, tracked, now, sent_times)
    assert asked == [[IDS[1], IDS[2], IDS[3]]]
    sent = sent_times([])
    one_by_one = [
        not_found_verdict(r, tracked.get(r.msg_id), now, sent.get(r.msg_id)) for r in answers
    ]
    outcome = ReportOutcome(tuple(one_by_one), polls=1, elapsed=0.0)
    assert combine(IDS[:4], ReportOutcome(tuple(judged), 1, 0.0), tracked) == combine(
        IDS[:4], outcome, tracked
    )
    assert judged[0].number == "447700900123"
    assert judged[1].status is DeliveryStatus.UNKNOWN  # sent a month ago, unknown to the gateway
    asked.clear()
    assert judge_answers(answers[:1], tracked, now, sent_times)[0].number == "447700900123"
    assert asked == []  # every id listed: no send time read


class CountingSource:
    """Every id pending; remembers each call's ids (calls come from several threads)."""

    max_ids_per_report = 200

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.lock = threading.Lock()

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
        with self.lock:
            self.calls.append(list(msg_ids))
        return ReportResult(reports=tuple(Report(i, DeliveryStatus.PENDING) for i in msg_ids))


@pytest.mark.parametrize("concurrency", [1, 4])
def test_picked_ids_make_the_calls_chunk_ids_would_make(concurrency: int) -> None:
    ids = [str(2304252117461165117 + i) for i in range(2 * PICK_BATCH + 345)]
    batches: list[int] = []

    def pick(batch: list[str]) -> list[str]:
        batches.append(len(batch))
        return [i for i in batch if int(i) % 7]  # "the history knows every 7th as final"

    source = CountingSource()
    got = fetch_reports(source, ids, concurrency=concurrency, pick=pick)
    picked = [i for i in ids if int(i) % 7]
    assert [r.msg_id for r in got] == picked
    assert sorted(source.calls) == sorted(chunk_ids(picked, 200))
    assert batches == [PICK_BATCH, PICK_BATCH, 345]


def test_calls_are_picked_and_made_only_so_far_ahead_of_the_answers() -> None:
    ids = [str(2304252117461165117 + i) for i in range(5 * PICK_BATCH)]  # 25 calls
    answered = [0]
    picked_at: list[int] = []  # answers taken when each batch was picked
    ahead: list[int] = []  # calls made and not answered, at each answer

    class Source(CountingSource):
        def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
            with self.lock:
                ahead.append(len(self.calls) + 1 - answered[0])
            return super().get_report(msg_ids)

    def pick(batch: list[str]) -> list[str]:
        picked_at.append(answered[0])
        return batch

    def on_part(part: Sequence[Report]) -> None:
        answered[0] += 1

    got = fetch_reports(Source(), ids, concurrency=2, pick=pick, on_part=on_part)
    assert [r.msg_id for r in got] == ids
    assert picked_at[0] == 0 and picked_at[-1] > 0  # not every id picked up front
    assert picked_at == sorted(picked_at)
    assert max(ahead) <= 2 * 2 + 1  # the pool's threads, twice, and the one just made


def test_nothing_picked_asks_nothing_and_polls_none() -> None:
    source = CountingSource()
    outcome = check_reports(source, IDS, pick=lambda batch: [], wait=WaitPolicy())
    assert source.calls == []
    assert outcome == ReportOutcome(reports=(), polls=0, elapsed=0.0)


def test_picked_ids_are_polled_on_as_given_ones_are() -> None:
    source = CountingSource()
    outcome = check_reports(source, IDS, pick=lambda batch: batch[::2], concurrency=3)
    assert [r.msg_id for r in outcome.reports] == IDS[::2]
    assert outcome.polls == 1


@pytest.mark.parametrize("fmt", [OutputFormat.JSONL, OutputFormat.CSV, OutputFormat.TABLE])
def test_rows_are_planned_only_where_every_value_can_go_into_a_template(
    fmt: OutputFormat,
) -> None:
    lines = RowLines(fmt)
    plan = lines.plan(REPORTS)
    if fmt is OutputFormat.TABLE:
        assert plan is None  # written whole
        return
    assert plan is not None
    whole = rows_text(fmt, REPORTS, False)  # CSV's header first, then the rows
    filled = "".join(lines.fill(REPORTS, plan, 0, len(REPORTS)))
    assert whole.endswith(filled)
    assert whole.count("\n") - filled.count("\n") == (fmt is OutputFormat.CSV)
    assert lines.plan([]) == []
    # One value that is not plain digits (or holds the joint of the quick check): whole.
    for odd in [*ODD_NUMBERS, "447700900123\n447700900124"]:
        assert lines.plan([*REPORTS, Report(IDS[9], DeliveryStatus.PENDING, number=odd)]) is None
    assert lines.plan([Report("", DeliveryStatus.PENDING)]) is None
    assert lines.plan([Report(f"{IDS[0]}\n{IDS[1]}", DeliveryStatus.PENDING)]) is None


def test_the_garbage_collector_is_paused_for_a_run_and_collects_between_polls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from smscli.cli.report_run import polled
    from smscli.collector import paused as gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
    with pytest.raises(KeyError), gc_paused():
        raise KeyError("x")
    assert gc.isenabled()

    collected: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda: collected.append(1) or 0)
    shown: list[Poll] = []
    view = type("View", (), {"update": lambda self, poll: shown.append(poll)})()
    update = polled(view)  # type: ignore[arg-type]
    counts = tally([])
    update(Poll(1, 0.0, counts, True, 10.0))
    update(Poll(2, 10.0, counts, False, None))
    assert len(shown) == 2 and collected == [1]  # before a pause only, not after the last poll


def test_many_rows_are_written_in_blocks_as_one_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from smscli.cli import report_show

    monkeypatch.setattr(report_show, "_ROWS_PER_WRITE", 3)
    many = [
        Report(str(2304252117461165117 + i), DeliveryStatus.PENDING, number=f"44770090{i:04d}")
        for i in range(10)
    ]
    assert rows_text(OutputFormat.CSV, many, True) == rows_text(OutputFormat.CSV, many, False)
