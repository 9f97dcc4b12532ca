"""The account-wide client calls in-process (httpx.MockTransport): v3 getSentRcd and recordMo,
mobset SmsGetRecv; request shapes, limits and both per-message status vocabularies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from smscli.errors import ErrorKind, GatewayError
from smscli.gateways.base import DeliveryStatus
from smscli.gateways.mobset import MobsetClient
from smscli.gateways.v3 import V3Client

KEY, SECRET, APP = "bDqJFiq9", "7bz1lzh9", "4luaKsL2"
CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 20, 0, 0, tzinfo=CST)
END = datetime(2026, 11, 21, 0, 0, tzinfo=CST)


def v3(handler: object) -> V3Client:
    return V3Client(api_key=KEY, api_secret=SECRET, app_id=APP, base_url="https://gw.test/v3",
                    transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def answering(body: dict[str, object], seen: list[httpx.Request]) -> object:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=body)

    return handler


def test_get_sent_records_sends_the_window_url_encoded_with_its_offset() -> None:
    seen: list[httpx.Request] = []
    body = {"status": "0", "reason": "success", "success": "1", "fail": "0", "array": [
        {"msgId": "2611201030001000001", "number": "447700900123",
         "receiveTime": "2026-11-20T10:30:05+08:00", "status": "0"}]}
    page = v3(answering(body, seen)).get_sent_records(START, END, start_index=50000)
    request = seen[0]
    assert request.method == "GET" and request.url.path == "/v3/getSentRcd"
    raw_query = request.url.query.decode()
    # '+' must travel as %2B: a raw '+' arrives as a space (the official SDK's bug).
    assert "startTime=2026-11-20T00%3A00%3A00%2B08%3A00" in raw_query
    assert "+" not in raw_query and " " not in raw_query
    assert request.url.params["endTime"] == "2026-11-21T00:00:00+08:00"
    assert request.url.params["startIndex"] == "50000"
    assert request.url.params["appId"] == APP
    assert request.headers["Sign"] and request.headers["Api-Key"] == KEY
    (record,) = page.records
    assert record.msg_id == "2611201030001000001" and record.number == "447700900123"
    assert record.status is DeliveryStatus.DELIVERED
    assert record.sent == datetime(2026, 11, 20, 10, 30, tzinfo=CST)  # from the msgId stamp
    assert record.status_time == datetime(2026, 11, 20, 10, 30, 5, tzinfo=CST)
    assert page.total == 1 and page.start_index == 50000


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("0", DeliveryStatus.DELIVERED),
        ("2", DeliveryStatus.FAILED),  # English pages
        ("1", DeliveryStatus.FAILED),  # Chinese pages
        ("-1", DeliveryStatus.PENDING),  # Chinese pages
        ("7", DeliveryStatus.UNKNOWN),  # neither: never guessed
        (0, DeliveryStatus.DELIVERED),  # a number instead of a string
    ],
)
def test_both_status_vocabularies(raw: object, status: DeliveryStatus) -> None:
    body = {"status": "0", "array": [{"msgId": "6408061535011609096", "number": "62895",
                                      "receiveTime": "", "status": raw}]}
    (record,) = v3(answering(body, [])).get_sent_records(START, END).records
    assert record.status is status
    # V2 of real-answers.md: an id whose digits are not a time in the window gives no time.
    assert record.sent is None


def test_sent_records_window_limits_are_checked_before_any_request() -> None:
    seen: list[httpx.Request] = []
    client = v3(answering({"status": "0"}, seen))
    with pytest.raises(ValueError, match="31 days"):
        client.get_sent_records(START, START + timedelta(days=31, seconds=1))
    with pytest.raises(ValueError):
        client.get_sent_records(END, START)
    with pytest.raises(ValueError, match="aware"):
        client.get_sent_records(START.replace(tzinfo=None), END.replace(tzinfo=None))
    assert seen == []


def test_too_frequent_is_a_rate_error() -> None:
    client = v3(answering({"status": "-15", "reason": "too frequent"}, []))
    with pytest.raises(GatewayError) as caught:
        client.get_sent_records(START, END)
    assert caught.value.kind is ErrorKind.RATE and caught.value.code == "-15"


def test_record_mo_posts_the_documented_json_and_reads_pages() -> None:
    seen: list[httpx.Request] = []
    body = {"status": "0", "reason": "success", "data": {
        "total": 101, "size": 100, "current": 2, "pages": 2, "records": [
            {"number": "447700900123", "sendId": "ACME", "receiveTime": "2026-11-20T11:00:00+08:00",
             "content": "STOP", "mcc": "234", "mnc": "10", "operator": "O2",
             "pricedetail": {"pay": "0", "chargeCnt": 0, "currency": "USD", "price": "0"}}]}}
    page = v3(answering(body, seen)).get_inbound(START, END, current=2, size=100)
    request = seen[0]
    assert request.method == "POST" and request.url.path == "/v3/recordMo"
    assert json.loads(request.content) == {
        "appId": APP, "current": 2, "size": 100,
        "params": {"strTime": "2026-11-20T00:00:00+08:00", "endTime": "2026-11-21T00:00:00+08:00"},
    }
    (message,) = page.records
    assert (message.number, message.to, message.content) == ("447700900123", "ACME", "STOP")
    assert message.time == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert (page.current, page.pages, page.total) == (2, 2, 101)


def test_record_mo_limits() -> None:
    client = v3(answering({"status": "0"}, []))
    with pytest.raises(ValueError, match="100"):
        client.get_inbound(START, END, size=101)
    with pytest.raises(ValueError, match="month"):
        client.get_inbound(START, START + timedelta(days=40))


def test_mobset_sms_get_recv_reads_the_community_fields() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"Code": 2, "Message": "取上行短信成功", "Details": [
            {"PhoneNumber": "8613800000001", "RecvNumber": "10690000", "AddNum": "12",
             "RecvTime": "2026-11-20 11:00:00", "Content": "收到"},
            {"PhoneNumber": "8613800000002", "RecvNumber": "10690000", "AddNum": "",
             "RecvTime": "2026-11-20 11:01:00", "Content": "好"}]})

    client = MobsetClient(corp_id="100000", login_name="u", password="p",
                          base_url="https://m.test/SDK3/SMS",
                          transport=httpx.MockTransport(handler))
    first, second = client.pull_inbound()
    assert "Methods=SmsGetRecv" in seen[0].content.decode()
    assert (first.number, first.to, first.content) == ("8613800000001", "1069000012", "收到")
    assert first.time == datetime(2026, 11, 20, 11, 0, tzinfo=CST)
    assert second.to == "10690000"
