"""`smscli report` of 100,000 msgIds against the sandbox on 127.0.0.1 adding 100 ms per
request: 500 getReport calls of 200 ids, concurrency 8 from the profile. Prints the wall time
next to the ideal (calls x latency / concurrency = 6.25 s; target <= 1.3 x) and the peak number
of getReport calls the gateway saw in flight at once (it must equal the concurrency).

Run: python bench/report_bench.py [count]"""

from __future__ import annotations

import sys
import threading

import httpx
from _harness import gateway, numbers, run_smscli, verdict  # type: ignore[import-not-found]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    latency, concurrency = 0.100, 8
    from smscli.gateways.v3 import V3Client

    with gateway(latency=0.0) as env:
        env.profile(concurrency=concurrency, history=False)
        client = V3Client(
            api_key="bDqJFiq9",
            api_secret="7bz1lzh9",  # noqa: S106 - the sandbox's public sample secret
            app_id="4luaKsL2",
            base_url=f"{env.url}/v3",
        )
        given = numbers(count)
        ids: list[str] = []
        for start in range(0, count, 1000):
            result = client.send(given[start : start + 1000], "bench message")
            ids.extend(s.msg_id for s in result.accepted)
        client.close()

        # Count getReport calls in flight at once, as the gateway sees them.
        lock = threading.Lock()
        active, peak, calls = [0], [0], [0]
        handle = env.sandbox.handle

        def counting(request: httpx.Request) -> httpx.Response:
            with lock:
                active[0] += 1
                calls[0] += 1
                peak[0] = max(peak[0], active[0])
            try:
                return handle(request)
            finally:
                with lock:
                    active[0] -= 1

        env.handler = counting
        env.sandbox.latency = latency
        stdin = ("\n".join(ids) + "\n").encode()
        timed = run_smscli(["report", "-o", "jsonl"], env, stdin)
    if timed.returncode != 0:
        sys.stderr.write(timed.stderr.decode()[-2000:])
        raise SystemExit(f"smscli exited {timed.returncode}")
    requests = -(-len(ids) // 200)
    ideal = requests * latency / concurrency
    print(f"report of {len(ids):,} msgIds: {calls[0]} getReport calls (expected {requests}), "
          f"at most {peak[0]} in flight (concurrency {concurrency})")
    print(f"  wall {timed.wall:.2f} s; ideal {ideal:.2f} s; ratio {timed.wall / ideal:.2f} "
          f"(target <= 1.30) {verdict(timed.wall / ideal, 1.30)}; peak RSS {timed.rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
