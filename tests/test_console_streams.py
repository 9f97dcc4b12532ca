"""The stdin readers (numbers, message text, msgIds, `config set`'s value) and report's live
line and rescue lines go through the console Environment: an injected one reaches them, the
process's own streams are left alone."""

from __future__ import annotations

import io
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from smscli import console
from smscli.console import Environment


def _run(
    monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str
) -> tuple[int, str, str]:
    """The whole CLI in an Environment whose stdin is `stdin`; sys.stdin is a trap."""
    from smscli.cli import main

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "argv", ["smscli", *args])
    trap = io.StringIO("447700900999\n")  # were it read, the wrong number would show
    monkeypatch.setattr(sys, "stdin", trap)
    stops = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    saved = {signum: signal.getsignal(signum) for signum in stops}
    env = Environment(stdin=io.StringIO(stdin), stdin_isatty=False, stdout=out, stderr=err)
    try:
        with pytest.raises(SystemExit) as done:
            main(env)
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    assert trap.tell() == 0, "sys.stdin was read"
    code = done.value.code
    return (code if isinstance(code, int) else 0), out.getvalue(), err.getvalue()


def test_numbers_and_message_come_from_the_injected_stdin(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = _run(
        monkeypatch, ["send", "-p", "sandbox", "-m", "hi", "-y", "-o", "jsonl"],
        "447700900123\n447700900124\n",
    )
    assert code == 0, err
    assert sorted(json.loads(line)["number"] for line in out.splitlines()) == [
        "447700900123", "447700900124",
    ]
    code, out, err = _run(
        monkeypatch,
        ["send", "-p", "sandbox", "--message-file", "-", "447700900125", "-y", "-o", "jsonl"],
        "text from stdin\n",
    )
    assert code == 0, err
    assert [json.loads(line)["number"] for line in out.splitlines()] == ["447700900125"]


def test_msg_ids_come_from_the_injected_stdin(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, sent, err = _run(
        monkeypatch, ["send", "-p", "sandbox", "-m", "hi", "-y", "-o", "jsonl", "447700900123"],
        "",
    )
    assert code == 0, err
    code, out, err = _run(monkeypatch, ["report", "-p", "sandbox", "-o", "jsonl"], sent)
    assert code in (0, 4), err  # delivered or still pending: the id was read either way
    assert [json.loads(line)["msg_id"] for line in out.splitlines()] == [
        json.loads(sent)["msg_id"]
    ]


def test_config_set_reads_its_value_from_the_injected_stdin(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = _run(
        monkeypatch, ["config", "init", "--provider", "sandbox", "--profile", "t"], ""
    )
    assert code == 0, err
    code, _, err = _run(monkeypatch, ["config", "set", "-p", "t", "sender_id", "-"], "ACME\n")
    assert code == 0, err
    code, out, err = _run(monkeypatch, ["config", "get", "-p", "t", "sender_id"], "")
    assert code == 0 and out.strip() == "ACME", err


def test_report_live_line_and_rescue_write_to_the_environments_stderr(
    console_env: Callable[..., Environment], capsys: pytest.CaptureFixture[str]
) -> None:
    from smscli.cli.report_show import Progress, rescue
    from smscli.gateways.base import DeliveryStatus, Report

    err = io.StringIO()
    console_env(stderr=err, stderr_isatty=True, width=40)
    progress = Progress(live=True)
    progress._show("x" * 100)
    assert err.getvalue() == "\r" + "x" * 39  # cut to the environment's width
    progress.close()
    assert err.getvalue().endswith("\r" + " " * 39 + "\r")
    err.truncate(0)
    err.seek(0)
    rescue((Report(msg_id="77", status=DeliveryStatus.DELIVERED),))
    assert json.loads(err.getvalue())["msg_id"] == "77"
    assert capsys.readouterr().err == ""
    assert console.current().stderr is err
