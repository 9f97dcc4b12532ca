"""Journal + resume: a send interrupted any way (kill -9, Ctrl-C, a stop on an error) is resumed
with `send --resume JOB`, which sends what never left, asks about what may have arrived, and
never resends an answered request. The gateway's own log is the judge."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from smscli.cli import app
from smscli.gateways.base import SendResult, Submitted
from smscli.history.db import StoreError
from smscli.jobs.plan import chunked
from smscli.model import Chunk, ChunkOutcome, ChunkState
from smscli.sandbox.loopback import LoopbackServer
from smscli.sending import run_chunks
from tests.fakes import FakeGateway, after_processing, http_500, status, write_profile

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
ONE_AT_A_TIME = "concurrency = 1\n"


def numbers(count: int, start: int = 447700000000) -> list[str]:
    """Plain numbers: none with the sandbox's magic endings (0997 would be rejected)."""
    out: list[str] = []
    candidate = start
    while len(out) < count:
        if str(candidate)[-4:] not in ("0997", "0998", "0999"):
            out.append(str(candidate))
        candidate += 1
    return out


def invoke(*args: str, input: str | None = None) -> object:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[FakeGateway]:
    gw = FakeGateway(tmp_path / "gateway", balance="100000")
    url = gw.start()
    # One request at a time, so which request meets a scripted fault is certain.
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{url}/v3", extra=ONE_AT_A_TIME)
    yield gw
    gw.stop()


def job_rows(job: int) -> list[dict[str, object]]:
    result = invoke("history", "show", str(job), "-o", "json")
    assert result.exit_code == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


# -- in process: stops on errors --------------------------------------------------------------


def test_stop_on_error_then_resume_sends_only_the_rest(gateway: FakeGateway) -> None:
    given = numbers(3500)
    # Request 1 succeeds; request 2 is refused for balance (nothing sent, run stops).
    gateway.faults.extend([lambda r, gw: gw.sandbox.handle(r), status("-10")])
    result = invoke("send", ",".join(given), "-m", "hi", "--json", "-y")
    assert result.exit_code == 3, result.stderr
    assert "job 1:" in result.stderr
    assert "smscli send --resume 1" in result.stderr
    first = Counter(gateway.numbers_received())
    assert len(first) == 1000  # request 1 only (request 2 was refused before processing)

    planned = invoke("send", "--resume", "1", "--dry-run")
    assert planned.exit_code == 0
    assert "Would send 1,500 numbers of job 1 in 2 requests (3, 4)" in planned.stderr
    assert Counter(gateway.numbers_received()) == first

    resumed = invoke("send", "--resume", "1", "-y", "--json")
    rows = json.loads(resumed.stdout)
    assert [r["number"] for r in rows] == given  # the whole job, in order
    refused = {r["number"] for r in rows if r["outcome"] == "rejected"}
    assert len(refused) == 1000  # the rejected request is never resent
    received = Counter(gateway.numbers_received())
    assert set(received) == set(given) - refused
    assert set(received.values()) == {1}
    assert resumed.exit_code == 3  # the job as a whole: some numbers were rejected
    assert "job 1:" in resumed.stderr

    again = invoke("send", "--resume", "1", "-y", "-o", "jsonl")
    assert "nothing left to send" in again.stderr
    assert Counter(gateway.numbers_received()) == received


def test_unknown_chunk_listed_not_resent_unless_asked(gateway: FakeGateway) -> None:
    given = numbers(2500)
    # The gateway processes request 1 and the answer is lost: unknown, so the run stops.
    gateway.faults.append(after_processing(http_500))
    result = invoke("send", ",".join(given), "-m", "hi", "--json", "-y", "-p", "main")
    assert result.exit_code == 6
    assert "--resend-unknown" in result.stderr
    assert "smscli send --resume 1" in result.stderr

    resumed = invoke("send", "--resume", "1", "-y", "--json")
    assert resumed.exit_code == 6, resumed.stderr  # still unknown
    assert f"request 1: 1,000 numbers ({given[0]} … {given[999]})" in resumed.stderr
    assert "not resending them" in resumed.stderr
    received = Counter(gateway.numbers_received())
    assert set(received) == set(given) and set(received.values()) == {1}
    rows = json.loads(resumed.stdout)
    assert len(rows) == 2500
    assert {r["outcome"] for r in rows[:1000]} == {"unknown"}
    assert all(r["outcome"] == "accepted" for r in rows[1000:])

    forced = invoke("send", "--resume", "1", "-y", "--resend-unknown", "--json")
    assert forced.exit_code == 0, forced.stderr
    assert "may get it twice" in forced.stderr
    received = Counter(gateway.numbers_received())
    assert {n for n, k in received.items() if k == 2} == set(given[:1000])
    assert all(r["outcome"] == "accepted" for r in json.loads(forced.stdout))
    chunks = json.loads(invoke("history", "show", "1", "--chunks", "-o", "json").stdout)
    assert [c["sends"] for c in chunks] == [2, 1, 1]


def test_resume_refuses_numbers_unknown_job_and_no_history(gateway: FakeGateway) -> None:
    for args, fragment in [
        (["send", "--resume", "9", "-y"], "no job 9"),
        (["send", "447700900123", "--resume", "1"], "give no numbers"),
        (["send", "--resume", "1", "--no-history"], "needs the history"),
        (["send", "447700900123", "-m", "hi", "--resend-unknown"], "goes with --resume"),
    ]:
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.stderr)
        assert fragment in result.stderr
        assert "Traceback" not in result.stderr
    assert gateway.received == []


def test_resume_other_profile_warns_and_message_must_match(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    config = Path(os.environ["SMSCLI_CONFIG"])
    url = str(gateway.server.url) if gateway.server else ""
    write_profile(config, f"{url}/v3", extra="store_content = false\n" + ONE_AT_A_TIME)
    with config.open("a", encoding="utf-8") as handle:
        handle.write(
            '[profiles.other]\nprovider = "laaffic"\napi_key = "bDqJFiq9"\n'
            f'api_secret = "7bz1lzh9"\napp_id = "4luaKsL2"\nbase_url = "{url}/v3"\n'
        )
    gateway.faults.extend([lambda r, gw: gw.sandbox.handle(r), status("-10")])
    result = invoke("send", ",".join(numbers(2100)), "-m", "secret code", "-y", "--json")
    assert result.exit_code == 3
    assert "--resume 1 --message-file PATH" in result.stderr

    missing = invoke("send", "--resume", "1", "-y")
    assert missing.exit_code == 2 and "was not stored" in missing.stderr
    wrong = invoke("send", "--resume", "1", "-y", "-m", "another text")
    assert wrong.exit_code == 2 and "hash differs" in wrong.stderr
    assert len(gateway.sends()) == 1  # the refused request never reached the sandbox

    ok = invoke("send", "--resume", "1", "-y", "-m", "secret code", "-p", "other", "--json")
    assert "resuming it with profile other" in ok.stderr
    assert ok.exit_code == 3  # request 2 stays rejected
    assert gateway.sends()[-1]["content"] == "secret code"
    assert len(Counter(gateway.numbers_received())) == 1100


def test_no_history_means_no_job_and_says_resume_impossible(gateway: FakeGateway) -> None:
    gateway.faults.extend([lambda r, gw: gw.sandbox.handle(r), status("-10")])
    result = invoke("send", ",".join(numbers(2100)), "-m", "hi", "-y", "--no-history")
    assert result.exit_code == 3
    assert "cannot be resumed" in result.stderr
    assert "job " not in result.stderr
    listed = invoke("history", "-o", "json")
    assert json.loads(listed.stdout) == []


def test_profile_history_false_records_nothing(gateway: FakeGateway) -> None:
    config = Path(os.environ["SMSCLI_CONFIG"])
    url = str(gateway.server.url) if gateway.server else ""
    write_profile(config, f"{url}/v3", extra="history = false\n" + ONE_AT_A_TIME)
    assert invoke("send", "447700900123", "-m", "hi").exit_code == 0
    assert json.loads(invoke("history", "-o", "json").stdout) == []


def test_store_unusable_sends_nothing(gateway: FakeGateway, tmp_path: Path) -> None:
    data = Path(os.environ["SMSCLI_DATA_DIR"])
    data.mkdir(parents=True)
    (data / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    result = invoke("send", "447700900123", "-m", "hi")
    assert result.exit_code == 2
    assert "damaged" in result.stderr and "--no-history" in result.stderr
    assert "Traceback" not in result.stderr
    assert gateway.received == []
    assert invoke("send", "447700900123", "-m", "hi", "--no-history").exit_code == 0


# -- run_chunks with a journal that fails -------------------------------------------------------


class FailingJournal:
    def __init__(self, fail_at: int, error: BaseException) -> None:
        self.fail_at, self.error = fail_at, error
        self.before_calls: list[int] = []
        self.after_calls: list[tuple[int, ChunkState]] = []

    def before(self, chunk: Chunk) -> None:
        self.before_calls.append(chunk.index)
        if chunk.index == self.fail_at:
            raise self.error

    def after(self, outcome: ChunkOutcome) -> None:
        self.after_calls.append((outcome.chunk.index, outcome.state))


def ok(chunk: Chunk) -> SendResult:
    subs = tuple(Submitted(n, f"m{n}") for n in chunk.numbers)
    return SendResult(subs, len(subs), 0)


def test_a_chunk_the_journal_cannot_record_is_not_sent() -> None:
    journal = FailingJournal(2, StoreError("disk full"))
    sent: list[int] = []

    def send_one(chunk: Chunk) -> SendResult:
        sent.append(chunk.index)
        return ok(chunk)

    run = run_chunks(chunked(numbers(10), 2), send_one, concurrency=1, journal=journal)
    assert sent == [0, 1]
    assert [(o.chunk.index, o.state) for o in run.outcomes] == [
        (0, ChunkState.ACCEPTED),
        (1, ChunkState.ACCEPTED),
        (2, ChunkState.NOT_SENT),
        (3, ChunkState.NOT_SENT),
        (4, ChunkState.NOT_SENT),
    ]
    assert run.stopped_by is not None and run.stopped_by.history
    assert run.outcomes[2].error is run.stopped_by


def test_ctrl_c_while_journalling_a_chunk_loses_no_chunk() -> None:
    journal = FailingJournal(1, KeyboardInterrupt())
    run = run_chunks(chunked(numbers(6), 2), ok, concurrency=1, journal=journal)
    assert run.interrupted
    assert [(o.chunk.index, o.state) for o in run.outcomes] == [
        (0, ChunkState.ACCEPTED),
        (1, ChunkState.NOT_SENT),  # its request never left
        (2, ChunkState.NOT_SENT),
    ]
    assert (1, ChunkState.NOT_SENT) in journal.after_calls


# -- a real process, killed -------------------------------------------------------------------


class Gate:
    """Lets the first `open_for` sendSms requests through; later ones wait (in flight, as the
    client sees them) until `release` is set: the test decides when the process dies."""

    def __init__(self, gw: FakeGateway, open_for: int) -> None:
        self.gw = gw
        self.open_for = open_for
        self.arrived = 0
        self.lock = threading.Lock()
        self.release = threading.Event()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("sendSms"):
            with self.lock:
                self.arrived += 1
                held = self.arrived > self.open_for
            if held:
                self.release.wait(30)
        return self.gw.handle(request)

    def wait_for(self, count: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.arrived < count:
            assert time.monotonic() < deadline, f"only {self.arrived} requests arrived"
            time.sleep(0.01)


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[Gate]:
    gw = FakeGateway(tmp_path / "gateway", latency=0.05, balance="100000")
    gate = Gate(gw, open_for=5)
    server = LoopbackServer(gate.handle).start()
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{server.url}/v3")
    yield gate
    gate.release.set()
    server.shutdown()
    gw.sandbox.close()


def smscli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smscli", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        cwd=REPO,
        timeout=120,
    )


SEND_ARGS = ("send", "-m", "hi", "-y", "-o", "jsonl", "-f")


def start_send(numbers_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "smscli", *SEND_ARGS, str(numbers_file)],
        # Rows stream out while the send runs: an unread pipe would fill and hold the send
        # back (as any Unix tool's output does), which is not what these tests are about.
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        cwd=REPO,
    )


def only_job() -> int:
    listed = smscli("history", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    (job,) = json.loads(listed.stdout)
    return int(job["job"])


def interrupted(
    gate: Gate, tmp_path: Path, stop: Callable[[subprocess.Popen[str]], None]
) -> tuple[list[str], subprocess.Popen[str], str]:
    given = numbers(20_000)
    numbers_file = tmp_path / "numbers.txt"
    numbers_file.write_text("\n".join(given) + "\n", encoding="utf-8")
    proc = start_send(numbers_file)
    try:
        gate.wait_for(gate.open_for + 4)  # four requests in flight, held by the gateway
        time.sleep(0.2)
        stop(proc)
        _, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return given, proc, stderr


@pytest.mark.e2e
def test_kill_9_mid_send_then_resume(gated: Gate, tmp_path: Path) -> None:
    def kill(proc: subprocess.Popen[str]) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        gated.release.set()  # the held requests now reach the gateway, as if just in time

    given, proc, _ = interrupted(gated, tmp_path, kill)
    assert proc.returncode == -signal.SIGKILL
    job = only_job()
    listed = json.loads(smscli("history", "-o", "json").stdout)
    assert listed[0]["status"] == "interrupted" and listed[0]["numbers"] == 20_000

    resumed = smscli("send", "--resume", str(job), "-y", "-o", "jsonl")
    assert "unknown outcome" in resumed.stderr and "not resending them" in resumed.stderr
    assert resumed.returncode == 6, resumed.stderr
    rows = [json.loads(line) for line in resumed.stdout.splitlines()]
    assert [r["number"] for r in rows] == given
    unknown = {r["number"] for r in rows if r["outcome"] == "unknown"}
    assert 1000 <= len(unknown) <= 4000 and len(unknown) % 1000 == 0
    received = Counter(gated.gw.numbers_received())
    for number in given:
        if number in unknown:
            assert received[number] <= 1
        else:
            assert received[number] == 1, number

    forced = smscli("send", "--resume", str(job), "-y", "--resend-unknown", "-o", "jsonl")
    assert forced.returncode == 0, forced.stderr
    received = Counter(gated.gw.numbers_received())
    assert set(received) == set(given)
    twice = {n for n, k in received.items() if k > 1}
    assert twice <= unknown and max(received.values()) <= 2
    assert json.loads(smscli("history", "-o", "json").stdout)[0]["status"] == "done"


@pytest.mark.e2e
def test_ctrl_c_mid_send_then_resume(gated: Gate, tmp_path: Path) -> None:
    def interrupt(proc: subprocess.Popen[str]) -> None:
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)
        gated.release.set()  # the requests in flight finish while smscli drains them

    given, proc, stderr = interrupted(gated, tmp_path, interrupt)
    assert proc.returncode == 130, stderr
    job = only_job()
    assert f"smscli send --resume {job}" in stderr
    assert "Traceback" not in stderr
    before = Counter(gated.gw.numbers_received())
    assert 0 < len(before) < len(given) and set(before.values()) == {1}

    resumed = smscli("send", "--resume", str(job), "-y", "-o", "jsonl")
    assert resumed.returncode == 0, resumed.stderr
    assert "unknown" not in resumed.stderr
    received = Counter(gated.gw.numbers_received())
    assert received == Counter(given)  # every number exactly once
    rows = [json.loads(line) for line in resumed.stdout.splitlines()]
    assert len(rows) == 20_000 and all(r["outcome"] == "accepted" for r in rows)
