"""`history prune`'s work: old jobs (never one still being sent), old kept reports and raw
answers, deleted a batch of whole jobs per transaction so a month of a busy account never sits
in memory or in the WAL at once; the freed pages go back to the file system. Imported by
Store.prune only: no other command builds PruneCounts."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Final

from smscli.history.db import Database, give_back, marks, now, ts
from smscli.history.locks import answered_markers, lock_path
from smscli.history.records import JOB_COLUMNS, Job, job_record

# Messages deleted per transaction (whole jobs; at most 500 jobs).
_PRUNE_NUMBERS: Final = 100_000


@dataclass(frozen=True, slots=True)
class PruneCounts:
    jobs: int = 0
    chunks: int = 0
    messages: int = 0
    orphan_reports: int = 0


def prune(store: Database, older_than: timedelta, *, dry_run: bool = False) -> PruneCounts:
    """Delete jobs created more than `older_than` ago (never one still being sent), and
    kept reports (orphan_reports) received that long ago."""
    cutoff = ts(now() - older_than)
    counts = PruneCounts()
    with store._write() as db:
        jobs = [job for job in _jobs(store, db, "created < ?", [cutoff]) if not job.live]
        if dry_run:
            for part in _prune_batches(jobs):
                counts = _add(counts, _delete_jobs(db, part, dry_run=True))
            return replace(counts, orphan_reports=_delete_orphans(db, cutoff, True))
    # One transaction per batch of jobs (about _PRUNE_NUMBERS messages): a month of a busy
    # account is deleted without the WAL, or SQLite's memory for one transaction, growing
    # to its size. Each job goes whole or not at all.
    deleted: list[int] = []
    for part in _prune_batches(jobs):
        with store._write() as db:
            # A resume may have taken one of them over since they were selected.
            selected = _jobs(store, db, f"id IN ({marks(part)})", list[object](part))
            live = {job.id for job in selected if job.live}
            part = [i for i in part if i not in live]
            if part:
                counts = _add(counts, _delete_jobs(db, part, dry_run=False))
                deleted.extend(part)
    with store._write() as db:
        counts = replace(counts, orphan_reports=_delete_orphans(db, cutoff, False))
        db.execute("DELETE FROM raw_reports WHERE received < ?", (cutoff,))
    for job_id in deleted:
        with contextlib.suppress(OSError):
            lock_path(store.path, job_id).unlink()
        for _, path in answered_markers(store.path, job_id).values():
            with contextlib.suppress(OSError):
                path.unlink()
    if counts.jobs or counts.orphan_reports:
        give_back(store._db)
    return counts


def _jobs(
    store: Database, db: sqlite3.Connection, where: str, params: list[object]
) -> Iterator[Job]:
    for row in db.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE {where}", params):  # noqa: S608
        yield job_record(row, store.path)


def _prune_batches(jobs: Iterable[Job]) -> Iterator[list[int]]:
    part: list[int] = []
    numbers = 0
    for job in jobs:
        if part and (numbers + job.numbers > _PRUNE_NUMBERS or len(part) >= 500):
            yield part
            part, numbers = [], 0
        part.append(job.id)
        numbers += job.numbers
    if part:
        yield part


def _delete_jobs(db: sqlite3.Connection, ids: list[int], dry_run: bool) -> PruneCounts:
    qs = marks(ids)
    verb = "SELECT count(*)" if dry_run else "DELETE"
    counted = []
    if not dry_run:
        # Their index entries first, each by its whole key as their messages rows give it
        # (by_number is keyed by number first; a number and job alone is ~6 times slower).
        db.execute(
            "DELETE FROM by_number WHERE (number, job_id, chunk, pos) IN"  # noqa: S608
            f" (SELECT number, job_id, chunk, pos FROM messages WHERE job_id IN ({qs}))",
            ids,
        )
    for table in ("messages", "chunks"):
        cursor = db.execute(f"{verb} FROM {table} WHERE job_id IN ({qs})", ids)
        counted.append(int(cursor.fetchone()[0]) if dry_run else cursor.rowcount)
    if not dry_run:
        db.execute(f"DELETE FROM jobs WHERE id IN ({qs})", ids)  # noqa: S608
    return PruneCounts(len(ids), counted[1], counted[0])


def _delete_orphans(db: sqlite3.Connection, cutoff: str, dry_run: bool) -> int:
    verb = "SELECT count(*)" if dry_run else "DELETE"
    cursor = db.execute(f"{verb} FROM orphan_reports WHERE received < ?", (cutoff,))
    return int(cursor.fetchone()[0]) if dry_run else cursor.rowcount


def _add(a: PruneCounts, b: PruneCounts) -> PruneCounts:
    return PruneCounts(a.jobs + b.jobs, a.chunks + b.chunks, a.messages + b.messages)
