"""`smscli batch` through the CLI against the fake gateway over real loopback HTTP."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smscli.cli import app
from tests.fakes import FakeGateway, after_processing, http_500, status, write_profile

runner = CliRunner()

A, B, C = "447700900123", "447700900124", "447700900125"
SECRETS = ("7bz1lzh9", "bDqJFiq9")


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[FakeGateway]:
    gw = FakeGateway(tmp_path / "gateway", balance="100000")
    url = gw.start()
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{url}/v3")
    yield gw
    gw.stop()


def invoke(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def batches(gw: FakeGateway) -> list[dict[str, Any]]:
    """The JSON bodies of every sendSms/batch request the gateway received."""
    return [
        r.json  # type: ignore[attr-defined]
        for r in gw.received
        if r.path.endswith("sendSms/batch")  # type: ignore[attr-defined]
    ]


def sent_pairs(gw: FakeGateway) -> Counter[tuple[str, str]]:
    return Counter(
        (number, element["content"])
        for body in batches(gw)
        for element in body["array"]
        for number in element["numbers"].split(",")
    )


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


# --- templates ----------------------------------------------------------------------------------


def test_template_csv_sends_one_request_with_filled_contents(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "people.csv",
        f'name,phone,code\nAnn,{A},111\nBob,{B},222\n"Smith, J",{C},333\n',
    )
    result = invoke("batch", path, "-m", "Hi {name}, your code is {code} {{ok}}", "-o", "json")
    assert result.exit_code == 0, result.stderr
    (body,) = batches(gateway)
    assert body["appId"] == "4luaKsL2"
    assert body["array"] == [
        {"numbers": A, "content": "Hi Ann, your code is 111 {ok}"},
        {"numbers": B, "content": "Hi Bob, your code is 222 {ok}"},
        {"numbers": C, "content": "Hi Smith, J, your code is 333 {ok}"},
    ]
    rows = json.loads(result.stdout)
    assert [r["number"] for r in rows] == [A, B, C]
    assert all(r["outcome"] == "accepted" and len(r["msg_id"]) == 19 for r in rows)
    assert "3 messages (3 segments) to 3 numbers in 1 request: GSM-7" in result.stderr
    assert "3 accepted (1 request" in result.stderr


def test_missing_placeholder_value_sends_nothing_and_names_the_row(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    path = write(tmp_path, "p.csv", f"name,phone,code\nAnn,{A},111\nBob,{B},\n")
    result = invoke("batch", path, "-m", "Hi {name}, your code is {code}")
    assert result.exit_code == 2
    assert f"{path} line 3: no value for {{code}}" in result.stderr
    assert "nothing was sent" in result.stderr
    assert gateway.received == []


def test_placeholder_naming_a_missing_column_exits_2(gateway: FakeGateway, tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", f"name,phone\nAnn,{A}\n")
    result = invoke("batch", path, "-m", "Hi {name}, your code is {code}")
    assert result.exit_code == 2
    assert "uses {code}" in result.stderr and "'name', 'phone'" in result.stderr
    assert "Traceback" not in result.stderr
    assert gateway.received == []


def test_template_from_a_file_wins_over_the_content_column_with_a_warning(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    path = write(tmp_path, "p.csv", f"name,number,content\nAnn,{A},old text\n")
    template = write(tmp_path, "t.txt", "Hello {name}\n")
    result = invoke("batch", path, "--message-file", template)
    assert result.exit_code == 0, result.stderr
    assert "template replaces it" in result.stderr
    assert batches(gateway)[0]["array"] == [{"numbers": A, "content": "Hello Ann"}]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["-m", "Hi {name"], "unmatched '{'"),
        (["-m", "x", "--message-file", "t.txt"], "not both"),
        (["-m", "  "], "template is empty"),
    ],
)
def test_bad_templates(
    gateway: FakeGateway, tmp_path: Path, args: list[str], fragment: str
) -> None:
    path = write(tmp_path, "p.csv", f"name,number\nAnn,{A}\n")
    result = invoke("batch", path, *args)
    assert result.exit_code == 2 and fragment in result.stderr
    assert gateway.received == []


# --- every input form ---------------------------------------------------------------------------

JSON_ARRAY = json.dumps(
    [
        {"number": A, "content": "one"},
        {"phone": int(B), "message": "two", "senderId": "ACME"},
    ]
)
API_BODY = json.dumps(
    {
        "appId": "ignored",
        "array": [
            {"numbers": f"{A},{B}", "content": "same", "senderId": "", "orderId": "o1,o2"},
            {"numbers": C, "content": "other", "orderId": "o3"},
        ],
    },
    indent=4,
)
JSONL = f'{{"mobile": "+{A}", "content": "one"}}\n\n{{"number": "{B}", "content": "two"}}\n'


@pytest.mark.parametrize(
    ("name", "text", "extra", "expected"),
    [
        (
            "sheet.csv",
            f'\ufeffName,Mobile,Message,Sender ID\r\n"Smith, J",+44 7700 900123,"Hi, you",\r\n'
            f'Doe,{B},"a ""quoted"" word",ACME\r\n',
            [],
            [
                {"numbers": A, "content": "Hi, you"},
                {"numbers": B, "content": 'a "quoted" word', "senderId": "ACME"},
            ],
        ),
        (
            "semi.csv",
            f"phone;content\n{A};Hallo, Welt\n",
            [],
            [{"numbers": A, "content": "Hallo, Welt"}],
        ),
        (
            "tabs.tsv",
            f"number\tcontent\n{A}\tone, two\n{B}\tone, two\n",
            [],
            [{"numbers": f"{A},{B}", "content": "one, two"}],
        ),
        (
            "list.json",
            JSON_ARRAY,
            [],
            [
                {"numbers": A, "content": "one"},
                {"numbers": B, "content": "two", "senderId": "ACME"},
            ],
        ),
        (
            "body.json",
            API_BODY,
            [],
            [
                {"numbers": f"{A},{B}", "content": "same", "orderId": "o1,o2"},
                {"numbers": C, "content": "other", "orderId": "o3"},
            ],
        ),
        (
            "lines.jsonl",
            JSONL,
            [],
            [{"numbers": A, "content": "one"}, {"numbers": B, "content": "two"}],
        ),
        (
            "lines.ndjson",
            JSONL,
            [],
            [{"numbers": A, "content": "one"}, {"numbers": B, "content": "two"}],
        ),
        (
            "export.txt",
            f"number,content\n{A},one\n",
            ["--format", "csv"],
            [{"numbers": A, "content": "one"}],
        ),
    ],
)
def test_input_forms(
    gateway: FakeGateway,
    tmp_path: Path,
    name: str,
    text: str,
    extra: list[str],
    expected: list[dict[str, str]],
) -> None:
    result = invoke("batch", write(tmp_path, name, text), *extra, "-o", "json")
    assert result.exit_code == 0, result.stderr
    (body,) = batches(gateway)
    assert body["array"] == expected


@pytest.mark.parametrize(
    ("text", "extra"),
    [
        (f"number,content\r\n{A},one\r\n", ["--format", "csv"]),
        (f"number\tcontent\n{A}\tone\n", ["--format", "tsv"]),
        (f'[{{"number": "{A}", "content": "one"}}]', []),  # sniffed: JSON
        (f'{{"number": "{A}", "content": "one"}}\n', []),  # sniffed: JSONL
        (f'{{\n  "array": [{{"numbers": "{A}", "content": "one"}}]\n}}\n', []),  # sniffed: JSON
        (f'{{"number": "{A}", "content": "one"}}\n', ["--format", "jsonl"]),
    ],
)
def test_stdin(gateway: FakeGateway, text: str, extra: list[str]) -> None:
    result = invoke("batch", "-", *extra, "-o", "json", input=text)
    assert result.exit_code == 0, result.stderr
    assert batches(gateway)[0]["array"] == [{"numbers": A, "content": "one"}]


def test_stdin_csv_needs_a_format(gateway: FakeGateway) -> None:
    result = invoke("batch", "-", input=f"number,content\n{A},one\n")
    assert result.exit_code == 2
    assert "cannot tell the format of stdin" in result.stderr and "--format" in result.stderr
    assert gateway.received == []


def test_stdin_cannot_carry_both_batch_and_template(gateway: FakeGateway) -> None:
    for flag in ("--message-file", "-m"):
        result = invoke("batch", "-", flag, "-", "--format", "csv", input="x")
        assert result.exit_code == 2 and "stdin cannot carry both" in result.stderr


def test_template_from_stdin(gateway: FakeGateway, tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", f"name,number\nAnn,{A}\n")
    result = invoke("batch", path, "-m", "-", input="Dear {name}\n")
    assert result.exit_code == 0, result.stderr
    assert batches(gateway)[0]["array"] == [{"numbers": A, "content": "Dear Ann"}]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("nope.csv", None, "batch file not found"),
        ("data.xlsx", "x", "cannot tell the format"),
        ("bad.json", "[{", "not valid JSON"),
    ],
)
def test_unreadable_inputs(
    gateway: FakeGateway, tmp_path: Path, name: str, content: str | None, fragment: str
) -> None:
    path = write(tmp_path, name, content) if content is not None else str(tmp_path / name)
    result = invoke("batch", path)
    assert result.exit_code == 2 and fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert gateway.received == []


# --- grouping, chunking, order ids, duplicates ---------------------------------------------------


def test_identical_contents_are_grouped_into_one_element(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "m.csv",
        f"number,content\n{A},Sale today\n{B},Closed Monday\n{C},Sale today\n",
    )
    result = invoke("batch", path, "-o", "json")
    assert result.exit_code == 0, result.stderr
    (body,) = batches(gateway)
    assert body["array"] == [
        {"numbers": f"{A},{C}", "content": "Sale today"},
        {"numbers": B, "content": "Closed Monday"},
    ]
    # Segments are billed per number: 3 one-part messages.
    assert "2 messages (3 segments) to 3 numbers in 1 request" in result.stderr


def test_2500_numbers_go_out_in_3_requests_each_pair_once(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    # Ending in 1: clear of the sandbox's magic 0997/0998/0999 suffixes.
    lines = [f"44770{i:05d}1,message {i % 3}" for i in range(2500)]
    path = write(tmp_path, "big.csv", "number,content\n" + "\n".join(lines) + "\n")
    result = invoke("batch", path, "--max-numbers", "1000", "-o", "json")
    assert result.exit_code == 0, result.stderr
    bodies = batches(gateway)
    totals = [sum(len(e["numbers"].split(",")) for e in body["array"]) for body in bodies]
    assert sorted(totals) == [500, 1000, 1000]
    expected = Counter(tuple(line.split(",")) for line in lines)
    assert sent_pairs(gateway) == expected
    rows = json.loads(result.stdout)
    assert len(rows) == 2500 and all(r["outcome"] == "accepted" for r in rows)
    assert "in 3 requests" in result.stderr


def test_profile_batch_max_numbers_and_the_option_override(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    config = Path(os.environ["SMSCLI_CONFIG"])
    url = gateway.server.url if gateway.server else ""
    write_profile(config, f"{url}/v3", extra="batch_max_numbers = 2\n")
    path = write(tmp_path, "m.csv", f"number,content\n{A},x\n{B},x\n{C},y\n")
    assert invoke("batch", path).exit_code == 0
    assert len(batches(gateway)) == 2
    assert invoke("batch", path, "--max-numbers", "1").exit_code == 0
    assert len(batches(gateway)) == 2 + 3
    assert invoke("batch", path, "--max-numbers", "0").exit_code == 2


def test_order_ids_stay_aligned(gateway: FakeGateway, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "o.csv",
        f"number,content,order_id\n{A},x,o-a\n{B},x,\n{C},x,o-c\n",
    )
    result = invoke("batch", path, "--json")
    assert result.exit_code == 0, result.stderr
    (body,) = batches(gateway)
    assert body["array"] == [
        {"numbers": f"{A},{C}", "content": "x", "orderId": "o-a,o-c"},
        {"numbers": B, "content": "x"},
    ]
    rows = {r["number"]: r for r in json.loads(result.stdout)}
    assert rows[A]["order_id"] == "o-a" and rows[C]["order_id"] == "o-c"
    assert rows[B]["order_id"] is None


def test_duplicates_dropped_with_warning_but_other_contents_kept(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "d.csv",
        f"number,content\n{A},hello\n+{A},hello\n{A},goodbye\n",
    )
    result = invoke("batch", path, "--json")
    assert result.exit_code == 0, result.stderr
    assert "1 duplicate (number, message) pair dropped" in result.stderr
    assert sent_pairs(gateway) == Counter({(A, "hello"): 1, (A, "goodbye"): 1})
    rows = json.loads(result.stdout)
    # The same number twice in one request: each occurrence has its own msgId.
    assert [r["number"] for r in rows] == [A, A]
    assert all(r["outcome"] == "accepted" for r in rows)
    assert len({r["msg_id"] for r in rows}) == 2
    assert "2 accepted" in result.stderr


# --- validation errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("12ab,hi,", "line 3: '12ab' has letters"),
        (f"{A},   ,", "line 3: the message is empty"),
        (f"{A},{'x' * 1025},", "line 3: the message is 1,025 characters long"),
        (f"{A},hi,{'S' * 33}", "line 3: sender ID"),
        (f"{A},hi,ok,extra", "line 3: 4 fields but the header has 3"),
    ],
)
def test_bad_rows_exit_2_name_the_line_and_send_nothing(
    gateway: FakeGateway, tmp_path: Path, row: str, fragment: str
) -> None:
    path = write(tmp_path, "b.csv", f"number,content,sender_id\n{B},fine,\n{row}\n")
    result = invoke("batch", path)
    assert result.exit_code == 2, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert gateway.received == []


def test_order_id_count_mismatch_in_a_json_element(gateway: FakeGateway, tmp_path: Path) -> None:
    body = {"array": [{"numbers": f"{A},{B}", "content": "x", "orderId": "1"}]}
    result = invoke("batch", write(tmp_path, "b.json", json.dumps(body)))
    assert result.exit_code == 2
    assert "element 1: 1 order ids for 2 numbers; the counts must match" in result.stderr
    assert gateway.received == []


def test_many_errors_listed_then_counted(gateway: FakeGateway, tmp_path: Path) -> None:
    rows = "".join(f"bad{i},hi\n" for i in range(30))
    result = invoke("batch", write(tmp_path, "b.csv", "number,content\n" + rows))
    assert result.exit_code == 2
    assert "30 problems" in result.stderr and "… and 10 more" in result.stderr
    assert gateway.received == []


def test_sender_id_option_too_long(gateway: FakeGateway, tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", f"number,content\n{A},hi\n")
    result = invoke("batch", path, "--sender-id", "S" * 33)
    assert result.exit_code == 2 and "at most 32" in result.stderr
    assert gateway.received == []


def test_sender_id_option_fills_rows_without_one(gateway: FakeGateway, tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", f"number,content,sender\n{A},hi,\n{B},hi,OWN\n")
    assert invoke("batch", path, "--sender-id", "DEF").exit_code == 0
    assert batches(gateway)[0]["array"] == [
        {"numbers": A, "content": "hi", "senderId": "DEF"},
        {"numbers": B, "content": "hi", "senderId": "OWN"},
    ]


# --- gateway failures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "code", "fragment"),
    [
        (status("-10"), 1, "insufficient balance"),
        (status("-1"), 5, "authentication failed"),
        (http_500, 6, "HTTP 500"),
    ],
)
def test_gateway_failures_give_exit_code_and_one_clear_line(
    gateway: FakeGateway, tmp_path: Path, fault: object, code: int, fragment: str
) -> None:
    gateway.faults.append(fault)  # type: ignore[arg-type]
    path = write(tmp_path, "b.csv", f"number,content\n{A},hi\n{B},ho\n")
    result = invoke("batch", path, "--json")
    assert result.exit_code == code, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert not any(secret in result.stderr + result.stdout for secret in SECRETS)
    rows = json.loads(result.stdout)
    assert [r["number"] for r in rows] == [A, B]
    assert all(r["outcome"] == ("unknown" if code == 6 else "rejected") for r in rows)


def test_http_500_outcome_is_unknown_and_not_resent(gateway: FakeGateway, tmp_path: Path) -> None:
    gateway.faults.append(after_processing(http_500))
    lines = [f"{447700000000 + i},m{i % 2}" for i in range(30)]
    path = write(tmp_path, "b.csv", "number,content\n" + "\n".join(lines) + "\n")
    result = invoke("batch", path, "--max-numbers", "10", "--json")
    assert result.exit_code == 6
    assert "unknown, the gateway may have" in result.stderr
    assert all(count == 1 for count in sent_pairs(gateway).values())
    rows = json.loads(result.stdout)
    assert len(rows) == 30 and any(r["outcome"] == "unknown" for r in rows)


def test_partial_rejection_exits_3(gateway: FakeGateway, tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", f"number,content\n{A},hi\n447700900997,hi\n")
    result = invoke("batch", path, "--json")
    assert result.exit_code == 3
    rows = {r["number"]: r for r in json.loads(result.stdout)}
    assert rows["447700900997"]["outcome"] == "rejected" and rows[A]["outcome"] == "accepted"


# --- dry run, confirmation, output formats ------------------------------------------------------


def test_dry_run_sends_nothing_and_shows_no_secret(gateway: FakeGateway, tmp_path: Path) -> None:
    lines = [f"{447700000000 + i},message {i % 2}" for i in range(2500)]
    path = write(
        tmp_path,
        "big.csv",
        "number,content,order_id\n" + "\n".join(f"{line},id{i}" for i, line in enumerate(lines)),
    )
    result = invoke("batch", path, "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [p["numbers"] for p in plan] == [1000, 1000, 500]
    assert plan[0]["elements"] == 1 and plan[1]["elements"] == 2
    assert plan[0]["url"].endswith("/v3/sendSms/batch")
    assert plan[0]["headers"]["Sign"] == "<hidden>"
    first = plan[0]["body"]["array"][0]
    assert first["content"] == "message 0"
    assert len(first["numbers"].split(",")) == len(first["orderId"].split(",")) == 1000
    everything = result.stdout + result.stderr
    assert not any(secret in everything for secret in SECRETS)
    assert "Would send 2 messages (2,500 segments) to 2,500 numbers in 3 requests" in result.stderr
    assert "nothing was sent" in result.stderr
    assert gateway.received == []


@pytest.mark.parametrize("fmt", ["table", "tsv", "jsonl"])
def test_dry_run_other_formats(gateway: FakeGateway, tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, "b.csv", f"number,content\n{A},hi\n")
    result = invoke("batch", path, "--dry-run", "-o", fmt)
    assert result.exit_code == 0
    assert "sendSms/batch" in result.stdout
    assert not any(secret in result.stdout + result.stderr for secret in SECRETS)
    assert gateway.received == []


def test_confirmation_on_a_terminal(
    gateway: FakeGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:

    asked: list[str] = []
    console_env(confirm=lambda q: asked.append(q) or False)
    lines = "".join(f"{447700000000 + i},hi\n" for i in range(101))
    path = write(tmp_path, "b.csv", "number,content\n" + lines)
    result = invoke("batch", path)
    assert result.exit_code == 0
    assert asked == ["Send 1 message (101 segments) to 101 numbers?"]
    assert "Nothing sent" in result.stderr
    assert gateway.received == []
    assert invoke("batch", path, "-y").exit_code == 0
    assert len(batches(gateway)) == 1


def test_output_formats(gateway: FakeGateway, tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", f"number,content\n{A},hi\n{B},ho\n")
    csv_out = invoke("batch", path, "-o", "csv").stdout.splitlines()
    assert csv_out[0] == "number,msg_id,order_id,outcome,error"
    assert csv_out[1].startswith(f"{A},") and csv_out[1].endswith(",accepted,")
    ids = invoke("batch", path, "-q").stdout.split()
    assert len(ids) == 2 and all(len(i) == 19 and i.isdigit() for i in ids)
    rows = json.loads(invoke("batch", path, "--json").stdout)
    assert set(rows[0]) == {"number", "msg_id", "order_id", "outcome", "error"}
    tsv = invoke("batch", path).stdout.splitlines()
    assert tsv[0] == "number\tmsg_id\torder_id\toutcome\terror"


def test_batch_is_listed_in_help() -> None:
    result = runner.invoke(app, ["--help"])
    assert "batch" in result.stdout
    result = runner.invoke(app, ["batch", "--help"])
    assert result.exit_code == 0
    assert "--max-numbers" in result.stdout and "--dry-run" in result.stdout


def test_packing_follows_the_gateway() -> None:
    from types import SimpleNamespace

    from smscli.jobs.plan import Packing

    v3 = SimpleNamespace(name="v3", max_numbers_per_send=1000, multi_content=True)
    assert Packing.for_gateway(v3, 2500) == Packing(2500, 1000, mixed=True)  # type: ignore[arg-type]
    per_call = SimpleNamespace(name="mobset", max_numbers_per_send=50, multi_content=False)
    assert Packing.for_gateway(per_call, 1000) == Packing(50, 50, mixed=False)  # type: ignore[arg-type]


def test_dry_run_without_multi_content_plans_each_element_as_a_send() -> None:
    from smscli.errors import NotSupported
    from smscli.gateways.base import BatchElement, PlannedRequest, plan_one_element
    from smscli.jobs.plan import plan_elements as _planned

    class PerCall:
        name = "percall"
        multi_content = False

        def plan_send(self, numbers: Any, content: str, **kw: Any) -> PlannedRequest:
            return PlannedRequest("POST", "u", {}, {"n": ",".join(numbers), "c": content, **kw})

        def plan_batch(self, elements: Any) -> PlannedRequest:
            return plan_one_element(self, elements)  # type: ignore[arg-type]

    one = BatchElement((A, B), "hi", None, ("1", "2"))
    planned = _planned(PerCall(), [one])  # type: ignore[arg-type]
    assert planned.body == {"n": f"{A},{B}", "c": "hi", "sender_id": None, "order_ids": ("1", "2")}
    with pytest.raises(NotSupported, match="cannot show a multi-content request"):
        _planned(PerCall(), [one, one])  # type: ignore[arg-type]


# --- mobset: one SmsSend per content and chunk of at most 50 ----------------------------------


@pytest.fixture
def mobset(tmp_path: Path) -> Iterator[Any]:
    from tests.test_cli_mobset import MobsetFake, write_mobset_profile

    fake = MobsetFake(tmp_path / "mobset")
    write_mobset_profile(fake.url)
    yield fake
    fake.close()


def mobset_batch(tmp_path: Path, extra_rows: str = "") -> str:
    rows = [f"{8613800001000 + i},first" for i in range(70)]
    rows += [f"{8613800002000 + i},second" for i in range(5)]
    rows += [f"{8613800001000 + i},third" for i in range(2)]  # the same numbers again
    return write(tmp_path, "m.csv", "number,content\n" + "\n".join(rows) + "\n" + extra_rows)


def test_mobset_batch_one_content_per_request(mobset: Any, tmp_path: Path) -> None:
    result = invoke("batch", mobset_batch(tmp_path), "-o", "json")
    assert result.exit_code == 0, result.stderr
    sent = [(c.form["Content"], len(c.form["PhoneNumbers"].split(","))) for c in mobset.calls()]
    assert sorted(sent) == [("first", 20), ("first", 50), ("second", 5), ("third", 2)]
    rows = json.loads(result.stdout)
    assert len(rows) == 77 and all(r["outcome"] == "accepted" for r in rows)
    assert len({r["msg_id"] for r in rows}) == 77
    assert "in 4 requests" in result.stderr and "sandbox" not in result.stderr


def test_mobset_batch_max_numbers_below_50(mobset: Any, tmp_path: Path) -> None:
    result = invoke("batch", mobset_batch(tmp_path), "--max-numbers", "30", "-q")
    assert result.exit_code == 0, result.stderr
    sizes = sorted(len(c.form["PhoneNumbers"].split(",")) for c in mobset.calls())
    assert sizes == [2, 5, 10, 30, 30]


def test_mobset_batch_dry_run(mobset: Any, tmp_path: Path) -> None:
    result = invoke("batch", mobset_batch(tmp_path), "--dry-run", "-o", "json")
    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert [(p["numbers"], p["elements"], p["messages"]) for p in plan] == [
        (50, 1, 1),
        (20, 1, 1),
        (5, 1, 1),
        (2, 1, 1),
    ]
    assert all(p["body"]["SecretKey"] == "<hidden>" for p in plan)
    assert "sandbox-password" not in result.stdout + result.stderr
    assert mobset.received == []


def test_mobset_batch_refuses_sender_ids(mobset: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "number,content,sender_id\n8613800001000,hi,ACME\n")
    result = invoke("batch", path)
    assert result.exit_code == 2
    assert "this provider has no sender ID" in result.stderr and "line 2" in result.stderr
    option = invoke("batch", mobset_batch(tmp_path), "--sender-id", "ACME")
    assert option.exit_code == 2
    assert "mobset has no sender ID" in option.stderr
    assert mobset.received == []


def test_mobset_batch_checks_each_message_before_sending(mobset: Any, tmp_path: Path) -> None:
    # 899 characters and an emoji: 900 by len(), 901 as mobset counts them.
    result = invoke("batch", mobset_batch(tmp_path, f"8613800003000,{'x' * 899}😀\n"))
    assert result.exit_code == 2
    assert "an emoji counts as 2" in result.stderr and "8613800003000" in result.stderr
    assert mobset.received == []


def test_mobset_batch_accepted_without_ids_is_not_resent(mobset: Any, tmp_path: Path) -> None:
    mobset.rewrites["SmsSend"] = lambda body: {"Code": body["Code"], "Message": "发送成功"}
    path = write(tmp_path, "u.csv", "number,content\n8613800001000,a\n8613800001001,b\n")
    result = invoke("batch", path, "-o", "json", "--max-numbers", "1")
    assert result.exit_code == 3, result.stderr
    assert "do not send them again" in result.stderr
    assert len(mobset.calls()) == 2
    assert all(r["msg_id"] is None for r in json.loads(result.stdout))


def test_sandbox_mobset_batch_says_simulated(tmp_path: Path) -> None:
    config = Path(os.environ["SMSCLI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[profiles.play]\nprovider = "sandbox-mobset"\n', encoding="utf-8")
    config.chmod(0o600)
    result = invoke("batch", mobset_batch(tmp_path), "-q")
    assert result.exit_code == 0, result.stderr
    assert "sandbox: simulated" in result.stderr
    assert len(result.stdout.split()) == 77
