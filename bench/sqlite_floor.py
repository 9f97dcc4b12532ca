"""What SQLite itself charges to journal a bulk send's answers, with nothing of smscli's: the
floor under the journal's CPU (issue 13).

    python bench/sqlite_floor.py [count]

200,000 (count) messages answered in chunks of 1000, each chunk one transaction that inserts
its rows - (job, chunk, pos, number, msg_id, state), integers, as the history keeps them - in
one multi-row INSERT, into a WITHOUT ROWID table keyed by position with an index on the number
and one on the msgId, in WAL mode with synchronous=NORMAL (the history's settings). Numbers
consecutive (`seq`, the benches' lists) and random (`rand`, real lists); process CPU, best of
3. Compare with `python bench/journal_bench.py` (the same work through smscli's journal) and
with the reference client's CPU for the whole 200,000-number send (bench/versus.py bulk).
Since schema v7 the journal fills its number index in sorted groups, not with every answer,
so for random numbers it spends less than this naive floor.
"""

from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
import time
from itertools import chain
from pathlib import Path

SCHEMA = (
    "CREATE TABLE messages (job_id INTEGER NOT NULL, chunk INTEGER NOT NULL,"
    " pos INTEGER NOT NULL, number NOT NULL, msg_id, state INTEGER NOT NULL,"
    " PRIMARY KEY (job_id, chunk, pos)) WITHOUT ROWID",
    "CREATE INDEX messages_msg_id ON messages (msg_id) WHERE msg_id IS NOT NULL",
    "CREATE INDEX messages_number ON messages (number)",
)


def once(numbers: list[int], indexes: bool) -> float:
    with tempfile.TemporaryDirectory() as directory:
        db = sqlite3.connect(str(Path(directory) / "floor.sqlite3"), isolation_level=None)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA temp_store = MEMORY")
        for statement in SCHEMA if indexes else SCHEMA[:1]:
            db.execute(statement)
        row = "(?, ?, ?, ?, ?, ?)"
        sql = "INSERT INTO messages VALUES " + ", ".join([row] * 500)  # noqa: S608 - constant
        msg_id = 2304252117461165117
        started = time.process_time()
        for chunk, first in enumerate(range(0, len(numbers), 1000)):
            part = numbers[first : first + 1000]
            rows = [(1, chunk, pos, n, msg_id + pos, 0) for pos, n in enumerate(part)]
            msg_id += len(part)
            db.execute("BEGIN IMMEDIATE")
            for half in (rows[:500], rows[500:]):
                if len(half) == 500:
                    db.execute(sql, tuple(chain.from_iterable(half)))
                elif half:
                    db.executemany("INSERT INTO messages VALUES " + row, half)  # noqa: S608
            db.execute("COMMIT")
        spent = time.process_time() - started
        db.close()
        return spent


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    rng = random.Random(5)
    lists = {
        "seq": [447700000000 + i for i in range(count)],
        "rand": [447000000000 + rng.randrange(10**9) for _ in range(count)],
    }
    print(f"SQLite alone, {count:,} messages in chunks of 1000 (CPU, best of 3):")
    for name, numbers in lists.items():
        bare = min(once(numbers, False) for _ in range(3))
        full = min(once(numbers, True) for _ in range(3))
        print(f"  {name:4s}: {full:.3f} s with the number and msgId indexes "
              f"({full / count * 1e6:.2f} us per message); {bare:.3f} s without them")


if __name__ == "__main__":
    main()
