"""An offline simulator of the laaffic / onbuka / itniotech "v3" JSON API (providers.md part A).

`provider = "sandbox"` uses it so a new user can try smscli with no account and no network, and
the test suite uses it as its fake gateway, in-process (`httpx.MockTransport(sandbox.handle)`)
or over real HTTP (`LoopbackServer(sandbox.handle)`). It follows the documented protocol as
strictly as the documents allow: a client that works against it should work against the real
platform. Where the documents are silent the sandbox takes the stricter reading.

Endpoints are matched on the end of the URL path, so any base path works (`/v3/sendSms`,
`/sms/sendSms`, `/x/v3/getReport`): `sendSms` (GET query or POST JSON), `sendSms/batch` (POST),
`getReport` (GET), `getBalance` (GET), and the account-wide `getSentRcd` (GET) and `recordMo`
(POST), with injected inbound messages (smscli.gateways.sandbox_account). Unknown path:
HTTP 404; wrong method: HTTP 405 (both with a Spring-style JSON body). Every API-level error
is HTTP 200 with `status` != "0".

Quirk modes (`quirks=`, `sandbox serve --quirk`, the profile's `sandbox_quirks`) reshape the
answers as real servers send them: a BOM, numbers as JSON numbers, no `credit`, no `array`...
(smscli.gateways.quirks.V3_QUIRKS lists them).

Magic values (the same data as MAGIC_NUMBER_SUFFIXES and MAGIC_CONTENT):

    ==============================  ============================================================
    number ending in ``0999``       accepted; getReport status ``1`` (failed) after the delay
    number ending in ``0998``       accepted; getReport status ``-1`` (sending) forever
    number ending in ``0997``       rejected as abnormal: not in ``array``, counted in ``fail``
    any other valid number          accepted; ``-1`` until delivery_delay, then ``0`` (delivered)
    content has SANDBOX:SENSITIVE   whole request rejected with ``-3``
    content has SANDBOX:NOBALANCE   whole request rejected with ``-10``
    ==============================  ============================================================

Status codes, in the order the checks run (the first failing check answers; nothing is stored
or charged unless the answer is ``0``):

    ====  ========================================================================================
    -1    Api-Key header missing or wrong
    -16   Timestamp not 1-12 ASCII digits, or more than 30 minutes away from clock()
    -1    Sign missing or not md5(Api-Key + secret + Timestamp) (hex, any case)
    -22   POST body not a JSON object
    -32   appId missing or not this account's (sendSms, sendSms/batch, getReport)
    -22   batch ``array`` not a list or an element not an object
    -8    batch ``array`` empty
    -4    content missing or blank (per element for a batch, elements in order)
    -5    content longer than 1024, counted in UTF-16 units as the Java platform counts
    -3    content contains SANDBOX:SENSITIVE
    -10   content contains SANDBOX:NOBALANCE
    -8    numbers missing or blank
    -7    more than 100 numbers (GET) / 1000 (POST and each batch element)
    -22   senderId longer than 32; orderId count differs from the numbers count; numbers,
          content, senderId or orderId present but not a JSON string (checked when read)
    -7    a batch call with more than 1000 numbers in total
    -9    every number is abnormal (not 6-15 ASCII digits, leading 0, or the 0997 magic)
    -10   the balance cannot pay 0.01 per accepted message
    -14   getReport: msgIds missing or blank, or more than 200 ids
    -18   the state store failed (e.g. the SQLite file stayed locked for 30 s)
    ====  ========================================================================================

Numbers are taken exactly as given between the commas: no trimming, no ``+``. An empty entry
(``a,,b``) is an abnormal number, so orderIds stay aligned with numbers by position.

Choices where providers.md leaves one: -32 for a wrong appId (a client must cope with both -1
and -32 on the real platform, and the sandbox already produces -1 for bad signatures); -22 for
malformed parameters (-22 is listed for a v3 endpoint, recordMo; -21 is listed for none); -14 for
over-long getReport queries (in getReport's documented list, unlike -23); a batch call is capped
at 1000 numbers in total (the real cap is undocumented, so the sandbox assumes the POST one).

Each number in a request gets its own msgId: 19 digits, yyMMddHHmmss (UTC+8) then a 7-digit
sequence, kept in the state store so ids stay unique and increasing across threads and processes.
In getReport, a repeated msgId is answered once, and ids the sandbox never issued (including
malformed ones) count in ``nofound``.

State: ``state_dir/sandbox.sqlite3`` (WAL), or memory when state_dir is None. Every Sandbox
opened on the same directory, in any thread or process, shares the balance, the msgId counter
and the messages. A request's accepted messages are stored as runs of consecutive msgIds, one
row per run of at most 128: first msgId, count, the numbers (each space-padded to 15 bytes, so
getReport takes one out with substr) and the submission time. A message's fate is not stored:
getReport derives it from the number's suffix (the magic table) and the time. The file records
its schema version (``PRAGMA user_version``): a file written by an older smscli (one row per
message) is converted when opened, keeping balance, msgIds and messages; a file with any other
schema is recreated (messages forgotten, opening balance restored). Do not share a state
directory with an older smscli running at the same time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import json
import pathlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from json.encoder import encode_basestring
from typing import Any, Final, cast

import httpx

from smscli.gateways.sandbox_account import MAX_SENT_PAGE, AccountError, SandboxAccount

# The documentation's published sample credentials, so the docs' test vector works as-is.
SANDBOX_API_KEY: Final = "bDqJFiq9"
SANDBOX_API_SECRET: Final = "7bz1lzh9"  # noqa: S105
SANDBOX_APP_ID: Final = "4luaKsL2"

MAX_NUMBERS_GET: Final = 100
MAX_NUMBERS_POST: Final = 1000
MAX_NUMBERS_BATCH: Final = 1000
MAX_CONTENT_CHARS: Final = 1024
MAX_SENDER_ID_CHARS: Final = 32
MAX_REPORT_IDS: Final = 200
TIMESTAMP_TOLERANCE_SECONDS: Final = 30 * 60
MESSAGE_PRICE: Final = Decimal("0.01")

# The platform's samples use +08:00; any fixed offset would do.
SANDBOX_TZ: Final = timezone(timedelta(hours=8))

MAGIC_NUMBER_SUFFIXES: Final[dict[str, str]] = {
    "0999": "accepted; delivery fails (getReport status 1 after delivery_delay)",
    "0998": "accepted; never delivered (getReport status -1 forever)",
    "0997": "rejected at submission as an abnormal number (not in array, counted in fail)",
}
MAGIC_CONTENT: Final[dict[str, str]] = {
    "SANDBOX:SENSITIVE": "-3",
    "SANDBOX:NOBALANCE": "-10",
}

# Reasons worded as on the English documentation pages (S3, S9).
STATUS_REASONS: Final[dict[str, str]] = {
    "0": "success",
    "-1": "Authentication error",
    "-3": "Sensitive characters in SMS content",
    "-4": "SMS content is empty",
    "-5": "The SMS content is too long",
    "-7": "Phone number exceeds limit",
    "-8": "The phone number is empty",
    "-9": "Abnormal phone number",
    "-10": "The customer's balance is insufficient",
    "-11": "Incorrect time format",
    "-14": "Field is empty or query ID is abnormal",
    "-15": "Query too frequent",
    "-16": "Timestamp expires",
    "-18": "port program unusual",
    "-22": "parameter exception",
    "-25": "out of time range",
    "-32": "API key has no permission for this app",
}

_JSON_CONTENT_TYPE: Final = "application/json;charset=UTF-8"
_NUMBER_RE: Final = re.compile(r"[1-9][0-9]{5,14}")
# A whole `numbers` field of valid numbers, checked in one call (the usual case).
_NUMBERS_RE: Final = re.compile(r"[1-9][0-9]{5,14}(?:,[1-9][0-9]{5,14})*")
_MSG_ID_RE: Final = re.compile(r"[1-9][0-9]{18}")
# The largest SQLite integer: a longer-lived id cannot have been issued (nor bound as a parameter).
_MAX_MSG_ID_TEXT: Final = str(2**63 - 1)
_TIMESTAMP_RE: Final = re.compile(r"[0-9]{1,12}")
# Balances are kept in ten-thousandths so that "100.0000" arithmetic stays exact in SQLite.
_UNITS: Final = 10_000
_PRICE_UNITS: Final = int(MESSAGE_PRICE * _UNITS)
# The samples' sequences look like 1000095: start each second at 1000000.
_SEQ_START: Final = 1_000_000
_SEQ_SPAN: Final = 10**7
_MIN_MSG_ID: Final = 10**18
# Stored numbers are space-padded to the longest valid number, so the n-th is at n * 15.
_NUMBER_WIDTH: Final = 15
# msgIds per stored row: 128 x 15 bytes keeps a row inside one 4 KiB page (substr reads a
# whole value, overflow pages included).
_RUN_LENGTH: Final = 128
_SCHEMA_VERSION: Final = 1


class _Fate(IntEnum):
    DELIVER = 0
    FAIL = 1
    STUCK = 2


_SUFFIX_FATES: Final[dict[str, _Fate | None]] = {
    "0999": _Fate.FAIL,
    "0998": _Fate.STUCK,
    "0997": None,
}
_REJECTED_SUFFIXES: Final = tuple(suffix for suffix, fate in _SUFFIX_FATES.items() if fate is None)


class _ApiError(Exception):
    """An answer with a non-zero `status`: raised deep in validation, turned into JSON once."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """What the sandbox saw: header names are lower-case, `json` is None unless it parsed."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    body: bytes


@dataclass(frozen=True, slots=True)
class _Element:
    raw_numbers: str
    numbers: list[str]
    order_ids: list[str] | None
    content: str
    sender_id: str | None


class _Store:
    """The balance, the msgId counter and the accepted messages, in SQLite.

    One connection guarded by a lock serves every thread; SQLite's own file locking (BEGIN
    IMMEDIATE) serialises writers from other processes sharing the file. Only SQL runs under
    the lock: callers prepare rows before and build answers after.
    """

    _TABLES: Final = (
        # One row per run of consecutive msgIds of one request: msgIds first_id ..
        # first_id + size - 1, numbers space-padded to _NUMBER_WIDTH bytes each.
        "CREATE TABLE IF NOT EXISTS runs (first_id INTEGER PRIMARY KEY, size INTEGER NOT NULL,"
        " numbers BLOB NOT NULL, submitted_at REAL NOT NULL)",
        "CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " balance INTEGER NOT NULL, last_msg_id INTEGER NOT NULL)",
    )
    # For each asked id (a JSON array of integers read by json_each, so one statement serves
    # any count): the run holding it is the one with the largest first_id <= id, if the id is
    # inside it. Only constants are formatted into the SQL.
    _LOOKUP: Final = (
        "SELECT q.key, rtrim(CAST(substr(r.numbers, (q.value - r.first_id)"  # noqa: S608
        f" * {_NUMBER_WIDTH} + 1, {_NUMBER_WIDTH}) AS TEXT)), r.submitted_at"
        " FROM json_each(?) AS q JOIN runs AS r"
        " ON r.first_id = (SELECT max(first_id) FROM runs WHERE first_id <= q.value)"
        " WHERE q.value < r.first_id + r.size"
    )

    def __init__(self, path: pathlib.Path | None, initial_balance: int) -> None:
        target = ":memory:" if path is None else str(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            target, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL is durable across process exits, which is all a simulator needs.
            self._db.execute("PRAGMA synchronous=NORMAL")
        # getReport may read pages all over the file: keep up to 16 MiB of them (about a
        # million messages; the default 2 MiB holds about 130,000) rather than re-read them.
        self._db.execute("PRAGMA cache_size = -16384")
        with self._transaction():
            self._prepare_schema()
            # Only the process that creates the file sets the opening balance.
            self._db.execute(
                "INSERT OR IGNORE INTO account (id, balance, last_msg_id) VALUES (1, ?, 0)",
                (initial_balance,),
            )

    def _prepare_schema(self) -> None:
        """Inside the write transaction, so concurrent openers convert a file only once."""
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version == _SCHEMA_VERSION:
            return
        tables = {
            name
            for (name,) in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        if version == 0 and tables <= {"messages", "account"}:
            # New, or the first schema (one row per message, same account table): convert,
            # each old message becoming a run of one.
            for statement in self._TABLES:
                self._db.execute(statement)
            if "messages" in tables:
                self._db.execute(
                    "INSERT INTO runs (first_id, size, numbers, submitted_at)"
                    " SELECT msg_id, 1, CAST(number AS BLOB), submitted_at FROM messages"
                )
                self._db.execute("DROP TABLE messages")
        else:
            # Some other schema (a newer smscli's): a simulator can start over.
            for name in tables:
                quoted = name.replace('"', '""')
                self._db.execute(f'DROP TABLE "{quoted}"')
            for statement in self._TABLES:
                self._db.execute(statement)
        self._db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def _transaction(self) -> ImmediateTransaction:
        return ImmediateTransaction(self._db)

    def submit(self, numbers: Sequence[str], now: float, floor: int) -> int | None:
        """Store the (valid) numbers and charge for them: the first of their consecutive
        msgIds, or None (and nothing stored) if unaffordable."""
        count = len(numbers)
        cost = _PRICE_UNITS * count
        # One C-level format call pads every number (all are 6-15 ASCII digits).
        padded = ((f"%-{_NUMBER_WIDTH}s" * count) % tuple(numbers)).encode("ascii")
        step = _RUN_LENGTH * _NUMBER_WIDTH
        runs = [
            (offset, min(_RUN_LENGTH, count - offset), padded[start : start + step])
            for offset, start in zip(
                range(0, count, _RUN_LENGTH), range(0, len(padded), step), strict=True
            )
        ]
        with self._lock, self._transaction():
            balance, last = self._db.execute(
                "SELECT balance, last_msg_id FROM account WHERE id = 1"
            ).fetchone()
            if balance < cost:
                return None
            first: int = max(last + 1, floor)
            self._db.executemany(
                "INSERT INTO runs (first_id, size, numbers, submitted_at) VALUES (?, ?, ?, ?)",
                [(first + offset, size, chunk, now) for offset, size, chunk in runs],
            )
            self._db.execute(
                "UPDATE account SET balance = ?, last_msg_id = ? WHERE id = 1",
                (balance - cost, first + count - 1),
            )
            return first

    def lookup(self, msg_ids: Sequence[str]) -> list[tuple[int, str, float]]:
        """(index in msg_ids, number, submitted_at) for each id that was issued, in msg_ids'
        order. The ids must be 19-digit decimal strings within SQLite's integer range."""
        if not msg_ids:
            return []
        with self._lock:
            rows: list[tuple[int, str, float]] = self._db.execute(
                self._LOOKUP, (f"[{','.join(msg_ids)}]",)
            ).fetchall()
        rows.sort()
        return rows

    def balance(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT balance FROM account WHERE id = 1").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class ImmediateTransaction:
    """BEGIN IMMEDIATE ... COMMIT/ROLLBACK: take the write lock up front so two processes
    allocating msgIds can never both read the same `last_msg_id`."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error:
                # Never leave the shared connection inside a transaction: every later BEGIN
                # would fail and the sandbox would answer -18 forever.
                self._db.execute("ROLLBACK")
                raise
        else:
            self._db.execute("ROLLBACK")


class Sandbox:
    """The simulated platform. Call `handle` (or use `transport()`) from any number of threads."""

    def __init__(
        self,
        state_dir: pathlib.Path | None,
        *,
        api_key: str = SANDBOX_API_KEY,
        api_secret: str = SANDBOX_API_SECRET,
        app_id: str = SANDBOX_APP_ID,
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
        delivery_delay: float = 3.0,
        record: bool = False,
        balance: str = "100.0000",
        quirks: Iterable[str] = (),
        sent_page_size: int = MAX_SENT_PAGE,
        status_dialect: str = "zh",
        sent_rcd_interval: float = 0.0,
    ) -> None:
        from smscli.gateways import quirks as quirk_modes

        # Answers reshaped as real servers send them (smscli.gateways.quirks.V3_QUIRKS).
        self.quirks = quirk_modes.parse(list(quirks))
        self._api_key = api_key
        self._api_secret = api_secret
        self._app_id = app_id
        self.latency = latency  # public: a bench may change it between phases
        self._clock = clock
        self._delivery_delay = delivery_delay
        self._record = record
        self.received: list[RecordedRequest] = []
        opening_balance = _parse_balance(balance)
        path = None
        if state_dir is not None:
            state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = state_dir / "sandbox.sqlite3"
        self._store = _Store(path, opening_balance)
        # getSentRcd, recordMo and injected inbound messages (smscli.gateways.sandbox_account).
        self.account = SandboxAccount(
            self._store._db,
            self._store._lock,
            clock=self._clock,
            fate=self._fate,
            failing_suffixes=tuple(s for s, f in _SUFFIX_FATES.items() if f is _Fate.FAIL),
            sent_page_size=sent_page_size,
            status_dialect=status_dialect,
            sent_rcd_interval=sent_rcd_interval,
        )
        # Each endpoint answers the JSON body of a "0" answer, already encoded.
        self._endpoints: dict[str, tuple[frozenset[str], Callable[[httpx.Request], bytes]]] = {
            "sendSms/batch": (frozenset({"POST"}), self._send_batch),
            "sendSms": (frozenset({"GET", "POST"}), self._send),
            "getReport": (frozenset({"GET"}), self._get_report),
            "getBalance": (frozenset({"GET"}), self._get_balance),
            "getSentRcd": (frozenset({"GET"}), self._get_sent_rcd),
            "recordMo": (frozenset({"POST"}), self._record_mo),
        }

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def close(self) -> None:
        self._store.close()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.latency > 0:
            time.sleep(self.latency)
        request.read()
        if self._record:
            # list.append is atomic, so concurrent handlers need no lock here.
            self.received.append(_recorded(request))
        name = _endpoint_name(request.url.path)
        if name is None:
            return _http_error(404, "Not Found", request, self._clock())
        methods, endpoint = self._endpoints[name]
        if request.method not in methods:
            response = _http_error(405, "Method Not Allowed", request, self._clock())
            response.headers["Allow"] = ", ".join(sorted(methods))
            return response
        try:
            self._authenticate(request.headers)
            content = endpoint(request)
        except _ApiError as error:
            content = _dumps(_status(error.code))
        except sqlite3.Error:
            content = _dumps(_status("-18"))
        if self.quirks:
            from smscli.gateways.quirks import v3_answer

            http_status, content = v3_answer(name, content, self.quirks)
            return _json_response(http_status, content)
        return _json_response(200, content)

    # -- checks shared by every endpoint -------------------------------------------------

    def _authenticate(self, headers: httpx.Headers) -> None:
        key = headers.get("Api-Key")
        if key is None or not _same(key, self._api_key):
            raise _ApiError("-1")
        timestamp = headers.get("Timestamp", "")
        if not _TIMESTAMP_RE.fullmatch(timestamp):
            raise _ApiError("-16")
        if abs(int(timestamp) - self._clock()) > TIMESTAMP_TOLERANCE_SECONDS:
            raise _ApiError("-16")
        sign = headers.get("Sign")
        if sign is None or not _same(sign.lower(), _sign(key, self._api_secret, timestamp)):
            raise _ApiError("-1")

    def _check_app_id(self, params: Mapping[str, object]) -> None:
        app_id = params.get("appId")
        if not isinstance(app_id, str) or not _same(app_id, self._app_id):
            raise _ApiError("-32")

    # -- endpoints -----------------------------------------------------------------------

    def _send(self, request: httpx.Request) -> bytes:
        params: Mapping[str, object]
        if request.method == "GET":
            params, limit = _query(request), MAX_NUMBERS_GET
        else:
            params, limit = _json_object(request), MAX_NUMBERS_POST
        self._check_app_id(params)
        return self._submit([_parse_element(params, limit)])

    def _send_batch(self, request: httpx.Request) -> bytes:
        body = _json_object(request)
        self._check_app_id(body)
        items = body.get("array")
        if not isinstance(items, list):
            raise _ApiError("-22")
        if not items:
            raise _ApiError("-8")
        elements = [_parse_element(_as_object(item), MAX_NUMBERS_POST) for item in items]
        if sum(len(element.numbers) for element in elements) > MAX_NUMBERS_BATCH:
            raise _ApiError("-7")
        return self._submit(elements)

    def _submit(self, elements: Sequence[_Element]) -> bytes:
        numbers: list[str]
        order_ids: Sequence[str | None] | None
        if len(elements) == 1:
            numbers, order_ids = _accepted(elements[0])
        else:
            numbers, collected = [], list[str | None]()
            with_ids = any(element.order_ids is not None for element in elements)
            for element in elements:
                kept, kept_ids = _accepted(element)
                numbers += kept
                if with_ids:
                    collected += kept_ids if kept_ids is not None else [None] * len(kept)
            order_ids = collected if with_ids else None
        if not numbers:
            raise _ApiError("-9")
        rejected = sum(len(element.numbers) for element in elements) - len(numbers)
        now = self._clock()
        first = self._store.submit(numbers, now, _msg_id_floor(now))
        if first is None:
            raise _ApiError("-10")
        head = {**_status("0"), "success": str(len(numbers)), "fail": str(rejected)}
        return _with_array(head, _submitted_items(first, numbers, order_ids))

    def _get_report(self, request: httpx.Request) -> bytes:
        params = _query(request)
        self._check_app_id(params)
        raw = params.get("msgIds", "")
        if not raw.strip():
            raise _ApiError("-14")
        asked = raw.split(",")
        if len(asked) > MAX_REPORT_IDS:
            raise _ApiError("-14")
        distinct = list(dict.fromkeys(asked))
        # Malformed ids, and ids too large to have been issued, are simply not found.
        wanted = [i for i in distinct if _MSG_ID_RE.fullmatch(i) and i <= _MAX_MSG_ID_TEXT]
        found = self._store.lookup(wanted)
        now = self._clock()
        delay = self._delivery_delay
        items: list[str] = []
        counts = {"0": 0, "1": 0, "-1": 0}
        for index, number, submitted_at in found:
            done_at = submitted_at + delay
            fate = _SUFFIX_FATES.get(number[-4:], _Fate.DELIVER)
            if fate is _Fate.STUCK or now < done_at:
                status, receive_time = "-1", ""
            else:
                status = "1" if fate is _Fate.FAIL else "0"
                receive_time = _iso_seconds(done_at)
            counts[status] += 1
            # As json.dumps writes {"msgId", "number", "receiveTime", "status"}: the id, the
            # time and the status need no escaping (digits, ISO-8601, a code).
            items.append(
                f'{{"msgId":"{wanted[index]}","number":{encode_basestring(number)},'
                f'"receiveTime":"{receive_time}","status":"{status}"}}'
            )
        head = {
            **_status("0"),
            "success": str(counts["0"]),
            "fail": str(counts["1"]),
            "sending": str(counts["-1"]),
            "nofound": str(len(distinct) - len(found)),
        }
        return _with_array(head, ",".join(items))

    def _fate(self, number: str, submitted_at: float) -> tuple[str, float | None]:
        """A message's state now, as getReport computes it: ("0"|"1"|"-1", delivery time)."""
        done_at = submitted_at + self._delivery_delay
        fate = _SUFFIX_FATES.get(number[-4:], _Fate.DELIVER)
        if fate is _Fate.STUCK or self._clock() < done_at:
            return "-1", None
        return ("1" if fate is _Fate.FAIL else "0"), done_at

    def _get_sent_rcd(self, request: httpx.Request) -> bytes:
        params = _query(request)
        self._check_app_id(params)
        try:
            answer = self.account.sent_records(params)
        except AccountError as error:
            raise _ApiError(error.code) from None
        return _dumps({**_status("0"), **answer})

    def _record_mo(self, request: httpx.Request) -> bytes:
        body = _json_object(request)
        self._check_app_id(body)
        try:
            answer = self.account.inbound(body)
        except AccountError as error:
            raise _ApiError(error.code) from None
        return _dumps({**_status("0"), **answer})

    def _get_balance(self, request: httpx.Request) -> bytes:
        return _dumps(
            {
                **_status("0"),
                "balance": _format_units(self._store.balance()),
                "gift": "0.0000",
                "credit": "0.0000",
            }
        )


def _sign(api_key: str, api_secret: str, timestamp: str) -> str:
    """The platform's Sign header: md5(ApiKey + ApiSecret + Timestamp), lower-case hex."""
    return hashlib.md5((api_key + api_secret + timestamp).encode("utf-8")).hexdigest()


# -- request parsing -------------------------------------------------------------------------


def _endpoint_name(path: str) -> str | None:
    segments = path.rstrip("/").split("/")
    if segments[-2:] == ["sendSms", "batch"]:
        return "sendSms/batch"
    if segments[-1] in ("sendSms", "getReport", "getBalance", "getSentRcd", "recordMo"):
        return segments[-1]
    return None


def _query(request: httpx.Request) -> dict[str, str]:
    # A repeated parameter is joined with commas, as Spring binds it to a String field.
    params = request.url.params
    return {key: ",".join(params.get_list(key)) for key in params}


def _json_object(request: httpx.Request) -> dict[str, object]:
    try:
        body = json.loads(request.content)
    except ValueError:
        raise _ApiError("-22") from None
    return _as_object(body)


def _as_object(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _ApiError("-22")
    return value


def _text(params: Mapping[str, object], name: str) -> str | None:
    # The real server would coerce a JSON number to a string; refusing it keeps clients honest.
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    raise _ApiError("-22")


def _parse_element(params: Mapping[str, object], max_numbers: int) -> _Element:
    content = _text(params, "content")
    if content is None or not content.strip():
        raise _ApiError("-4")
    if _java_length(content) > MAX_CONTENT_CHARS:
        raise _ApiError("-5")
    for marker, code in MAGIC_CONTENT.items():
        if marker in content:
            raise _ApiError(code)
    raw_numbers = _text(params, "numbers")
    if raw_numbers is None or not raw_numbers.strip():
        raise _ApiError("-8")
    numbers = raw_numbers.split(",")
    if len(numbers) > max_numbers:
        raise _ApiError("-7")
    sender_id = _text(params, "senderId")
    if sender_id is not None and _java_length(sender_id) > MAX_SENDER_ID_CHARS:
        raise _ApiError("-22")
    order_ids = _order_ids(_text(params, "orderId"), len(numbers))
    return _Element(raw_numbers, numbers, order_ids, content, sender_id)


def _order_ids(raw: str | None, count: int) -> list[str] | None:
    if not raw:
        return None
    order_ids = raw.split(",")
    if len(order_ids) != count:
        raise _ApiError("-22")
    return order_ids


def _accepted(element: _Element) -> tuple[list[str], list[str] | None]:
    """The element's numbers the platform accepts, and their orderIds. An abnormal number
    (not 6-15 digits, leading 0, or a rejected magic suffix) is dropped and counts in `fail`."""
    raw = element.raw_numbers
    if _NUMBERS_RE.fullmatch(raw) and not any(
        raw.endswith(suffix) or f"{suffix}," in raw for suffix in _REJECTED_SUFFIXES
    ):
        return element.numbers, element.order_ids
    keep = [
        _NUMBER_RE.fullmatch(number) is not None and not number.endswith(_REJECTED_SUFFIXES)
        for number in element.numbers
    ]
    numbers = list(itertools.compress(element.numbers, keep))
    if element.order_ids is None:
        return numbers, None
    return numbers, list(itertools.compress(element.order_ids, keep))


def _java_length(text: str) -> int:
    # The platform is Java: String.length() counts UTF-16 units, so an emoji counts twice
    # (and a lone surrogate, which JSON can carry, once).
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _recorded(request: httpx.Request) -> RecordedRequest:
    try:
        parsed: Any = json.loads(request.content) if request.content else None
    except ValueError:
        parsed = None
    return RecordedRequest(
        method=request.method,
        path=request.url.path,
        query=dict(request.url.params),
        headers=dict(request.headers),
        json=parsed,
        body=request.content,
    )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


# -- values ----------------------------------------------------------------------------------


# One receiveTime per delivery instant: getReport asks for the same few over and over (every
# message of one sendSms has the same), and formatting one costs more than the rest of an entry.
@functools.lru_cache(maxsize=4096)
def _iso_seconds(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, SANDBOX_TZ).isoformat("T", "seconds")


def _msg_id_floor(now: float) -> int:
    stamp = datetime.fromtimestamp(now, SANDBOX_TZ).strftime("%y%m%d%H%M%S")
    # Years 2000-2009 would lose the leading digit; never hand out fewer than 19 digits.
    return max(int(stamp) * _SEQ_SPAN + _SEQ_START, _MIN_MSG_ID)


def _parse_balance(text: str) -> int:
    try:
        units = Decimal(text) * _UNITS
    except InvalidOperation:
        units = Decimal("NaN")
    if not units.is_finite() or units < 0 or units != units.to_integral_value():
        raise ValueError(f"balance must be a decimal >= 0 with at most 4 decimals, got {text!r}")
    return int(units)


def _format_units(units: int) -> str:
    return f"{units // _UNITS}.{units % _UNITS:04d}"


# -- responses -------------------------------------------------------------------------------


def _status(code: str) -> dict[str, object]:
    return {"status": code, "reason": STATUS_REASONS[code]}


def _dumps(body: Mapping[str, object]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _with_array(head: Mapping[str, object], items: str) -> bytes:
    """What _dumps({**head, "array": [...]}) gives, `items` being the array's elements already
    encoded exactly as json.dumps would and joined with commas."""
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    return f'{text[:-1]},"array":[{items}]}}'.encode()


def _submitted_items(
    first: int, numbers: Sequence[str], order_ids: Sequence[str | None] | None
) -> str:
    """The sendSms `array` elements, {"msgId", "number", "orderId"}, numbers[i] having msgId
    first + i, as json.dumps writes them; built by C-level maps and joins, with no Python
    code run per number. msgIds and accepted numbers are digits: only orderIds need escaping."""
    msg_ids = map(str, range(first, first + len(numbers)))
    pairs = map('","number":"'.join, zip(msg_ids, numbers, strict=True))
    if order_ids is None:
        return '{"msgId":"' + '","orderId":null},{"msgId":"'.join(pairs) + '","orderId":null}'
    encoded: Iterable[str]
    if None in order_ids:  # a batch mixing elements with and without orderIds
        encoded = ["null" if i is None else encode_basestring(i) for i in order_ids]
    else:
        encoded = map(encode_basestring, cast("Sequence[str]", order_ids))
    items = map('","orderId":'.join, zip(pairs, encoded, strict=True))
    return '{"msgId":"' + '},{"msgId":"'.join(items) + "}"


def _json_response(status_code: int, content: bytes) -> httpx.Response:
    return httpx.Response(
        status_code, content=content, headers={"Content-Type": _JSON_CONTENT_TYPE}
    )


def _http_error(status_code: int, error: str, request: httpx.Request, now: float) -> httpx.Response:
    # Shaped like Spring Boot's default error body, which is what the Java platform would send.
    return _json_response(
        status_code,
        _dumps(
            {
                "timestamp": datetime.fromtimestamp(now, SANDBOX_TZ).isoformat(
                    timespec="milliseconds"
                ),
                "status": status_code,
                "error": error,
                "path": request.url.path,
            }
        ),
    )
