"""Shared bench plumbing: a sandbox gateway on 127.0.0.1 (in this process, on its own thread),
an isolated config/data dir, and a timed, RSS-measured `smscli` subprocess."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from smscli.sandbox.loopback import LoopbackServer  # noqa: E402
from smscli.sandbox.v3 import Sandbox  # noqa: E402

SMSCLI = str(Path(sys.executable).with_name("smscli"))


@dataclass
class Env:
    root: Path
    url: str
    sandbox: Sandbox
    # What the server calls for each request; a bench may wrap it (e.g. to count calls).
    handler: Callable[[httpx.Request], httpx.Response] | None = None

    @property
    def vars(self) -> dict[str, str]:
        return {
            **os.environ,
            "SMSCLI_CONFIG": str(self.root / "config.toml"),
            "SMSCLI_DATA_DIR": str(self.root / "data"),
            "NO_COLOR": "1",
        }

    def profile(self, **settings: object) -> None:
        lines = [
            'default_profile = "bench"',
            "[profiles.bench]",
            'provider = "laaffic"',
            'api_key = "bDqJFiq9"',
            'api_secret = "7bz1lzh9"',
            'app_id = "4luaKsL2"',
            f'base_url = "{self.url}/v3"',
        ]
        for key, value in settings.items():
            lines.append(
                f"{key} = {value!r}"
                if not isinstance(value, bool)
                else f"{key} = {str(value).lower()}"
            )
        path = self.root / "config.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o600)


@contextmanager
def gateway(latency: float = 0.0) -> Iterator[Env]:
    with tempfile.TemporaryDirectory(prefix="smscli-bench-") as tmp:
        root = Path(tmp)
        sandbox = Sandbox(
            root / "gateway", latency=latency, balance="100000000", delivery_delay=0.0
        )
        env = Env(root, "", sandbox, sandbox.handle)

        def dispatch(request: httpx.Request) -> httpx.Response:
            assert env.handler is not None
            return env.handler(request)

        server = LoopbackServer(dispatch).start()
        env.url = server.url
        try:
            yield env
        finally:
            server.shutdown()
            sandbox.close()


@dataclass
class Timed:
    wall: float
    rss_mb: float
    returncode: int
    stdout: bytes
    stderr: bytes


def run_smscli(args: list[str], env: Env, stdin: bytes | None = None) -> Timed:
    """Run smscli in a child and measure its wall time and peak RSS (ru_maxrss of children:
    each bench calls this in a fresh helper process so the maximum is this run's own)."""
    code = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], input=sys.stdin.buffer.read(), capture_output=True)\n"
        "wall = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "sys.stderr.buffer.write(p.stderr)\n"
        "sys.stdout.buffer.write(json.dumps([wall, rss, p.returncode, len(p.stdout)]).encode())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, SMSCLI, *args],
        input=stdin or b"",
        capture_output=True,
        env=env.vars,
        check=False,
    )
    import json

    wall, rss, rc, _ = json.loads(done.stdout)
    return Timed(wall, rss, rc, b"", done.stderr)


def numbers(count: int, start: int = 447000000001) -> list[str]:
    # Step 10 keeps every number ending in 1: none hits the sandbox's magic suffixes.
    return [str(start + i * 10) for i in range(count)]


def self_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def verdict(value: float, target: float, *, lower_is_better: bool = True) -> str:
    met = value <= target if lower_is_better else value >= target
    return "met" if met else "NOT met"


def timer() -> float:
    return time.perf_counter()
