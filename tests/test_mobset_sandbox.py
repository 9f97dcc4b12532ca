"""The mobset SDK3 sandbox: raw protocol checks in-process, the real client against it over
loopback HTTP, the report queue, and the providers wiring for `mobset` / `sandbox-mobset`."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from smscli import providers, settings
from smscli.errors import ConfigError, ErrorKind, ExitCode, GatewayError
from smscli.gateways.base import DeliveryStatus
from smscli.gateways.mobset import MobsetClient, beijing_timestamp
from smscli.sandbox.loopback import LoopbackServer
from smscli.sandbox.mobset import (
    MOBSET_SANDBOX_CORP_ID,
    MOBSET_SANDBOX_LOGIN_NAME,
    MOBSET_SANDBOX_PASSWORD,
    MobsetSandbox,
)
from smscli.sandbox.mobset_wire import MAGIC_CONTENT, MESSAGES

URL = "https://sms.mobset.com:843/SDK3/SMS"
T0 = 1_790_000_000.0  # 2026-09-21 22:13:20 Beijing time
CORP, LOGIN, PASSWORD = MOBSET_SANDBOX_CORP_ID, MOBSET_SANDBOX_LOGIN_NAME, MOBSET_SANDBOX_PASSWORD


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def numbers(count: int, start: int = 13800000000) -> list[str]:
    # Steps of 10 stay clear of the magic suffixes 0998 and 0999.
    return [str(start + i * 10) for i in range(count)]


def common(now: float, *, password: str = PASSWORD, **override: str) -> list[tuple[str, str]]:
    stamp = override.pop("TimeStamp", beijing_timestamp(now))
    corp = override.pop("CorpID", CORP)
    key = hashlib.md5(f"{corp}{password}{stamp}".encode()).hexdigest()
    fields = {"CorpID": corp, "LoginName": LOGIN, "TimeStamp": stamp, "SecretKey": key}
    fields.update(override)
    return list(fields.items())


def call(http: httpx.Client, fields: list[tuple[str, str]], *, url: str = URL) -> dict[str, Any]:
    response = http.post(
        url,
        content=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body: dict[str, Any] = response.json()
    return body


def sms_send(http: httpx.Client, clock: Clock, nums: list[str], content: str = "hi") -> Any:
    fields = [
        *common(clock.now),
        ("Methods", "SmsSend"),
        ("PhoneNumbers", ",".join(nums)),
        ("Content", content),
    ]
    return call(http, fields)


def get_report(http: httpx.Client, clock: Clock) -> dict[str, Any]:
    return call(http, [*common(clock.now), ("Methods", "SmsGetReport")])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(tmp_path: Path, clock: Clock) -> Iterator[MobsetSandbox]:
    with MobsetSandbox(tmp_path / "state", clock=clock, record=True) as sb:
        yield sb


@pytest.fixture
def http(sandbox: MobsetSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(transport=sandbox.transport()) as c:
        yield c


def mobset_client(url: str, clock: Clock, **kw: Any) -> MobsetClient:
    return MobsetClient(
        corp_id=CORP, login_name=LOGIN, password=PASSWORD, base_url=url, clock=clock, **kw
    )


# -- the client over loopback HTTP -----------------------------------------------------------


def test_120_numbers_in_three_sends_then_reports_from_the_queue(tmp_path: Path) -> None:
    clock = Clock()
    wanted = [*numbers(118), "13800000999", "13900000999"]  # two that fail
    with (
        MobsetSandbox(tmp_path, clock=clock, record=True, delivery_delay=5) as sb,
        LoopbackServer(sb.handle) as server,
    ):
        gw = mobset_client(server.url, clock)
        assert gw.url == f"{server.url}/SDK3/Sms" and gw.warnings == ()
        accepted = []
        for start in range(0, len(wanted), gw.max_numbers_per_send):
            chunk = wanted[start : start + gw.max_numbers_per_send]
            result = gw.send(chunk, "验证码 123456", order_ids=[f"o{n}" for n in chunk])
            assert (result.success, result.fail) == (len(chunk), 0)
            assert [s.number for s in result.accepted] == chunk
            assert [s.order_id for s in result.accepted] == [f"o{n}" for n in chunk]
            accepted += result.accepted
            clock.advance(1)
        sends = [r for r in sb.received if r.form.get("Methods") == "SmsSend"]
        assert [len(r.form["PhoneNumbers"].split(",")) for r in sends] == [50, 50, 20]
        for recorded in sends:
            form = recorded.form
            expected = hashlib.md5((CORP + PASSWORD + form["TimeStamp"]).encode()).hexdigest()
            assert form["SecretKey"] == expected
            names = [name for name, _ in recorded.fields]
            assert names.index("Methods") < names.index("Content")
            assert form["Content"] == "验证码 123456"
        ids = [s.msg_id for s in accepted]
        assert len(set(ids)) == 120

        # Nothing is due before the delay, and looking does not consume anything.
        assert gw.pull_reports().reports == ()
        clock.advance(5)
        batches = [gw.pull_reports().reports for _ in range(3)]
        assert [len(b) for b in batches] == [50, 50, 20]
        reports = [r for batch in batches for r in batch]
        assert sorted(r.msg_id for r in reports) == sorted(ids)
        # The queue is consumed: the next pull returns nothing, again and again.
        assert gw.pull_reports().reports == ()
        assert gw.pull_reports().reports == ()

        by_number = {s.msg_id: s.number for s in accepted}
        failed = {by_number[r.msg_id] for r in reports if r.status is DeliveryStatus.FAILED}
        assert failed == {"13800000999", "13900000999"}
        assert {r.detail for r in reports if r.status is DeliveryStatus.FAILED} == {"UNDELIV"}
        delivered = [r for r in reports if r.status is DeliveryStatus.DELIVERED]
        assert len(delivered) == 118 and {r.detail for r in delivered} == {"DELIVRD"}
        assert all(r.time is not None and r.time.utcoffset() is not None for r in reports)
        # Oldest first: the first send's reports come out first.
        first_ids = {s.msg_id for s in accepted[:50]}
        assert {r.msg_id for r in batches[0]} == first_ids
        assert gw.get_balance().balance == str(100_000 - 120)
        gw.close()


def test_client_errors_come_back_decoded(sandbox: MobsetSandbox, clock: Clock) -> None:
    transport = sandbox.transport()
    wrong = MobsetClient(
        corp_id=CORP,
        login_name=LOGIN,
        password="not-it",
        base_url=URL,
        clock=clock,
        transport=transport,
    )
    with pytest.raises(GatewayError) as info:
        wrong.get_balance()
    assert info.value.code == "-2" and info.value.exit_code == ExitCode.AUTH
    assert info.value.message == (
        "gateway code -2: bad source IP or credentials (非法来源IP地址或帐号密码有误)"
    )

    gw = mobset_client(URL, clock, transport=transport)
    gw.clock_offset = 20 * 60 + 1
    with pytest.raises(GatewayError) as info:
        gw.get_balance()
    assert info.value.kind is ErrorKind.AUTH
    assert "TimeStamp" in (info.value.provider_message or "")
    gw.clock_offset = -(20 * 60)
    assert gw.get_balance().balance == "100000"

    gw.clock_offset = 0
    with pytest.raises(GatewayError) as info:
        gw.send(["123"], "hi")
    assert (info.value.code, info.value.kind) == ("-3", ErrorKind.INPUT)
    with pytest.raises(GatewayError) as info:
        gw.send(numbers(1), "SANDBOX:SENSITIVE")
    assert (info.value.code, info.value.kind) == ("-9", ErrorKind.INPUT)
    with pytest.raises(GatewayError) as info:
        gw.send(numbers(1), "SANDBOX:NOBALANCE")
    assert (info.value.code, info.value.kind) == ("-4", ErrorKind.BALANCE)
    assert gw.get_balance().balance == "100000"  # nothing charged


def test_scheduled_send_reports_after_its_time(sandbox: MobsetSandbox, clock: Clock) -> None:
    gw = mobset_client(URL, clock, transport=sandbox.transport())
    at = datetime.fromtimestamp(clock.now + 3600, UTC)
    gw.send(numbers(2), "later", at=at)
    assert sandbox.received[-1].form["TimerSend"] == "2026-09-21 23:13:20"
    clock.advance(3600 + 2)
    assert gw.pull_reports().reports == ()
    clock.advance(1)
    assert len(gw.pull_reports().reports) == 2


# -- raw protocol ----------------------------------------------------------------------------


def test_send_answer_shape(http: httpx.Client, clock: Clock) -> None:
    body = sms_send(http, clock, ["13800138000", "13800138001"])
    assert body["Code"] == 2 and body["Message"] == "发送成功"
    assert [set(d) for d in body["Details"]] == [{"SmsId", "PhoneNumber"}] * 2
    assert [d["PhoneNumber"] for d in body["Details"]] == ["13800138000", "13800138001"]
    ids = [d["SmsId"] for d in body["Details"]]
    assert all(isinstance(i, str) and re.fullmatch(r"\d{10}", i) for i in ids)
    assert int(ids[1]) == int(ids[0]) + 1


def test_report_answer_uses_lowercase_code_and_strings(http: httpx.Client, clock: Clock) -> None:
    sms_send(http, clock, ["13800138000", "13800130999"])
    clock.advance(3)
    body = get_report(http, clock)
    assert set(body) == {"code", "Message", "Details"}
    assert body["code"] == "2" and body["Message"] == "取短信状态报告成功"
    assert [(d["Status"], d["ExStatus"]) for d in body["Details"]] == [
        ("12", "DELIVRD"),
        ("13", "UNDELIV"),
    ]
    assert {d["ReportTime"] for d in body["Details"]} == {"2026-09-21 22:13:23"}
    assert get_report(http, clock) == {"code": "0", "Message": "取短信状态报告成功", "Details": []}


def test_never_reported_magic_number(http: httpx.Client, clock: Clock) -> None:
    sms_send(http, clock, ["13800000998", "13800000010"])
    clock.advance(10**6)
    assert get_report(http, clock)["code"] == "1"
    assert get_report(http, clock)["code"] == "0"


def test_report_pops_at_most_50(http: httpx.Client, clock: Clock) -> None:
    for _ in range(3):
        sms_send(http, clock, numbers(50))
    clock.advance(3)
    assert [get_report(http, clock)["code"] for _ in range(4)] == ["50", "50", "50", "0"]


def test_balance_answer_and_charging(http: httpx.Client, clock: Clock) -> None:
    balance = call(http, [*common(clock.now), ("Methods", "SmsGetBalance")])
    assert balance == {"Code": "100000", "Message": "取账号剩余短信量成功"}
    sms_send(http, clock, numbers(3), "x" * 70)  # one segment each
    sms_send(http, clock, numbers(2), "x" * 71)  # two segments each (67 per segment)
    sms_send(http, clock, numbers(1), "字" * 135)  # three segments
    balance = call(http, [*common(clock.now), ("Methods", "SmsGetBalance")])
    assert balance["Code"] == str(100_000 - 3 - 4 - 3)


def test_insufficient_balance_charges_nothing(tmp_path: Path, clock: Clock) -> None:
    with (
        MobsetSandbox(None, clock=clock, balance=2) as sb,
        httpx.Client(transport=sb.transport()) as c,
    ):
        assert sms_send(c, clock, numbers(3)) == {"Code": -4, "Message": "企业帐号余额不足"}
        assert sms_send(c, clock, numbers(2))["Code"] == 2
        assert sb.balance() == 0


@pytest.mark.parametrize("balance", [-1, 1.5, True, "10"])
def test_invalid_opening_balance(balance: Any) -> None:
    with pytest.raises(ValueError, match="balance"):
        MobsetSandbox(None, balance=balance)


@pytest.mark.parametrize(
    ("nums", "content", "code", "message"),
    [
        (numbers(51), "hi", -6, MESSAGES["too_many"]),
        (numbers(1), "x" * 901, -6, MESSAGES["too_long"]),
        (numbers(1), "🎉" * 451, -6, MESSAGES["too_long"]),  # 902 UTF-16 units
        (numbers(1), "", -1, "输入参数不完整(缺少Content)"),
        (numbers(1), "   ", -1, "输入参数不完整(缺少Content)"),
        ([], "hi", -1, "输入参数不完整(缺少PhoneNumbers)"),
        (["13800138000", ""], "hi", -3, "目标号码有误()"),
        (["+8613800138000"], "hi", -3, "目标号码有误(+8613800138000)"),
        (["12345"], "hi", -3, "目标号码有误(12345)"),
        (numbers(1), "SANDBOX:SENSITIVE", -9, "短信内容含有过滤关键字"),
        (numbers(1), "SANDBOX:NOBALANCE", -4, "企业帐号余额不足"),
    ],
)
def test_send_limits(
    sandbox: MobsetSandbox,
    http: httpx.Client,
    clock: Clock,
    nums: list[str],
    content: str,
    code: int,
    message: str,
) -> None:
    assert sms_send(http, clock, nums, content) == {"Code": code, "Message": message}
    assert sandbox.balance() == 100_000


@pytest.mark.parametrize("extra", [{"content": "x" * 900}, {"content": "🎉" * 450}, {"count": 50}])
def test_send_at_the_limits(http: httpx.Client, clock: Clock, extra: dict[str, Any]) -> None:
    body = sms_send(http, clock, numbers(extra.get("count", 1)), extra.get("content", "hi"))
    assert body["Code"] == extra.get("count", 1)


def test_magic_content_table() -> None:
    assert MAGIC_CONTENT == {"SANDBOX:SENSITIVE": -9, "SANDBOX:NOBALANCE": -4}


def test_methods_after_content_is_refused(http: httpx.Client, clock: Clock) -> None:
    fields = [
        *common(clock.now),
        ("PhoneNumbers", "13800138000"),
        ("Content", "hi"),
        ("Methods", "SmsSend"),
    ]
    assert call(http, fields) == {"Code": -1, "Message": MESSAGES["order"]}


@pytest.mark.parametrize("missing", ["CorpID", "LoginName", "TimeStamp", "SecretKey", "Methods"])
def test_missing_common_field_is_minus_1(http: httpx.Client, clock: Clock, missing: str) -> None:
    fields = [(k, v) for k, v in [*common(clock.now), ("Methods", "SmsGetReport")] if k != missing]
    assert call(http, fields) == {"Code": -1, "Message": f"输入参数不完整(缺少{missing})"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CorpID": "100001"}, MESSAGES["credentials"]),
        ({"LoginName": "someone"}, MESSAGES["credentials"]),
        ({"SecretKey": "0" * 32}, MESSAGES["credentials"]),
        ({"TimeStamp": "2026092122132"}, MESSAGES["timestamp"]),
        ({"TimeStamp": "20261321221320"}, MESSAGES["timestamp"]),
        ({"TimeStamp": "1790000000"}, MESSAGES["timestamp"]),
    ],
)
def test_bad_credentials_or_timestamp_are_minus_2(
    http: httpx.Client, clock: Clock, change: dict[str, str], message: str
) -> None:
    fields = [*common(clock.now, **change), ("Methods", "SmsGetBalance")]
    assert call(http, fields) == {"Code": -2, "Message": message}


def test_wrong_password_is_minus_2(http: httpx.Client, clock: Clock) -> None:
    fields = [*common(clock.now, password="guess"), ("Methods", "SmsGetBalance")]
    assert call(http, fields)["Code"] == -2


@pytest.mark.parametrize("offset", [-1201, 1201, -86400])
def test_timestamp_more_than_20_minutes_off(http: httpx.Client, clock: Clock, offset: int) -> None:
    fields = [*common(clock.now + offset), ("Methods", "SmsGetBalance")]
    assert call(http, fields) == {"Code": -2, "Message": MESSAGES["timestamp"]}


@pytest.mark.parametrize("offset", [-1200, 0, 1200])
def test_timestamp_within_20_minutes(http: httpx.Client, clock: Clock, offset: int) -> None:
    fields = [*common(clock.now + offset), ("Methods", "SmsGetBalance")]
    assert call(http, fields)["Code"] == "100000"


def test_timestamp_is_read_as_beijing_time(http: httpx.Client, clock: Clock) -> None:
    # T0 is 22:13:20 in Beijing; the same digits read as UTC would be 8 hours off.
    fields = [*common(clock.now, TimeStamp="20260921221320"), ("Methods", "SmsGetBalance")]
    assert call(http, fields)["Code"] == "100000"
    fields = [*common(clock.now, TimeStamp="20260921141320"), ("Methods", "SmsGetBalance")]
    assert call(http, fields)["Code"] == -2


def test_secret_key_any_case(http: httpx.Client, clock: Clock) -> None:
    fields = common(clock.now)
    fields[3] = ("SecretKey", fields[3][1].upper())
    assert call(http, [*fields, ("Methods", "SmsGetBalance")])["Code"] == "100000"


def test_unknown_method(http: httpx.Client, clock: Clock) -> None:
    fields = [*common(clock.now), ("Methods", "SmsDance")]
    assert call(http, fields) == {"Code": -1, "Message": MESSAGES["method"]}
    fields = [*common(clock.now), ("Methods", "SmsGetRecv")]
    assert call(http, fields) == {"Code": 0, "Message": "取上行短信成功", "Details": []}


def test_get_with_query_and_field_names_any_case(http: httpx.Client, clock: Clock) -> None:
    fields = [(k.lower(), v) for k, v in common(clock.now)]
    fields += [("methods", "SmsSend"), ("phonenumbers", "13800138000"), ("content", "你好 & ok")]
    response = http.get(URL, params=fields)
    assert response.json()["Code"] == 1


def test_non_utf8_body_is_minus_1(http: httpx.Client, clock: Clock) -> None:
    body = urlencode([*common(clock.now), ("Methods", "SmsSend")]).encode() + b"&Content=%C4%E3"
    response = http.post(URL, content=body)
    assert response.json()["Code"] == -1


def test_unicode_content_is_received_byte_exact(sandbox: MobsetSandbox, clock: Clock) -> None:
    content = '你好，世界! 🎉 a+b=c & d%20 "q" \n 100%'
    gw = mobset_client(URL, clock, transport=sandbox.transport())
    gw.send(["13800138000"], content)
    assert sandbox.received[-1].form["Content"] == content
    assert sandbox.received[-1].method == "POST"


@pytest.mark.parametrize("path", ["/SDK3/Sms", "/SDK3/SMS", "/sdk3/sms/", "/x/SDK3/SMS"])
def test_path_is_matched_by_its_end_in_any_case(
    http: httpx.Client, clock: Clock, path: str
) -> None:
    fields = [*common(clock.now), ("Methods", "SmsGetBalance")]
    assert call(http, fields, url=f"http://sb.test{path}")["Code"] == "100000"


@pytest.mark.parametrize("path", ["/SDK3", "/SDK3/SmsX", "/", "/v3/sendSms"])
def test_unknown_path_is_404_html(http: httpx.Client, path: str) -> None:
    response = http.post(f"http://sb.test{path}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_other_http_methods_are_405(http: httpx.Client) -> None:
    response = http.put(URL)
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"


def test_nothing_is_recorded_unless_asked(tmp_path: Path, clock: Clock) -> None:
    with MobsetSandbox(tmp_path, clock=clock) as sb, httpx.Client(transport=sb.transport()) as c:
        call(c, [*common(clock.now), ("Methods", "SmsGetBalance")])
        assert sb.received == []


def test_latency_is_applied() -> None:
    with MobsetSandbox(None, latency=0.05) as sb, httpx.Client(transport=sb.transport()) as c:
        started = time.monotonic()
        call(c, [*common(time.time()), ("Methods", "SmsGetBalance")])
        assert time.monotonic() - started >= 0.05


# -- state -----------------------------------------------------------------------------------


def test_state_dir_is_private_and_survives_a_new_instance(tmp_path: Path) -> None:
    clock = Clock()
    state = tmp_path / "a" / "state"
    with MobsetSandbox(state, clock=clock) as first, httpx.Client(transport=first.transport()) as c:
        sms_send(c, clock, numbers(4))
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    clock.advance(3)
    with (
        MobsetSandbox(state, clock=clock, balance=5) as second,
        httpx.Client(transport=second.transport()) as c,
    ):
        assert get_report(c, clock)["code"] == "4"
        assert second.balance() == 100_000 - 4  # the opening balance applies once


def test_two_instances_share_one_queue(tmp_path: Path) -> None:
    clock = Clock()
    first = MobsetSandbox(tmp_path, clock=clock, delivery_delay=0)
    second = MobsetSandbox(tmp_path, clock=clock, delivery_delay=0)
    with (
        httpx.Client(transport=first.transport()) as a,
        httpx.Client(transport=second.transport()) as b,
    ):
        ids = []
        for _ in range(3):
            ids += [d["SmsId"] for d in sms_send(a, clock, numbers(20))["Details"]]
            ids += [d["SmsId"] for d in sms_send(b, clock, numbers(20))["Details"]]
        assert len(set(ids)) == 120
        popped = []
        for client in (a, b, a, b):
            popped += [d["SmsId"] for d in get_report(client, clock)["Details"]]
    first.close()
    second.close()
    assert sorted(popped) == sorted(ids)


_PROCESS_SCRIPT = textwrap.dedent(
    """
    import json, pathlib, sys, time
    import httpx
    from smscli.gateways.mobset import MobsetClient
    from smscli.sandbox.mobset import MobsetSandbox
    sb = MobsetSandbox(pathlib.Path(sys.argv[1]), delivery_delay=0)
    gw = MobsetClient(corp_id="100000", login_name="sandbox", password="sandbox-password",
                      base_url="https://sb.test", transport=sb.transport())
    sent, pulled = [], []
    for _ in range(5):
        sent += [s.msg_id for s in gw.send([str(13800000000 + i * 10) for i in range(50)], "x")
                 .accepted]
        pulled += [r.msg_id for r in gw.pull_reports().reports]
    while True:
        batch = gw.pull_reports().reports
        if not batch:
            break
        pulled += [r.msg_id for r in batch]
    gw.close()
    sb.close()
    print(json.dumps({"sent": sent, "pulled": pulled}))
    """
)


def test_ids_and_reports_are_unique_across_processes(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _PROCESS_SCRIPT, str(tmp_path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    sent: list[str] = []
    pulled: list[str] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        result = json.loads(out)
        sent += result["sent"]
        pulled += result["pulled"]
    assert len(sent) == len(set(sent)) == 3 * 5 * 50
    # Every report handed out exactly once, whichever process pulled it.
    assert sorted(pulled) == sorted(sent)


# -- providers -------------------------------------------------------------------------------


def write_config(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


def test_open_gateway_for_mobset(isolated: Path) -> None:
    write_config(
        isolated / "config" / "config.toml",
        '[profiles.main]\nprovider = "mobset"\ncorp_id = "212345"\nlogin_name = "me"\n'
        'password = "pw"\ntimeout = 7\n',
    )
    profile = settings.load_profile("main", env={})
    gw = providers.open_gateway(profile)
    assert isinstance(gw, MobsetClient)
    assert gw.url == "https://sms2.mobset.com:843/SDK3/SMS"
    assert gw.report_mode == "queue" and not providers.is_sandbox(profile)
    gw.close()


def test_open_gateway_for_mobset_needs_its_keys(isolated: Path) -> None:
    write_config(
        isolated / "config" / "config.toml",
        '[profiles.main]\nprovider = "mobset"\ncorp_id = "112345"\nlogin_name = "me"\n',
    )
    with pytest.raises(ConfigError, match="no password") as info:
        providers.open_gateway(settings.load_profile("main", env={}))
    assert "smscli config set password -" in (info.value.hint or "")


def test_sandbox_mobset_in_process_keeps_state_in_the_data_dir(isolated: Path) -> None:
    write_config(
        isolated / "config" / "config.toml", '[profiles.play]\nprovider = "sandbox-mobset"\n'
    )
    profile = settings.load_profile("play", env={"SMSCLI_PASSWORD": "ignored"})
    assert providers.is_sandbox(profile)
    gw = providers.open_gateway(profile)
    assert isinstance(gw, MobsetClient)
    result = gw.send(["13800138000"], "hi")
    assert result.success == 1
    assert (isolated / "data" / "sandbox-mobset" / "mobset-sandbox.sqlite3").is_file()
    # A second "process" (a new client and sandbox on the same state) gets the report.
    later = providers.open_gateway(settings.load_profile("play", env={}))
    deadline = time.monotonic() + 10
    reports: tuple[Any, ...] = ()
    while not reports and time.monotonic() < deadline:
        time.sleep(0.2)
        reports = later.pull_reports().reports  # type: ignore[attr-defined]
    assert [r.msg_id for r in reports] == [result.accepted[0].msg_id]


def test_sandbox_mobset_over_http_with_base_url(isolated: Path) -> None:
    with MobsetSandbox(None) as sb, LoopbackServer(sb.handle) as server:
        write_config(
            isolated / "config" / "config.toml",
            f'[profiles.play]\nprovider = "sandbox-mobset"\nbase_url = "{server.url}"\n',
        )
        gw = providers.open_gateway(settings.load_profile("play", env={}))
        assert isinstance(gw, MobsetClient)
        assert gw.url == f"{server.url}/SDK3/Sms"
        assert gw.get_balance().balance == "100000"
        gw.close()
