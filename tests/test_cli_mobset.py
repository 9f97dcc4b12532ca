"""`send` and `balance` with a mobset profile, through the CLI (CliRunner) against the mobset
sandbox over real loopback HTTP; plus `--at` parsing and scheduling (smscli.providers).

`MobsetFake` and `write_mobset_profile` are shared with test_e2e_mobset.py."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx
import pytest
from typer.testing import CliRunner

from smscli.cli import app
from smscli.errors import NotSupported, UsageError
from smscli.gateways.mobset import MobsetClient
from smscli.providers import scheduled
from smscli.sandbox.loopback import LoopbackServer
from smscli.sandbox.mobset import (
    MOBSET_SANDBOX_CORP_ID,
    MOBSET_SANDBOX_LOGIN_NAME,
    MOBSET_SANDBOX_PASSWORD,
    MobsetSandbox,
)
from smscli.sandbox.mobset_wire import RecordedRequest
from smscli.timeparse import describe_at, parse_at
from tests.fakes import FakeGateway, write_profile

runner = CliRunner()

# A scheduled time the --at bounds accept (within a year).
SOON = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%d 09:00")

BEIJING = timezone(timedelta(hours=8))
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
PASSWORD = MOBSET_SANDBOX_PASSWORD

# Methods -> a rewrite of the sandbox's JSON answer (the sandbox has processed the request).
Rewrite = Callable[[dict[str, Any]], dict[str, Any]]


class MobsetFake:
    """The mobset sandbox (recording) behind a real socket on 127.0.0.1, with per-method
    rewrites of its answers to imitate other gateway dialects."""

    def __init__(self, state_dir: Path, **options: Any) -> None:
        self.sandbox = MobsetSandbox(state_dir, record=True, delivery_delay=0, **options)
        self.rewrites: dict[str, Rewrite] = {}
        self.server = LoopbackServer(self.handle).start()
        self.url = f"{self.server.url}/SDK3/SMS"

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self.sandbox.handle(request)
        fields = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        rewrite = self.rewrites.get(fields.get("Methods", ""))
        if rewrite is None:
            return response
        body = rewrite(json.loads(response.content))
        return httpx.Response(
            200,
            content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )

    @property
    def received(self) -> list[RecordedRequest]:
        return list(self.sandbox.received)

    def calls(self, method: str = "SmsSend") -> list[RecordedRequest]:
        return [r for r in self.sandbox.received if r.form.get("Methods") == method]

    def close(self) -> None:
        self.server.shutdown()
        self.sandbox.close()


def write_mobset_profile(
    base_url: str, *, provider: str = "mobset", name: str = "main", extra: str = ""
) -> Path:
    """A mobset profile with the sandbox's credentials (plain http is allowed to loopback)."""
    config = Path(os.environ["SMSCLI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.write_text(
        f'default_profile = "{name}"\n[profiles.{name}]\nprovider = "{provider}"\n'
        f'corp_id = "{MOBSET_SANDBOX_CORP_ID}"\nlogin_name = "{MOBSET_SANDBOX_LOGIN_NAME}"\n'
        f'password = "{PASSWORD}"\nbase_url = {json.dumps(base_url)}\n{extra}',
        encoding="utf-8",
    )
    config.chmod(0o600)
    return config


def signed_now(request: RecordedRequest, *, within: float = 60.0) -> bool:
    """SecretKey = md5(CorpID + Password + TimeStamp), TimeStamp Beijing time close to now."""
    form = request.form
    stamp = form["TimeStamp"]
    expected = hashlib.md5(f"{form['CorpID']}{PASSWORD}{stamp}".encode()).hexdigest()
    sent = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING)
    return form["SecretKey"].lower() == expected and abs(sent.timestamp() - time.time()) < within


def future_local(days: int = 30, hour: int = 9) -> datetime:
    """A whole hour some days ahead, in Los Angeles time."""
    ahead = datetime.now(LOS_ANGELES) + timedelta(days=days)
    return ahead.replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[MobsetFake]:
    fake = MobsetFake(tmp_path / "gateway")
    write_mobset_profile(fake.url)
    yield fake
    fake.close()


@pytest.fixture
def los_angeles() -> Iterator[None]:
    """This process's local zone far from Beijing, so a local-time bug cannot hide."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TZ", "America/Los_Angeles")
        time.tzset()
        try:
            yield
        finally:
            mp.undo()
            time.tzset()


def invoke(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def no_password(result: Any) -> None:
    assert PASSWORD not in result.stdout
    assert PASSWORD not in result.stderr


# -- send --------------------------------------------------------------------------------------


def test_send_rows_as_for_v3(gateway: MobsetFake) -> None:
    result = invoke("send", "8613800000001,8613800000002", "-m", "你好", "-o", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["number"] for r in rows] == ["8613800000001", "8613800000002"]
    assert all(r["outcome"] == "accepted" and r["msg_id"].isdigit() for r in rows)
    assert set(rows[0]) == {"number", "msg_id", "order_id", "outcome", "error"}
    assert "2 accepted" in result.stderr and "(mobset)" in result.stderr
    assert "sandbox" not in result.stderr
    (call,) = gateway.calls()
    assert signed_now(call)
    no_password(result)


def test_120_numbers_go_out_in_chunks_of_50(gateway: MobsetFake) -> None:
    numbers = [str(8613800001000 + i) for i in range(120)]
    result = invoke("send", "-m", "hi", "-q", input="\n".join(numbers) + "\n")
    assert result.exit_code == 0, result.stderr
    assert "in 3 requests" in result.stderr
    sizes = sorted(len(c.form["PhoneNumbers"].split(",")) for c in gateway.calls())
    assert sizes == [20, 50, 50]
    assert len(result.stdout.split()) == 120


@pytest.mark.parametrize(
    "args",
    [
        ["--sender-id", "ACME"],
        [],  # the profile's sender_id
    ],
)
def test_sender_id_is_refused_before_anything_is_sent(gateway: MobsetFake, args: list[str]) -> None:
    if not args:
        write_mobset_profile(gateway.url, extra='sender_id = "ACME"\n')
    result = invoke("send", "8613800000001", "-m", "hi", *args)
    assert result.exit_code == 2, result.stderr
    assert "mobset has no sender ID" in result.stderr
    assert gateway.received == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("x" * 901, "at most 900"),
        ("x" * 899 + "😀", "an emoji counts as 2"),
    ],
)
def test_over_900_characters_is_refused(gateway: MobsetFake, text: str, fragment: str) -> None:
    result = invoke("send", "8613800000001", "-m", text)
    assert result.exit_code == 2, result.stderr
    assert fragment in result.stderr
    assert gateway.received == []


def test_900_characters_are_sent(gateway: MobsetFake) -> None:
    result = invoke("send", "8613800000001", "-m", "好" * 900)
    assert result.exit_code == 0, result.stderr
    assert gateway.calls()[0].form["Content"] == "好" * 900


def test_at_schedules_in_beijing_time(gateway: MobsetFake, los_angeles: None) -> None:
    target = future_local()
    given = target.strftime("%Y-%m-%d %H:%M")
    result = invoke("send", "8613800000001", "-m", "hi", "--at", given, "-o", "json")
    assert result.exit_code == 0, result.stderr
    (call,) = gateway.calls()
    assert call.form["TimerSend"] == target.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    assert f"Scheduled for {given}" in result.stderr
    assert json.loads(result.stdout)[0]["outcome"] == "accepted"


def test_at_with_an_explicit_offset(gateway: MobsetFake, los_angeles: None) -> None:
    day = (datetime.now(BEIJING) + timedelta(days=3)).strftime("%Y-%m-%d")
    result = invoke("send", "8613800000001", "-m", "hi", "--at", f"{day}T12:00+08:00")
    assert result.exit_code == 0, result.stderr
    assert gateway.calls()[0].form["TimerSend"] == f"{day} 12:00:00"
    utc = invoke("send", "8613800000002", "-m", "hi", "--at", f"{day} 04:00Z")
    assert utc.exit_code == 0, utc.stderr
    assert gateway.calls()[1].form["TimerSend"] == f"{day} 12:00:00"


def test_at_shows_in_the_dry_run(gateway: MobsetFake, los_angeles: None) -> None:
    target = future_local()
    given = target.strftime("%Y-%m-%d %H:%M")
    result = invoke("send", "8613800000001", "-m", "hi", "--at", given, "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.stderr
    (plan,) = json.loads(result.stdout)
    expected = target.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    assert plan["body"]["TimerSend"] == expected
    assert "Scheduled for" in result.stderr
    table = invoke("send", "8613800000001", "-m", "hi", "--at", given, "--dry-run", "-o", "table")
    assert f'"TimerSend": "{expected}"' in table.stderr
    assert gateway.received == []


@pytest.mark.parametrize(
    ("at", "fragment"),
    [
        ("2020-01-01 09:00", "is in the past"),
        ("tomorrow", "is not a date and time"),
        ("2026-12-01", "is not a date and time"),
        ("2030-02-30 09:00", "not a valid date"),
    ],
)
def test_bad_or_past_at_is_refused(gateway: MobsetFake, at: str, fragment: str) -> None:
    result = invoke("send", "8613800000001", "-m", "hi", "--at", at)
    assert result.exit_code == 2, result.stderr
    assert fragment in result.stderr
    assert gateway.received == []


def test_at_is_refused_for_v3(tmp_path: Path) -> None:
    v3 = FakeGateway(tmp_path / "v3")
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{v3.start()}/v3")
    try:
        result = invoke("send", "447700900123", "-m", "hi", "--at", SOON)
        assert result.exit_code == 2, result.stderr
        assert "scheduled sending is not supported by this provider" in result.stderr
        assert v3.received == []
    finally:
        v3.stop()


def test_at_does_not_go_with_resume(gateway: MobsetFake) -> None:
    result = invoke("send", "--resume", "1", "--at", SOON)
    assert result.exit_code == 2
    assert "--at does not go with --resume" in result.stderr


def test_dry_run_hides_the_secret_key_and_the_password(gateway: MobsetFake) -> None:
    numbers = ",".join(str(8613800001000 + i) for i in range(120))
    result = invoke("send", numbers, "-m", "hi", "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [p["numbers"] for p in plan] == [50, 50, 20]
    assert plan[0]["body"]["SecretKey"] == "<hidden>"
    assert list(plan[0]["body"])[:5] == ["CorpID", "LoginName", "TimeStamp", "SecretKey", "Methods"]
    assert "TimerSend" not in plan[0]["body"]
    no_password(result)
    table = invoke("send", numbers, "-m", "hi", "--dry-run", "-o", "table")
    assert '"SecretKey": "<hidden>"' in table.stderr
    no_password(table)
    assert gateway.received == []


def test_verbose_hides_the_secret_key_and_the_password(gateway: MobsetFake) -> None:
    result = invoke("send", "8613800000001", "-m", "hi", "-v")
    assert result.exit_code == 0, result.stderr
    assert "SecretKey=<hidden>" in result.stderr
    no_password(result)


def test_plain_http_warning_is_shown_once(gateway: MobsetFake) -> None:
    write_mobset_profile("http://sms.mobset.com:8095/SDK3/Sms")
    numbers = ",".join(str(8613800001000 + i) for i in range(120))
    result = invoke("send", numbers, "-m", "hi", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("plain HTTP") == 1


def test_loopback_http_gives_no_warning(gateway: MobsetFake) -> None:
    result = invoke("send", "8613800000001", "-m", "hi")
    assert "warning" not in result.stderr


def test_accepted_without_ids_exits_3_and_is_never_resent(gateway: MobsetFake) -> None:
    gateway.rewrites["SmsSend"] = lambda body: {"Code": body["Code"], "Message": "发送成功"}
    result = invoke("send", "8613800000001,8613800000002", "-m", "hi", "-o", "json")
    assert result.exit_code == 3, result.stderr
    rows = json.loads(result.stdout)
    # Sent (so never resent), but with nothing to track them by.
    assert all(r["outcome"] == "accepted" and r["msg_id"] is None for r in rows)
    assert all("gave no message id" in r["error"] for r in rows)
    assert "2 accepted" in result.stderr
    assert "do not send them again" in result.stderr
    assert len(gateway.calls()) == 1
    again = invoke("send", "--resume", "1")
    assert "nothing left to send" in again.stderr
    assert len(gateway.calls()) == 1


def test_lowercase_code_and_unknown_fields_in_answers(gateway: MobsetFake) -> None:
    def odd(body: dict[str, Any]) -> dict[str, Any]:
        details = [{**d, "Fee": 1, "Extra": {"x": [1]}} for d in body["Details"]]
        return {"code": str(body["Code"]), "message": "ok", "Details": details, "TraceId": "t"}

    gateway.rewrites["SmsSend"] = odd
    result = invoke("send", "8613800000001,8613800000002", "-m", "hi", "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["outcome"] for r in json.loads(result.stdout)] == ["accepted", "accepted"]


@pytest.mark.parametrize(
    ("code", "exit_code", "fragment"),
    [("-2", 5, "-2"), ("-4", 1, "-4"), ("-9", 1, "-9")],
)
def test_gateway_errors_exit_codes(
    gateway: MobsetFake, code: str, exit_code: int, fragment: str
) -> None:
    gateway.rewrites["SmsSend"] = lambda body: {"Code": int(code), "Message": "错误"}
    result = invoke("send", "8613800000001", "-m", "hi", "-o", "json")
    assert result.exit_code == exit_code, result.stderr
    assert fragment in result.stderr
    assert json.loads(result.stdout)[0]["outcome"] == "rejected"
    no_password(result)


# -- the mobset sandbox provider ---------------------------------------------------------------


def test_sandbox_mobset_profile_says_simulated(tmp_path: Path) -> None:
    config = Path(os.environ["SMSCLI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[profiles.play]\nprovider = "sandbox-mobset"\n', encoding="utf-8")
    config.chmod(0o600)
    sent = invoke("send", "8613800000001", "-m", "hi", "-o", "json")
    assert sent.exit_code == 0, sent.stderr
    assert "sandbox: simulated" in sent.stderr
    balance = invoke("balance", "-o", "json")
    assert balance.exit_code == 0, balance.stderr
    assert json.loads(balance.stdout)["unit"] == "messages"
    assert "sandbox: simulated" in balance.stderr


# -- --at parsing (smscli.providers) ---------------------------------------------------------

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_parse_at_local_time_is_aware(los_angeles: None) -> None:
    at = parse_at("2026-12-01 09:00", now=NOW)
    assert at.utcoffset() == timedelta(hours=-8)
    assert at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") == "2026-12-02 01:00"
    summer = parse_at("2026-07-01T9:30:15", now=NOW)
    assert summer.utcoffset() == timedelta(hours=-7) and summer.second == 15


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("2026-12-01 09:00Z", timedelta(0)),
        ("2026-12-01 09:00 UTC", timedelta(0)),
        ("2026-12-01T09:00+08:00", timedelta(hours=8)),
        ("2026-12-01 09:00 -0530", timedelta(hours=-5, minutes=-30)),
    ],
)
def test_parse_at_explicit_offsets(text: str, offset: timedelta) -> None:
    at = parse_at(text, now=NOW)
    assert at.utcoffset() == offset
    assert (at.hour, at.minute) == (9, 0)


def test_parse_at_refuses_the_past_and_now() -> None:
    with pytest.raises(UsageError, match="in the past"):
        parse_at("2026-06-01 12:00Z", now=NOW)
    assert parse_at("2026-06-01 12:01Z", now=NOW) > NOW


def test_describe_at() -> None:
    assert describe_at(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == "2026-12-01 09:00 UTC"
    shown = describe_at(datetime(2026, 12, 1, 9, 0, 5, tzinfo=BEIJING))
    assert shown == "2026-12-01 09:00:05 UTC+08:00"
    assert describe_at(datetime(2026, 12, 1, 9, tzinfo=LOS_ANGELES)) == (
        "2026-12-01 09:00 PST (UTC-08:00)"
    )


def test_scheduled_wraps_only_gateways_that_take_at(tmp_path: Path) -> None:
    from smscli.gateways.v3 import V3Client

    at = datetime(2099, 1, 1, 9, tzinfo=UTC)
    v3 = V3Client(api_key="k", api_secret="s", app_id="a", base_url="https://x.invalid/v3")
    with pytest.raises(NotSupported, match="scheduled sending is not supported"):
        scheduled(v3, at)
    v3.close()
    with MobsetSandbox(None) as sandbox:
        client = MobsetClient(
            corp_id=MOBSET_SANDBOX_CORP_ID,
            login_name=MOBSET_SANDBOX_LOGIN_NAME,
            password=PASSWORD,
            transport=sandbox.transport(),
        )
        assert client.can_schedule and not v3.can_schedule
        wrapped = scheduled(client, at)
        # The wrapper declares what the client does, and follows its learnt clock.
        assert (wrapped.report_mode, wrapped.multi_content) == ("queue", False)
        client.clock_offset = 120.0
        assert wrapped.clock_offset == 120.0
        client.clock_offset = 0.0
        assert (wrapped.name, wrapped.max_numbers_per_send, wrapped.max_sender_id) == (
            "mobset",
            50,
            0,
        )
        plan = wrapped.plan_send(["8613800000001"], "hi")
        assert plan.body["TimerSend"] == "2099-01-01 17:00:00"
        result = wrapped.send(["8613800000001"], "hi")
        assert result.success == 1
        with pytest.raises(NotSupported):
            wrapped.send_batch([])
        wrapped.close()


def test_sandbox_reset_forgets_both_simulators(tmp_path: Path) -> None:
    data = Path(os.environ["SMSCLI_DATA_DIR"])
    assert "no state yet" in invoke("sandbox", "reset", "-y").stderr
    config = Path(os.environ["SMSCLI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[profiles.play]\nprovider = "sandbox-mobset"\n', encoding="utf-8")
    config.chmod(0o600)
    assert invoke("send", "8613800000001", "-m", "hi").exit_code == 0
    assert invoke("send", "-p", "sandbox", "447700900123", "-m", "hi").exit_code == 0
    assert (data / "sandbox").is_dir() and (data / "sandbox-mobset").is_dir()
    result = invoke("sandbox", "reset", "-y")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("sandbox state deleted") == 2
    assert not (data / "sandbox").exists() and not (data / "sandbox-mobset").exists()


def test_sandbox_serve_help_mentions_mobset() -> None:
    result = invoke("sandbox", "serve", "--help")
    assert result.exit_code == 0
    assert "--mobset" in result.stdout and "/SDK3/SMS" in result.stdout
