"""Regressions found by the QA pass over issues 10 and 14 (notes/qa2.md): each test names the
user-visible defect it pins down."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.test_corpus import VARIANTS, canned
from tests.test_corpus_cli import Canned, invoke


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
