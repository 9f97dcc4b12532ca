"""What the edge tests share: a fake gateway over real loopback HTTP that can hold requests
(so a test decides what is in flight when something happens to the process), logs every answer
it gave, and the checks every edge test ends with: no number received twice, and every answer
the gateway gave held by the history."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest

from smscli.history.store import Store
from smscli.sandbox.loopback import LoopbackServer
from tests.fakes import FakeGateway, write_profile

SMSCLI = str(Path(sys.executable).with_name("smscli"))


def numbers(count: int, start: int = 447700000001) -> list[str]:
    # Step 10 keeps clear of the sandbox's magic suffixes (0999 and the like).
    return [str(start + i * 10) for i in range(count)]


def _sent_numbers(body: object) -> list[str]:
    if not isinstance(body, dict):
        return []
    if "array" in body:  # sendSms/batch
        return [n for e in body["array"] for n in str(e.get("numbers", "")).split(",") if n]
    return [n for n in str(body.get("numbers", "")).split(",") if n]


class EdgeGateway:
    """The v3 sandbox behind 127.0.0.1. Sends from number `hold_from` on (1-based) wait until
    `release` is set; `wait_arrived(n)` returns once n sends have arrived (no polling sleeps).
    `answers` maps each number the gateway answered as accepted to the msgId it gave."""

    def __init__(self, state_dir: Path, *, hold_from: int | None = None) -> None:
        self.gw = FakeGateway(state_dir, balance="10000000")
        self.hold_from = hold_from
        self.release = threading.Event()
        self._cond = threading.Condition()
        self.arrived = 0
        self.answers: dict[str, str] = {}
        self.refused: list[str] = []
        self.server = LoopbackServer(self.handle).start()

    def handle(self, request: httpx.Request) -> httpx.Response:
        is_send = "/sendSms" in request.url.path
        if is_send:
            with self._cond:
                self.arrived += 1
                n = self.arrived
                self._cond.notify_all()
            if self.hold_from is not None and n >= self.hold_from:
                self.release.wait(60)
        response = self.gw.handle(request)
        if is_send:
            self._log(request, response)
        return response

    def _log(self, request: httpx.Request, response: httpx.Response) -> None:
        try:
            answer = json.loads(response.read())
        except ValueError:
            return
        with self._cond:
            if answer.get("status") == "0":
                for item in answer.get("array", []):
                    self.answers[str(item["number"])] = str(item["msgId"])
            else:
                self.refused.extend(_sent_numbers(json.loads(request.read())))
            self._cond.notify_all()

    def wait_arrived(self, count: int, timeout: float = 90.0) -> None:
        with self._cond:
            ok = self._cond.wait_for(lambda: self.arrived >= count, timeout)
        assert ok, f"only {self.arrived} requests arrived, waited for {count}"

    def wait_answered(self, count: int, timeout: float = 90.0) -> None:
        with self._cond:
            ok = self._cond.wait_for(lambda: len(self.answers) >= count, timeout)
        assert ok, f"only {len(self.answers)} numbers answered, waited for {count}"

    def processed(self) -> Counter[str]:
        """How often the sandbox itself processed each number (sendSms and sendSms/batch)."""
        out: Counter[str] = Counter()
        for r in self.gw.sandbox.received:
            if "/sendSms" in str(r.path):
                out.update(_sent_numbers(r.json))
        return out

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.gw.sandbox.close()


def point_profile_at(gw: EdgeGateway, extra: str = "") -> None:
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{gw.server.url}/v3", extra=extra)


def smscli(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SMSCLI, *args], input=input, capture_output=True, text=True,
        env=dict(os.environ), timeout=180, check=False,
    )


def only_job() -> int:
    with Store.open() as store:
        job = store.last_job_id()
    assert job is not None, "no job in the history"
    return job


def assert_nothing_twice_and_every_answer_kept(
    gw: EdgeGateway, job: int, *, unrecorded: Sequence[str] = ()
) -> dict[str, str]:
    """No number was processed twice; every answer the gateway gave is in the history (but
    `unrecorded`: those the history could not take). Returns number -> outcome recorded."""
    twice = [n for n, k in gw.processed().items() if k > 1]
    assert not twice, f"{len(twice)} numbers received twice, e.g. {twice[:3]}"
    with Store.open() as store:
        messages = store.job_messages(job)
        states = {info.state for info in store.chunks(job)}
    if not unrecorded:
        assert "sending" not in states, "a request is still recorded in flight"
    recorded = {m.number: m for m in messages}
    skip = set(unrecorded)
    missing = [
        n for n, msg_id in gw.answers.items()
        if n not in skip and (recorded[n].outcome != "accepted" or recorded[n].msg_id != msg_id)
    ]
    assert not missing, f"{len(missing)} answers not in the history, e.g. {missing[:3]}"
    for number in gw.refused:
        assert recorded[number].outcome == "rejected", number
    return {m.number: m.outcome for m in messages}


def assert_resume_sends_each_number_once(
    gw: EdgeGateway, job: int, given: Sequence[str], kind: str = "send"
) -> None:
    """A plain resume (never --resend-unknown) completes the job: each number exactly once."""
    gw.hold_from = None
    gw.release.set()
    done = smscli(kind, "--resume", str(job), "-y", "-o", "jsonl")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert gw.processed() == Counter(given)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == len(given) and all(r["outcome"] == "accepted" for r in rows)


@contextlib.contextmanager
def small_filesystem(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
            capture_output=True, check=False,
        )
    except OSError:  # no mount(8) here
        pytest.skip("cannot mount a small tmpfs here (no mount command)")
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root, and a container allowing it)")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(directory: Path) -> None:
    # The suppress outside the file: a write cut short leaves bytes in the buffer, and
    # closing the file tries them again (ENOSPC once more) - whether it does depends on how
    # many pages the history happens to take.
    with contextlib.suppress(OSError), open(directory / "filler", "wb") as out:
        while True:
            out.write(b"\0" * 65536)
            out.flush()


def numbers_file(tmp_path: Path, count: int) -> tuple[list[str], Path]:
    """`count` numbers (numbers()) in a plain file for `send -f`: the numbers and the path."""
    given = numbers(count)
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(given) + "\n", encoding="utf-8")
    return given, path


def batch_file(tmp_path: Path, count: int) -> tuple[list[str], Path]:
    """`count` numbers in a batch CSV of seven contents: the numbers and the path."""
    given = numbers(count)
    path = tmp_path / "batch.csv"
    lines = ["number,content"] + [f"{n},code {i % 7}" for i, n in enumerate(given)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return given, path


def command(kind: str, path: Path, *extra: str) -> list[str]:
    """The installed smscli sending `path` (numbers_file for send, batch_file for batch)."""
    if kind == "send":
        return [SMSCLI, "send", "-f", str(path), "-m", "hi", "-y", *extra]
    return [SMSCLI, "batch", str(path), "-y", *extra]
