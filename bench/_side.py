"""Side-by-side plumbing for the issue-13 benches: the lean gateway in its own process, an
isolated smscli config/data dir pointed at it, and a child runner that measures wall time,
CPU time (user + system) and peak RSS of exactly that child (os.wait4)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMSCLI = str(Path(sys.executable).with_name("smscli"))
REFERENCE = [sys.executable, str(HERE / "reference.py")]


@dataclass
class Phases:
    """Where a run's wall time went, as the lean gateway saw it: start to its first request,
    its first request to its last answer, that answer to the run's end, and how many requests
    were in flight on average over the span (the client's concurrency, when it keeps its
    pipeline full)."""

    to_first: float
    span: float
    tail: float
    in_flight: float


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    returncode: int
    phases: Phases | None = None


def run(
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    stdin: Path | None = None,
    stdout: Path | None = None,
    gateway: Gateway | None = None,
) -> Sample:
    """Run one child to completion; stdin/stdout are files (or /dev/null). With `gateway`,
    its counters are reset first and the run's Phases read from them after."""
    if gateway is not None:
        gateway.reset()
    with (
        (stdin or Path(os.devnull)).open("rb") as given,
        (stdout or Path(os.devnull)).open("wb") as out,
        tempfile.TemporaryFile() as err,
    ):
        started, started_at = time.perf_counter(), time.time()
        child = subprocess.Popen(argv, stdin=given, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        ended_at = time.time()
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode not in (0, 3):
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace")[-3000:])
            raise SystemExit(f"{argv[0]} {' '.join(argv[1:3])} exited {child.returncode}")
    phases = None
    if gateway is not None:
        stats = gateway.stats()
        if stats.get("first") and stats.get("last"):
            span = stats["last"] - stats["first"]
            phases = Phases(
                stats["first"] - started_at,
                span,
                ended_at - stats["last"],
                stats["inflight_seconds"] / span if span > 0 else 0.0,
            )
    sample = Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                    child.returncode)
    sample.phases = phases
    return sample


@dataclass
class Gateway:
    url: str  # the v3 base
    process: subprocess.Popen[bytes]

    def stats(self) -> dict[str, float]:
        import json
        import urllib.request

        with urllib.request.urlopen(self.url.replace("/v3", "/stats")) as answer:  # noqa: S310
            data: dict[str, float] = json.loads(answer.read())
        return data

    def reset(self) -> None:
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - the lean gateway on 127.0.0.1
            self.url.replace("/v3", "/reset"), data=b"", method="POST"
        )
        with urllib.request.urlopen(request):  # noqa: S310
            pass


@contextmanager
def lean_gateway(latency: float) -> Iterator[Gateway]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "lean_gateway.py"), "--latency", str(latency)],
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith("PORT "):
            raise SystemExit("the lean gateway did not start")
        yield Gateway(f"http://127.0.0.1:{int(line.split()[1])}/v3", process)
    finally:
        process.terminate()
        process.wait()


@dataclass
class Smscli:
    """A config and data dir of its own, with a profile `bench` for the lean gateway."""

    root: Path
    url: str
    concurrency: int = 8

    def configure(self, **settings: object) -> None:
        lines = [
            'default_profile = "bench"',
            "[profiles.bench]",
            'provider = "laaffic"',
            'api_key = "bDqJFiq9"',
            'api_secret = "7bz1lzh9"',
            'app_id = "4luaKsL2"',
            f'base_url = "{self.url}"',
            f"concurrency = {self.concurrency}",
        ]
        for key, value in settings.items():
            shown = str(value).lower() if isinstance(value, bool) else repr(value)
            lines.append(f"{key} = {shown}")
        path = self.root / "config.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o600)

    def env(self, data: str = "data") -> dict[str, str]:
        env = {
            **os.environ,
            "SMSCLI_CONFIG": str(self.root / "config.toml"),
            "SMSCLI_DATA_DIR": str(self.root / data),
            "NO_COLOR": "1",
        }
        # Measure what an installed smscli does: with its bytecode cached, as pip leaves it.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        return env


@contextmanager
def workspace(url: str) -> Iterator[Smscli]:
    with tempfile.TemporaryDirectory(prefix="smscli-bench-") as tmp:
        tool = Smscli(Path(tmp), url)
        tool.configure()
        yield tool


def numbers_file(path: Path, count: int, start: int = 447000000001) -> Path:
    path.write_text("".join(f"{start + i * 10}\n" for i in range(count)), encoding="ascii")
    return path


def random_numbers_file(path: Path, count: int, seed: int = 13) -> Path:
    """`count` distinct UK mobile numbers in random order (the same ones each time)."""
    import random

    picked = random.Random(seed).sample(range(10**9), count)
    path.write_text("".join(f"447{n:09d}\n" for n in picked), encoding="ascii")
    return path


@dataclass
class Pair:
    name: str
    ours: list[Sample] = field(default_factory=list)
    theirs: list[Sample] = field(default_factory=list)
    before: list[Sample] = field(default_factory=list)  # an older smscli (BENCH_BEFORE)

    def line(self, target: float | None = None, what: str = "wall") -> str:
        def med(samples: list[Sample], attr: str) -> float:
            return statistics.median(getattr(s, attr) for s in samples)

        ow, tw = med(self.ours, "wall"), med(self.theirs, "wall")
        oc, tc = med(self.ours, "cpu"), med(self.theirs, "cpu")
        ratio = (ow / tw) if what == "wall" else (oc / tc)
        verdict = "" if target is None else (" met" if ratio <= target else " NOT met")
        return (
            f"{self.name}: smscli {ow:.3f} s wall, {oc:.2f} s CPU, "
            f"{med(self.ours, 'rss_mb'):.0f} MB | reference {tw:.3f} s wall, {tc:.2f} s CPU | "
            f"ratio wall {ow / tw:.2f}x, CPU {oc / tc:.2f}x"
            + ("" if target is None else f" (target {what} <= {target}x){verdict}")
            + f"  [median of {len(self.ours)}]"
            + (
                ""
                if not self.before
                else f"\n   before (BENCH_BEFORE): {med(self.before, 'wall'):.3f} s wall, "
                f"{med(self.before, 'cpu'):.2f} s CPU, {med(self.before, 'rss_mb'):.0f} MB; "
                f"ratio wall {med(self.before, 'wall') / tw:.2f}x, "
                f"CPU {med(self.before, 'cpu') / tc:.2f}x"
            )
        )

    def phases_line(self) -> str:
        """Medians of each Phases figure, smscli's against the reference's (and the older
        smscli's): which part of the run a wall-time gap comes from."""

        def med(samples: list[Sample]) -> str:
            got = [s.phases for s in samples if s.phases is not None]
            if not got:
                return "-"
            return (
                f"{statistics.median(p.to_first for p in got):.3f} s to the first request, "
                f"span {statistics.median(p.span for p in got):.3f} s, "
                f"tail {statistics.median(p.tail for p in got):.3f} s, "
                f"{statistics.median(p.in_flight for p in got):.2f} in flight"
            )

        line = f"phases: smscli {med(self.ours)} | reference {med(self.theirs)}"
        if self.before:
            line += f"\n   before (BENCH_BEFORE): {med(self.before)}"
        return line


def alternate(
    pair: Pair,
    runs: int,
    ours: Callable[[], Sample],
    theirs: Callable[[], Sample],
    before: Callable[[], Sample] | None = None,
) -> Pair:
    """Interleave them (the order rotating) so a burst of load from elsewhere hits all
    alike. `before`: the same work by an older smscli, when BENCH_BEFORE names one."""
    sides: list[tuple[Callable[[], Sample], list[Sample]]] = [
        (ours, pair.ours),
        (theirs, pair.theirs),
    ]
    if before is not None:
        sides.append((before, pair.before))
    for i in range(runs):
        for k in range(len(sides)):
            work, samples = sides[(i + k) % len(sides)]
            samples.append(work())
    return pair


BEFORE = os.environ.get("BENCH_BEFORE")  # the source dir of an older smscli, for before figures


def before_env(env: dict[str, str]) -> dict[str, str]:
    """The environment that runs the older smscli at BENCH_BEFORE instead of this one."""
    assert BEFORE is not None
    return {**env, "PYTHONPATH": BEFORE}


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} on {os.cpu_count()} cores"
