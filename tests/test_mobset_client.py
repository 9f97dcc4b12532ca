"""The mobset SDK3 client in-process, through httpx.MockTransport: SecretKey and TimeStamp,
field order and encoding, hosts, lenient parsing, every error code, reports and balance."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
import pytest

from smscli.errors import (
    ConfigError,
    ErrorKind,
    ExitCode,
    GatewayError,
    InputError,
    NetworkError,
    NotSupported,
)
from smscli.gateways import mobset_codes
from smscli.gateways.base import BatchElement, DeliveryStatus
from smscli.gateways.mobset import (
    MobsetClient,
    beijing_timestamp,
    secret_key,
)
from smscli.gateways.mobset_answers import BEIJING
from smscli.gateways.mobset_endpoint import default_endpoint
from smscli.model import Chunk, ChunkState, Failure
from smscli.rows import rows_for
from smscli.sending import answered

CORP, LOGIN, PASSWORD = "100000", "fuyj", "pa$$-wörd"
# The documentation's sample request was signed at 2023-09-19 15:21:20 Beijing time.
DOC_STAMP = "20230919152120"
DOC_EPOCH = datetime(2023, 9, 19, 7, 21, 20, tzinfo=UTC).timestamp()
ENDPOINT = "https://sms.mobset.com:843/SDK3/SMS"

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler, **kw: Any) -> MobsetClient:
    options: dict[str, Any] = {
        "corp_id": CORP,
        "login_name": LOGIN,
        "password": PASSWORD,
        "clock": lambda: DOC_EPOCH,
        "transport": httpx.MockTransport(handler),
    }
    options.update(kw)
    return MobsetClient(**options)


def answer(body: dict[str, Any]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    return handler


class Recorder:
    """A handler that keeps every request and answers with the next queued body."""

    def __init__(self, *bodies: dict[str, Any]) -> None:
        self.bodies = list(bodies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=self.bodies.pop(0))

    def fields(self, index: int = -1) -> list[tuple[str, str]]:
        body = self.requests[index].content.decode("ascii")
        return parse_qsl(body, keep_blank_values=True, strict_parsing=True)


def sent(*pairs: tuple[str, str], code: object = None) -> dict[str, Any]:
    return {
        "Code": len(pairs) if code is None else code,
        "Message": "发送成功",
        "Details": [{"SmsId": i, "PhoneNumber": n} for i, n in pairs],
    }


@pytest.fixture
def los_angeles() -> Iterator[None]:
    """The process's local zone set far from Beijing, so a local-time bug cannot hide."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "America/Los_Angeles")
        time.tzset()
        try:
            yield
        finally:
            mp.undo()
            time.tzset()


# -- signing -------------------------------------------------------------------------------


def test_secret_key_is_md5_of_the_plain_concatenation() -> None:
    expected = hashlib.md5(f"{CORP}{PASSWORD}{DOC_STAMP}".encode()).hexdigest()
    assert secret_key(CORP, PASSWORD, DOC_STAMP) == expected
    assert secret_key("1", "2", "3") == hashlib.md5(b"123").hexdigest()


def test_timestamp_is_beijing_time_whatever_the_local_zone(los_angeles: None) -> None:
    assert time.timezone == 8 * 3600  # the process really thinks it is in Los Angeles
    assert time.strftime("%H", time.localtime(DOC_EPOCH)) == "00"
    assert beijing_timestamp(DOC_EPOCH) == DOC_STAMP
    rec = Recorder({"Code": "0", "Message": "ok"})
    client(rec).get_balance()
    fields = dict(rec.fields())
    assert fields["TimeStamp"] == DOC_STAMP
    assert fields["SecretKey"] == hashlib.md5(f"{CORP}{PASSWORD}{DOC_STAMP}".encode()).hexdigest()


def test_timestamp_follows_the_clock_and_offset() -> None:
    rec = Recorder({"Code": "0"}, {"Code": "0"})
    gw = client(rec, clock=lambda: DOC_EPOCH + 0.99)
    gw.get_balance()
    gw.clock_offset = 60
    gw.get_balance()
    assert dict(rec.fields(0))["TimeStamp"] == DOC_STAMP
    assert dict(rec.fields(1))["TimeStamp"] == "20230919152220"


def test_timer_send_is_beijing_time(los_angeles: None) -> None:
    rec = Recorder(sent(("1", "13800138000")))
    at = datetime(2023, 10, 1, 12, 0, 0, tzinfo=ZoneInfo("Europe/Paris"))
    client(rec).send(["13800138000"], "hi", at=at)
    assert dict(rec.fields())["TimerSend"] == "2023-10-01 18:00:00"
    with pytest.raises(ValueError, match="timezone-aware"):
        client(rec).send(["13800138000"], "hi", at=datetime(2023, 10, 1, 12))


# -- request shape -------------------------------------------------------------------------


def test_send_posts_form_fields_in_order_with_methods_before_content() -> None:
    rec = Recorder(sent(("1", "13800138000"), ("2", "13800138001")))
    client(rec).send(["13800138000", "13800138001"], "hello")
    request = rec.requests[0]
    assert request.method == "POST"
    assert str(request.url) == ENDPOINT
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded; charset=UTF-8"
    stamp_key = hashlib.md5(f"{CORP}{PASSWORD}{DOC_STAMP}".encode()).hexdigest()
    assert rec.fields() == [
        ("CorpID", CORP),
        ("LoginName", LOGIN),
        ("TimeStamp", DOC_STAMP),
        ("SecretKey", stamp_key),
        ("Methods", "SmsSend"),
        ("PhoneNumbers", "13800138000,13800138001"),
        ("Content", "hello"),
    ]


def test_optional_send_fields_come_after_content() -> None:
    rec = Recorder(sent(("1", "13800138000")))
    at = datetime(2023, 10, 1, 4, 0, tzinfo=UTC)
    client(rec, long_sms=False).send(["13800138000"], "hi", at=at)
    names = [name for name, _ in rec.fields()]
    assert names[4:] == ["Methods", "PhoneNumbers", "Content", "LongSms", "TimerSend"]
    assert dict(rec.fields())["LongSms"] == "0"


def test_utf8_content_is_byte_exact() -> None:
    content = '你好，世界! 短信易 🎉 a+b=c & d%20 "q" \n 100%'
    rec = Recorder(sent(("1", "13800138000")))
    client(rec).send(["13800138000"], content)
    body = rec.requests[0].content
    assert body.isascii()  # everything percent-encoded
    assert b"Content=%E4%BD%A0%E5%A5%BD" in body  # 你好 as UTF-8, not GBK or \\u escapes
    assert b"a%2Bb%3Dc+%26+d%2520" in body
    assert dict(rec.fields())["Content"] == content


def test_balance_and_report_requests_carry_only_the_common_fields() -> None:
    rec = Recorder({"Code": "0"}, {"code": "0", "Details": []})
    gw = client(rec)
    gw.get_balance()
    gw.pull_reports()
    assert [n for n, _ in rec.fields(0)] == [
        "CorpID",
        "LoginName",
        "TimeStamp",
        "SecretKey",
        "Methods",
    ]
    assert dict(rec.fields(0))["Methods"] == "SmsGetBalance"
    assert dict(rec.fields(1))["Methods"] == "SmsGetReport"


# -- hosts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("corp_id", "url"),
    [
        ("100000", "https://sms.mobset.com:843/SDK3/SMS"),
        ("199999", "https://sms.mobset.com:843/SDK3/SMS"),
        ("200000", "https://sms2.mobset.com:843/SDK3/SMS"),
        ("312345", "https://sms3.mobset.com:843/SDK3/SMS"),
        ("399999", "https://sms3.mobset.com:843/SDK3/SMS"),
    ],
)
def test_host_follows_the_corp_id_range(corp_id: str, url: str) -> None:
    assert default_endpoint(corp_id) == url
    gw = MobsetClient(corp_id=corp_id, login_name="x", password="y")
    assert gw.url == url and gw.warnings == ()
    gw.close()


@pytest.mark.parametrize(
    "corp_id", ["99999", "400000", "1000000", "", "abc", "１００００", "-100000"]
)
def test_corp_id_outside_the_ranges_needs_base_url(corp_id: str) -> None:
    with pytest.raises(ConfigError, match="outside the documented ranges") as info:
        MobsetClient(corp_id=corp_id, login_name="x", password="y")
    assert info.value.exit_code == ExitCode.USAGE
    assert "base_url" in (info.value.hint or "")
    gw = MobsetClient(corp_id=corp_id, login_name="x", password="y", base_url="https://h.test")
    assert gw.url == "https://h.test/SDK3/SMS"


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("https://h.test/SDK3/SMS", "https://h.test/SDK3/SMS"),
        ("https://h.test/x/sdk3/sms/", "https://h.test/x/sdk3/sms"),
        ("https://sms2.mobset.com:843", "https://sms2.mobset.com:843/SDK3/SMS"),
        ("http://127.0.0.1:8095", "http://127.0.0.1:8095/SDK3/Sms"),
        ("http://sms.mobset.com:8095/SDK3/Sms", "http://sms.mobset.com:8095/SDK3/Sms"),
    ],
)
def test_base_url_is_the_endpoint_or_its_base(base_url: str, url: str) -> None:
    gw = MobsetClient(corp_id=CORP, login_name="x", password="y", base_url=base_url)
    assert gw.url == url


def test_plain_http_warns_unless_loopback() -> None:
    gw = MobsetClient(
        corp_id=CORP, login_name="x", password="y", base_url="http://sms.mobset.com:8095/SDK3/Sms"
    )
    assert len(gw.warnings) == 1
    assert gw.warnings[0].startswith("plain HTTP: the SecretKey travels unencrypted")
    for url in ("http://127.0.0.1:9/SDK3/Sms", "http://localhost:9", "https://sms.mobset.com:843"):
        assert MobsetClient(corp_id=CORP, login_name="x", password="y", base_url=url).warnings == ()


def test_corp_id_on_the_wrong_host_warns() -> None:
    gw = MobsetClient(
        corp_id="200001", login_name="x", password="y", base_url="https://sms.mobset.com:843"
    )
    assert gw.warnings == ("corp_id 200001 belongs on sms2.mobset.com, not sms.mobset.com",)


def test_limits_and_modes() -> None:
    gw = client(answer({}))
    assert (gw.name, gw.report_mode) == ("mobset", "queue")
    assert (gw.max_numbers_per_send, gw.max_content_chars, gw.max_ids_per_report) == (50, 900, 50)
    assert gw.max_sender_id == 0
    # Declared, so callers never probe the client (issue 12).
    assert gw.can_schedule and not gw.multi_content
    assert (gw.balance_unit, gw.clock_offset) == ("messages", 0.0)


def test_plan_batch_is_one_smssend_per_element() -> None:
    gw = client(answer({}))
    one = BatchElement(("8613800000001",), "hi")
    planned = gw.plan_batch([one])
    assert planned.body["Methods"] == "SmsSend" and planned.body["SecretKey"] == "<hidden>"
    assert planned.body["PhoneNumbers"] == "8613800000001"
    with pytest.raises(NotSupported, match="cannot show a multi-content request"):
        gw.plan_batch([one, one])


# -- send results --------------------------------------------------------------------------


def test_send_maps_ids_to_numbers_and_carries_order_ids() -> None:
    body = sent(("1355555551", "13800138001"), ("1355555550", "13800138000"))
    result = client(answer(body)).send(["13800138000", "13800138001"], "hi", order_ids=["a", "b"])
    assert [(s.number, s.msg_id, s.order_id) for s in result.accepted] == [
        ("13800138000", "1355555550", "a"),
        ("13800138001", "1355555551", "b"),
    ]
    assert (result.success, result.fail) == (2, 0)


@pytest.mark.parametrize(
    ("id_key", "phone_key"),
    [
        ("SmsId", "PhoneNumber"),
        ("SmsID", "Mobile"),
        ("smsid", "phone"),
        ("SMSID", "Number"),
        ("smsId", "mobile"),
    ],
)
def test_send_details_keys_are_case_blind(id_key: str, phone_key: str) -> None:
    body = {
        "code": "2",
        "message": "发送成功",
        "Extra": {"ignored": True},
        "Details": [
            {id_key: 11, phone_key: "8613800138000", "Fee": "1"},
            {id_key: "12", phone_key: 8613800138001},
        ],
    }
    result = client(answer(body)).send(["8613800138000", "8613800138001"], "hi")
    assert [(s.number, s.msg_id) for s in result.accepted] == [
        ("8613800138000", "11"),
        ("8613800138001", "12"),
    ]


def test_send_matches_numbers_the_gateway_rewrote() -> None:
    # The gateway may drop (or add) the country code: the digits' tail still matches.
    body = sent(("2", "13800138001"), ("1", "+86 138 0013 8000"))
    result = client(answer(body)).send(["8613800138000", "8613800138001"], "hi")
    assert [(s.number, s.msg_id) for s in result.accepted] == [
        ("8613800138000", "1"),
        ("8613800138001", "2"),
    ]


def test_send_without_phone_numbers_maps_ids_by_position() -> None:
    body = {"Code": 2, "Details": [{"SmsId": "7"}, {"SmsId": "8"}]}
    result = client(answer(body)).send(["13800138000", "13800138001"], "hi")
    assert [(s.number, s.msg_id) for s in result.accepted] == [
        ("13800138000", "7"),
        ("13800138001", "8"),
    ]
    legacy = {"Code": 2, "Details": "7,8"}  # the legacy SDK's bare id list
    result = client(answer(legacy)).send(["13800138000", "13800138001"], "hi")
    assert [s.msg_id for s in result.accepted] == ["7", "8"]


def test_numbers_missing_from_details_count_as_failed() -> None:
    body = sent(("1", "13800138001"))
    result = client(answer(body)).send(["13800138000", "13800138001", "13800138002"], "hi")
    assert [s.number for s in result.accepted] == ["13800138001"]
    assert (result.success, result.fail) == (1, 2)


def test_accepted_without_ids_is_never_a_plain_rejection() -> None:
    numbers = ["13800138000", "1390000"]
    result = client(answer({"Code": "2", "Message": "发送成功"})).send(numbers, "x")
    assert result.untracked == ("13800138000", "1390000")
    assert result.accepted == () and result.code == "2"
    assert "carried no message ids" in (result.note or "")
    # The engine makes it an accepted request whose error says so, exiting 3, not 1.
    outcome = answered(Chunk(0, numbers), result)
    assert outcome.state is ChunkState.ACCEPTED and outcome.untracked == result.untracked
    err = outcome.error
    assert isinstance(err, Failure) and err.code == "2"
    assert err.exit_code == ExitCode.PARTIAL
    assert err.kind is ErrorKind.REJECTED and not err.unanswered  # not a retryable refusal
    assert "do not send them again" in str(err)


def test_some_ids_missing_keeps_the_ones_that_came() -> None:
    body = {"Code": 2, "Details": [{"SmsId": "1", "Mobile": "13800138000"}, {"Mobile": "1390"}]}
    result = client(answer(body)).send(["13800138000", "1390"], "x")
    assert [(s.number, s.msg_id) for s in result.accepted] == [("13800138000", "1")]
    assert result.untracked == ("1390",)
    # Ids without numbers that cannot be placed by position are untracked too.
    body = {"Code": 3, "Details": [{"SmsId": "1"}, {"SmsId": "2"}]}
    result = client(answer(body)).send(["13800138000", "13800138001", "13800138002"], "x")
    assert len(result.untracked) == 3
    assert "3 message(s)" in (result.note or "")


def test_code_zero_without_details_sent_nothing() -> None:
    result = client(answer({"Code": 0, "Message": "?"})).send(["13800138000"], "x")
    assert (result.accepted, result.success, result.fail) == ((), 0, 1)


def test_send_checks_before_sending() -> None:
    rec = Recorder()
    gw = client(rec)
    with pytest.raises(ValueError, match="at most 50"):
        gw.send([f"1380013{i:04d}" for i in range(51)], "x")
    with pytest.raises(ValueError, match="at least one"):
        gw.send([], "x")
    with pytest.raises(ValueError, match="order_ids"):
        gw.send(["13800138000"], "x", order_ids=["a", "b"])
    with pytest.raises(InputError, match="no sender id"):
        gw.send(["13800138000"], "x", sender_id="ACME")
    with pytest.raises(InputError, match="empty"):
        gw.send(["13800138000"], "  ")
    with pytest.raises(InputError, match="901 characters"):
        gw.send(["13800138000"], "字" * 901)
    with pytest.raises(InputError, match="at most 900"):
        gw.send(["13800138000"], "🎉" * 451)  # 902 UTF-16 units
    assert rec.requests == []


def test_send_at_the_limits() -> None:
    numbers = [f"1380013{i:04d}" for i in range(50)]
    body = sent(*((str(i), n) for i, n in enumerate(numbers)))
    result = client(answer(body)).send(numbers, "🎉" * 450)
    assert result.success == 50


def test_plan_send_hides_the_secret_key() -> None:
    gw = client(answer({}))
    plan = gw.plan_send(["13800138000"], "你好")
    assert plan.method == "POST" and plan.url == ENDPOINT
    assert plan.headers == {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    assert list(plan.body) == [
        "CorpID",
        "LoginName",
        "TimeStamp",
        "SecretKey",
        "Methods",
        "PhoneNumbers",
        "Content",
    ]
    assert plan.body["SecretKey"] == "<hidden>"
    assert plan.body["Content"] == "你好"
    assert PASSWORD not in json.dumps(dict(plan.body), ensure_ascii=False)


def test_send_batch_is_one_sms_send_per_element() -> None:
    rec = Recorder(sent(("1", "13800138000"), ("2", "13800138001")), sent(("3", "13900139000")))
    result = client(rec).send_batch(
        [
            BatchElement(("13800138000", "13800138001"), "one", order_ids=("a", "b")),
            BatchElement(("13900139000",), "two"),
        ]
    )
    assert [dict(rec.fields(i))["Content"] for i in range(2)] == ["one", "two"]
    assert [(s.msg_id, s.order_id) for s in result.accepted] == [
        ("1", "a"),
        ("2", "b"),
        ("3", None),
    ]
    assert (result.success, result.fail) == (3, 0)


def test_send_batch_failing_part_way_keeps_what_was_sent() -> None:
    rec = Recorder(sent(("1", "13800138000")), {"Code": -4, "Message": "企业帐号余额不足"})
    elements = [BatchElement(("13800138000",), "one"), BatchElement(("13900139000",), "two")]
    result = client(rec).send_batch(elements)
    assert (result.elements_sent, result.elements) == (1, 2)
    assert [s.msg_id for s in result.accepted] == ["1"]
    stopped = result.stopped_by
    assert isinstance(stopped, GatewayError) and stopped.code == "-4"
    # The engine keeps the part sent (accepted: never sent again) with an error of the same
    # kind, which stops the run as a balance refusal does.
    outcome = answered(Chunk(0, ["13800138000", "13900139000"]), result)
    assert outcome.state is ChunkState.ACCEPTED and outcome.result is result
    err = outcome.error
    assert isinstance(err, Failure)
    assert (err.code, err.kind, err.exit_code) == ("-4", stopped.kind, stopped.exit_code)
    assert err.kind is ErrorKind.BALANCE
    assert str(err).startswith("element 2 of 2 failed after 1 were sent: gateway code -4")
    assert "do not send them again" in str(err)
    assert [r["outcome"] for r in rows_for(outcome)] == ["accepted", "rejected"]
    # A failure on the first element is raised as it is.
    rec = Recorder({"Code": -2, "Message": "非法来源IP地址或帐号密码有误"})
    with pytest.raises(GatewayError) as first:
        client(rec).send_batch(elements)
    assert first.value.code == "-2"


def test_send_batch_goes_on_after_an_element_sent_without_ids() -> None:
    """Numbers sent without an id are a send, not a failure: the next elements still go."""
    rec = Recorder({"Code": 1, "Message": "发送成功"}, sent(("3", "13900139000")))
    elements = [BatchElement(("13800138000",), "one"), BatchElement(("13900139000",), "two")]
    result = client(rec).send_batch(elements)
    assert [s.msg_id for s in result.accepted] == ["3"]
    assert result.untracked == ("13800138000",) and result.code == "1"
    assert result.stopped_by is None
    outcome = answered(Chunk(0, ["13800138000", "13900139000"]), result)
    assert [(r["outcome"], r["msg_id"]) for r in rows_for(outcome)] == [
        ("accepted", None),
        ("accepted", "3"),
    ]


# -- errors --------------------------------------------------------------------------------

CHINESE = {
    "-1": "输入参数不完整",
    "-2": "非法来源IP地址或帐号密码有误",
    "-3": "目标号码有误",
    "-4": "企业帐号余额不足",
    "-5": "用户帐号余额不足",
    "-6": "输入参数不完整",
    "-7": "连接数据库失败",
    "-8": "企业帐号已被禁用",
    "-9": "短信内容含有过滤关键字",
    "-10": "号码超过50个",
}
KINDS = {
    "-1": ErrorKind.INPUT,
    "-2": ErrorKind.AUTH,
    "-3": ErrorKind.INPUT,
    "-4": ErrorKind.BALANCE,
    "-5": ErrorKind.BALANCE,
    "-6": ErrorKind.INPUT,
    "-7": ErrorKind.SERVER,
    "-8": ErrorKind.AUTH,
    "-9": ErrorKind.INPUT,
    "-10": ErrorKind.INPUT,
}


@pytest.mark.parametrize("code", sorted(mobset_codes.CODES, key=int, reverse=True))
@pytest.mark.parametrize("as_int", [True, False])
def test_every_error_code_decodes(code: str, as_int: bool) -> None:
    assert set(CHINESE) == set(KINDS) == set(mobset_codes.CODES)
    body = {"Code": int(code) if as_int else code, "Message": CHINESE[code]}
    with pytest.raises(GatewayError) as info:
        client(answer(body)).send(["13800138000"], "x")
    err = info.value
    reason = mobset_codes.CODES[code].reason
    assert err.message == f"gateway code {code}: {reason} ({CHINESE[code]})"
    assert err.code == code and err.kind is KINDS[code]
    assert err.provider_message == CHINESE[code]
    expected = ExitCode.AUTH if code in ("-2", "-8") else ExitCode.REJECTED
    assert err.exit_code == expected
    assert not err.retryable_unsent


def test_bad_credentials_message_reads_well() -> None:
    body = {"code": "-2", "message": "非法来源IP地址或帐号密码有误"}
    with pytest.raises(GatewayError) as info:
        client(answer(body)).get_balance()
    assert info.value.message == (
        "gateway code -2: bad source IP or credentials (非法来源IP地址或帐号密码有误)"
    )
    assert info.value.exit_code == ExitCode.AUTH == 5
    assert "password" in (info.value.hint or "") and "clock" in (info.value.hint or "")


def test_unknown_code_and_missing_message() -> None:
    with pytest.raises(GatewayError) as info:
        client(answer({"Code": -99})).pull_reports()
    assert info.value.message == "gateway code -99: the gateway refused the request (code -99)"
    assert info.value.kind is ErrorKind.REJECTED and info.value.provider_message is None


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"Message": "no code"}, "no Code field"),
        ({"Code": "abc"}, "not a number"),
        ({"Code": None}, "not a number"),
        ({"Code": True}, "not a number"),
    ],
)
def test_answer_without_a_usable_code_is_a_network_error(
    body: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(NetworkError) as info:
        client(answer(body)).send(["13800138000"], "x")
    assert fragment in info.value.message and info.value.maybe_processed


def test_transport_faults_are_smscli_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(NetworkError) as info:
        client(refuse).send(["13800138000"], "x")
    assert info.value.maybe_processed is False
    with pytest.raises(NetworkError) as info:
        client(lambda r: httpx.Response(200, text="<html>")).send(["13800138000"], "x")
    assert info.value.maybe_processed is True
    with pytest.raises(GatewayError, match="HTTP 404"):
        client(lambda r: httpx.Response(404)).get_balance()


# -- not supported ---------------------------------------------------------------------------


def test_get_report_points_to_the_queue() -> None:
    with pytest.raises(NotSupported, match="use pull_reports") as info:
        client(answer({})).get_report(["1"])
    assert info.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(
    "message", ["Methods参数错误", "不支持的方法", "未知的请求", "Unknown method SmsGetBalance"]
)
def test_balance_unknown_to_the_gateway_is_not_supported(message: str) -> None:
    with pytest.raises(NotSupported) as info:
        client(answer({"Code": -1, "Message": message})).get_balance()
    assert info.value.message == "balance is not supported by this provider"
    assert info.value.exit_code == ExitCode.USAGE == 2


def test_balance_other_errors_stay_gateway_errors() -> None:
    with pytest.raises(GatewayError) as info:
        client(answer({"Code": -2, "Message": "非法来源IP地址或帐号密码有误"})).get_balance()
    assert info.value.code == "-2"


# -- reports -------------------------------------------------------------------------------


def test_pull_reports_parses_the_documented_example() -> None:
    body = {
        "code": "1",
        "Message": "取短信状态报告成功",
        "Details": [
            {
                "SmsId": "1355555551",
                "Status": "12",
                "ReportTime": "2023-10-01 12:00:00",
                "ExStatus": "DELIVRD",
            }
        ],
    }
    result = client(answer(body)).pull_reports()
    (report,) = result.reports
    assert report.msg_id == "1355555551"
    assert report.status is DeliveryStatus.DELIVERED
    assert report.time == datetime(2023, 10, 1, 4, 0, tzinfo=UTC)
    assert report.time is not None and report.time.utcoffset() == timedelta(hours=8)
    assert (report.code, report.detail, report.number) == ("12", "DELIVRD", None)
    assert result.not_found == 0


@pytest.mark.parametrize(
    ("status", "expected", "detail"),
    [
        ("12", DeliveryStatus.DELIVERED, "DELIVRD"),
        ("13", DeliveryStatus.FAILED, "DELIVRD"),
        ("0", DeliveryStatus.PENDING, "submitted (DELIVRD)"),
        ("1", DeliveryStatus.PENDING, "under review (DELIVRD)"),
        ("2", DeliveryStatus.FAILED, "submission failed (DELIVRD)"),
        ("5", DeliveryStatus.FAILED, "submission failed (DELIVRD)"),
        ("6", DeliveryStatus.FAILED, "number not supported (DELIVRD)"),
        ("7", DeliveryStatus.FAILED, "review failed (DELIVRD)"),
        ("10", DeliveryStatus.PENDING, "sent, awaiting receipt (DELIVRD)"),
        ("11", DeliveryStatus.FAILED, "sending failed (DELIVRD)"),
        ("15", DeliveryStatus.UNKNOWN, "unknown status (DELIVRD)"),
        ("99", DeliveryStatus.UNKNOWN, "unknown status '99' (DELIVRD)"),
    ],
)
def test_report_statuses(status: str, expected: DeliveryStatus, detail: str) -> None:
    body = {"code": 1, "Details": [{"SmsId": 5, "Status": int(status), "ExStatus": "DELIVRD"}]}
    (report,) = client(answer(body)).pull_reports().reports
    assert (report.msg_id, report.status, report.code, report.detail) == (
        "5",
        expected,
        status,
        detail,
    )


def test_failed_report_carries_the_carrier_code() -> None:
    body = {
        "CODE": "2",
        "details": [
            {
                "smsid": "1",
                "status": "13",
                "exstatus": "UNDELIV",
                "reporttime": "2023/10/1 9:05:00",
            },
            {"SMSID": "2", "STATUS": "13", "Mobile": "13800138000"},
            {"Status": "12"},  # no id: nothing to attach it to
        ],
    }
    reports = client(answer(body)).pull_reports().reports
    assert [(r.msg_id, r.status, r.detail) for r in reports] == [
        ("1", DeliveryStatus.FAILED, "UNDELIV"),
        ("2", DeliveryStatus.FAILED, "not received"),
    ]
    assert reports[0].time == datetime(2023, 10, 1, 9, 5, tzinfo=timezone(timedelta(hours=8)))
    assert reports[1].time is None and reports[1].number == "13800138000"


@pytest.mark.parametrize("details", [None, [], "", {}, "garbage", [1, "x"]])
def test_empty_queue_shapes(details: object) -> None:
    assert client(answer({"code": "0", "Details": details})).pull_reports().reports == ()


def test_report_time_is_beijing_whatever_the_local_zone(los_angeles: None) -> None:
    entry = {"SmsId": "1", "Status": "12", "ReportTime": "2023-10-01 12:00:00"}
    body = {"code": 1, "Details": [entry]}
    (report,) = client(answer(body)).pull_reports().reports
    assert report.time is not None
    assert report.time.astimezone(UTC) == datetime(2023, 10, 1, 4, 0, tzinfo=UTC)
    assert report.time.tzinfo == BEIJING


# -- balance -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"Code": 0, "Message": "ok", "Balance": "1234"},
        {"code": "0", "balance": 1234},
        {"Code": "1", "Count": "1234"},
        {"Code": 0, "Details": {"SmsCount": 1234}},
        {"Code": 0, "Details": [{"Balance": "1234"}]},
        {"Code": 0, "Details": "1234"},
        {"Code": "1234", "Message": "取账号剩余短信量成功"},
        {"Code": 1234, "Balance": "not a number"},
    ],
)
def test_balance_variants(body: dict[str, Any]) -> None:
    balance = client(answer(body)).get_balance()
    assert balance.balance == "1234"
    assert balance.extra == {"unit": "messages"}
    assert balance.gift is None and balance.currency is None


@pytest.mark.parametrize(
    ("body", "shown"),
    [({"Code": 0, "Balance": "12.50"}, "12.50"), ({"Code": 0, "Balance": "1234.0"}, "1234.0")],
)
def test_a_decimal_balance_is_shown_exactly_not_as_code(body: dict[str, Any], shown: str) -> None:
    # real-answers issue 10: {"Code":0,"Balance":"12.50"} used to show "0 messages".
    balance = client(answer(body)).get_balance()
    assert balance.balance == shown


# -- tracing -------------------------------------------------------------------------------


def test_trace_hides_the_secret_key_and_password() -> None:
    lines: list[str] = []
    gw = client(answer(sent(("1", "13800138000"))), trace=lines.append)
    gw.send(["13800138000"], "你好")
    text = "\n".join(lines)
    assert f"POST {ENDPOINT}" in text
    assert "SecretKey=<hidden>" in text
    assert secret_key(CORP, PASSWORD, DOC_STAMP) not in text
    assert PASSWORD not in text
    assert f"CorpID={CORP}" in text and f"LoginName={LOGIN}" in text
    assert "Content=你好" in text  # readable, not percent-encoded
    assert "< 200" in text
