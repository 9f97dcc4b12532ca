"""Failures found by the QA pass over issues 9 and 11 (notes/qa1.md), one named test each."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smscli.cli import app
from tests.edges import SMSCLI, EdgeGateway, numbers, only_job, point_profile_at
from tests.fakes import status

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[EdgeGateway]:
    gw = EdgeGateway(tmp_path / "gateway")
    point_profile_at(gw, extra="concurrency = 1\n")
    yield gw
    gw.stop()


def test_batch_resend_refused_rebuilds_a_batch_chunk_without_senders(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    """A batch request refused with -10 (no row names a sender): `batch --resume J
    --resend-refused` used to end in a ValueError traceback ("not a batch chunk") and leave the
    chunk `unknown` although nothing left; it must send those rows, each with its own text."""
    given = numbers(3)
    path = tmp_path / "rows.csv"
    path.write_text(
        "number,content\n" + "".join(f"{n},text {i}\n" for i, n in enumerate(given)),
        encoding="utf-8",
    )
    gateway.gw.faults.append(status("-10"))
    first = invoke("batch", str(path), "-y", "-o", "jsonl")
    job = only_job()
    assert first.exit_code == 1, first.stderr  # the only request was refused
    assert f"smscli batch --resume {job} --resend-refused" in first.stderr
    again = invoke("batch", "--resume", str(job), "-y", "--resend-refused", "-o", "jsonl")
    assert again.exit_code == 0, again.stderr
    assert gateway.processed() == Counter(given)
    sent = {
        str(e["numbers"]): str(e["content"])
        for body in gateway.gw.batch_bodies()
        for e in body["array"]  # type: ignore[attr-defined]
    }
    assert sent == {n: f"text {i}" for i, n in enumerate(given)}
    rows = [json.loads(line) for line in again.stdout.splitlines()]
    assert [r["outcome"] for r in rows] == ["accepted"] * 3


def _run_into(stdout: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SMSCLI, *args], stdout=stdout, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ), timeout=120, check=False,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args", [("--version",), ("--help",), ("send", "--help"), ("sandbox", "quirks"),
             ("-p", "main", "--version")]
)
def test_help_and_version_into_a_full_disk_exit_74_without_traceback(
    args: tuple[str, ...],
) -> None:
    """Click writes help and --version outside any command's error boundary: `> /dev/full`
    gave an OSError traceback (exit 1)."""
    with open("/dev/full", "w") as full:
        done = _run_into(full.fileno(), *args)
    assert done.returncode == 74, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == "error: cannot write the output: no space left on the device"


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("-p", "main", "--version")])
def test_help_and_version_into_a_closed_pipe_exit_141(args: tuple[str, ...]) -> None:
    """`smscli --help | true`: Click made a closed pipe exit 1 (the gateway-rejected code);
    the fast --version path had no guard at all. 141 as for every other closed pipe."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before smscli writes a byte: EPIPE, deterministically
    try:
        done = _run_into(write, *args)
    finally:
        os.close(write)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""


def test_version_with_stdout_closed_is_one_line_not_a_traceback() -> None:
    """`smscli --version >&-` (the fast path before Typer) gave an AttributeError traceback."""
    done = subprocess.run(
        [SMSCLI, "--version"], stderr=subprocess.PIPE, text=True, env=dict(os.environ),
        timeout=120, check=False, close_fds=True, stdout=subprocess.DEVNULL,
        preexec_fn=lambda: os.close(1),  # a child with fd 1 closed, as >&-
    )
    assert done.returncode == 74, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.startswith("error: ")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("send", "447700000001", "-m", "hi\udcff", "-y"),
         "error: the message is not UTF-8 text (byte 0xFF at character 3)"),
        (("send", "447700000001", "-m", "hi", "--sender-id", "AB\udcff", "-y"),
         "error: option --sender-id is not UTF-8 text"),
        (("send", "447700000001", "-m", "hi", "--sender-id", "AB\nCD", "-y"),
         "error: option --sender-id has a control character (U+000A) at character 3"),
        (("config", "set", "sender_id", "X\udcffY", "-p", "main"),
         "error: sender_id is not UTF-8 text"),
        (("config", "set", "sender_id", "X\nY", "-p", "main"),
         "error: sender_id has a control character (U+000A) at character 2"),
    ],
)
def test_undecodable_bytes_and_control_characters_in_arguments_are_refused(
    gateway: EdgeGateway, args: tuple[str, ...], expected: str
) -> None:
    """Bytes the locale cannot decode reach Python as lone surrogates: `-m $'hi\\xff'` and
    `--sender-id $'AB\\xff'` ended in UnicodeEncodeError tracebacks, `config set` too (while
    writing the file); a line break in a sender ID went to the gateway."""
    result = invoke(*args)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(expected), result.stderr
    assert gateway.gw.received == []


def test_a_batch_row_whose_sender_holds_a_control_character_is_refused(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text('number,content,sender_id\n447700000001,hi,"A\tB"\n', encoding="utf-8")
    result = invoke("batch", str(path), "-y")
    assert result.exit_code == 2, result.stderr
    assert "sender ID 'A\\tB' has a control character (U+0009)" in result.stderr
    assert gateway.gw.received == []


def test_a_batch_template_with_an_undecodable_byte_is_refused(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    path = tmp_path / "rows.csv"
    path.write_text("number,name\n447700000001,Ann\n", encoding="utf-8")
    result = invoke("batch", str(path), "-m", "hi {name}\udcff", "-y")
    assert result.exit_code == 2, result.stderr
    assert "the message template is not UTF-8 text (byte 0xFF" in result.stderr
    assert gateway.gw.received == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("rows.json",
         '[{"number": 447700000011, "content": "a"}, {"number": 4.477e11, "content": "b"}]'),
        ("rows.jsonl",
         '{"number": 447700000011, "content": "a"}\n{"number": 4.477E+11, "content": "b"}\n'),
        ("rows.csv", "number,content\n447700000011,a\n4.477E+11,b\n"),
    ],
)
def test_a_number_in_scientific_notation_is_refused_not_rounded(
    gateway: EdgeGateway, tmp_path: Path, name: str, text: str
) -> None:
    """A JSON batch's `4.477e11` was sent to 447700000000 (a stranger: the digits a spreadsheet
    dropped became zeros); CSV said only "has letters". Both now name the notation."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = invoke("batch", str(path), "-y")
    assert result.exit_code == 2, result.stderr
    assert "is in scientific notation" in result.stderr
    assert gateway.gw.received == []


def test_a_json_number_with_a_zero_fraction_is_still_a_number(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    path = tmp_path / "rows.json"
    path.write_text('[{"number": 447700000011.0, "content": 1e5}]', encoding="utf-8")
    result = invoke("batch", str(path), "-y", "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    sent = gateway.gw.batch_bodies()[0]["array"]
    assert sent == [{"numbers": "447700000011", "content": "1e5"}]  # type: ignore[comparison-overlap]


def test_a_data_dir_that_is_a_file_is_one_line_not_a_traceback(
    gateway: EdgeGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SMSCLI_DATA_DIR naming a file: mkdir's FileExistsError read as "the database exists",
    then a NotADirectoryError traceback (exit 1)."""
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("", encoding="utf-8")
    monkeypatch.setenv("SMSCLI_DATA_DIR", str(in_the_way))
    result = invoke("send", "447700000001", "-m", "hi", "-y")
    assert result.exit_code == 2, result.stderr
    assert "the data directory is a file" in result.stderr
    assert gateway.gw.received == []


def test_batch_plain_resume_after_a_too_frequent_refusal_keeps_each_rows_text(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    """The same read-back path for a plain `batch --resume`: a request refused with -16 (too
    frequent: provably not processed, recorded `not_sent` with its plan dropped) is resent
    with each row's own text, once."""
    given = numbers(2)
    path = tmp_path / "rows.csv"
    path.write_text(
        "number,content\n" + "".join(f"{n},text {i}\n" for i, n in enumerate(given)),
        encoding="utf-8",
    )
    gateway.gw.faults.extend([status("-16")] * 20)  # more than the retries
    first = invoke("batch", str(path), "-y", "-o", "jsonl")
    assert first.exit_code != 0, first.stderr
    gateway.gw.faults.clear()
    again = invoke("batch", "--resume", str(only_job()), "-y", "-o", "jsonl")
    assert again.exit_code == 0, again.stderr
    assert gateway.processed() == Counter(given)
    sent = [
        (e["numbers"], e["content"])
        for body in gateway.gw.batch_bodies()
        for e in body["array"]  # type: ignore[attr-defined]
    ]
    assert sorted(sent) == [(n, f"text {i}") for i, n in enumerate(given)]
