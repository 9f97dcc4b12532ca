"""The v3 JSON API shared by laaffic, onbuka and itniotech (and any other host of that
white-label platform, through base_url). providers.md part A is the reference."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

import httpx

from smscli.errors import GatewayError, NetworkError, SentWithoutIds
from smscli.gateways import v3_codes
from smscli.gateways.base import (
    Balance,
    BatchElement,
    DeliveryStatus,
    PlannedRequest,
    Report,
    ReportResult,
    SendResult,
    Submitted,
    Trace,
)
from smscli.gateways.http import (
    JsonNumber,
    check_status,
    make_client,
    mask_key,
    number_text,
    request_json,
)
from smscli.gateways.matching import match_number
from smscli.gateways.records import InboundPage, SentPage

MAX_NUMBERS_POST = 1000
MAX_CONTENT = 1024
MAX_SENDER_ID = 32
MAX_REPORT_IDS = 200

# Per-message status: 0 / -1 / 1 in getReport; the English getSentRcd pages say 2 for failed
# (providers.md A.3), so 2 is read as failed wherever it appears.
_REPORT_STATUS = {
    "0": DeliveryStatus.DELIVERED,
    "-1": DeliveryStatus.PENDING,
    "1": DeliveryStatus.FAILED,
    "2": DeliveryStatus.FAILED,
}
# Every time the platform's documents show carries +08:00: a receiveTime written without an
# offset is read in that zone rather than in this machine's.
PLATFORM_TZ: Final = timezone(timedelta(hours=8))
# Epoch values: 10 digits are seconds, 13 milliseconds (from 2001 to 2286 either way).
_EPOCH_SECONDS_DIGITS: Final = 10
_EPOCH_MS_DIGITS: Final = 13


def sign(api_key: str, api_secret: str, timestamp: str) -> str:
    return hashlib.md5((api_key + api_secret + timestamp).encode("utf-8")).hexdigest()


class V3Client:
    name = "v3"
    max_numbers_per_send = MAX_NUMBERS_POST
    max_content_chars = MAX_CONTENT
    max_sender_id = MAX_SENDER_ID
    max_ids_per_report = MAX_REPORT_IDS
    report_mode = "query"  # reports are looked up by msgId, repeatably

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        app_id: str,
        base_url: str,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        trace: Trace | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_key = api_key
        self._api_secret = api_secret
        self._app_id = app_id
        self.base_url = base_url.rstrip("/")
        self._trace = trace
        self._clock = clock
        # Seconds to add to the local clock; set when the gateway says ours is off (-16).
        self.clock_offset = 0.0
        self._client = make_client(timeout=timeout, transport=transport)

    # -- plumbing ------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        timestamp = str(int(self._clock() + self.clock_offset))
        return {
            "Content-Type": "application/json;charset=UTF-8",
            "Api-Key": self._api_key,
            "Timestamp": timestamp,
            "Sign": sign(self._api_key, self._api_secret, timestamp),
        }

    def _redacted_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {
            "Api-Key": mask_key(headers["Api-Key"]),
            "Timestamp": headers["Timestamp"],
            "Sign": "<hidden>",
        }

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any], httpx.Response]:
        data, response = self._exchange(method, path, body=body, params=params)
        status = _status(data, path)
        if status == "-16" and self._learn_clock(response):
            # -16 means the request was refused unprocessed, so one retry with the gateway's
            # own clock cannot double-send.
            data, response = self._exchange(method, path, body=body, params=params)
            status = _status(data, path)
        if status != "0":
            raise _gateway_error(status, data, response.status_code)
        if response.status_code >= 400:
            # Status 0 in an HTTP error: no success to trust. Raised as the HTTP status says.
            check_status(response, f"{self.base_url}/{path}")
        return data, response

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None,
        params: Mapping[str, str] | None,
    ) -> tuple[dict[str, Any], httpx.Response]:
        headers = self._headers()
        content = None
        if body is not None:
            # Sent as UTF-8 JSON without \u escapes: byte-exact with what the vendors expect.
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return request_json(
            self._client,
            method,
            f"{self.base_url}/{path}",
            headers=headers,
            content=content,
            params=params,
            trace=self._trace,
            trace_headers=self._redacted_headers(headers),
            trace_body=content.decode("utf-8") if content is not None else None,
            own_answer=_platform_answer,
        )

    def _learn_clock(self, response: httpx.Response) -> bool:
        """Adopt the gateway's clock from its Date header; False when that cannot help."""
        server = _http_date(response.headers.get("Date"))
        if server is None:
            return False
        offset = server - self._clock()
        if abs(offset - self.clock_offset) < 60:
            return False
        self.clock_offset = offset
        return True

    # -- operations ----------------------------------------------------------------------
    def send_body(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "appId": self._app_id,
            "numbers": ",".join(numbers),
            "content": content,
        }
        if sender_id:
            body["senderId"] = sender_id
        if order_ids:
            body["orderId"] = ",".join(order_ids)
        return body

    def plan_send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
    ) -> PlannedRequest:
        body = self.send_body(numbers, content, sender_id=sender_id, order_ids=order_ids)
        return self._plan("sendSms", body)

    def plan_batch(self, elements: Sequence[BatchElement]) -> PlannedRequest:
        return self._plan("sendSms/batch", self.batch_body(elements))

    def _plan(self, path: str, body: dict[str, Any]) -> PlannedRequest:
        headers = self._redacted_headers(self._headers())
        headers["Content-Type"] = "application/json;charset=UTF-8"
        return PlannedRequest("POST", f"{self.base_url}/{path}", headers, body)

    def send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
    ) -> SendResult:
        body = self.send_body(numbers, content, sender_id=sender_id, order_ids=order_ids)
        data, _ = self._call("POST", "sendSms", body=body)
        return _send_result(data, numbers)

    def batch_body(self, elements: Sequence[BatchElement]) -> dict[str, Any]:
        array = []
        for element in elements:
            item: dict[str, Any] = {
                "numbers": ",".join(element.numbers),
                "content": element.content,
            }
            if element.sender_id:
                item["senderId"] = element.sender_id
            if element.order_ids:
                item["orderId"] = ",".join(element.order_ids)
            array.append(item)
        return {"appId": self._app_id, "array": array}

    def send_batch(self, elements: Sequence[BatchElement]) -> SendResult:
        data, _ = self._call("POST", "sendSms/batch", body=self.batch_body(elements))
        numbers = [number for element in elements for number in element.numbers]
        return _send_result(data, numbers)

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
        if len(msg_ids) > MAX_REPORT_IDS:
            raise ValueError(f"getReport takes at most {MAX_REPORT_IDS} ids per call")
        params = {"appId": self._app_id, "msgIds": ",".join(msg_ids)}
        data, _ = self._call("GET", "getReport", params=params)
        # Most reports of one answer share a receiveTime (and every pending one has none):
        # each distinct value is read once.
        times: dict[object, datetime | None] = {}
        reports = tuple(_report(item, times) for item in _array(data))
        return ReportResult(reports=reports, not_found=_int(data.get("nofound")))

    def get_balance(self) -> Balance:
        data, _ = self._call("GET", "getBalance")
        # Any of the three may be missing or null (onbuka's answer has no credit): None then,
        # never the text "None".
        return Balance(
            balance=_opt_str(data.get("balance")),
            gift=_opt_str(data.get("gift")),
            credit=_opt_str(data.get("credit")),
        )

    # -- the account as a whole (smscli.gateways.v3_records) ------------------------------
    def get_sent_records(
        self, start: datetime, end: datetime, *, start_index: int = 0
    ) -> SentPage:
        """One getSentRcd call: the records of messages sent in [start, end) (at most 31 days,
        within the last 90), from `start_index` on (at most 50,000 per call). -15 (one call a
        minute) is raised as a GatewayError of kind RATE: the caller decides how to wait."""
        from smscli.gateways import v3_records

        params = v3_records.sent_params(self._app_id, start, end, start_index)
        data, _ = self._call("GET", "getSentRcd", params=params)
        return v3_records.sent_page(data, start_index, (start, end))

    def get_inbound(
        self, start: datetime, end: datetime, *, current: int = 1, size: int = 100
    ) -> InboundPage:
        """One recordMo call: page `current` (from 1) of the inbound messages received in
        [start, end) (at most one month), `size` (at most 100) per page."""
        from smscli.gateways import v3_records

        body = v3_records.mo_body(self._app_id, start, end, current, size)
        data, _ = self._call("POST", "recordMo", body=body)
        return v3_records.mo_page(data, current)

    def close(self) -> None:
        self._client.close()


def _status(data: Mapping[str, Any], path: str) -> str:
    """The status as canonical text: "0", 0 and "0.0" are all success."""
    raw = data.get("status")
    if raw is None or str(raw).strip() == "":
        raise NetworkError(f"the gateway's answer to {path} has no status field",
                           maybe_processed=True)
    return number_text(raw) or str(raw).strip()


def _platform_answer(data: Mapping[str, Any]) -> bool:
    """A 4xx/5xx body carrying the platform's own {status, reason}: its code decides (403
    with -31 is the whitelist, exit 5). A web server's own error page (Spring's body has an
    HTTP-like `status` and no `reason`) is left to the HTTP status."""
    status = number_text(data.get("status"))
    if status is None or status == "0":
        return False
    return "reason" in data or status.startswith("-")


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    # Only a -16 answer needs it; email.utils costs every start-up ~7 ms.
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _gateway_error(status: str, data: Mapping[str, Any], http_status: int = 200) -> GatewayError:
    code = v3_codes.decode(status)
    reason = data.get("reason")
    shown = f" (HTTP {http_status})" if http_status != 200 else ""
    return GatewayError(
        f"gateway status {status}: {code.reason}{shown}",
        code=status,
        kind=code.kind,
        hint=code.hint,
        provider_message=str(reason) if reason else None,
        unprocessed=status.strip() in v3_codes.UNPROCESSED,
    )


def _array(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    array = data.get("array")
    if not isinstance(array, list):
        return []
    # json.loads only makes dicts; the exact type check is much cheaper than Mapping's.
    return [item for item in array if type(item) is dict]


def _field(item: Mapping[str, Any], name: str) -> object:
    """`name` as documented (msgId), else in any case (the push format's msgid)."""
    if name in item:
        return item[name]
    lowered = name.lower()
    for key, value in item.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    return None


def msg_id_text(value: object) -> str | None:
    """A usable msgId, exactly as sent: a string or a whole JSON number. None for an empty
    one, and for a number written with a fraction or exponent (2.108021054011e+18): its
    digits were lost before it reached us, and a rounded id would name another message."""
    if value is None or isinstance(value, bool | dict | list | JsonNumber):
        return None
    text = str(value).strip()
    return text or None


def _send_result(
    data: Mapping[str, Any], numbers: Sequence[str]
) -> SendResult:
    """The verdict on each sent number. `array` lists only accepted numbers (providers.md
    A.3), so a number missing from it is rejected, unless `success` counts more numbers
    than the array lists: then the gateway accepted numbers it gave no usable id, which is
    SentWithoutIds (never resent, exit 3), not a rejection. Listed numbers are matched to the
    sent ones whatever their form (+, 00, 86...); a listed number with an empty or unusable
    msgId is sent without an id."""
    items = _array(data)
    accepted: list[Submitted] = []
    untracked: list[str] = []
    unplaced: list[tuple[str | None, str | None]] = []  # (msgId, orderId) with no number

    def place(index: int | None, echoed: str, msg_id: str | None, order_id: str | None) -> None:
        number = numbers[index] if index is not None else echoed
        if msg_id is None:
            untracked.append(number)
        else:
            # A number the gateway rewrote beyond recognition keeps the gateway's form.
            accepted.append(Submitted(number, msg_id, order_id))

    # Numbers echoed as sent are matched through a dict (a 1000-number answer stays linear);
    # only the others go through match_number against what is left.
    slots: dict[str, list[int]] = {}
    for index in range(len(numbers) - 1, -1, -1):
        slots.setdefault(numbers[index], []).append(index)
    taken = [False] * len(numbers)
    rewritten: list[tuple[str, str | None, str | None]] = []
    for item in items:
        # The documented shape (strings, `msgId`) is read directly: this runs per number.
        msg_id = item.get("msgId")
        if type(msg_id) is not str or not msg_id or msg_id[-1] == " " or msg_id[0] == " ":
            msg_id = msg_id_text(_field(item, "msgId"))
        order_id = item.get("orderId")
        if order_id is not None and (type(order_id) is not str or not order_id):
            order_id = _opt_str(order_id)
        echoed = item.get("number")
        if type(echoed) is not str or not echoed:
            echoed = _opt_str(_field(item, "number"))
        if echoed is None:
            unplaced.append((msg_id, order_id))
            continue
        same = slots.get(echoed)
        if same:
            index = same.pop()  # the first occurrence still free: a duplicate takes the next
            taken[index] = True
            if msg_id is None:
                untracked.append(numbers[index])
            else:
                accepted.append(Submitted(numbers[index], msg_id, order_id))
        else:
            rewritten.append((echoed, msg_id, order_id))
    free = [index for index, done in enumerate(taken) if not done]
    for echoed, msg_id, order_id in rewritten:
        found = match_number(echoed, numbers, free)
        if found is not None:
            free.remove(found)
        place(found, echoed, msg_id, order_id)
    if unplaced and len(unplaced) == len(free):
        # No numbers in the answer at all: the array follows the order of the request.
        for index, (msg_id, order_id) in zip(free, unplaced, strict=True):
            if msg_id is None:
                untracked.append(numbers[index])
            else:
                accepted.append(Submitted(numbers[index], msg_id, order_id))
        free, unplaced = [], []
    success = _int(data.get("success"), default=len(items))
    listed = len(items) - len(unplaced)
    # Accepted beyond what the array lists: which of the unlisted numbers is not said, so
    # none of them may be called rejected.
    beyond = success - listed - len(unplaced)
    if beyond > 0 or unplaced:
        untracked.extend(numbers[i] for i in free)
    result = SendResult(
        accepted=tuple(accepted),
        success=max(success, len(accepted)),
        fail=_int(data.get("fail")),
    )
    if untracked:
        raise SentWithoutIds(
            _untracked_message(len(untracked), beyond, len(free)),
            code="0",
            result=result,
            untracked=untracked,
        )
    return result


def _untracked_message(untracked: int, beyond: int, unlisted: int) -> str:
    if 0 < beyond < unlisted:
        return (
            f"the gateway accepted {beyond} of {unlisted} numbers its answer does not list, "
            "without saying which: none of them is resent, and their delivery cannot be "
            "followed"
        )
    return (
        f"the gateway accepted {untracked} number(s) without a usable message id "
        "(missing, empty or mangled in its answer): they were sent, and their delivery "
        "cannot be followed"
    )


def _report(item: Mapping[str, Any], times: dict[object, datetime | None]) -> Report:
    value = _field(item, "status")
    raw = number_text(value) or (str(value).strip() if value is not None else "")
    status = _REPORT_STATUS.get(raw, DeliveryStatus.UNKNOWN)
    msg_id = msg_id_text(_field(item, "msgId"))
    received = _field(item, "receiveTime")
    try:
        time = times[received]
    except KeyError:
        time = times[received] = parse_receive_time(received)
    except TypeError:  # not hashable (a list or object): no time, as parse_receive_time says
        time = parse_receive_time(received)
    return Report(
        msg_id=msg_id if msg_id is not None else str(_field(item, "msgId") or ""),
        status=status,
        number=_opt_str(_field(item, "number")),
        time=time,
        code=raw or None,
        detail=None if status is not DeliveryStatus.UNKNOWN else f"unknown status {raw!r}",
    )


def parse_receive_time(value: object) -> datetime | None:
    """receiveTime as real answers write it: ISO-8601 with an offset, with Z and
    milliseconds, without an offset (read as the platform's +08:00), epoch seconds or
    milliseconds (number or text); None when empty, null or unreadable. Always aware."""
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    if not text:
        return None
    # An ISO time is no number (and Decimal's refusal of one costs more than all the rest).
    whole = number_text(text) if ":" not in text else None
    if whole is not None and whole.isdigit():
        if len(whole) == _EPOCH_MS_DIGITS:
            return datetime.fromtimestamp(int(whole) / 1000, UTC)
        if len(whole) == _EPOCH_SECONDS_DIGITS:
            return datetime.fromtimestamp(int(whole), UTC)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=PLATFORM_TZ)


def _int(value: object, default: int = 0) -> int:
    text = number_text(value)
    return int(text) if text is not None else default


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text != "" else None
