"""What a person sees in a real terminal: smscli runs in a pseudo-terminal (stdlib pty) of
100 and 160 columns. No number, msgId, date or code is ever folded across lines; statuses
are coloured on a terminal and plain under NO_COLOR; a confirmation reaches the terminal
even when the numbers come through a pipe."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from datetime import datetime
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pseudo-terminals")

ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
LIMIT = 120.0  # seconds: a hung child fails the test instead of the whole run


def terminal_env(color: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(TERM="xterm-256color", TZ="UTC")
    if not color:
        env["NO_COLOR"] = "1"
    return env


def in_terminal(
    argv: list[str], columns: int, *, color: bool = True, answer: tuple[str, str] | None = None
) -> tuple[str, int]:
    """Run argv with a pseudo-terminal as its controlling terminal and stdin/stdout/stderr;
    returns what the terminal showed and the exit status. `answer` = (prompt, reply): type
    the reply once the prompt shows."""
    env = terminal_env(color)
    pid, fd = pty.fork()
    if pid == 0:  # the child: size the terminal before anything can ask for it
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
            os.execve(argv[0], argv, env)  # noqa: S606 - argv is ours, no shell wanted
        finally:
            os._exit(127)
    out = b""
    deadline = time.monotonic() + LIMIT
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if answer is not None and answer[0].encode() in out:
                os.write(fd, answer[1].encode())
                answer = None
        else:
            os.kill(pid, signal.SIGKILL)
            pytest.fail(f"{argv} did not finish: {out.decode(errors='replace')}")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return out.decode(errors="replace").replace("\r\n", "\n"), os.waitstatus_to_exitcode(status)


def smscli(*args: str) -> list[str]:
    return [sys.executable, "-m", "smscli", *args]


def machine(*args: str) -> list[dict[str, object]]:
    done = subprocess.run(smscli(*args, "-o", "jsonl"), capture_output=True, text=True,
                          timeout=LIMIT, check=False, env={**os.environ, "TZ": "UTC"})
    assert done.returncode in (0, 3), done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def shown_time(value: object) -> str:
    return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M:%S")


def tokens(rows: list[dict[str, object]], *keys: str) -> set[str]:
    found = set()
    for row in rows:
        for key in keys:
            value = row.get(key)
            if value in (None, ""):
                continue
            found.add(shown_time(value) if key in ("created", "sent", "time") else str(value))
    return found


def assert_unfolded(screen: str, expected: set[str], columns: int) -> None:
    plain = ESCAPE.sub("", screen)
    lines = plain.splitlines()
    assert all(len(line) <= columns for line in lines), plain
    for token in expected:
        assert any(token in line for line in lines), f"{token!r} folded or missing:\n{plain}"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A history with a big job (five-digit counts), a failing number and a rejected one."""
    base = tmp_path_factory.mktemp("terminal")
    env = {"SMSCLI_DATA_DIR": str(base / "data"), "SMSCLI_CONFIG": str(base / "config.toml")}
    big = base / "big.txt"
    big.write_text("".join(f"{447700910000 + i}\n" for i in range(19998)))
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        machine("send", "-p", "sandbox", "447700900123,447700900999,447700900997", "-m",
                "Hello from smscli, a message for you")
        machine("send", "-p", "sandbox", "-f", str(big), "-m", "Big promo", "-y")
        # Job 1's delivery states made final (and kept in the history) before any test
        # reads them: `--wait` returns when the sandbox has decided, whatever the load.
        done = machine("report", "-p", "sandbox", "--job", "1", "--wait", "--interval", "0.2",
                       "--timeout", "100")
        assert {r["status"] for r in done} == {"delivered", "failed"}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return env


@pytest.fixture
def in_history(history: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in history.items():
        monkeypatch.setenv(key, value)


@pytest.mark.parametrize("columns", [100, 160])
def test_history_table(in_history: None, columns: int) -> None:
    rows = machine("history")
    screen, code = in_terminal(smscli("history"), columns)
    assert code == 0, screen
    assert_unfolded(screen, tokens(rows, "job", "created", "numbers", "accepted"), columns)
    assert "19998" in screen and "19996" in screen


@pytest.mark.parametrize("columns", [100, 160])
def test_history_number_table(in_history: None, columns: int) -> None:
    rows = machine("history", "--number", "447700900999")
    screen, code = in_terminal(smscli("history", "--number", "447700900999"), columns)
    assert code == 0, screen
    assert_unfolded(screen, tokens(rows, "number", "msg_id", "sent", "job"), columns)
    assert re.search(r"\x1b\[[0-9;]*32maccepted", screen), screen  # green on a terminal


@pytest.mark.parametrize("columns", [100, 160])
def test_report_table_coloured_unless_no_color(in_history: None, columns: int) -> None:
    rows = machine("report", "-p", "sandbox", "--job", "1")
    expected = tokens(rows, "number", "msg_id", "time", "code")
    screen, code = in_terminal(smscli("report", "-p", "sandbox", "--job", "1"), columns)
    assert code in (0, 3), screen
    assert_unfolded(screen, expected, columns)
    colours = {"delivered": "32", "failed": "31"}
    for row in rows:
        status = str(row["status"])
        assert re.search(rf"\x1b\[[0-9;]*{colours[status]}m{status}", screen), screen
    plain, code = in_terminal(smscli("report", "-p", "sandbox", "--job", "1"), columns,
                              color=False)
    assert code in (0, 3) and "\x1b[" not in plain, plain
    assert_unfolded(plain, expected, columns)


@pytest.mark.parametrize("columns", [100, 160])
def test_send_table(isolated: Path, columns: int) -> None:
    screen, code = in_terminal(
        smscli("send", "-p", "sandbox", "447700900123,447700900997", "-m", "hi"), columns
    )
    assert code == 3, screen  # one rejected
    rows = machine("history", "show", "1")
    assert_unfolded(screen, tokens(rows, "number", "msg_id"), columns)
    assert re.search(r"\x1b\[[0-9;]*32maccepted", screen), screen
    assert re.search(r"\x1b\[[0-9;]*31mrejected", screen), screen
    plain, _ = in_terminal(
        smscli("send", "-p", "sandbox", "447700900124", "-m", "hi"), columns, color=False
    )
    assert "\x1b[" not in plain and "accepted" in plain, plain


def test_stderr_lines_break_between_words(isolated: Path) -> None:
    screen, code = in_terminal(smscli("send", "-p", "sandbox", "07700900123", "-m", "hi"), 100)
    assert code == 2
    assert "e.g. 6281211111111" in screen.replace("\n    ", " "), screen
    assert all(len(line) <= 100 for line in ESCAPE.sub("", screen).splitlines()), screen


def test_piped_numbers_are_confirmed_on_the_terminal(isolated: Path, tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("".join(f"{447700920000 + i}\n" for i in range(150)))
    command = f"cat {numbers} | {sys.executable} -m smscli send -p sandbox -m 'We’re open'"
    screen, code = in_terminal(["/bin/sh", "-c", command], 100,
                               answer=("Send to 150 numbers", "n\n"))
    assert code == 0, screen
    assert "Send to 150 numbers (150 segments)? [y/N]" in screen
    assert "Nothing sent." in screen
    assert machine("history") == []


def test_never_asked_without_a_terminal(isolated: Path, tmp_path: Path) -> None:
    numbers = "".join(f"{447700920000 + i}\n" for i in range(150))
    done = subprocess.run(smscli("send", "-p", "sandbox", "-m", "hi", "-q"), input=numbers,
                          capture_output=True, text=True, timeout=LIMIT, check=False,
                          start_new_session=True)  # no controlling terminal at all
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 150 and "[y/N]" not in done.stderr
