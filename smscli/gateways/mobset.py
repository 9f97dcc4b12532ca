"""mobset 短信易 SDK3 (providers.md part B): one form-encoded endpoint, the operation chosen by
`Methods`, every request signed with SecretKey = md5(CorpID + Password + TimeStamp).

What differs from the v3 family, and how the CLI should use it:

- at most 50 numbers and 900 characters per SmsSend; no sender id (`max_sender_id = 0`); no
  multi-content call, so `send_batch` makes one SmsSend per element.
- delivery reports are not queried by id: SmsGetReport hands out up to 50 reports that nobody
  has fetched yet and (as far as anyone can tell) never hands them out again. So
  `report_mode = "queue"`, `get_report` raises NotSupported, and the CLI calls `pull_reports()`
  repeatedly, saving each batch before the next call, until one comes back empty.
- an SmsSend answer whose message ids cannot be tied to the numbers raises UntrackedSend: the
  messages went out, so the CLI must record them as sent and never send them again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import httpx

from smscli.errors import (
    ConfigError,
    GatewayError,
    InputError,
    NetworkError,
    NotSupported,
    SentWithoutIds,
    SmsCliError,
)
from smscli.gateways import mobset_codes
from smscli.gateways.base import (
    Balance,
    BatchElement,
    DeliveryStatus,
    PlannedRequest,
    RawAnswer,
    Report,
    ReportResult,
    SendResult,
    Submitted,
    Trace,
)
from smscli.gateways.http import (
    check_status,
    json_answer,
    make_client,
    number_text,
    send_request,
)
from smscli.gateways.matching import match_number as _match
from smscli.gateways.records import Inbound

MAX_NUMBERS: Final = 50
MAX_CONTENT: Final = 900
MAX_REPORTS: Final = 50

# Beijing time has had no daylight saving since 1991: a fixed offset is exact, and it keeps the
# TimeStamp independent of this machine's time zone.
BEIJING: Final = timezone(timedelta(hours=8), "UTC+08:00")

# CorpID range -> host (providers.md B.1).
HOSTS: Final[dict[int, str]] = {1: "sms.mobset.com", 2: "sms2.mobset.com", 3: "sms3.mobset.com"}
HTTPS_PORT: Final = 843
HTTP_PORT: Final = 8095
HTTPS_PATH: Final = "/SDK3/SMS"
HTTP_PATH: Final = "/SDK3/Sms"

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded; charset=UTF-8"
# A Chinese IIS server may answer in GBK without saying so: read as GB18030 when UTF-8 fails.
FALLBACK_CHARSET: Final = "gb18030"
HIDDEN: Final = "<hidden>"

_ID_KEYS: Final = ("smsid", "msgid")
_PHONE_KEYS: Final = ("phonenumber", "mobile", "phone", "number", "mobiles", "phonenumbers")
_BALANCE_KEYS: Final = ("balance", "count", "smscount", "num", "amount", "remain", "surplus")
# Words a gateway uses when it does not know a `Methods` value (Chinese and English).
_UNKNOWN_METHOD_WORDS: Final = ("methods", "方法", "不支持", "未知", "unknown", "not support")
_LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
_TIME_FORMATS: Final = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")

# Per-message status of SmsGetReport: SDK3 documents only 12 and 13; the rest is the legacy
# Sms_Status table (providers.md B.4), kept in case those values reappear.
_REPORT_STATUS: Final[dict[str, tuple[DeliveryStatus, str]]] = {
    "0": (DeliveryStatus.PENDING, "submitted"),
    "1": (DeliveryStatus.PENDING, "under review"),
    "2": (DeliveryStatus.FAILED, "submission failed"),
    "3": (DeliveryStatus.FAILED, "submission failed"),
    "4": (DeliveryStatus.FAILED, "submission failed"),
    "5": (DeliveryStatus.FAILED, "submission failed"),
    "6": (DeliveryStatus.FAILED, "number not supported"),
    "7": (DeliveryStatus.FAILED, "review failed"),
    "10": (DeliveryStatus.PENDING, "sent, awaiting receipt"),
    "11": (DeliveryStatus.FAILED, "sending failed"),
    "12": (DeliveryStatus.DELIVERED, "received"),
    "13": (DeliveryStatus.FAILED, "not received"),
    "15": (DeliveryStatus.UNKNOWN, "unknown status"),
}


def secret_key(corp_id: str, password: str, timestamp: str) -> str:
    """SecretKey: md5 of the plain concatenation, lower-case hex (the gateway ignores case)."""
    return hashlib.md5((corp_id + password + timestamp).encode("utf-8")).hexdigest()


def beijing_timestamp(epoch: float) -> str:
    """TimeStamp: YYYYMMDDHHMMSS in Beijing time."""
    return datetime.fromtimestamp(epoch, BEIJING).strftime("%Y%m%d%H%M%S")


def utf16_length(text: str) -> int:
    # The gateway counts like .NET/Java strings: a character outside the BMP (emoji) counts 2.
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def default_endpoint(corp_id: str) -> str:
    """The HTTPS endpoint for a CorpID, from its range; ConfigError outside 100000-399999."""
    number = int(corp_id) if corp_id.isascii() and corp_id.isdigit() else -1
    if not 100000 <= number <= 399999:
        raise ConfigError(
            f"corp_id {corp_id!r} is outside the documented ranges (100000-399999), so the "
            "gateway host is unknown",
            hint="check corp_id, or set base_url to the endpoint mobset gave you",
        )
    return f"https://{HOSTS[number // 100000]}:{HTTPS_PORT}{HTTPS_PATH}"


def endpoint_from_base_url(base_url: str) -> str:
    """base_url may be the endpoint itself (path ending in /SDK3/SMS, any case) or a base that
    the documented path is appended to."""
    url = base_url.rstrip("/")
    if url.lower().endswith("/sdk3/sms"):
        return url
    path = HTTP_PATH if urlsplit(url).scheme == "http" else HTTPS_PATH
    return url + path


class UntrackedSend(SentWithoutIds):
    """SmsSend succeeded (Code > 0) but the answer cannot tie a message id to some numbers.

    The messages were sent: record them as sent and never resend them. `result` holds what
    could be matched; `untracked` the numbers sent without a usable id (their delivery
    reports cannot be attributed). Exits 3 rather than 1, so no script mistakes it for a
    rejection and sends again."""

    outcome = "accepted-without-ids"
    result: SendResult


class BatchInterrupted(SmsCliError):
    """send_batch failed part-way: `result` covers the `completed` elements that were sent;
    `error` is what stopped it (its exit code is kept)."""

    def __init__(
        self, error: SmsCliError, *, completed: int, total: int, result: SendResult
    ) -> None:
        super().__init__(
            f"element {completed + 1} of {total} failed after {completed} were sent: {error}",
            hint="the sent elements are in the partial result: do not send them again",
        )
        self.error = error
        self.completed = completed
        self.result = result
        self.exit_code = error.exit_code


@dataclass(frozen=True, slots=True)
class _Entry:
    msg_id: str | None
    phone: str | None


class MobsetClient:
    name = "mobset"
    max_numbers_per_send = MAX_NUMBERS
    max_content_chars = MAX_CONTENT
    max_ids_per_report = MAX_REPORTS
    max_sender_id = 0  # mobset has no sender id: the CLI rejects one
    report_mode = "queue"

    def __init__(
        self,
        *,
        corp_id: str,
        login_name: str,
        password: str,
        base_url: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        trace: Trace | None = None,
        clock: Callable[[], float] = time.time,
        long_sms: bool = True,
    ) -> None:
        self._corp_id = corp_id
        self._login_name = login_name
        self._password = password
        self.url = endpoint_from_base_url(base_url) if base_url else default_endpoint(corp_id)
        self.long_sms = long_sms
        self._trace = trace
        self._clock = clock
        # Seconds to add to the local clock, should the CLI learn that ours is off.
        self.clock_offset = 0.0
        self.warnings = _warnings(self.url, corp_id)
        self._client = make_client(timeout=timeout, transport=transport)

    # -- plumbing ------------------------------------------------------------------------
    def _common(self) -> list[tuple[str, str]]:
        timestamp = beijing_timestamp(self._clock() + self.clock_offset)
        return [
            ("CorpID", self._corp_id),
            ("LoginName", self._login_name),
            ("TimeStamp", timestamp),
            ("SecretKey", secret_key(self._corp_id, self._password, timestamp)),
        ]

    def _fields(self, method: str, params: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        # The documentation insists that Methods come before Content; a list keeps the order
        # on the wire exactly as written here.
        return [*self._common(), ("Methods", method), *params]

    def _call(self, method: str, params: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
        return self._read(method, self._exchange(method, params))

    def _exchange(self, method: str, params: Sequence[tuple[str, str]] = ()) -> httpx.Response:
        fields = self._fields(method, params)
        body = urlencode(fields, encoding="utf-8").encode("ascii")
        # charset=UTF-8 also wins over a server configured for GB2312 request decoding.
        headers = {"Content-Type": FORM_CONTENT_TYPE}
        return send_request(
            self._client,
            "POST",
            self.url,
            headers=headers,
            content=body,
            trace=self._trace,
            trace_headers={},
            trace_body="&".join(f"{k}={v}" for k, v in _redacted(fields)),
            fallback_charset=FALLBACK_CHARSET,
        )

    def _read(self, method: str, response: httpx.Response) -> dict[str, Any]:
        data = json_answer(
            response, self.url, own_answer=_own_answer, fallback_charset=FALLBACK_CHARSET
        )
        fields_ci = _lower_keys(data)
        if "code" not in fields_ci:
            raise NetworkError(
                f"the gateway's answer to {method} has no Code field",
                maybe_processed=True,
            )
        code = _int(fields_ci["code"])
        if code is None:
            raise NetworkError(
                f"the gateway's answer to {method} has a Code that is not a number: "
                f"{fields_ci['code']!r}",
                maybe_processed=True,
            )
        if code < 0:
            raise _gateway_error(str(code), fields_ci.get("message"), response.status_code)
        if response.status_code >= 400:
            check_status(response, self.url)
        return fields_ci

    # -- sending -------------------------------------------------------------------------
    def send_params(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
        at: datetime | None = None,
    ) -> list[tuple[str, str]]:
        """SmsSend's own parameters, checked: the common ones and Methods go in front."""
        if not numbers:
            raise ValueError("SmsSend needs at least one number")
        if len(numbers) > MAX_NUMBERS:
            raise ValueError(f"SmsSend takes at most {MAX_NUMBERS} numbers per call")
        if order_ids is not None and len(order_ids) != len(numbers):
            raise ValueError("order_ids must have one entry per number")
        if sender_id:
            raise InputError(
                "mobset has no sender id", hint="drop --sender-id (or the profile's sender_id)"
            )
        if not content.strip():
            raise InputError("the message is empty")
        if utf16_length(content) > MAX_CONTENT:
            raise InputError(
                f"the message is {utf16_length(content)} characters long; mobset takes at most "
                f"{MAX_CONTENT} (an emoji counts as 2)"
            )
        params = [("PhoneNumbers", ",".join(numbers)), ("Content", content)]
        if not self.long_sms:
            params.append(("LongSms", "0"))  # long SMS is the gateway's default: only say "no"
        if at is not None:
            params.append(("TimerSend", timer_send(at)))
        return params

    def plan_send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
        at: datetime | None = None,
    ) -> PlannedRequest:
        params = self.send_params(numbers, content, sender_id=sender_id, order_ids=order_ids, at=at)
        body = dict(_redacted(self._fields("SmsSend", params)))
        return PlannedRequest("POST", self.url, {"Content-Type": FORM_CONTENT_TYPE}, body)

    def send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
        at: datetime | None = None,
    ) -> SendResult:
        """One SmsSend (at most 50 numbers). `at` schedules it (TimerSend, sent in Beijing
        time; must be timezone-aware). `order_ids` are never sent: mobset has none, they are
        only carried into the result."""
        params = self.send_params(numbers, content, sender_id=sender_id, order_ids=order_ids, at=at)
        data = self._call("SmsSend", params)
        return _send_result(data, numbers, order_ids)

    def send_batch(self, elements: Sequence[BatchElement]) -> SendResult:
        """One SmsSend per element (mobset has no multi-content call). Prefer calling `send`
        per element from the CLI, to journal each before the next; here a failure after the
        first element raises BatchInterrupted with the part that was sent."""
        accepted: list[Submitted] = []
        success = fail = 0
        for index, element in enumerate(elements):
            try:
                result = self.send(
                    element.numbers,
                    element.content,
                    sender_id=element.sender_id,
                    order_ids=element.order_ids,
                )
            except SmsCliError as error:
                if index == 0:
                    raise
                partial = SendResult(tuple(accepted), success, fail)
                raise BatchInterrupted(
                    error, completed=index, total=len(elements), result=partial
                ) from None
            accepted.extend(result.accepted)
            success += result.success
            fail += result.fail
        return SendResult(tuple(accepted), success, fail)

    # -- reports and balance ---------------------------------------------------------------
    def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
        raise NotSupported("mobset reports come from a queue: use pull_reports")

    def pull_reports(self) -> ReportResult:
        """One SmsGetReport: up to 50 reports the gateway has not handed out before. They are
        (presumably) gone from the gateway once returned, so save them before calling again.
        `report` uses pull_raw + read_reports instead, to keep the body before reading it."""
        return self.read_reports(self.pull_raw())

    def pull_raw(self) -> RawAnswer:
        """One SmsGetReport, its answer unread. Only a failure before any answer came
        (network, timeout) raises: an answer that holds reports must reach the caller."""
        response = self._exchange("SmsGetReport")
        return RawAnswer(response.content, response.headers.get("content-type"),
                         response.status_code)

    def read_reports(self, raw: RawAnswer) -> ReportResult:
        """The reports in a kept SmsGetReport answer (NetworkError when it cannot be read,
        GatewayError for a negative Code)."""
        response = httpx.Response(
            raw.http_status,
            content=raw.body,
            headers={"Content-Type": raw.content_type} if raw.content_type else None,
        )
        data = self._read("SmsGetReport", response)
        reports = [_report(entry) for entry in _entries(data.get("details"))]
        return ReportResult(reports=tuple(r for r in reports if r is not None))

    def get_balance(self) -> Balance:
        """SmsGetBalance: the number of messages left. Its answer is undocumented, so the
        count is taken from the first field that holds one, else from Code itself."""
        try:
            data = self._call("SmsGetBalance")
        except GatewayError as error:
            if _says_unknown_method(error.provider_message):
                raise NotSupported("balance is not supported by this provider") from None
            raise
        amount = _balance_amount(data)
        # A whole number is a count of messages (the legacy SDK's convention); "12.50" is an
        # amount of money in a unit the answer does not name, shown exactly as written.
        whole = _int(amount) is not None
        return Balance(balance=amount, extra={"unit": "messages"} if whole else {})

    def pull_inbound(self) -> tuple[Inbound, ...]:
        """One SmsGetRecv: inbound messages, Details[]{PhoneNumber, RecvNumber, AddNum,
        RecvTime, Content}. Like SmsGetReport it takes no filter, so it is read as a queue
        (each message handed out once, presumably): save a batch before calling again."""
        data = self._call("SmsGetRecv")
        found = (_inbound(entry) for entry in _entries(data.get("details")))
        return tuple(item for item in found if item is not None)

    def close(self) -> None:
        self._client.close()


# -- helpers ---------------------------------------------------------------------------------


def timer_send(at: datetime) -> str:
    """TimerSend: "YYYY-MM-DD HH:MM:SS" in Beijing time."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the scheduled time must be timezone-aware")
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _warnings(url: str, corp_id: str) -> tuple[str, ...]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    warnings: list[str] = []
    if parts.scheme == "http" and host not in _LOOPBACK_HOSTS and not host.startswith("127."):
        warnings.append(
            "plain HTTP: the SecretKey travels unencrypted (anyone on the path can replay "
            "requests for 20 minutes and try to guess the password); use https"
        )
    if corp_id.isascii() and corp_id.isdigit() and host in HOSTS.values():
        expected = HOSTS.get(int(corp_id) // 100000)
        if expected is not None and expected != host:
            warnings.append(f"corp_id {corp_id} belongs on {expected}, not {host}")
    return tuple(warnings)


def _redacted(fields: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, HIDDEN if k in ("SecretKey", "Password") else v) for k, v in fields]


def _own_answer(data: Mapping[str, Any]) -> bool:
    """A 4xx/5xx answer that is mobset's own JSON error (a negative Code): its code decides."""
    code = _lower_keys(data).get("code")
    number = _int(code)
    return number is not None and number < 0


def _gateway_error(code: str, message: object, http_status: int = 200) -> GatewayError:
    decoded = mobset_codes.decode(code)
    provider_message = str(message).strip() if message is not None else ""
    text = f"gateway code {code}: {decoded.reason}"
    if provider_message:
        text += f" ({provider_message})"
    if http_status != 200:
        text += f" (HTTP {http_status})"
    return GatewayError(
        text,
        code=code,
        kind=decoded.kind,
        hint=decoded.hint,
        provider_message=provider_message or None,
    )


def _says_unknown_method(message: str | None) -> bool:
    text = (message or "").lower()
    return any(word in text for word in _UNKNOWN_METHOD_WORDS)


def _lower_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    # `Code` and `code` both occur (the SmsGetReport page uses both): keys are case-blind.
    return {str(key).lower(): value for key, value in data.items()}


def _int(value: object) -> int | None:
    # number_text already reads "12", 12, "12.0" alike and refuses the rest.
    text = number_text(value)
    return None if text is None else int(text)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _first(entry: Mapping[str, Any], keys: Sequence[str]) -> str | None:
    for key in keys:
        value = _text(entry.get(key))
        if value is not None:
            return value
    return None


def _entries(details: object) -> list[dict[str, Any]]:
    if isinstance(details, Mapping):
        details = [details]
    if not isinstance(details, list):
        return []
    return [_lower_keys(item) for item in details if isinstance(item, Mapping)]


def _send_entries(details: object) -> list[_Entry]:
    """Details of SmsSend: objects (key names uncertain, providers.md D.1), or bare ids as a
    list or comma-separated text (the legacy SDK's shape)."""
    if isinstance(details, str):
        return [_Entry(i.strip(), None) for i in details.split(",") if i.strip()]
    if isinstance(details, Mapping):
        details = [details]
    if not isinstance(details, list):
        return []
    entries: list[_Entry] = []
    for item in details:
        if isinstance(item, Mapping):
            fields = _lower_keys(item)
            entries.append(_Entry(_first(fields, _ID_KEYS), _first(fields, _PHONE_KEYS)))
        elif _text(item) is not None:
            entries.append(_Entry(_text(item), None))
    return entries


def _send_result(
    data: Mapping[str, Any], numbers: Sequence[str], order_ids: Sequence[str] | None
) -> SendResult:
    code = _int(data.get("code")) or 0
    entries = _send_entries(data.get("details"))
    if not entries:
        if code > 0:
            raise UntrackedSend(
                f"the gateway says it sent {code} message(s) but its answer carried no message "
                "ids, so their delivery cannot be followed",
                code=str(code),
                result=SendResult((), 0, 0),
                untracked=numbers,
            )
        return SendResult((), 0, len(numbers))

    free = list(range(len(numbers)))
    placed: list[tuple[int | None, _Entry]] = []
    unplaced: list[_Entry] = []
    for entry in entries:
        index = _match(entry.phone, numbers, free) if entry.phone else None
        if index is not None:
            free.remove(index)
            placed.append((index, entry))
        elif entry.phone:
            placed.append((None, entry))  # a number we did not send: kept as the gateway wrote it
        else:
            unplaced.append(entry)
    if unplaced and len(unplaced) == len(free):
        # No phone numbers in the answer: the ids follow the order of PhoneNumbers.
        placed.extend(zip(free, unplaced, strict=True))
        free, unplaced = [], []

    accepted: list[Submitted] = []
    untracked: list[str] = []
    for index, entry in sorted(placed, key=lambda p: len(numbers) if p[0] is None else p[0]):
        number = numbers[index] if index is not None else (entry.phone or "")
        if entry.msg_id is None:
            untracked.append(number)
            continue
        order_id = order_ids[index] if order_ids is not None and index is not None else None
        accepted.append(Submitted(number=number, msg_id=entry.msg_id, order_id=order_id))
    if unplaced:
        untracked.extend(numbers[i] for i in free)
    result = SendResult(
        accepted=tuple(accepted),
        success=len(accepted),
        fail=max(0, len(numbers) - len(accepted) - len(untracked)),
    )
    if untracked:
        raise UntrackedSend(
            f"the gateway sent {len(untracked)} message(s) whose ids its answer does not tie "
            "to a number, so their delivery cannot be followed",
            code=str(code),
            result=result,
            untracked=untracked,
        )
    return result


def _report(entry: Mapping[str, Any]) -> Report | None:
    msg_id = _first(entry, _ID_KEYS)
    if msg_id is None:
        return None  # nothing to attach it to
    raw = _text(entry.get("status")) or ""
    ex_status = _text(entry.get("exstatus"))
    known = _REPORT_STATUS.get(raw)
    if known is None:
        status, meaning = DeliveryStatus.UNKNOWN, f"unknown status {raw!r}"
    else:
        status, meaning = known
    if raw in ("12", "13"):
        detail = ex_status or meaning
    else:
        detail = f"{meaning} ({ex_status})" if ex_status else meaning
    return Report(
        msg_id=msg_id,
        status=status,
        number=_first(entry, _PHONE_KEYS),
        time=parse_beijing_time(entry.get("reporttime")),
        code=raw or None,
        detail=detail,
    )


def _inbound(entry: Mapping[str, Any]) -> Inbound | None:
    """An SmsGetRecv entry (keys already lower-case). RecvNumber is the account's number the
    phone wrote to, AddNum the extension after it (if any)."""
    number = _text(entry.get("phonenumber")) or _first(entry, _PHONE_KEYS)
    if number is None:
        return None
    to = _text(entry.get("recvnumber"))
    extension = _text(entry.get("addnum"))
    if extension:
        to = f"{to or ''}{extension}"
    content = entry.get("content")
    return Inbound(
        number=number,
        to=to,
        content="" if content is None else str(content),
        time=parse_beijing_time(entry.get("recvtime")),
        msg_id=_first(entry, _ID_KEYS),
    )


def parse_beijing_time(value: object) -> datetime | None:
    """The "yyyy-MM-dd HH:mm:ss" of reports (and near variants), Beijing time, made aware."""
    text = _text(value)
    if text is None:
        return None
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    return None


def _amount(value: object) -> str | None:
    """A balance exactly as written ("12.50", 1234), or None when it is not a number."""
    text = _text(value)
    if text is None:
        return None
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return text if number.is_finite() else None


def _balance_amount(data: Mapping[str, Any]) -> str:
    for key in _BALANCE_KEYS:
        amount = _amount(data[key]) if key in data else None
        if amount is not None:
            return amount
    details = data.get("details")
    scalar = _amount(details) if not isinstance(details, dict | list) else None
    if scalar is not None:
        return scalar
    for entry in _entries(details):
        for key in _BALANCE_KEYS:
            amount = _amount(entry[key]) if key in entry else None
            if amount is not None:
                return amount
    count = _int(data.get("code"))
    return str(count) if count is not None else "0"
