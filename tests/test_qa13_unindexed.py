"""QA of issue 13's number index (schema v7) from the user's side: `history --number`, run as
another process while a send of spread-out numbers is still running (its answered chunks not
indexed yet, one request in flight, others never started), finds every number with what the
journal holds, then again once the job has finished and everything is indexed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.fakes import LoggedGateway, write_profile

CHUNK = 1000
REQUESTS = 6


class HoldingGateway(LoggedGateway):
    """Answers the first `free` sendSms requests at once, holds the others until `release`."""

    def __init__(self, state_dir: Path, free: int) -> None:
        super().__init__(state_dir, balance="100000")
        self.free = free
        self.arrivals = 0
        self.release = threading.Event()
        self.held = threading.Event()
        self._rank_lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("sendSms"):
            with self._rank_lock:
                rank = self.arrivals
                self.arrivals += 1
            if rank >= self.free:
                self.held.set()
                self.release.wait(60)
        return super().handle(request)


def spread_numbers() -> list[str]:
    """Each request's numbers span the others' range (as a random list's do), none with the
    sandbox's magic endings: answered chunks wait to be indexed in a group."""
    out = [str(447700000000 + 10 * (k % CHUNK) * REQUESTS + k // CHUNK) for k in range(6000)]
    # Chunk c holds numbers 447700000000 + 60 * i + c: interleaved with every other chunk.
    assert len(set(out)) == len(out)
    return out


def number_rows(number: str) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-m", "smscli", "history", "--number", number, "-o", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    rows: list[dict[str, object]] = json.loads(done.stdout) if done.stdout.strip() else []
    return rows


def chunk_states(path: Path) -> dict[int, tuple[str, int | None]]:
    with sqlite3.connect(path, timeout=30) as raw:
        return {
            idx: (state, unindexed)
            for idx, state, unindexed in raw.execute("SELECT idx, state, unindexed FROM chunks")
        }


def test_numbers_found_while_the_job_runs_in_another_process_and_after(tmp_path: Path) -> None:
    gw = HoldingGateway(tmp_path / "gw", free=3)
    config = Path(os.environ["SMSCLI_CONFIG"])
    write_profile(config, f"{gw.start()}/v3", extra="concurrency = 1\n")
    history = Path(os.environ["SMSCLI_DATA_DIR"]) / "history.sqlite3"
    given = spread_numbers()
    # Chunk c of the plan: given[c*1000:(c+1)*1000] (the order sent).
    probes = {c: given[c * CHUNK + 123] for c in range(REQUESTS)}
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "smscli", "send", "-f", "-", "-m", "idx", "-y", "-o", "jsonl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stderr is not None
        proc.stdin.write(("\n".join(given) + "\n").encode())
        proc.stdin.close()
        # Wait (a safety net only) for request 3 to be held: 0-2 are answered and journalled.
        assert gw.held.wait(60), "request 3 never came"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            states = chunk_states(history)
            if [states[c][0] for c in range(3)] == ["accepted"] * 3:
                break
            time.sleep(0.01)
        states = chunk_states(history)
        # The case at hand: answered chunks not indexed yet (spread numbers).
        assert any(states[c][1] == 1 for c in range(3)), states
        running = {c: number_rows(n) for c, n in probes.items()}
        gw.release.set()
        proc.stderr.read()
        proc.stderr.close()
        assert proc.wait(120) == 0
    finally:
        gw.release.set()
        gw.stop()
    for c in range(3):
        assert [r["outcome"] for r in running[c]] == ["accepted"], (c, running[c])
    assert [r["outcome"] for r in running[3]] == ["sending"], running[3]
    for c in (4, 5):  # never started yet: shown as such, not missing
        assert [r["outcome"] for r in running[c]] == ["planned"], (c, running[c])
    states = chunk_states(history)
    assert all(s == ("accepted", None) for s in states.values()), states
    for c, n in probes.items():
        rows = number_rows(n)
        assert [r["outcome"] for r in rows] == ["accepted"], (c, rows)
        if c < 3:
            assert rows[0]["msg_id"] == running[c][0]["msg_id"]
    with sqlite3.connect(history) as raw:
        assert raw.execute("SELECT count(*) FROM by_number").fetchone() == (len(given),)
