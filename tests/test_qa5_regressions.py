"""Leftovers of issue 11 named by the QA pass (notes/qa1.md, "Remaining gaps"), one named
test each: control characters in order ids, one-line errors for names holding a line break,
duplicate JSON keys in batch rows, and "it"/"them" in summaries and resume hints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smscli.cli import app
from tests.edges import EdgeGateway, numbers, only_job, point_profile_at
from tests.fakes import drop, status

runner = CliRunner()


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[EdgeGateway]:
    gw = EdgeGateway(tmp_path / "gateway")
    point_profile_at(gw, extra="concurrency = 1\n")
    yield gw
    gw.stop()


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# --- 1. order ids ---------------------------------------------------------------------------


def test_an_order_id_option_with_a_control_character_is_refused(gateway: EdgeGateway) -> None:
    one, two = numbers(2)
    result = invoke("send", f"{one},{two}", "-m", "hi", "--order-id", "ok,a\x1bb", "-y")
    assert result.exit_code == 2, result.stderr
    assert "--order-id: id 2 ('a\\x1bb') has a control character (U+001B)" in result.stderr
    assert gateway.gw.received == []


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("rows.csv", 'number,content,order_id\n{n},hi,"a\nb"\n', "line 2"),
        ("rows.tsv", "number\tcontent\torder_id\n{n}\thi\ta\x07b\n", "line 2"),
        ("rows.jsonl", '{{"number": "{n}", "content": "hi", "order_id": "a\\u000bb"}}\n', "line 1"),
        ("rows.json", '[{{"number": "{n}", "content": "hi", "order_id": "a\\rb"}}]', "element 1"),
    ],
    ids=["csv-newline", "tsv-bell", "jsonl-vt", "json-cr"],
)
def test_a_batch_order_id_with_a_control_character_is_refused(
    gateway: EdgeGateway, tmp_path: Path, name: str, text: str, where: str
) -> None:
    path = tmp_path / name
    path.write_text(text.format(n=numbers(1)[0]), encoding="utf-8")
    result = invoke("batch", str(path), "-y")
    assert result.exit_code == 2, result.stderr
    assert f"{where}: order id " in result.stderr
    assert "has a control character (U+00" in result.stderr
    assert gateway.gw.received == []


# --- 2. one-line errors ---------------------------------------------------------------------


@pytest.mark.parametrize("how", ["option", "env", "option-after"])
def test_a_profile_name_with_a_line_break_is_one_escaped_line(
    gateway: EdgeGateway, how: str
) -> None:
    name = "ma\nin"
    args = ["send", numbers(1)[0], "-m", "hi", "-y"]
    env = None
    if how == "option":
        args = ["-p", name, *args]
    elif how == "option-after":
        args = [*args, "-p", name]
    else:
        env = {"SMSCLI_PROFILE": name}
    result = invoke(*args, env=env)
    assert result.exit_code == 2, result.stderr
    assert "invalid profile name 'ma\\nin'" in result.stderr
    assert "has a control character (U+000A)" in result.stderr
    # Every line of the message starts as an error or an indented hint: none is the name's tail.
    assert all(line.startswith(("error:", "  ")) for line in result.stderr.splitlines())
    assert gateway.gw.received == []


def test_config_commands_echo_odd_names_escaped(gateway: EdgeGateway) -> None:
    for args in (
        ["config", "set", "sender_id", "X", "--profile", "a\nb"],
        ["config", "use", "a\nb"],
        ["config", "set", "fo\no", "1"],
        ["-p", "a\tb", "balance"],
    ):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert all(line.startswith(("error:", "  ")) for line in result.stderr.splitlines()), (
            args,
            result.stderr,
        )
        assert len(_error_lines(result.stderr)) == 1


def test_a_template_placeholder_with_a_line_break_is_one_escaped_line(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(f"number,name\n{numbers(1)[0]},Ann\n", encoding="utf-8")
    result = invoke("batch", str(path), "-m", "hi {na\nme}", "-y")
    assert result.exit_code == 2, result.stderr
    assert "the message template uses {na\\nme}" in result.stderr
    assert all(line.startswith(("error:", "  ")) for line in result.stderr.splitlines())
    assert gateway.gw.received == []


# --- 3. duplicate JSON keys -----------------------------------------------------------------


def test_a_jsonl_row_with_a_duplicate_key_is_refused(gateway: EdgeGateway, tmp_path: Path) -> None:
    one, two = numbers(2)
    path = tmp_path / "rows.jsonl"
    path.write_text(
        f'{{"number": "{one}", "content": "fine"}}\n'
        f'{{"number": "{two}", "content": "a", "content": "b"}}\n',
        encoding="utf-8",
    )
    result = invoke("batch", str(path), "-y")
    assert result.exit_code == 2, result.stderr
    assert "rows.jsonl line 2: the key 'content' appears more than once" in result.stderr
    assert gateway.gw.received == []


def test_a_json_element_with_a_duplicate_key_is_refused(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    one, two, three = numbers(3)
    path = tmp_path / "rows.json"
    path.write_text(
        f'{{"array": [{{"number": "{one}", "content": "x"}},'
        f' {{"number": "{two}", "content": "x", "number": "{three}"}}]}}',
        encoding="utf-8",
    )
    result = invoke("batch", str(path), "-y")
    assert result.exit_code == 2, result.stderr
    assert "rows.json element 2: the key 'number' appears more than once" in result.stderr
    assert gateway.gw.received == []
    # The wrapping object itself naming "array" twice is refused as a whole.
    path.write_text('{"array": [], "array": []}', encoding="utf-8")
    result = invoke("batch", str(path), "-y")
    assert result.exit_code == 2, result.stderr
    assert "the key 'array' appears more than once" in result.stderr


def test_json_rows_without_duplicates_still_read(gateway: EdgeGateway, tmp_path: Path) -> None:
    given = numbers(2)
    path = tmp_path / "rows.jsonl"
    path.write_text(
        "".join(f'{{"number": "{n}", "content": "hi", "meta": {{"a": 1}}}}\n' for n in given),
        encoding="utf-8",
    )
    result = invoke("batch", str(path), "-y", "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert sorted(gateway.processed()) == sorted(given)


# --- 4. it / them ---------------------------------------------------------------------------


def test_one_refused_number_is_it_not_them(gateway: EdgeGateway) -> None:
    gateway.gw.faults.append(status("-10"))
    first = invoke("send", numbers(1)[0], "-m", "hi", "-y")
    assert first.exit_code == 1, first.stderr
    assert "the 1 number the gateway refused without processing it," in first.stderr
    assert "processing them" not in first.stderr
    resumed = invoke("send", "--resume", str(only_job()), "-y")
    assert "1 request with 1 number was refused by the gateway before it processed it" in (
        resumed.stderr
    )
    assert "not sending it: once the cause is fixed" in resumed.stderr
    assert "sends it\n" in resumed.stderr


def test_one_unknown_number_is_it_not_them(gateway: EdgeGateway) -> None:
    gateway.gw.faults.append(drop)
    first = invoke("send", numbers(1)[0], "-m", "hi", "-y")
    assert first.exit_code == 6, first.stderr
    assert "the outcome of 1 number is unknown, the gateway may have sent it." in first.stderr
    assert "Do not resend it blindly" in first.stderr
    assert "(it may get the message twice)" in first.stderr
    resumed = invoke("send", "--resume", str(only_job()), "-y")
    assert "the gateway may have received it" in resumed.stderr
    assert "not resending it: check with" in resumed.stderr
    assert "resends it anyway" in resumed.stderr


def test_two_refused_numbers_stay_them(gateway: EdgeGateway) -> None:
    gateway.gw.faults.append(status("-10"))
    first = invoke("send", ",".join(numbers(2)), "-m", "hi", "-y")
    assert first.exit_code == 1, first.stderr
    assert "the 2 numbers the gateway refused without processing them," in first.stderr
