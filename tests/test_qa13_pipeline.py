"""QA of issue 13's pipeline refill, end to end over real loopback HTTP: the gateway's own
request log against the history after runs where an answer that stops the run (authentication,
balance) comes back together with accepted ones, and after a send whose stdout is closed.

Whatever the order the answers are read in, every request the gateway answered is journalled
with that answer, nothing is left `sending`, the numbers that never reached the gateway are
`not_sent`, and nothing is sent twice. The gateway holds the first answers until every request
in flight has arrived, so they come back together (the case the refill changed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from smscli.cli import app
from smscli.history.store import Store
from tests.fakes import FakeGateway, LoggedGateway, status, write_profile
from tests.test_faults import numbers

runner = CliRunner()
CHUNK = 1000
JOB = 1


class HeldGateway(LoggedGateway):
    """Holds the answers of the first `together` sendSms requests until all of them have
    arrived, then answers them at once; `answers` maps a request's arrival rank to a fault."""

    def __init__(self, state_dir: Path, together: int, answers: dict[int, object]) -> None:
        super().__init__(state_dir, balance="100000")
        self.together = together
        self.scripted = answers
        self.arrivals = 0
        self.all_in = threading.Event()
        self.release = threading.Event()  # set by a test to let held answers go
        self.release.set()
        self._count_lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("sendSms"):
            return super().handle(request)
        with self._count_lock:
            rank = self.arrivals
            self.arrivals += 1
            if self.arrivals >= self.together:
                self.all_in.set()
            fault = self.scripted.get(rank)
            if fault is not None:
                self.faults.insert(0, fault)  # type: ignore[arg-type]
            response_now = super().handle(request)
        if rank < self.together:
            # A run that stops early never sends all of them: 5 s is only a safety net.
            self.all_in.wait(5)
        else:
            self.release.wait(30)
        return response_now


def journal_matches_gateway(gw: LoggedGateway, given: list[str]) -> dict[str, str]:
    """Every request the gateway answered is in the history with that answer; the numbers that
    never arrived are not_sent; nothing is left in flight; no number was sent twice."""
    with Store.open() as store:
        job = store.job(JOB)
        infos = store.chunks(JOB)
        messages = store.job_messages(JOB)
    assert not job.live
    states = {str(i.state) for i in infos}
    assert states <= {"accepted", "rejected", "refused", "not_sent"}, states
    outcome = {m.number: str(m.outcome) for m in messages}
    assert sorted(outcome) == sorted(given)
    arrived = Counter(gw.arrived())
    assert max(arrived.values(), default=1) == 1, "a number reached the gateway twice"
    with gw._log_lock:
        log = list(gw.log)
    for numbers_of, answer in log:
        got = {str(outcome[n]) for n in numbers_of}
        if answer == "0":
            # The sandbox may reject single numbers of an accepted request.
            assert got <= {"accepted", "rejected"}, (answer, got)
        else:
            # A refused request (auth, balance): its numbers are shown rejected with the
            # gateway's reason, its chunk `refused` (`--resend-refused` sends it again).
            assert got == {"rejected"}, (answer, got)
    for n in set(given) - set(arrived):
        assert outcome[n] == "not_sent"
    return outcome


@pytest.fixture
def config() -> Path:
    return Path(os.environ["SMSCLI_CONFIG"])


def serve(gw: FakeGateway, config: Path, concurrency: int) -> Iterator[FakeGateway]:
    write_profile(config, f"{gw.start()}/v3", extra=f"concurrency = {concurrency}\n")
    try:
        yield gw
    finally:
        gw.stop()


@pytest.mark.parametrize("code", ["-1", "-10"], ids=["auth", "balance"])
@pytest.mark.parametrize("stop_rank", [0, 2, 3])
def test_stopping_answer_among_accepted_ones_journalled_like_the_gateway_says(
    tmp_path: Path, config: Path, code: str, stop_rank: int
) -> None:
    gw = HeldGateway(tmp_path / "gw", together=4, answers={stop_rank: status(code)})
    given = numbers(16 * CHUNK)
    for _ in serve(gw, config, 4):
        run = runner.invoke(
            app, ["send", ",".join(given), "-m", "refill", "-y", "--json"], catch_exceptions=False
        )
    assert run.exit_code != 0, run.stderr
    outcome = journal_matches_gateway(gw, given)
    # The stopping answer is the gateway's word: its numbers were not sent (nothing processed).
    assert gw.answers().count(code) == 1
    # The run stopped: not every request was sent (16 requests; 4 in flight at the stop at
    # most, plus those refilled after accepted answers read before the stopping one).
    assert len(gw.log) < 16
    # The rows the CLI printed are the journal's.
    rows = json.loads(run.stdout)
    assert {r["number"]: r["outcome"] for r in rows} == outcome


def piped_send(given: list[str], text: str, fmt: str) -> subprocess.Popen[bytes]:
    """`smscli send -f - -m TEXT -y -o FMT` as a real process, `given` written to its stdin
    (closed after), its stdout and stderr pipes left to the caller."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "smscli", "send", "-f", "-", "-m", text, "-y", "-o", fmt],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(("\n".join(given) + "\n").encode())
    proc.stdin.close()
    return proc


def test_closed_stdout_stops_the_run_and_every_answer_is_journalled(
    tmp_path: Path, config: Path
) -> None:
    """`smscli send ... | head -1` (a real process): the rows of the first answer are read, the
    pipe is closed, then the next answers come back. The run stops; what the gateway answered
    is journalled, the rest not sent; `send --resume` sends exactly the rest."""
    gw = HeldGateway(tmp_path / "gw", together=1, answers={})
    gw.release.clear()  # answers after the first wait until the pipe is closed
    given = numbers(8 * CHUNK)
    for _ in serve(gw, config, 2):
        proc = piped_send(given, "pipe", "tsv")
        first = proc.stdout.readline()
        assert first.startswith(b"number"), first
        proc.stdout.close()
        gw.release.set()
        err = proc.stderr.read().decode()
        proc.stderr.close()
        code = proc.wait(60)
        assert code != 0, err
        assert "Traceback" not in err, err
        outcome = journal_matches_gateway(gw, given)
        assert len(gw.log) < 8, "the run did not stop at the closed stdout"
        not_sent = [n for n in given if outcome[n] == "not_sent"]
        assert not_sent
        mark = len(gw.arrived())
        resumed = runner.invoke(app, ["send", "--resume", str(JOB), "-y", "--json"])
        assert resumed.exit_code == 0, resumed.stderr
        assert sorted(gw.arrived()[mark:]) == sorted(not_sent)
        assert Counter(gw.arrived()) == Counter(given)


def pipe_full(fd: int) -> bool:
    """Our read end holds as many bytes as the pipe can: the writer is blocked (Linux)."""
    import fcntl
    import termios

    size = fcntl.fcntl(fd, 1032)  # F_GETPIPE_SZ
    waiting = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, waiting)
    return int.from_bytes(waiting, sys.byteorder) >= size


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="F_GETPIPE_SZ, FIONREAD")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_signal_while_stdout_is_full_writes_each_row_once_and_whole(
    tmp_path: Path, config: Path, sig: str
) -> None:
    """`smscli send ... -o jsonl | slow-consumer` stopped with SIGTERM/SIGINT while the first
    answer's 1000 rows (~116 kB) fill the pipe: the rows that reach the reader are whole JSON
    lines, each number at most once (a consumer must not see a row twice nor a broken one)."""
    import signal
    import time

    gw = HeldGateway(tmp_path / "gw", together=1, answers={})
    gw.release.clear()  # the second request waits until the signal has been sent
    given = numbers(3 * CHUNK)
    for _ in serve(gw, config, 1):
        proc = piped_send(given, "full", "jsonl")
        deadline = time.monotonic() + 60  # a safety net, not an assertion on time
        while not pipe_full(proc.stdout.fileno()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pipe_full(proc.stdout.fileno()), "the rows never filled the pipe"
        proc.send_signal(getattr(signal, sig))
        gw.release.set()
        out = proc.stdout.read().decode()
        proc.stdout.close()
        proc.stderr.read()
        proc.stderr.close()
        proc.wait(60)
        seen: Counter[str] = Counter()
        for line in out.splitlines():
            seen[json.loads(line)["number"]] += 1  # a broken row raises here
        assert max(seen.values()) == 1, f"{sum(k > 1 for k in seen.values())} rows written twice"
        journal_matches_gateway(gw, given)
