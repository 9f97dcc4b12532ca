"""What scripts and people rely on: --silent/-qq for cron, --gsm, help groups and examples,
suggestions for a mistyped subcommand, one `error:` style."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smscli.cli import app
from smscli.message import gsm_advice, name_chars, to_gsm, ucs2_causes

runner = CliRunner()
TYPOGRAPHIC = "We’re open on Sunday – come by and see our new shop, “best in town” — coffee, " \
    "cake, and a warm welcome for everyone. See you!"


def invoke(*args: str, input: str | None = None) -> object:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def test_silent_success_prints_nothing_on_stderr(isolated: Path) -> None:
    result = invoke("send", "-p", "sandbox", "447700900123", "-m", "hi", "--silent", "-o", "jsonl")
    assert result.exit_code == 0 and result.stderr == ""  # type: ignore[attr-defined]
    assert json.loads(result.stdout)["outcome"] == "accepted"  # type: ignore[attr-defined]
    qq = invoke("send", "-p", "sandbox", "447700900124", "-m", "hi", "-qq")
    assert qq.exit_code == 0 and qq.stderr == ""  # type: ignore[attr-defined]
    assert len(qq.stdout.strip()) == 19  # type: ignore[attr-defined]
    # Before the subcommand too, and for balance (cron's other job).
    assert invoke("--silent", "balance", "-p", "sandbox").stderr == ""  # type: ignore[attr-defined]


def test_silent_failure_prints_what_was_held_back_then_the_error(isolated: Path) -> None:
    result = invoke("send", "-p", "sandbox", "447700900997", "-m", "hi", "-qq")
    assert result.exit_code != 0
    err = result.stderr  # type: ignore[attr-defined]
    assert err.index("Sending to 1 number") < err.index("error: ")
    assert "0 accepted, 1 rejected" in err


def test_without_silent_the_summary_is_printed(isolated: Path) -> None:
    result = invoke("send", "-p", "sandbox", "447700900123", "-m", "hi", "-q")
    assert "1 accepted" in result.stderr  # type: ignore[attr-defined]


def test_ucs2_cause_is_named_and_gsm_replaces_it(isolated: Path) -> None:
    plain = invoke("send", "-p", "sandbox", "447700900123", "447700900124", "-m", TYPOGRAPHIC,
                   "--dry-run", "-o", "json")
    err = plain.stderr  # type: ignore[attr-defined]
    assert "UCS-2, 2 segments per message" in err
    assert "because of ’ (U+2019 RIGHT SINGLE QUOTATION MARK), – (U+2013 EN DASH)" in err
    assert "2 segments per message instead of 1 (2 more in all); --gsm replaces them" in err
    gsm = invoke("send", "-p", "sandbox", "447700900123", "447700900124", "-m", TYPOGRAPHIC,
                 "--dry-run", "--gsm", "-o", "json")
    err = gsm.stderr  # type: ignore[attr-defined]
    assert "GSM-7, 1 segment per message" in err
    assert "--gsm replaced ’ (U+2019" in err and "instead of 2 (2 fewer in all)" in err
    body = json.loads(gsm.stdout)[0]["body"]  # type: ignore[attr-defined]
    assert body["content"] == to_gsm(TYPOGRAPHIC)
    assert "We're open on Sunday - come by" in body["content"]


def test_gsm_is_confirmed_with_its_saving(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:

    asked: list[str] = []
    console_env(confirm=lambda q: asked.append(q) or False)
    numbers = "".join(f"{447700920000 + i}\n" for i in range(101))
    result = invoke("send", "-p", "sandbox", "-m", TYPOGRAPHIC, "--gsm", input=numbers)
    assert result.exit_code == 0 and "Nothing sent." in result.stderr  # type: ignore[attr-defined]
    assert asked == ["Send to 101 numbers (101 segments, 101 fewer thanks to --gsm)?"]
    refused = invoke("send", "--resume", "1", "--gsm")
    assert refused.exit_code == 2  # type: ignore[attr-defined]


def test_gsm_helpers() -> None:
    assert ucs2_causes("a’b’c😀") == ["’", "😀"]
    assert to_gsm("“x” … y—z") == '"x" ... y-z'
    assert to_gsm("😀 ’") == "😀 '"  # what has no equivalent stays
    assert name_chars(["\u00a0"]) == "(U+00A0 NO-BREAK SPACE)"
    advice = gsm_advice("plain text")
    assert advice.replaced == [] and advice.saved == 0 and advice.note(False) is None
    assert advice.note(True) == "--gsm: nothing to replace"


def test_click_errors_read_like_smscli_errors() -> None:
    result = invoke("send", "--jsn")
    err = result.stderr  # type: ignore[attr-defined]
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert err.startswith("error: no such option") and "Error:" not in err
    assert "see: smscli send --help" in err


@pytest.mark.parametrize(
    ("args", "hint"),
    [(["sned"], "'send'"), (["history", "sohw", "1"], "'show'"), (["config", "lst"], "'list'")],
)
def test_mistyped_subcommand_gets_a_suggestion(args: list[str], hint: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert f"error: no such command '{args[-2] if len(args) > 2 else args[-1]}'" in (
        result.stderr  # type: ignore[attr-defined]
    )
    assert f"did you mean {hint}?" in result.stderr  # type: ignore[attr-defined]


def test_help_shows_option_groups_and_examples() -> None:
    send = invoke("send", "--help").stdout  # type: ignore[attr-defined]
    assert "\nOptions:\n" in send and "\nCommon options:\n" in send
    assert send.index("--message") < send.index("Common options:") < send.index("--profile")
    report = invoke("report", "--help").stdout  # type: ignore[attr-defined]
    assert "\nFrom the local history:\n" in report
    balance = invoke("balance", "--help").stdout  # type: ignore[attr-defined]
    assert "Print only the balance amount" in balance and "msgIds" not in balance
    for group in ("history", "config", "sandbox"):
        text = invoke(group, "--help").stdout  # type: ignore[attr-defined]
        assert "Examples:" in text and f"smscli {group}" in text.split("Examples:")[1]
        assert all(len(line) <= 100 for line in text.splitlines())


def test_batch_gsm_replaces_every_rows_characters(isolated: Path) -> None:
    batch = isolated / "b.csv"
    batch.write_text(
        "number,content\n"
        f"447700900123,\"{TYPOGRAPHIC}\"\n"
        "447700900124,plain text\n"
        "447700900125,We’re open\n",
        encoding="utf-8",
    )
    plain = invoke("batch", "-p", "sandbox", str(batch), "--dry-run", "-o", "json")
    assert plain.exit_code == 0, plain.stderr  # type: ignore[attr-defined]
    assert "--gsm replaces them with GSM-7 equivalents and saves 1 segment" in (
        plain.stderr  # type: ignore[attr-defined]
    )
    done = invoke("batch", "-p", "sandbox", str(batch), "--gsm", "-o", "jsonl")
    assert done.exit_code == 0, done.stderr  # type: ignore[attr-defined]
    assert "--gsm replaced" in done.stderr and "1 segment fewer in all" in done.stderr  # type: ignore[attr-defined]
    sent = invoke("history", "show", "1", "-o", "json")
    contents = {r["number"]: r["content"] for r in json.loads(sent.stdout)}  # type: ignore[attr-defined]
    assert contents["447700900125"] == "We're open"
    assert contents["447700900123"] == to_gsm(TYPOGRAPHIC)
    assert invoke("batch", "--resume", "1", "--gsm").exit_code == 2  # type: ignore[attr-defined]


def test_sync_in_cron_is_silent_unless_it_fails(isolated: Path) -> None:
    loud = invoke("sync", "-p", "sandbox")
    assert loud.exit_code == 0 and loud.stderr  # type: ignore[attr-defined]
    quiet = invoke("sync", "-p", "sandbox", "--silent")
    assert quiet.exit_code == 0 and quiet.stderr == ""  # type: ignore[attr-defined]


# -- found by QA in a real terminal (qa3)


@pytest.mark.parametrize(
    ("option", "hint"),
    [("--jsn", "'--json'"), ("--dryrun", "'--dry-run'"), ("--mesage", "'--message'")],
)
def test_mistyped_option_is_worded_like_a_mistyped_subcommand(
    isolated: Path, option: str, hint: str
) -> None:
    """Click 8.4 wrote "error: no such option '--jsn'. (Did you mean one of: '--json',
    '--silent', '--yes'?)": a full stop mid-line, a capital, and a list of guesses."""
    result = invoke("send", option)
    assert result.exit_code == 2  # type: ignore[attr-defined]
    first = result.stderr.splitlines()[0]  # type: ignore[attr-defined]
    assert first == f"error: no such option '{option}' (did you mean {hint}?)"


def test_stderr_lines_break_at_the_width_of_stderr_not_stdout(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:
    """With stdout redirected (`-o jsonl > file`) on a 100-column terminal, info lines broke at
    80 columns: the width was measured on stdout, which fell back to 80."""
    import fcntl
    import io
    import os
    import pty
    import struct
    import termios

    from smscli import console

    monkeypatch.delenv("COLUMNS", raising=False)
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    stream = io.TextIOWrapper(io.FileIO(slave, "w", closefd=True), encoding="utf-8")
    console_env(stderr=stream)
    line = "Would send to 1 number in 1 request: GSM-7, 1 segment per message (8 characters), pr"
    assert 80 < len(line) < 99
    console.info(line)
    stream.close()
    # Everything the line discipline passes on, which one read may not return at once: read
    # until the closed slave side makes the master say EIO (Linux) or end of file.
    pieces = []
    while True:
        try:
            piece = os.read(master, 4096)
        except OSError:
            break
        if not piece:
            break
        pieces.append(piece)
    got = b"".join(pieces).decode()
    os.close(master)
    assert got.replace("\r\n", "\n") == line + "\n"
    monkeypatch.setenv("COLUMNS", "60")  # COLUMNS, when set, still wins
    assert console.Environment(stderr=stream).width == 60


def test_lookup_table_never_folds_numbers_msg_ids_or_times(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lookup's (and inbox's) columns were all priority 0, so at 100 columns nothing could give
    way and rich folded the number (`4477009001`/`23`), msgIds and dates."""
    import re

    sent = invoke("send", "-p", "sandbox", "447700900123", "-m", "Hello from smscli, a message "
                  "for you", "-q")
    msg_id = sent.stdout.strip()  # type: ignore[attr-defined]
    assert len(msg_id) == 19
    assert invoke("sandbox", "inbound", "447700900123", "STOP").exit_code == 0  # type: ignore[attr-defined]
    stamp = re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\b")
    for width in (100, 160):
        monkeypatch.setenv("COLUMNS", str(width))
        for args in (("lookup", "-p", "sandbox", "447700900123"), ("inbox", "-p", "sandbox")):
            result = invoke(*args, "-o", "table")
            assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
            lines = result.stdout.splitlines()  # type: ignore[attr-defined]
            assert all(len(line) <= width for line in lines)
            body = [line for line in lines if "447700900123" in line]
            assert len(body) == (2 if args[0] == "lookup" else 1), result.stdout  # type: ignore[attr-defined]
            assert all(stamp.search(line) for line in body)
        if width == 160:
            assert msg_id in invoke("lookup", "-p", "sandbox", "447700900123", "-o",
                                    "table").stdout  # type: ignore[attr-defined]


def test_lookup_and_inbox_wide_show_every_column_at_100(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA of issue 15: at 100 columns lookup hid job and msgId with no --wide to get them."""
    sent = invoke("send", "-p", "sandbox", "447700900123", "-m", "Hello from smscli, a message "
                  "for you", "-q")
    msg_id = sent.stdout.strip()  # type: ignore[attr-defined]
    assert invoke("sandbox", "inbound", "447700900123", "STOP").exit_code == 0  # type: ignore[attr-defined]
    monkeypatch.setenv("COLUMNS", "100")
    narrow = invoke("lookup", "-p", "sandbox", "447700900123", "-o", "table")
    assert msg_id not in narrow.stdout  # type: ignore[attr-defined]
    assert "columns hidden at this width: job, msg_id" in narrow.stderr  # type: ignore[attr-defined]
    assert "--wide shows all" in narrow.stderr  # type: ignore[attr-defined]
    wide = invoke("lookup", "-p", "sandbox", "447700900123", "-o", "table", "--wide")
    assert wide.exit_code == 0 and msg_id in wide.stdout  # type: ignore[attr-defined]
    assert "Job" in wide.stdout and "hidden" not in wide.stderr  # type: ignore[attr-defined]
    monkeypatch.setenv("COLUMNS", "40")
    inbox = invoke("inbox", "-p", "sandbox", "-o", "table", "--wide")
    assert inbox.exit_code == 0 and "To" in inbox.stdout  # type: ignore[attr-defined]
    assert "hidden" not in inbox.stderr  # type: ignore[attr-defined]


def test_lookup_with_no_match_says_so_on_stderr_and_prints_no_table(
    isolated: Path,
) -> None:
    """QA of issue 15: a lookup with no match drew an empty table."""
    table = invoke("lookup", "-p", "sandbox", "447700900123", "-o", "table")
    assert table.exit_code == 0 and table.stdout == ""  # type: ignore[attr-defined]
    assert ("nothing to or from 447700900123 in the last 7 days (history and gateway records "
            "consulted)") in table.stderr  # type: ignore[attr-defined]
    offline = invoke("lookup", "447700900123", "--no-sync", "--since", "2d", "-o", "table")
    assert offline.exit_code == 0 and offline.stdout == ""  # type: ignore[attr-defined]
    assert ("nothing to or from 447700900123 in the last 2 days (only the local history "
            "consulted)") in offline.stderr  # type: ignore[attr-defined]
    for fmt, expected in (("json", "[]\n"), ("jsonl", ""), ("csv", ""), ("tsv", "")):
        machine = invoke("lookup", "447700900123", "--no-sync", "-o", fmt)
        assert machine.exit_code == 0 and machine.stdout == expected  # type: ignore[attr-defined]
        assert "nothing to or from" not in machine.stderr  # type: ignore[attr-defined]
