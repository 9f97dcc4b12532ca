"""mobset 短信易 SDK3 (providers.md part B): one form-encoded endpoint, the operation chosen by
`Methods`, every request signed with SecretKey = md5(CorpID + Password + TimeStamp).

What differs from the v3 family, and how the CLI should use it:

- at most 50 numbers and 900 characters per SmsSend; no sender id (`max_sender_id = 0`); no
  multi-content call, so `send_batch` makes one SmsSend per element.
- delivery reports are not queried by id: SmsGetReport hands out up to 50 reports that nobody
  has fetched yet and (as far as anyone can tell) never hands them out again. So
  `report_mode = "queue"`, `get_report` raises NotSupported, and the CLI calls `pull_reports()`
  repeatedly, saving each batch before the next call, until one comes back empty.
- an SmsSend answer whose message ids cannot be tied to the numbers is a SendResult with those
  numbers `untracked`: the messages went out, so the CLI must record them as sent and never
  send them again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode

import httpx

from smscli.errors import (
    GatewayError,
    InputError,
    NetworkError,
    NotSupported,
    SmsCliError,
)
from smscli.gateways.base import (
    Balance,
    BatchElement,
    PlannedRequest,
    RawAnswer,
    ReportMode,
    ReportResult,
    SendResult,
    Submitted,
    Trace,
    plan_one_element,
)
from smscli.gateways.environment import make_client
from smscli.gateways.http import check_status, json_answer, send_request
from smscli.gateways.mobset_answers import (
    BEIJING,
    balance_amount,
    entries,
    gateway_error,
    int_value,
    lower_keys,
    own_answer,
    read_inbound,
    read_report,
    says_unknown_method,
    send_result,
)
from smscli.gateways.mobset_endpoint import (
    default_endpoint,
    endpoint_from_base_url,
    endpoint_warnings,
)
from smscli.gateways.records import Inbound

MAX_NUMBERS: Final = 50
MAX_CONTENT: Final = 900
MAX_REPORTS: Final = 50

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded; charset=UTF-8"
# A Chinese IIS server may answer in GBK without saying so: read as GB18030 when UTF-8 fails.
FALLBACK_CHARSET: Final = "gb18030"
HIDDEN: Final = "<hidden>"


def secret_key(corp_id: str, password: str, timestamp: str) -> str:
    """SecretKey: md5 of the plain concatenation, lower-case hex (the gateway ignores case)."""
    return hashlib.md5((corp_id + password + timestamp).encode("utf-8")).hexdigest()


def beijing_timestamp(epoch: float) -> str:
    """TimeStamp: YYYYMMDDHHMMSS in Beijing time."""
    return datetime.fromtimestamp(epoch, BEIJING).strftime("%Y%m%d%H%M%S")


def utf16_length(text: str) -> int:
    # The gateway counts like .NET/Java strings: a character outside the BMP (emoji) counts 2.
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


class MobsetClient:
    name = "mobset"
    max_numbers_per_send = MAX_NUMBERS
    max_content_chars = MAX_CONTENT
    max_ids_per_report = MAX_REPORTS
    max_sender_id = 0  # mobset has no sender id: the CLI rejects one
    report_mode = ReportMode.QUEUE
    can_schedule = True  # TimerSend
    multi_content = False  # one SmsSend per content
    # The legacy SDK's convention; a decimal answer is money in a unit it does not name.
    balance_unit: str | None = "messages"

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
        self.warnings = endpoint_warnings(self.url, corp_id)
        self._client = make_client(timeout=timeout, transport=transport, url=self.url)

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
            response, self.url, own_answer=own_answer, fallback_charset=FALLBACK_CHARSET
        )
        fields_ci = lower_keys(data)
        if "code" not in fields_ci:
            raise NetworkError(
                f"the gateway's answer to {method} has no Code field",
                maybe_processed=True,
            )
        code = int_value(fields_ci["code"])
        if code is None:
            raise NetworkError(
                f"the gateway's answer to {method} has a Code that is not a number: "
                f"{fields_ci['code']!r}",
                maybe_processed=True,
            )
        if code < 0:
            raise gateway_error(str(code), fields_ci.get("message"), response.status_code)
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
        return send_result(data, numbers, order_ids)

    def plan_batch(self, elements: Sequence[BatchElement]) -> PlannedRequest:
        """One element is one SmsSend; more are as many requests, not shown as one."""
        return plan_one_element(self, elements)

    def send_batch(self, elements: Sequence[BatchElement]) -> SendResult:
        """One SmsSend per element (mobset has no multi-content call). Prefer calling `send`
        per element from the CLI, to journal each before the next; here a failure of the first
        element is raised (nothing was sent), and a later one ends the batch with a result
        holding the part that was sent and the error that stopped it (`stopped_by`)."""
        accepted: list[Submitted] = []
        untracked: list[str] = []
        notes: list[str] = []
        success = fail = 0
        code = None
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
                return SendResult(
                    tuple(accepted), success, fail, untracked=tuple(untracked),
                    note=_one_note(notes, len(untracked)), code=code, stopped_by=error,
                    elements_sent=index, elements=len(elements),
                )
            accepted.extend(result.accepted)
            untracked.extend(result.untracked)
            success += result.success
            fail += result.fail
            if result.note is not None:
                notes.append(result.note)
                code = code or result.code
        return SendResult(
            tuple(accepted), success, fail, untracked=tuple(untracked),
            note=_one_note(notes, len(untracked)), code=code,
        )

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
        reports = [read_report(entry) for entry in entries(data.get("details"))]
        return ReportResult(reports=tuple(r for r in reports if r is not None))

    def get_balance(self) -> Balance:
        """SmsGetBalance: the number of messages left. Its answer is undocumented, so the
        count is taken from the first field that holds one, else from Code itself."""
        try:
            data = self._call("SmsGetBalance")
        except GatewayError as error:
            if says_unknown_method(error.provider_message):
                raise NotSupported("balance is not supported by this provider") from None
            raise
        amount = balance_amount(data)
        # A whole number is a count of messages (the legacy SDK's convention); "12.50" is an
        # amount of money in a unit the answer does not name, shown exactly as written.
        whole = int_value(amount) is not None
        unit = self.balance_unit
        return Balance(balance=amount, extra={"unit": unit} if whole and unit else {})

    def pull_inbound(self) -> tuple[Inbound, ...]:
        """One SmsGetRecv: inbound messages, Details[]{PhoneNumber, RecvNumber, AddNum,
        RecvTime, Content}. Like SmsGetReport it takes no filter, so it is read as a queue
        (each message handed out once, presumably): save a batch before calling again."""
        data = self._call("SmsGetRecv")
        found = (read_inbound(entry) for entry in entries(data.get("details")))
        return tuple(item for item in found if item is not None)

    def close(self) -> None:
        self._client.close()


# -- helpers ---------------------------------------------------------------------------------


def timer_send(at: datetime) -> str:
    """TimerSend: "YYYY-MM-DD HH:MM:SS" in Beijing time."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the scheduled time must be timezone-aware")
    return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _one_note(notes: list[str], untracked: int) -> str | None:
    """Why numbers went without an id, in one line for the whole batch."""
    if len(notes) < 2:
        return notes[0] if notes else None
    return (
        f"the gateway sent {untracked} message(s) whose ids its answers do not tie to a "
        "number, so their delivery cannot be followed"
    )


def _redacted(fields: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, HIDDEN if k in ("SecretKey", "Password") else v) for k, v in fields]


