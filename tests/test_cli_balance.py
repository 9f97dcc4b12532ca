"""`smscli balance` through the CLI against the fake gateway over real loopback HTTP."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from smscli import reads
from smscli.cli import app
from smscli.retry import RetryPolicy
from tests.fakes import FakeGateway, http_500, status, write_profile

runner = CliRunner()


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads, "QUERY_RETRY", RetryPolicy(3, base_delay=0.01, max_delay=0.05))


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[FakeGateway]:
    gw = FakeGateway(tmp_path / "gateway", balance="123.4500")
    url = gw.start()
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{url}/v3")
    yield gw
    gw.stop()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def with_low_balance(gateway: FakeGateway, threshold: str) -> None:
    assert gateway.server is not None
    write_profile(
        Path(os.environ["SMSCLI_CONFIG"]),
        f"{gateway.server.url}/v3",
        extra=f"low_balance = {threshold}\n",
    )


def test_json_is_one_object_with_the_gateways_strings(gateway: FakeGateway) -> None:
    result = invoke("balance", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "balance": "123.4500",
        "gift": "0.0000",
        "credit": "0.0000",
        "profile": "main",
        "provider": "laaffic",
    }


def test_tsv_when_piped(gateway: FakeGateway) -> None:
    result = invoke("balance")
    assert result.stdout.splitlines() == [
        "balance\tgift\tcredit\tprofile\tprovider",
        "123.4500\t0.0000\t0.0000\tmain\tlaaffic",
    ]


def test_table_is_key_value(gateway: FakeGateway) -> None:
    result = invoke("balance", "-o", "table")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any("Field" in line and "Value" in line for line in lines)
    assert any("balance" in line and "123.4500" in line for line in lines)
    assert any("provider" in line and "laaffic" in line for line in lines)


def test_quiet_prints_the_balance_only(gateway: FakeGateway) -> None:
    assert invoke("balance", "-q").stdout == "123.4500\n"


def test_low_balance_threshold_exits_3_with_a_warning(gateway: FakeGateway) -> None:
    with_low_balance(gateway, "200")
    result = invoke("balance", "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["balance"] == "123.4500"  # the data still goes out
    assert "warning: balance 123.4500 is below 200 (low_balance of profile 'main')" in (
        result.stderr
    )


def test_balance_at_the_threshold_is_not_low(gateway: FakeGateway) -> None:
    with_low_balance(gateway, "123.45")
    assert invoke("balance").exit_code == 0


@pytest.mark.parametrize(("below", "code"), [("50", 0), ("123.46", 3), ("1000", 3)])
def test_below_option(gateway: FakeGateway, below: str, code: int) -> None:
    result = invoke("balance", "--below", below)
    assert result.exit_code == code
    assert ("(--below)" in result.stderr) is (code == 3)


def test_below_overrides_the_profile(gateway: FakeGateway) -> None:
    with_low_balance(gateway, "500")
    assert invoke("balance", "--below", "10").exit_code == 0


def test_negative_below_is_a_usage_error(gateway: FakeGateway) -> None:
    result = invoke("balance", "--below", "-1")
    assert result.exit_code == 2
    assert gateway.received == []


@pytest.mark.parametrize(
    ("fault", "code", "fragment"),
    [
        (status("-1"), 5, "authentication failed"),
        (status("-13"), 5, "locked"),
        (status("-2"), 5, "IP address"),
    ],
)
def test_auth_errors_exit_5(gateway: FakeGateway, fault: Any, code: int, fragment: str) -> None:
    gateway.faults += [fault, fault]
    result = invoke("balance")
    assert result.exit_code == code
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert len(gateway.faults) == 1  # not retried


def test_server_errors_are_retried(gateway: FakeGateway) -> None:
    gateway.faults += [http_500, status("-18")]
    result = invoke("balance", "-q")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "123.4500\n"
    assert result.stderr.count("trying again") == 2


def test_persistent_server_error_exits_6(gateway: FakeGateway) -> None:
    gateway.faults += [http_500] * 3
    result = invoke("balance")
    assert result.exit_code == 6
    assert "HTTP 500" in result.stderr


def test_a_balance_that_is_not_a_number_cannot_be_compared(gateway: FakeGateway) -> None:
    def odd(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
        return httpx.Response(200, json={"status": "0", "balance": "n/a"})

    gateway.faults.append(odd)
    result = invoke("balance", "--below", "10")
    assert result.exit_code == 6  # an answer smscli cannot use (issue 10), not a rejection
    assert "is not a number" in result.stderr
    assert "Traceback" not in result.stderr


# --- mobset: a count of messages ------------------------------------------------------------


@pytest.fixture
def mobset(tmp_path: Path) -> Iterator[Any]:
    from tests.test_cli_mobset import MobsetFake, write_mobset_profile

    fake = MobsetFake(tmp_path / "mobset", balance=4321)
    write_mobset_profile(fake.url, extra="low_balance = 5000\n")
    yield fake
    fake.close()


def test_mobset_balance_is_a_count_of_messages(mobset: Any) -> None:
    result = invoke("balance", "--json", "--below", "10")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "balance": "4321",
        "unit": "messages",
        "gift": None,
        "credit": None,
        "profile": "main",
        "provider": "mobset",
    }
    assert "sandbox" not in result.stderr
    assert invoke("balance", "-q", "--below", "10").stdout == "4321\n"
    tsv = invoke("balance", "--below", "10").stdout.splitlines()
    assert tsv[0].split("\t")[:2] == ["balance", "unit"]


def test_mobset_low_balance_threshold_counts_messages(mobset: Any) -> None:
    result = invoke("balance")
    assert result.exit_code == 3
    assert (
        "balance 4321 messages is below 5000 messages (low_balance of profile 'main')"
        in result.stderr
    )


def test_mobset_balance_not_supported_exits_2(mobset: Any) -> None:
    mobset.rewrites["SmsGetBalance"] = lambda body: {
        "Code": -1,
        "Message": "输入参数不完整(Methods不支持)",
    }
    result = invoke("balance")
    assert result.exit_code == 2
    assert "not supported by this provider" in result.stderr
    assert result.stdout == ""
    assert len(mobset.calls("SmsGetBalance")) == 1  # not retried


def test_mobset_balance_auth_error_exits_5(mobset: Any) -> None:
    from tests.test_cli_mobset import write_mobset_profile

    config = write_mobset_profile(mobset.url)
    config.write_text(
        config.read_text(encoding="utf-8").replace("sandbox-password", "wr0ng-pw-777"),
        encoding="utf-8",
    )
    result = invoke("balance")
    assert result.exit_code == 5
    assert "wr0ng-pw-777" not in result.stderr
