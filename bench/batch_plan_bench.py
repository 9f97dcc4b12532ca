"""Planning time of `smscli batch` before its first request: the bench file of versus.py's
batch case (200,000 CSV rows, 1,000 distinct texts) read, checked and planned
(batchfile.open_source + build_plan) and packed into requests of 1,000 (batchrequests.chunks),
in a child process per run, alternating this tree and an older one, each with the cyclic
garbage collector running as usual and paused (as `batch` pauses it while it plans, since
this tree: the collector's passes over a planning's objects cost more than the work).

    .venv/bin/python bench/batch_plan_bench.py                  # this tree only
    .venv/bin/python bench/batch_plan_bench.py --rev main       # and `git archive main`'s smscli
    .venv/bin/python bench/batch_plan_bench.py --old /tmp/s0    # and a tree holding smscli/

Prints the best and median of --runs per tree (seconds per 200,000 rows)."""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = 200_000


def write_rows(path: Path, count: int = ROWS) -> None:
    # The same file as bench/_side.py's batch case and /work/notes/spy.py's rows.csv.
    path.write_text(
        "number,content\n"
        + "".join(
            f"{447000000001 + i * 10},Hello customer {i % 1000} your code is {i % 1000:04d}\n"
            for i in range(count)
        ),
        encoding="utf-8",
    )


def child(path: str, paused: bool) -> None:
    """One timed planning, printed as seconds (what the parent reads)."""
    if paused:
        gc.disable()
    started = time.perf_counter()
    from smscli import batchfile, batchrequests

    with batchfile.open_source(path, None, None) as source:
        plan = batchfile.build_plan(source, max_chars=1024, max_sender=11)
    # As `batch` packs them (plan_chunks since this tree; chunks before).
    by_plan = getattr(batchrequests, "plan_chunks", None)
    chunks = list(by_plan(plan, 1000) if by_plan else batchrequests.chunks(plan.rows, 1000))
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.4f} {plan.numbers} {plan.messages} {len(chunks)}")


def run(tree: Path, path: Path, paused: bool) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path), *(["--paused"] if paused else [])],
        env=env,
        cwd=tempfile.gettempdir(),  # so the editable install cannot shadow PYTHONPATH
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, *rest = done.stdout.split()
    return float(seconds), " ".join(rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", help="compare with this git revision's smscli")
    parser.add_argument("--old", help="compare with a tree holding smscli/")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--paused", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.paused)
        return
    with tempfile.TemporaryDirectory() as tmp:
        trees: dict[str, Path] = {"this tree": ROOT}
        if args.rev:
            old = Path(tmp) / "old"
            old.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", args.rev, "smscli"],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            trees = {args.rev: old, **trees}
        elif args.old:
            trees = {args.old: Path(args.old), **trees}
        path = Path(tmp) / "rows.csv"
        write_rows(path)
        cases = [(name, paused) for name in trees for paused in (False, True)]
        times: dict[tuple[str, bool], list[float]] = {case: [] for case in cases}
        shapes: dict[tuple[str, bool], str] = {}
        for _ in range(args.runs):
            for name, paused in cases:  # alternating: the machine's load varies
                seconds, shape = run(trees[name], path, paused)
                times[name, paused].append(seconds)
                shapes[name, paused] = shape
        print(f"planning {ROWS:,} batch rows (1,000 texts), {args.runs} runs each:")
        for (name, paused), values in times.items():
            numbers, messages, requests = shapes[name, paused].split()
            collector = "collector paused" if paused else "collector on"
            print(
                f"  {name:>10}, {collector:>16}: best {min(values):.3f} s, median "
                f"{statistics.median(values):.3f} s  ({numbers} numbers, {messages} messages, "
                f"{requests} requests)"
            )
        if len(set(shapes.values())) != 1:
            raise SystemExit("the trees planned different batches")


if __name__ == "__main__":
    main()
