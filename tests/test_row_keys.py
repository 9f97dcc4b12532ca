"""One vocabulary of row keys: README's "Row keys" table lists exactly what every command
writes, keys shared by two commands come in the same order, and the commands really write
those keys (run against the built-in sandbox)."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

from typer.testing import CliRunner

from smscli import rows
from smscli.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def readme_table() -> dict[str, tuple[str, ...]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Row keys", 1)[1].split("\n#", 1)[0]
    table = {}
    for line in section.splitlines():
        match = re.fullmatch(r"\| `([^`]+)` \| `([^`]+)` \|", line.strip())
        if match:
            table[match[1]] = tuple(key.strip() for key in match[2].split(","))
    return table


def test_readme_lists_every_command_and_its_keys_in_order() -> None:
    assert readme_table() == rows.COMMAND_ROWS


def test_shared_keys_keep_one_order() -> None:
    for (a, keys_a), (b, keys_b) in combinations(rows.COMMAND_ROWS.items(), 2):
        shared = set(keys_a) & set(keys_b)
        assert [k for k in keys_a if k in shared] == [k for k in keys_b if k in shared], (a, b)


def test_the_commands_build_their_columns_from_the_vocabulary() -> None:
    from smscli.cli import history_rows as history
    from smscli.cli import jobsummary, report_show

    def keys(columns: list[object]) -> tuple[str, ...]:
        return tuple(c.key for c in columns)  # type: ignore[attr-defined]

    assert keys(jobsummary.SEND_COLUMNS) == rows.SEND
    assert keys(report_show.REPORT_COLUMNS) == rows.REPORT
    assert keys(history.JOB_COLUMNS) == rows.HISTORY_JOBS
    assert keys(history.NUMBER_COLUMNS) == rows.HISTORY_NUMBER
    assert keys(history.MESSAGE_COLUMNS) == rows.HISTORY_SHOW
    assert keys(history.CHUNK_COLUMNS) == rows.HISTORY_CHUNKS
    from smscli.cli import inbox, lookup

    assert keys(lookup.COLUMNS) == rows.LOOKUP
    assert keys(inbox.COLUMNS) == rows.INBOX


def jsonl(*args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, [*args, "-o", "jsonl"], catch_exceptions=False)
    assert result.exit_code in (0, 3), result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_every_command_writes_the_documented_keys(isolated: Path) -> None:
    sent = jsonl("send", "-p", "sandbox", "447700900123,447700900997", "-m", "hi")
    assert {tuple(r) for r in sent} == {rows.SEND}
    assert {r["outcome"] for r in sent} == {"accepted", "rejected"}
    batch_file = isolated / "b.csv"
    batch_file.write_text("number,content\n447700900124,ho\n")
    assert {tuple(r) for r in jsonl("batch", "-p", "sandbox", str(batch_file))} == {rows.SEND}
    reported = jsonl("report", "-p", "sandbox", "--job", "1")
    assert [tuple(r) for r in reported] == [rows.REPORT]
    assert [tuple(r) for r in jsonl("history")] == [rows.HISTORY_JOBS] * 2
    assert [tuple(r) for r in jsonl("history", "--number", "447700900123")] == [
        rows.HISTORY_NUMBER
    ]
    assert {tuple(r) for r in jsonl("history", "show", "1")} == {rows.HISTORY_SHOW}
    batch_keys = rows.COMMAND_ROWS["history show (batch job)"]
    assert {tuple(r) for r in jsonl("history", "show", "2")} == {batch_keys}
    assert {tuple(r) for r in jsonl("history", "show", "1", "--chunks")} == {rows.HISTORY_CHUNKS}
