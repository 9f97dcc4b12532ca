"""The same promises as test_edges_process, with the failure injected in-process (so they hold
on any machine): a writer that fails with ENOSPC, a history that cannot record an answer,
requests refused before processing, the bounded table, `report --last` while a job runs."""

from __future__ import annotations

import errno
import io
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from smscli.cli import app
from smscli.history.store import Store
from smscli.model import Chunk
from tests.edges import (
    EdgeGateway,
    assert_nothing_twice_and_every_answer_kept,
    numbers,
    only_job,
    point_profile_at,
)
from tests.fakes import status

runner = CliRunner()


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[EdgeGateway]:
    gw = EdgeGateway(tmp_path / "gateway")
    point_profile_at(gw, extra="concurrency = 2\n")
    yield gw
    gw.stop()


def send_args(tmp_path: Path, count: int, *extra: str) -> tuple[list[str], list[str]]:
    given = numbers(count)
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(given) + "\n", encoding="utf-8")
    return given, ["send", "-f", str(path), "-m", "hi", "-y", *extra]


class _FullAfterOne(io.StringIO):
    """A stdout whose disk fills after the first chunk's rows: every later write fails with
    ENOSPC. It has no descriptor, so nothing is pointed at /dev/null afterwards."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        if self.writes > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(text)


def test_an_injected_enospc_writer_stops_the_send_and_journals_what_is_in_flight(
    gateway: EdgeGateway, tmp_path: Path, console_env: Any
) -> None:
    out = _FullAfterOne()
    console_env(stdout=out)
    given, args = send_args(tmp_path, 8000, "-o", "jsonl")
    result = invoke(*args)
    assert result.exit_code == 74, result.stderr
    job = only_job()
    assert "no space left on the device: sending stopped" in result.stderr
    assert f"smscli send --resume {job}" in result.stderr
    assert "--resend-unknown" not in result.stderr
    outcomes = assert_nothing_twice_and_every_answer_kept(gateway, job)
    assert "unknown" not in outcomes.values()
    assert len(gateway.processed()) < len(given)
    # Only the first chunk's rows made it out; the history has the rest.
    assert len(out.getvalue().splitlines()) == 1000


def test_an_answer_the_history_cannot_record_stops_sending_and_is_named(
    gateway: EdgeGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Store._chunk_result
    failed: list[int] = []

    def disk_full_for_request_3(self: Store, job_id: int, outcome: Any, content: bool) -> None:
        if outcome.chunk.index == 2:
            failed.append(outcome.chunk.index)
            raise sqlite3.OperationalError("database or disk is full")
        real(self, job_id, outcome, content)

    monkeypatch.setattr(Store, "_chunk_result", disk_full_for_request_3)
    given, args = send_args(tmp_path, 10_000, "-o", "jsonl", "--concurrency", "1")
    result = invoke(*args)
    assert result.exit_code == 74, result.stderr
    assert failed == [2, 2]  # recorded, and tried once more before the summary
    assert "answered request 3 (1,000 numbers)" in result.stderr
    assert "Do NOT resend them" in result.stderr
    assert "never use --resend-unknown on job" in result.stderr
    assert "may get the message twice)" not in result.stderr  # no such hint
    # The answers reached stdout all the same; no request started after the failure.
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    shown = {r["number"]: r["msg_id"] for r in rows if r["outcome"] == "accepted"}
    assert shown == gateway.answers and len(shown) == 3000
    assert sum(gateway.processed().values()) == 3000
    unrecorded = given[2000:3000]
    assert_nothing_twice_and_every_answer_kept(gateway, only_job(), unrecorded=unrecorded)


def test_a_later_resume_never_offers_an_answered_but_unrecorded_request_as_unknown(
    gateway: EdgeGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run that could not record request 3's answer says "Do NOT resend"; a resume after
    the disk has room again must not undo that by listing those 1,000 numbers as unknown with
    a --resend-unknown hint (a double send for whoever missed the first message)."""
    real = Store._chunk_result

    def disk_full_for_request_3(self: Store, job_id: int, outcome: Any, content: bool) -> None:
        if outcome.chunk.index == 2:
            raise sqlite3.OperationalError("database or disk is full")
        real(self, job_id, outcome, content)

    with monkeypatch.context() as patch:
        patch.setattr(Store, "_chunk_result", disk_full_for_request_3)
        given, args = send_args(tmp_path, 5000, "-o", "jsonl", "--concurrency", "1")
        assert invoke(*args).exit_code == 74
    job = only_job()
    later = invoke("send", "--resume", str(job), "-y", "-o", "jsonl")
    assert later.exit_code == 3, later.stderr  # sent, but 1,000 numbers without msgIds
    assert "--resend-unknown" not in later.stderr
    rows = [json.loads(line) for line in later.stdout.splitlines()]
    marked = [r for r in rows if r["number"] in set(given[2000:3000])]
    assert len(marked) == 1000 and all(r["outcome"] == "accepted" for r in marked)
    # Every number reached the gateway exactly once, the 1,000 included.
    assert gateway.processed() == Counter(given)
    again = invoke("send", "--resume", str(job), "-y", "--resend-unknown", "-o", "jsonl")
    assert again.exit_code in (0, 3), again.stderr
    assert gateway.processed() == Counter(given)
    # The markers were read once and are gone.
    assert not list((tmp_path / "data" / "locks").glob("job-*.chunk-*"))


def test_refused_before_processing_resumes_with_resend_refused(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    """-10 (insufficient balance) on request 2 of 3: after a top-up, `--resume` alone never
    sends them (nor does --resend-unknown); the hint names --resend-refused, which does."""
    gateway.gw.faults.extend([lambda r, gw: gw.sandbox.handle(r), status("-10")])
    given, args = send_args(tmp_path, 3000, "-o", "jsonl", "--concurrency", "1")
    first = invoke(*args)
    job = only_job()
    assert first.exit_code == 3, first.stderr
    assert f"smscli send --resume {job} --resend-refused" in first.stderr
    assert "--resend-unknown" not in first.stderr
    plain = invoke("send", "--resume", str(job), "-y", "-o", "jsonl")
    assert plain.exit_code == 3, plain.stderr
    assert "--resend-refused` sends them" in plain.stderr
    assert gateway.processed() == Counter(given[:1000] + given[2000:])
    again = invoke("send", "--resume", str(job), "-y", "--resend-refused", "-o", "jsonl")
    assert again.exit_code == 0, again.stderr
    assert gateway.processed() == Counter(given)
    rows = [json.loads(line) for line in again.stdout.splitlines()]
    assert len(rows) == 3000 and all(r["outcome"] == "accepted" for r in rows)


@pytest.mark.parametrize("code", ["-1", "-31", "-13", "-19"])
def test_other_unprocessed_refusals_are_resumable_too(
    gateway: EdgeGateway, tmp_path: Path, code: str
) -> None:
    gateway.gw.faults.append(status(code))
    given, args = send_args(tmp_path, 1, "-o", "jsonl")
    first = invoke(*args)
    assert first.exit_code in (1, 5), first.stderr
    assert "--resend-refused" in first.stderr
    again = invoke("send", "--resume", str(only_job()), "-y", "--resend-refused")
    assert again.exit_code == 0, again.stderr
    assert gateway.processed() == Counter(given)


def test_an_ambiguous_rejection_is_not_offered_again(gateway: EdgeGateway, tmp_path: Path) -> None:
    gateway.gw.faults.append(status("-3"))  # sensitive words: the message itself is refused
    _, args = send_args(tmp_path, 1, "-o", "jsonl")
    first = invoke(*args)
    assert first.exit_code == 1 and "--resend-refused" not in first.stderr


def test_a_big_send_on_a_terminal_shows_a_bounded_table(
    gateway: EdgeGateway, tmp_path: Path
) -> None:
    given = numbers(3000)
    gateway.gw.faults.extend([lambda r, gw: gw.sandbox.handle(r), status("-10")])
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(given) + "\n", encoding="utf-8")
    result = invoke("send", "-f", str(path), "-m", "hi", "-y", "-o", "table", "--concurrency", "1")
    job = only_job()
    lines = result.stdout.splitlines()
    assert len(lines) < 300  # not 3000 rows
    assert given[1000] in result.stdout and given[0] not in result.stdout
    assert f"smscli history show {job}" in result.stderr
    assert "3,000 rows: the table shows 200 of the 2,000 rows not accepted" in result.stderr


def test_report_last_while_the_job_is_still_sent(gateway: EdgeGateway) -> None:
    with Store.open() as store:
        job = store.create_job(
            profile="main", provider="laaffic", kind="send", message="hi", sender=None,
            chunks=[Chunk(0, ["447700900123"])],
        )
        result = invoke("report", "--last")
        assert result.exit_code == 2
        assert f"job {job} is still being sent" in result.stderr
        assert "accepted none" not in result.stderr
        store.finish_job(job)
    result = invoke("report", "--last")
    assert "accepted none" in result.stderr


def test_a_request_the_history_cannot_record_never_leaves_and_exits_74(
    gateway: EdgeGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Store._chunk_sending

    def full_at_request_2(self: Store, job_id: int, chunk: Chunk, content: bool) -> None:
        if chunk.index == 1:
            raise sqlite3.OperationalError("database or disk is full")
        real(self, job_id, chunk, content)

    monkeypatch.setattr(Store, "_chunk_sending", full_at_request_2)
    given, args = send_args(tmp_path, 3000, "-o", "jsonl", "--concurrency", "1")
    result = invoke(*args)
    assert result.exit_code == 74, result.stderr
    assert "cannot record request 2 before sending it" in result.stderr
    assert gateway.processed() == Counter(given[:1000])
    job = only_job()
    assert f"smscli send --resume {job}" in result.stderr
    assert_nothing_twice_and_every_answer_kept(gateway, job)
