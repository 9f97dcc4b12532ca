"""The v3 simulator's requests read and answers written: the limits, the magic values, the
parameters of a send (checked in the documented order) and the JSON bodies, built as
json.dumps would write them."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from json.encoder import encode_basestring
from typing import Any, Final, cast

import httpx

from smscli.sandbox.common import PLATFORM_TZ, SUFFIX_FATES, ApiError, Fate, dumps, utf16_length

MAX_NUMBERS_GET: Final = 100
MAX_NUMBERS_POST: Final = 1000
MAX_NUMBERS_BATCH: Final = 1000
MAX_CONTENT_CHARS: Final = 1024
MAX_SENDER_ID_CHARS: Final = 32
MAX_REPORT_IDS: Final = 200
MESSAGE_PRICE: Final = Decimal("0.01")

MAGIC_NUMBER_SUFFIXES: Final[dict[str, str]] = {
    "0999": "accepted; delivery fails (getReport status 1 after delivery_delay)",
    "0998": "accepted; never delivered (getReport status -1 forever)",
    "0997": "rejected at submission as an abnormal number (not in array, counted in fail)",
}
MAGIC_CONTENT: Final[dict[str, str]] = {
    "SANDBOX:SENSITIVE": "-3",
    "SANDBOX:NOBALANCE": "-10",
}
# The endings with a fate both simulators share, and v3's own: rejected at submission.
FAILING_SUFFIXES: Final = tuple(s for s, fate in SUFFIX_FATES.items() if fate is Fate.FAIL)
REJECTED_SUFFIXES: Final = ("0997",)

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
MSG_ID_RE: Final = re.compile(r"[1-9][0-9]{18}")
# The largest SQLite integer: a longer-lived id cannot have been issued (nor bound as a parameter).
MAX_MSG_ID_TEXT: Final = str(2**63 - 1)
# Balances are kept in ten-thousandths so that "100.0000" arithmetic stays exact in SQLite.
_UNITS: Final = 10_000
PRICE_UNITS: Final = int(MESSAGE_PRICE * _UNITS)


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
class Element:
    """One sendSms (or one element of sendSms/batch), its parameters checked."""

    raw_numbers: str
    numbers: list[str]
    order_ids: list[str] | None
    content: str
    sender_id: str | None


# -- requests ------------------------------------------------------------------------------


def endpoint_name(path: str) -> str | None:
    segments = path.rstrip("/").split("/")
    if segments[-2:] == ["sendSms", "batch"]:
        return "sendSms/batch"
    if segments[-1] in ("sendSms", "getReport", "getBalance", "getSentRcd", "recordMo"):
        return segments[-1]
    return None


def query(request: httpx.Request) -> dict[str, str]:
    # A repeated parameter is joined with commas, as Spring binds it to a String field.
    params = request.url.params
    return {key: ",".join(params.get_list(key)) for key in params}


def json_object(request: httpx.Request) -> dict[str, object]:
    try:
        body = json.loads(request.content)
    except ValueError:
        raise ApiError("-22") from None
    return as_object(body)


def as_object(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ApiError("-22")
    return value


def _text(params: Mapping[str, object], name: str) -> str | None:
    # The real server would coerce a JSON number to a string; refusing it keeps clients honest.
    value = params.get(name)
    if value is None or isinstance(value, str):
        return value
    raise ApiError("-22")


def parse_element(params: Mapping[str, object], max_numbers: int) -> Element:
    content = _text(params, "content")
    if content is None or not content.strip():
        raise ApiError("-4")
    if utf16_length(content) > MAX_CONTENT_CHARS:
        raise ApiError("-5")
    for marker, code in MAGIC_CONTENT.items():
        if marker in content:
            raise ApiError(code)
    raw_numbers = _text(params, "numbers")
    if raw_numbers is None or not raw_numbers.strip():
        raise ApiError("-8")
    numbers = raw_numbers.split(",")
    if len(numbers) > max_numbers:
        raise ApiError("-7")
    sender_id = _text(params, "senderId")
    if sender_id is not None and utf16_length(sender_id) > MAX_SENDER_ID_CHARS:
        raise ApiError("-22")
    order_ids = _order_ids(_text(params, "orderId"), len(numbers))
    return Element(raw_numbers, numbers, order_ids, content, sender_id)


def _order_ids(raw: str | None, count: int) -> list[str] | None:
    if not raw:
        return None
    order_ids = raw.split(",")
    if len(order_ids) != count:
        raise ApiError("-22")
    return order_ids


def accepted(element: Element) -> tuple[list[str], list[str] | None]:
    """The element's numbers the platform accepts, and their orderIds. An abnormal number
    (not 6-15 digits, leading 0, or a rejected magic suffix) is dropped and counts in `fail`."""
    raw = element.raw_numbers
    if _NUMBERS_RE.fullmatch(raw) and not any(
        raw.endswith(suffix) or f"{suffix}," in raw for suffix in REJECTED_SUFFIXES
    ):
        return element.numbers, element.order_ids
    keep = [
        _NUMBER_RE.fullmatch(number) is not None and not number.endswith(REJECTED_SUFFIXES)
        for number in element.numbers
    ]
    numbers = list(itertools.compress(element.numbers, keep))
    if element.order_ids is None:
        return numbers, None
    return numbers, list(itertools.compress(element.order_ids, keep))


def recorded(request: httpx.Request) -> RecordedRequest:
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


# -- values --------------------------------------------------------------------------------


def parse_balance(text: str) -> int:
    try:
        units = Decimal(text) * _UNITS
    except InvalidOperation:
        units = Decimal("NaN")
    if not units.is_finite() or units < 0 or units != units.to_integral_value():
        raise ValueError(f"balance must be a decimal >= 0 with at most 4 decimals, got {text!r}")
    return int(units)


def format_units(units: int) -> str:
    return f"{units // _UNITS}.{units % _UNITS:04d}"


# -- answers -------------------------------------------------------------------------------


def status(code: str) -> dict[str, object]:
    return {"status": code, "reason": STATUS_REASONS[code]}


def with_array(head: Mapping[str, object], items: str) -> bytes:
    """What dumps({**head, "array": [...]}) gives, `items` being the array's elements already
    encoded exactly as json.dumps would and joined with commas."""
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    return f'{text[:-1]},"array":[{items}]}}'.encode()


def submitted_items(
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


def json_response(status_code: int, content: bytes) -> httpx.Response:
    return httpx.Response(
        status_code, content=content, headers={"Content-Type": _JSON_CONTENT_TYPE}
    )


def http_error(status_code: int, error: str, request: httpx.Request, now: float) -> httpx.Response:
    # Shaped like Spring Boot's default error body, which is what the Java platform would send.
    return json_response(
        status_code,
        dumps(
            {
                "timestamp": datetime.fromtimestamp(now, PLATFORM_TZ).isoformat(
                    timespec="milliseconds"
                ),
                "status": status_code,
                "error": error,
                "path": request.url.path,
            }
        ),
    )
