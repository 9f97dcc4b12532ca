"""`smscli report` with the local history (v3 / query providers): --last, --job and --since take
the msgIds from it, every answer is written back, and messages it already knows as delivered or
failed are not asked about again. Against the fake gateway over loopback HTTP."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smscli import reads
from smscli.cli import app
from smscli.history.db import StoreError
from smscli.history.store import Store
from smscli.retry import RetryPolicy
from tests.fakes import FakeGateway, write_profile

runner = CliRunner()

StartGateway = Callable[..., FakeGateway]
OTHER = '\n[profiles.other]\nprovider = "laaffic"\napi_key = "bDqJFiq9"\n' + (
    'api_secret = "7bz1lzh9"\napp_id = "4luaKsL2"\nbase_url = "{url}"\n'
)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "QUERY_RETRY", RetryPolicy(3, base_delay=0.01, max_delay=0.05))


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[StartGateway]:
    started: list[FakeGateway] = []

    def start(delivery_delay: float = 0.0, extra: str = "") -> FakeGateway:
        gw = FakeGateway(
            tmp_path / f"gateway{len(started)}", balance="100000", delivery_delay=delivery_delay
        )
        started.append(gw)
        url = f"{gw.start()}/v3"
        write_profile(config(), url, extra=extra.format(url=url))
        return gw

    yield start
    for gw in started:
        gw.stop()


@pytest.fixture
def gateway(start_gateway: StartGateway) -> FakeGateway:
    return start_gateway(extra=OTHER)


def config() -> Path:
    return Path(os.environ["SMSCLI_CONFIG"])


def invoke(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def send(*numbers: str, profile: str = "main") -> list[str]:
    """The msgIds of a send recorded as a job (rejected numbers have none)."""
    result = invoke("send", *numbers, "-m", "hi", "-y", "-p", profile, "-o", "jsonl")
    assert result.exit_code in (0, 3), result.stderr
    return [row["msg_id"] for row in rows_of(result) if row["msg_id"]]


def report_calls(gw: FakeGateway) -> list[list[str]]:
    return [
        r.query["msgIds"].split(",")  # type: ignore[attr-defined]
        for r in gw.received
        if r.path.endswith("getReport")  # type: ignore[attr-defined]
    ]


def rows_of(result: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def report(*args: str, code: int | None = 0) -> Any:
    result = invoke("report", *args, "-o", "jsonl")
    if code is not None:
        assert result.exit_code == code, result.stderr
    return result


def states(result: Any) -> list[tuple[str | None, str]]:
    return [(row["number"], row["status"]) for row in rows_of(result)]


def delivery(number: str) -> list[tuple[Any, ...]]:
    result = invoke("history", "--number", number, "-o", "json")
    assert result.exit_code == 0, result.stderr
    return [(h["job"], h["status"], h["code"], h["detail"]) for h in json.loads(result.stdout)]


# -------------------------------------------------------------------------- --last


def test_last_shows_every_number_then_answers_final_ones_from_the_history(
    gateway: FakeGateway,
) -> None:
    # 0999 fails, 0998 stays sending, 0997 is rejected (no msgId: nothing to report).
    ids = send("447700900123", "447700900999", "447700900998", "447700900997")
    first = report("--last", code=3)
    assert states(first) == [
        ("447700900123", "delivered"),
        ("447700900999", "failed"),
        ("447700900998", "pending"),
    ]
    assert [row["msg_id"] for row in rows_of(first)] == ids
    assert "job 1: 3 msgIds from the history" in first.stderr
    assert report_calls(gateway) == [ids]

    second = report("--last", code=3)
    assert states(second) == states(first)
    assert report_calls(gateway)[1:] == [ids[2:]]  # only the one still pending was asked
    details = [(row["detail"], row["source"]) for row in rows_of(second)]
    assert details[:2] == [
        ("delivered", "history"), ("failed at the carrier (gateway status 1)", "history")
    ]
    assert rows_of(first)[0]["source"] == "gateway"
    # The same message gives the same row whichever way the answer came: the gateway's time
    # (in its own zone) and the history's are the same instant, written the same way (UTC).
    for fresh, kept in zip(rows_of(first)[:2], rows_of(second)[:2], strict=True):
        assert {**fresh, "source": "history"} == kept
        assert kept["time"].endswith("+00:00")
    assert rows_of(second)[0]["code"] == "0" and rows_of(second)[0]["time"]
    assert "2 messages already delivered or failed: answered from the history" in second.stderr
    assert "1 delivered, 1 failed, 1 pending, 0 not found" in second.stderr


def test_given_msg_ids_answer_final_ones_from_the_history_too(gateway: FakeGateway) -> None:
    # Ids given on the command line are looked up batch by batch while the calls go out
    # (issue 13); what is asked and shown is what a lookup beforehand gave.
    ids = send("447700900123", "447700900999", "447700900998", "447700900997")
    first = report(*ids, code=3)
    second = report(ids[2], ids[0], ids[1], code=3)
    assert report_calls(gateway) == [ids, ids[2:]]
    assert states(second) == [
        ("447700900998", "pending"),
        ("447700900123", "delivered"),
        ("447700900999", "failed"),
    ]
    assert [row["source"] for row in rows_of(second)] == ["gateway", "history", "history"]
    assert rows_of(second)[1] == {**rows_of(first)[0], "source": "history"}
    assert "2 messages already delivered or failed: answered from the history" in second.stderr
    everything_known = report(ids[0], ids[1], code=3)
    assert len(report_calls(gateway)) == 2  # nothing to ask
    assert "2 messages already delivered or failed" in everything_known.stderr


def test_history_number_shows_the_state_report_wrote_back(gateway: FakeGateway) -> None:
    send("447700900123", "447700900999")
    assert delivery("447700900999") == [(1, None, None, None)]
    report("--last", code=3)
    # history --number words the state as report does (it used to leave detail empty).
    assert delivery("447700900123") == [(1, "delivered", "0", "delivered")]
    assert delivery("447700900999") == [
        (1, "failed", "1", "failed at the carrier (gateway status 1)")
    ]
    (job,) = json.loads(invoke("history", "-o", "json").stdout)
    assert (job["delivered"], job["failed"], job["pending"]) == (1, 1, 0)


def test_last_with_wait_writes_every_poll_back(start_gateway: StartGateway) -> None:
    gw = start_gateway(delivery_delay=1.0)
    ids = send("447700900123", "447700900124")
    result = report("--last", "--wait", "--interval", "0.05", "--timeout", "10")
    assert states(result) == [("447700900123", "delivered"), ("447700900124", "delivered")]
    assert len(report_calls(gw)) >= 2
    assert delivery("447700900124")[0][1] == "delivered"
    report("--last")
    assert report_calls(gw)[-1] == ids  # nothing new: the last call was the wait's


def test_last_is_the_newest_job_of_the_profile(gateway: FakeGateway) -> None:
    send("447700900123")
    send("447700900124", profile="other")
    send("447700900125")
    assert states(report("--last")) == [("447700900125", "delivered")]
    assert states(report("--last", "-p", "other")) == [("447700900124", "delivered")]


def test_last_without_a_job_exits_2_with_a_hint(gateway: FakeGateway) -> None:
    send("447700900123", profile="other")
    result = invoke("report", "--last", "-p", "main")
    assert result.exit_code == 2
    assert "no job of profile main in the history" in result.stderr
    assert "`smscli history` lists the jobs" in result.stderr
    assert result.stdout == "" and report_calls(gateway) == []


def test_last_with_no_profile_named_is_the_newest_job_of_any_profile(
    gateway: FakeGateway,
) -> None:
    send("447700900123", profile="other")
    result = invoke("report", "--last", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert [row["number"] for row in json.loads(result.stdout)] == ["447700900123"]
    assert len(report_calls(gateway)) == 1


def test_a_job_with_no_accepted_number_exits_2(gateway: FakeGateway) -> None:
    rejected = invoke("send", "447700900997", "-m", "hi")
    assert rejected.exit_code == 1 and "recorded as job 1" in rejected.stderr
    result = invoke("report", "--last")
    assert result.exit_code == 2
    assert "job 1 has no msgIds" in result.stderr and "smscli history show 1" in result.stderr


# -------------------------------------------------------------------------- --job, --since


def test_job_uses_its_own_profile_unless_p_says_otherwise(gateway: FakeGateway) -> None:
    send("447700900123")
    send("447700900124", profile="other")
    result = report("--job", "2")
    assert states(result) == [("447700900124", "delivered")]
    assert "warning" not in result.stderr
    forced = report("--job", "2", "-p", "main")
    assert "job 2 was sent with profile other; asking with profile main" in forced.stderr
    missing = invoke("report", "--job", "9")
    assert missing.exit_code == 2 and "no job 9 in the history" in missing.stderr


def test_since_takes_every_job_of_the_profile_in_the_window(gateway: FakeGateway) -> None:
    send("447700900123", "447700900124")
    send("447700900125", profile="other")
    send("447700900126")
    assert [n for n, _ in states(report("--since", "1h"))] == [
        "447700900123",
        "447700900124",
        "447700900126",
    ]
    assert states(report("--since", "2000-01-01", "-p", "other")) == [("447700900125", "delivered")]
    calls = len(report_calls(gateway))
    empty = report("--since", "2999-01-01")
    assert empty.stdout == ""
    assert "no message of profile main in the history (--since 2999-01-01)" in empty.stderr
    assert len(report_calls(gateway)) == calls  # nothing to ask about


# -------------------------------------------------------------------------- conflicts


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--last", "--job", "1"], "--last and --job cannot be combined"),
        (["--job", "1", "--since", "2h"], "--job and --since cannot be combined"),
        (["--last", "--since", "2h"], "--last and --since cannot be combined"),
        (["--last", "2401011200001000001"], "--last takes the msgIds from the history"),
        (["--since", "2h", "-"], "--since 2h takes the msgIds from the history"),
        (["--job", "1", "-f", "sent.jsonl"], "give no -f/--file with it"),
        (["--last", "--no-history"], "--last reads the local history: drop --no-history"),
        (["--since", "soon"], "--since: 'soon' is neither a duration"),
        (["--job", "0"], "--job 0: job ids start at 1"),
        (["--last", "--timeout", "3"], "only apply with --wait"),
    ],
)
def test_conflicts_exit_2_and_ask_nothing(
    gateway: FakeGateway, args: list[str], fragment: str
) -> None:
    send("447700900123")
    result = invoke("report", *args)
    assert result.exit_code == 2, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert report_calls(gateway) == []


def test_piped_stdin_is_not_read_with_last(gateway: FakeGateway) -> None:
    send("447700900123")
    result = invoke("report", "--last", "-o", "jsonl", input="not-an-id\n")
    assert result.exit_code == 0, result.stderr
    assert states(result) == [("447700900123", "delivered")]


# -------------------------------------------------------------------------- msgIds given


def test_given_ids_known_as_final_are_not_asked_again_unless_refresh(gateway: FakeGateway) -> None:
    ids = send("447700900123", "447700900998")
    report(*ids)
    assert report_calls(gateway) == [ids]
    again = report(*ids)
    assert report_calls(gateway)[1:] == [ids[1:]]
    assert (rows_of(again)[0]["detail"], rows_of(again)[0]["source"]) == ("delivered", "history")
    refreshed = report(*ids, "--refresh")
    assert report_calls(gateway)[2:] == [ids]
    assert rows_of(refreshed)[0]["detail"] == "delivered"


def test_unknown_given_ids_are_asked_and_not_kept(gateway: FakeGateway) -> None:
    result = report("1234567890123456789")
    assert states(result) == [(None, "unknown")]  # nobody knows it (issue 10)
    with Store.open() as store:
        assert store.orphan_reports() == {}  # a "not found" is no report


def test_no_history_neither_reads_nor_writes(gateway: FakeGateway) -> None:
    (msg_id,) = send("447700900123")
    report(msg_id, "--no-history")
    assert delivery("447700900123") == [(1, None, None, None)]
    report(msg_id)
    assert delivery("447700900123")[0][1] == "delivered"
    result = report(msg_id, "--no-history")
    assert len(report_calls(gateway)) == 3  # asked again: the history was not read
    assert rows_of(result)[0]["detail"] == "delivered"


def test_profile_history_false_writes_nothing_back(start_gateway: StartGateway) -> None:
    gw = start_gateway()
    (msg_id,) = send("447700900123")
    write_profile(config(), f"{gw.server.url if gw.server else ''}/v3", extra="history = false\n")
    report(msg_id)
    report("--last")  # the history is still read for --last
    assert delivery("447700900123") == [(1, None, None, None)]
    assert report_calls(gw) == [[msg_id], [msg_id]]


def test_a_damaged_history_does_not_stop_a_report_of_given_ids(gateway: FakeGateway) -> None:
    result = invoke("send", "447700900123", "-m", "hi", "-q", "--no-history")
    msg_id = result.stdout.strip()
    data = Path(os.environ["SMSCLI_DATA_DIR"])
    data.mkdir(parents=True, exist_ok=True)
    (data / "history.sqlite3").write_bytes(b"garbage" * 1000)
    given = report(msg_id)
    assert states(given) == [("447700900123", "delivered")]
    assert "damaged" in given.stderr and "reporting without the history" in given.stderr
    last = invoke("report", "--last")
    assert last.exit_code == 2 and "damaged" in last.stderr
    assert "Traceback" not in last.stderr


def test_a_failed_write_back_warns_and_still_answers(
    gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    send("447700900123")

    def locked(self: Store, *args: object, **kwargs: object) -> int:
        raise StoreError("the history database stayed locked for 30 s")

    monkeypatch.setattr(Store, "record_reports", locked)
    result = report("--last")
    assert states(result) == [("447700900123", "delivered")]
    assert "delivery states are not saved in the history" in result.stderr


def test_one_failed_message_reads_the_same_in_report_history_and_lookup(
    gateway: FakeGateway,
) -> None:
    """QA of issue 15: `detail` depended on which command recorded or showed a state ("failed
    at the carrier", "the carrier did not deliver it", or empty in `history show`)."""
    from smscli.rows import delivery_detail

    send("447700900999")
    fresh = rows_of(report("--last", code=3))[0]
    words = "failed at the carrier (gateway status 1)"
    assert fresh["detail"] == words
    again = rows_of(report("--last", code=3))[0]
    assert (again["detail"], again["source"]) == (words, "history")
    assert delivery("447700900999") == [(1, "failed", "1", words)]
    shown = invoke("history", "show", "1", "-o", "json")
    assert [row["detail"] for row in json.loads(shown.stdout)] == [words]
    looked = invoke("lookup", "447700900999", "--no-sync", "-o", "json")
    (row,) = json.loads(looked.stdout)
    # lookup's `time` is the send time, so its detail also says when the state came.
    assert row["detail"] == delivery_detail("failed", "1", None, at=fresh["time"])
    assert row["detail"].startswith("failed at the carrier at ")
    # What a getSentRcd sync stores for the same state reads the same.
    assert delivery_detail("failed", "1", "the carrier did not deliver it") == words
    assert delivery_detail("failed", "1", "UNDELIV") == (
        "failed at the carrier: UNDELIV (gateway status 1)"
    )


def test_every_time_in_rows_is_whole_seconds(gateway: FakeGateway) -> None:
    """QA of issue 15: `sent` (history --number) and lookup's send times carried microseconds
    while delivery times were whole seconds."""
    from datetime import datetime

    send("447700900123")
    report("--last")
    (hit,) = json.loads(invoke("history", "--number", "447700900123", "-o", "json").stdout)
    looked = json.loads(invoke("lookup", "447700900123", "--no-sync", "-o", "json").stdout)
    csv_rows = invoke("history", "--number", "447700900123", "-o", "csv").stdout
    times = [hit["sent"], hit["time"], looked[0]["time"]]
    for text in times:
        parsed = datetime.fromisoformat(text)
        assert parsed.microsecond == 0 and "." not in text and parsed.utcoffset() is not None
    assert hit["sent"] in csv_rows
