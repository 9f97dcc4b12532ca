"""The corpus's representative set (`"cli": true` in tests/corpus/*.json) over real HTTP on
127.0.0.1 through the CLI: a canned-answer server (LoopbackServer) answers with the variant's
exact bytes, and `send`, `report` and `send --resume` must reach the verdict the variant
states, as a user sees it: rows on stdout, exit code, the history, a resume that sends nothing.
Most run the CLI in-process (CliRunner); two run the installed smscli in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from typer.testing import CliRunner

from smscli.cli import app
from smscli.history.store import Store
from smscli.sandbox.loopback import LoopbackServer
from tests.fakes import write_profile
from tests.test_cli_mobset import write_mobset_profile
from tests.test_corpus import MOBSET_EMPTY, VARIANTS, canned

runner = CliRunner()
SMSCLI = str(Path(sys.executable).with_name("smscli"))
V3_ENDPOINTS = {"send": "sendSms", "report": "getReport", "balance": "getBalance"}


class Canned:
    """Answers the variant's call with its canned answer, anything else with 404; counts the
    calls it answered. A mobset report queue hands the answer out once (then an empty one)
    unless the variant repeats."""

    def __init__(self, variant: dict[str, Any]) -> None:
        self.variant = variant
        self.calls = 0
        self.lock = threading.Lock()
        self.server = LoopbackServer(self.handle)
        self.url = self.server.url

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if not self.wanted(request):
            return httpx.Response(404, text="not this variant's call")
        with self.lock:
            self.calls += 1
            calls = self.calls
        if self.variant["call"] == "pull" and calls > 1 and not self.variant.get("repeat"):
            return httpx.Response(200, content=MOBSET_EMPTY)
        return canned(self.variant["answer"])

    def wanted(self, request: httpx.Request) -> bool:
        if self.variant["protocol"] == "v3":
            return request.url.path.endswith("/" + V3_ENDPOINTS[self.variant["call"]])
        fields = dict(parse_qsl(request.content.decode("utf-8")))
        method = {"send": "SmsSend", "pull": "SmsGetReport"}[self.variant["call"]]
        return fields.get("Methods") == method

    def __enter__(self) -> Canned:
        self.server.start()
        config = Path(os.environ["SMSCLI_CONFIG"])
        if self.variant["protocol"] == "v3":
            write_profile(config, f"{self.url}/v3")
        else:
            write_mobset_profile(f"{self.url}/SDK3/SMS")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()



def _accepted(row: dict[str, Any]) -> bool | None:
    """The corpus writes a row's verdict as accepted true/false/null; rows say `outcome`."""
    return {"accepted": True, "rejected": False, "not_sent": False, "unknown": None}[
        str(row["outcome"])
    ]

def cli(kind: str, protocol: str | None = None) -> list[Any]:
    return [
        pytest.param(v, id=v["id"])
        for v in VARIANTS
        if v["cli"] and v["call"] == kind and protocol in (None, v["protocol"])
    ]


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def rows_of(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_the_representative_set_covers_each_kind() -> None:
    kinds = {(v["protocol"], v["call"]) for v in VARIANTS if v["cli"]}
    assert kinds == {("v3", "send"), ("v3", "report"), ("mobset", "send"), ("mobset", "pull")}


@pytest.mark.parametrize("variant", cli("send"))
def test_send_through_the_cli(variant: dict[str, Any]) -> None:
    expect = variant["expect"]
    with Canned(variant) as gateway:
        result = invoke("send", ",".join(variant["numbers"]), "-m", "hi", "-y", "-o", "jsonl")
        assert "Traceback" not in result.stderr
        rows = [[x["number"], x["msg_id"], _accepted(x)] for x in rows_of(result.stdout)]
        assert rows == expect["rows"]
        assert result.exit_code == expect["exit"], result.stderr
        if expect["untracked"]:
            assert "do not send them again" in result.stderr
            assert "rejected" not in result.stderr.split("\n")[0]
        if "error" in expect:
            assert expect["error"] in result.stderr
        with Store.open() as store:
            assert [m.outcome for m in store.job_messages(1)] == expect["history"]
        # A resume finds nothing to send: no second request reaches the gateway, and it
        # tells the same story (a number sent without an id is not "rejected" now either).
        resumed = invoke("send", "--resume", "1", "-y", "-o", "jsonl")
        assert "Traceback" not in resumed.stderr
        assert gateway.calls == 1
        assert "--resend-unknown" not in resumed.stderr
        again = [[x["number"], x["msg_id"], _accepted(x)] for x in rows_of(resumed.stdout)]
        assert again == expect["rows"]
        assert resumed.exit_code == expect["exit"], resumed.stderr


@pytest.mark.parametrize("variant", cli("report"))
def test_report_through_the_cli(variant: dict[str, Any]) -> None:
    expect = variant["expect"]
    with Canned(variant):
        result = invoke("report", *variant["ids"], "-o", "jsonl")
    assert result.exit_code == expect["exit"], result.stderr
    got = [[x["msg_id"], x["status"]] for x in rows_of(result.stdout)]
    assert got == [[x[0], x[1]] for x in expect["reports"]]


@pytest.mark.parametrize("variant", cli("pull"))
def test_mobset_report_queue_through_the_cli(variant: dict[str, Any]) -> None:
    expect = variant["expect"]
    asked = [msg_id for msg_id, _ in expect["reports"]]
    with Canned(variant) as gateway:
        first = invoke("report", *asked, "-o", "jsonl")
        assert [[x["msg_id"], x["status"]] for x in rows_of(first.stdout)] == expect["reports"]
        assert first.exit_code == 3  # one of the two failed
        assert gateway.calls == expect["calls"]
        assert "hands each delivery report out once" in first.stderr  # said once...
        assert f"{expect['new']} new delivery reports pulled" in first.stderr
        if expect["repeated"]:
            assert f"{expect['repeated']} reports handed out again" in first.stderr
        second = invoke("report", *asked, "-o", "jsonl")
        assert "hands each delivery report out once" not in second.stderr  # ...not twice
        assert second.exit_code == 3
    with Store.open() as store:
        kept = store.raw_reports()
    assert kept and all(raw.reports == 2 for raw in kept)


def test_drain_reports_false_leaves_the_queue_alone() -> None:
    (variant,) = [v for v in VARIANTS if v["id"] == "mobset-report-documented"]
    with Canned(variant) as gateway:
        write_mobset_profile(f"{gateway.url}/SDK3/SMS", extra="drain_reports = false\n")
        result = invoke("report", "1000000001", "-o", "jsonl")
        assert gateway.calls == 0
    assert "drain_reports = false" in result.stderr
    assert "hands each delivery report out once" not in result.stderr
    assert rows_of(result.stdout)[0]["status"] == "unknown"  # nobody knows it: not pending


# -- the installed smscli, in a subprocess ---------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SMSCLI, *args], capture_output=True, text=True, env=dict(os.environ), timeout=120,
        check=False,
    )


@pytest.mark.e2e
def test_e2e_v3_send_with_a_bom_is_accepted() -> None:
    (variant,) = [v for v in VARIANTS if v["id"] == "v3-send-bom"]
    with Canned(variant):
        done = run("send", ",".join(variant["numbers"]), "-m", "hi", "-y", "-o", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [x["msg_id"] for x in rows_of(done.stdout)] == [r[1] for r in variant["expect"]["rows"]]


@pytest.mark.e2e
def test_e2e_mobset_queue_that_repeats_itself_is_not_drained_forever() -> None:
    (variant,) = [v for v in VARIANTS if v["id"] == "mobset-report-repeats-itself"]
    with Canned(variant) as gateway:
        done = run("report", "1000000001", "1000000002", "-o", "jsonl")
        assert gateway.calls == 2  # paced, and stopped when a pull brought nothing new
    assert done.returncode == 3, done.stderr
    assert "2 new delivery reports pulled" in done.stderr
    assert "2 reports handed out again" in done.stderr


def test_an_unreadable_report_answer_is_kept_and_read_by_a_later_smscli() -> None:
    (page,) = [v for v in VARIANTS if v["id"] == "mobset-report-html-200"]
    with Canned(page) as gateway:
        first = invoke("report", "1000000001", "-o", "jsonl")
        assert first.exit_code == 6, first.stderr
        assert gateway.calls == 1  # not retried: another pull could only lose more
        assert "raw_reports, id 1" in first.stderr and "not lost" in first.stderr
        assert "still queued" not in first.stderr
        # The next run (the queue is empty now) tries the kept page again: still unreadable,
        # so it stays kept, byte for byte.
        again = invoke("report", "1000000001", "-o", "jsonl")
    assert again.exit_code == 0, again.stderr
    with Store.open() as store:
        kept = store.raw_reports("unreadable")
        assert [raw.body for raw in kept] == ["<html><body>系统维护中</body></html>".encode()]
        # As if an older smscli had failed on an answer this one can read:
        (documented,) = [v for v in VARIANTS if v["id"] == "mobset-report-documented"]
        raw_id = store.keep_raw_report(
            provider="mobset",
            profile="main",
            body=documented["answer"]["body"].encode(),
            content_type="application/json",
            http_status=200,
        )
        store.raw_report_unreadable(raw_id, "an older smscli could not read it")
    (empty,) = [v for v in VARIANTS if v["id"] == "mobset-report-documented"]
    with Canned({**empty, "answer": {**empty["answer"], "body": MOBSET_EMPTY.decode()}}):
        later = invoke("report", "1000000001", "1000000002", "-o", "jsonl")
    assert "2 delivery reports read from answers kept earlier" in later.stderr
    assert [x["status"] for x in rows_of(later.stdout)] == ["delivered", "failed"]
    with Store.open() as store:
        assert len(store.raw_reports("unreadable")) == 1  # the HTML page stays kept
        assert [raw.reports for raw in store.raw_reports("read")] == [2]
