"""`smscli sync` of a million sent records from the sandbox on 127.0.0.1 (getSentRcd pages of
50,000): wall time, peak RSS, and that the memory does not grow with the records (the same
sync of 100,000 for comparison), then an incremental re-run. Every record must be stored once.

Run: python bench/sync_bench.py [records]   (default 1,000,000)"""

from __future__ import annotations

import sqlite3
import sys

import httpx
from _harness import gateway, numbers, run_smscli, verdict  # type: ignore[import-not-found]

TARGET_RSS_MB = 200.0


def fill(env: object, count: int) -> None:
    from smscli.gateways.v3 import V3Client

    client = V3Client(
        api_key="bDqJFiq9",
        api_secret="7bz1lzh9",  # noqa: S106 - the sandbox's public sample secret
        app_id="4luaKsL2",
        base_url="https://sandbox.test/v3",
        transport=httpx.MockTransport(env.sandbox.handle),  # type: ignore[attr-defined]
    )
    given = numbers(count)
    for start in range(0, count, 1000):
        client.send(given[start : start + 1000], "sent by another system")
    client.close()


def once(count: int) -> float:
    with gateway() as env:
        env.profile()
        fill(env, count)
        done = run_smscli(["sync", "--since", "1d"], env)
        if done.returncode != 0:
            raise SystemExit(done.stderr.decode())
        with sqlite3.connect(env.root / "data" / "history.sqlite3") as db:
            (stored,) = db.execute("SELECT count(*) FROM gateway_sent").fetchone()
            (distinct,) = db.execute("SELECT count(DISTINCT msg_id) FROM gateway_sent").fetchone()
        print(f"sync of {count:,} records: {done.wall:.1f} s ({count / done.wall:,.0f} records/s),"
              f" peak RSS {done.rss_mb:.0f} MB, {stored:,} stored ({distinct:,} distinct)")
        print(f"  {_summary(done.stderr)}")
        again = run_smscli(["sync", "--since", "1d"], env)
        # It asks again for the last 10 minutes (states may still change): in this bench that
        # is whatever of the records was sent in the 10 minutes before the first sync ended.
        print(f"  incremental re-run: {again.wall:.1f} s, peak RSS {again.rss_mb:.0f} MB;"
              f" {_summary(again.stderr)}")
        return float(done.rss_mb)


def _summary(stderr: bytes) -> str:
    lines = [line for line in stderr.decode().splitlines() if line.startswith("synced ")]
    return lines[-1] if lines else "(no summary)"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    small = once(min(100_000, count))
    large = once(count)
    print(f"peak RSS {small:.0f} MB for {min(100_000, count):,} vs {large:.0f} MB for "
          f"{count:,} (target <= {TARGET_RSS_MB:.0f} MB: {verdict(large, TARGET_RSS_MB)})")


if __name__ == "__main__":
    main()
