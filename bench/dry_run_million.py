"""1,000,000 numbers piped on stdin with --dry-run: peak RSS and wall of the whole process
(targets <= 150 MB, <= 10 s); and normalisation + validation alone (target >= 500,000/s).

Run: python bench/dry_run_million.py [count]"""

from __future__ import annotations

import sys
import time

from _harness import gateway, numbers, run_smscli, verdict  # type: ignore[import-not-found]


def validation_rate(count: int) -> float:
    from smscli.numbers import check, normalize

    raw = [f"+44 {n[2:6]} {n[6:]}" for n in numbers(count)]
    started = time.perf_counter()
    for value in raw:
        check(normalize(value))
    return count / (time.perf_counter() - started)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    stdin = ("\n".join(numbers(count)) + "\n").encode()
    with gateway() as env:
        env.profile()
        timed = run_smscli(["send", "-m", "bench message", "--dry-run", "-o", "tsv"], env, stdin)
    if timed.returncode != 0:
        sys.stderr.write(timed.stderr.decode()[-2000:])
        raise SystemExit(f"smscli exited {timed.returncode}")
    print(f"dry run of {count:,} numbers piped on stdin")
    print(f"  peak RSS {timed.rss_mb:.0f} MB (target <= 150) {verdict(timed.rss_mb, 150)}")
    print(f"  wall {timed.wall:.2f} s (target <= 10) {verdict(timed.wall, 10)}")
    rate = validation_rate(min(count, 500_000))
    print(
        f"normalise + validate alone: {rate:,.0f} numbers/s (target >= 500,000) "
        f"{verdict(rate, 500_000, lower_is_better=False)}"
    )


if __name__ == "__main__":
    main()
