"""Planning time of `smscli batch` before its first request: the bench file of versus.py's
batch case (200,000 CSV rows, 1,000 distinct texts) read, checked and planned
(batchfile.open_source + build_plan) and packed into requests of 1,000 (batchrequests.chunks),
in a child process per run, alternating this tree and an older one.

    .venv/bin/python bench/batch_plan_bench.py                  # this tree only
    .venv/bin/python bench/batch_plan_bench.py --rev main       # and `git archive main`'s smscli
    .venv/bin/python bench/batch_plan_bench.py --old /tmp/s0    # and a tree holding smscli/

Prints the best and median of --runs per tree (seconds per 200,000 rows)."""

from __future__ import annotations

import argparse
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


def child(path: str) -> None:
    """One timed planning, printed as seconds (what the parent reads)."""
    started = time.perf_counter()
    from smscli import batchfile, batchrequests

    with batchfile.open_source(path, None, None) as source:
        plan = batchfile.build_plan(source, max_chars=1024, max_sender=11)
    chunks = list(batchrequests.chunks(plan.rows, 1000))
    elapsed = time.perf_counter() - started
    print(f"{elapsed:.4f} {plan.numbers} {plan.messages} {len(chunks)}")


def run(tree: Path, path: Path) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
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
    args = parser.parse_args()
    if args.child:
        child(args.child)
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
        times: dict[str, list[float]] = {name: [] for name in trees}
        shapes: dict[str, str] = {}
        for _ in range(args.runs):
            for name, tree in trees.items():  # alternating: the machine's load varies
                seconds, shape = run(tree, path)
                times[name].append(seconds)
                shapes[name] = shape
        print(f"planning {ROWS:,} batch rows (1,000 texts), {args.runs} runs each:")
        for name, values in times.items():
            numbers, messages, requests = shapes[name].split()
            print(
                f"  {name:>12}: best {min(values):.3f} s, median {statistics.median(values):.3f} s"
                f"  ({numbers} numbers, {messages} messages, {requests} requests)"
            )
        if len(shapes) == 2 and len(set(shapes.values())) != 1:
            raise SystemExit("the trees planned different batches")


if __name__ == "__main__":
    main()
