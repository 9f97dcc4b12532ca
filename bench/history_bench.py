"""The history's own figures (issue 13):

    python bench/history_bench.py size [count]       bytes on disk per message sent
    python bench/history_bench.py big DIR [messages]  build (once) a history of 10 M messages
                                                      in DIR, then time `history --number`,
                                                      `report --job` on it and `history prune`
    python bench/history_bench.py rss [count]         peak RSS of a 1 M-number send, history on

`size` sends through smscli itself against the lean gateway (no added latency) and measures
the database after a checkpoint (the WAL folded in). `big` writes its history through the
store's own journal API (create_job, before/after per chunk, record_reports) - what `send`
and `report` call - in one process, so it builds in minutes and in whatever schema the code
has; jobs of 5,000 numbers spread over the last 30 days, drawn from 2 M distinct numbers (each
number is in about 5 jobs). Query times are medians, shown next to the same command on an
empty history ("beyond start-up" is the difference).
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _side import SMSCLI, lean_gateway, load_note, numbers_file, run, workspace  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

JOB_SIZE = 5000
DISTINCT = 2_000_000
FIRST = 447000000001


def db_bytes(path: Path) -> int:
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def size(count: int) -> None:
    with lean_gateway(0.0) as gw, workspace(gw.url) as tool:
        given = numbers_file(tool.root / "numbers.txt", count)
        run([SMSCLI, "send", "-m", "bench message", "-y", "-o", "jsonl"], env=tool.env(),
            stdin=given)
        total = db_bytes(tool.root / "data" / "history.sqlite3")
    print(f"history on disk: {total / count:.1f} bytes per message sent ({count:,} messages: "
          f"{total / 1e6:.1f} MB) (target <= 80) {'met' if total / count <= 80 else 'NOT met'}")


def build(path: Path, messages: int) -> None:
    from smscli.gateways.base import DeliveryStatus, Report, SendResult, Submitted
    from smscli.history.store import Store
    from smscli.model import Chunk, ChunkOutcome, ChunkState

    started = time.perf_counter()
    store = Store.open(path)
    jobs = messages // JOB_SIZE
    now = datetime.now(UTC)
    msg_id = 2304252117461165117
    for j in range(jobs):
        offset = (j * JOB_SIZE * 7) % DISTINCT
        nums = [str(FIRST + ((offset + i) % DISTINCT) * 10) for i in range(JOB_SIZE)]
        chunks = [Chunk(i // 1000, nums[i : i + 1000]) for i in range(0, JOB_SIZE, 1000)]
        job_id = store.create_job(profile="bench", provider="laaffic", kind="send",
                                  message="bench message", sender=None, chunks=chunks)
        journal = store.journal(job_id)
        for chunk in chunks:
            journal.before(chunk)
            accepted = tuple(
                Submitted(n, str(msg_id + k), None) for k, n in enumerate(chunk.numbers)
            )
            msg_id += len(accepted)
            journal.after(ChunkOutcome(chunk, ChunkState.ACCEPTED,
                                       SendResult(accepted, len(accepted), 0)))
        store.finish_job(job_id)
        # Every other job has its delivery reports in: what `report` writes back.
        if j % 2 == 0:
            first = msg_id - JOB_SIZE
            store.record_reports(
                (Report(str(first + k), DeliveryStatus.DELIVERED, time=now) for k in
                 range(JOB_SIZE)),
                provider="laaffic",
            )
        if j % 100 == 0:
            sys.stderr.write(f"\r{(j + 1) * JOB_SIZE:,} messages, "
                             f"{time.perf_counter() - started:.0f} s")
    store.close()
    # Spread the jobs over the last 30 days (oldest first), as a month of sending would be.
    db = sqlite3.connect(path)
    span = timedelta(days=30) / jobs
    db.executemany("UPDATE jobs SET created = ?, updated = ? WHERE id = ?",
                   [((now - timedelta(days=30) + span * i).isoformat(timespec="milliseconds"),) * 2
                    + (i + 1,) for i in range(jobs)])
    db.commit()
    db.close()
    sys.stderr.write(f"\rbuilt {messages:,} messages in {time.perf_counter() - started:.0f} s; "
                     f"{db_bytes(path) / messages:.0f} bytes per message\n")


def build_v2_sql(path: Path, messages: int) -> None:
    """The same history as build(), written straight in SQL in the schema smscli used before
    issue 13 (v2: text numbers, msgIds and outcomes, every chunk's plan kept): a minute
    instead of many, and the way to measure the old code on 10 M messages. Opening it with a
    newer smscli migrates it (timed by `big`)."""
    from smscli.history.schema import MIGRATIONS as _MIGRATIONS

    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -200000")
    db.execute("BEGIN")
    for statements in _MIGRATIONS[:2]:
        for statement in statements:
            db.execute(statement)
    db.execute("PRAGMA user_version = 2")
    jobs = messages // JOB_SIZE
    now = datetime.now(UTC)
    span = timedelta(days=30) / jobs
    stamp = [(now - timedelta(days=30) + span * j).isoformat(timespec="milliseconds")
             for j in range(jobs)]
    db.executemany(
        "INSERT INTO jobs VALUES (?, ?, ?, 'bench', 'laaffic', 'send', 'bench message', NULL,"
        " 1, NULL, ?, ?, 'done', NULL)",
        [(j + 1, stamp[j], stamp[j], JOB_SIZE, JOB_SIZE // 1000) for j in range(jobs)],
    )
    db.execute("CREATE TEMP TABLE stamps (j INTEGER PRIMARY KEY, t TEXT)")
    db.executemany("INSERT INTO stamps VALUES (?, ?)", list(enumerate(stamp)))
    # Message i: job i / JOB_SIZE, k = i % JOB_SIZE; numbers drawn as build() draws them.
    db.execute(
        "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ?)"
        " INSERT INTO messages (job_id, chunk, pos, number, order_id, content, sender, outcome,"
        " msg_id, error, status, status_time, code, detail, updated)"
        " SELECT i / ? + 1, (i % ?) / 1000, i % 1000,"
        " CAST(? + (((i / ?) * ? * 7 + i % ?) % ?) * 10 AS TEXT), NULL, NULL, NULL,"
        " 'accepted', CAST(? + i AS TEXT), NULL,"
        " iif((i / ?) % 2 = 0, 'delivered', NULL), iif((i / ?) % 2 = 0, st.t, NULL),"
        " NULL, NULL, st.t FROM s JOIN stamps st ON st.j = i / ?",
        (messages - 1, JOB_SIZE, JOB_SIZE, FIRST, JOB_SIZE, JOB_SIZE, JOB_SIZE, DISTINCT,
         2304252117461165117, JOB_SIZE, JOB_SIZE, JOB_SIZE),
    )
    db.execute(
        "INSERT INTO chunks (job_id, idx, size, state, attempts, sends, started, finished,"
        " numbers) SELECT job_id, chunk, count(*), 'accepted', 1, 1, max(updated),"
        " max(updated), group_concat(number, char(10)) FROM"
        " (SELECT job_id, chunk, number, updated FROM messages ORDER BY job_id, chunk, pos)"
        " GROUP BY job_id, chunk"
    )
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    sys.stderr.write(f"built {messages:,} messages (schema v2, SQL) in "
                     f"{time.perf_counter() - started:.0f} s; "
                     f"{db_bytes(path) / messages:.0f} bytes per message\n")


def big(directory: Path, messages: int) -> None:
    # The baseline: a history of two jobs, built the same way (job 1 has its reports in).
    small = directory.parent / (directory.name + "-small")
    for where, count in ((directory, messages), (small, 2 * JOB_SIZE)):
        where.mkdir(parents=True, exist_ok=True)
        if not (where / "history.sqlite3").exists():
            if os.environ.get("BENCH_BUILD") == "sql":
                build_v2_sql(where / "history.sqlite3", count)
            else:
                build(where / "history.sqlite3", count)
    path = directory / "history.sqlite3"
    # The first open migrates a history of an older schema: timed on the big one.
    for where in (small, directory):
        started = time.perf_counter()
        timed = run([SMSCLI, "history", "--limit", "1", "-o", "jsonl"],
                    env={**os.environ, "SMSCLI_DATA_DIR": str(where),
                         "SMSCLI_CONFIG": str(where / "none.toml")})
    print(f"first open (a migration, if the schema is older): {time.perf_counter() - started:.1f}"
          f" s; {db_bytes(path) / messages:.0f} bytes per message")
    with workspace("http://127.0.0.1:9/v3") as tool:
        full = {**tool.env(), "SMSCLI_DATA_DIR": str(directory)}
        few = {**tool.env(), "SMSCLI_DATA_DIR": str(small)}
        number = str(FIRST + 123_457 * 10)
        jobs = messages // JOB_SIZE
        job = str(jobs - (jobs % 2) - 1)  # an odd id: its reports are in, so no gateway call
        runs = 7
        for name, args, base_args in [
            (f"history --number {number}", ["history", "--number", number, "-o", "jsonl"],
             ["history", "--number", number, "-o", "jsonl"]),
            (f"report --job {job} ({JOB_SIZE:,} ids, all delivered)",
             ["report", "--job", job, "-o", "jsonl"], ["report", "--job", "1", "-o", "jsonl"]),
        ]:
            # Alternating, so load from elsewhere hits both alike.
            walls, bases = [], []
            for _ in range(runs):
                walls.append(run([SMSCLI, *args], env=full).wall)
                bases.append(run([SMSCLI, *base_args], env=few).wall)
            wall, base = statistics.median(walls), statistics.median(bases)
            beyond = (wall - base) * 1000
            print(f"{name} on {messages:,} messages: {wall * 1000:.0f} ms; the same on a "
                  f"history of 2 jobs {base * 1000:.0f} ms; beyond start-up {beyond:.0f} ms "
                  f"(target <= 100) {'met' if beyond <= 100 else 'NOT met'}  [median of {runs}]")
        copy = directory.parent / (directory.name + "-prune")
        copy.mkdir(exist_ok=True)
        for part in directory.glob("history.sqlite3*"):
            os.system(f"cp {part} {copy}/")  # noqa: S605 - bench, fixed paths
        timed = run([SMSCLI, "history", "prune", "--older-than", "0s", "-y"],
                    env={**full, "SMSCLI_DATA_DIR": str(copy)})
        print(f"history prune of {messages:,} messages ({jobs:,} jobs, 30 days): "
              f"{timed.wall:.1f} s, peak RSS {timed.rss_mb:.0f} MB")
        for part in copy.glob("*"):
            part.unlink()
        copy.rmdir()
    print(f"   {load_note()}")


def rss(count: int) -> None:
    with lean_gateway(0.0) as gw, workspace(gw.url) as tool:
        given = numbers_file(tool.root / "numbers.txt", count)
        timed = run([SMSCLI, "send", "-m", "bench message", "-y", "-o", "jsonl"],
                    env=tool.env(), stdin=given, stdout=tool.root / "out.jsonl")
        lines = sum(1 for _ in (tool.root / "out.jsonl").open())
    print(f"send {count:,} numbers, history on, no added latency: {timed.wall:.1f} s wall, "
          f"{timed.cpu:.1f} s CPU, peak RSS {timed.rss_mb:.0f} MB (target <= 200) "
          f"{'met' if timed.rss_mb <= 200 else 'NOT met'}; {lines:,} rows; {load_note()}")


def main() -> None:
    args = sys.argv[1:]
    case = args[0] if args else "size"
    if case == "size":
        size(int(args[1]) if len(args) > 1 else 200_000)
    elif case == "big":
        big(Path(args[1]), int(args[2]) if len(args) > 2 else 10_000_000)
    elif case == "rss":
        rss(int(args[1]) if len(args) > 1 else 1_000_000)
    else:
        raise SystemExit(__doc__)
    _ = json


if __name__ == "__main__":
    main()
