"""An offline simulator of the laaffic / onbuka / itniotech "v3" JSON API (providers.md part A).

`provider = "sandbox"` uses it so a new user can try smscli with no account and no network, and
the test suite uses it as its fake gateway, in-process (`httpx.MockTransport(sandbox.handle)`)
or over real HTTP (`LoopbackServer(sandbox.handle)`). It follows the documented protocol as
strictly as the documents allow: a client that works against it should work against the real
platform. Where the documents are silent the sandbox takes the stricter reading.

Endpoints are matched on the end of the URL path, so any base path works (`/v3/sendSms`,
`/sms/sendSms`, `/x/v3/getReport`): `sendSms` (GET query or POST JSON), `sendSms/batch` (POST),
`getReport` (GET), `getBalance` (GET), and the account-wide `getSentRcd` (GET) and `recordMo`
(POST), with injected inbound messages (smscli.sandbox.v3_account). Unknown path:
HTTP 404; wrong method: HTTP 405 (both with a Spring-style JSON body). Every API-level error
is HTTP 200 with `status` != "0".

Quirk modes (`quirks=`, `sandbox serve --quirk`, the profile's `sandbox_quirks`) reshape the
answers as real servers send them: a BOM, numbers as JSON numbers, no `credit`, no `array`...
(smscli.sandbox.quirks.V3_QUIRKS lists them).

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
and the messages (smscli.sandbox.v3_store). Do not share a state directory with an older
smscli running at the same time.
"""

from __future__ import annotations

import pathlib
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from json.encoder import encode_basestring
from typing import Final

import httpx

from smscli.sandbox import v3_wire as wire
from smscli.sandbox.common import (
    SUFFIX_FATES,
    ApiError,
    Fate,
    Simulator,
    dumps,
    fate_of,
    iso_seconds,
    md5_hex,
    same,
    state_path,
)
from smscli.sandbox.v3_account import MAX_SENT_PAGE, SandboxAccount
from smscli.sandbox.v3_store import V3Store
from smscli.sandbox.v3_wire import (
    MAX_NUMBERS_BATCH,
    MAX_NUMBERS_GET,
    MAX_NUMBERS_POST,
    MAX_REPORT_IDS,
    Element,
    RecordedRequest,
)

# The documentation's published sample credentials, so the docs' test vector works as-is.
SANDBOX_API_KEY: Final = "bDqJFiq9"
SANDBOX_API_SECRET: Final = "7bz1lzh9"  # noqa: S105
SANDBOX_APP_ID: Final = "4luaKsL2"
TIMESTAMP_TOLERANCE_SECONDS: Final = 30 * 60
_TIMESTAMP_RE: Final = re.compile(r"[0-9]{1,12}")


class Sandbox(Simulator):
    """The simulated platform. Call `handle` (or use `transport()`) from any number of threads."""

    _store: V3Store

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
        super().__init__(
            latency=latency, clock=clock, delivery_delay=delivery_delay, record=record,
            quirks=quirks,
        )
        self._api_key = api_key
        self._api_secret = api_secret
        self._app_id = app_id
        self.received: list[RecordedRequest] = []
        opening_balance = wire.parse_balance(balance)
        self._store = V3Store(state_path(state_dir, "sandbox.sqlite3"), opening_balance)
        # getSentRcd, recordMo and injected inbound messages (smscli.sandbox.v3_account).
        self.account = SandboxAccount(
            self._store,
            clock=self._clock,
            fate=self._fate,
            failing_suffixes=wire.FAILING_SUFFIXES,
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

    def handle(self, request: httpx.Request) -> httpx.Response:
        self._arrive(request)
        if self._record:
            # list.append is atomic, so concurrent handlers need no lock here.
            self.received.append(wire.recorded(request))
        name = wire.endpoint_name(request.url.path)
        if name is None:
            return wire.http_error(404, "Not Found", request, self._clock())
        methods, endpoint = self._endpoints[name]
        if request.method not in methods:
            response = wire.http_error(405, "Method Not Allowed", request, self._clock())
            response.headers["Allow"] = ", ".join(sorted(methods))
            return response
        try:
            self._authenticate(request.headers)
            content = endpoint(request)
        except ApiError as error:
            content = dumps(wire.status(error.code))
        except sqlite3.Error:
            content = dumps(wire.status("-18"))
        if self.quirks:
            from smscli.sandbox.quirks import v3_answer

            http_status, content = v3_answer(name, content, self.quirks)
            return wire.json_response(http_status, content)
        return wire.json_response(200, content)

    # -- checks shared by every endpoint -------------------------------------------------

    def _authenticate(self, headers: httpx.Headers) -> None:
        key = headers.get("Api-Key")
        if key is None or not same(key, self._api_key):
            raise ApiError("-1")
        timestamp = headers.get("Timestamp", "")
        if not _TIMESTAMP_RE.fullmatch(timestamp):
            raise ApiError("-16")
        if abs(int(timestamp) - self._clock()) > TIMESTAMP_TOLERANCE_SECONDS:
            raise ApiError("-16")
        sign = headers.get("Sign")
        # The platform's Sign header: md5(ApiKey + ApiSecret + Timestamp), lower-case hex.
        if sign is None or not same(sign.lower(), md5_hex(key, self._api_secret, timestamp)):
            raise ApiError("-1")

    def _check_app_id(self, params: Mapping[str, object]) -> None:
        app_id = params.get("appId")
        if not isinstance(app_id, str) or not same(app_id, self._app_id):
            raise ApiError("-32")

    # -- endpoints -----------------------------------------------------------------------

    def _send(self, request: httpx.Request) -> bytes:
        params: Mapping[str, object]
        if request.method == "GET":
            params, limit = wire.query(request), MAX_NUMBERS_GET
        else:
            params, limit = wire.json_object(request), MAX_NUMBERS_POST
        self._check_app_id(params)
        return self._submit([wire.parse_element(params, limit)])

    def _send_batch(self, request: httpx.Request) -> bytes:
        body = wire.json_object(request)
        self._check_app_id(body)
        items = body.get("array")
        if not isinstance(items, list):
            raise ApiError("-22")
        if not items:
            raise ApiError("-8")
        elements = [wire.parse_element(wire.as_object(item), MAX_NUMBERS_POST) for item in items]
        if sum(len(element.numbers) for element in elements) > MAX_NUMBERS_BATCH:
            raise ApiError("-7")
        return self._submit(elements)

    def _submit(self, elements: Sequence[Element]) -> bytes:
        numbers: list[str]
        order_ids: Sequence[str | None] | None
        if len(elements) == 1:
            numbers, order_ids = wire.accepted(elements[0])
        else:
            numbers, collected = [], list[str | None]()
            with_ids = any(element.order_ids is not None for element in elements)
            for element in elements:
                kept, kept_ids = wire.accepted(element)
                numbers += kept
                if with_ids:
                    collected += kept_ids if kept_ids is not None else [None] * len(kept)
            order_ids = collected if with_ids else None
        if not numbers:
            raise ApiError("-9")
        rejected = sum(len(element.numbers) for element in elements) - len(numbers)
        first = self._store.submit(numbers, self._clock(), wire.PRICE_UNITS)
        if first is None:
            raise ApiError("-10")
        head = {**wire.status("0"), "success": str(len(numbers)), "fail": str(rejected)}
        return wire.with_array(head, wire.submitted_items(first, numbers, order_ids))

    def _get_report(self, request: httpx.Request) -> bytes:
        params = wire.query(request)
        self._check_app_id(params)
        raw = params.get("msgIds", "")
        if not raw.strip():
            raise ApiError("-14")
        asked = raw.split(",")
        if len(asked) > MAX_REPORT_IDS:
            raise ApiError("-14")
        distinct = list(dict.fromkeys(asked))
        # Malformed ids, and ids too large to have been issued, are simply not found.
        wanted = [
            i for i in distinct if wire.MSG_ID_RE.fullmatch(i) and i <= wire.MAX_MSG_ID_TEXT
        ]
        found = self._store.lookup(wanted)
        now = self._clock()
        delay = self._delivery_delay
        items: list[str] = []
        counts = {"0": 0, "1": 0, "-1": 0}
        fates, deliver = SUFFIX_FATES, Fate.DELIVER  # fate_of, inlined: this runs per id
        for index, number, submitted_at in found:
            done_at = submitted_at + delay
            fate = fates.get(number[-4:], deliver)
            if fate is Fate.STUCK or now < done_at:
                status, receive_time = "-1", ""
            else:
                status = "1" if fate is Fate.FAIL else "0"
                receive_time = iso_seconds(done_at)
            counts[status] += 1
            # As json.dumps writes {"msgId", "number", "receiveTime", "status"}: the id, the
            # time and the status need no escaping (digits, ISO-8601, a code).
            items.append(
                f'{{"msgId":"{wanted[index]}","number":{encode_basestring(number)},'
                f'"receiveTime":"{receive_time}","status":"{status}"}}'
            )
        head = {
            **wire.status("0"),
            "success": str(counts["0"]),
            "fail": str(counts["1"]),
            "sending": str(counts["-1"]),
            "nofound": str(len(distinct) - len(found)),
        }
        return wire.with_array(head, ",".join(items))

    def _fate(self, number: str, submitted_at: float) -> tuple[str, float | None]:
        """A message's state now, as getReport computes it: ("0"|"1"|"-1", delivery time)."""
        done_at = submitted_at + self._delivery_delay
        fate = fate_of(number)
        if fate is Fate.STUCK or self._clock() < done_at:
            return "-1", None
        return ("1" if fate is Fate.FAIL else "0"), done_at

    def _get_sent_rcd(self, request: httpx.Request) -> bytes:
        params = wire.query(request)
        self._check_app_id(params)
        return dumps({**wire.status("0"), **self.account.sent_records(params)})

    def _record_mo(self, request: httpx.Request) -> bytes:
        body = wire.json_object(request)
        self._check_app_id(body)
        return dumps({**wire.status("0"), **self.account.inbound(body)})

    def _get_balance(self, request: httpx.Request) -> bytes:
        return dumps(
            {
                **wire.status("0"),
                "balance": wire.format_units(self._store.balance()),
                "gift": "0.0000",
                "credit": "0.0000",
            }
        )
