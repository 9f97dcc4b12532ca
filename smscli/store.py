"""The local history: every `send` (and `batch`) is a job, journalled chunk by chunk in SQLite so
that a crash or Ctrl-C loses nothing and `send --resume` never sends a chunk twice; `report`
writes delivery states back per message. Pure: no typer, no rich, no printing.

The file is data_dir()/history.sqlite3, created 0600 in a 0700 directory (it holds phone numbers
and message text). WAL mode lets a cron `send` and a support `history` run at the same time;
writers take the write lock up front (BEGIN IMMEDIATE) and wait up to BUSY_TIMEOUT for each other.

Schema (PRAGMA user_version = len(_MIGRATIONS); migrations run in order when a file is opened):

    jobs      id (increasing, never reused), created/updated (ISO-8601 UTC), profile, provider,
              kind (send|batch), message (NULL when store_content = false), message_hash
              (salted sha256, kept even then: a resume checks a re-typed message against it),
              content_stored, sender, numbers, chunks, status (running|done|interrupted), pid
    chunks    (job_id, idx) -> size, state (planned|sending|accepted|rejected|unknown|not_sent),
              attempts (HTTP requests over all runs), sends (times it left: 2 = resent after an
              unknown outcome), error_kind/code/text, started, finished, and the plan: numbers
              (newline-separated), order_ids / contents / senders (JSON lists or NULL) - until
              the chunk's answer is journalled (v5): then NULL, its messages rows hold it
    messages  one row per number once its chunk has an outcome, keyed by (job_id, chunk, pos)
              (position in the chunk; negative for a number the gateway rewrote; WITHOUT
              ROWID since v5): number, order_id, content/sender (batch), outcome (0 accepted,
              1 rejected, 2 unknown, 3 not_sent), msg_id, error, delivery status
              (delivered|failed|pending|not_found|unknown), status_time, code, detail, updated
              (NULL until a report changes the row). Numbers and msgIds that are canonical
              integers within 64 bits are stored as integers (v5, see _key). Indexed by msg_id
              and number.
    orphan_reports  (v2) (provider, msg_id) -> number, status, status_time, code, detail,
              received: delivery reports for msgIds no job of that provider holds (a queue
              provider's reports must not be dropped); moved onto the message once it appears,
              deleted by `prune` like old jobs.
    raw_reports  (v3) id, provider, profile, received, http_status, content_type, body (the
              bytes as they came), state (new|read|unreadable), reports (how many it held),
              error: every report answer of a queue provider, saved before it is read. Read
              answers without reports are dropped; the rest is deleted by `prune`.
    notices   (v3) name -> shown: one-time warnings already given.
    gateway_sent, inbound, sync_state  (v4) the support desk's: see smscli.support.schema.

A job's whole plan is written when it is created (one row per chunk), so a resume knows exactly
what every chunk held, including the ones that never started; a number's own row is written once,
with its chunk's answer, which keeps journalling 200,000 numbers cheap. Readers show a number of
a chunk without an answer as `planned`/`sending` (its process alive) or `not_sent`/`unknown`.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import os
import pathlib
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from itertools import repeat
from typing import Any, Concatenate, Final, NamedTuple, ParamSpec, TypeVar

from smscli.errors import ErrorKind, GatewayError, NetworkError, SmsCliError, UsageError
from smscli.gateways.base import DeliveryStatus, RawAnswer, Report, SendResult, Submitted
from smscli.model import Chunk, ChunkOutcome, ChunkState
from smscli.rows import NOT_LISTED, UNTRACKED, error_text
from smscli.support import schema as support_schema

FILE_NAME: Final = "history.sqlite3"
# Long enough to outlast another process's longest transaction (creating a 200,000-number job,
# pruning), short enough that a stuck lock becomes an error instead of a hang.
BUSY_TIMEOUT: Final = 30.0

PLANNED: Final = "planned"  # recorded with its job, not started
SENDING: Final = "sending"  # committed just before the request leaves
LOST_IN_FLIGHT: Final = "no result recorded: smscli stopped while this request was in flight"
NOT_STARTED: Final = "not sent: stopped before this request"

P = ParamSpec("P")
R = TypeVar("R")


class StoreError(UsageError):
    """The history database cannot be used (locked, damaged, unwritable)."""


class JobNotFound(StoreError):
    pass


# --------------------------------------------------------------------------- schema

_INT64_MAX: Final = 9223372036854775807
_INT64_DIGITS: Final = len(str(_INT64_MAX))


def _key(text: str) -> int | str:
    """How a number or msgId is stored and looked up: as an integer when it is one written
    canonically (digits only, no leading zero, within 64 bits), so str() gives it back exactly;
    otherwise as the text itself. Columns `messages.number` and `.msg_id` have no type, so
    SQLite keeps whichever it is given, and an integer never equals a text."""
    if text.isascii() and text.isdigit() and text[0] != "0" and len(text) <= _INT64_DIGITS:
        value = int(text)
        if value <= _INT64_MAX:
            return value
    return text


# A newline-joined list of canonical integers of at most 19 digits (msgIds have 19).
_ALL_INTS = re.compile(r"[1-9][0-9]{0,18}(?:\n[1-9][0-9]{0,18})*")


def _keys(texts: list[str]) -> list[int | str]:
    """_key of each, for a whole chunk at once: when every one is a canonical integer within
    64 bits (the usual case: one regex over the joined list), int() runs in C for all."""
    joined = "\n".join(texts)
    if texts and joined.isascii() and _ALL_INTS.fullmatch(joined):
        values: list[int] = list(map(int, texts))
        if max(values) <= _INT64_MAX:
            return list[int | str](values)
    return [_key(text) for text in texts]


def _key_sql(column: str) -> str:
    """_key in SQL, for the migration of text columns."""
    return (
        f"CASE WHEN {column} GLOB '[1-9]*' AND {column} NOT GLOB '*[^0-9]*'"
        f" AND (length({column}) < {_INT64_DIGITS} OR (length({column}) = {_INT64_DIGITS}"
        f" AND {column} <= '{_INT64_MAX}')) THEN CAST({column} AS INTEGER) ELSE {column} END"
    )


_MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """CREATE TABLE jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            profile TEXT NOT NULL,
            provider TEXT NOT NULL,
            kind TEXT NOT NULL,
            message TEXT,
            message_hash TEXT,
            content_stored INTEGER NOT NULL,
            sender TEXT,
            numbers INTEGER NOT NULL,
            chunks INTEGER NOT NULL,
            status TEXT NOT NULL,
            pid INTEGER
        )""",
        "CREATE INDEX jobs_created ON jobs (created)",
        "CREATE INDEX jobs_profile ON jobs (profile, created)",
        """CREATE TABLE chunks (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs (id),
            idx INTEGER NOT NULL,
            size INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sends INTEGER NOT NULL DEFAULT 0,
            error_kind TEXT,
            error_code TEXT,
            error_text TEXT,
            started TEXT,
            finished TEXT,
            numbers TEXT NOT NULL,
            order_ids TEXT,
            contents TEXT,
            senders TEXT
        )""",
        "CREATE UNIQUE INDEX chunks_position ON chunks (job_id, idx)",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs (id),
            chunk INTEGER NOT NULL,
            pos INTEGER NOT NULL,
            number TEXT NOT NULL,
            order_id TEXT,
            content TEXT,
            sender TEXT,
            outcome TEXT NOT NULL,
            msg_id TEXT,
            error TEXT,
            status TEXT,
            status_time TEXT,
            code TEXT,
            detail TEXT,
            updated TEXT
        )""",
        "CREATE UNIQUE INDEX messages_position ON messages (job_id, chunk, pos)",
        "CREATE INDEX messages_msg_id ON messages (msg_id) WHERE msg_id IS NOT NULL",
        "CREATE INDEX messages_number ON messages (number)",
    ),
    # v2: delivery reports for msgIds no job of the provider holds. A queue provider (mobset)
    # hands each report out once, so one that `report` cannot attach to a message (sent by
    # another tool, with history off, or pulled before its send's answer was journalled) is
    # kept here instead of dropped; `lookup` answers from it, `record_reports` moves it onto
    # its message once the message appears.
    (
        """CREATE TABLE orphan_reports (
            provider TEXT NOT NULL,
            msg_id TEXT NOT NULL,
            number TEXT,
            status TEXT NOT NULL,
            status_time TEXT,
            code TEXT,
            detail TEXT,
            received TEXT NOT NULL,
            PRIMARY KEY (provider, msg_id)
        )""",
        "CREATE INDEX orphan_reports_received ON orphan_reports (received)",
    ),
    # v3: the raw bodies of a queue provider's report answers (mobset SmsGetReport), each saved
    # before it is read: the gateway hands a report out once, so an answer smscli cannot read
    # (yet) is kept for a later version to re-read instead of being lost. `notices` remembers
    # one-time warnings (draining a shared account's queue).
    (
        """CREATE TABLE raw_reports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            provider TEXT NOT NULL,
            profile TEXT,
            received TEXT NOT NULL,
            http_status INTEGER NOT NULL,
            content_type TEXT,
            body BLOB NOT NULL,
            state TEXT NOT NULL,
            reports INTEGER,
            error TEXT
        )""",
        "CREATE INDEX raw_reports_received ON raw_reports (received)",
        """CREATE TABLE notices (
            name TEXT PRIMARY KEY,
            shown TEXT NOT NULL
        )""",
    ),
    # v4: the support desk's tables (smscli.support.schema): the gateway's sent records,
    # inbound messages, per-profile sync state.
    support_schema.MIGRATION,
    # v5: compact messages (issue 13: 182 bytes per message sent before). Numbers and msgIds
    # made only of digits are stored as integers (_key: 6-8 bytes instead of 12-19 characters,
    # in the table and in both indexes), the outcome as a small integer (_OUTCOMES: 0 and 1
    # take no bytes at all), `updated` only once a report changed the row; the table is keyed
    # by its position (WITHOUT ROWID), so the position needs no index of its own. A chunk's
    # plan (numbers, order_ids, contents, senders) is dropped once its answer is journalled:
    # its messages rows hold the same values, and the plan is read back from them (_plans).
    (
        """CREATE TABLE messages_v3 (
            job_id INTEGER NOT NULL,
            chunk INTEGER NOT NULL,
            pos INTEGER NOT NULL,
            number NOT NULL,
            msg_id,
            outcome INTEGER NOT NULL,
            order_id TEXT,
            content TEXT,
            sender TEXT,
            error TEXT,
            status TEXT,
            status_time TEXT,
            code TEXT,
            detail TEXT,
            updated TEXT,
            PRIMARY KEY (job_id, chunk, pos)
        ) WITHOUT ROWID""",
        "INSERT INTO messages_v3 SELECT job_id, chunk, pos, "  # noqa: S608 - constant SQL
        + _key_sql("number")
        + ", "
        + _key_sql("msg_id")
        + ","
        " CASE outcome WHEN 'accepted' THEN 0 WHEN 'rejected' THEN 1 WHEN 'unknown' THEN 2"
        " ELSE 3 END, order_id, content, sender, error, status, status_time, code, detail,"
        " CASE WHEN status IS NULL THEN NULL ELSE updated END FROM messages"
        " ORDER BY job_id, chunk, pos",
        # Said explicitly: the primary key serves what this index did.
        "DROP INDEX IF EXISTS messages_position",
        "DROP TABLE messages",
        "ALTER TABLE messages_v3 RENAME TO messages",
        "CREATE INDEX messages_msg_id ON messages (msg_id) WHERE msg_id IS NOT NULL",
        "CREATE INDEX messages_number ON messages (number)",
        """CREATE TABLE chunks_v3 (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs (id),
            idx INTEGER NOT NULL,
            size INTEGER NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sends INTEGER NOT NULL DEFAULT 0,
            error_kind TEXT,
            error_code TEXT,
            error_text TEXT,
            started TEXT,
            finished TEXT,
            numbers TEXT,
            order_ids TEXT,
            contents TEXT,
            senders TEXT
        )""",
        "INSERT INTO chunks_v3 SELECT * FROM chunks",
        "UPDATE chunks_v3 SET numbers = NULL, order_ids = NULL, contents = NULL,"
        " senders = NULL WHERE EXISTS (SELECT 1 FROM messages m"
        " WHERE m.job_id = chunks_v3.job_id AND m.chunk = chunks_v3.idx AND m.pos = 0)",
        "DROP TABLE chunks",
        "ALTER TABLE chunks_v3 RENAME TO chunks",
        "CREATE UNIQUE INDEX chunks_position ON chunks (job_id, idx)",
        # Dropping the old table dropped v4's index too (smscli.support.schema): made again.
        "CREATE INDEX chunks_open ON chunks (state) WHERE state IN ('planned', 'sending')",
    ),
)
SCHEMA_VERSION: Final = len(_MIGRATIONS)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    created: datetime
    updated: datetime
    profile: str
    provider: str
    kind: str
    message: str | None
    message_hash: str | None
    content_stored: bool
    sender: str | None
    numbers: int
    chunks: int
    # `running` only while its process lives: a job whose process was killed reads interrupted.
    status: str
    pid: int | None

    @property
    def live(self) -> bool:
        return self.status == "running"


@dataclass(frozen=True, slots=True)
class Counts:
    accepted: int = 0
    rejected: int = 0
    unknown: int = 0  # the send's outcome is unknown, or the request is in flight
    not_sent: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0  # accepted, no final delivery state yet


@dataclass(frozen=True, slots=True)
class JobSummary:
    job: Job
    counts: Counts


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    job_id: int
    index: int
    size: int
    # a ChunkState value; planned / sending only while the job's process lives
    state: str
    attempts: int
    sends: int
    error_kind: str | None
    error_code: str | None
    error_text: str | None
    started: datetime | None
    finished: datetime | None
    first: str | None = None
    last: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    job_id: int
    chunk: int
    pos: int
    number: str
    order_id: str | None
    content: str | None
    sender: str | None
    outcome: str
    msg_id: str | None
    error: str | None
    status: str | None = None
    status_time: datetime | None = None
    code: str | None = None
    detail: str | None = None
    updated: datetime | None = None
    sent: datetime | None = None  # when its chunk was answered (or started)


@dataclass(frozen=True, slots=True)
class NumberHit:
    job: Job
    message: Message


@dataclass(frozen=True, slots=True)
class RawReport:
    """A queue provider's report answer as it came (see raw_reports in the module doc)."""

    id: int
    provider: str
    profile: str | None
    received: datetime
    http_status: int
    content_type: str | None
    body: bytes
    state: str  # new (saved, not read yet) | read | unreadable
    reports: int | None
    error: str | None


class Tracked(NamedTuple):
    """What `report` needs per msgId: skip final ones, show the last known state."""

    number: str | None  # None only for a report kept without its message (orphan_reports)
    status: DeliveryStatus | None  # None: never reported
    time: datetime | None
    code: str | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class PruneCounts:
    jobs: int = 0
    chunks: int = 0
    messages: int = 0
    orphan_reports: int = 0


@dataclass(slots=True)
class ResumePlan:
    job: Job
    to_send: list[Chunk] = field(default_factory=list)  # never left: planned or not_sent
    unknown: list[tuple[ChunkInfo, Chunk]] = field(default_factory=list)  # may have arrived
    settled: list[ChunkOutcome] = field(default_factory=list)  # accepted/rejected: never resent
    # Refused before processing (balance, auth, ...): sent again only with --resend-refused.
    refused: list[ChunkOutcome] = field(default_factory=list)

    def outcomes_without(self, indices: Iterable[int]) -> list[ChunkOutcome]:
        """The recorded outcome of every chunk not in `indices` (those are being sent now)."""
        skip = set(indices)
        refused = [o for o in self.refused if o.chunk.index not in skip]
        unsent = [
            ChunkOutcome(chunk, ChunkState.NOT_SENT, attempts=0)
            for chunk in self.to_send
            if chunk.index not in skip
        ]
        unknown = [
            ChunkOutcome(chunk, ChunkState.UNKNOWN, error=_unknown_error(info))
            for info, chunk in self.unknown
            if chunk.index not in skip
        ]
        return self.settled + refused + unsent + unknown


# --------------------------------------------------------------------------- small helpers


def default_path() -> pathlib.Path:
    from smscli.settings import data_dir

    return data_dir() / FILE_NAME


def _now() -> datetime:
    return datetime.now(UTC)


def _ts(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.astimezone()  # naive = local wall-clock time
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def _dt(text: object) -> datetime | None:
    return datetime.fromisoformat(str(text)) if text else None


def _str(value: object) -> str | None:
    return None if value is None else str(value)


# -- job locks: a job is being sent exactly while some process holds its lock ----------------
#
# An advisory lock (flock) on data_dir()/locks/job-<id>.lock, taken when the job is created or
# claimed for a resume and released when it finishes. The OS drops it when the process dies,
# however it dies, so a crash can never leave a job "running" for ever, whatever became of its
# PID (reused in another container, say). The PID is kept for people to read, not trusted.

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock; the PID check stands in for it
    fcntl = None  # type: ignore[assignment]

LOCK_DIR: Final = "locks"
_held_locks: dict[str, int] = {}  # lock file -> the descriptor this process holds it with


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


def _answered_markers(db_path: pathlib.Path, job_id: int) -> dict[int, tuple[str, pathlib.Path]]:
    """chunk index -> (state, marker file) for the answers a run could not record."""
    found: dict[int, tuple[str, pathlib.Path]] = {}
    for path in (db_path.parent / LOCK_DIR).glob(f"job-{job_id}.chunk-*.*"):
        _, chunk, state = path.name.split(".", 2)
        index = chunk.removeprefix("chunk-")
        if index.isdigit() and state in {s.value for s in ChunkState}:
            found[int(index)] = (state, path)
    return found


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


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


MAX_DURATION_DAYS: Final = 100 * 365


def parse_duration(text: str) -> timedelta:
    """`90d`, `2h`, `1w2d`, `30m`, `45s`. Raises ValueError with a readable reason."""
    raw = text.strip().lower()
    pos, total = 0, 0.0
    for match in _DURATION.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not raw or pos != len(raw):
        raise ValueError(f"{text!r} is not a duration such as 30m, 2h, 3d or 1w")
    # Bounded so that "now minus it" stays a date (1000000d would overflow datetime).
    if total > MAX_DURATION_DAYS * 86400:
        raise ValueError(f"{text!r} is more than {MAX_DURATION_DAYS // 365} years")
    return timedelta(seconds=total)


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """A point in time: a duration ago (`2h`, `3d`) or an ISO date / date-time (`2026-11-01`
    is local midnight; a time without an offset is local). Returned aware, in UTC."""
    try:
        return (now or _now()) - parse_duration(text)
    except ValueError:
        if _DURATION.match(text.strip().lower()) and not re.match(r"\d{4}-", text.strip()):
            raise  # a duration, but out of range: say that, not "not a date"
    raw = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            day = date.fromisoformat(raw)
            value = datetime(day.year, day.month, day.day)
        else:
            value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (30m, 2h, 3d, 1w) nor a date (2026-11-01)"
        ) from None
    try:
        if value.tzinfo is None:
            value = value.astimezone()
        return value.astimezone(UTC)
    except (OverflowError, ValueError, OSError):
        # Year 1 or 9999 moved across time zones leaves what datetime can hold.
        raise ValueError(f"{text!r} is outside the dates this can look back to") from None


# msgIds per query in `lookup`: well under SQLite's limit of bound parameters.
_LOOKUP_BATCH: Final = 500


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


# --------------------------------------------------------------------------- errors


def store_error(path: pathlib.Path, exc: sqlite3.Error, doing: str = "") -> StoreError:
    reason = str(exc)
    where = f"history database {path}"
    prefix = f"{doing}: " if doing else ""
    if "locked" in reason or "busy" in reason:
        return StoreError(
            f"{prefix}the {where} stayed locked for {BUSY_TIMEOUT:.0f} s",
            hint="another smscli process is writing it; try again, or use --no-history",
        )
    if "not a database" in reason or "malformed" in reason or "corrupt" in reason:
        return StoreError(
            f"{prefix}the {where} is damaged ({reason})",
            hint="move the file aside (a new history starts), or use --no-history",
        )
    return StoreError(f"{prefix}{where}: {reason}", hint="or use --no-history")


def _guarded(
    method: Callable[Concatenate[Store, P], R],
) -> Callable[Concatenate[Store, P], R]:
    """sqlite errors become one readable StoreError line (locked, damaged, read-only...)."""

    def wrapper(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None

    functools.update_wrapper(wrapper, method)
    return wrapper


def _error_fields(error: SmsCliError | None) -> tuple[str | None, str | None, str | None]:
    if error is None:
        return None, None, None
    if isinstance(error, NetworkError):
        return ErrorKind.NETWORK.value, None, error.message
    if isinstance(error, GatewayError):
        return error.kind.value, error.code, error.message
    return "local", None, error.message


def _rebuilt_error(info: ChunkInfo) -> SmsCliError | None:
    """An error like the recorded one, so old outcomes render and count as they did."""
    if info.error_text is None:
        return None
    if info.error_kind == ErrorKind.NETWORK.value:
        maybe = info.state != ChunkState.NOT_SENT.value
        return NetworkError(info.error_text, maybe_processed=maybe)
    if info.error_kind in {k.value for k in ErrorKind}:
        return GatewayError(
            info.error_text, code=info.error_code, kind=ErrorKind(str(info.error_kind))
        )
    return SmsCliError(info.error_text)


def _unknown_error(info: ChunkInfo) -> SmsCliError:
    return _rebuilt_error(info) or NetworkError(LOST_IN_FLIGHT, maybe_processed=True)


# --------------------------------------------------------------------------- rows -> records

_JOB_COLUMNS: Final = (
    "id, created, updated, profile, provider, kind, message, message_hash, content_stored,"
    " sender, numbers, chunks, status, pid"
)
_CHUNK_COLUMNS: Final = (
    "job_id, idx, size, state, attempts, sends, error_kind, error_code, error_text, started,"
    " finished"
)
_PLAN_COLUMNS: Final = "idx, numbers, order_ids, contents, senders"
_C_PLAN_COLUMNS: Final = "c.idx, c.numbers, c.order_ids, c.contents, c.senders"
_MESSAGE_COLUMNS: Final = (
    "m.job_id, m.chunk, m.pos, m.number, m.order_id, m.content, m.sender, m.outcome, m.msg_id,"
    " m.error, m.status, m.status_time, m.code, m.detail, m.updated"
)
_MESSAGE_WIDTH: Final = 15

# messages.outcome, by its code (0 and 1 are stored in no bytes at all).
_OUTCOMES: Final = ("accepted", "rejected", "unknown", "not_sent")
_ACCEPTED, _REJECTED, _UNKNOWN, _NOT_SENT = 0, 1, 2, 3


def _job(row: Sequence[Any], db_path: pathlib.Path) -> Job:
    status, pid = str(row[12]), None if row[13] is None else int(row[13])
    if status == "running" and not job_locked(db_path, int(row[0]), pid):
        status = "interrupted"
    return Job(
        id=int(row[0]),
        created=datetime.fromisoformat(row[1]),
        updated=datetime.fromisoformat(row[2]),
        profile=row[3],
        provider=row[4],
        kind=row[5],
        message=row[6],
        message_hash=row[7],
        content_stored=bool(row[8]),
        sender=row[9],
        numbers=int(row[10]),
        chunks=int(row[11]),
        status=status,
        pid=pid,
    )


def _chunk_info(row: Sequence[Any], live: bool) -> ChunkInfo:
    state, error_text = str(row[3]), _str(row[8])
    if state == SENDING and not live:
        state, error_text = ChunkState.UNKNOWN.value, error_text or LOST_IN_FLIGHT
    elif state == PLANNED and not live:
        state = ChunkState.NOT_SENT.value  # its process is gone: it will not start now
    return ChunkInfo(
        job_id=int(row[0]),
        index=int(row[1]),
        size=int(row[2]),
        state=state,
        attempts=int(row[4]),
        sends=int(row[5]),
        error_kind=_str(row[6]),
        error_code=_str(row[7]),
        error_text=error_text,
        started=_dt(row[9]),
        finished=_dt(row[10]),
    )


def _plan(row: Sequence[Any]) -> Chunk:
    """A chunk as planned, from its `_PLAN_COLUMNS` row. An answered chunk's plan was dropped
    (its numbers are NULL): Store._plans reads it back from its messages."""

    def listed(text: str | None) -> list[Any] | None:
        return None if text is None else list(json.loads(text))

    return Chunk(
        int(row[0]),
        str(row[1]).split("\n") if row[1] else [],
        order_ids=listed(row[2]),
        contents=listed(row[3]),
        sender_ids=listed(row[4]),
    )


def _plan_values(
    chunk: Chunk, store_content: bool
) -> tuple[str, str | None, str | None, str | None]:
    def dumped(values: Sequence[object] | None) -> str | None:
        return None if values is None else json.dumps(list(values), ensure_ascii=False)

    return (
        "\n".join(chunk.numbers),
        dumped(chunk.order_ids),
        dumped(chunk.contents) if store_content else None,
        dumped(chunk.sender_ids),
    )


def _message(row: Sequence[Any], sent: object = None) -> Message:
    return Message(
        job_id=int(row[0]),
        chunk=int(row[1]),
        pos=int(row[2]),
        number=str(row[3]),
        order_id=row[4],
        content=row[5],
        sender=row[6],
        outcome=_OUTCOMES[row[7]],
        msg_id=_str(row[8]),
        error=row[9],
        status=row[10],
        status_time=_dt(row[11]),
        code=row[12],
        detail=row[13],
        updated=_dt(row[14]),
        sent=_dt(sent),
    )


def _unanswered(
    job_id: int, chunk: Chunk, in_flight: bool, live: bool, sent: datetime | None = None
) -> Iterator[Message]:
    """The numbers of a chunk without an answer: in flight or planned while its process
    lives, else unknown (it may have arrived) or not sent."""
    if in_flight:
        outcome, error = (
            (SENDING, None) if live else ("unknown", f"outcome unknown: {LOST_IN_FLIGHT}")
        )
    else:
        outcome, error = (PLANNED, None) if live else ("not_sent", NOT_STARTED)
    ids, contents, senders = chunk.order_ids, chunk.contents, chunk.sender_ids
    for pos, number in enumerate(chunk.numbers):
        yield Message(
            job_id=job_id,
            chunk=chunk.index,
            pos=pos,
            number=number,
            order_id=ids[pos] if ids else None,
            content=contents[pos] if contents else None,
            sender=senders[pos] if senders else None,
            outcome=outcome,
            msg_id=None,
            error=error,
            sent=sent,
        )


_STATUSES: Final = {status.value: status for status in DeliveryStatus}


def _tracked(row: Sequence[Any]) -> tuple[str, Tracked]:
    # Runs per msgId a `report` asks about (100,000 at a time): a dict, not the Enum's call.
    return str(row[0]), Tracked(
        number=_str(row[1]),
        status=_STATUSES[row[2]] if row[2] is not None else None,
        time=_dt(row[3]),
        code=row[4],
        detail=row[5],
    )


def _plain_rows(job_id: int, outcome: ChunkOutcome) -> list[tuple[object, ...]] | None:
    """The usual answer - every number of the chunk accepted once, no order ids - as
    (job_id, chunk, pos, number, outcome, msg_id) rows, with (content, sender) after `number`
    for a chunk that carries them (batch), built column by column; None for any other answer
    (_message_rows then). Fewer bound values per row than the general insert: binding them
    is most of what SQLite's insert costs."""
    chunk, result = outcome.chunk, outcome.result
    if outcome.state is not ChunkState.ACCEPTED or result is None:
        return None
    subs, numbers = result.accepted, chunk.numbers
    if len(subs) != len(numbers) or chunk.order_ids or outcome.untracked:
        return None
    if [sub.number for sub in subs] != numbers:
        # A batch's answer lists its numbers element by element (grouped by content).
        by_number = {sub.number: sub for sub in subs}
        if len(by_number) != len(numbers) or by_number.keys() != set(numbers):
            return None  # a number twice, or one the gateway rewrote or left out
        subs = tuple(by_number[number] for number in numbers)
    if any(sub.order_id for sub in subs):
        return None
    size = len(numbers)
    head = (repeat(job_id, size), repeat(chunk.index, size), range(size), _keys(numbers))
    tail = (repeat(_ACCEPTED, size), _keys([sub.msg_id for sub in subs]))
    if chunk.contents or chunk.sender_ids:
        extra = (chunk.contents or repeat(None, size), chunk.sender_ids or repeat(None, size))
        return list(zip(*head, *extra, *tail, strict=False))
    return list(zip(*head, *tail, strict=False))


def _message_rows(job_id: int, outcome: ChunkOutcome) -> list[tuple[object, ...]]:
    """A chunk's answer as `messages` rows (job_id, chunk, pos, number, order_id, content,
    sender, outcome, msg_id, error): its numbers in order, then any the gateway rewrote
    (negative positions). The same rows as sending.rows_for, as `send` printed them, built
    straight into tuples: this runs for every number sent."""
    chunk, state, index = outcome.chunk, outcome.state, outcome.chunk.index
    numbers, ids = chunk.numbers, chunk.order_ids
    contents, senders = chunk.contents, chunk.sender_ids
    result = outcome.result
    if state is ChunkState.ACCEPTED and result is not None:
        # A batch chunk can hold a number more than once (different contents): each
        # occurrence takes the next msgId listed for it, in the gateway's answer order.
        by_number: dict[str, list[Submitted]] = {}
        for sub in result.accepted:
            listed = by_number.get(sub.number)
            if listed is None:
                by_number[sub.number] = [sub]
            else:
                listed.append(sub)
        untracked = set(outcome.untracked)
        rows: list[tuple[object, ...]] = []
        append = rows.append
        for i, number in enumerate(numbers):
            listed = by_number.get(number)
            given = ids[i] if ids else None
            content = contents[i] if contents else None
            sender = senders[i] if senders else None
            if listed:
                sub = listed.pop(0)
                append(
                    (
                        job_id,
                        index,
                        i,
                        _key(number),
                        sub.order_id or given or None,
                        content,
                        sender,
                        _ACCEPTED,
                        _key(sub.msg_id),
                        None,
                    )
                )
            elif number in untracked:
                append(
                    (
                        job_id,
                        index,
                        i,
                        _key(number),
                        given,
                        content,
                        sender,
                        _ACCEPTED,
                        None,
                        UNTRACKED,
                    )
                )
            else:
                append(
                    (
                        job_id,
                        index,
                        i,
                        _key(number),
                        given or None,
                        content,
                        sender,
                        _REJECTED,
                        None,
                        NOT_LISTED,
                    )
                )
        # A number the gateway rewrote (e.g. reformatted) still gets its msgId kept.
        pos = -1
        for listed in by_number.values():
            for sub in listed:
                append(
                    (
                        job_id,
                        index,
                        pos,
                        _key(sub.number),
                        sub.order_id,
                        None,
                        None,
                        _ACCEPTED,
                        _key(sub.msg_id),
                        None,
                    )
                )
                pos -= 1
        return rows
    if state is ChunkState.UNKNOWN:
        code = _UNKNOWN
    elif state is ChunkState.NOT_SENT:
        code = _NOT_SENT
    else:
        code = _REJECTED
    text = error_text(outcome)
    return [
        (
            job_id,
            index,
            i,
            _key(number),
            (ids[i] if ids else None) or None,
            contents[i] if contents else None,
            senders[i] if senders else None,
            code,
            None,
            text,
        )
        for i, number in enumerate(numbers)
    ]


# Jobs having at least one message in a state, for `history --status`. Constant SQL only.
_IN_MESSAGES = "EXISTS (SELECT 1 FROM messages m WHERE m.job_id = jobs.id AND {})"
_IN_CHUNKS = "EXISTS (SELECT 1 FROM chunks c WHERE c.job_id = jobs.id AND {})"
_PENDING = "m.outcome = 0 AND (m.status IS NULL OR m.status NOT IN ('delivered', 'failed'))"
STATUS_FILTERS: Final[dict[str, str]] = {
    "delivered": _IN_MESSAGES.format("m.status = 'delivered'"),
    "failed": _IN_MESSAGES.format("m.status = 'failed'"),
    "pending": _IN_MESSAGES.format(_PENDING),
    "unknown": "("
    + _IN_CHUNKS.format("c.state IN ('unknown', 'sending')")
    + " OR "
    + _IN_MESSAGES.format("m.status = 'unknown'")
    + ")",
    "rejected": _IN_MESSAGES.format("m.outcome = 1"),
    "not_sent": _IN_CHUNKS.format("c.state IN ('planned', 'not_sent')"),
}


# --------------------------------------------------------------------------- the store


class Store:
    """One connection to the history file. Not shared between threads: open one per thread
    (run_chunks calls the journal from the main thread only)."""

    def __init__(self, db: sqlite3.Connection, path: pathlib.Path) -> None:
        self._db = db
        self.path = path

    @classmethod
    def open(cls, path: pathlib.Path | None = None, *, timeout: float = BUSY_TIMEOUT) -> Store:
        path = path or default_path()
        new = _create_private(path)
        try:
            db = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise store_error(path, exc, "cannot open the history") from None
        try:
            _configure(db, new)
            _migrate(db, path)
        except sqlite3.Error as exc:
            db.close()
            raise store_error(path, exc, "cannot open the history") from None
        except BaseException:
            db.close()
            raise
        return cls(db, path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction with the lock taken up front: a deferred one could fail with
        SQLITE_BUSY when upgrading from read to write, instead of waiting its turn."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    # -- jobs ----------------------------------------------------------------------------------

    @_guarded
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
        now = _ts(_now())
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO jobs (created, updated, profile, provider, kind, message,"
                " message_hash, content_stored, sender, numbers, chunks, status, pid)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
                (
                    now,
                    now,
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
                    (job_id, c.index, len(c.numbers), *_plan_values(c, store_content))
                    for c in chunks
                ),
            )
        return job_id

    @_guarded
    def journal(self, job_id: int) -> StoreJournal:
        return StoreJournal(self, job_id, store_content=self.job(job_id).content_stored)

    @_guarded
    def job(self, job_id: int) -> Job:
        row = self._db.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?",  # noqa: S608 - constant columns
            (job_id,),
        ).fetchone()
        if row is None:
            raise JobNotFound(
                f"no job {job_id} in the history", hint="list jobs with: smscli history"
            )
        return _job(row, self.path)

    @_guarded
    def last_job_id(self, profile: str | None = None) -> int | None:
        if profile is None:
            row = self._db.execute("SELECT max(id) FROM jobs").fetchone()
        else:
            row = self._db.execute(
                "SELECT max(id) FROM jobs WHERE profile = ?", (profile,)
            ).fetchone()
        return None if row[0] is None else int(row[0])

    @_guarded
    def finish_job(self, job_id: int) -> str:
        """Mark the job done (every chunk answered accepted/rejected) or interrupted."""
        with self._write() as db:
            (open_chunks,) = db.execute(
                "SELECT count(*) FROM chunks WHERE job_id = ?"
                " AND state NOT IN ('accepted', 'rejected')",
                (job_id,),
            ).fetchone()
            status = "interrupted" if open_chunks else "done"
            db.execute(
                "UPDATE jobs SET status = ?, pid = NULL, updated = ? WHERE id = ?",
                (status, _ts(_now()), job_id),
            )
        release_job_lock(self.path, job_id)
        return status

    @_guarded
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
            now = _ts(_now())
            lost = self._plans(
                job_id,
                db.execute(
                    f"SELECT {_PLAN_COLUMNS} FROM chunks"  # noqa: S608 - constant columns
                    " WHERE job_id = ? AND state = 'sending'",
                    (job_id,),
                ).fetchall(),
            )
            error = NetworkError(LOST_IN_FLIGHT, maybe_processed=True)
            marked = _answered_markers(self.path, job_id)
            for chunk in lost:
                outcome = ChunkOutcome(chunk, ChunkState.UNKNOWN, error=error, attempts=0)
                if chunk.index in marked:
                    outcome = _marked_outcome(chunk, marked[chunk.index][0]) or outcome
                self._record_outcome(db, job_id, outcome, now)
            db.execute(
                "UPDATE jobs SET status = 'running', pid = ?, updated = ? WHERE id = ?",
                (os.getpid(), now, job_id),
            )
        for _, path in marked.values():  # recorded now: the markers have done their work
            with contextlib.suppress(OSError):
                path.unlink()
        return self.job(job_id)

    # -- the journal's writes --------------------------------------------------------------------

    def _chunk_sending(self, job_id: int, chunk: Chunk, store_content: bool) -> None:
        now = _ts(_now())
        with self._write() as db:
            cursor = db.execute(
                "UPDATE chunks SET state = 'sending', sends = sends + 1, started = ?,"
                " finished = NULL WHERE job_id = ? AND idx = ?",
                (now, job_id, chunk.index),
            )
            if cursor.rowcount == 0:
                # Not planned with its job (a caller that streams its chunks): record it now.
                db.execute(
                    "INSERT INTO chunks (job_id, idx, size, state, sends, started, numbers,"
                    " order_ids, contents, senders) VALUES (?, ?, ?, 'sending', 1, ?, ?, ?, ?, ?)",
                    (
                        job_id,
                        chunk.index,
                        len(chunk.numbers),
                        now,
                        *_plan_values(chunk, store_content),
                    ),
                )

    def _chunk_result(self, job_id: int, outcome: ChunkOutcome, store_content: bool) -> None:
        now = _ts(_now())
        chunk = outcome.chunk
        with self._write() as db:
            # A chunk never planned (a caller that streams its chunks) gets its row; no plan:
            # its messages rows, written next, hold it.
            db.execute(
                "INSERT OR IGNORE INTO chunks (job_id, idx, size, state)"
                " VALUES (?, ?, ?, 'planned')",
                (job_id, chunk.index, len(chunk.numbers)),
            )
            if not store_content:
                chunk = Chunk(chunk.index, chunk.numbers, chunk.order_ids, None, chunk.sender_ids)
                outcome = replace(outcome, chunk=chunk)
            self._record_outcome(db, job_id, outcome, now)

    def _record_outcome(
        self, db: sqlite3.Connection, job_id: int, outcome: ChunkOutcome, now: str
    ) -> None:
        kind, code, text = _error_fields(outcome.error)
        # `sends` was counted when the request was about to leave; one that provably never
        # left (not_sent) was not a send, and must not later read as "resent".
        never_left = int(outcome.state is ChunkState.NOT_SENT)
        db.execute(
            "UPDATE chunks SET state = ?, attempts = attempts + ?, error_kind = ?,"
            " error_code = ?, error_text = ?, finished = ?,"
            # The plan is in the messages rows from now on (see _plans).
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
                now,
                never_left,
                job_id,
                outcome.chunk.index,
            ),
        )
        # A chunk sent again (unknown or not_sent before) replaces its earlier rows.
        db.execute(
            "DELETE FROM messages WHERE job_id = ? AND chunk = ?", (job_id, outcome.chunk.index)
        )
        plain = _plain_rows(job_id, outcome)
        if plain is not None:
            if outcome.chunk.contents or outcome.chunk.sender_ids:
                sql = (
                    "INSERT INTO messages (job_id, chunk, pos, number, content, sender, outcome,"
                    " msg_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                )
            else:
                sql = (
                    "INSERT INTO messages (job_id, chunk, pos, number, outcome, msg_id)"
                    " VALUES (?, ?, ?, ?, ?, ?)"
                )
            db.executemany(sql, plain)
            return
        db.executemany(
            "INSERT INTO messages (job_id, chunk, pos, number, order_id, content, sender,"
            " outcome, msg_id, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _message_rows(job_id, outcome),
        )

    # -- resume ----------------------------------------------------------------------------------

    @_guarded
    def resumable(self, job_ids: Sequence[int]) -> set[int]:
        """Of `job_ids`, the jobs a resume can act on: a request that never left (planned,
        not_sent), whose outcome is unknown (sending, unknown) or that was refused (the same
        chunk states resume_plan sends or asks about). Only for completion's hints."""
        if not job_ids:
            return set()
        rows = self._db.execute(
            f"SELECT DISTINCT job_id FROM chunks WHERE job_id IN ({_marks(job_ids)})"  # noqa: S608
            " AND state IN (?, ?, ?, ?, ?)",
            (*job_ids, PLANNED, ChunkState.NOT_SENT.value, SENDING, ChunkState.UNKNOWN.value,
             ChunkState.REFUSED.value),
        )
        return {int(row[0]) for row in rows}

    @_guarded
    def resume_plan(self, job_id: int) -> ResumePlan:
        """What a resume may send (never left), must ask about (unknown: may have arrived,
        including `sending` left by a dead process) and must never resend (answered)."""
        job = self.job(job_id)
        plan = ResumePlan(job)
        # Answers a run could not record (mark_answered): known, so never offered as unknown,
        # even before claim_job records them.
        marked = _answered_markers(self.path, job_id)
        for info, chunk in self._chunks_with_plans(job):
            if info.state in (PLANNED, ChunkState.NOT_SENT.value):
                plan.to_send.append(chunk)
            elif info.state in (SENDING, ChunkState.UNKNOWN.value) and info.index in marked and (
                known := _marked_outcome(chunk, marked[info.index][0])
            ):
                (plan.refused if known.state is ChunkState.REFUSED else plan.settled).append(known)
            elif info.state in (SENDING, ChunkState.UNKNOWN.value):
                plan.unknown.append((info, chunk))
            elif info.state == ChunkState.REFUSED.value:
                plan.refused.append(self._settled(job_id, info, chunk))
            else:
                plan.settled.append(self._settled(job_id, info, chunk))
        return plan

    def _chunks_with_plans(
        self, job: Job, *, answered: bool = True
    ) -> list[tuple[ChunkInfo, Chunk]]:
        """A job's chunks and their plans; answered=False leaves the plans of answered chunks
        empty (for a caller that reads their messages anyway)."""
        rows = self._db.execute(
            f"SELECT {_CHUNK_COLUMNS}, {_PLAN_COLUMNS} FROM chunks"  # noqa: S608
            " WHERE job_id = ? ORDER BY idx",
            (job.id,),
        ).fetchall()
        plans = [row[11:] for row in rows]
        chunks = self._plans(job.id, plans) if answered else [_plan(row) for row in plans]
        return [
            (_chunk_info(row[:11], job.live), chunk)
            for row, chunk in zip(rows, chunks, strict=True)
        ]

    def _plans(self, job_id: int, rows: Sequence[Sequence[Any]]) -> list[Chunk]:
        """Chunks from their _PLAN_COLUMNS rows. The plan of a chunk whose answer was
        journalled was dropped then (numbers NULL): it is read back from its messages rows,
        which hold each number with its order id, content and sender in plan order."""
        chunks = [_plan(row) for row in rows]
        missing = {
            chunk.index: chunk for chunk, row in zip(chunks, rows, strict=True) if row[1] is None
        }
        if not missing:
            return chunks
        sql = (
            "SELECT chunk, number, order_id, content, sender FROM messages"
            " WHERE job_id = ? AND pos >= 0"
        )
        params: tuple[int, ...] = (job_id,)
        if len(missing) == 1:
            sql += " AND chunk = ?"
            params = (job_id, *missing)
        parts: dict[int, list[tuple[Any, ...]]] = {}
        for row in self._db.execute(sql + " ORDER BY chunk, pos", params):
            if row[0] in missing:
                parts.setdefault(row[0], []).append(row)
        for index, chunk in missing.items():
            got = parts.get(index, [])
            chunk.numbers = [str(row[1]) for row in got]
            if any(row[2] is not None for row in got):
                chunk.order_ids = [row[2] or "" for row in got]
            if any(row[3] is not None for row in got):
                chunk.contents = [row[3] or "" for row in got]
            # A batch chunk carries both lists (batchfile._chunk), a sender of None each when
            # no row names one: without them a resent batch chunk is not a batch chunk.
            if chunk.contents is not None or any(row[4] is not None for row in got):
                chunk.sender_ids = [row[4] for row in got]
        return chunks

    def _settled(self, job_id: int, info: ChunkInfo, chunk: Chunk) -> ChunkOutcome:
        state = ChunkState(info.state)
        if state is not ChunkState.ACCEPTED:
            return ChunkOutcome(chunk, state, error=_rebuilt_error(info), attempts=info.attempts)
        rows = [
            (str(number), None if msg_id is None else str(msg_id), order_id)
            for number, msg_id, order_id in self._db.execute(
                "SELECT number, msg_id, order_id FROM messages WHERE job_id = ? AND chunk = ?"
                " AND outcome = 0 ORDER BY pos < 0, abs(pos)",  # 0: accepted (_OUTCOMES)
                (job_id, info.index),
            )
        ]
        accepted = tuple(
            Submitted(number, msg_id, order_id) for number, msg_id, order_id in rows if msg_id
        )
        # Sent without a message id (SentWithoutIds): still sent, never "rejected" on a resume.
        untracked = tuple(number for number, msg_id, _ in rows if not msg_id)
        result = SendResult(accepted, len(accepted), max(0, info.size - len(rows)))
        error = _rebuilt_error(info) if untracked else None
        return ChunkOutcome(
            chunk, state, result=result, error=error, attempts=info.attempts, untracked=untracked
        )

    # -- queries for the CLI -----------------------------------------------------------------------

    @_guarded
    def jobs(
        self,
        *,
        since: datetime | None = None,
        status: str | None = None,
        profile: str | None = None,
        job_id: int | None = None,
        limit: int | None = None,
    ) -> list[JobSummary]:
        """Jobs newest first, with their per-number counts. `status` is a STATUS_FILTERS key."""
        where, params = _job_filter(since, profile, job_id)
        if status is not None:
            where.append(STATUS_FILTERS[status])
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs"  # noqa: S608 - constant SQL, bound values
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        jobs = [_job(row, self.path) for row in self._db.execute(sql, params)]
        counts = self._counts([j.id for j in jobs])
        return [JobSummary(j, counts.get(j.id, Counts())) for j in jobs]

    def _counts(self, job_ids: Sequence[int]) -> dict[int, Counts]:
        if not job_ids:
            return {}
        marks = _marks(job_ids)
        answered = {
            int(row[0]): [int(v or 0) for v in row[1:]]
            for row in self._db.execute(
                "SELECT job_id, sum(outcome = 0), sum(outcome = 1),"  # noqa: S608
                " sum(outcome = 2), sum(outcome = 3),"
                " sum(status = 'delivered'), sum(status = 'failed'),"
                f" sum({_PENDING.replace('m.', '')})"
                f" FROM messages WHERE job_id IN ({marks}) AND pos >= 0 GROUP BY job_id",
                tuple(job_ids),
            )
        }
        # Numbers of chunks without an answer have no rows: count them from the chunks.
        waiting = {
            int(row[0]): (int(row[1] or 0), int(row[2] or 0))
            for row in self._db.execute(
                "SELECT job_id, sum(CASE WHEN state = 'sending' THEN size END),"  # noqa: S608
                " sum(CASE WHEN state = 'planned' THEN size END)"
                f" FROM chunks WHERE job_id IN ({marks}) AND state IN ('planned', 'sending')"
                " GROUP BY job_id",
                tuple(job_ids),
            )
        }
        counts = {}
        for job_id in job_ids:
            acc, rej, unk, unsent, delivered, failed, pending = answered.get(job_id, [0] * 7)
            flying, planned = waiting.get(job_id, (0, 0))
            counts[job_id] = Counts(
                acc, rej, unk + flying, unsent + planned, delivered, failed, pending
            )
        return counts

    @_guarded
    def chunks(self, job_id: int) -> list[ChunkInfo]:
        """A job's chunks with their first and last numbers."""
        job = self.job(job_id)
        # Answered chunks keep their numbers in their messages rows only.
        ends: dict[tuple[int, int], str] = {
            (int(row[0]), int(row[1])): str(row[2])
            for row in self._db.execute(
                "SELECT m.chunk, m.pos, m.number FROM chunks c JOIN messages m"
                " ON m.job_id = c.job_id AND m.chunk = c.idx AND m.pos IN (0, c.size - 1)"
                " WHERE c.job_id = ? AND c.numbers IS NULL",
                (job_id,),
            )
        }
        out = []
        for row in self._db.execute(
            f"SELECT {_CHUNK_COLUMNS}, numbers FROM chunks"  # noqa: S608
            " WHERE job_id = ? ORDER BY idx",
            (job_id,),
        ):
            info = _chunk_info(row[:11], job.live)
            if row[11] is None:
                first = ends.get((info.index, 0), "")
                last = ends.get((info.index, info.size - 1), "")
            else:
                numbers = str(row[11])
                first, _, _ = numbers.partition("\n")
                _, _, last = numbers.rpartition("\n")
            out.append(replace(info, first=first or None, last=last or None))
        return out

    @_guarded
    def job_messages(self, job_id: int) -> list[Message]:
        """Every number of the job in send order (rewritten numbers after their chunk's)."""
        job = self.job(job_id)
        rows: dict[int, list[Message]] = {}
        for row in self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS}, coalesce(c.finished, c.started) FROM messages m"  # noqa: S608
            " JOIN chunks c ON c.job_id = m.job_id AND c.idx = m.chunk"
            " WHERE m.job_id = ? ORDER BY m.chunk, m.pos",
            (job_id,),
        ):
            rows.setdefault(int(row[1]), []).append(_message(row, row[_MESSAGE_WIDTH]))
        out: list[Message] = []
        for info, chunk in self._chunks_with_plans(job, answered=False):
            answered = rows.get(info.index)
            if answered is not None:
                out.extend(m for m in answered if m.pos >= 0)
                # Numbers the gateway rewrote (-1, -2, ...) follow, as `send` printed them.
                out.extend(m for m in reversed(answered) if m.pos < 0)
            else:
                # No rows: planned or in flight (shown not_sent / unknown once its process died).
                in_flight = info.state in (SENDING, ChunkState.UNKNOWN.value)
                sent = info.finished or info.started
                out.extend(_unanswered(job_id, chunk, in_flight, job.live, sent))
        return out

    @_guarded
    def messages_to(
        self,
        number: str,
        *,
        since: datetime | None = None,
        profile: str | None = None,
        job_id: int | None = None,
    ) -> list[NumberHit]:
        """Every message to `number` (normalised) across profiles and jobs, newest job first,
        including numbers of requests without an answer (in flight, never started)."""
        where, params = _job_filter(since, profile, job_id, table="j")
        extra = "".join(f" AND {w}" for w in where)
        job_columns = ", ".join(f"j.{c.strip()}" for c in _JOB_COLUMNS.split(","))
        hits = [
            NumberHit(
                _job(row[_MESSAGE_WIDTH + 1 :], self.path), _message(row, row[_MESSAGE_WIDTH])
            )
            for row in self._db.execute(
                f"SELECT {_MESSAGE_COLUMNS}, coalesce(c.finished, c.started),"  # noqa: S608
                f" {job_columns} FROM messages m JOIN jobs j ON j.id = m.job_id"
                " JOIN chunks c ON c.job_id = m.job_id AND c.idx = m.chunk"
                f" WHERE m.number = ?{extra}",
                [_key(number), *params],
            )
        ]
        hits.extend(self._unanswered_hits(number, extra, params))
        hits.sort(key=lambda h: (-h.job.id, h.message.chunk, h.message.pos))
        return hits

    def _unanswered_hits(
        self, number: str, extra: str, params: list[object]
    ) -> Iterator[NumberHit]:
        job_columns = ", ".join(f"j.{c.strip()}" for c in _JOB_COLUMNS.split(","))
        for row in self._db.execute(
            f"SELECT c.state, c.started, {_C_PLAN_COLUMNS},"  # noqa: S608
            f" {job_columns} FROM chunks c JOIN jobs j ON j.id = c.job_id"
            " WHERE c.state IN ('planned', 'sending')"
            " AND instr(char(10) || c.numbers || char(10), char(10) || ? || char(10)) > 0"
            f"{extra}",
            [number, *params],
        ):
            job = _job(row[7:], self.path)
            chunk = _plan(row[2:7])
            for message in _unanswered(job.id, chunk, row[0] == SENDING, job.live, _dt(row[1])):
                if message.number == number:
                    yield NumberHit(job, message)

    # -- for `report` ------------------------------------------------------------------------------

    _TRACKED: Final = "SELECT m.msg_id, m.number, m.status, m.status_time, m.code, m.detail"

    @_guarded
    def ids_for_job(self, job_id: int) -> dict[str, Tracked]:
        """msgId -> (number, status, time, code, detail) of a job's accepted messages."""
        self.job(job_id)
        return dict(
            _tracked(row)
            for row in self._db.execute(
                f"{self._TRACKED} FROM messages m WHERE m.job_id = ? AND m.msg_id IS NOT NULL"
                " ORDER BY m.chunk, m.pos",
                (job_id,),
            )
        )

    @_guarded
    def ids_for_last_job(self, profile: str | None = None) -> dict[str, Tracked]:
        """The newest job's (of `profile`, or of any) ids; {} when there is no job."""
        job_id = self.last_job_id(profile)
        return {} if job_id is None else self.ids_for_job(job_id)

    @_guarded
    def ids_since(self, since: datetime, profile: str | None = None) -> dict[str, Tracked]:
        """The ids of every job created since `since` (of `profile`, or of any)."""
        where, params = _job_filter(since, profile, None, table="j")
        return dict(
            _tracked(row)
            for row in self._db.execute(
                f"{self._TRACKED} FROM messages m JOIN jobs j ON j.id = m.job_id"
                f" WHERE m.msg_id IS NOT NULL AND {' AND '.join(where)}"
                " ORDER BY j.id, m.chunk, m.pos",
                params,
            )
        )

    @_guarded
    def lookup(self, msg_ids: Sequence[str], provider: str | None = None) -> dict[str, Tracked]:
        """What the history knows of these msgIds (of `provider`'s jobs, or of any): their
        messages' last states, and reports kept for msgIds no job holds (orphan_reports).
        Ids it knows nothing of are left out. A kept report wins over its message's state
        only when it is final and the message's is not (it arrived before the message was
        journalled)."""
        found: dict[str, Tracked] = {}
        for start in range(0, len(msg_ids), _LOOKUP_BATCH):
            part = list(msg_ids[start : start + _LOOKUP_BATCH])
            found.update(self._tracked_messages(part, provider))
            for msg_id, kept in self._tracked_orphans(part, provider).items():
                known = found.get(msg_id)
                if known is None:
                    found[msg_id] = kept
                elif not _is_final(known.status) and _is_final(kept.status):
                    found[msg_id] = kept._replace(number=known.number or kept.number)
        return found

    def _tracked_messages(self, msg_ids: list[str], provider: str | None) -> dict[str, Tracked]:
        scope, params = "", [_key(i) for i in msg_ids]
        if provider is not None:
            # `+`: not a way into the table (that is the msgId index), only a filter.
            scope = " AND +m.job_id IN (SELECT id FROM jobs WHERE provider = ?)"
            params.append(provider)
        # In job order, so a msgId a gateway reused answers with its newest message.
        return dict(
            _tracked(row)
            for row in self._db.execute(
                f"{self._TRACKED} FROM messages m WHERE m.msg_id IN ({_marks(msg_ids)})"
                f"{scope} ORDER BY m.job_id, m.chunk, m.pos",
                params,
            )
        )

    def _tracked_orphans(self, msg_ids: list[str], provider: str | None) -> dict[str, Tracked]:
        scope, params = "", [*msg_ids]
        if provider is not None:
            scope = " AND provider = ?"
            params.append(provider)
        return dict(
            _tracked(row)
            for row in self._db.execute(
                "SELECT msg_id, number, status, status_time, code, detail"  # noqa: S608
                f" FROM orphan_reports WHERE msg_id IN ({_marks(msg_ids)}){scope}"
                " ORDER BY received, rowid",
                params,
            )
        )

    @_guarded
    def sent_times(
        self, msg_ids: Sequence[str], provider: str | None = None
    ) -> dict[str, datetime]:
        """When the request of each msgId's message was answered (ids the history holds):
        tells a message still queued at the gateway from one the gateway has forgotten."""
        found: dict[str, datetime] = {}
        for start in range(0, len(msg_ids), _LOOKUP_BATCH):
            part = list(msg_ids[start : start + _LOOKUP_BATCH])
            scope, params = "", [_key(i) for i in part]
            if provider is not None:
                # `+`: not a way into the table (that is the msgId index), only a filter.
                scope = " AND +m.job_id IN (SELECT id FROM jobs WHERE provider = ?)"
                params.append(provider)
            rows = self._db.execute(
                "SELECT m.msg_id, coalesce(c.finished, c.started) FROM messages m"  # noqa: S608
                " JOIN chunks c ON c.job_id = m.job_id AND c.idx = m.chunk"
                f" WHERE m.msg_id IN ({_marks(part)}){scope} ORDER BY m.job_id",
                params,
            )
            for msg_id, when in rows:
                sent = _dt(when)
                if sent is not None:
                    found[str(msg_id)] = sent
        return found

    @_guarded
    def orphan_reports(self, provider: str | None = None) -> dict[str, Tracked]:
        """The reports kept for msgIds no job holds, oldest first."""
        sql = "SELECT msg_id, number, status, status_time, code, detail FROM orphan_reports"
        params: tuple[str, ...] = ()
        if provider is not None:
            sql += " WHERE provider = ?"
            params = (provider,)
        return dict(
            _tracked(row) for row in self._db.execute(sql + " ORDER BY received, rowid", params)
        )

    @_guarded
    def record_reports(self, reports: Iterable[Report], *, provider: str | None = None) -> int:
        """Write delivery states back by msgId; returns how many messages changed. msgIds are
        unique within one provider's platform only: pass `provider` to keep another
        provider's message with the same id untouched. A final state (delivered/failed) is
        never replaced by a non-final one: gateways forget old ids and answer not_found.

        With `provider`, a report for a msgId none of its jobs holds is kept in
        orphan_reports (a queue provider hands it out only once), unless it only says
        not_found; kept reports whose message has appeared since are moved onto it. All in one
        transaction: the reports are saved, or (on an error) none is."""
        reports = list(reports)
        now = _ts(_now())
        keys = [_key(r.msg_id) for r in reports]
        with self._write() as db:
            held = _held(db, keys, provider)
            updates: list[tuple[object, ...]] = []
            for report, key in zip(reports, keys, strict=True):
                state = (
                    report.status.value,
                    _ts(report.time) if report.time else None,
                    report.code,
                    report.detail,
                )
                for position, stored in held.get(key, ()):
                    # Written only when the report changes the row (asking again about
                    # pending messages costs a read, not a write), and a final state is
                    # never replaced by a non-final one.
                    if stored == state or (stored[0] in _FINAL and state[0] not in _FINAL):
                        continue
                    updates.append((*state, now, *position))
            db.executemany(
                "UPDATE messages SET status = ?, status_time = ?, code = ?, detail = ?,"
                " updated = ? WHERE job_id = ? AND chunk = ? AND pos = ?",
                updates,
            )
            if provider is not None:
                strays = [r for r, key in zip(reports, keys, strict=True) if key not in held]
                _keep_orphans(db, strays, provider, now)
                _adopt_orphans(db, provider, now)
            return len(updates)

    # -- raw report answers (queue providers) ---------------------------------------------------

    @_guarded
    def keep_raw_report(
        self,
        *,
        provider: str,
        profile: str | None,
        body: bytes,
        content_type: str | None,
        http_status: int,
    ) -> int:
        """Save an answer's bytes before anything reads them; returns its id."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO raw_reports (provider, profile, received, http_status,"
                " content_type, body, state) VALUES (?, ?, ?, ?, ?, ?, 'new')",
                (provider, profile, _ts(_now()), http_status, content_type, body),
            )
            return int(cursor.lastrowid or 0)

    @_guarded
    def raw_report_read(self, raw_id: int, reports: int) -> None:
        """The answer was read: dropped when it held no report (a --wait poll makes many)."""
        with self._write() as db:
            if reports:
                db.execute(
                    "UPDATE raw_reports SET state = 'read', reports = ? WHERE id = ?",
                    (reports, raw_id),
                )
            else:
                db.execute("DELETE FROM raw_reports WHERE id = ?", (raw_id,))

    @_guarded
    def raw_report_unreadable(self, raw_id: int, error: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE raw_reports SET state = 'unreadable', error = ? WHERE id = ?",
                (error, raw_id),
            )

    @_guarded
    def raw_reports(self, state: str | None = None) -> list[RawReport]:
        """Kept answers, oldest first (`state`: new, read or unreadable)."""
        sql = (
            "SELECT id, provider, profile, received, http_status, content_type, body, state,"
            " reports, error FROM raw_reports"
        )
        params: tuple[str, ...] = ()
        if state is not None:
            sql += " WHERE state = ?"
            params = (state,)
        return [
            RawReport(
                id=row[0],
                provider=row[1],
                profile=row[2],
                received=_dt(row[3]) or _now(),
                http_status=row[4],
                content_type=row[5],
                body=bytes(row[6]),
                state=row[7],
                reports=row[8],
                error=row[9],
            )
            for row in self._db.execute(sql + " ORDER BY id", params)
        ]

    @_guarded
    def first_notice(self, name: str) -> bool:
        """True the first time `name` is asked about (then never again): for warnings that
        are worth giving once per history, not once per command."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO notices (name, shown) VALUES (?, ?)", (name, _ts(_now()))
            )
            return cursor.rowcount == 1

    # -- retention -------------------------------------------------------------------------------

    @_guarded
    def prune(self, older_than: timedelta, *, dry_run: bool = False) -> PruneCounts:
        """Delete jobs created more than `older_than` ago (never one still being sent), and
        kept reports (orphan_reports) received that long ago."""
        cutoff = _ts(_now() - older_than)
        counts = PruneCounts()
        with self._write() as db:
            jobs = [
                job
                for job in (
                    _job(row, self.path)
                    for row in db.execute(
                        f"SELECT {_JOB_COLUMNS} FROM jobs WHERE created < ?",  # noqa: S608
                        (cutoff,),
                    )
                )
                if not job.live
            ]
            if dry_run:
                for part in _prune_batches(jobs):
                    counts = _add(counts, _delete_jobs(db, part, dry_run=True))
                return replace(counts, orphan_reports=_delete_orphans(db, cutoff, True))
        # One transaction per batch of jobs (about _PRUNE_NUMBERS messages): a month of a busy
        # account is deleted without the WAL, or SQLite's memory for one transaction, growing
        # to its size. Each job goes whole or not at all.
        deleted: list[int] = []
        for part in _prune_batches(jobs):
            with self._write() as db:
                # A resume may have taken one of them over since they were selected.
                live = {
                    job.id
                    for job in (
                        _job(row, self.path)
                        for row in db.execute(
                            f"SELECT {_JOB_COLUMNS} FROM jobs"  # noqa: S608
                            f" WHERE id IN ({_marks(part)})",
                            part,
                        )
                    )
                    if job.live
                }
                part = [i for i in part if i not in live]
                if part:
                    counts = _add(counts, _delete_jobs(db, part, dry_run=False))
                    deleted.extend(part)
        with self._write() as db:
            counts = replace(counts, orphan_reports=_delete_orphans(db, cutoff, False))
            db.execute("DELETE FROM raw_reports WHERE received < ?", (cutoff,))
        for job_id in deleted:
            with contextlib.suppress(OSError):
                lock_path(self.path, job_id).unlink()
            for _, path in _answered_markers(self.path, job_id).values():
                with contextlib.suppress(OSError):
                    path.unlink()
        if counts.jobs or counts.orphan_reports:
            _give_back(self._db)
        return counts


# Messages deleted per transaction by `prune` (whole jobs; at most 500 jobs).
_PRUNE_NUMBERS: Final = 100_000


def _prune_batches(jobs: Sequence[Job]) -> Iterator[list[int]]:
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


def _job_filter(
    since: datetime | None, profile: str | None, job_id: int | None, table: str = "jobs"
) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if since is not None:
        where.append(f"{table}.created >= ?")
        params.append(_ts(since))
    if profile is not None:
        where.append(f"{table}.profile = ?")
        params.append(profile)
    if job_id is not None:
        where.append(f"{table}.id = ?")
        params.append(job_id)
    return where, params


def _delete_jobs(db: sqlite3.Connection, ids: list[int], dry_run: bool) -> PruneCounts:
    marks = _marks(ids)
    verb = "SELECT count(*)" if dry_run else "DELETE"
    counted = []
    for table in ("messages", "chunks"):
        cursor = db.execute(f"{verb} FROM {table} WHERE job_id IN ({marks})", ids)
        counted.append(int(cursor.fetchone()[0]) if dry_run else cursor.rowcount)
    if not dry_run:
        db.execute(f"DELETE FROM jobs WHERE id IN ({marks})", ids)  # noqa: S608
    return PruneCounts(len(ids), counted[1], counted[0])


def _delete_orphans(db: sqlite3.Connection, cutoff: str, dry_run: bool) -> int:
    verb = "SELECT count(*)" if dry_run else "DELETE"
    cursor = db.execute(f"{verb} FROM orphan_reports WHERE received < ?", (cutoff,))
    return int(cursor.fetchone()[0]) if dry_run else cursor.rowcount


_FINAL: Final = frozenset({DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value})

# The position of a message, and its stored (status, status_time, code, detail).
_Held = tuple[tuple[int, int, int], tuple[object, object, object, object]]


def _held(
    db: sqlite3.Connection, keys: Sequence[int | str], provider: str | None
) -> dict[int | str, list[_Held]]:
    """The messages holding these msgIds (as _key; of `provider`'s jobs, or of any): their
    positions and delivery states, read through the msgId index a batch at a time."""
    scope, extra = "", tuple[str, ...]()
    if provider is not None:
        scope, extra = " AND +job_id IN (SELECT id FROM jobs WHERE provider = ?)", (provider,)
    held: dict[int | str, list[_Held]] = {}
    for start in range(0, len(keys), _LOOKUP_BATCH):
        part = keys[start : start + _LOOKUP_BATCH]
        for row in db.execute(
            "SELECT msg_id, job_id, chunk, pos, status, status_time, code, detail"  # noqa: S608
            f" FROM messages WHERE msg_id IN ({_marks(part)}){scope}",
            (*part, *extra),
        ):
            held.setdefault(row[0], []).append(((row[1], row[2], row[3]), tuple(row[4:8])))
    return held


def _is_final(status: DeliveryStatus | None) -> bool:
    return status is not None and status.final


def _keep_orphans(
    db: sqlite3.Connection, reports: Sequence[Report], provider: str, now: str
) -> None:
    """Reports no message of `provider` takes, kept by (provider, msgId); the same rule as for
    messages: a final state is never replaced by a non-final one."""
    db.executemany(
        "INSERT INTO orphan_reports (provider, msg_id, number, status, status_time, code,"
        " detail, received) SELECT ?, ?, ?, ?, ?, ?, ?, ?"
        " WHERE NOT EXISTS (SELECT 1 FROM messages m JOIN jobs j ON j.id = m.job_id"
        " WHERE m.msg_id = ? AND j.provider = ?)"
        " ON CONFLICT (provider, msg_id) DO UPDATE SET number = coalesce(excluded.number,"
        " number), status = excluded.status, status_time = excluded.status_time,"
        " code = excluded.code, detail = excluded.detail, received = excluded.received"
        " WHERE status NOT IN ('delivered', 'failed')"
        " OR excluded.status IN ('delivered', 'failed')",
        (
            (
                provider,
                r.msg_id,
                r.number,
                r.status.value,
                _ts(r.time) if r.time else None,
                r.code,
                r.detail,
                now,
                _key(r.msg_id),
                provider,
            )
            for r in reports
            if r.status is not DeliveryStatus.NOT_FOUND
        ),
    )


def _adopt_orphans(db: sqlite3.Connection, provider: str, now: str) -> None:
    """Kept reports whose message has been journalled since (a report pulled while its send's
    answer was still on the way) move onto the message."""
    db.execute(
        "UPDATE messages SET status = o.status, status_time = o.status_time, code = o.code,"  # noqa: S608
        " detail = o.detail, updated = ? FROM orphan_reports o"
        f" WHERE o.provider = ? AND messages.msg_id = {_key_sql('o.msg_id')}"
        " AND messages.job_id IN (SELECT id FROM jobs WHERE provider = ?)"
        " AND (messages.status IS NULL OR messages.status NOT IN ('delivered', 'failed')"
        " OR o.status IN ('delivered', 'failed'))",
        (now, provider, provider),
    )
    db.execute(
        "DELETE FROM orphan_reports WHERE provider = ? AND EXISTS (SELECT 1 FROM messages m"  # noqa: S608
        f" WHERE m.msg_id = {_key_sql('orphan_reports.msg_id')}"
        " AND m.job_id IN (SELECT id FROM jobs WHERE provider = ?))",
        (provider, provider),
    )


def _add(a: PruneCounts, b: PruneCounts) -> PruneCounts:
    return PruneCounts(a.jobs + b.jobs, a.chunks + b.chunks, a.messages + b.messages)


class RawKeeper:
    """A store's raw_reports as reporting.drain_queue's keeper: every report answer of
    `provider` saved before it is read."""

    def __init__(self, store: Store, provider: str, profile: str | None = None) -> None:
        self.store = store
        self.provider = provider
        self.profile = profile

    def keep(self, raw: RawAnswer) -> int:
        return self.store.keep_raw_report(
            provider=self.provider,
            profile=self.profile,
            body=raw.body,
            content_type=raw.content_type,
            http_status=raw.http_status,
        )

    def read(self, raw_id: int, reports: int) -> None:
        self.store.raw_report_read(raw_id, reports)

    def unreadable(self, raw_id: int, error: str) -> str:
        self.store.raw_report_unreadable(raw_id, error)
        return f"the history {self.store.path} (table raw_reports, id {raw_id})"

    def unread(self) -> list[tuple[int, RawAnswer]]:
        kept = self.store.raw_reports("new") + self.store.raw_reports("unreadable")
        return [
            (raw.id, RawAnswer(raw.body, raw.content_type, raw.http_status))
            for raw in sorted(kept, key=lambda raw: raw.id)
            if raw.provider == self.provider
        ]


ANSWERED_UNRECORDED: Final = (
    "answered by the gateway while the history could not record it (disk full): sent, but "
    "its msgIds were lost with that answer; `smscli sync` or `lookup` finds them in the "
    "gateway's records"
)


def _marked_outcome(chunk: Chunk, state: str) -> ChunkOutcome | None:
    """What a marker (mark_answered) says of a request its run could not record. Accepted:
    sent, its msgIds lost with the answer (never resent; `sync`/`lookup` find them in the
    gateway's records). Rejected or refused: as the gateway said. Anything else: unknown."""
    if state == ChunkState.ACCEPTED.value:
        result = SendResult((), success=len(chunk.numbers), fail=0)
        return ChunkOutcome(
            chunk, ChunkState.ACCEPTED, result=result, attempts=0,
            error=SmsCliError(ANSWERED_UNRECORDED), untracked=tuple(chunk.numbers),
        )
    if state in (ChunkState.REJECTED.value, ChunkState.REFUSED.value):
        error = GatewayError(f"{ANSWERED_UNRECORDED} (the gateway said no)")
        return ChunkOutcome(chunk, ChunkState(state), error=error, attempts=0)
    return None


class StoreJournal:
    """sending.Journal over the history. `before` commits the chunk as `sending` before its
    request leaves, so a kill -9 right after still leaves a record (a resume then treats it as
    unknown). A failed `before` stops the run: an unrecorded chunk must not leave. A failed
    `after` is kept in `failures` and raised: the run stops starting requests (the chunk stays
    `sending`, unknown to a resume), and `retry_failures` tries those answers again later."""

    def __init__(self, store: Store, job_id: int, *, store_content: bool = True) -> None:
        self.store = store
        self.job_id = job_id
        self.store_content = store_content
        self.failures: list[StoreError] = []
        self.unrecorded: list[ChunkOutcome] = []  # answers the history could not take

    def before(self, chunk: Chunk) -> None:
        try:
            self.store._chunk_sending(self.job_id, chunk, self.store_content)
        except sqlite3.Error as exc:
            raise store_error(
                self.store.path, exc, f"cannot record request {chunk.index + 1} before sending it"
            ) from None

    def after(self, outcome: ChunkOutcome) -> None:
        try:
            self.store._chunk_result(self.job_id, outcome, self.store_content)
        except sqlite3.Error as exc:
            doing = f"cannot record the answer to request {outcome.chunk.index + 1}"
            error = store_error(self.store.path, exc, doing)
            self.failures.append(error)
            self.unrecorded.append(outcome)
            raise error from None

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


# --------------------------------------------------------------------------- opening


def _create_private(path: pathlib.Path) -> bool:
    """Directory 0700 and file 0600 before SQLite touches them (its -wal and -shm files take
    the database file's mode); True when the file is new and empty. Existing ones are the
    user's: their modes are left alone."""
    try:
        if not path.parent.is_dir():
            if path.parent.exists():
                # mkdir(exist_ok=True) raises FileExistsError for a file in the way, which
                # would read as "the database exists" below.
                raise NotADirectoryError(errno.ENOTDIR, "the data directory is a file")
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return path.stat().st_size == 0
    except OSError as exc:
        raise StoreError(
            f"cannot create the history database {path}: {exc.strerror or exc}",
            hint="check the data directory's permissions, or use --no-history",
        ) from None
    return True


def _configure(db: sqlite3.Connection, new: bool) -> None:
    if new:
        # Lets `prune` give space back. Only possible on an empty file, and only asked then:
        # on an existing one it would wait for the write lock.
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL skips the fsync per commit, yet a commit survives the process crashing
    # or being killed (only an OS crash or power loss can drop the last commits) - the failure
    # the journal exists for. FULL would cost an fsync per chunk.
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    # 16 MB of page cache keeps the indexes of a 200,000-number job in memory while journalled.
    db.execute("PRAGMA cache_size = -16000")


def _give_back(db: sqlite3.Connection) -> None:
    """Return the file's free pages to the file system (auto_vacuum = INCREMENTAL). Through
    executescript: the pragma frees one page per step, and execute() steps a statement that
    returns no columns only once (it freed a single page)."""
    db.executescript("PRAGMA incremental_vacuum;")


def _migrate(db: sqlite3.Connection, path: pathlib.Path) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the history database {path} was written by a newer smscli (schema {version})",
            hint="upgrade smscli, or set SMSCLI_DATA_DIR to use another history",
        )
    db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while this one waited for the lock.
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        for statements in _MIGRATIONS[version:]:
            for statement in statements:
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    if version < 5:
        # v5 rewrote the messages (and chunks) tables: the old copies' pages go back.
        _give_back(db)


def open_store(path: pathlib.Path | None = None) -> Store:
    return Store.open(path)
