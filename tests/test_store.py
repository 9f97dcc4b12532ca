"""The history store: files and schema, the journal's writes, what a resume may send, the
queries `history` and `report` use, retention, and two writers at once."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smscli.errors import ErrorKind, GatewayError, NetworkError
from smscli.gateways.base import DeliveryStatus, Report, SendResult, Submitted
from smscli.history import codes, encode, keys, pruning, schema
from smscli.history.db import JobNotFound, StoreError
from smscli.history.journal import hash_message, message_matches
from smscli.history.locks import lock_path, release_job_lock
from smscli.history.queries import STATUS_FILTERS
from smscli.history.schema import VERSION as SCHEMA_VERSION
from smscli.history.store import Store
from smscli.jobs.plan import chunked
from smscli.model import Chunk, ChunkOutcome, ChunkState, Failure
from smscli.timeparse import parse_duration, parse_since

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def store(path: Path) -> Store:
    with Store.open(path) as opened:
        yield opened  # type: ignore[misc]


def plan(count: int, size: int = 3, start: int = 447700900000) -> list[Chunk]:
    return list(chunked([str(start + i) for i in range(count)], size))


def new_job(store: Store, chunks: list[Chunk], **options: object) -> int:
    values: dict[str, object] = {
        "profile": "main",
        "provider": "laaffic",
        "kind": "send",
        "message": "hello",
        "sender": None,
        **options,
    }
    return store.create_job(chunks=chunks, **values)  # type: ignore[arg-type]


def accepted(chunk: Chunk, skip: int = 0) -> ChunkOutcome:
    """All numbers accepted (but the first `skip`), msgIds "m<number>"."""
    subs = tuple(Submitted(n, f"m{n}") for n in chunk.numbers[skip:])
    return ChunkOutcome(chunk, ChunkState.ACCEPTED, SendResult(subs, len(subs), skip))


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def kill_owner(store: Store, job_id: int) -> None:
    """Make the job look like its process died (kill -9): still `running`, its lock gone
    (what the OS does when the process dies: its descriptors close), its pid reused or not."""
    raw = sqlite3.connect(store.path)
    with raw:
        raw.execute("UPDATE jobs SET pid = ? WHERE id = ?", (dead_pid(), job_id))
    raw.close()
    release_job_lock(store.path, job_id)


HOLD_LOCK = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)
"""


# -- the file ---------------------------------------------------------------------------------


def test_file_and_directory_are_private_and_wal(store: Store, path: Path) -> None:
    journal = store.journal(new_job(store, plan(3)))
    journal.before(plan(3)[0])
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    raw.close()


def test_existing_directory_mode_is_left_alone(tmp_path: Path) -> None:
    tmp_path.joinpath("mine").mkdir(mode=0o755)
    Store.open(tmp_path / "mine" / "history.sqlite3").close()
    assert stat.S_IMODE((tmp_path / "mine").stat().st_mode) == 0o755


def test_migrations_run_in_order_once(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(path).close()
    later = (*schema.MIGRATIONS, ("ALTER TABLE jobs ADD COLUMN note TEXT",))
    monkeypatch.setattr(schema, "MIGRATIONS", later)
    monkeypatch.setattr(schema, "VERSION", len(later))
    for _ in range(2):  # the second open finds the version current: nothing runs again
        Store.open(path).close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert "note" in [r[1] for r in raw.execute("PRAGMA table_info(jobs)")]
    raw.close()


def test_newer_schema_is_refused(path: Path) -> None:
    Store.open(path).close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(StoreError, match="newer smscli"):
        Store.open(path)


def test_damaged_file_is_one_clear_error(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"definitely not sqlite " * 200)
    with pytest.raises(StoreError, match="is damaged") as caught:
        Store.open(path)
    assert caught.value.exit_code == 2
    assert "move the file aside" in str(caught.value.hint)


def test_locked_database_is_one_clear_error(path: Path) -> None:
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store.open(path, timeout=0.2) as busy, pytest.raises(StoreError, match="locked"):
            new_job(busy, plan(3))
        # Readers are not blocked by a writer in WAL mode.
        with Store.open(path, timeout=0.2) as reader:
            assert reader.jobs() == []
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# -- the journal ------------------------------------------------------------------------------


def test_before_commits_before_the_request_leaves(store: Store) -> None:
    chunks = plan(7)
    job = new_job(store, chunks)
    store.journal(job).before(chunks[1])
    other = sqlite3.connect(store.path)  # a separate connection sees only committed data
    states = dict(other.execute("SELECT idx, state FROM chunks WHERE job_id = ?", (job,)))
    other.close()
    assert states == {0: "planned", 1: "sending", 2: "planned"}


def test_after_records_every_kind_of_outcome(store: Store) -> None:
    chunks = plan(12)
    job = new_job(store, chunks)
    journal = store.journal(job)
    rewritten = Submitted("15550001111", "mx")
    outcome = accepted(chunks[0], skip=1)
    outcome = ChunkOutcome(
        chunks[0], ChunkState.ACCEPTED, SendResult((*outcome.result.accepted, rewritten), 3, 1)
    )  # type: ignore[union-attr]
    refused = GatewayError("insufficient balance", code="-10", kind=ErrorKind.BALANCE)
    lost = NetworkError("timed out", maybe_processed=True)
    for o in [
        outcome,
        ChunkOutcome(chunks[1], ChunkState.REJECTED, error=Failure.of(refused)),
        ChunkOutcome(chunks[2], ChunkState.UNKNOWN, error=Failure.of(lost)),
    ]:
        journal.before(o.chunk)
        journal.after(o)
    messages = store.job_messages(job)
    assert [(m.chunk, m.pos, m.outcome) for m in messages[:4]] == [
        (0, 0, "rejected"),
        (0, 1, "accepted"),
        (0, 2, "accepted"),
        (0, -1, "accepted"),
    ]
    assert messages[0].error and "left out" in messages[0].error
    assert messages[1].msg_id == f"m{chunks[0].numbers[1]}"
    assert messages[3].number == "15550001111"
    assert {m.outcome for m in messages if m.chunk == 1} == {"rejected"}
    assert {m.error for m in messages if m.chunk == 1} == {"insufficient balance"}
    assert {m.outcome for m in messages if m.chunk == 2} == {"unknown"}
    assert {m.outcome for m in messages if m.chunk == 3} == {"planned"}  # job still live
    infos = store.chunks(job)
    assert [i.state for i in infos] == ["accepted", "rejected", "unknown", "planned"]
    assert infos[1].error_code == "-10" and infos[1].error_kind == "balance"
    assert (infos[0].first, infos[0].last) == (chunks[0].numbers[0], chunks[0].numbers[-1])
    (summary,) = store.jobs()
    counts = summary.counts
    assert (counts.accepted, counts.rejected, counts.unknown, counts.not_sent) == (2, 4, 3, 3)
    assert store.finish_job(job) == "interrupted"


def test_crash_in_flight_reads_unknown_and_resume_plan_sorts_chunks(store: Store) -> None:
    chunks = plan(12)
    job = new_job(store, chunks)
    journal = store.journal(job)
    journal.before(chunks[0])
    journal.after(accepted(chunks[0]))
    journal.before(chunks[1])
    journal.after(ChunkOutcome(chunks[1], ChunkState.REJECTED, error=Failure.said("no")))
    journal.before(chunks[2])  # ... and then kill -9
    kill_owner(store, job)

    (summary,) = store.jobs()
    assert summary.job.status == "interrupted"
    assert (summary.counts.unknown, summary.counts.not_sent) == (3, 3)
    in_flight = chunks[2].numbers[0]
    (hit,) = store.messages_to(in_flight)
    assert hit.message.outcome == "unknown" and "in flight" in str(hit.message.error)
    (never,) = store.messages_to(chunks[3].numbers[1])
    assert never.message.outcome == "not_sent"

    resume = store.resume_plan(job)
    assert [c.index for c in resume.to_send] == [3]
    assert [info.index for info, _ in resume.unknown] == [2]
    assert [o.chunk.index for o in resume.settled] == [0, 1]
    assert resume.settled[0].result and len(resume.settled[0].result.accepted) == 3
    assert resume.unknown[0][1].numbers == chunks[2].numbers

    store.claim_job(job)
    assert store.job(job).status == "running"
    assert [i.state for i in store.chunks(job)] == ["accepted", "rejected", "unknown", "planned"]
    assert {m.outcome for m in store.job_messages(job) if m.chunk == 2} == {"unknown"}


def test_claim_refuses_a_job_another_live_process_sends(store: Store) -> None:
    job = new_job(store, plan(3))
    kill_owner(store, job)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(lock_path(store.path, job))],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        raw = sqlite3.connect(store.path)
        with raw:
            raw.execute("UPDATE jobs SET pid = ? WHERE id = ?", (holder.pid, job))
        raw.close()
        assert store.job(job).status == "running"
        with pytest.raises(StoreError, match=f"process {holder.pid}"):
            store.claim_job(job)
    finally:
        holder.kill()
        holder.communicate()
    # The holder died (kill -9): the OS dropped its lock, whatever its pid now names.
    assert store.job(job).status == "interrupted"
    assert store.claim_job(job).status == "running"


def test_a_reused_pid_does_not_keep_a_dead_job_running(store: Store) -> None:
    """The old check trusted the pid: a crashed job whose pid now names another live process
    (common in containers) stayed `running` for ever and could be neither resumed nor pruned."""
    job = new_job(store, plan(3))
    kill_owner(store, job)
    raw = sqlite3.connect(store.path)
    with raw:
        raw.execute("UPDATE jobs SET pid = ? WHERE id = ?", (os.getppid(), job))  # alive
    raw.close()
    assert store.job(job).status == "interrupted"
    assert store.claim_job(job).status == "running"
    assert store.finish_job(job) == "interrupted"
    assert store.job(job).status == "interrupted"


def test_resent_chunk_replaces_its_rows_and_counts_sends(store: Store) -> None:
    chunks = plan(3)
    job = new_job(store, chunks)
    journal = store.journal(job)
    journal.before(chunks[0])
    journal.after(
        ChunkOutcome(chunks[0], ChunkState.UNKNOWN, error=Failure.no_answer("x"))
    )
    journal.before(chunks[0])
    journal.after(accepted(chunks[0]))
    assert [m.outcome for m in store.job_messages(job)] == ["accepted"] * 3
    (info,) = store.chunks(job)
    assert (info.sends, info.attempts) == (2, 2)
    assert store.finish_job(job) == "done"


def test_chunks_not_planned_with_the_job_are_recorded_by_the_journal(store: Store) -> None:
    job = new_job(store, [], kind="batch")
    chunk = Chunk(0, ["447700900001", "447700900002"], contents=["a", "b"], sender_ids=["S", None])
    journal = store.journal(job)
    journal.before(chunk)
    journal.after(accepted(chunk))
    resume = store.resume_plan(job)
    assert resume.settled[0].chunk.contents == ["a", "b"]
    assert [(m.content, m.sender) for m in store.job_messages(job)] == [("a", "S"), ("b", None)]


def test_store_content_false_keeps_only_a_hash(store: Store) -> None:
    chunk = Chunk(0, ["447700900001"], contents=["secret text"])
    job = new_job(store, [chunk], message="secret text", store_content=False)
    journal = store.journal(job)
    journal.before(chunk)
    journal.after(accepted(chunk))
    found = store.job(job)
    assert found.message is None and not found.content_stored
    assert message_matches(found.message_hash, "secret text")
    assert not message_matches(found.message_hash, "secret text!")
    assert store.job_messages(job)[0].content is None
    raw = sqlite3.connect(store.path)
    assert not any(
        "secret text" in str(value) for row in raw.execute("SELECT * FROM chunks") for value in row
    )
    raw.close()


def test_message_hash_is_salted() -> None:
    one, two = hash_message("hi"), hash_message("hi")
    assert one != two and message_matches(one, "hi") and message_matches(two, "hi")
    assert not message_matches(None, "hi") and not message_matches("garbage", "hi")


# -- queries --------------------------------------------------------------------------------------


def sent_job(store: Store, count: int, profile: str = "main", start: int = 447700900000) -> int:
    chunks = plan(count, start=start)
    job = new_job(store, chunks, profile=profile)
    journal = store.journal(job)
    for chunk in chunks:
        journal.before(chunk)
        journal.after(accepted(chunk))
    store.finish_job(job)
    return job


def test_ids_for_report_and_delivery_states_written_back(store: Store) -> None:
    first = sent_job(store, 3, profile="a")
    second = sent_job(store, 2, profile="b", start=447700800000)
    assert list(store.ids_for_last_job()) == ["m447700800000", "m447700800001"]
    assert len(store.ids_for_last_job("a")) == 3
    assert store.ids_for_last_job("nobody") == {}
    assert len(store.ids_since(datetime.now(UTC) - timedelta(hours=1))) == 5
    assert len(store.ids_since(datetime.now(UTC) - timedelta(hours=1), "b")) == 2
    assert store.ids_since(datetime.now(UTC) + timedelta(hours=1)) == {}
    with pytest.raises(JobNotFound):
        store.ids_for_job(99)

    when = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    changed = store.record_reports(
        [
            Report("m447700900000", DeliveryStatus.DELIVERED, time=when, code="0"),
            Report("m447700900001", DeliveryStatus.FAILED, code="1", detail="absent"),
            Report("m447700900002", DeliveryStatus.PENDING, code="-1"),
            Report("unknown-id", DeliveryStatus.NOT_FOUND),
        ]
    )
    assert changed == 3
    # msgIds are unique per provider only: another provider's same id is left alone.
    assert store.record_reports([Report("m447700800000", DeliveryStatus.FAILED)], provider="x") == 0
    # A final state is never replaced by what a gateway says once it has forgotten the id.
    assert store.record_reports([Report("m447700900000", DeliveryStatus.NOT_FOUND)]) == 0
    ids = store.ids_for_job(first)
    number, status, time, code, _ = ids["m447700900000"]
    assert (number, status, time, code) == ("447700900000", DeliveryStatus.DELIVERED, when, "0")
    assert ids["m447700900001"].status is DeliveryStatus.FAILED
    assert ids["m447700900001"].detail == "absent"
    assert store.ids_for_job(second)["m447700800000"].status is None
    counts = store.jobs(job_id=first)[0].counts
    assert (counts.delivered, counts.failed, counts.pending) == (1, 1, 1)


def test_job_filters(store: Store) -> None:
    a = sent_job(store, 2, profile="a")
    b = sent_job(store, 2, profile="b", start=447700800000)
    store.record_reports([Report("m447700800001", DeliveryStatus.FAILED)])
    assert [s.job.id for s in store.jobs()] == [b, a]
    assert [s.job.id for s in store.jobs(profile="a")] == [a]
    assert [s.job.id for s in store.jobs(job_id=b)] == [b]
    assert [s.job.id for s in store.jobs(status="failed")] == [b]
    assert [s.job.id for s in store.jobs(status="pending")] == [b, a]
    assert store.jobs(status="unknown") == []
    assert [s.job.id for s in store.jobs(limit=1)] == [b]
    assert store.jobs(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    hits = store.messages_to("447700800001")
    assert [(h.job.id, h.message.status) for h in hits] == [(b, "failed")]


def test_prune_deletes_old_jobs_only(store: Store) -> None:
    old = sent_job(store, 4)
    raw = sqlite3.connect(store.path)
    with raw:
        raw.execute(
            "UPDATE jobs SET created = '2020-01-01T00:00:00.000+00:00' WHERE id = ?", (old,)
        )
    raw.close()
    new = sent_job(store, 2)
    preview = store.prune(timedelta(days=90), dry_run=True)
    assert (preview.jobs, preview.chunks, preview.messages) == (1, 2, 4)
    assert len(store.jobs()) == 2
    done = store.prune(timedelta(days=90))
    assert done == preview
    assert [s.job.id for s in store.jobs()] == [new]
    assert store.messages_to("447700900003") == []


def test_status_names_match_the_cli() -> None:
    from smscli.cli.history import STATUSES

    assert set(STATUSES) == set(STATUS_FILTERS)


# -- parsing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45s", 45), ("30m", 1800), ("2h", 7200), ("3d", 259200), ("1w", 604800), ("1w2d", 777600)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "3", "d", "3x", "2h junk", "-1d"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_parse_since() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert parse_since("2h", now) == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    midnight = datetime(2026, 11, 1).astimezone().astimezone(UTC)
    assert parse_since("2026-11-01", now) == midnight
    assert parse_since("2026-11-01T08:00:00+01:00", now) == datetime(2026, 11, 1, 7, tzinfo=UTC)
    with pytest.raises(ValueError, match="neither a duration"):
        parse_since("yesterday", now)


# -- two writers at once --------------------------------------------------------------------


def journal_jobs(path: Path, jobs: int, start: int) -> None:
    with Store.open(path) as own:
        for j in range(jobs):
            sent_job(own, 30, start=start + j * 1000)
            own.record_reports([Report(f"m{start + j * 1000}", DeliveryStatus.DELIVERED)])
            own.jobs(limit=5)


def test_threads_with_their_own_connections_lose_nothing(path: Path) -> None:
    Store.open(path).close()
    threads = [
        threading.Thread(target=journal_jobs, args=(path, 5, 447700000000 + t * 100_000))
        for t in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Store.open(path) as check:
        summaries = check.jobs()
        assert len(summaries) == 20
        assert sum(s.counts.accepted for s in summaries) == 600
        assert sum(s.counts.delivered for s in summaries) == 20
        assert {s.job.status for s in summaries} == {"done"}


@pytest.mark.e2e
def test_two_processes_writing_at_once_lose_nothing(path: Path) -> None:
    Store.open(path).close()
    script = (
        "import sys; from pathlib import Path; from tests.test_store import journal_jobs; "
        "journal_jobs(Path(sys.argv[1]), 10, int(sys.argv[2]))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), str(start)], cwd=REPO)
        for start in (447700000000, 447800000000)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with Store.open(path) as check:
        summaries = check.jobs()
        assert len(summaries) == 20
        assert sum(s.counts.accepted for s in summaries) == 600
        assert sum(s.counts.delivered for s in summaries) == 20
        assert len({s.job.pid for s in summaries}) == 1  # finished: pid cleared (None)
    assert path.exists()


# -- v2: reports without their message (orphan_reports) ------------------------------------------


def test_a_version_1_history_is_migrated_keeping_its_jobs(path: Path) -> None:
    _old_history(path, version=1)
    with Store.open(path) as new:
        assert len(new.ids_for_last_job()) == 3
        new.record_reports([Report("elsewhere", DeliveryStatus.DELIVERED)], provider="laaffic")
        assert list(new.orphan_reports()) == ["elsewhere"]
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
    raw.close()


def _old_history(path: Path, version: int) -> None:
    """A history as smscli wrote it before v5 (text numbers, msgIds and outcomes, a plan kept
    for every chunk): job 1 of two chunks, the first answered (one number rewritten by the
    gateway, one left out, one non-numeric msgId), the second never sent (planned)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(path)
    for statements in schema.MIGRATIONS[:version]:
        for statement in statements:
            raw.execute(statement)
    raw.execute(f"PRAGMA user_version = {version}")
    now = "2026-11-20T10:00:00.000+00:00"
    raw.execute(
        "INSERT INTO jobs VALUES (1, ?, ?, 'main', 'laaffic', 'send', 'hello', NULL, 1,"
        " NULL, 6, 2, 'interrupted', NULL)",
        (now, now),
    )
    raw.execute(
        "INSERT INTO chunks VALUES (1, 1, 0, 3, 'accepted', 1, 1, NULL, NULL, NULL, ?, ?,"
        " '447700900000\n447700900001\n0447700900002', '[\"a\",\"b\",\"c\"]', NULL, NULL)",
        (now, now),
    )
    raw.execute(
        "INSERT INTO chunks VALUES (2, 1, 1, 3, 'planned', 0, 0, NULL, NULL, NULL, NULL, NULL,"
        " '447700900003\n447700900004\n447700900005', '[\"d\",\"e\",\"f\"]', NULL, NULL)"
    )
    rows = [
        (0, "447700900000", "a", "accepted", "2304252117461165117", None),
        (1, "447700900001", "b", "rejected", None, "rejected by the gateway"),
        (2, "0447700900002", "c", "accepted", "ab-12", None),
        (-1, "+447700900009", None, "accepted", "9999999999999999999", None),
    ]
    raw.executemany(
        "INSERT INTO messages (job_id, chunk, pos, number, order_id, outcome, msg_id, error,"
        " updated) VALUES (1, 0, ?, ?, ?, ?, ?, ?, ?)",
        [(*row, now) for row in rows],
    )
    raw.commit()
    raw.close()


@pytest.mark.parametrize("version", [2, 3, 4])
def test_an_older_history_is_migrated_to_compact_messages(path: Path, version: int) -> None:
    _old_history(path, version=version)
    with Store.open(path) as store:
        # Every text survives exactly, whether it was stored as an integer or kept as text.
        messages = store.job_messages(1)
        assert [(m.pos, m.number, m.order_id, m.outcome, m.msg_id) for m in messages] == [
            (0, "447700900000", "a", "accepted", "2304252117461165117"),
            (1, "447700900001", "b", "rejected", None),
            (2, "0447700900002", "c", "accepted", "ab-12"),
            (-1, "+447700900009", None, "accepted", "9999999999999999999"),
            (0, "447700900003", "d", "not_sent", None),
            (1, "447700900004", "e", "not_sent", None),
            (2, "447700900005", "f", "not_sent", None),
        ]
        assert messages[0].updated is None  # only a report sets it now
        assert [h.message.pos for h in store.messages_to("0447700900002")] == [2]
        assert [h.message.pos for h in store.messages_to("447700900000")] == [0]
        assert store.messages_to("447700900002") == []
        assert set(store.ids_for_job(1)) == {
            "2304252117461165117",
            "ab-12",
            "9999999999999999999",
        }
        assert store.lookup(["ab-12", "2304252117461165117"])["ab-12"].number == "0447700900002"
        # The answered chunk's plan is read back from its messages; the planned one kept its own.
        plan = store.resume_plan(1)
        assert [c.numbers for c in plan.to_send] == [
            ["447700900003", "447700900004", "447700900005"]
        ]
        assert [c.order_ids for c in plan.to_send] == [["d", "e", "f"]]
        (settled,) = plan.settled
        assert settled.chunk.numbers == ["447700900000", "447700900001", "0447700900002"]
        assert settled.result is not None
        assert [s.msg_id for s in settled.result.accepted] == [
            "2304252117461165117",
            "ab-12",
            "9999999999999999999",
        ]
        assert [(c.first, c.last) for c in store.chunks(1)] == [
            ("447700900000", "0447700900002"),
            ("447700900003", "447700900005"),
        ]
        counts = store.jobs()[0].counts
        assert (counts.accepted, counts.rejected, counts.not_sent) == (2, 1, 3)
        store.record_reports([Report("ab-12", DeliveryStatus.DELIVERED)], provider="laaffic")
        assert store.lookup(["ab-12"])["ab-12"].status is DeliveryStatus.DELIVERED
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    stored = dict(raw.execute("SELECT pos, typeof(number) FROM messages WHERE chunk = 0"))
    assert stored == {0: "integer", 1: "integer", 2: "text", -1: "text"}
    plans = raw.execute("SELECT idx, numbers IS NULL FROM chunks ORDER BY idx").fetchall()
    assert plans == [(0, 1), (1, 0)]
    raw.close()


def test_prune_and_the_v5_migration_give_the_freed_pages_back(path: Path) -> None:
    _old_history(path, version=2)
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("PRAGMA auto_vacuum = INCREMENTAL")  # as a new file gets it
    raw.execute("VACUUM")
    raw.close()
    with Store.open(path) as store:
        assert store._db.execute("PRAGMA freelist_count").fetchone()[0] == 0
        for i in range(40):
            sent_job(store, 300, start=447700000000 + 1000 * i)
        store.prune(timedelta(0))
        assert store.jobs() == []
        assert store._db.execute("PRAGMA freelist_count").fetchone()[0] == 0


def test_numbers_and_ids_keep_their_exact_text_however_they_are_stored(store: Store) -> None:
    odd = ["447700900000", "0044770090001", "9223372036854775807", "9223372036854775808", "+44"]
    chunk = Chunk(0, odd)
    job = new_job(store, [chunk])
    journal = store.journal(job)
    journal.before(chunk)
    journal.after(accepted(chunk))
    assert [m.number for m in store.job_messages(job)] == odd
    assert list(store.ids_for_job(job)) == [f"m{n}" for n in odd]
    for number in odd:
        assert [h.message.number for h in store.messages_to(number)] == [number]
    assert keys.key("9223372036854775807") == 9223372036854775807
    assert keys.key("9223372036854775808") == "9223372036854775808"
    assert keys.key("0123") == "0123"
    assert keys.key("١٢٣") == "١٢٣"  # Arabic-Indic digits: text, never an integer


def test_reports_without_their_message_are_kept_per_provider(store: Store) -> None:
    sent_job(store, 2)
    when = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    changed = store.record_reports(
        [
            Report("m447700900000", DeliveryStatus.DELIVERED, code="12"),
            Report("1000000001", DeliveryStatus.FAILED, time=when, code="13", detail="UNDELIV"),
            Report("1000000002", DeliveryStatus.NOT_FOUND),  # "no record" is not a report
        ],
        provider="mobset",
    )
    assert changed == 0  # job 1 is laaffic's: its message is not mobset's m447700900000
    kept = store.orphan_reports("mobset")
    assert list(kept) == ["m447700900000", "1000000001"]
    assert kept["1000000001"] == (None, DeliveryStatus.FAILED, when, "13", "UNDELIV")
    assert store.orphan_reports("laaffic") == {}
    # Without a provider nothing can be scoped, so nothing is kept (as before v2).
    store.record_reports([Report("1000000003", DeliveryStatus.DELIVERED)])
    assert "1000000003" not in store.orphan_reports()
    # A matched report is not kept twice.
    store.record_reports([Report("m447700900001", DeliveryStatus.DELIVERED)], provider="laaffic")
    assert "m447700900001" not in store.orphan_reports()


def test_a_kept_final_state_is_not_replaced_by_a_later_pending_one(store: Store) -> None:
    store.record_reports([Report("7", DeliveryStatus.FAILED, detail="UNDELIV")], provider="p")
    store.record_reports([Report("7", DeliveryStatus.PENDING, detail="late")], provider="p")
    assert store.orphan_reports()["7"].status is DeliveryStatus.FAILED
    store.record_reports([Report("8", DeliveryStatus.PENDING)], provider="p")
    store.record_reports([Report("8", DeliveryStatus.DELIVERED, number="4477")], provider="p")
    assert store.orphan_reports()["8"][:2] == ("4477", DeliveryStatus.DELIVERED)


def test_lookup_answers_from_messages_and_kept_reports(store: Store) -> None:
    job = sent_job(store, 3)
    store.record_reports(
        [
            Report("m447700900000", DeliveryStatus.DELIVERED, code="0"),
            Report("x1", DeliveryStatus.FAILED),
        ],
        provider="laaffic",
    )
    found = store.lookup(["m447700900000", "m447700900001", "x1", "nobody"], "laaffic")
    assert list(found) == ["m447700900000", "m447700900001", "x1"]
    assert found["m447700900000"].status is DeliveryStatus.DELIVERED
    assert found["m447700900001"] == ("447700900001", None, None, None, None)
    assert found["x1"].status is DeliveryStatus.FAILED and found["x1"].number is None
    assert store.lookup(["m447700900000", "x1"], "mobset") == {}
    assert set(store.lookup(["m447700900000", "x1"])) == {"m447700900000", "x1"}
    assert store.lookup([]) == {}
    assert len(store.ids_for_job(job)) == 3


def test_lookup_takes_any_number_of_ids(store: Store) -> None:
    sent_job(store, 1200, start=447700000000)
    ids = [f"m{447700000000 + i}" for i in range(1200)]
    found = store.lookup([*ids, "nobody"], "laaffic")
    assert list(found) == ids


def test_a_report_pulled_before_its_send_was_journalled_moves_onto_the_message(
    store: Store,
) -> None:
    # A queue provider's report can arrive between the gateway's answer to SmsSend and the
    # journal recording that answer: it is kept, answered by lookup, then adopted.
    chunks = plan(2)
    job = new_job(store, chunks, provider="mobset")
    journal = store.journal(job)
    journal.before(chunks[0])
    report = Report("m447700900000", DeliveryStatus.DELIVERED, code="12", detail="DELIVRD")
    store.record_reports([report], provider="mobset")
    assert list(store.orphan_reports()) == ["m447700900000"]
    journal.after(accepted(chunks[0]))
    found = store.lookup(["m447700900000", "m447700900001"], "mobset")
    assert found["m447700900000"] == (
        "447700900000",
        DeliveryStatus.DELIVERED,
        None,
        "12",
        "DELIVRD",
    )
    assert found["m447700900001"].status is None
    assert store.ids_for_job(job)["m447700900000"].status is None  # not adopted yet
    store.record_reports([], provider="mobset")  # any later write adopts it
    assert store.ids_for_job(job)["m447700900000"].status is DeliveryStatus.DELIVERED
    assert store.orphan_reports() == {}
    (hit,) = store.messages_to("447700900000")
    assert (hit.message.status, hit.message.detail) == ("delivered", "DELIVRD")


def test_prune_deletes_old_kept_reports(store: Store) -> None:
    store.record_reports([Report("1", DeliveryStatus.DELIVERED)], provider="p")
    store.record_reports([Report("2", DeliveryStatus.DELIVERED)], provider="p")
    raw = sqlite3.connect(store.path)
    with raw:
        raw.execute(
            "UPDATE orphan_reports SET received = '2020-01-01T00:00:00.000+00:00'"
            " WHERE msg_id = '1'"
        )
    raw.close()
    preview = store.prune(timedelta(days=90), dry_run=True)
    assert (preview.jobs, preview.orphan_reports) == (0, 1)
    assert len(store.orphan_reports()) == 2
    assert store.prune(timedelta(days=90)) == preview
    assert list(store.orphan_reports()) == ["2"]


def test_journalled_rows_are_the_rows_send_prints(store: Store) -> None:
    """_message_rows builds tuples straight from the answer; they must say what rows_for says
    (number, msgId, order id, accepted / rejected / unknown, error) for every kind of answer."""
    from smscli.rows import rows_for

    chunk = Chunk(4, ["4471", "4472", "4471", "4473", "4474"], order_ids=["a", "", "c", "d", "e"])
    answers = [
        ChunkOutcome(
            chunk,
            ChunkState.ACCEPTED,
            SendResult(
                (
                    Submitted("4471", "1001", None),
                    Submitted("4471", "1002", "gw"),
                    Submitted("+4473", "1003", None),  # rewritten by the gateway
                    Submitted("4472", "x-1", None),
                ),
                4,
                1,
            ),
            untracked=("4474",),
            error=Failure.said("no ids", code="0"),
        ),
        ChunkOutcome(chunk, ChunkState.REJECTED, error=Failure.said("no", code="-2")),
        ChunkOutcome(chunk, ChunkState.UNKNOWN, error=Failure.no_answer("cut")),
        ChunkOutcome(chunk, ChunkState.NOT_SENT, attempts=0),
        ChunkOutcome(chunk, ChunkState.ACCEPTED),
    ]
    for outcome in answers:
        printed = list(rows_for(outcome))
        stored = encode.message_rows(7, outcome)
        assert len(stored) == len(printed)
        for i, (row, tup) in enumerate(zip(printed, stored, strict=True)):
            job_id, index, pos, number, msg_id, code, _, _ = tup
            assert (job_id, index) == (7, 4)
            assert pos == (i if i < 5 else 4 - i)
            assert str(number) == row["number"]
            assert (None if msg_id is None else str(msg_id)) == row["msg_id"]
            assert codes.OUTCOMES[code] == row["outcome"]
        # Read back, each message has the order id and the error `send` printed: the error
        # is derived from the outcome and the chunk's error, not stored per message (v6).
        job = new_job(store, [chunk])
        journal = store.journal(job)
        journal.before(chunk)
        journal.after(outcome)
        shown = [
            {"number": m.number, "msg_id": m.msg_id, "order_id": m.order_id,
             "outcome": m.outcome, "error": m.error}
            for m in store.job_messages(job)
        ]
        assert shown == printed


@pytest.mark.parametrize(
    "texts",
    [
        ["447700900000", "2304252117461165117", "9223372036854775807"],
        ["447700900000", "9223372036854775808"],  # one beyond 64 bits: all one by one
        ["447700900000", "0447700900000", "+44", "ab", ""],
        ["١٢٣", "1"],
        ["12345678", "", "12345679"],  # an empty text between digits
        ["12345678", "0"],
        ["1_000", "12"],  # int() reads these, key() does not
        [" 12", "12 "],
        ["99999999999999999999", "1"],  # 20 digits, no leading 0: beyond 64 bits
        ["00000000000000000001"],
        ["1" * 5000],  # more digits than int() reads from text
        [],
    ],
)
def test_a_whole_chunk_keys_as_each_number_would(texts: list[str]) -> None:
    whole = keys.keys(texts)
    assert whole == [keys.key(t) for t in texts]
    assert [type(k) for k in whole] == [type(keys.key(t)) for t in texts]


def test_prune_deletes_job_by_job_in_batches(
    store: Store, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pruning, "_PRUNE_NUMBERS", 4)  # a transaction per job of 3
    jobs = [sent_job(store, 3, start=447700900000 + 10 * i) for i in range(3)]
    keep = sent_job(store, 2, start=447700800000)
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("UPDATE jobs SET created = '2000-01-01T00:00:00.000+00:00' WHERE id <= ?",
                    (jobs[-1],))
    raw.close()
    assert list(pruning._prune_batches(store.job(j) for j in jobs)) == [[j] for j in jobs]
    dry = store.prune(timedelta(days=1), dry_run=True)
    assert (dry.jobs, dry.messages) == (3, 9)
    done = store.prune(timedelta(days=1))
    assert (done.jobs, done.chunks, done.messages) == (3, 3, 9)
    assert [s.job.id for s in store.jobs()] == [keep]
    assert len(store.ids_for_job(keep)) == 2


def test_numbers_sent_without_an_id_stay_untracked_when_content_is_not_stored(
    store: Store,
) -> None:
    from smscli.rows import UNTRACKED

    chunk = Chunk(0, ["447700900000", "447700900001"])
    job = new_job(store, [chunk], store_content=False)
    journal = store.journal(job)
    journal.before(chunk)
    subs = (Submitted("447700900000", "m1"),)
    error = Failure.said("no id", code="0")
    journal.after(
        ChunkOutcome(
            chunk,
            ChunkState.ACCEPTED,
            SendResult(subs, 2, 0),
            error=error,
            untracked=("447700900001",),
        )
    )
    rows = [(m.outcome, m.msg_id, m.error) for m in store.job_messages(job)]
    assert rows == [("accepted", "m1", None), ("accepted", None, UNTRACKED)]


def test_the_usual_answer_is_journalled_as_the_general_rows_would_be() -> None:
    numbers = ["447700900000", "447700900001", "0447700900002"]
    subs = tuple(Submitted(n, f"230425211746116511{i}") for i, n in enumerate(numbers))
    texts = ["a", "b", "a"]

    def projected(outcome: ChunkOutcome, batch: bool) -> list[tuple[object, ...]]:
        return [
            (job, chunk, pos, number, *((content, extra) if batch else ()), code, msg_id)
            for job, chunk, pos, number, msg_id, code, content, extra in (
                encode.message_rows(5, outcome)
            )
        ]

    fast = [
        (ChunkOutcome(Chunk(2, numbers), ChunkState.ACCEPTED, SendResult(subs, 3, 0)), False),
        # a number twice, each occurrence with its own msgId, in order
        (
            ChunkOutcome(
                Chunk(2, [numbers[0], numbers[0], numbers[1]], contents=texts),
                ChunkState.ACCEPTED,
                SendResult((subs[0], Submitted(numbers[0], "77"), subs[1]), 3, 0),
            ),
            True,
        ),
        # a batch answer, listed element by element (grouped by content)
        (
            ChunkOutcome(
                Chunk(2, numbers, contents=texts, sender_ids=["S", None, "S"]),
                ChunkState.ACCEPTED,
                SendResult((subs[0], subs[2], subs[1]), 3, 0),
            ),
            True,
        ),
    ]
    for outcome, batch in fast:
        rows = encode.plain_rows(5, outcome)
        assert rows is not None
        assert rows == projected(outcome, batch)
    rows = encode.plain_rows(5, fast[0][0])
    assert rows is not None and rows[2][3] == "0447700900002"  # kept as text
    others = [
        ChunkOutcome(Chunk(2, numbers), ChunkState.ACCEPTED, SendResult(subs[:2], 2, 1)),
        ChunkOutcome(
            Chunk(2, numbers, order_ids=["a", "b", "c"]),
            ChunkState.ACCEPTED,
            SendResult(subs, 3, 0),
        ),
        ChunkOutcome(  # a number twice in a batch chunk, listed out of order
            Chunk(2, [numbers[0], numbers[1], numbers[0]], contents=texts),
            ChunkState.ACCEPTED,
            SendResult((subs[0], Submitted(numbers[0], "77"), subs[1]), 3, 0),
        ),
        ChunkOutcome(  # a number rewritten by the gateway
            Chunk(2, numbers),
            ChunkState.ACCEPTED,
            SendResult((subs[0], subs[1], Submitted("+44", "9")), 3, 0),
        ),
        ChunkOutcome(Chunk(2, numbers), ChunkState.REJECTED),
    ]
    assert [encode.plain_rows(5, o) for o in others] == [None] * 5
    # A plain send's usual answer binds only its numbers and msgIds, interleaved: the same
    # values as its rows, from the chunk's integers when it carries them (Chunk.keys).
    plain = fast[0][0]
    expected = [v for row in projected(plain, False) for v in (row[3], row[5])]
    assert encode.accepted_keys(plain) == expected
    assert [type(v) for v in expected[::2]] == [int, int, str]
    ints = Chunk(2, numbers[:2], keys=[447700900000, 447700900001])
    carried = ChunkOutcome(ints, ChunkState.ACCEPTED, SendResult(subs[:2], 2, 0))
    assert encode.accepted_keys(carried) == expected[:4]
    # Batch chunks and every other answer: rows (plain_rows, message_rows).
    assert encode.accepted_keys(fast[1][0]) is None and encode.accepted_keys(fast[2][0]) is None
    assert [encode.accepted_keys(o) for o in others] == [None] * 5


def test_every_index_a_migration_creates_survives_the_later_ones(tmp_path: Path) -> None:
    # A migration that rebuilds a table (CREATE new, copy, DROP old, RENAME) silently drops
    # the indexes earlier migrations made on it: each must be made again.
    import re

    from smscli.history.schema import MIGRATIONS as _MIGRATIONS
    from smscli.history.store import open_store

    created: set[str] = set()
    for statements in _MIGRATIONS:
        for statement in statements:
            made = re.match(r"\s*CREATE (?:UNIQUE )?INDEX (\w+)", statement)
            dropped = re.match(r"\s*DROP INDEX (?:IF EXISTS )?(\w+)", statement)
            if made:
                created.add(made.group(1))
            elif dropped:
                created.discard(dropped.group(1))
    path = tmp_path / "history.sqlite3"
    open_store(path).close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        present = {row[0] for row in rows}
    assert created <= present, sorted(created - present)


# -- v6: compact message rows (issue 13), domain values instead of display text -------------


def test_a_version_5_history_reads_the_same_after_the_v6_migration(path: Path) -> None:
    """Every value a v5 message row held - outcome, delivery report, order id, content,
    sender, a stored error text - reads back unchanged once v6 moved them into its columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = sqlite3.connect(path)
    for statements in schema.MIGRATIONS[:5]:
        for statement in statements:
            raw.execute(statement)
    raw.execute("PRAGMA user_version = 5")
    at = "2026-11-20T10:00:00.000+00:00"
    later = "2026-11-20T10:05:00.123+00:00"
    raw.execute(
        "INSERT INTO jobs VALUES (1, ?, ?, 'main', 'laaffic', 'batch', NULL, NULL, 1,"
        " NULL, 4, 2, 'done', NULL)",
        (at, at),
    )
    raw.execute(
        "INSERT INTO chunks (job_id, idx, size, state, attempts, sends, started, finished)"
        " VALUES (1, 0, 3, 'accepted', 1, 1, ?, ?)",
        (at, at),
    )
    raw.execute(
        "INSERT INTO chunks (job_id, idx, size, state, attempts, sends, error_kind, error_code,"
        " error_text, started, finished) VALUES (1, 1, 1, 'refused', 1, 1, 'balance', '-2',"
        " 'insufficient balance', ?, ?)",
        (at, at),
    )
    raw.executemany(
        "INSERT INTO messages (job_id, chunk, pos, number, msg_id, outcome, order_id, content,"
        " sender, error, status, status_time, code, detail, updated)"
        " VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (0, 0, 447700900000, 2304252117461165117, 0, "o-1", "hello", "ACME", None,
             "delivered", later, "0", "DELIVRD", later),
            (0, 1, 447700900001, "ab-1", 0, None, "hi", None, None, "pending", None, None,
             None, later),
            (0, 2, "0447700900002", None, 1, None, "hey", None, "left out (old words)", None,
             None, None, None, None),
            (1, 0, 447700900003, None, 1, None, "yo", None, "insufficient balance", None,
             None, None, None, None),
        ],
    )
    raw.commit()
    raw.close()
    with Store.open(path) as store:
        shown = [
            (m.chunk, m.pos, m.number, m.msg_id, m.outcome, m.order_id, m.content, m.sender,
             m.error, m.status, m.status_time, m.code, m.detail, m.updated)
            for m in store.job_messages(1)
        ]
        when = datetime(2026, 11, 20, 10, 5, 0, 123000, tzinfo=UTC)
        assert shown == [
            (0, 0, "447700900000", "2304252117461165117", "accepted", "o-1", "hello", "ACME",
             None, "delivered", when, "0", "DELIVRD", when),
            (0, 1, "447700900001", "ab-1", "accepted", None, "hi", None, None, "pending", None,
             None, None, when),
            (0, 2, "0447700900002", None, "rejected", None, "hey", None, "left out (old words)",
             None, None, None, None, None),
            (1, 0, "447700900003", None, "rejected", None, "yo", None, "insufficient balance",
             None, None, None, None, None),
        ]
        tracked = store.lookup(["2304252117461165117", "ab-1"])
        assert tracked["2304252117461165117"].status is DeliveryStatus.DELIVERED
        assert tracked["2304252117461165117"].time == when
        assert tracked["ab-1"].status is DeliveryStatus.PENDING
        counts = store.jobs()[0].counts
        assert (counts.accepted, counts.rejected, counts.delivered, counts.pending) == (2, 2, 1, 1)
        assert [s.job.id for s in store.jobs(status="delivered")] == [1]
        assert [s.job.id for s in store.jobs(status="pending")] == [1]
        assert store.jobs(status="failed") == []
        # A final state is still never replaced by a non-final one; a new one is written.
        store.record_reports([Report("2304252117461165117", DeliveryStatus.PENDING)])
        store.record_reports([Report("ab-1", DeliveryStatus.FAILED, code="9")])
        again = store.lookup(["2304252117461165117", "ab-1"])
        assert again["2304252117461165117"].status is DeliveryStatus.DELIVERED
        assert (again["ab-1"].status, again["ab-1"].code) == (DeliveryStatus.FAILED, "9")
        (refused,) = store.resume_plan(1).refused
        assert refused.chunk.contents == ["yo"]
    raw = sqlite3.connect(path)
    columns = [row[1] for row in raw.execute("PRAGMA table_info(messages)")]
    assert columns == [
        "job_id", "chunk", "pos", "number", "msg_id", "state", "content", "report", "extra"
    ]
    raw.close()


def test_message_errors_are_derived_not_stored(store: Store, path: Path) -> None:
    chunks = [Chunk(0, ["447700900000", "447700900001"]), Chunk(1, ["447700900002"])]
    job = new_job(store, chunks)
    journal = store.journal(job)
    for chunk in chunks:
        journal.before(chunk)
    journal.after(ChunkOutcome(chunks[0], ChunkState.REJECTED, error=Failure.said("no", code="-5")))
    journal.after(
        ChunkOutcome(chunks[1], ChunkState.UNKNOWN, error=Failure.no_answer("cut"))
    )
    assert [m.error for m in store.job_messages(job)] == ["no", "no", "outcome unknown: cut"]
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT count(*) FROM messages WHERE extra IS NOT NULL").fetchone() == (0,)
    raw.close()


def test_report_times_keep_their_milliseconds(store: Store) -> None:
    job = sent_job(store, 2)
    msg_id = next(iter(store.ids_for_job(job)))
    at = datetime(2026, 11, 20, 10, 5, 0, 123456, tzinfo=UTC)
    store.record_reports([Report(msg_id, DeliveryStatus.DELIVERED, time=at, detail="ok")])
    tracked = store.lookup([msg_id])[msg_id]
    assert tracked.time == at.replace(microsecond=123000)  # the history keeps milliseconds
    same = Report(msg_id, DeliveryStatus.DELIVERED, time=at, detail="ok")
    assert store.record_reports([same]) == 0  # nothing changed: nothing written


def test_a_kept_report_moves_onto_its_message_once_journalled(store: Store) -> None:
    when = datetime(2026, 11, 22, 10, 0, 0, 250000, tzinfo=UTC)
    early = Report("9000000001", DeliveryStatus.FAILED, time=when, code="13", detail="UNDELIV")
    store.record_reports([early], provider="laaffic")  # pulled before its send's answer
    assert list(store.orphan_reports("laaffic")) == ["9000000001"]
    chunk = Chunk(0, ["447700900000", "447700900001"])
    job = new_job(store, [chunk])
    journal = store.journal(job)
    journal.before(chunk)
    subs = (Submitted("447700900000", "9000000001"), Submitted("447700900001", "9000000002"))
    journal.after(ChunkOutcome(chunk, ChunkState.ACCEPTED, SendResult(subs, 2, 0)))
    store.record_reports([Report("9000000002", DeliveryStatus.PENDING)], provider="laaffic")
    assert store.orphan_reports("laaffic") == {}
    first, second = store.job_messages(job)
    assert (first.status, first.status_time, first.code, first.detail) == (
        "failed", when, "13", "UNDELIV"
    )
    assert first.updated is not None
    assert (second.status, second.status_time) == ("pending", None)


def test_a_chunk_is_journalled_in_as_many_inserts_as_sqlites_bound_values_allow(
    store: Store,
) -> None:
    # SQLite before 3.32 binds at most 999 values per statement: rows go in several INSERTs.
    store._db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 20)
    plain, general = Chunk(0, [str(447700900000 + i) for i in range(50)]), Chunk(
        1, [str(447700800000 + i) for i in range(7)], order_ids=[f"o{i}" for i in range(7)]
    )
    job = new_job(store, [plain, general])
    journal = store.journal(job)
    for chunk in (plain, general):
        journal.before(chunk)
        journal.after(accepted(chunk))
    messages = store.job_messages(job)
    assert [m.number for m in messages] == plain.numbers + general.numbers
    assert [(m.chunk, m.pos) for m in messages[:50]] == [(0, i) for i in range(50)]
    assert [m.order_id for m in messages[50:]] == general.order_ids
    assert all(m.outcome == "accepted" and m.msg_id for m in messages)


def test_a_requests_failure_reads_back_as_the_value_the_engine_made(store: Store) -> None:
    """The outcome's failure is a value: journalled as (kind, code, text) and read back by
    the resume plan as the same value (the hint is not kept; an untracked chunk's failure
    reads back as the gateway's plain rejection, as it always did)."""
    from smscli.sending import answered

    chunks = plan(12)
    job = new_job(store, chunks)
    journal = store.journal(job)
    balance = GatewayError("insufficient balance", code="-10", kind=ErrorKind.BALANCE,
                           unprocessed=True)
    made = [
        ChunkOutcome(chunks[0], ChunkState.REFUSED, error=Failure.of(balance)),
        ChunkOutcome(chunks[1], ChunkState.REJECTED,
                     error=Failure.of(GatewayError("no", code="7"))),
        ChunkOutcome(chunks[2], ChunkState.UNKNOWN,
                     error=Failure.of(NetworkError("cut", maybe_processed=True))),
        answered(chunks[3], SendResult((), 3, 0, untracked=tuple(chunks[3].numbers),
                                       note="no ids", code="0")),
    ]
    for outcome in made:
        journal.before(outcome.chunk)
        journal.after(outcome)
    resume = store.resume_plan(job)
    (refused,) = resume.refused
    assert refused.error == made[0].error
    rejected, untracked = resume.settled
    assert rejected.error == made[1].error
    (unknown,) = [o for o in resume.outcomes_without([]) if o.state is ChunkState.UNKNOWN]
    assert unknown.error == made[2].error and unknown.error is not None
    assert unknown.error.unanswered and unknown.error.exit_code == 6
    assert untracked.error == Failure.said("no ids", code="0")
    assert untracked.untracked == tuple(chunks[3].numbers)


def test_records_carry_the_models_states_and_store_the_same_words(store: Store) -> None:
    from smscli.model import JobKind, MessageState

    chunks = plan(6)
    job = new_job(store, chunks)
    journal = store.journal(job)
    journal.before(chunks[0])
    journal.after(accepted(chunks[0], skip=1))
    record = store.job(job)
    assert record.kind is JobKind.SEND
    first, second = store.chunks(job)
    assert first.state is ChunkState.ACCEPTED and second.state == "planned"
    outcomes = [m.outcome for m in store.job_messages(job)]
    assert all(type(o) is MessageState for o in outcomes)
    assert outcomes[:3] == [MessageState.REJECTED, MessageState.ACCEPTED, MessageState.ACCEPTED]
    store.record_reports([Report("m447700900001", DeliveryStatus.DELIVERED)])
    (delivered,) = [m for m in store.job_messages(job) if m.status is not None]
    assert delivered.status is DeliveryStatus.DELIVERED
    # On disk: the words (and codes) as before.
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT kind FROM jobs WHERE id = ?", (job,)).fetchone() == ("send",)
        states = db.execute("SELECT state FROM chunks WHERE job_id = ? ORDER BY idx", (job,))
        assert [s for (s,) in states] == ["accepted", "planned"]
