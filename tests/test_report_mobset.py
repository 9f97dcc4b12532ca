"""`smscli report` with a queue provider (mobset): every report waiting at the gateway is pulled
into the history, each batch saved before the next pull, and the answer comes from the history.
Against the mobset sandbox over loopback HTTP, with a clock the test moves forward."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from smscli import reads
from smscli.cli import app
from smscli.gateways.mobset import MobsetClient
from smscli.history.db import StoreError
from smscli.history.store import Store
from smscli.reporting.verdicts import UNKNOWN_ID_DETAIL
from smscli.retry import RetryPolicy
from smscli.sandbox.loopback import LoopbackServer
from smscli.sandbox.mobset import (
    MOBSET_SANDBOX_CORP_ID,
    MOBSET_SANDBOX_LOGIN_NAME,
    MOBSET_SANDBOX_PASSWORD,
    MobsetSandbox,
)

runner = CliRunner()

DELAY = 60.0  # the sandbox's delivery_delay; tests move its clock past it
FAILS = "8613900000999"  # the sandbox reports 0999 as Status 13 (UNDELIV)
NEVER = "8613900000998"  # ... and never reports 0998

Handler = Callable[[httpx.Request], httpx.Response]


class Gateway:
    """The mobset sandbox on 127.0.0.1 with a movable clock and scripted faults for
    SmsGetReport calls."""

    def __init__(self, state: Path, delivery_delay: float = DELAY) -> None:
        self.shift = 0.0
        self.sandbox = MobsetSandbox(
            state, clock=self.now, delivery_delay=delivery_delay, record=True
        )
        # SmsGetReport calls seen (faulted ones included) -> the fault that answers that call.
        self.pulls_seen = 0
        self.report_faults: dict[int, Handler] = {}
        self._lock = threading.Lock()
        self.server = LoopbackServer(self.handle).start()
        self.url = f"{self.server.url}/SDK3/SMS"

    def now(self) -> float:
        return time.time() + self.shift

    def deliver(self) -> None:
        """Move the sandbox's clock past the delivery delay (the 20-minute TimeStamp window
        still accepts the client's real clock)."""
        self.shift += DELAY + 1

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if b"Methods=SmsGetReport" in request.content:
            with self._lock:
                self.pulls_seen += 1
                fault = self.report_faults.pop(self.pulls_seen, None)
            if fault is not None:
                return fault(request)
        return self.sandbox.handle(request)

    def report_calls(self) -> int:
        return sum(1 for r in self.sandbox.received if r.form.get("Methods") == "SmsGetReport")

    def send_calls(self) -> list[int]:
        return [
            len(r.form["PhoneNumbers"].split(","))
            for r in self.sandbox.received
            if r.form.get("Methods") == "SmsSend"
        ]

    def client(self) -> MobsetClient:
        return MobsetClient(
            corp_id=MOBSET_SANDBOX_CORP_ID,
            login_name=MOBSET_SANDBOX_LOGIN_NAME,
            password=MOBSET_SANDBOX_PASSWORD,
            base_url=self.url,
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.sandbox.close()


def http_500(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, text="Internal Server Error")


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "QUERY_RETRY", RetryPolicy(3, base_delay=0.01, max_delay=0.05))


@pytest.fixture
def start_gateway(tmp_path: Path) -> Iterator[Callable[..., Gateway]]:
    started: list[Gateway] = []

    def start(delivery_delay: float = DELAY, extra: str = "") -> Gateway:
        gw = Gateway(tmp_path / f"mobset{len(started)}", delivery_delay)
        started.append(gw)
        write_config(gw.url, extra)
        return gw

    yield start
    for gw in started:
        gw.stop()


@pytest.fixture
def gateway(start_gateway: Callable[..., Gateway]) -> Gateway:
    return start_gateway()


def write_config(url: str, extra: str = "") -> None:
    path = Path(os.environ["SMSCLI_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(
        f'default_profile = "main"\n[profiles.main]\nprovider = "mobset"\n'
        f'corp_id = "{MOBSET_SANDBOX_CORP_ID}"\nlogin_name = "{MOBSET_SANDBOX_LOGIN_NAME}"\n'
        f'password = "{MOBSET_SANDBOX_PASSWORD}"\nbase_url = "{url}"\n{extra}',
        encoding="utf-8",
    )
    path.chmod(0o600)


def invoke(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def numbers(count: int, start: int = 8613800000000) -> list[str]:
    # Steps of 10 end in 0: clear of the magic suffixes 0998 and 0999.
    return [str(start + i * 10) for i in range(count)]


def send(*numbers: str) -> list[dict[str, Any]]:
    result = invoke("send", ",".join(numbers), "-m", "hi", "-y", "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    return rows_of(result)


def rows_of(result: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def report(*args: str, code: int | None = 0) -> Any:
    result = invoke("report", *args, "-o", "jsonl")
    if code is not None:
        assert result.exit_code == code, result.stderr
    return result


# -------------------------------------------------------------------------- --last


def test_two_reports_after_delivery_both_show_every_message(gateway: Gateway) -> None:
    sent = send(*numbers(119), FAILS)
    assert sorted(gateway.send_calls()) == [20, 50, 50]  # send chunks by mobset's 50
    assert len({row["msg_id"] for row in sent}) == 120

    early = report("--last")
    assert {row["status"] for row in rows_of(early)} == {"pending"}
    assert rows_of(early)[0]["detail"] == "no delivery report yet"
    assert gateway.report_calls() == 1

    gateway.deliver()
    for calls in ([4], [1]):  # 50 + 50 + 20 + an empty one; then only the empty one
        before = gateway.report_calls()
        result = report("--last", code=3)
        assert [gateway.report_calls() - before] == calls
        rows = rows_of(result)
        assert [(r["msg_id"], r["number"]) for r in rows] == [
            (s["msg_id"], s["number"]) for s in sent
        ]
        assert [r["status"] for r in rows] == ["delivered"] * 119 + ["failed"]
        assert (rows[0]["code"], rows[0]["detail"]) == ("12", "delivered: DELIVRD")
        assert (rows[-1]["code"], rows[-1]["detail"]) == (
            "13", "failed at the carrier: UNDELIV (gateway status 13)"
        )
        assert rows[0]["time"]
        assert "119 delivered, 1 failed, 0 pending, 0 not found" in result.stderr
    assert "no new delivery reports; answered from the history" in result.stderr

    (job,) = json.loads(invoke("history", "-o", "json").stdout)
    assert (job["delivered"], job["failed"], job["pending"]) == (119, 1, 0)
    (hit,) = json.loads(invoke("history", "--number", FAILS, "-o", "json").stdout)
    assert (hit["status"], hit["code"], hit["detail"]) == (
        "failed", "13", "failed at the carrier: UNDELIV (gateway status 13)"
    )


def test_pulled_reports_are_written_to_the_history_before_the_next_pull(
    gateway: Gateway,
) -> None:
    sent = send(*numbers(120))
    gateway.deliver()
    # The third pull fails, and so do its retries: the two batches before it are saved.
    gateway.report_faults.update({3: http_500, 4: http_500, 5: http_500})
    failed = invoke("report", "--last")
    assert failed.exit_code == 6, failed.stderr
    assert "HTTP 500" in failed.stderr and "Traceback" not in failed.stderr
    with Store.open() as store:
        known = store.lookup([row["msg_id"] for row in sent], "mobset")
    assert sum(1 for t in known.values() if t.status is not None) == 100
    # Nothing is lost: the next run pulls the rest.
    result = report("--last")
    assert {row["status"] for row in rows_of(result)} == {"delivered"}


def test_reports_that_cannot_be_saved_are_printed(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = send(*numbers(3))
    gateway.deliver()

    def locked(self: Store, *args: object, **kwargs: object) -> int:
        raise StoreError("the history database stayed locked for 30 s")

    monkeypatch.setattr(Store, "record_reports", locked)
    result = invoke("report", "--last")
    assert result.exit_code == 2
    assert "3 delivery reports pulled from the gateway could not be saved" in result.stderr
    rescued = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [(r["msg_id"], r["status"], r["detail"]) for r in rescued] == [
        (row["msg_id"], "delivered", "DELIVRD") for row in sent
    ]
    assert gateway.report_calls() == 1  # nothing more pulled once a batch could not be saved
    assert result.stdout == ""


# -------------------------------------------------------------------------- ids not in history


def test_a_report_for_an_id_not_in_the_history_is_kept_and_answered_later(
    gateway: Gateway,
) -> None:
    # Sent by another tool on the same account: no job in the history holds these msgIds.
    client = gateway.client()
    try:
        elsewhere = [s.msg_id for s in client.send(["8613700000000", FAILS], "hi").accepted]
    finally:
        client.close()
    (mine,) = send("8613800000000")
    gateway.deliver()
    result = report("--last")
    assert [(r["msg_id"], r["status"]) for r in rows_of(result)] == [(mine["msg_id"], "delivered")]
    assert "3 new delivery reports pulled into the history" in result.stderr
    with Store.open() as store:
        assert list(store.orphan_reports("sandbox-mobset")) == []
        assert list(store.orphan_reports("mobset")) == elsewhere

    later = report(*elsewhere, "1999999999", code=3)
    assert [(r["msg_id"], r["number"], r["status"], r["detail"]) for r in rows_of(later)] == [
        (elsewhere[0], None, "delivered", "delivered: DELIVRD"),
        (elsewhere[1], None, "failed", "failed at the carrier: UNDELIV (gateway status 13)"),
        ("1999999999", None, "unknown", UNKNOWN_ID_DETAIL),
    ]
    assert "1 delivered, 1 failed, 0 pending, 0 not found, 1 unknown" in later.stderr
    # And again: a kept report stays kept.
    assert rows_of(report(*elsewhere, code=3)) == rows_of(later)[:2]


# -------------------------------------------------------------------------- --job, --since, ids


def test_job_since_and_given_ids_answer_from_the_history(gateway: Gateway) -> None:
    first = send(*numbers(2))
    second = send(*numbers(2, start=8613600000000))
    gateway.deliver()
    job = report("--job", "1")
    assert [r["msg_id"] for r in rows_of(job)] == [r["msg_id"] for r in first]
    assert "4 new delivery reports pulled" in job.stderr  # the whole queue, not just job 1's
    since = report("--since", "1h")
    assert [r["msg_id"] for r in rows_of(since)] == [r["msg_id"] for r in first + second]
    given = report(second[1]["msg_id"], first[0]["msg_id"], "--refresh")
    assert [(r["number"], r["status"]) for r in rows_of(given)] == [
        (second[1]["number"], "delivered"),
        (first[0]["number"], "delivered"),
    ]
    assert "--refresh: mobset cannot be asked about a report again" in given.stderr
    piped = invoke("report", "-o", "jsonl", input="\n".join(r["msg_id"] for r in first))
    assert piped.exit_code == 0 and len(rows_of(piped)) == 2


# -------------------------------------------------------------------------- --wait


def test_wait_pulls_until_nothing_is_pending(start_gateway: Callable[..., Gateway]) -> None:
    gateway = start_gateway(delivery_delay=0.5)
    send(*numbers(3), FAILS)
    result = report("--last", "--wait", "--interval", "0.05", "--timeout", "20", code=3)
    assert [r["status"] for r in rows_of(result)] == ["delivered"] * 3 + ["failed"]
    assert gateway.report_calls() >= 3  # pending at first: asked again, and an empty last pull
    assert "3 delivered, 1 failed, 0 pending, 0 not found" in result.stderr


def test_wait_times_out_with_4(gateway: Gateway) -> None:
    send("8613800000000", NEVER)
    gateway.deliver()
    result = report("--last", "--wait", "--interval", "0.05", "--timeout", "0.4", code=4)
    assert [r["status"] for r in rows_of(result)] == ["delivered", "pending"]
    assert "timed out after" in result.stderr and "1 message still pending" in result.stderr
    assert gateway.report_calls() >= 3


# -------------------------------------------------------------------------- history off


def test_report_refuses_when_history_is_off(start_gateway: Callable[..., Gateway]) -> None:
    gateway = start_gateway()
    (row,) = send("8613800000000")
    gateway.deliver()
    flag = invoke("report", row["msg_id"], "--no-history")
    assert flag.exit_code == 2
    assert "hands out each delivery report only once" in flag.stderr
    assert "the reports would be lost" in flag.stderr and "drop --no-history" in flag.stderr
    write_config(gateway.url, "history = false\n")
    profile = invoke("report", row["msg_id"])
    assert profile.exit_code == 2
    assert "profile main has history = false" in profile.stderr
    assert "smscli config set history true -p main" in profile.stderr
    assert gateway.report_calls() == 0  # the queue was left alone
    assert "Traceback" not in flag.stderr + profile.stderr
