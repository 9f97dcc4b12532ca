"""`smscli send` through the CLI against the fake gateway over real loopback HTTP."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smscli.cli import app
from tests.fakes import (
    FakeGateway,
    after_processing,
    drop,
    http_500,
    not_json,
    status,
    write_profile,
)

runner = CliRunner()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[FakeGateway]:
    gw = FakeGateway(tmp_path / "gateway", balance="100000")
    url = gw.start()
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{url}/v3")
    yield gw
    gw.stop()


def invoke(*args: str, input: str | None = None) -> object:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def test_send_two_numbers_prints_rows(gateway: FakeGateway) -> None:
    result = invoke("send", "447700900123,+44 7700 900124", "-m", "hello", "-o", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["number"] for r in rows] == ["447700900123", "447700900124"]
    assert all(r["outcome"] == "accepted" and len(r["msg_id"]) == 19 for r in rows)
    assert set(rows[0]) == {"number", "msg_id", "order_id", "outcome", "error"}
    assert "2 accepted" in result.stderr
    assert gateway.numbers_received() == ["447700900123", "447700900124"]


def test_auto_output_is_tsv_when_piped(gateway: FakeGateway) -> None:
    result = invoke("send", "447700900123", "-m", "hi")
    lines = result.stdout.splitlines()
    assert lines[0] == "number\tmsg_id\torder_id\toutcome\terror"
    assert lines[1].startswith("447700900123\t")


def test_quiet_prints_only_msg_ids(gateway: FakeGateway) -> None:
    result = invoke("send", "447700900123", "447700900124", "-m", "hi", "-q")
    ids = result.stdout.split()
    assert len(ids) == 2 and all(len(i) == 19 and i.isdigit() for i in ids)


def test_stdin_numbers_csv_output_and_unicode(gateway: FakeGateway) -> None:
    text = "Grüße 👋 — ünïcödé"
    result = invoke("send", "-m", text, "-o", "csv", input="447700900123\n\n447700900124\n")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "number,msg_id,order_id,outcome,error"
    assert "UCS-2" in result.stderr
    (sent,) = [r for r in gateway.received if r.path.endswith("sendSms")]  # type: ignore[attr-defined]
    assert text.encode("utf-8") in sent.body
    assert sent.json["content"] == text


def test_common_options_after_subcommand_and_order_ids(gateway: FakeGateway) -> None:
    result = invoke(
        "send",
        "447700900123",
        "447700900124",
        "-m",
        "hi",
        "-p",
        "main",
        "--order-id",
        "a1,a2",
        "--json",
    )
    rows = json.loads(result.stdout)
    assert [r["order_id"] for r in rows] == ["a1", "a2"]
    assert gateway.sends()[0]["orderId"] == "a1,a2"


def test_duplicates_sent_once_with_warning(gateway: FakeGateway) -> None:
    result = invoke("send", "447700900123", "+447700900123", "00447700900123", "-m", "hi")
    assert result.exit_code == 0
    assert "2 duplicate numbers dropped" in result.stderr
    assert gateway.numbers_received() == ["447700900123"]


def test_numbers_file_csv_from_spreadsheet(gateway: FakeGateway, tmp_path: Path) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_bytes(
        '\ufeffName,Phone,Note\r\n"Smith, J",+44 7700 900123,x\r\n'
        'Doe,447700900124,"a, b"\r\n'.encode()
    )
    result = invoke("send", "-f", str(csv_file), "-m", "hi", "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert gateway.numbers_received() == ["447700900123", "447700900124"]


def test_partial_rejection_exits_3(gateway: FakeGateway) -> None:
    result = invoke("send", "447700900123", "447700900997", "-m", "hi", "--json")
    assert result.exit_code == 3
    rows = {r["number"]: r for r in json.loads(result.stdout)}
    assert rows["447700900997"]["outcome"] == "rejected"
    assert "rejected" in rows["447700900997"]["error"]


def test_message_file_and_stdin_message(gateway: FakeGateway, tmp_path: Path) -> None:
    msg = tmp_path / "msg.txt"
    msg.write_text("from a file\n", encoding="utf-8")
    assert invoke("send", "447700900123", "--message-file", str(msg)).exit_code == 0
    assert invoke("send", "447700900124", "-m", "-", input="from stdin\n").exit_code == 0
    assert [b["content"] for b in gateway.sends()] == ["from a file", "from stdin"]


def test_dry_run_sends_nothing_and_hides_secrets(gateway: FakeGateway) -> None:
    numbers = ",".join(str(447700000000 + i) for i in range(1500))
    result = invoke("send", numbers, "-m", "hi", "--dry-run", "-o", "json")
    assert result.exit_code == 0
    plan = json.loads(result.stdout)
    assert [p["numbers"] for p in plan] == [1000, 500]
    assert plan[0]["body"]["content"] == "hi"
    assert plan[0]["headers"]["Sign"] == "<hidden>"
    everything = result.stdout + result.stderr
    assert "7bz1lzh9" not in everything and "bDqJFiq9" not in everything
    assert "GSM-7" in result.stderr and "nothing was sent" in result.stderr
    assert gateway.received == []


def test_verbose_logs_exchange_without_secrets(gateway: FakeGateway) -> None:
    result = invoke("send", "447700900123", "-m", "hi", "-v")
    assert "> POST http://127.0.0.1" in result.stderr
    assert "< 200" in result.stderr
    assert "7bz1lzh9" not in result.stderr and "bDqJFiq9" not in result.stderr
    assert "Sign=<hidden>" in result.stderr


@pytest.mark.parametrize(
    ("args", "input", "fragment"),
    [
        (["send", "447700900123", "12ab", "-m", "hi"], None, "'12ab' has letters"),
        (["send", "12345", "-m", "hi"], None, "too short"),
        (["send", "447700900123", "-m", "   "], None, "empty"),
        (["send", "447700900123", "-m", "x" * 1025], None, "at most 1024"),
        (["send", "447700900123", "-m", "hi", "--sender-id", "S" * 33], None, "at most 32"),
        (["send", "447700900123", "-m", "hi", "--order-id", "a,b"], None, "counts must match"),
        (["send", "-m", "hi"], "", "no numbers found"),
        (["send", "447700900123"], None, "no message given"),
        (["send", "447700900123", "-m", "hi", "--message-file", "x"], None, "not both"),
        (["send", "447700900123", "-m", "hi", "-o", "xml"], None, "unknown output format"),
        (
            ["send", "447700900123", "-m", "hi", "-f", "/nonexistent/n.txt"],
            None,
            "/nonexistent/n.txt",
        ),
        (["send", "-m", "-"], "hi", "stdin cannot carry both"),
    ],
)
def test_bad_input_exits_2_and_sends_nothing(
    gateway: FakeGateway, args: list[str], input: str | None, fragment: str
) -> None:
    result = invoke(*args, input=input)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert gateway.received == []


def test_many_bad_numbers_listed_then_counted(gateway: FakeGateway) -> None:
    lines = "\n".join(["447700900123"] + [f"bad{i}" for i in range(25)])
    result = invoke("send", "-m", "hi", input=lines)
    assert result.exit_code == 2
    assert "stdin line 2: 'bad0'" in result.stderr
    assert "5 more" in result.stderr
    assert gateway.received == []


def test_mistyped_subcommand_sends_nothing(gateway: FakeGateway) -> None:
    result = runner.invoke(app, ["sned", "447700900123", "-m", "hi"])
    assert result.exit_code == 2
    assert gateway.received == []


@pytest.mark.parametrize(
    ("fault", "code", "fragment"),
    [
        (status("-10"), 1, "insufficient balance"),
        (status("-1"), 5, "authentication failed"),
        (status("-31"), 5, "whitelist"),
        (http_500, 6, "HTTP 500"),
        (not_json, 6, "not JSON"),
        (drop, 6, "connection"),
        (after_processing(drop), 6, "outcome of 1 number is unknown"),
    ],
)
def test_gateway_failures_give_exit_code_and_one_clear_line(
    gateway: FakeGateway, fault: object, code: int, fragment: str
) -> None:
    gateway.faults.append(fault)  # type: ignore[arg-type]
    result = invoke("send", "447700900123", "-m", "hi")
    assert result.exit_code == code, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert "7bz1lzh9" not in result.stderr


def test_unknown_outcome_is_never_resent(gateway: FakeGateway) -> None:
    gateway.faults.append(after_processing(http_500))
    numbers = ",".join(str(447700000000 + i) for i in range(1200))
    result = invoke("send", numbers, "-m", "hi", "--json")
    assert result.exit_code == 6
    rows = json.loads(result.stdout)
    # Whatever finished before the failure is reported; the rest is unknown or not sent,
    # and no number reached the gateway twice.
    received = gateway.numbers_received()
    assert len(received) == len(set(received))
    assert {r["outcome"] for r in rows} <= {"accepted", "unknown", "rejected", "not_sent"}
    assert "unknown, the gateway may have" in result.stderr


def test_connection_refused_is_not_sent(tmp_path: Path) -> None:
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), "http://127.0.0.1:9/v3")
    result = invoke("send", "447700900123", "-m", "hi", "--json")
    assert result.exit_code == 6
    assert "could not connect" in result.stderr
    assert json.loads(result.stdout)[0]["error"].startswith("not sent")
