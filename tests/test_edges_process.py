"""The installed `smscli` at the edges of its process: a pipe closed early, a full disk (for
the output and for the history), a closed stdout, and SIGTERM / SIGHUP / SIGINT at several
moments of a bulk send and of a batch. Every test ends at the fake gateway: no number received
twice, and every answer it gave held by the history (or named as unrecorded)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.edges import (
    SMSCLI,
    EdgeGateway,
    assert_nothing_twice_and_every_answer_kept,
    assert_resume_sends_each_number_once,
    batch_file,
    command,
    fill,
    numbers_file,
    only_job,
    point_profile_at,
    small_filesystem,
)

pytestmark = pytest.mark.e2e

TOTAL = 10_000  # ten requests of 1000


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[EdgeGateway]:
    gw = EdgeGateway(tmp_path / "gateway")
    point_profile_at(gw, extra="concurrency = 3\n")
    yield gw
    gw.stop()


def clean(stderr: str) -> None:
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


# -- a pipe closed early -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fmt"),
    [("send", ("-o", "jsonl")), ("send", ("-q",)), ("batch", ("-o", "tsv"))],
)
def test_a_closed_pipe_stops_the_send_and_loses_no_answer(
    gateway: EdgeGateway, tmp_path: Path, kind: str, fmt: tuple[str, ...]
) -> None:
    """`smscli send ... | head -1`: exit 141 with a summary and a plain resume command; the
    answers in flight when the reader left are journalled, not left unknown."""
    given, path = (numbers_file if kind == "send" else batch_file)(tmp_path, TOTAL)
    proc = subprocess.Popen(
        command(kind, path, *fmt), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline()
        proc.stdout.close()  # as `head -1` does
        _, stderr = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    clean(stderr)
    assert proc.returncode == 141, stderr
    job = only_job()
    assert f"smscli {kind} --resume {job}" in stderr
    assert "--resend-unknown" not in stderr
    outcomes = assert_nothing_twice_and_every_answer_kept(gateway, job)
    assert "unknown" not in outcomes.values()
    assert len(gateway.processed()) < TOTAL  # it stopped starting requests
    assert_resume_sends_each_number_once(gateway, job, given, kind)


def test_a_resume_into_a_closed_pipe_stops_too(gateway: EdgeGateway, tmp_path: Path) -> None:
    """Rows of a resume stream out as it runs (earlier ones as they come due): a reader that
    goes away stops the resume as it stops a first run."""
    given, path = numbers_file(tmp_path, 30_000)
    with open(os.devnull, "w") as sink:
        first = subprocess.Popen(
            command("send", path, "-o", "jsonl"), stdout=subprocess.PIPE, stderr=sink,
            env=dict(os.environ),
        )
        assert first.stdout is not None and first.stdout.readline()
        first.stdout.close()
        assert first.wait(120) == 141
    job = only_job()
    before = sum(gateway.processed().values())
    proc = subprocess.Popen(
        [SMSCLI, "send", "--resume", str(job), "-y", "-o", "jsonl"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    assert proc.stdout is not None
    for _ in range(before + 1):  # the first run's rows, then the resume's own first one
        assert proc.stdout.readline()
    proc.stdout.close()
    _, stderr = proc.communicate(timeout=120)
    clean(stderr)
    assert proc.returncode == 141, stderr
    assert f"smscli send --resume {job}" in stderr
    assert before < sum(gateway.processed().values()) < len(given)
    outcomes = assert_nothing_twice_and_every_answer_kept(gateway, job)
    assert "unknown" not in outcomes.values()
    if Path("/dev/full").exists():  # the output gone before the first request: none leaves
        sent = sum(gateway.processed().values())
        with open("/dev/full", "w") as full:
            done = subprocess.run(
                [SMSCLI, "send", "--resume", str(job), "-y", "-o", "jsonl"], stdout=full,
                stderr=subprocess.PIPE, text=True, env=dict(os.environ), timeout=120,
                check=False,
            )
        assert done.returncode == 74, done.stderr
        assert f"nothing was sent; job {job} is as it was" in done.stderr
        assert sum(gateway.processed().values()) == sent
    assert_resume_sends_each_number_once(gateway, job, given)


# -- a full disk -----------------------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("fmt", [("-o", "jsonl"), ("-q",)])
def test_output_on_a_full_disk_stops_with_74_and_a_resume_command(
    gateway: EdgeGateway, tmp_path: Path, fmt: tuple[str, ...]
) -> None:
    given, path = numbers_file(tmp_path, TOTAL)
    with open("/dev/full", "w") as full:  # every write: ENOSPC
        done = subprocess.run(
            command("send", path, *fmt), stdout=full, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ), timeout=120, check=False,
        )
    clean(done.stderr)
    assert done.returncode == 74, done.stderr
    assert "no space left" in done.stderr
    job = only_job()
    assert f"smscli send --resume {job}" in done.stderr
    assert "--resend-unknown" not in done.stderr
    outcomes = assert_nothing_twice_and_every_answer_kept(gateway, job)
    assert "unknown" not in outcomes.values()
    assert len(gateway.processed()) < TOTAL
    assert_resume_sends_each_number_once(gateway, job, given)


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0, reason="mounts need root")
def test_history_on_a_full_disk_stops_sending_and_names_the_answers_not_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data dir on a small file system that fills up mid-send: no request starts after
    an answer could not be recorded, the rows still carry every answer, the message names the
    requests answered but not recorded, and no hint invites --resend-unknown."""
    with small_filesystem(tmp_path / "small", "16m") as data:
        monkeypatch.setenv("SMSCLI_DATA_DIR", str(data / "smscli"))
        gw = EdgeGateway(tmp_path / "gateway", hold_from=4)
        try:
            point_profile_at(gw, extra="concurrency = 3\n")
            _given, path = numbers_file(tmp_path, TOTAL)
            out = tmp_path / "rows.jsonl"
            with open(out, "w") as rows_out:
                proc = subprocess.Popen(
                    command("send", path, "-o", "jsonl"), stdout=rows_out,
                    stderr=subprocess.PIPE, text=True, env=dict(os.environ),
                )
                gw.wait_arrived(6)  # 1-3 answered and journalled; 4-6 held in flight
                fill(data)
                gw.release.set()
                _, stderr = proc.communicate(timeout=120)
            clean(stderr)
            rows = [json.loads(line) for line in out.read_text().splitlines()]
            assert proc.returncode == 74, stderr
            assert "could not record" in stderr and "Do NOT resend" in stderr, stderr
            assert "--resend-unknown" not in stderr.replace("never use --resend-unknown", "")
            # Every answer the gateway gave is in the rows, whatever the history could take.
            shown = {r["number"]: r["msg_id"] for r in rows if r["outcome"] == "accepted"}
            assert shown == gw.answers
            assert 3000 < len(gw.answers) < TOTAL, stderr  # stopped after the failure
            assert not [n for n, k in gw.processed().items() if k > 1]
        finally:
            gw.stop()
            (data / "filler").unlink(missing_ok=True)


# -- a closed stdout -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("send", "447700900123", "-m", "hi"),
        ("history",),
        ("balance",),
        ("report", "--last"),
    ],
)
def test_a_closed_stdout_is_found_before_anything_is_sent(
    gateway: EdgeGateway, args: tuple[str, ...]
) -> None:
    done = subprocess.run(
        ["sh", "-c", '"$0" "$@" >&-', SMSCLI, *args], capture_output=True, text=True,
        env=dict(os.environ), timeout=60, check=False,
    )
    clean(done.stderr)
    assert done.returncode == 74, done.stderr
    assert "stdout is closed" in done.stderr
    assert gateway.arrived == 0 and not gateway.gw.sandbox.received


# -- signals -------------------------------------------------------------------------------------

SIGNALS = {"SIGTERM": 143, "SIGHUP": 129, "SIGINT": 130}


def stop_mid_run(
    gw: EdgeGateway, argv: list[str], sig: signal.Signals, moment: str
) -> tuple[int, str]:
    """Start smscli, send `sig` at `moment`, let what is in flight finish, return (exit,
    stderr). Moments: `first` (the first requests in flight, none answered), `in_flight`
    (three answered, the next three in flight), `writing` (the rows' reader is not reading:
    smscli blocks writing them)."""
    reading = moment != "writing"
    gw.hold_from = {"first": 1, "in_flight": 4, "writing": None}[moment]
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL if reading else subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )
    try:
        if moment == "writing":
            gw.wait_answered(1000)  # the first rows are being written to a reader that waits
        else:
            gw.wait_arrived(3 if moment == "first" else 6)
        proc.send_signal(sig)
        gw.release.set()  # what is in flight is answered while smscli drains it
        _, stderr = proc.communicate(timeout=120)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    return proc.returncode, stderr


@pytest.mark.parametrize("moment", ["first", "in_flight", "writing"])
@pytest.mark.parametrize("name", list(SIGNALS))
def test_a_signal_mid_send_drains_journals_and_says_how_to_resume(
    gateway: EdgeGateway, tmp_path: Path, name: str, moment: str
) -> None:
    given, path = numbers_file(tmp_path, TOTAL)
    argv = command("send", path, "-o", "jsonl")
    code, stderr = stop_mid_run(gateway, argv, getattr(signal, name), moment)
    clean(stderr)
    assert code == SIGNALS[name], stderr
    job = only_job()
    assert f"job {job}: " in stderr  # the summary
    assert "--resend-unknown" not in stderr, stderr
    outcomes = assert_nothing_twice_and_every_answer_kept(gateway, job)
    assert "unknown" not in outcomes.values()
    if len(gateway.processed()) < TOTAL:
        assert f"smscli send --resume {job}" in stderr
    if moment == "in_flight":
        assert_resume_sends_each_number_once(gateway, job, given)


@pytest.mark.parametrize("name", list(SIGNALS))
def test_a_signal_mid_batch_drains_journals_and_says_how_to_resume(
    gateway: EdgeGateway, tmp_path: Path, name: str
) -> None:
    given, path = batch_file(tmp_path, TOTAL)
    code, stderr = stop_mid_run(
        gateway, command("batch", path, "-o", "jsonl"), getattr(signal, name), "in_flight"
    )
    clean(stderr)
    assert code == SIGNALS[name], stderr
    job = only_job()
    assert f"smscli batch --resume {job}" in stderr
    outcomes = assert_nothing_twice_and_every_answer_kept(gateway, job)
    assert "unknown" not in outcomes.values()
    assert_resume_sends_each_number_once(gateway, job, given, "batch")
