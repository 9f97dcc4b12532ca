"""The number index (schema v7): by_number filled in sorted groups of answered chunks, the
chunks not indexed yet read directly, a dead job's chunks indexed by the next write, prune,
a resend, and the migration from a v6 history keeping every `history --number` answer."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from smscli.history import journal as journal_module
from smscli.history import keys, schema
from smscli.history.store import Store
from smscli.model import Chunk, ChunkOutcome, ChunkState, Failure
from tests.test_store import accepted, kill_owner, new_job

START = 447700900000


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


def spread(chunks: int, size: int = 4, start: int = START) -> list[Chunk]:
    """Chunks whose numbers interleave (chunk k holds start + k, start + k + chunks, ...): each
    spans the others' range, as a batch's or a random list's chunks do."""
    return [
        Chunk(k, [str(start + k + i * chunks) for i in range(size)]) for k in range(chunks)
    ]


def in_order(chunks: int, size: int = 4, start: int = START) -> list[Chunk]:
    """Chunks of consecutive numbers, each beyond the last (a sorted list)."""
    return [
        Chunk(k, [str(start + k * size + i) for i in range(size)]) for k in range(chunks)
    ]


def unindexed(path: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(path) as raw:
        return raw.execute(
            "SELECT job_id, idx FROM chunks WHERE unindexed = 1 ORDER BY job_id, idx"
        ).fetchall()


def assert_index_complete(path: Path) -> None:
    """by_number holds exactly the messages of the chunks not marked unindexed."""
    with sqlite3.connect(path) as raw:
        indexed = raw.execute(
            "SELECT number, job_id, chunk, pos FROM by_number ORDER BY 1, 2, 3, 4"
        ).fetchall()
        expected = raw.execute(
            "SELECT m.number, m.job_id, m.chunk, m.pos FROM messages m JOIN chunks c"
            " ON c.job_id = m.job_id AND c.idx = m.chunk WHERE c.unindexed IS NULL"
            " ORDER BY 1, 2, 3, 4"
        ).fetchall()
    assert indexed == expected


def hits(store: Store, number: str) -> list[tuple[int, int, int, str, str | None]]:
    return [
        (h.job.id, h.message.chunk, h.message.pos, h.message.outcome, h.message.msg_id)
        for h in store.messages_to(number)
    ]


def test_numbers_of_a_chunk_not_indexed_yet_are_found(path: Path) -> None:
    chunks = spread(3)
    with Store.open(path) as store:
        job = new_job(store, chunks)
        journal = store.journal(job)
        for chunk in chunks[:2]:
            journal.before(chunk)
            journal.after(accepted(chunk))
        journal.before(chunks[2])
        # The second answer overlapped the first's numbers: it waits for its group.
        assert unindexed(path) == [(job, 1)]
        with Store.open(path) as reader:  # `history --number` from another process
            assert hits(reader, chunks[1].numbers[2]) == [
                (job, 1, 2, "accepted", f"m{chunks[1].numbers[2]}")
            ]
            assert hits(reader, chunks[0].numbers[0]) == [
                (job, 0, 0, "accepted", f"m{chunks[0].numbers[0]}")
            ]
            # In flight: found in its chunk's plan, as before.
            assert hits(reader, chunks[2].numbers[3]) == [(job, 2, 3, "sending", None)]
        assert_index_complete(path)
        journal.after(accepted(chunks[2]))
        store.finish_job(job)
        assert unindexed(path) == []
        assert_index_complete(path)
        for chunk in chunks:
            assert [h[:3] for h in hits(store, chunk.numbers[1])] == [(job, chunk.index, 1)]


def test_chunks_in_number_order_are_indexed_with_their_answer(path: Path) -> None:
    chunks = in_order(3)
    with Store.open(path) as store:
        journal = store.journal(new_job(store, chunks))
        for chunk in chunks:
            journal.before(chunk)
            journal.after(accepted(chunk))
            assert unindexed(path) == []
        assert_index_complete(path)


def test_a_group_is_indexed_once_enough_messages_wait(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "INDEX_EVERY", 8)
    chunks = spread(5)
    with Store.open(path) as store:
        job = new_job(store, chunks)
        journal = store.journal(job)
        waiting = []
        for chunk in chunks:
            journal.before(chunk)
            journal.after(accepted(chunk))
            waiting.append(len(unindexed(path)))
            assert_index_complete(path)
        # Chunk 0 has no chunk before it; 1 waits, 2 makes 8 messages waiting: the group goes.
        assert waiting == [0, 1, 0, 1, 0]
        store.finish_job(job)
        assert unindexed(path) == []


DIE_AFTER_TWO_ANSWERS = """
import os, signal, sys
from collections.abc import Callable
from pathlib import Path
from smscli.history.db import StoreError
from smscli.history.store import Store
from smscli.model import Chunk
from tests.test_store import accepted, new_job
from tests.test_journal_writes import spread
store = Store.open(Path(sys.argv[1]))
chunks = spread(3)
job = new_job(store, chunks)
journal = store.journal(job)
for chunk in chunks[:2]:
    journal.before(chunk)
    journal.after(accepted(chunk))
print(job, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("then", ["resume", "next job finishing"])
def test_a_killed_jobs_numbers_are_found_then_indexed_by_the_next_write(
    path: Path, then: str
) -> None:
    path.parent.mkdir(parents=True)
    root = str(Path(__file__).resolve().parent.parent)
    killed = subprocess.run(
        [sys.executable, "-c", DIE_AFTER_TWO_ANSWERS, str(path)],
        capture_output=True, text=True, cwd=root, check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    job = int(killed.stdout)
    chunks = spread(3)
    assert unindexed(path) == [(job, 1)]
    with Store.open(path) as store:
        assert not store.job(job).live
        number = chunks[1].numbers[0]
        assert hits(store, number) == [(job, 1, 0, "accepted", f"m{number}")]
        assert hits(store, chunks[2].numbers[0]) == [(job, 2, 0, "not_sent", None)]
        if then == "resume":
            store.claim_job(job)
        else:
            store.finish_job(new_job(store, in_order(1, start=START + 1000)))
        assert unindexed(path) == []
        assert_index_complete(path)
        assert hits(store, number) == [(job, 1, 0, "accepted", f"m{number}")]


def test_a_resent_chunk_replaces_its_index_entries(path: Path) -> None:
    chunks = spread(2)
    lost = Failure.no_answer("the connection was reset")
    with Store.open(path) as store:
        job = new_job(store, chunks)
        journal = store.journal(job)
        journal.before(chunks[0])
        journal.after(ChunkOutcome(chunks[0], ChunkState.UNKNOWN, error=lost))
        store.finish_job(job)
        number = chunks[0].numbers[1]
        assert hits(store, number) == [(job, 0, 1, "unknown", None)]
        kill_owner(store, job)
        store.claim_job(job)
        journal = store.journal(job)
        for chunk in chunks:  # chunk 0 resent (--resend-unknown), chunk 1 for the first time
            journal.before(chunk)
            journal.after(accepted(chunk))
        assert hits(store, number) == [(job, 0, 1, "accepted", f"m{number}")]
        store.finish_job(job)
        assert hits(store, number) == [(job, 0, 1, "accepted", f"m{number}")]
        assert_index_complete(path)


def test_prune_removes_the_index_entries_of_the_jobs_it_deletes(path: Path) -> None:
    chunks = spread(2)
    with Store.open(path) as store:
        old, new = new_job(store, chunks), new_job(store, chunks)
        for job in (old, new):
            journal = store.journal(job)
            for chunk in chunks:
                journal.before(chunk)
                journal.after(accepted(chunk))
            store.finish_job(job)
        with sqlite3.connect(path) as raw:
            raw.execute("UPDATE jobs SET created = '2020-01-01T00:00:00.000+00:00' WHERE id = ?",
                        (old,))
        assert {h[0] for h in hits(store, chunks[1].numbers[0])} == {old, new}
        counts = store.prune(timedelta(days=30))
        assert counts.jobs == 1
        assert [h[0] for h in hits(store, chunks[1].numbers[0])] == [new]
        assert_index_complete(path)
        with sqlite3.connect(path) as raw:
            assert raw.execute("SELECT count(*) FROM by_number WHERE job_id = ?",
                               (old,)).fetchone() == (0,)


def _v6_history(path: Path) -> None:
    """A history as smscli wrote it with schema v6 (messages indexed by number): job 1 done
    (a number the gateway rewrote, a rejected one, a text number), job 2 interrupted with a
    chunk never sent, both sending 447700900001."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(path)
    for statements in schema.MIGRATIONS[:6]:
        for statement in statements:
            raw.execute(statement)
    raw.execute("PRAGMA user_version = 6")
    now = "2026-11-20T10:00:00.000+00:00"
    for job, status, chunks in ((1, "done", 1), (2, "interrupted", 2)):
        raw.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, 'main', 'laaffic', 'send', 'hello', NULL, 1,"
            " NULL, 3, ?, ?, NULL)",
            (job, now, now, chunks, status),
        )
    raw.executemany(
        "INSERT INTO chunks (job_id, idx, size, state, attempts, sends, started, finished,"
        " numbers) VALUES (?, ?, 3, ?, 1, 1, ?, ?, ?)",
        [
            (1, 0, "accepted", now, now, None),
            (2, 0, "accepted", now, now, None),
            (2, 1, "planned", None, None, "447700900007\n447700900001\n447700900008"),
        ],
    )
    rows = [
        (1, 0, 0, keys.key("447700900001"), keys.key("2304252117461165117"), 0),
        (1, 0, 1, keys.key("447700900002"), None, 1),
        (1, 0, 2, keys.key("0447700900003"), "ab-12", 0),
        (1, 0, -1, keys.key("+447700900009"), keys.key("2304252117461165118"), 0),
        (2, 0, 0, keys.key("447700900005"), keys.key("2304252117461165119"), 0),
        (2, 0, 1, keys.key("447700900001"), keys.key("2304252117461165120"), 0),
        (2, 0, 2, keys.key("0447700900003"), keys.key("2304252117461165121"), 0),
    ]
    raw.executemany(
        "INSERT INTO messages (job_id, chunk, pos, number, msg_id, state) VALUES"
        " (?, ?, ?, ?, ?, ?)",
        rows,
    )
    raw.commit()
    raw.close()


V6_NUMBERS = ["447700900001", "447700900002", "0447700900003", "+447700900009", "447700900005",
              "447700900007", "447700900003", "447700909999"]


def test_a_v6_history_answers_history_number_the_same_after_the_v7_migration(
    path: Path,
) -> None:
    _v6_history(path)
    with sqlite3.connect(path) as raw:  # what the v6 index found, per number
        before = {
            n: raw.execute(
                "SELECT job_id, chunk, pos FROM messages INDEXED BY messages_number"
                " WHERE number = ? ORDER BY job_id DESC, chunk, pos",
                (keys.key(n),),
            ).fetchall()
            for n in V6_NUMBERS
        }
    with Store.open(path) as store:
        for number in V6_NUMBERS:
            answered = [h[:3] for h in hits(store, number) if h[3] != "not_sent"]
            assert answered == before[number], number
        assert hits(store, "447700900001") == [
            (2, 0, 1, "accepted", "2304252117461165120"),
            (2, 1, 1, "not_sent", None),
            (1, 0, 0, "accepted", "2304252117461165117"),
        ]
        assert hits(store, "+447700900009") == [(1, 0, -1, "accepted", "2304252117461165118")]
        assert hits(store, "447700900002") == [(1, 0, 1, "rejected", None)]
        assert [h[:3] for h in hits(store, "0447700900003")] == [(2, 0, 2), (1, 0, 2)]
        assert hits(store, "447700900003") == []
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (7,)
        names = {r[0] for r in raw.execute("SELECT name FROM sqlite_master")}
        assert "messages_number" not in names and {"by_number", "chunks_unindexed"} <= names
    # The chunk never sent is marked: an older smscli may still be sending it (see
    # tests/test_qa13_v6_history.py), and it has no rows to index yet.
    assert unindexed(path) == [(2, 1)]
    assert_index_complete(path)


def statements_of(store: Store, work: Callable[[], object]) -> list[str]:
    """The SQL statements `work` runs on the store's connection, first five words."""
    seen: list[str] = []
    store._db.set_trace_callback(lambda sql: seen.append(" ".join(sql.split()[:5])))
    try:
        work()
    finally:
        store._db.set_trace_callback(None)
    return seen


def test_the_usual_answer_takes_one_insert_and_no_delete(path: Path) -> None:
    chunks = in_order(2, size=1000)
    with Store.open(path) as store:
        assert store._db.execute("PRAGMA temp_store").fetchone() == (2,)  # MEMORY
        job = new_job(store, chunks)
        journal = store.journal(job)
        journal.before(chunks[0])
        done = statements_of(store, lambda: journal.after(accepted(chunks[0])))
        assert done == [
            "BEGIN IMMEDIATE",
            "UPDATE chunks SET state =",
            "INSERT INTO messages (job_id, chunk,",  # the whole chunk: 1000 rows, one statement
            "INSERT OR IGNORE INTO by_number",  # numbers in order: indexed with the answer
            "COMMIT",
        ]
        # A chunk the job did not plan (a caller that streams its chunks) may be new to the
        # history or have rows from an earlier run: its row is made, earlier rows replaced.
        extra = Chunk(7, [str(START + 5000 + i) for i in range(3)])
        journal.before(extra)
        done = statements_of(store, lambda: journal.after(accepted(extra)))
        assert [s for s in done if s.startswith(("INSERT OR IGNORE INTO chunks", "DELETE"))] == [
            "INSERT OR IGNORE INTO chunks",
            "DELETE FROM by_number WHERE (number,",
            "DELETE FROM messages WHERE job_id",
        ]
        assert hits(store, extra.numbers[2]) == [(job, 7, 2, "accepted", f"m{extra.numbers[2]}")]
