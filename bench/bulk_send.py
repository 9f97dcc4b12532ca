"""Bulk send figures against the sandbox on 127.0.0.1.

1. 200,000 numbers, sandbox adding 100 ms per request, concurrency 8: wall vs the ideal
   (requests x latency / concurrency = 2.5 s); target <= 1.3 x ideal.
2. The vendors' sample style (one request per number, sequential) on a small slice, same
   latency, extrapolated to 200,000 numbers.
3. Throughput with no added latency: numbers per second end to end; target >= 50,000/s.

Run: python bench/bulk_send.py [count]"""

from __future__ import annotations

import sys

import httpx
from _harness import gateway, numbers, run_smscli, timer, verdict  # type: ignore[import-not-found]


def bulk(count: int, latency: float, concurrency: int) -> tuple[float, int]:
    with gateway(latency=latency) as env:
        env.profile(concurrency=concurrency, history=False)
        stdin = ("\n".join(numbers(count)) + "\n").encode()
        timed = run_smscli(["send", "-m", "bench message", "-y", "-o", "jsonl"], env, stdin)
        if timed.returncode != 0:
            sys.stderr.write(timed.stderr.decode()[-2000:])
            raise SystemExit(f"smscli exited {timed.returncode}")
        got = len(env.sandbox.received) if env.sandbox.received else -1
        _ = got
        return timed.wall, timed.returncode


def sequential_per_number(slice_count: int, latency: float) -> float:
    """What the vendors' samples do: one POST per number, one after another."""
    from smscli.gateways.v3 import V3Client

    with gateway(latency=latency) as env:
        client = V3Client(
            api_key="bDqJFiq9",
            api_secret="7bz1lzh9",  # noqa: S106 - the sandbox's public sample secret
            app_id="4luaKsL2",
            base_url=f"{env.url}/v3",
        )
        started = timer()
        for number in numbers(slice_count):
            client.send([number], "bench message")
        wall = timer() - started
        client.close()
        return wall


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    latency, concurrency = 0.100, 8
    requests = -(-count // 1000)
    ideal = requests * latency / concurrency
    wall, _ = bulk(count, latency, concurrency)
    print(
        f"bulk send: {count:,} numbers, {requests} requests, {latency * 1000:.0f} ms latency, "
        f"concurrency {concurrency}"
    )
    print(
        f"  wall {wall:.2f} s; ideal {ideal:.2f} s; ratio {wall / ideal:.2f} "
        f"(target <= 1.30) {verdict(wall / ideal, 1.30)}"
    )
    slice_count = 30
    seq = sequential_per_number(slice_count, latency)
    per = seq / slice_count
    print(
        f"  vendors' sample loop (1 number per request, sequential): {per * 1000:.0f} ms per "
        f"number, {per * count / 3600:.1f} h extrapolated to {count:,} "
        f"(measured on {slice_count})"
    )
    _ = httpx
    wall0, _ = bulk(count, 0.0, concurrency)
    rate = count / wall0
    print(
        f"throughput, no added latency: {count:,} numbers in {wall0:.2f} s = {rate:,.0f} "
        f"numbers/s (target >= 50,000) {verdict(rate, 50_000, lower_is_better=False)}"
    )


if __name__ == "__main__":
    main()
