"""`smscli lookup` on a large history: 10,000,000 messages of 10,000 jobs to 2,000,000
numbers over the last 80 days, plus 1,000,000 gateway records of messages sent by other
systems and 100,000 inbound messages. Prints how the history was built, the query plans
(every lookup query must use an index), the time of the lookup itself in-process, and the
wall time of `smscli lookup NUMBER` in a subprocess: with --no-sync, and with its default
sync against the sandbox on 127.0.0.1 (sync state fresh, as a cron `smscli sync` keeps it).

The jobs are bulk-loaded when the messages table has its classic layout, else written through
the history's own API (journal and record_reports: right for any layout, but slow).

Run: python bench/lookup_bench.py [messages]   (default 10,000,000; ~2 GB of disk in /tmp)"""

from __future__ import annotations

import random
import sqlite3
import statistics
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from _harness import gateway, run_smscli, timer, verdict  # type: ignore[import-not-found]

JOB_SIZE = 1000
TARGET_MS = 100.0  # the lookup itself, in-process
TARGET_CLI_MS = 500.0  # a support person's whole command, start-up included


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    distinct = max(1, count // 5)
    rng = random.Random(14)
    with gateway() as env:
        env.profile()
        data = env.root / "data"
        data.mkdir(mode=0o700)
        path = data / "history.sqlite3"
        from smscli.history.store import Store

        started = timer()
        build(path, count, distinct, rng)
        print(f"built a history of {count:,} messages to {distinct:,} numbers "
              f"in {timer() - started:.0f} s ({path.stat().st_size / 2**30:.1f} GiB)")
        wanted = [number(rng.randrange(distinct)) for _ in range(25)]
        with Store.open(path) as store:
            plans(store)
            in_process(store, wanted)
        cli(env, wanted)


def number(i: int) -> str:
    return str(447000000001 + i * 10)


def build(path: object, count: int, distinct: int, rng: random.Random) -> None:
    from smscli.history.store import Store

    Store.open(path).close()  # type: ignore[arg-type]  # the schema, every migration applied
    now = datetime.now(UTC)
    if _classic_layout(path):
        _jobs_bulk(path, count, distinct, rng, now)
    else:
        _jobs_api(path, count, distinct, rng, now)
    _account(path, count, distinct, rng, now)


def _classic_layout(path: object) -> bool:
    """The messages table as the v1 schema made it (text outcome, text msgId): it can be
    bulk-loaded directly, in minutes. Any other layout goes through the store's own API."""
    db = sqlite3.connect(str(path))
    columns = {row[1]: row[2] for row in db.execute("PRAGMA table_info(messages)")}
    db.close()
    return columns.get("outcome") == "TEXT" and columns.get("msg_id") == "TEXT"


def _jobs_bulk(
    path: object, count: int, distinct: int, rng: random.Random, now: datetime
) -> None:
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    # Bulk load without the messages indexes, then build them as the schema defines them
    # (CREATE INDEX sorts once instead of 10 million random B-tree inserts).
    indexes = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'"
        " AND sql IS NOT NULL").fetchall()
    db.execute("BEGIN")
    for (sql,) in indexes:
        db.execute("DROP INDEX " + sql.split(" ON ")[0].split()[-1])
    jobs = count // JOB_SIZE or 1
    span = timedelta(days=80)
    for job in range(1, jobs + 1):
        created = now - span + span * job / jobs
        stamp = created.isoformat(timespec="milliseconds")
        size = JOB_SIZE if job < jobs else count - JOB_SIZE * (jobs - 1)
        numbers = [number(rng.randrange(distinct)) for _ in range(size)]
        db.execute(
            "INSERT INTO jobs (id, created, updated, profile, provider, kind, message,"
            " message_hash, content_stored, sender, numbers, chunks, status, pid)"
            " VALUES (?, ?, ?, 'bench', 'laaffic', 'send', 'Your code is 123456', NULL, 1,"
            " NULL, ?, 1, 'done', NULL)", (job, stamp, stamp, size))
        db.execute(
            "INSERT INTO chunks (job_id, idx, size, state, attempts, sends, started, finished,"
            " numbers) VALUES (?, 0, ?, 'accepted', 1, 1, ?, ?, ?)",
            (job, size, stamp, stamp, "\n".join(numbers)))
        db.executemany(
            "INSERT INTO messages (job_id, chunk, pos, number, outcome, msg_id, status,"
            " status_time, code, detail, updated) VALUES (?, 0, ?, ?, 'accepted', ?,"
            " 'delivered', ?, '0', NULL, ?)",
            ((job, pos, n, str(2_600_000_000_000_000_000 + job * JOB_SIZE + pos), stamp, stamp)
             for pos, n in enumerate(numbers)))
    for (sql,) in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    db.close()


def _jobs_api(
    path: object, count: int, distinct: int, rng: random.Random, now: datetime
) -> None:
    """Jobs through the history's own API (journal, record_reports): slower, but right for
    whatever layout the store uses."""
    from smscli.gateways.base import DeliveryStatus, Report, SendResult, Submitted
    from smscli.history.store import Store
    from smscli.model import Chunk, ChunkOutcome, ChunkState

    span = timedelta(days=80)
    jobs = max(1, count // JOB_SIZE)
    with Store.open(path) as store:  # type: ignore[arg-type]
        store._db.execute("PRAGMA synchronous = OFF")
        for job in range(1, jobs + 1):
            size = JOB_SIZE if job < jobs else count - JOB_SIZE * (jobs - 1)
            numbers = [number(rng.randrange(distinct)) for _ in range(size)]
            chunk = Chunk(0, numbers)
            job_id = store.create_job(profile="bench", provider="laaffic", kind="send",
                                      message="Your code is 123456", sender=None, chunks=[chunk])
            first = 2_600_000_000_000_000_000 + job * JOB_SIZE
            accepted = tuple(Submitted(n, str(first + i)) for i, n in enumerate(numbers))
            journal = store.journal(job_id)
            journal.before(chunk)
            journal.after(ChunkOutcome(chunk, ChunkState.ACCEPTED,
                                       result=SendResult(accepted, size, 0)))
            store.finish_job(job_id)
            created = (now - span + span * job / jobs).isoformat(timespec="milliseconds")
            store._db.execute("UPDATE jobs SET created = ?, updated = ? WHERE id = ?",
                              (created, created, job_id))
            store.record_reports(
                [Report(s.msg_id, DeliveryStatus.DELIVERED, s.number, now, "0") for s in accepted],
                provider="laaffic",
            )


def _account(
    path: object, count: int, distinct: int, rng: random.Random, now: datetime
) -> None:
    """The account's records and replies (the support desk's own tables)."""
    span = timedelta(days=80)
    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO gateway_sent (provider, msg_id, profile, number, time, sent_known, status,"
        " status_time, code, detail, synced) VALUES ('laaffic', ?, 'bench', ?, ?, 1,"
        " 'delivered', ?, '0', 'delivered', ?)",
        _gateway_rows(count // 10, distinct, now, rng))
    db.executemany(
        "INSERT INTO inbound (provider, profile, number, to_number, content, time, msg_id,"
        " fingerprint, synced) VALUES ('laaffic', 'bench', ?, 'ACME', 'STOP', ?, NULL, ?, ?)",
        ((number(rng.randrange(distinct)), t, f"h:{i}", t)
         for i, t in enumerate(_times(count // 100, now, rng))))
    # The sync state a cron `smscli sync` leaves: fresh, covering the last 80 days.
    fresh = now.isoformat(timespec="milliseconds")
    for kind in ("sent", "inbound"):
        db.execute(
            "INSERT INTO sync_state (profile, kind, covered_from, covered_until, last_success,"
            " updated) VALUES ('bench', ?, ?, ?, ?, ?)",
            (kind, (now - span).isoformat(timespec="milliseconds"), fresh, fresh, fresh))
    db.execute("COMMIT")
    # Fold the load's WAL into the file, as SQLite's automatic checkpoints would have done
    # over months of ordinary use.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def _times(count: int, now: datetime, rng: random.Random) -> Iterator[str]:
    for _ in range(count):
        yield (now - timedelta(seconds=rng.randrange(80 * 86400))).isoformat(
            timespec="milliseconds")


def _gateway_rows(
    count: int, distinct: int, now: datetime, rng: random.Random
) -> Iterator[tuple[str, str, str, str, str]]:
    for i, t in enumerate(_times(count, now, rng)):
        yield (str(2_700_000_000_000_000_000 + i), number(rng.randrange(distinct)), t, t, t)


def plans(store: object) -> None:
    db: sqlite3.Connection = store._db  # type: ignore[attr-defined]
    queries = {
        # As Queries.messages_to asks since schema v7: through by_number, and in the answered
        # chunks not indexed yet.
        "history (messages by number)": (
            "SELECT * FROM by_number n JOIN messages m ON m.job_id = n.job_id AND"
            " m.chunk = n.chunk AND m.pos = n.pos AND m.number = n.number JOIN jobs j ON"
            " j.id = m.job_id JOIN chunks c ON c.job_id = m.job_id AND c.idx = m.chunk"
            " WHERE n.number = ? AND j.created >= ?",
            ("1", "0")),
        "history (chunks not indexed yet)": (
            "SELECT * FROM chunks c INDEXED BY chunks_unindexed JOIN jobs j ON"
            " j.id = c.job_id JOIN messages m ON m.job_id = c.job_id AND m.chunk = c.idx"
            " WHERE c.unindexed = 1 AND m.number = ? AND j.created >= ?",
            ("1", "0")),
        "requests without an answer": (
            "SELECT * FROM chunks c JOIN jobs j ON j.id = c.job_id WHERE c.state IN"
            " ('planned', 'sending') AND instr(c.numbers, ?) > 0", ("1",)),
        "gateway records by number": (
            "SELECT * FROM gateway_sent g WHERE g.number = ? AND g.time >= ?", ("1", "0")),
        "inbound by number": (
            "SELECT * FROM inbound WHERE time >= ? AND number = ?", ("0", "1")),
    }
    for name, (sql, params) in queries.items():
        plan = "; ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params))
        print(f"plan, {name}: {plan}")


def in_process(store: object, wanted: list[str]) -> None:
    from smscli.support.lookup import lookup_rows

    since = datetime.now(UTC) - timedelta(days=90)
    times, found = [], 0
    for n in wanted:
        started = timer()
        rows = lookup_rows(store, [n], since)  # type: ignore[arg-type]
        times.append((timer() - started) * 1000)
        found += len(rows)
    median = statistics.median(times)
    print(f"lookup in-process, {len(wanted)} numbers: median {median:.1f} ms, max "
          f"{max(times):.1f} ms, {found / len(wanted):.1f} rows per number "
          f"(target <= {TARGET_MS:.0f} ms: {verdict(median, TARGET_MS)})")


def cli(env: object, wanted: list[str]) -> None:
    for label, extra in (("--no-sync", ["--no-sync"]), ("with its sync (sandbox)", [])):
        walls = []
        for n in wanted[:9]:
            done = run_smscli(["lookup", n, "--since", "90d", "-o", "json", *extra], env)
            if done.returncode != 0:
                print(done.stderr.decode(), file=sys.stderr)
                raise SystemExit(f"smscli lookup exited {done.returncode}")
            walls.append(done.wall * 1000)
        median = statistics.median(walls)
        shown = ", ".join(f"{w:.0f}" for w in walls)
        print(f"smscli lookup NUMBER --since 90d {label}: median {median:.0f} ms ({shown} ms;"
              f" start-up included) (target <= {TARGET_CLI_MS:.0f} ms: "
              f"{verdict(median, TARGET_CLI_MS)})")


if __name__ == "__main__":
    main()
