"""Job locks and answered markers, files beside the history.

A job is being sent exactly while some process holds its lock: an advisory lock (flock) on
data_dir()/locks/job-<id>.lock, taken when the job is created or claimed for a resume and
released when it finishes. The OS drops it when the process dies, however it dies, so a crash
can never leave a job "running" for ever, whatever became of its PID (reused in another
container, say). The PID is kept for people to read, not trusted.

An answered marker is an empty file job-<id>.chunk-<n>.<state> in the same directory: an
answer the history could not take (a full disk), so that a later resume never treats that
request as unknown."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterable
from typing import Final

from smscli.history.db import StoreError
from smscli.model import Chunk, ChunkOutcome, ChunkState, Failure

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; the PID check stands in for it
    fcntl = None  # type: ignore[assignment]

LOCK_DIR: Final = "locks"
_held_locks: dict[str, int] = {}  # lock file -> the descriptor this process holds it with

ANSWERED_UNRECORDED: Final = (
    "answered by the gateway while the history could not record it (disk full): sent, but "
    "its msgIds were lost with that answer; `smscli sync` or `lookup` finds them in the "
    "gateway's records"
)


def lock_path(db_path: pathlib.Path, job_id: int) -> pathlib.Path:
    return db_path.parent / LOCK_DIR / f"job-{job_id}.lock"


def hold_job_lock(db_path: pathlib.Path, job_id: int) -> bool:
    """Take the job's lock for this process (kept until release_job_lock or exit); False
    when another process holds it. Raises StoreError when the lock file cannot be made."""
    path = lock_path(db_path, job_id)
    if str(path) in _held_locks:
        return True
    if fcntl is None:  # pragma: no cover
        return True
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreError(
            f"cannot lock job {job_id} ({path}): {exc.strerror or exc}",
            hint="check the data directory's permissions, or use --no-history",
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _held_locks[str(path)] = fd
    return True


def release_job_lock(db_path: pathlib.Path, job_id: int) -> None:
    fd = _held_locks.pop(str(lock_path(db_path, job_id)), None)
    if fd is not None:
        os.close(fd)  # closing the descriptor releases the flock


def job_locked(db_path: pathlib.Path, job_id: int, pid: int | None) -> bool:
    """True while some process (this one included) holds the job's lock."""
    path = lock_path(db_path, job_id)
    if str(path) in _held_locks:
        return True
    if fcntl is None:  # pragma: no cover
        return _pid_alive(pid)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False  # never locked: whoever ran it would have made the file
    except OSError:
        return _pid_alive(pid)
    try:
        # A shared probe: two readers never make each other see a live job.
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _pid_alive(pid: int | None) -> bool:
    if pid is None:
        return False
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # os.kill(pid, 0) is Ctrl-C on Windows: assume it still runs
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def answered_marker(db_path: pathlib.Path, job_id: int, chunk: int, state: str) -> pathlib.Path:
    return db_path.parent / LOCK_DIR / f"job-{job_id}.chunk-{chunk}.{state}"


def mark_answered(db_path: pathlib.Path, job_id: int, outcomes: Iterable[ChunkOutcome]) -> bool:
    """Answers the history could not take (a full disk), kept as empty files beside the
    job's lock whose names say which request got which answer. An empty file needs no data
    block, so it can usually be made where the database could not grow; a later resume reads
    them (claim_job) and never treats those requests as unknown, so nothing invites sending
    them twice. False when a marker could not be made either."""
    made = True
    for outcome in outcomes:
        path = answered_marker(db_path, job_id, outcome.chunk.index, outcome.state.value)
        try:
            path.parent.mkdir(mode=0o700, exist_ok=True)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        except OSError:
            made = False
    return made


def answered_markers(db_path: pathlib.Path, job_id: int) -> dict[int, tuple[str, pathlib.Path]]:
    """chunk index -> (state, marker file) for the answers a run could not record."""
    found: dict[int, tuple[str, pathlib.Path]] = {}
    for path in (db_path.parent / LOCK_DIR).glob(f"job-{job_id}.chunk-*.*"):
        _, chunk, state = path.name.split(".", 2)
        index = chunk.removeprefix("chunk-")
        if index.isdigit() and state in {s.value for s in ChunkState}:
            found[int(index)] = (state, path)
    return found


def marked_outcome(chunk: Chunk, state: str) -> ChunkOutcome | None:
    """What a marker (mark_answered) says of a request its run could not record. Accepted:
    sent, its msgIds lost with the answer (never resent; `sync`/`lookup` find them in the
    gateway's records). Rejected or refused: as the gateway said. Anything else: unknown."""
    if state == ChunkState.ACCEPTED.value:
        from smscli.gateways.sends import SendResult  # only where a marker is read back

        result = SendResult((), success=len(chunk.numbers), fail=0)
        return ChunkOutcome(
            chunk, ChunkState.ACCEPTED, result=result, attempts=0,
            error=Failure(ANSWERED_UNRECORDED), untracked=tuple(chunk.numbers),
        )
    if state in (ChunkState.REJECTED.value, ChunkState.REFUSED.value):
        error = Failure.said(f"{ANSWERED_UNRECORDED} (the gateway said no)")
        return ChunkOutcome(chunk, ChunkState(state), error=error, attempts=0)
    return None
