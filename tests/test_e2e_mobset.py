"""smscli in a subprocess (`python -m smscli`) with a mobset profile, against the mobset sandbox
over real loopback HTTP: what reaches the wire (chunks, SecretKey, Beijing TimeStamp, field
order, UTF-8 bytes) and what the user sees (exit code, stdout, stderr). The child runs in Los
Angeles time, so a TimeStamp or TimerSend taken from the local clock would show."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest

from smscli.sandbox.mobset import (
    MOBSET_SANDBOX_CORP_ID,
    MOBSET_SANDBOX_LOGIN_NAME,
    MOBSET_SANDBOX_PASSWORD,
)
from tests.test_cli_mobset import MobsetFake, future_local, signed_now, write_mobset_profile

pytestmark = pytest.mark.e2e

# A scheduled time the --at bounds accept (within a year).
SOON = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%d 09:00")

BEIJING = timezone(timedelta(hours=8))
PASSWORD = MOBSET_SANDBOX_PASSWORD
CHINESE = "【测试】您的验证码是 4711，请勿泄露。谢谢！"


def run(
    *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smscli", *args],
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "America/Los_Angeles", **(env or {})},
        timeout=timeout,
        check=False,
    )


def no_password(done: subprocess.CompletedProcess[str]) -> None:
    assert PASSWORD not in done.stdout
    assert PASSWORD not in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[MobsetFake]:
    fake = MobsetFake(tmp_path / "gateway")
    write_mobset_profile(fake.url)
    yield fake
    fake.close()


def test_120_numbers_go_out_as_3_signed_sms_sends(gateway: MobsetFake) -> None:
    numbers = [str(8613800001000 + i) for i in range(120)]
    done = run("send", "-m", CHINESE, input="\n".join(numbers) + "\n")
    assert done.returncode == 0, done.stderr
    calls = gateway.calls()
    assert len(gateway.received) == 3
    assert sorted(len(c.form["PhoneNumbers"].split(",")) for c in calls) == [20, 50, 50]
    assert sorted(n for c in calls for n in c.form["PhoneNumbers"].split(",")) == numbers
    for call in calls:
        assert call.method == "POST"
        assert signed_now(call), call.form["TimeStamp"]
        # The documentation: Methods must not come after Content.
        assert call.body.index(b"Methods=SmsSend") < call.body.index(b"Content=")
        assert [name for name, _ in call.fields][:5] == [
            "CorpID",
            "LoginName",
            "TimeStamp",
            "SecretKey",
            "Methods",
        ]
        # Byte-exact UTF-8, form-encoded, and decoded back to the very same text.
        assert quote_plus(CHINESE, encoding="utf-8").encode("ascii") in call.body
        assert call.form["Content"] == CHINESE
        assert call.form["CorpID"] == MOBSET_SANDBOX_CORP_ID
        assert call.form["LoginName"] == MOBSET_SANDBOX_LOGIN_NAME
    header, *rows = done.stdout.splitlines()
    assert header.split("\t") == ["number", "msg_id", "order_id", "outcome", "error"]
    assert len(rows) == 120 and all(row.split("\t")[3] == "accepted" for row in rows)
    assert "120 accepted (3 requests" in done.stderr
    assert "warning" not in done.stderr  # plain http to loopback is fine
    no_password(done)


def test_timestamp_is_beijing_time_whatever_the_zone(gateway: MobsetFake) -> None:
    for zone in ("America/Los_Angeles", "Asia/Kolkata", "UTC"):
        done = run("balance", "-q", env={"TZ": zone})
        assert done.returncode == 0, done.stderr
    calls = gateway.calls("SmsGetBalance")
    # Each signed with a Beijing TimeStamp within a minute of now: 15-16 hours from the
    # child's local time in Los Angeles, 2.5 in Kolkata, 8 in UTC.
    assert len(calls) == 3 and all(signed_now(c) for c in calls)


def test_unknown_fields_and_lowercase_code_do_not_break_parsing(gateway: MobsetFake) -> None:
    def send_answer(body: dict[str, Any]) -> dict[str, Any]:
        details = [
            {"smsid": d["SmsId"], "phonenumber": d["PhoneNumber"], "Price": "0.05", "Extra": [1]}
            for d in body["Details"]
        ]
        return {"code": str(body["Code"]), "msg": "ok", "Details": details, "RequestId": 7}

    gateway.rewrites["SmsSend"] = send_answer
    gateway.rewrites["SmsGetBalance"] = lambda body: {
        "code": body["Code"],
        "Message": "ok",
        "Unit": "条",
        "Meta": {"v": 3},
    }
    done = run("send", "8613800000001", "8613800000002", "-m", CHINESE, "-o", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["outcome"] for r in rows] == ["accepted", "accepted"]
    assert all(r["msg_id"].isdigit() for r in rows)
    balance = run("balance", "--json")
    assert balance.returncode == 0, balance.stderr
    record = json.loads(balance.stdout)
    assert record["balance"].isdigit() and record["unit"] == "messages"


def test_sender_id_is_refused_and_nothing_sent(gateway: MobsetFake) -> None:
    done = run("send", "8613800000001", "-m", "hi", "--sender-id", "ACME")
    assert done.returncode == 2
    assert "mobset has no sender ID" in done.stderr
    assert done.stdout == ""
    assert gateway.received == []


def test_at_schedules_in_beijing_time(gateway: MobsetFake) -> None:
    target = future_local(days=10, hour=9)
    given = target.strftime("%Y-%m-%d %H:%M")
    done = run("send", "8613800000001", "-m", "hi", "--at", given, "-o", "json")
    assert done.returncode == 0, done.stderr
    (call,) = gateway.calls()
    assert call.form["TimerSend"] == target.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    assert f"Scheduled for {given}" in done.stderr


def test_at_in_the_past_is_refused(gateway: MobsetFake) -> None:
    done = run("send", "8613800000001", "-m", "hi", "--at", "2001-01-01 09:00")
    assert done.returncode == 2
    assert "in the past" in done.stderr
    assert gateway.received == []


def test_at_is_refused_for_v3() -> None:
    done = run("send", "-p", "sandbox", "447700900123", "-m", "hi", "--at", SOON)
    assert done.returncode == 2
    assert "scheduled sending is not supported by this provider" in done.stderr
    assert done.stdout == ""


def test_901_characters_are_refused(gateway: MobsetFake) -> None:
    done = run("send", "8613800000001", "-m", "好" * 901)
    assert done.returncode == 2
    assert "at most 900" in done.stderr
    assert gateway.received == []


def test_balance_and_its_threshold(gateway: MobsetFake) -> None:
    done = run("balance", "--json")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["balance"] == "100000" and record["unit"] == "messages"
    assert record["provider"] == "mobset"
    low = run("balance", "--below", "200000", "-q")
    assert low.returncode == 3
    assert low.stdout == "100000\n"
    assert "100000 messages is below 200000 messages" in low.stderr
    no_password(done)


def test_balance_unknown_to_the_gateway_is_not_supported(gateway: MobsetFake) -> None:
    gateway.rewrites["SmsGetBalance"] = lambda body: {
        "Code": -1,
        "Message": "输入参数不完整(Methods不支持)",
    }
    done = run("balance")
    assert done.returncode == 2
    assert "not supported by this provider" in done.stderr
    assert done.stdout == ""


def test_batch_with_two_contents_is_one_sms_send_per_content_and_chunk(
    gateway: MobsetFake, tmp_path: Path
) -> None:
    rows = [f"{8613800001000 + i},{CHINESE}" for i in range(60)]
    rows += [f"{8613800002000 + i},second message" for i in range(3)]
    path = tmp_path / "batch.csv"
    path.write_text("number,content\n" + "\n".join(rows) + "\n", encoding="utf-8")
    done = run("batch", str(path), "-o", "json")
    assert done.returncode == 0, done.stderr
    calls = gateway.calls()
    assert len(calls) == 3
    by_content: dict[str, list[int]] = {}
    for call in calls:
        by_content.setdefault(call.form["Content"], []).append(
            len(call.form["PhoneNumbers"].split(","))
        )
        assert signed_now(call)
    assert sorted(by_content[CHINESE]) == [10, 50]
    assert by_content["second message"] == [3]
    out = json.loads(done.stdout)
    assert len(out) == 63 and all(r["outcome"] == "accepted" for r in out)
    no_password(done)


def test_dry_run_hides_the_secret_key_and_never_shows_the_password(gateway: MobsetFake) -> None:
    numbers = ",".join(str(8613800001000 + i) for i in range(120))
    for fmt in ("json", "table"):
        done = run("send", numbers, "-m", CHINESE, "--dry-run", "-o", fmt, "-v")
        assert done.returncode == 0, done.stderr
        assert "<hidden>" in done.stdout + done.stderr
        no_password(done)
    plan = json.loads(run("send", numbers, "-m", "hi", "--dry-run", "-o", "json").stdout)
    assert [p["numbers"] for p in plan] == [50, 50, 20]
    assert all(p["body"]["SecretKey"] == "<hidden>" for p in plan)
    assert gateway.received == []


def test_verbose_send_never_shows_the_password(gateway: MobsetFake) -> None:
    done = run("send", "8613800000001", "-m", "hi", "-v")
    assert done.returncode == 0, done.stderr
    assert "SecretKey=<hidden>" in done.stderr
    no_password(done)


# -- the mobset sandbox, served and configured ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sandbox_serve_mobset_and_a_sandbox_profile_in_one_step() -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "smscli", "sandbox", "serve", "--mobset", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TZ": "America/Los_Angeles"},
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        init = run("config", "init", "--sandbox-mobset")
        assert init.returncode == 0, init.stderr
        url = f"http://127.0.0.1:{port}/SDK3/SMS"
        assert run("config", "set", "base_url", url).returncode == 0
        done = run("send", "8613800000001", "-m", CHINESE, "--json")
        assert done.returncode == 0, done.stderr
        assert '"outcome": "accepted"' in done.stdout
        assert "sandbox: simulated" in done.stderr
        balance = run("balance", "-q")
        assert balance.returncode == 0, balance.stderr
        assert int(balance.stdout) < 1_000_000
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/SDK3/SMS" in err
    assert MOBSET_SANDBOX_CORP_ID in err and MOBSET_SANDBOX_LOGIN_NAME in err
    assert PASSWORD not in err
    assert "Traceback" not in err


def test_config_init_mobset_from_a_script(tmp_path: Path) -> None:
    done = run(
        "config",
        "init",
        "--provider",
        "mobset",
        "--corp-id",
        "100001",
        "--login-name",
        "ops",
        "--password-stdin",
        input="pa55-wörd\n",
    )
    assert done.returncode == 0, done.stderr
    assert "pa55-wörd" not in done.stdout + done.stderr
    shown = run("config", "show", "-o", "json")
    assert shown.returncode == 0, shown.stderr
    values = {row["key"]: row["value"] for row in json.loads(shown.stdout)}
    assert values["provider"] == "mobset" and values["corp_id"] == "100001"
    assert values["password"] == "********"
    assert "pa55-wörd" not in shown.stdout + shown.stderr
    missing = run("config", "init", "-p", "other", "--provider", "mobset", "--corp-id", "100001")
    assert missing.returncode == 2
    assert "--login-name" in missing.stderr and "--password-stdin" in missing.stderr
