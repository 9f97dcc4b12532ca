"""The simulators' account-wide calls, asked directly: getSentRcd and recordMo of the v3
sandbox (their checks and shapes) and SmsGetRecv of the mobset one (a queue)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from smscli.sandbox.mobset import MobsetSandbox
from smscli.sandbox.v3 import Sandbox
from tests.test_mobset_sandbox import URL, common

KEY, SECRET, APP = "bDqJFiq9", "7bz1lzh9", "4luaKsL2"


def headers() -> dict[str, str]:
    ts = str(int(time.time()))
    return {"Api-Key": KEY, "Timestamp": ts,
            "Sign": hashlib.md5(f"{KEY}{SECRET}{ts}".encode()).hexdigest()}


@pytest.fixture
def v3() -> Iterator[tuple[Sandbox, httpx.Client]]:
    sb = Sandbox(None, delivery_delay=0.0, sent_page_size=2, balance="10")
    with httpx.Client(transport=sb.transport(), base_url="https://sb.test/v3") as http:
        yield sb, http
    sb.close()


def iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def sent_rcd(http: httpx.Client, **params: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    query = {"appId": APP, "startTime": iso(now - timedelta(hours=1)),
             "endTime": iso(now + timedelta(minutes=1)), **params}
    return http.get("/getSentRcd", params=query, headers=headers()).json()  # type: ignore[no-any-return]


def test_get_sent_rcd_lists_every_message_in_pages(v3: tuple[Sandbox, httpx.Client]) -> None:
    _, http = v3
    body = {"appId": APP, "numbers": "447700900001,447700900999,447700900998", "content": "x"}
    sent = http.post("/sendSms", json=body, headers=headers()).json()
    first = sent_rcd(http)
    assert first["status"] == "0" and (first["success"], first["fail"]) == ("2", "1")
    assert [i["number"] for i in first["array"]] == ["447700900001", "447700900999"]
    assert [i["status"] for i in first["array"]] == ["0", "1"]
    assert first["array"][0]["msgId"] == sent["array"][0]["msgId"]
    assert first["array"][0]["receiveTime"].endswith("+08:00")
    second = sent_rcd(http, startIndex="2")
    assert [(i["number"], i["status"], i["receiveTime"]) for i in second["array"]] == [
        ("447700900998", "-1", "")]


def test_get_sent_rcd_checks_its_window(v3: tuple[Sandbox, httpx.Client]) -> None:
    _, http = v3
    now = datetime.now(UTC)
    # The official SDK's unencoded '+' arrives as a space: refused as a bad time.
    raw = (f"/getSentRcd?appId={APP}&startTime=2026-11-20T00:00:00+08:00"
           "&endTime=2026-11-21T00:00:00+08:00")
    assert http.get(raw, headers=headers()).json()["status"] == "-11"
    assert sent_rcd(http, startTime=iso(now - timedelta(days=32)))["status"] == "-25"
    assert sent_rcd(http, startTime=iso(now - timedelta(days=91)),
                    endTime=iso(now - timedelta(days=90)))["status"] == "-25"
    assert sent_rcd(http, startIndex="x")["status"] == "-11"
    assert sent_rcd(http, appId="other")["status"] == "-32"


def test_get_sent_rcd_too_frequent_and_the_english_dialect() -> None:
    sb = Sandbox(None, delivery_delay=0.0, status_dialect="en", sent_rcd_interval=60)
    with httpx.Client(transport=sb.transport(), base_url="https://sb.test/v3") as http:
        http.post("/sendSms", json={"appId": APP, "numbers": "447700900999", "content": "x"},
                  headers=headers())
        assert [i["status"] for i in sent_rcd(http)["array"]] == ["2"]
        assert sent_rcd(http)["status"] == "-15"
    sb.close()


def test_record_mo_pages_injected_replies(v3: tuple[Sandbox, httpx.Client]) -> None:
    sb, http = v3
    for n in range(3):
        sb.account.inject_inbound(f"44770090000{n}", f"reply {n}", to="ACME")
    now = datetime.now(UTC)
    body = {"appId": APP, "current": 2, "size": 2,
            "params": {"strTime": iso(now - timedelta(days=1)), "endTime": iso(now + timedelta(1))}}
    answer = http.post("/recordMo", json=body, headers=headers()).json()
    data = answer["data"]
    assert (data["total"], data["pages"], data["current"], data["size"]) == (3, 2, 2, 2)
    assert [(r["number"], r["sendId"], r["content"]) for r in data["records"]] == [
        ("447700900002", "ACME", "reply 2")]
    for change, code in (({"size": 101}, "-22"), ({"current": 0}, "-22"),
                         ({"params": {"strTime": iso(now - timedelta(days=40)),
                                      "endTime": iso(now)}}, "-25")):
        assert http.post("/recordMo", json={**body, **change},
                         headers=headers()).json()["status"] == code


def test_mobset_sms_get_recv_hands_each_reply_out_once() -> None:
    sb = MobsetSandbox(None)
    sb.inject_inbound("8613800000001", "收到", to="106900001")
    with httpx.Client(transport=sb.transport()) as http:
        fields = [*common(time.time()), ("Methods", "SmsGetRecv")]
        first = http.post(URL, data=dict(fields)).json()
        assert first["Code"] == 1
        (item,) = first["Details"]
        assert (item["PhoneNumber"], item["RecvNumber"], item["Content"]) == (
            "8613800000001", "106900001", "收到")
        assert len(item["RecvTime"]) == 19
        fields = [*common(time.time()), ("Methods", "SmsGetRecv")]
        assert http.post(URL, data=dict(fields)).json()["Details"] == []
    sb.close()
