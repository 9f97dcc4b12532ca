"""Throughput of number normalisation + validation, and peak RSS of collecting 1,000,000.

Run from the repository root: python bench/numbers_bench.py
The RSS figure comes from a child process, so this script's own sample lists don't count.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smscli.numberfile import numbers_from_lines, open_input
from smscli.numberlist import NumberCollector
from smscli.numbers import check, normalize

TARGET = 500_000
COLLECT_COUNT = 1_000_000
RSS_LIMIT_MB = 150


def decorated(rng: random.Random) -> str:
    digits = str(rng.randrange(10**10, 10**14))
    prefix = rng.choice(["+", "00", "", "+"])
    sep = rng.choice([" ", "-", "", ".", " "])
    return f"{prefix}{digits[:2]}{sep}{digits[2:5]}{sep}{digits[5:9]} {digits[9:]}"


def throughput() -> float:
    rng = random.Random(1)
    samples = [decorated(rng) for _ in range(200_000)]
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for raw in samples:
            check(normalize(raw))
        best = min(best, time.perf_counter() - start)
    return len(samples) / best


def write_numbers(path: Path, count: int) -> None:
    rng = random.Random(2)
    with path.open("w", encoding="utf-8") as out:
        for _ in range(count):
            out.write(decorated(rng) + "\n")


def collect(path: str) -> None:
    """Child process: stream the file into a collector and print what it kept."""
    start = time.perf_counter()
    collector = NumberCollector()
    with open_input(path, sys.stdin) as stream:
        # In blocks of lines, as `send -f` reads them (numberlist.read_numbers).
        collector.extend(numbers_from_lines(stream, source=path, blocks=True))
    elapsed = time.perf_counter() - start
    print(
        f"  collected {len(collector.valid)} valid, {collector.duplicates} duplicates, "
        f"{collector.bad_count} invalid in {elapsed:.2f} s "
        f"({COLLECT_COUNT / elapsed:,.0f} numbers/s end to end, file read included)"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--collect":
        collect(sys.argv[2])
        return
    rate = throughput()
    print(f"normalise+validate: {rate:.0f} numbers/s (target >= {TARGET})")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "numbers.txt"
        write_numbers(path, COLLECT_COUNT)
        subprocess.run([sys.executable, __file__, "--collect", str(path)], check=True)
    # ru_maxrss is in KiB on Linux.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"peak RSS collecting {COLLECT_COUNT:_} numbers: {peak_mb:.0f} MB "
        f"(whole process; target well under {RSS_LIMIT_MB} MB)"
    )


if __name__ == "__main__":
    main()
