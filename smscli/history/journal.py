"""The journal's writes: a job with its whole plan, each chunk committed `sending` before its
request leaves and its answer right after, finishing a job, and taking one over for a resume.

A job's whole plan is written when it is created (one row per chunk), so a resume knows exactly
what every chunk held, including the ones that never started; a number's own row is written
once, with its chunk's answer, which keeps journalling 200,000 numbers cheap. Readers show a
number of a chunk without an answer as `planned`/`sending` (its process alive) or
`not_sent`/`unknown`.

The number index (by_number, schema v7) is not written with every answer: a chunk whose
numbers are spread over those of the chunk before it waits (chunks.unindexed = 1) until a group
of them is indexed at once, sorted (index_numbers), at the latest when the job finishes; what a
process that died left unindexed, when the job is resumed or the next job finishes."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pathlib
import secrets
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from itertools import chain

from smscli.errors import ErrorKind
from smscli.history.codes import ACCEPTED
from smscli.history.db import StoreError, guarded, now, store_error, ts
from smscli.history.encode import (
    ACCEPTED_COLUMNS,
    MESSAGE_COLUMNS,
    PLAIN_BATCH_COLUMNS,
    PLAIN_COLUMNS,
    accepted_keys,
    message_rows,
    plain_rows,
)
from smscli.history.locks import (
    answered_markers,
    hold_job_lock,
    marked_outcome,
    release_job_lock,
)
from smscli.history.reader import JobReader
from smscli.history.records import LOST_IN_FLIGHT, PLAN_COLUMNS, Job, plan_values
from smscli.model import Chunk, ChunkOutcome, ChunkState, Failure, JobStatus


def hash_message(text: str, salt: str | None = None) -> str:
    """Salted, so a stored hash matches nothing precomputed nor other jobs (a short message can
    still be found by trying candidates: it is a check, not a secret)."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}\0{text}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def message_matches(stored_hash: str | None, text: str) -> bool:
    if not stored_hash or stored_hash.count("$") != 2:
        return False
    salt = stored_hash.split("$")[1]
    return secrets.compare_digest(hash_message(text, salt), stored_hash)


# The error_kind of a failure that was smscli's own (the history, a local check).
LOCAL = "local"


def error_fields(error: Failure | None) -> tuple[str | None, str | None, str | None]:
    """An outcome's failure as the chunk's (error_kind, error_code, error_text) columns: no
    usable answer is `network` (no code), smscli's own failure `local`."""
    if error is None:
        return None, None, None
    if error.unanswered:
        return ErrorKind.NETWORK.value, None, error.message
    if error.kind is not None:
        return error.kind.value, error.code, error.message
    return LOCAL, None, error.message


class JournalWrites(JobReader):
    def __init__(self, db: sqlite3.Connection, path: pathlib.Path) -> None:
        super().__init__(db, path)
        # job id -> its chunks this connection knows have no messages rows yet (still
        # `planned` when the journal was made): their answer needs neither the chunk row's
        # INSERT OR IGNORE nor the DELETE of earlier rows, two statements less per answer.
        self._rowless: dict[int, set[int]] = {}
        # job id -> messages this connection recorded since its chunks were last indexed,
        # and the lowest and highest number of the last chunk it recorded.
        self._unindexed: dict[int, int] = {}
        self._last_range: dict[int, tuple[str, str]] = {}

    @guarded
    def create_job(
        self,
        *,
        profile: str,
        provider: str,
        kind: str,
        message: str | None,
        sender: str | None,
        chunks: Sequence[Chunk],
        store_content: bool = True,
    ) -> int:
        """Record a job and its whole plan (every chunk `planned`); returns the job's id."""
        stamp = ts(now())
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO jobs (created, updated, profile, provider, kind, message,"
                " message_hash, content_stored, sender, numbers, chunks, status, pid)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
                (
                    stamp,
                    stamp,
                    profile,
                    provider,
                    kind,
                    message if store_content else None,
                    None if message is None else hash_message(message),
                    int(store_content),
                    sender,
                    sum(len(c.numbers) for c in chunks),
                    len(chunks),
                    os.getpid(),
                ),
            )
            job_id = int(cursor.lastrowid or 0)
            # Locked before the row is committed: no other process ever sees the job running
            # without its lock held.
            if not hold_job_lock(self.path, job_id):
                raise StoreError(f"job {job_id} is locked by another process")
            db.executemany(
                "INSERT INTO chunks (job_id, idx, size, state, numbers, order_ids, contents,"
                " senders) VALUES (?, ?, ?, 'planned', ?, ?, ?, ?)",
                (
                    (job_id, c.index, len(c.numbers), *plan_values(c, store_content))
                    for c in chunks
                ),
            )
        return job_id

    @guarded
    def journal(self, job_id: int) -> StoreJournal:
        job = self.job(job_id)
        # Only a chunk with an answer has messages rows, and an answer leaves it `planned`
        # never (ChunkState.PLANNED is no outcome): these are certainly without rows. The
        # job's lock keeps any other process from answering them meanwhile.
        self._rowless[job_id] = {
            int(idx)
            for (idx,) in self._db.execute(
                "SELECT idx FROM chunks WHERE job_id = ? AND state = 'planned'", (job_id,)
            )
        }
        return StoreJournal(self, job_id, store_content=job.content_stored)

    @guarded
    def finish_job(self, job_id: int) -> JobStatus:
        """Mark the job done (every chunk answered accepted/rejected) or interrupted."""
        with self._write() as db:
            (open_chunks,) = db.execute(
                "SELECT count(*) FROM chunks WHERE job_id = ?"
                " AND state NOT IN ('accepted', 'rejected')",
                (job_id,),
            ).fetchone()
            status = JobStatus.INTERRUPTED if open_chunks else JobStatus.DONE
            # This job's last group, and whatever a job whose process died before finishing
            # left unindexed (usually nothing).
            index_numbers(db)
            self._unindexed.pop(job_id, None)
            db.execute(
                "UPDATE jobs SET status = ?, pid = NULL, updated = ? WHERE id = ?",
                (status, ts(now()), job_id),
            )
        release_job_lock(self.path, job_id)
        return status

    @guarded
    def claim_job(self, job_id: int) -> Job:
        """Take a job over for a resume: refuse while another process still sends it, and turn
        what a dead process left in flight into `unknown` (it may have arrived)."""
        with self._write() as db:
            job = self.job(job_id)
            if not hold_job_lock(self.path, job_id):
                raise StoreError(
                    f"job {job_id} is being sent right now by process {job.pid}",
                    hint="wait for it to finish (or stop it) before resuming; its lock goes "
                    "when that process ends, however it ends",
                )
            stamp = ts(now())
            lost = self._plans(
                job_id,
                db.execute(
                    f"SELECT {PLAN_COLUMNS} FROM chunks"  # noqa: S608 - constant columns
                    " WHERE job_id = ? AND state = 'sending'",
                    (job_id,),
                ).fetchall(),
            )
            error = Failure.no_answer(LOST_IN_FLIGHT)
            marked = answered_markers(self.path, job_id)
            for chunk in lost:
                outcome = ChunkOutcome(chunk, ChunkState.UNKNOWN, error=error, attempts=0)
                if chunk.index in marked:
                    outcome = marked_outcome(chunk, marked[chunk.index][0]) or outcome
                self._record_outcome(db, job_id, outcome, stamp)
            # Whatever a dead process left unindexed, with what was just recorded.
            index_numbers(db, job_id)
            db.execute(
                "UPDATE jobs SET status = 'running', pid = ?, updated = ? WHERE id = ?",
                (os.getpid(), stamp, job_id),
            )
        for _, path in marked.values():  # recorded now: the markers have done their work
            with contextlib.suppress(OSError):
                path.unlink()
        return self.job(job_id)

    def _chunk_sending(self, job_id: int, chunk: Chunk, store_content: bool) -> None:
        with self._write() as db:
            _mark_sending(db, job_id, chunk, store_content, ts(now()))

    def _chunk_result(self, job_id: int, outcome: ChunkOutcome, store_content: bool) -> None:
        stamp = ts(now())
        chunk = outcome.chunk
        rowless = self._rowless.get(job_id)
        fresh = rowless is not None and chunk.index in rowless
        span = _span(chunk.numbers)
        last = self._last_range.get(job_id)
        # A chunk whose numbers lie beyond the last one's (a list in order: a sequential send)
        # has its entries next to each other in by_number: indexed with its answer, it costs
        # about what an index on messages did, and nothing is left for the run's tail. One
        # whose numbers overlap the last one's (spread over the range: random lists, batch)
        # waits for its group.
        beside = span is None or last is None or span[0] > last[1] or span[1] < last[0]
        unindexed = self._unindexed.get(job_id, 0)
        with self._write() as db:
            if not fresh:
                # A chunk never planned (a caller that streams its chunks) gets its row; no
                # plan: its messages rows, written next, hold it.
                db.execute(
                    "INSERT OR IGNORE INTO chunks (job_id, idx, size, state)"
                    " VALUES (?, ?, ?, 'planned')",
                    (job_id, chunk.index, len(chunk.numbers)),
                )
            if not store_content:
                chunk = Chunk(
                    chunk.index, chunk.numbers, chunk.order_ids, None, chunk.sender_ids,
                    keys=chunk.keys,
                )
                outcome = replace(outcome, chunk=chunk)
            self._record_outcome(db, job_id, outcome, stamp, fresh=fresh, index=beside)
            if not beside:
                unindexed += len(chunk.numbers)
                if unindexed >= INDEX_EVERY:
                    index_numbers(db, job_id)
                    unindexed = 0
        # Committed: the chunk has rows now.
        self._unindexed[job_id] = unindexed
        if span is not None:
            self._last_range[job_id] = span
        if rowless is not None:
            rowless.discard(chunk.index)

    def _record_outcome(
        self,
        db: sqlite3.Connection,
        job_id: int,
        outcome: ChunkOutcome,
        stamp: str,
        *,
        fresh: bool = False,
        index: bool = False,
    ) -> None:
        """Write a chunk's answer: its row's state and its messages rows. `fresh`: the chunk
        certainly has no messages rows yet (JournalWrites._rowless); `index`: its numbers go
        into by_number now, else it is marked unindexed (for index_numbers)."""
        kind, code, text = error_fields(outcome.error)
        # `sends` was counted when the request was about to leave; one that provably never
        # left (not_sent) was not a send, and must not later read as "resent".
        never_left = int(outcome.state is ChunkState.NOT_SENT)
        db.execute(
            "UPDATE chunks SET state = ?, attempts = attempts + ?, error_kind = ?,"
            " error_code = ?, error_text = ?, finished = ?, unindexed = ?,"
            # The plan is in the messages rows from now on (see JobReader._plans).
            " numbers = NULL, order_ids = NULL, contents = NULL, senders = NULL,"
            # Column values on the right are the row's old ones: 'sending' means before()
            # counted this attempt.
            " sends = CASE WHEN ? AND state = 'sending' THEN MAX(sends - 1, 0) ELSE sends END"
            " WHERE job_id = ? AND idx = ?",
            (
                outcome.state.value,
                outcome.attempts,
                kind,
                code,
                text,
                stamp,
                None if index else 1,
                never_left,
                job_id,
                outcome.chunk.index,
            ),
        )
        if not fresh:
            # A chunk sent again (unknown or not_sent before) replaces its earlier rows, and
            # their index entries (if they were indexed already).
            where = (job_id, outcome.chunk.index)
            db.execute(
                "DELETE FROM by_number WHERE (number, job_id, chunk, pos) IN (SELECT number,"
                " job_id, chunk, pos FROM messages WHERE job_id = ? AND chunk = ?)",
                where,
            )
            db.execute("DELETE FROM messages WHERE job_id = ? AND chunk = ?", where)
        usual = accepted_keys(outcome)
        plain = None if usual is not None else plain_rows(job_id, outcome)
        if usual is not None:
            _insert_accepted(db, job_id, outcome.chunk.index, usual)
        elif plain is not None:
            batch = bool(outcome.chunk.contents or outcome.chunk.sender_ids)
            _insert(db, PLAIN_BATCH_COLUMNS if batch else PLAIN_COLUMNS, plain)
        else:
            _insert(db, MESSAGE_COLUMNS, message_rows(job_id, outcome))
        if index:
            # In position order, unsorted: a chunk indexed with its answer lies beyond the
            # last one's numbers, mostly in order already; sorting cost more than it saved.
            db.execute(
                "INSERT OR IGNORE INTO by_number (number, job_id, chunk, pos) SELECT number,"
                " job_id, chunk, pos FROM messages WHERE job_id = ? AND chunk = ?",
                (job_id, outcome.chunk.index),
            )


def _mark_sending(
    db: sqlite3.Connection, job_id: int, chunk: Chunk, store_content: bool, stamp: str
) -> None:
    """A chunk's row `sending`, its attempt counted, in the caller's write transaction."""
    cursor = db.execute(
        "UPDATE chunks SET state = 'sending', sends = sends + 1, started = ?,"
        " finished = NULL WHERE job_id = ? AND idx = ?",
        (stamp, job_id, chunk.index),
    )
    if cursor.rowcount == 0:
        # Not planned with its job (a caller that streams its chunks): record it now.
        db.execute(
            "INSERT INTO chunks (job_id, idx, size, state, sends, started, numbers,"
            " order_ids, contents, senders) VALUES (?, ?, ?, 'sending', 1, ?, ?, ?, ?, ?)",
            (job_id, chunk.index, len(chunk.numbers), stamp, *plan_values(chunk, store_content)),
        )


# Messages a journal records before it puts their numbers into by_number (and whatever is left
# when the job finishes). Each group is inserted sorted, so the index pages it touches are
# written once per group instead of once per answer; the last group is on the run's tail.
INDEX_EVERY = 20_000


def _span(numbers: Sequence[str]) -> tuple[str, str] | None:
    """The lowest and highest of a chunk's numbers, as text: the order of by_number for
    numbers of one length (most of a list), an approximation otherwise (only a choice of
    when to index depends on it)."""
    return (min(numbers), max(numbers)) if numbers else None


def index_numbers(db: sqlite3.Connection, job_id: int | None = None) -> None:
    """Put the messages of the answered chunks not indexed yet (of `job_id`, or of every job)
    into by_number, sorted by number, and mark those chunks indexed - in the caller's write
    transaction, so a reader sees a chunk either unindexed or with all its entries. Any
    process may do it for any job (a running one included): the chunks it indexes are marked
    in the same transaction, so nothing is indexed twice."""
    # Answered chunks only: one still to be answered has no messages rows yet, and a chunk
    # marked when an older smscli's send was still running (schema v7) gets them from that
    # process, which knows nothing of by_number: it must stay marked until then.
    one = " AND c.state NOT IN ('planned', 'sending')" + (
        " AND c.job_id = ?" if job_id is not None else ""
    )
    params = () if job_id is None else (job_id,)
    # OR IGNORE: an entry is (number, job_id, chunk, pos), the messages row's own key with
    # its number; one already there is the same entry.
    db.execute(
        "INSERT OR IGNORE INTO by_number (number, job_id, chunk, pos)"  # noqa: S608
        " SELECT m.number, m.job_id, m.chunk, m.pos FROM chunks c INDEXED BY chunks_unindexed"
        " JOIN messages m ON m.job_id = c.job_id AND m.chunk = c.idx"
        f" WHERE c.unindexed = 1{one} ORDER BY 1, 2, 3, 4",
        params,
    )
    db.execute(
        f"UPDATE chunks SET unindexed = NULL WHERE unindexed = 1{one.replace('c.', '')}",  # noqa: S608
        params,
    )


# Rows per INSERT statement: one statement of many rows costs half the CPU of executemany's
# statement per row (binding and stepping each row from Python). A whole chunk (at most 1000
# numbers a request) in one statement where SQLite's limit on bound values allows: each
# execute lets go of the GIL and takes it back, which under 8 worker threads costs the main
# thread far more than the statement's own CPU.
_ROWS_PER_INSERT = 1000


def _insert(db: sqlite3.Connection, columns: str, rows: Sequence[tuple[object, ...]]) -> None:
    """INSERT rows into messages, many per statement (within SQLite's limit on the number of
    bound values, 999 in versions before 3.32)."""
    width = columns.count(",") + 1
    limit = db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(_ROWS_PER_INSERT, limit // width))
    for start in range(0, len(rows), per):
        part = rows[start : start + per]
        db.execute(_insert_sql(columns, width, len(part)), tuple(chain.from_iterable(part)))


def _insert_accepted(
    db: sqlite3.Connection, job_id: int, index: int, values: list[int | str]
) -> None:
    """INSERT a plain send's usual answer (encode.accepted_keys: number, msgId, number...):
    only the numbers and msgIds are bound, the job and chunk once per statement (?1, ?2),
    each row's position and state written into the statement - the same text for every
    chunk of a size, so SQLite prepares it once. A third of the bound values of a row per
    tuple, and no tuples to make."""
    limit = db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per = max(1, min(_ROWS_PER_INSERT, (limit - 2) // 2))
    rows = len(values) // 2
    for start in range(0, rows, per):
        count = min(per, rows - start)
        part = values[2 * start : 2 * (start + count)]
        db.execute(_accepted_sql(start, count), [job_id, index, *part])


@functools.lru_cache(maxsize=8)
def _accepted_sql(start: int, count: int) -> str:
    # "?" after "?2" is ?3, then ?4...: the n-th unnumbered one takes the next free number.
    rows = ", ".join(f"(?1, ?2, {pos}, ?, {ACCEPTED}, ?)" for pos in range(start, start + count))
    return f"INSERT INTO messages ({ACCEPTED_COLUMNS}) VALUES {rows}"  # noqa: S608


@functools.lru_cache(maxsize=32)
def _insert_sql(columns: str, width: int, count: int) -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return f"INSERT INTO messages ({columns}) VALUES " + ", ".join([row] * count)  # noqa: S608


def _not_recorded(path: pathlib.Path, chunk: Chunk, exc: sqlite3.Error) -> StoreError:
    return store_error(path, exc, f"cannot record request {chunk.index + 1} before sending it")


class StoreJournal:
    """sending.Journal over the history. `before` commits the chunk as `sending` before its
    request leaves, so a kill -9 right after still leaves a record (a resume then treats it as
    unknown). A failed `before` stops the run: an unrecorded chunk must not leave. A failed
    `after` is kept in `failures` and raised: the run stops starting requests (the chunk stays
    `sending`, unknown to a resume), and `retry_failures` tries those answers again later."""

    def __init__(self, store: JournalWrites, job_id: int, *, store_content: bool = True) -> None:
        self.store = store
        self.job_id = job_id
        self.store_content = store_content
        self.failures: list[StoreError] = []
        self.unrecorded: list[ChunkOutcome] = []  # answers the history could not take

    def before(self, chunk: Chunk) -> None:
        try:
            self.store._chunk_sending(self.job_id, chunk, self.store_content)
        except sqlite3.Error as exc:
            raise _not_recorded(self.store.path, chunk, exc) from None

    def after(self, outcome: ChunkOutcome) -> None:
        try:
            self.store._chunk_result(self.job_id, outcome, self.store_content)
        except sqlite3.Error as exc:
            raise self._unrecorded(outcome, exc) from None

    def _unrecorded(self, outcome: ChunkOutcome, exc: sqlite3.Error) -> StoreError:
        doing = f"cannot record the answer to request {outcome.chunk.index + 1}"
        error = store_error(self.store.path, exc, doing)
        self.failures.append(error)
        self.unrecorded.append(outcome)
        return error

    def retry_failures(self) -> list[ChunkOutcome]:
        """Try the answers that could not be recorded once more (the disk may have room again);
        returns those still unrecorded."""
        still: list[ChunkOutcome] = []
        for outcome in self.unrecorded:
            try:
                self.store._chunk_result(self.job_id, outcome, self.store_content)
            except sqlite3.Error:
                still.append(outcome)
        self.unrecorded = still
        return still
