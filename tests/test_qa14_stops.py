"""QA 14: a run's journal met as a user meets it (written against a paired commit - an answer
and the `before` of the request taking its slot in one commit - that these tests showed unsafe
and that was taken out again: a request journalled `sending` while the answer's rows waited on
the reader never left, yet a kill then left it "unknown"): the installed `smscli` against a fake v3
gateway on 127.0.0.1, stopped by a signal while its rows wait on a full stdout pipe, by a reader
that goes away, by an output that cannot be written, at concurrency 1 and with --rate, send and
batch. Each ends with the history and the gateway's log agreeing request by request: every
number the gateway got is accepted/rejected/unknown in `history show -o jsonl` (never
not_sent, never missing), none twice, and a plain resume sends exactly the never-sent ones."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.edges import (
    EdgeGateway,
    batch_file,
    command,
    fill,
    numbers_file,
    only_job,
    point_profile_at,
    small_filesystem,
    smscli,
)

pytestmark = pytest.mark.e2e

TOTAL = 5_000  # five requests of 1000
LEFT = {"accepted", "rejected", "unknown"}


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[EdgeGateway]:
    gw = EdgeGateway(tmp_path / "gateway")
    point_profile_at(gw)
    yield gw
    gw.stop()


def inputs(tmp_path: Path, kind: str, count: int = TOTAL) -> tuple[list[str], Path]:
    return (numbers_file if kind == "send" else batch_file)(tmp_path, count)


def history_rows(job: int) -> dict[str, str]:
    shown = smscli("history", "show", str(job), "-o", "jsonl")
    assert shown.returncode == 0, shown.stderr
    rows = [json.loads(line) for line in shown.stdout.splitlines()]
    outcomes: dict[str, str] = {}
    for row in rows:
        assert row["number"] not in outcomes, f"{row['number']} twice in the history"
        outcomes[row["number"]] = row["outcome"]
    return outcomes


def agree(gw: EdgeGateway, job: int, given: list[str]) -> dict[str, str]:
    """The history and the gateway's log agree; returns number -> outcome in the history."""
    got = gw.processed()
    twice = [n for n, k in got.items() if k > 1]
    assert not twice, f"{len(twice)} numbers received twice, e.g. {twice[:3]}"
    outcomes = history_rows(job)
    assert sorted(outcomes) == sorted(given), "the history does not hold every number"
    wrong = {n: outcomes[n] for n in got if outcomes[n] not in LEFT}
    assert not wrong, f"{len(wrong)} numbers the gateway got are shown {set(wrong.values())}"
    never = [n for n, o in outcomes.items() if o not in LEFT]
    assert all(outcomes[n] in {"not_sent"} for n in never), Counter(outcomes.values())
    for number, msg_id in gw.answers.items():
        assert outcomes[number] == "accepted", (number, msg_id)
    return outcomes


def resume_sends_exactly_the_never_sent(
    gw: EdgeGateway, job: int, given: list[str], kind: str, outcomes: dict[str, str]
) -> None:
    gw.hold_from = None
    gw.release.set()
    before = gw.processed()
    never = Counter(n for n, o in outcomes.items() if o == "not_sent")
    done = smscli(kind, "--resume", str(job), "-y", "-o", "jsonl")
    assert "Traceback" not in done.stderr, done.stderr
    if "unknown" not in outcomes.values():
        assert done.returncode == 0, done.stderr
    assert gw.processed() - before == never
    assert not [n for n, k in gw.processed().items() if k > 1]


def clean(stderr: str) -> None:
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


SIGNALS = {"SIGTERM": 143, "SIGHUP": 129, "SIGINT": 130}


@pytest.mark.parametrize(
    ("kind", "name", "extra"),
    [
        ("send", "SIGINT", ("--concurrency", "1")),
        ("send", "SIGTERM", ("--concurrency", "2", "--rate", "50")),
        ("batch", "SIGHUP", ("--concurrency", "1")),
    ],
)
def test_a_signal_while_the_rows_wait_on_a_full_pipe_leaves_the_next_request_unsent(
    gateway: EdgeGateway, tmp_path: Path, kind: str, name: str, extra: tuple[str, ...]
) -> None:
    """The first answer's 1000 rows fill the pipe nobody reads (the next request may leave only
    once they are written): a signal then must leave it not_sent, never at the gateway."""
    given, path = inputs(tmp_path, kind)
    proc = subprocess.Popen(
        command(kind, path, "-o", "jsonl", *extra), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=dict(os.environ),
    )
    try:
        gateway.wait_answered(1000)
        arrived = gateway.arrived
        proc.send_signal(getattr(signal, name))
        _, err = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    stderr = err.decode()
    clean(stderr)
    assert proc.returncode == SIGNALS[name], stderr
    job = only_job()
    outcomes = agree(gateway, job, given)
    if "--concurrency" in extra and extra[extra.index("--concurrency") + 1] == "1":
        # One in flight at a time: only the request answered before the rows blocked left.
        assert arrived == gateway.arrived == 1
    assert "not_sent" in outcomes.values()
    assert f"smscli {kind} --resume {job}" in stderr
    resume_sends_exactly_the_never_sent(gateway, job, given, kind, outcomes)


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("send", ("--concurrency", "1")), ("batch", ("--concurrency", "1", "--rate", "100"))],
)
def test_a_reader_gone_after_one_row_at_concurrency_1_stops_after_the_first_request(
    gateway: EdgeGateway, tmp_path: Path, kind: str, extra: tuple[str, ...]
) -> None:
    """`| head -1` at concurrency 1: the request after the first answer must not leave, since
    the rows it would produce have nowhere to go."""
    given, path = inputs(tmp_path, kind)
    proc = subprocess.Popen(
        command(kind, path, "-o", "jsonl", *extra), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline()
        proc.stdout.close()
        _, err = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    stderr = err.decode()
    clean(stderr)
    assert proc.returncode == 141, stderr
    job = only_job()
    outcomes = agree(gateway, job, given)
    # The first answer's rows may all fit in the pipe before the reader goes: then one more
    # request leaves, never more.
    assert gateway.arrived <= 2, "requests kept leaving after the reader had gone"
    assert "not_sent" in outcomes.values()
    resume_sends_exactly_the_never_sent(gateway, job, given, kind, outcomes)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("kind", ["send", "batch"])
def test_an_output_that_cannot_be_written_at_concurrency_1_sends_one_request(
    gateway: EdgeGateway, tmp_path: Path, kind: str
) -> None:
    given, path = inputs(tmp_path, kind)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            command(kind, path, "-o", "jsonl", "--concurrency", "1"), stdout=full,
            stderr=subprocess.PIPE, text=True, env=dict(os.environ), timeout=120, check=False,
        )
    clean(done.stderr)
    assert done.returncode == 74, done.stderr
    job = only_job()
    outcomes = agree(gateway, job, given)
    assert gateway.arrived == 1
    assert Counter(outcomes.values()) == {"accepted": 1000, "not_sent": TOTAL - 1000}
    resume_sends_exactly_the_never_sent(gateway, job, given, kind, outcomes)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounts need root")
@pytest.mark.parametrize("kind", ["send", "batch"])
def test_the_history_failing_mid_run_then_coming_back_agrees_with_the_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Three answered and journalled, three held in flight; then the data dir fills up and the
    held ones are answered. (Remounting it read-only instead is refused while the history's
    files are open for writing: EBUSY.) Once it has room again: no number the gateway got
    reads not_sent, none went twice, and a resume sends the never-sent ones exactly (the
    answers the history could not take read unknown: never resent)."""
    with small_filesystem(tmp_path / "small", "16m") as data:
        monkeypatch.setenv("SMSCLI_DATA_DIR", str(data / "smscli"))
        gw = EdgeGateway(tmp_path / "gateway", hold_from=4)
        try:
            point_profile_at(gw, extra="concurrency = 3\n")
            given, path = inputs(tmp_path, kind, 10_000)
            with open(os.devnull, "w") as sink:
                proc = subprocess.Popen(
                    command(kind, path, "-o", "jsonl"), stdout=sink, stderr=subprocess.PIPE,
                    text=True, env=dict(os.environ),
                )
                gw.wait_arrived(6)
                fill(data)
                gw.release.set()
                _, stderr = proc.communicate(timeout=120)
            clean(stderr)
            assert proc.returncode == 74, stderr
            (data / "filler").unlink()
            job = only_job()
            got = gw.processed()
            outcomes = history_rows(job)
            assert sorted(outcomes) == sorted(given)
            assert not [n for n, k in got.items() if k > 1]
            wrong = {n: outcomes[n] for n in got if outcomes[n] not in LEFT}
            assert not wrong, f"{len(wrong)} numbers the gateway got read {set(wrong.values())}"
            resume_sends_exactly_the_never_sent(gw, job, given, kind, outcomes)
        finally:
            gw.stop()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_request_that_never_left_shows_no_start_time(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    """At concurrency 1 request 2 would leave once answer 1's rows are written; they cannot be
    (/dev/full), so it never leaves. `history show --chunks` must not
    give it a start time: attempts 0 and sends 0 beside a `started` reads as a contradiction
    (a request started but not sent), unlike request 3, never taken, which has none."""
    _given, path = inputs(tmp_path, "send", 3000)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            command("send", path, "-o", "jsonl", "--concurrency", "1"), stdout=full,
            stderr=subprocess.PIPE, text=True, env=dict(os.environ), timeout=120, check=False,
        )
    assert done.returncode == 74, done.stderr
    assert gateway.arrived == 1
    shown = smscli("history", "show", str(only_job()), "--chunks", "-o", "jsonl")
    chunks = {c["chunk"]: c for c in map(json.loads, shown.stdout.splitlines())}
    assert chunks[1]["state"] == "accepted" and chunks[1]["started"]
    assert [chunks[n]["state"] for n in (2, 3)] == ["not_sent", "not_sent"]
    assert chunks[3]["started"] is None and chunks[3]["finished"] is None
    assert chunks[2]["sends"] == 0 and chunks[2]["attempts"] == 0
    assert chunks[2]["started"] is None, chunks[2]


def wait_for_chunk_state(index: int, state: str, proc: subprocess.Popen[bytes]) -> None:
    """Until the history shows request `index` (1-based) of the only job in `state`: polled
    (the history is another process's file), without any timed assertion on how long."""
    import sqlite3
    import time

    from smscli.errors import SmsCliError
    from smscli.history.store import Store

    for _ in range(1200):
        assert proc.poll() is None, "smscli ended before the moment wanted"
        # Not there yet (the history or the job still being created): look again.
        with contextlib.suppress(sqlite3.Error, SmsCliError, IndexError), Store.open() as store:
            job = store.last_job_id()
            if job is not None:
                states = [c.state for c in store.chunks(job)]
                if states[index - 1] == state:
                    return
        time.sleep(0.05)
    raise AssertionError(f"request {index} never read {state}")


def test_a_kill_while_the_rows_wait_leaves_the_next_request_to_a_plain_resume(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    """`smscli send ... | slow-reader` at concurrency 1, killed (OOM killer, kill -9, power)
    while the first answer's rows wait for the reader: only request 1 reached the gateway, so a
    plain resume must send the other four: request 2 is journalled `sending` only once those
    rows are written (it stays `planned`), so the resume sends it."""
    given, path = inputs(tmp_path, "send")
    proc = subprocess.Popen(
        command("send", path, "-o", "jsonl", "--concurrency", "1"), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, env=dict(os.environ),
    )
    try:
        gateway.wait_answered(1000)
        # Answer 1 is in the history; request 2 waits for its rows, which wait for a reader
        # that does not read.
        wait_for_chunk_state(1, "accepted", proc)
        proc.kill()
        proc.wait(60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        assert proc.stdout is not None
        proc.stdout.close()
    assert gateway.arrived == 1
    job = only_job()
    done = smscli("send", "--resume", str(job), "-y", "-o", "jsonl")
    assert "Traceback" not in done.stderr, done.stderr
    assert Counter(gateway.processed()) == Counter(given), done.stderr
    assert done.returncode == 0, done.stderr
