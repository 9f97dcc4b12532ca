"""`smscli report` through the CLI against the fake gateway over real loopback HTTP."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from smscli import reads
from smscli.cli import app
from smscli.retry import RetryPolicy
from tests.fakes import FakeGateway, http_500, status, write_profile

runner = CliRunner()

StartGateway = Callable[..., FakeGateway]


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "QUERY_RETRY", RetryPolicy(3, base_delay=0.01, max_delay=0.05))


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[StartGateway]:
    started: list[FakeGateway] = []

    def start(delivery_delay: float = 0.0) -> FakeGateway:
        gw = FakeGateway(
            tmp_path / f"gateway{len(started)}", balance="100000", delivery_delay=delivery_delay
        )
        started.append(gw)
        write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{gw.start()}/v3")
        return gw

    yield start
    for gw in started:
        gw.stop()


@pytest.fixture
def gateway(start_gateway: StartGateway) -> FakeGateway:
    return start_gateway()


def invoke(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def send(*args: str) -> Any:
    result = invoke("send", *args, "-m", "hi")
    assert result.exit_code in (0, 3), result.stderr
    return result


def report_calls(gw: FakeGateway) -> list[list[str]]:
    return [
        r.query["msgIds"].split(",")  # type: ignore[attr-defined]
        for r in gw.received
        if r.path.endswith("getReport")  # type: ignore[attr-defined]
    ]


def rows_of(result: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


# -------------------------------------------------------------------------- chunking


def test_450_piped_ids_make_3_calls_and_duplicates_are_queried_once(
    gateway: FakeGateway,
) -> None:
    numbers = ",".join(str(447700000000 + i) for i in range(450))
    ids = send(numbers, "-q").stdout.split()
    assert len(ids) == 450
    piped = "\n".join(ids + ids[:50]) + "\n"
    result = invoke("report", "-o", "jsonl", input=piped)
    assert result.exit_code == 0, result.stderr
    calls = report_calls(gateway)
    assert sorted(len(c) for c in calls) == [50, 200, 200]
    asked = [i for c in calls for i in c]
    assert len(asked) == len(set(asked)) == 450
    rows = rows_of(result)
    assert [r["msg_id"] for r in rows] == ids  # input order, each once
    assert {r["status"] for r in rows} == {"delivered"}
    assert "50 duplicate msgIds" in result.stderr
    assert "450 delivered, 0 failed, 0 pending, 0 not found" in result.stderr


# -------------------------------------------------------------------------- send | report


@pytest.mark.parametrize("fmt", ["-q", "tsv", "csv", "jsonl", "json"])
def test_report_reads_every_output_format_of_send(gateway: FakeGateway, fmt: str) -> None:
    out = ["-q"] if fmt == "-q" else ["-o", fmt]
    # 0997 is rejected (a row with an empty msg_id), 0999 fails delivery.
    sent = send("447700900123", "447700900997", "447700900999", *out)
    result = invoke("report", "-o", "jsonl", input=sent.stdout)
    assert result.exit_code == 3, result.stderr
    rows = rows_of(result)
    assert [(r["number"], r["status"]) for r in rows] == [
        ("447700900123", "delivered"),
        ("447700900999", "failed"),
    ]
    assert list(rows[0]) == ["number", "msg_id", "status", "time", "code", "detail", "source"]
    assert rows[0]["code"] == "0" and rows[0]["detail"] == "delivered"
    assert rows[1]["detail"] == "failed at the carrier (gateway status 1)"
    assert rows[0]["time"].endswith("+00:00")  # UTC, whatever zone the gateway answered in
    assert "1 delivered, 1 failed, 0 pending, 0 not found" in result.stderr


def test_report_from_a_file_and_arguments(gateway: FakeGateway, tmp_path: Path) -> None:
    sent = tmp_path / "sent.jsonl"
    sent.write_text(send("447700900123", "-o", "jsonl").stdout, encoding="utf-8")
    other = send("447700900124", "-q").stdout.strip()
    result = invoke("report", other, "-f", str(sent), "--json")
    assert result.exit_code == 0, result.stderr
    assert [r["number"] for r in json.loads(result.stdout)] == ["447700900124", "447700900123"]


def test_tsv_when_piped_and_table_on_request(gateway: FakeGateway) -> None:
    msg_id = send("447700900123", "-q").stdout.strip()
    tsv = invoke("report", msg_id)
    assert tsv.stdout.splitlines()[0] == "number\tmsg_id\tstatus\ttime\tcode\tdetail\tsource"
    table = invoke("report", msg_id, "-o", "table")
    assert "Message ID" in table.stdout and "delivered" in table.stdout
    assert invoke("report", msg_id, "-q").stdout == msg_id + "\n"


def test_an_id_nobody_knows_is_unknown_not_pending(gateway: FakeGateway) -> None:
    # issue 10: neither the gateway (nofound) nor the history knows it, and it does not start
    # with a recent date: "pending" would promise a report that will never come.
    result = invoke("report", "1234567890123456789", "--json")
    assert result.exit_code == 0
    (row,) = json.loads(result.stdout)
    assert row["status"] == "unknown"
    assert row["detail"] == "neither the gateway nor the history knows this id"
    assert "0 delivered, 0 failed, 0 pending, 0 not found, 1 unknown" in result.stderr


def test_a_recently_dated_id_not_found_yet_is_pending(gateway: FakeGateway) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    stamp = datetime.now(UTC).astimezone(timezone(timedelta(hours=8))) - timedelta(minutes=5)
    msg_id = stamp.strftime("%y%m%d%H%M%S") + "1000001"
    result = invoke("report", msg_id, "--json")
    (row,) = json.loads(result.stdout)
    assert (row["status"], row["detail"]) == (
        "pending",
        "not found yet (still queued, or an unknown id)",
    )
    assert "0 delivered, 0 failed, 1 pending, 0 not found" in result.stderr


def test_fresh_message_is_pending(start_gateway: StartGateway) -> None:
    start_gateway(delivery_delay=60)
    msg_id = send("447700900123", "-q").stdout.strip()
    result = invoke("report", msg_id, "-o", "jsonl")
    assert result.exit_code == 0  # pending is not a failure without --wait
    assert rows_of(result)[0]["status"] == "pending"
    assert "0 delivered, 0 failed, 1 pending, 0 not found" in result.stderr


# -------------------------------------------------------------------------- --wait


def test_wait_until_delivered_exits_0(start_gateway: StartGateway) -> None:
    # Long enough that the first poll still finds them sending, even on a loaded machine.
    gw = start_gateway(delivery_delay=1.0)
    ids = send("447700900123", "447700900124", "-q").stdout
    result = invoke("report", "--wait", "--interval", "0.05", "--timeout", "10", input=ids)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.split("\t")[2] == "delivered" for line in lines) == 2
    assert result.stdout.count("msg_id\t") == 1  # the rows are written once, at the end
    assert len(report_calls(gw)) >= 2
    assert "2 delivered, 0 failed, 0 pending, 0 not found" in result.stderr
    assert "\r" not in result.stderr  # piped: no live view


def test_wait_exits_3_when_one_fails(start_gateway: StartGateway) -> None:
    start_gateway(delivery_delay=0.2)
    ids = send("447700900123", "447700900999", "-q").stdout
    result = invoke("report", "--wait", "--interval", "0.05", "--timeout", "10", input=ids)
    assert result.exit_code == 3, result.stderr
    assert "1 delivered, 1 failed, 0 pending, 0 not found" in result.stderr


def test_wait_times_out_with_4_and_requeries_only_pending(start_gateway: StartGateway) -> None:
    gw = start_gateway(delivery_delay=0.0)
    ids = send("447700900123", "447700900998", "-q").stdout.split()
    result = invoke(
        "report", *ids, "--wait", "--interval", "0.05", "--timeout", "0.5", "-o", "jsonl"
    )
    assert result.exit_code == 4, result.stderr
    assert [r["status"] for r in rows_of(result)] == ["delivered", "pending"]
    assert "timed out after" in result.stderr and "1 message still pending" in result.stderr
    calls = report_calls(gw)
    assert calls[0] == ids
    assert len(calls) > 2 and all(c == [ids[1]] for c in calls[1:])


def test_live_view_on_a_terminal(
    start_gateway: StartGateway, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:
    start_gateway()
    console_env(stderr_isatty=True)
    msg_id = send("447700900998", "-q").stdout.strip()
    result = invoke("report", msg_id, "--wait", "--interval", "0.05", "--timeout", "0.3")
    assert result.exit_code == 4
    assert "\r" in result.stderr and "next check in" in result.stderr
    assert "0 delivered, 0 failed, 1 pending, 0 not found" in result.stderr


def test_interval_without_wait_is_a_usage_error(gateway: FakeGateway) -> None:
    result = invoke("report", "1234567890123456789", "--timeout", "5")
    assert result.exit_code == 2
    assert "only apply with --wait" in result.stderr
    assert report_calls(gateway) == []


# -------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "input", "fragment"),
    [
        (["12ab"], None, "argument 1: '12ab'"),
        ([], "2401011200001000001\nnot-an-id\n", "stdin line 2: 'not-an-id'"),
        ([], '{"msg_id": "2401011200001000001"}\n{"number": "4477"}\n', "stdin line 2 has no"),
        ([], "", "no msgIds found"),
        ([], "number\tmsg_id\n447700900997\t\n", "1 row had an empty msg_id"),
        (["-f", "/nonexistent/sent.jsonl"], None, "not found: /nonexistent/sent.jsonl"),
        (["1", "--wait", "--interval", "0"], None, "--interval must be greater than 0"),
        (["1", "-o", "xml"], None, "unknown output format"),
    ],
)
def test_bad_input_exits_2_and_queries_nothing(
    gateway: FakeGateway, args: list[str], input: str | None, fragment: str
) -> None:
    result = invoke("report", *args, input=input)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert gateway.received == []


# -------------------------------------------------------------------------- gateway errors


def too_many_requests(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
    return httpx.Response(429, text="slow down", headers={"Retry-After": "0"})


def test_auth_error_exits_5_without_retry(gateway: FakeGateway) -> None:
    gateway.faults += [status("-1"), status("-1")]
    result = invoke("report", "1234567890123456789")
    assert result.exit_code == 5
    assert "authentication failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(gateway.faults) == 1  # asked once: retrying cannot fix credentials


def test_http_500_exits_6_after_three_attempts(gateway: FakeGateway) -> None:
    gateway.faults += [http_500] * 4
    result = invoke("report", "1234567890123456789")
    assert result.exit_code == 6
    assert "HTTP 500" in result.stderr
    assert result.stderr.count("trying again") == 2
    assert len(gateway.faults) == 1
    assert result.stdout == ""


@pytest.mark.parametrize("fault", [status("-15"), too_many_requests])
def test_rate_limit_burst_is_retried(gateway: FakeGateway, fault: Any) -> None:
    msg_id = send("447700900123", "-q").stdout.strip()
    gateway.faults += [fault, fault]
    result = invoke("report", msg_id, "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert gateway.faults == []
    assert rows_of(result)[0]["status"] == "delivered"


def test_connection_refused_exits_6(tmp_path: Path) -> None:
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), "http://127.0.0.1:9/v3")
    result = invoke("report", "1234567890123456789")
    assert result.exit_code == 6
    assert "could not connect" in result.stderr
