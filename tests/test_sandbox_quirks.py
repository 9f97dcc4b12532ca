"""The simulators' quirk modes (smscli.sandbox.quirks): each reshapes the answers as real
servers send them, and smscli's clients still reach the right verdict against them."""

from __future__ import annotations

import codecs
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from smscli.cli import app
from smscli.errors import GatewayError
from smscli.gateways.base import DeliveryStatus
from smscli.gateways.mobset import MobsetClient
from smscli.gateways.v3 import V3Client
from smscli.sandbox import quirks
from smscli.sandbox.mobset import (
    MOBSET_SANDBOX_CORP_ID,
    MOBSET_SANDBOX_LOGIN_NAME,
    MOBSET_SANDBOX_PASSWORD,
    MobsetSandbox,
)
from smscli.sandbox.v3 import Sandbox

NUMBERS = ["447700900123", "447700900124"]
runner = CliRunner()


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def v3(*names: str, clock: Clock | None = None) -> tuple[V3Client, list[httpx.Response]]:
    """A client of an in-memory sandbox with these quirks, and every raw answer it got."""
    clock = clock or Clock()
    sandbox = Sandbox(None, quirks=names, clock=clock, delivery_delay=1.0, balance="100")
    answers: list[httpx.Response] = []

    def handle(request: httpx.Request) -> httpx.Response:
        response = sandbox.handle(request)
        answers.append(response)
        return response

    client = V3Client(
        api_key="bDqJFiq9",
        api_secret="7bz1lzh9",
        app_id="4luaKsL2",
        base_url="https://sandbox.example/v3",
        transport=httpx.MockTransport(handle),
        clock=clock,
    )
    return client, answers


def test_quirk_names_are_checked() -> None:
    assert quirks.parse("bom, Numbers") == {"bom", "numbers"}
    assert quirks.parse(["bom", "gbk,no-credit"]) == {"bom", "gbk", "no-credit"}
    with pytest.raises(ValueError, match="unknown sandbox quirk nope"):
        quirks.parse("bom,nope")
    with pytest.raises(ValueError):
        Sandbox(None, quirks=["nope"])


def test_bom_and_numbers_still_send_and_report() -> None:
    clock = Clock()
    client, answers = v3("bom", "numbers", clock=clock)
    result = client.send(NUMBERS, "hi")
    assert answers[-1].content.startswith(codecs.BOM_UTF8)
    raw = json.loads(answers[-1].content.decode("utf-8-sig"))
    assert raw["status"] == 0 and isinstance(raw["array"][0]["msgId"], int)
    assert [s.number for s in result.accepted] == NUMBERS
    ids = [s.msg_id for s in result.accepted]
    assert [str(item["msgId"]) for item in raw["array"]] == ids  # 19 digits, exact
    clock.now += 5
    reports = client.get_report(ids).reports
    assert [r.status for r in reports] == [DeliveryStatus.DELIVERED] * 2
    balance = client.get_balance()
    assert balance.balance == "99.98"  # a JSON number: 99.9800 written as 99.98


@pytest.mark.parametrize("quirk", ["no-array", "lowercase-msgid", "plus-numbers", "order-id-null"])
def test_send_quirks(quirk: str) -> None:
    client, answers = v3(quirk)
    if quirk == "no-array":
        untracked = client.send(NUMBERS, "hi")
        assert untracked.accepted == () and untracked.untracked == tuple(NUMBERS)
        assert "array" not in answers[-1].json()
        return
    result = client.send(NUMBERS, "hi", order_ids=["a", "b"])
    assert [s.number for s in result.accepted] == NUMBERS
    assert all(len(s.msg_id) == 19 for s in result.accepted)
    item = answers[-1].json()["array"][0]
    if quirk == "lowercase-msgid":
        assert "msgid" in item and "msgId" not in item
    elif quirk == "plus-numbers":
        assert item["number"] == "+447700900123"
    else:
        assert item["orderId"] is None


@pytest.mark.parametrize("quirk", ["naive-time", "epoch-ms-time"])
def test_report_time_quirks(quirk: str) -> None:
    clock = Clock()
    client, answers = v3(quirk, clock=clock)
    ids = [s.msg_id for s in client.send(NUMBERS[:1], "hi").accepted]
    clock.now += 5
    (report,) = client.get_report(ids).reports
    raw_time = answers[-1].json()["array"][0]["receiveTime"]
    assert ("+" not in raw_time) if quirk == "naive-time" else raw_time.isdigit()
    assert report.time is not None and report.time.timestamp() == clock.now - 4


def test_no_credit_and_http_errors() -> None:
    client, answers = v3("no-credit", "http-errors")
    balance = client.get_balance()
    assert balance.credit is None and "credit" not in answers[-1].json()
    with pytest.raises(GatewayError) as caught:
        client.send(NUMBERS, "SANDBOX:SENSITIVE")
    assert answers[-1].status_code == 400
    assert caught.value.code == "-3" and "(HTTP 400)" in caught.value.message
    bad = V3Client(
        api_key="wrong",
        api_secret="x",
        app_id="4luaKsL2",
        base_url="https://sandbox.example/v3",
        transport=httpx.MockTransport(Sandbox(None, quirks=["http-errors"]).handle),
    )
    with pytest.raises(GatewayError) as denied:
        bad.get_balance()
    assert denied.value.code == "-1" and int(denied.value.exit_code) == 5


# -- mobset ------------------------------------------------------------------------------------


def mobset(*names: str, clock: Clock) -> tuple[MobsetClient, list[httpx.Response]]:
    sandbox = MobsetSandbox(None, quirks=names, clock=clock, delivery_delay=1.0)
    answers: list[httpx.Response] = []

    def handle(request: httpx.Request) -> httpx.Response:
        response = sandbox.handle(request)
        answers.append(response)
        return response

    client = MobsetClient(
        corp_id=MOBSET_SANDBOX_CORP_ID,
        login_name=MOBSET_SANDBOX_LOGIN_NAME,
        password=MOBSET_SANDBOX_PASSWORD,
        base_url="https://sandbox.example/SDK3/SMS",
        transport=httpx.MockTransport(handle),
        clock=clock,
    )
    return client, answers


def test_mobset_bom_gbk_numbers() -> None:
    clock = Clock()
    client, answers = mobset("bom", "gbk", "numbers", clock=clock)
    result = client.send(["8613800000001"], "你好")
    raw = answers[-1]
    assert raw.content.startswith(codecs.BOM_UTF8)
    assert "charset" not in raw.headers["content-type"]
    assert "发送成功".encode("gbk") in raw.content
    assert [s.msg_id for s in result.accepted] == ["1000000001"]
    clock.now += 5
    (report,) = client.pull_reports().reports
    assert (report.msg_id, report.status) == ("1000000001", DeliveryStatus.DELIVERED)


def test_mobset_decimal_balance_and_a_queue_that_repeats() -> None:
    clock = Clock()
    client, _ = mobset("decimal-balance", "repeat-reports", clock=clock)
    assert client.get_balance().balance == "100000.00"
    client.send(["8613800000001"], "hi")
    clock.now += 5
    first = client.pull_reports().reports
    assert first and client.pull_reports().reports == first  # handed out again


# -- switched on by users ----------------------------------------------------------------------


def test_profile_key_and_env_switch_the_in_process_sandbox_on() -> None:
    config = Path(os.environ["SMSCLI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.write_text(
        'default_profile = "s"\n[profiles.s]\nprovider = "sandbox"\n'
        'sandbox_quirks = "no-array"\n',
        encoding="utf-8",
    )
    config.chmod(0o600)
    sent = runner.invoke(app, ["send", "447700900123", "-m", "hi", "-o", "jsonl"])
    assert sent.exit_code == 3, sent.stderr  # sent without ids: not rejected
    row: dict[str, Any] = json.loads(sent.stdout)
    assert row["outcome"] == "accepted" and row["msg_id"] is None
    bad = runner.invoke(app, ["balance"], env={"SMSCLI_SANDBOX_QUIRKS": "nope"})
    assert bad.exit_code == 2 and "unknown sandbox quirk nope" in bad.stderr


def test_sandbox_serve_refuses_unknown_or_foreign_quirks() -> None:
    unknown = runner.invoke(app, ["sandbox", "serve", "--port", "0", "--quirk", "nope"])
    assert unknown.exit_code == 2 and "unknown sandbox quirk" in unknown.stderr
    foreign = runner.invoke(app, ["sandbox", "serve", "--port", "0", "--quirk", "gbk"])
    assert foreign.exit_code == 2 and "does not apply to the v3 simulator" in foreign.stderr
    listed = runner.invoke(app, ["sandbox", "quirks"])
    assert listed.exit_code == 0 and "no-credit" in listed.stdout and "gbk" in listed.stdout


@pytest.mark.parametrize("quirk", ["naive-time", "epoch-ms-time", "lowercase-msgid", "bom"])
def test_sent_records_keep_their_meaning_under_quirks(quirk: str) -> None:
    from datetime import UTC, datetime, timedelta

    clock = Clock()
    client, answers = v3(quirk, clock=clock)
    ids = [s.msg_id for s in client.send(NUMBERS[:1], "hi").accepted]
    clock.now += 5
    now = datetime.fromtimestamp(clock.now, UTC)
    page = client.get_sent_records(now - timedelta(hours=1), now + timedelta(minutes=1))
    (record,) = page.records
    assert record.msg_id == ids[0] and record.status is DeliveryStatus.DELIVERED
    raw = answers[-1].content.decode("utf-8-sig")
    item = json.loads(raw)["array"][0]
    if quirk == "naive-time":
        assert "+" not in item["receiveTime"]
    elif quirk == "epoch-ms-time":
        assert item["receiveTime"].isdigit()
    elif quirk == "lowercase-msgid":
        assert "msgid" in item
