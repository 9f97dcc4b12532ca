"""The bulk engine as the CLI uses it: pacing options, rows streamed in order, batch jobs
journalled and resumable, the clock warning, the progress bar's switch."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from smscli.cli import app
from tests.fakes import FakeGateway, status, write_profile

runner = CliRunner()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[FakeGateway]:
    gw = FakeGateway(tmp_path / "gateway", balance="100000")
    url = gw.start()
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{url}/v3", extra="concurrency = 1\n")
    yield gw
    gw.stop()


def invoke(*args: str, input: str | None = None) -> object:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def numbers(count: int) -> list[str]:
    return [str(447700000001 + i * 10) for i in range(count)]


def test_rows_keep_input_order_with_concurrency(gateway: FakeGateway) -> None:
    given = numbers(3500)
    result = invoke("send", "-m", "hi", "--concurrency", "4", "-o", "jsonl",
                    input="\n".join(given))
    assert result.exit_code == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["number"] for r in rows] == given
    assert len({r["msg_id"] for r in rows}) == 3500


def test_rate_option_paces_requests(gateway: FakeGateway) -> None:
    started = time.monotonic()
    result = invoke("send", "-m", "hi", "--rate", "10", "--concurrency", "4", "-q",
                    input="\n".join(numbers(4000)))
    assert result.exit_code == 0
    # Four requests at 10/s: the last starts at least 0.3 s after the first.
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("bad", [["--concurrency", "0"], ["--rate", "0"]])
def test_bad_pacing_is_a_usage_error(gateway: FakeGateway, bad: list[str]) -> None:
    result = runner.invoke(app, ["send", "447700900123", "-m", "hi", *bad])
    assert result.exit_code == 2
    assert gateway.received == []


def test_batch_is_journalled_and_resumable(gateway: FakeGateway, tmp_path: Path) -> None:
    rows = ["number,name"] + [f"{n},N{i}" for i, n in enumerate(numbers(2500))]
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    # The second request is refused for lack of balance: the third never leaves.
    gateway.faults.extend([lambda r, gw: gw.sandbox.handle(r), status("-10")])
    first = invoke("batch", str(csv_file), "-m", "Hi {name}", "-y", "-o", "json")
    assert first.exit_code == 3, first.stderr
    assert "smscli batch --resume 1" in first.stderr
    listed = json.loads(invoke("history", "-o", "json").stdout)
    assert listed[0]["kind"] == "batch" and listed[0]["message"].startswith("Hi {name}")

    resumed = invoke("batch", "--resume", "1", "-y", "-o", "json")
    assert resumed.exit_code == 3, resumed.stderr  # the rejected request stays rejected
    rows_out = json.loads(resumed.stdout)
    assert len(rows_out) == 2500
    received = gateway.numbers_received_batch()
    assert len(received) == len(set(received))  # nothing twice
    assert len(received) == 1500  # requests 1 and 3; request 2 was refused, never resent
    contents = {b["array"][0]["content"] for b in gateway.batch_bodies()}
    assert "Hi N0" in contents or any(c.startswith("Hi N") for c in contents)


def test_batch_resume_refuses_a_send_job(gateway: FakeGateway) -> None:
    assert invoke("send", "447700900123", "-m", "hi").exit_code == 0
    result = invoke("batch", "--resume", "1")
    assert result.exit_code == 2
    assert "smscli send --resume 1" in result.stderr


def test_batch_needs_a_file_unless_resuming(gateway: FakeGateway) -> None:
    result = invoke("batch")
    assert result.exit_code == 2 and "no batch file" in result.stderr


def test_clock_offset_is_corrected_and_reported(tmp_path: Path) -> None:
    ahead = 7200.0
    gw = FakeGateway(tmp_path / "gateway", balance="100000",
                     clock=lambda: time.time() + ahead)

    def dated(request: httpx.Request) -> httpx.Response:
        response = gw.sandbox.handle(request)
        response.headers["Date"] = formatdate(time.time() + ahead, usegmt=True)
        return response

    from smscli.sandbox.loopback import LoopbackServer

    server = LoopbackServer(dated).start()
    try:
        write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{server.url}/v3")
        result = invoke("send", "447700900123", "-m", "hi", "--json")
        assert result.exit_code == 0, result.stderr
        assert "clock is 120 minutes behind" in result.stderr
    finally:
        server.shutdown()
        gw.sandbox.close()


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch, console_env: Any) -> None:
    from smscli.progress import Progress

    assert not Progress(5000, requests=5, label="x").enabled  # not a tty under pytest
    console_env(stderr_isatty=True)
    assert Progress(5000, requests=5, label="x").enabled
    assert not Progress(5000, requests=5, label="x", quiet=True).enabled
    assert not Progress(10, requests=1, label="x").enabled
    with Progress(5000, requests=5, label="x") as bar:
        bar.advance(1000, accepted=990, rejected=10)
        assert (bar.accepted, bar.rejected) == (990, 10)
