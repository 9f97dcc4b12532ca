"""CPU cost of the sandbox gateway itself, per request, in this process (no HTTP, no threads).

`Sandbox.handle` is called with signed httpx.Request objects built as smscli's v3 client builds
them (POST JSON sendSms, GET getReport with the ids in the query), the state in a temporary
directory on disk (SQLite, WAL), as bench/bulk_send.py uses it. Only the `handle` call is timed
(time.process_time, so building the requests does not count).

1. sendSms with 1000 numbers, 200 requests: target <= 2.5 ms CPU per request.
2. the same with 1000 orderIds (batch files send them).
3. getReport with 200 ids, 200 requests, while every message is still pending (ids in
   submission order), then once every message is delivered: target <= 2 ms per request, with
   the ids in submission order (what `smscli report` asks) and scattered over every submission.

Run from the repository root:
    python bench/sandbox_speed.py                 # the working tree's sandbox
    python bench/sandbox_speed.py --baseline HEAD # also the sandbox of a git revision (its
                                                  # smscli, from `git archive`, measured in a
                                                  # subprocess), for before/after
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
# A baseline run measures another revision's smscli, unpacked here by the parent process.
sys.path.insert(0, os.environ.get("SANDBOX_SPEED_ROOT") or str(ROOT))

BASE = "http://127.0.0.1:8765/v3"
REQUESTS = 200
NUMBERS_PER_SEND = 1000
IDS_PER_REPORT = 200
SEND_TARGET_MS = 2.5
REPORT_TARGET_MS = 2.0


def load_sandbox() -> ModuleType:
    """The v3 simulator module: smscli.sandbox.v3, or smscli.gateways.sandbox in revisions
    from before the simulators had their own package."""
    try:
        return importlib.import_module("smscli.sandbox.v3")
    except ImportError:
        return importlib.import_module("smscli.gateways.sandbox")


def run_baseline(revision: str) -> dict[str, Figure]:
    """The figures of `revision`'s sandbox: its smscli unpacked from `git archive` and
    measured by this script in a subprocess (its modules import one another by name)."""
    with tempfile.TemporaryDirectory(prefix="smscli-sandbox-baseline-") as tmp:
        archive = subprocess.run(
            ["git", "archive", revision, "smscli"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        archive_path = Path(tmp) / "rev.tar"
        archive_path.write_bytes(archive)
        with tarfile.open(archive_path) as tar:
            tar.extractall(tmp, filter="data")
        env = {**os.environ, "SANDBOX_SPEED_ROOT": tmp}
        out = subprocess.run(
            [sys.executable, __file__, "--json"], env=env, capture_output=True, check=True,
            text=True,
        ).stdout
    return {name: Figure(**value) for name, value in json.loads(out).items()}


class Clock:
    """Stopped at the start time (so nothing is delivered while the bench runs) until moved
    forward; the Timestamp headers follow it."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


def headers(module: ModuleType, now: float) -> dict[str, str]:
    timestamp = str(int(now))
    key, secret = module.SANDBOX_API_KEY, module.SANDBOX_API_SECRET
    return {
        "Content-Type": "application/json;charset=UTF-8",
        "Api-Key": key,
        "Timestamp": timestamp,
        "Sign": hashlib.md5((key + secret + timestamp).encode("utf-8")).hexdigest(),
    }


def send_request(
    module: ModuleType, now: float, numbers: list[str], order_ids: list[str] | None
) -> httpx.Request:
    body: dict[str, Any] = {
        "appId": module.SANDBOX_APP_ID,
        "numbers": ",".join(numbers),
        "content": "bench message",
    }
    if order_ids:
        body["orderId"] = ",".join(order_ids)
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return httpx.Request("POST", f"{BASE}/sendSms", headers=headers(module, now), content=content)


def report_request(module: ModuleType, now: float, ids: list[str]) -> httpx.Request:
    params = {"appId": module.SANDBOX_APP_ID, "msgIds": ",".join(ids)}
    return httpx.Request("GET", f"{BASE}/getReport", headers=headers(module, now), params=params)


@dataclass
class Figure:
    cpu_ms: float
    wall_ms: float


def timed(
    requests: Iterator[httpx.Request],
    handle: Callable[[httpx.Request], httpx.Response],
    check: Callable[[dict[str, Any]], None],
) -> Figure:
    cpu = wall = 0.0
    count = 0
    for request in requests:
        c0, w0 = time.process_time(), time.perf_counter()
        response = handle(request)
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        count += 1
        check(response.json())
    return Figure(cpu / count * 1000, wall / count * 1000)


def run(module: ModuleType) -> dict[str, Figure]:
    figures: dict[str, Figure] = {}
    clock = Clock()
    with tempfile.TemporaryDirectory(prefix="smscli-sandbox-speed-") as tmp:
        sandbox = module.Sandbox(
            Path(tmp) / "state", clock=clock, balance="100000000", delivery_delay=3.0
        )
        try:
            sent: list[str] = []

            def sends(with_order_ids: bool, first: int) -> Iterator[httpx.Request]:
                for r in range(REQUESTS):
                    start = first + r * NUMBERS_PER_SEND * 10
                    # Step 10 keeps every number ending in 1: no magic suffix.
                    nums = [str(start + i * 10) for i in range(NUMBERS_PER_SEND)]
                    ids = [f"o{r}-{i}" for i in range(NUMBERS_PER_SEND)] if with_order_ids else None
                    yield send_request(module, clock(), nums, ids)

            def sent_ok(body: dict[str, Any]) -> None:
                assert body["status"] == "0", body
                assert body["success"] == str(NUMBERS_PER_SEND), body["success"]
                sent.extend(entry["msgId"] for entry in body["array"])

            figures["sendSms 1000 numbers"] = timed(
                sends(False, 447000000001), sandbox.handle, sent_ok
            )
            figures["sendSms 1000 numbers + orderIds"] = timed(
                sends(True, 448000000001), sandbox.handle, sent_ok
            )
            assert len(sent) == len(set(sent)) == 2 * REQUESTS * NUMBERS_PER_SEND

            rng = random.Random(7)
            in_order = [
                sent[i * IDS_PER_REPORT : (i + 1) * IDS_PER_REPORT] for i in range(REQUESTS)
            ]
            scattered = [rng.sample(sent, IDS_PER_REPORT) for _ in range(REQUESTS)]

            def reports(groups: list[list[str]]) -> Iterator[httpx.Request]:
                for ids in groups:
                    yield report_request(module, clock(), ids)

            def counted(field: str) -> Callable[[dict[str, Any]], None]:
                def check(body: dict[str, Any]) -> None:
                    assert body["status"] == "0", body["status"]
                    assert body[field] == str(IDS_PER_REPORT), (field, body[field])
                    assert len(body["array"]) == IDS_PER_REPORT

                return check

            figures["getReport 200 ids, pending, in order"] = timed(
                reports(in_order), sandbox.handle, counted("sending")
            )
            clock.now += 10  # past delivery_delay: every message delivered
            figures["getReport 200 ids, delivered, in order"] = timed(
                reports(in_order), sandbox.handle, counted("success")
            )
            figures["getReport 200 ids, delivered, scattered"] = timed(
                reports(scattered), sandbox.handle, counted("success")
            )
        finally:
            sandbox.close()
    return figures


TARGETS = {
    "sendSms 1000 numbers": SEND_TARGET_MS,
    "getReport 200 ids, delivered, in order": REPORT_TARGET_MS,
    "getReport 200 ids, delivered, scattered": REPORT_TARGET_MS,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV", help="also measure REV's sandbox")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    if args.json:
        print(json.dumps({name: asdict(f) for name, f in run(load_sandbox()).items()}))
        return
    before = run_baseline(args.baseline) if args.baseline else None
    after = run(load_sandbox())
    print(f"sandbox CPU per request ({REQUESTS} requests each, state on disk, WAL)")
    width = max(len(name) for name in after)
    for name, figure in after.items():
        line = f"  {name:<{width}}  "
        if before is not None:
            line += f"{args.baseline}: {before[name].cpu_ms:6.2f} ms  now: "
        line += f"{figure.cpu_ms:6.2f} ms CPU ({figure.wall_ms:6.2f} ms wall)"
        target = TARGETS.get(name)
        if target is not None:
            met = "met" if figure.cpu_ms <= target else "NOT met"
            line += f"  target <= {target} ms {met}"
        print(line)


if __name__ == "__main__":
    main()
