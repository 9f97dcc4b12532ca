"""The installed `smscli` on a real pseudo-terminal (stdlib pty), against the loopback fake
gateway: where a person runs it. Rows land where stdout points, byte for byte as in a run
without a terminal; the progress bar is drawn on the terminal; a big send's table is bounded;
the confirmation and `config init` work by typing."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import subprocess
import sys
import termios
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.edges import SMSCLI, EdgeGateway, numbers, point_profile_at
from tests.fakes import status

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(sys.platform != "linux", reason="pty semantics checked on Linux"),
]


class Terminal:
    """smscli with some of its standard streams on a pseudo-terminal it has as its
    controlling terminal (so getpass's hidden prompt works as for a person)."""

    def __init__(
        self, argv: list[str], *, stdout: IO[Any] | None = None, stderr: IO[Any] | None = None
    ) -> None:
        master, slave = pty.openpty()
        self.master = master
        self._buffer = b""
        self.closed = False
        self._stop = threading.Event()
        self._cond = threading.Condition()
        env = {**os.environ, "TERM": "xterm", "COLUMNS": "160", "LINES": "40"}
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=stdout if stdout is not None else slave,
            stderr=stderr if stderr is not None else slave,
            env=env,
            start_new_session=True,
            preexec_fn=_controlling_tty,  # the terminal must be its controlling one (getpass)
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def hang_up(self) -> None:
        """Close the terminal's master side, as a terminal window being closed does (the
        kernel then sends SIGHUP). The reader stops first: a closed descriptor's number may
        be reused at once, by a socket of the test's own gateway for instance."""
        self._stop.set()
        self._reader.join(10)
        os.close(self.master)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self.master], [], [], 0.2)
                if not ready:
                    if self.proc.poll() is not None:
                        ready, _, _ = select.select([self.master], [], [], 0)
                        if not ready:
                            break
                    continue
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the last holder of the slave side closed it
                break
            if not data:
                break
            with self._cond:
                self._buffer += data
                self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def next_prompt(self, after: int, timeout: float = 30.0) -> tuple[str, int] | None:
        """The next prompt (a line ending in ": " with nothing after it) written after
        offset `after`, and where it ends; None once the terminal is closed."""
        regex = re.compile(r"([^\r\n]*): $")
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                text = self._buffer.decode("utf-8", "replace")
                found = regex.search(text, after)
                if found:
                    return found.group(1).strip(), len(text)
                if self.closed:
                    return None
                left = deadline - time.monotonic()
                assert left > 0, f"no prompt after offset {after} in:\n{text}"
                self._cond.wait(left)

    @property
    def text(self) -> str:
        with self._cond:
            return self._buffer.decode("utf-8", "replace")

    def expect(self, pattern: str, timeout: float = 60.0) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = regex.search(self._buffer.decode("utf-8", "replace"))
                if found:
                    return found
                left = deadline - time.monotonic()
                assert left > 0, f"{pattern!r} never appeared in:\n{self.text}"
                self._cond.wait(left)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait(self, timeout: float = 120.0) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(10)
        os.close(self.master)
        return code


def _controlling_tty() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[EdgeGateway]:
    gw = EdgeGateway(tmp_path / "gateway")
    point_profile_at(gw, extra="concurrency = 2\n")
    yield gw
    gw.stop()


def numbers_file(tmp_path: Path, count: int) -> tuple[list[str], Path]:
    given = numbers(count)
    path = tmp_path / f"numbers-{count}.txt"
    path.write_text("\n".join(given) + "\n", encoding="utf-8")
    return given, path


def without_ids(data: bytes) -> bytes:
    """JSONL rows with the msgIds blanked: two runs get different ids, nothing else."""
    rows = [json.loads(line) for line in data.splitlines()]
    for row in rows:
        row["msg_id"] = "ID" if row["msg_id"] else row["msg_id"]
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in rows)


def test_rows_go_to_the_redirected_file_and_the_bar_to_the_terminal(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    """`smscli send -f 3000.txt -m hi -y -o jsonl > sent.jsonl` from a terminal: the bar
    captured stdout, leaving sent.jsonl empty (the README's own example failed)."""
    given, path = numbers_file(tmp_path, 3000)
    argv = [SMSCLI, "send", "-f", str(path), "-m", "hi", "-y", "-o", "jsonl"]
    sent = tmp_path / "sent.jsonl"
    with open(sent, "wb") as out:
        term = Terminal(argv, stdout=out)
        assert term.wait() == 0, term.text
    assert "sending" in term.text  # the bar was drawn on the terminal
    assert "3,000 accepted" in term.text
    assert '"number"' not in term.text  # and no row went there
    answers = dict(gateway.answers)

    piped = subprocess.run(argv, capture_output=True, env=dict(os.environ), timeout=120,
                           check=False)
    assert piped.returncode == 0, piped.stderr
    data = sent.read_bytes()
    assert len(data.splitlines()) == 3000
    assert [json.loads(line)["number"] for line in data.splitlines()] == given
    assert without_ids(data) == without_ids(piped.stdout)
    # The msgIds written are the ones the gateway gave.
    assert {r["number"]: r["msg_id"] for r in map(json.loads, data.splitlines())} == answers


def test_a_big_send_on_a_terminal_shows_the_rows_that_matter(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    given, path = numbers_file(tmp_path, 3000)
    gateway.gw.faults.extend([lambda r, gw: gw.sandbox.handle(r), status("-10")])
    err = tmp_path / "stderr.txt"
    with open(err, "w") as stderr:
        term = Terminal(
            [SMSCLI, "send", "-f", str(path), "-m", "hi", "-y", "--concurrency", "1"],
            stderr=stderr,
        )
        assert term.wait() == 3, term.text
    shown = term.text
    assert "Number" in shown and given[1000] in shown  # a refused row
    assert given[0] not in shown  # accepted rows are not drawn
    assert shown.count("\n") < 300
    notes = err.read_text()
    assert "3,000 rows: the table shows 200 of the 2,000 rows not accepted" in notes
    assert "smscli history show 1" in notes and "--resend-refused" in notes


@pytest.mark.parametrize(("answer", "sent"), [("n", 0), ("y", 200)])
def test_the_confirmation_works_by_typing(
    gateway: EdgeGateway, tmp_path: Path, answer: str, sent: int
) -> None:
    _, path = numbers_file(tmp_path, 200)
    term = Terminal([SMSCLI, "send", "-f", str(path), "-m", "hi", "-o", "jsonl"])
    term.expect(r"Send to 200 numbers \(200 segments\)\? \[y/N\]: ")
    assert gateway.arrived == 0
    term.type(f"{answer}\r")
    assert term.wait() == 0, term.text
    assert sum(gateway.processed().values()) == sent
    if not sent:
        assert "Nothing sent." in term.text


def test_config_init_works_by_typing(tmp_path: Path) -> None:
    term = Terminal([SMSCLI, "config", "init"])
    answers = {
        "profile name": "",
        "provider": "laaffic",
        "api_key": "KEY12345",
        "api_secret": "s3cretVALUE",
        "app_id": "APP1",
    }
    asked: list[str] = []
    offset = 0
    while (prompt := term.next_prompt(offset)) is not None and len(asked) < 20:
        question, offset = prompt
        key = next((k for k in answers if question.startswith(k)), None)
        asked.append(question)
        term.type(f"{answers[key] if key else ''}\r")
    assert term.wait() == 0, term.text
    assert any(p.startswith("api_secret") for p in asked), asked
    assert "s3cretVALUE" not in term.text  # the secret was typed at a hidden prompt
    saved = tomllib.loads(Path(os.environ["SMSCLI_CONFIG"]).read_text())
    main = saved["profiles"]["main"]
    assert (main["provider"], main["api_key"], main["api_secret"], main["app_id"]) == (
        "laaffic", "KEY12345", "s3cretVALUE", "APP1"
    )


def test_the_terminal_going_away_mid_send_is_handled_as_sighup(tmp_path: Path) -> None:
    """Closing the terminal (the kernel sends SIGHUP, stderr then fails with EIO): the send
    drains, journals every answer, writes its rows and exits 129."""
    from tests.edges import assert_nothing_twice_and_every_answer_kept, only_job

    gw = EdgeGateway(tmp_path / "gateway", hold_from=4)
    try:
        point_profile_at(gw, extra="concurrency = 3\n")
        _, path = numbers_file(tmp_path, 10_000)
        rows = tmp_path / "rows.jsonl"
        with open(rows, "w") as out:
            term = Terminal([SMSCLI, "send", "-f", str(path), "-m", "hi", "-y", "-o", "jsonl"],
                            stdout=out)
            gw.wait_arrived(6)  # three answered, three in flight
            term.hang_up()  # the terminal goes away
            gw.release.set()
            assert term.proc.wait(120) == 129
        outcomes = assert_nothing_twice_and_every_answer_kept(gw, only_job())
        assert "unknown" not in outcomes.values()
        assert len(rows.read_text().splitlines()) == 10_000
    finally:
        gw.stop()
