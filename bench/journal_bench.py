"""The journal's CPU per number (issue 13), through the store's own API - what `send` calls:

    python bench/journal_bench.py [seq|rand] [count] [ints]

A job of `count` numbers (200,000) in chunks of 1000: create_job, then the journalling of each
chunk (every number accepted with a msgId) as run_chunks does it - its `before`, then its
answer - and finish_job, timed with process_time, best of 3. `ints`: chunks that carry their
numbers' integers (Chunk.keys), as a send's chunks made from a NumberList do.
`seq`: consecutive numbers (the bench lists); `rand`: random ones, as real lists are (their
number-index pages are spread, so each chunk's commit writes more of them). To compare with an
older revision run it with PYTHONPATH=<its sources>: an old tree has `smscli.store`.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from smscli.gateways.base import SendResult, Submitted
from smscli.sending import Chunk, ChunkOutcome, ChunkState

try:
    from smscli.store import Store  # type: ignore[import-not-found]  # an older revision
except ImportError:
    from smscli.history.store import Store


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "seq"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    rng = random.Random(5)
    if mode == "seq":
        numbers = [str(447700000000 + i) for i in range(count)]
    else:
        numbers = [str(447000000000 + rng.randrange(10**9)) for _ in range(count)]
    ints = "ints" in sys.argv[3:]
    chunks = [
        Chunk(i // 1000, numbers[i : i + 1000], keys=list(map(int, numbers[i : i + 1000])))
        if ints
        else Chunk(i // 1000, numbers[i : i + 1000])
        for i in range(0, count, 1000)
    ]
    msg_id = 2304252117461165117
    outcomes = []
    for chunk in chunks:
        subs = tuple(Submitted(n, str(msg_id + k)) for k, n in enumerate(chunk.numbers))
        msg_id += len(subs)
        outcomes.append(ChunkOutcome(chunk, ChunkState.ACCEPTED, SendResult(subs, len(subs), 0)))
    best = float("inf")
    for _ in range(3):
        with tempfile.TemporaryDirectory() as directory:
            store = Store.open(Path(directory) / "history.sqlite3")
            started = time.process_time()
            job = store.create_job(profile="bench", provider="laaffic", kind="send",
                                   message="bench message", sender=None, chunks=chunks)
            journal = store.journal(job)
            for chunk, outcome in zip(chunks, outcomes, strict=True):
                journal.before(chunk)
                journal.after(outcome)
            store.finish_job(job)
            best = min(best, time.process_time() - started)
            store.close()
    carrying = ", with their integers" if ints else ""
    print(f"journal, {mode} numbers: {best / count * 1e6:.2f} us CPU per number "
          f"({count:,} numbers, chunks of 1000{carrying}, best of 3)")


if __name__ == "__main__":
    main()
