"""An offline simulator of the laaffic / onbuka / itniotech "v3" JSON API (providers.md part A).

`provider = "sandbox"` uses it so a new user can try smscli with no account and no network, and
the test suite uses it as its fake gateway, in-process (`httpx.MockTransport(sandbox.handle)`)
or over real HTTP (`LoopbackServer(sandbox.handle)`). It follows the documented protocol as
strictly as the documents allow: a client that works against it should work against the real
platform. Where the documents are silent the sandbox takes the stricter reading.

Endpoints are matched on the end of the URL path, so any base path works (`/v3/sendSms`,
`/sms/sendSms`, `/x/v3/getReport`): `sendSms` (GET query or POST JSON), `sendSms/batch` (POST),
`getReport` (GET), `getBalance` (GET). Unknown path: HTTP 404; wrong method: HTTP 405 (both
with a Spring-style JSON body). Every API-level error is HTTP 200 with `status` != "0".

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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import pathlib
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import Any, Final

import httpx

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
    "-14": "Field is empty or query ID is abnormal",
    "-16": "Timestamp expires",
    "-18": "port program unusual",
    "-22": "parameter exception",
    "-32": "API key has no permission for this app",
}

_JSON_CONTENT_TYPE: Final = "application/json;charset=UTF-8"
_NUMBER_RE: Final = re.compile(r"[1-9][0-9]{5,14}")
_MSG_ID_RE: Final = re.compile(r"[1-9][0-9]{18}")
_TIMESTAMP_RE: Final = re.compile(r"[0-9]{1,12}")
# Balances are kept in ten-thousandths so that "100.0000" arithmetic stays exact in SQLite.
_UNITS: Final = 10_000
_PRICE_UNITS: Final = int(MESSAGE_PRICE * _UNITS)
# The samples' sequences look like 1000095: start each second at 1000000.
_SEQ_START: Final = 1_000_000
_SEQ_SPAN: Final = 10**7
_MIN_MSG_ID: Final = 10**18


class _Fate(IntEnum):
    DELIVER = 0
    FAIL = 1
    STUCK = 2


_SUFFIX_FATES: Final[dict[str, _Fate | None]] = {
    "0999": _Fate.FAIL,
    "0998": _Fate.STUCK,
    "0997": None,
}


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
    numbers: list[str]
    order_ids: list[str] | None
    content: str
    sender_id: str | None


@dataclass(frozen=True, slots=True)
class _Stored:
    number: str
    submitted_at: float
    fate: _Fate


class _Store:
    """msgId -> (number, submitted_at, fate) plus the balance, in SQLite.

    One connection guarded by a lock serves every thread; SQLite's own file locking (BEGIN
    IMMEDIATE) serialises writers from other processes sharing the file.
    """

    _SCHEMA: Final = (
        "CREATE TABLE IF NOT EXISTS messages (msg_id INTEGER PRIMARY KEY, number TEXT NOT NULL,"
        " submitted_at REAL NOT NULL, fate INTEGER NOT NULL)",
        "CREATE TABLE IF NOT EXISTS account (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " balance INTEGER NOT NULL, last_msg_id INTEGER NOT NULL)",
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
        with self._transaction():
            for statement in self._SCHEMA:
                self._db.execute(statement)
            # Only the process that creates the file sets the opening balance.
            self._db.execute(
                "INSERT OR IGNORE INTO account (id, balance, last_msg_id) VALUES (1, ?, 0)",
                (initial_balance,),
            )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def submit(
        self, accepted: Sequence[tuple[str, _Fate]], now: float, floor: int
    ) -> list[int] | None:
        """Store the messages and charge for them; None (and nothing stored) if unaffordable."""
        cost = _PRICE_UNITS * len(accepted)
        with self._lock, self._transaction():
            balance, last = self._db.execute(
                "SELECT balance, last_msg_id FROM account WHERE id = 1"
            ).fetchone()
            if balance < cost:
                return None
            first = max(last + 1, floor)
            ids = list(range(first, first + len(accepted)))
            self._db.executemany(
                "INSERT INTO messages (msg_id, number, submitted_at, fate) VALUES (?, ?, ?, ?)",
                (
                    (msg_id, number, now, int(fate))
                    for msg_id, (number, fate) in zip(ids, accepted, strict=True)
                ),
            )
            self._db.execute(
                "UPDATE account SET balance = ?, last_msg_id = ? WHERE id = 1",
                (balance - cost, ids[-1]),
            )
            return ids

    def lookup(self, msg_ids: Sequence[int]) -> dict[int, _Stored]:
        if not msg_ids:
            return {}
        # Only "?" placeholders are formatted into the SQL; the ids travel as parameters.
        marks = ",".join("?" * len(msg_ids))
        with self._lock:
            rows = self._db.execute(
                f"SELECT msg_id, number, submitted_at, fate FROM messages"  # noqa: S608
                f" WHERE msg_id IN ({marks})",
                tuple(msg_ids),
            ).fetchall()
        return {row[0]: _Stored(row[1], row[2], _Fate(row[3])) for row in rows}

    def balance(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT balance FROM account WHERE id = 1").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Transaction:
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
    ) -> None:
        self._api_key = api_key
        self._api_secret = api_secret
        self._app_id = app_id
        self._latency = latency
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
        self._endpoints: dict[
            str, tuple[frozenset[str], Callable[[httpx.Request], dict[str, object]]]
        ] = {
            "sendSms/batch": (frozenset({"POST"}), self._send_batch),
            "sendSms": (frozenset({"GET", "POST"}), self._send),
            "getReport": (frozenset({"GET"}), self._get_report),
            "getBalance": (frozenset({"GET"}), self._get_balance),
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
        if self._latency > 0:
            time.sleep(self._latency)
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
            body = endpoint(request)
        except _ApiError as error:
            body = _status(error.code)
        except sqlite3.Error:
            body = _status("-18")
        return _json_response(200, body)

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

    def _send(self, request: httpx.Request) -> dict[str, object]:
        params: Mapping[str, object]
        if request.method == "GET":
            params, limit = _query(request), MAX_NUMBERS_GET
        else:
            params, limit = _json_object(request), MAX_NUMBERS_POST
        self._check_app_id(params)
        return self._submit([_parse_element(params, limit)])

    def _send_batch(self, request: httpx.Request) -> dict[str, object]:
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

    def _submit(self, elements: Sequence[_Element]) -> dict[str, object]:
        accepted: list[tuple[str, str | None, _Fate]] = []
        rejected = 0
        for element in elements:
            for index, number in enumerate(element.numbers):
                fate = _fate(number)
                if fate is None:
                    rejected += 1
                    continue
                order_id = element.order_ids[index] if element.order_ids is not None else None
                accepted.append((number, order_id, fate))
        if not accepted:
            raise _ApiError("-9")
        now = self._clock()
        ids = self._store.submit([(n, fate) for n, _, fate in accepted], now, _msg_id_floor(now))
        if ids is None:
            raise _ApiError("-10")
        array = [
            {"msgId": str(msg_id), "number": number, "orderId": order_id}
            for msg_id, (number, order_id, _) in zip(ids, accepted, strict=True)
        ]
        return {
            **_status("0"),
            "success": str(len(accepted)),
            "fail": str(rejected),
            "array": array,
        }

    def _get_report(self, request: httpx.Request) -> dict[str, object]:
        params = _query(request)
        self._check_app_id(params)
        raw = params.get("msgIds", "")
        if not raw.strip():
            raise _ApiError("-14")
        asked = raw.split(",")
        if len(asked) > MAX_REPORT_IDS:
            raise _ApiError("-14")
        distinct = list(dict.fromkeys(asked))
        found = self._store.lookup([int(i) for i in distinct if _MSG_ID_RE.fullmatch(i)])
        now = self._clock()
        array: list[dict[str, str]] = []
        counts = {"0": 0, "1": 0, "-1": 0}
        for msg_id in distinct:
            stored = found.get(int(msg_id)) if _MSG_ID_RE.fullmatch(msg_id) else None
            if stored is None:
                continue
            entry = self._report_entry(msg_id, stored, now)
            counts[entry["status"]] += 1
            array.append(entry)
        return {
            **_status("0"),
            "success": str(counts["0"]),
            "fail": str(counts["1"]),
            "sending": str(counts["-1"]),
            "nofound": str(len(distinct) - len(array)),
            "array": array,
        }

    def _report_entry(self, msg_id: str, stored: _Stored, now: float) -> dict[str, str]:
        done_at = stored.submitted_at + self._delivery_delay
        if stored.fate is _Fate.STUCK or now < done_at:
            status, receive_time = "-1", ""
        else:
            status = "1" if stored.fate is _Fate.FAIL else "0"
            receive_time = datetime.fromtimestamp(done_at, SANDBOX_TZ).isoformat("T", "seconds")
        return {
            "msgId": msg_id,
            "number": stored.number,
            "receiveTime": receive_time,
            "status": status,
        }

    def _get_balance(self, request: httpx.Request) -> dict[str, object]:
        return {
            **_status("0"),
            "balance": _format_units(self._store.balance()),
            "gift": "0.0000",
            "credit": "0.0000",
        }


def _sign(api_key: str, api_secret: str, timestamp: str) -> str:
    """The platform's Sign header: md5(ApiKey + ApiSecret + Timestamp), lower-case hex."""
    return hashlib.md5((api_key + api_secret + timestamp).encode("utf-8")).hexdigest()


# -- request parsing -------------------------------------------------------------------------


def _endpoint_name(path: str) -> str | None:
    segments = path.rstrip("/").split("/")
    if segments[-2:] == ["sendSms", "batch"]:
        return "sendSms/batch"
    if segments[-1] in ("sendSms", "getReport", "getBalance"):
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
    return _Element(numbers, _order_ids(_text(params, "orderId"), len(numbers)), content, sender_id)


def _order_ids(raw: str | None, count: int) -> list[str] | None:
    if not raw:
        return None
    order_ids = raw.split(",")
    if len(order_ids) != count:
        raise _ApiError("-22")
    return order_ids


def _fate(number: str) -> _Fate | None:
    """None for an abnormal number, which the platform drops and counts in `fail`."""
    if not _NUMBER_RE.fullmatch(number):
        return None
    return _SUFFIX_FATES.get(number[-4:], _Fate.DELIVER)


def _java_length(text: str) -> int:
    # The platform is Java: String.length() counts UTF-16 units, so an emoji counts twice.
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


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


def _json_response(status_code: int, body: Mapping[str, object]) -> httpx.Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return httpx.Response(
        status_code, content=content, headers={"Content-Type": _JSON_CONTENT_TYPE}
    )


def _http_error(status_code: int, error: str, request: httpx.Request, now: float) -> httpx.Response:
    # Shaped like Spring Boot's default error body, which is what the Java platform would send.
    return _json_response(
        status_code,
        {
            "timestamp": datetime.fromtimestamp(now, SANDBOX_TZ).isoformat(timespec="milliseconds"),
            "status": status_code,
            "error": error,
            "path": request.url.path,
        },
    )
