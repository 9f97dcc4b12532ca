"""Regressions found by the QA pass over issues 10 and 14 (notes/qa2.md): each test names the
user-visible defect it pins down."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from smscli.history.store import Store
from smscli.sandbox.loopback import LoopbackServer
from tests.test_cli_mobset import write_mobset_profile
from tests.test_corpus import MOBSET_EMPTY, VARIANTS, canned
from tests.test_corpus_cli import Canned, app, invoke, runner


def variant(name: str) -> dict[str, Any]:
    (found,) = [v for v in VARIANTS if v["id"] == name]
    return found


@pytest.mark.parametrize("name", ["v3-send-array-missing", "mobset-send-no-details"])
def test_report_last_on_a_job_sent_without_ids_does_not_say_none_was_accepted(name: str) -> None:
    """`report --last` on a job the gateway accepted without msgIds said "the gateway accepted
    none of its numbers": read as a refusal, it invites sending the messages again."""
    sent = variant(name)
    with Canned(sent) as gateway:
        result = invoke("send", ",".join(sent["numbers"]), "-m", "hi", "-y", "-q")
        assert result.exit_code == 3, result.stderr
        report = invoke("report", "--last", "-o", "jsonl")
        assert gateway.calls == 1
    assert report.exit_code == 2
    assert "accepted none" not in report.stderr
    assert "accepted 2 numbers without giving a message id" in report.stderr
    assert "do not send them again" in report.stderr


class SendThenReport(Canned):
    """sendSms answers as documented; getReport echoes the numbers with a leading +."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if request.url.path.endswith("/sendSms"):
            return canned(variant("v3-send-documented-strings")["answer"])
        return httpx.Response(200, json={
            "status": "0", "reason": "success", "success": "2", "fail": "0", "sending": "0",
            "nofound": "0", "array": [
                {"msgId": "2108021054011000095", "number": "+447700900123",
                 "receiveTime": "2021-02-12T09:30:03+08:00", "status": "0"},
                {"msgId": "2108021054011000096", "number": "+447700900124",
                 "receiveTime": "2021-02-12T09:30:03+08:00", "status": "0"},
            ],
        })


def test_report_rows_keep_the_number_as_sent_when_the_gateway_echoes_it_with_plus() -> None:
    """The sandbox's plus-numbers quirk showed report rows as "+447700900123" while send and
    history say "447700900123": the same message under two numbers breaks joins by number."""
    sent = variant("v3-send-documented-strings")
    with SendThenReport(sent):
        assert invoke("send", ",".join(sent["numbers"]), "-m", "hi", "-y", "-q").exit_code == 0
        report = invoke("report", "--last", "-o", "jsonl")
    assert report.exit_code == 0, report.stderr
    rows = [json.loads(line) for line in report.stdout.splitlines()]
    assert [(r["number"], r["status"]) for r in rows] == [
        ("447700900123", "delivered"), ("447700900124", "delivered")]


def test_lookup_says_it_could_not_consult_sent_records_older_than_90_days() -> None:
    """`lookup --since 400d` searched the gateway's records of the last 90 days only, and said
    nothing: an empty answer for the older days read as "nothing was sent then"."""
    far = invoke("lookup", "447700900123", "--since", "400d", "-p", "sandbox", "-o", "jsonl")
    assert far.exit_code == 0, far.stderr
    assert "not consulted: the gateway's sent records before" in far.stderr
    assert "(it keeps them for 90 days)" in far.stderr
    near = invoke("lookup", "447700900123", "--since", "30d", "-p", "sandbox", "-o", "jsonl")
    assert near.exit_code == 0, near.stderr
    assert "sent records before" not in near.stderr


class RepeatingRecvQueue:
    """A mobset SmsGetRecv that hands out the same inbound message on every call (as the
    report queue of issue 10 did); SmsGetReport is empty."""

    def __init__(self) -> None:
        self.recv_calls = 0
        self.server = LoopbackServer(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        fields = dict(parse_qsl(request.content.decode("utf-8")))
        if fields.get("Methods") != "SmsGetRecv":
            return httpx.Response(200, content=MOBSET_EMPTY)
        self.recv_calls += 1
        return httpx.Response(200, json={"Code": 1, "Message": "ok", "Details": [{
            "PhoneNumber": "8613800000001", "RecvNumber": "10690000", "AddNum": "",
            "RecvTime": "2026-11-30 22:13:23", "Content": "收到"}]})


def test_a_mobset_inbound_queue_that_repeats_itself_is_not_pulled_a_thousand_times() -> None:
    """SmsGetRecv was pulled until it came back empty, up to 1000 unpaced calls: a queue that
    hands out the same message again made `inbox` call it 1000 times and count 1000 replies."""
    gateway = RepeatingRecvQueue()
    with gateway.server:
        write_mobset_profile(f"{gateway.server.url}/SDK3/SMS", extra="drain_reports = false\n")
        result = invoke("sync", "--since", "7d")
    assert result.exit_code == 0, result.stderr
    assert gateway.recv_calls == 2  # the second pull brought nothing new: stop
    assert "1 inbound message (2 calls)" in result.stderr
    with Store.open() as store:
        count = store._db.execute("SELECT count(*) FROM inbound").fetchone()[0]
    assert count == 1


@pytest.mark.parametrize("raw", [1796141222, "1796141222", 1796141222000, "1796141222000"])
def test_get_sent_rcd_epoch_seconds_are_not_read_as_milliseconds(raw: object) -> None:
    """getSentRcd's receiveTime in epoch seconds was divided by 1000 (a delivery in January
    1970); getReport's parser (issue 10) reads 10 digits as seconds, 13 as milliseconds."""
    from datetime import UTC, datetime, timedelta

    from smscli.gateways.v3_records import sent_page

    window = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
    page = sent_page({"status": "0", "success": "1", "fail": "0", "array": [
        {"msgId": "2612020007021000000", "number": "447700900123", "receiveTime": raw,
         "status": "0"}]}, 0, window)
    (record,) = page.records
    assert record.status_time == datetime(2026, 12, 1, 16, 7, 2, tzinfo=UTC)
    assert record.status_time - record.sent < timedelta(days=1)


def test_report_fed_send_rows_accepted_without_ids_does_not_call_them_rejected() -> None:
    """`smscli send ... -o jsonl | smscli report` on an answer without msgIds said "2 rows had
    an empty msg_id (numbers the gateway rejected)": they were sent, and must not be resent."""
    sent = variant("v3-send-array-missing")
    with Canned(sent) as gateway:
        rows = invoke("send", ",".join(sent["numbers"]), "-m", "hi", "-y", "-o", "jsonl")
        assert rows.exit_code == 3, rows.stderr
        report = runner.invoke(app, ["report", "-o", "jsonl"], input=rows.stdout)
        assert gateway.calls == 1
    assert report.exit_code == 2
    assert "numbers the gateway rejected)" not in report.stderr
    assert "accepted without giving a message id" in report.stderr
    assert "do not send those again" in report.stderr


class ShorterThenReport(Canned):
    """sendSms lists one of two accepted numbers; getReport knows the listed one."""

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        if request.url.path.endswith("/sendSms"):
            return canned(variant("v3-send-array-shorter")["answer"])
        return httpx.Response(200, json={
            "status": "0", "reason": "success", "success": "1", "fail": "0", "sending": "0",
            "nofound": "0", "array": [
                {"msgId": "2108021054011000095", "number": "447700900123",
                 "receiveTime": "2021-02-12T09:30:03+08:00", "status": "0"}],
        })


def test_report_last_says_how_many_numbers_of_the_job_it_cannot_follow() -> None:
    """`report --last` on a job with one number accepted without a msgId showed one row,
    "1 delivered", exit 0, and nothing about the other number the job sent."""
    sent = variant("v3-send-array-shorter")
    with ShorterThenReport(sent):
        assert invoke("send", ",".join(sent["numbers"]), "-m", "hi", "-y", "-q").exit_code == 3
        report = invoke("report", "--last", "-o", "jsonl")
    assert report.exit_code == 0, report.stderr
    assert len(report.stdout.splitlines()) == 1
    assert ("1 more number of job 1 sent without a message id: its delivery cannot be "
            "followed") in report.stderr


class CountingMobset:
    """A mobset gateway that counts SmsGetReport calls; every queue is empty."""

    def __init__(self) -> None:
        self.report_calls = 0
        self.server = LoopbackServer(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        fields = dict(parse_qsl(request.content.decode("utf-8")))
        if fields.get("Methods") == "SmsGetReport":
            self.report_calls += 1
        return httpx.Response(200, content=MOBSET_EMPTY)


@pytest.mark.parametrize("command", [["sync"], ["lookup", "8613800000001"]])
def test_sync_and_lookup_leave_the_report_queue_alone_with_drain_reports_false(
    command: list[str],
) -> None:
    """`sync` and `lookup` drained a mobset account's report queue even with the profile's
    drain_reports = false (issue 10's choice for shared accounts): the other systems on the
    account lost their delivery reports."""
    gateway = CountingMobset()
    with gateway.server:
        write_mobset_profile(f"{gateway.server.url}/SDK3/SMS", extra="drain_reports = false\n")
        result = invoke(*command)
    assert result.exit_code == 0, result.stderr
    assert gateway.report_calls == 0
    assert "drain_reports = false" in result.stderr


def test_sync_warns_once_before_draining_a_report_queue_of_an_unset_profile() -> None:
    """With drain_reports unset, `report` says once what draining costs a shared account;
    `sync` drained without a word."""
    gateway = CountingMobset()
    with gateway.server:
        write_mobset_profile(f"{gateway.server.url}/SDK3/SMS")
        first = invoke("sync")
        second = invoke("sync")
    assert first.exit_code == 0 and second.exit_code == 0, first.stderr + second.stderr
    assert gateway.report_calls >= 2
    assert "hands each delivery report out once" in first.stderr
    assert "hands each delivery report out once" not in second.stderr


def test_lookup_and_inbox_read_national_numbers_as_send_does() -> None:
    """With default_country = "GB", `send 07400 123456` sends to 447400123456, but `lookup
    07400123456` and `inbox --number 07400123456` refused the number ("starts with 0")."""
    import os
    from pathlib import Path

    config = Path(os.environ["SMSCLI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.write_text('default_profile = "uk"\n[profiles.uk]\nprovider = "sandbox"\n'
                      'default_country = "GB"\n', encoding="utf-8")
    config.chmod(0o600)
    sent = invoke("send", "07400 123456", "-m", "hi", "-y", "-o", "jsonl")
    assert sent.exit_code == 0, sent.stderr
    assert json.loads(sent.stdout)["number"] == "447400123456"
    look = invoke("lookup", "07400123456", "--no-sync", "-o", "jsonl")
    assert look.exit_code == 0, look.stderr
    assert [json.loads(x)["number"] for x in look.stdout.splitlines()] == ["447400123456"]
    inbox = invoke("inbox", "--number", "07400123456", "--no-sync", "-o", "jsonl")
    assert inbox.exit_code == 0, inbox.stderr
    bad = invoke("lookup", "07700900123", "--no-sync")  # not a valid GB number: refused
    assert bad.exit_code == 2 and "not a valid number in GB" in bad.stderr


def test_history_number_reads_a_national_number_as_send_does() -> None:
    """With default_country = "GB", `history --number 07400123456` refused the number that
    `send 07400 123456` had just sent to ("starts with 0"), where lookup and inbox took it."""
    import os
    from pathlib import Path

    config = Path(os.environ["SMSCLI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.write_text('default_profile = "uk"\n[profiles.uk]\nprovider = "sandbox"\n'
                      'default_country = "GB"\n[profiles.plain]\nprovider = "sandbox"\n',
                      encoding="utf-8")
    config.chmod(0o600)
    sent = invoke("send", "07400 123456", "-m", "hi", "-y", "-o", "jsonl")
    assert sent.exit_code == 0, sent.stderr
    found = invoke("history", "--number", "07400 123456", "-o", "jsonl")
    assert found.exit_code == 0, found.stderr
    assert [json.loads(x)["number"] for x in found.stdout.splitlines()] == ["447400123456"]
    # International as written: no profile needed, nothing read from one.
    assert invoke("history", "--number", "447400123456", "-o", "jsonl").stdout == found.stdout
    # A profile without default_country reads "0..." as before: refused, exit 2.
    plain = invoke("history", "--number", "07400123456", "--profile", "plain")
    assert plain.exit_code == 2 and "starts with 0" in plain.stderr
    bad = invoke("history", "--number", "07700900123")  # not a valid GB number: refused
    assert bad.exit_code == 2 and "not a valid number in GB" in bad.stderr


def test_lookup_says_the_account_records_were_never_synced_when_its_first_sync_fails() -> None:
    """A lookup whose first sync failed (here every call answered 404) said only "nothing to
    or from N": no word that the account's records had never been fetched, which reads as
    "nothing was sent to this number"."""
    import os
    from pathlib import Path

    from tests.fakes import write_profile

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"status": 404, "error": "Not Found"})

    with LoopbackServer(handle) as server:
        write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{server.url}/v3")
        look = invoke("lookup", "447700900123")
    assert look.exit_code == 0, look.stderr
    assert "could not sync sent records" in look.stderr
    assert "sent records of profile main were never synced" in look.stderr
