"""The v3 JSON API shared by laaffic, onbuka and itniotech (and any other host of that
white-label platform, through base_url). providers.md part A is the reference."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from smscli.gateways.base import ReportMode, Trace
from smscli.gateways.environment import make_client
from smscli.gateways.http import check_status, mask_key, request_json
from smscli.gateways.v3_answers import (
    array_items,
    gateway_error,
    int_value,
    opt_str,
    platform_answer,
    send_result,
    status_text,
)

if TYPE_CHECKING:
    from smscli.gateways.balance import Balance
    from smscli.gateways.batch import BatchElement

    # The account's records (dataclasses) are built by v3_records, imported only by `sync`:
    # send, report and balance do not pay for them.
    from smscli.gateways.records import InboundPage, SentPage
    from smscli.gateways.reportcalls import ReportResult
    from smscli.gateways.sends import PlannedRequest, SendResult

MAX_NUMBERS_POST = 1000
MAX_CONTENT = 1024
MAX_SENDER_ID = 32
MAX_REPORT_IDS = 200



def sign(api_key: str, api_secret: str, timestamp: str) -> str:
    return hashlib.md5((api_key + api_secret + timestamp).encode("utf-8")).hexdigest()


class V3Client:
    name = "v3"
    max_numbers_per_send = MAX_NUMBERS_POST
    max_content_chars = MAX_CONTENT
    max_sender_id = MAX_SENDER_ID
    max_ids_per_report = MAX_REPORT_IDS
    report_mode = ReportMode.QUERY  # reports are looked up by msgId, repeatably
    can_schedule = False  # the API has no scheduled sending
    multi_content = True  # sendSms/batch
    balance_unit: str | None = None  # an amount of money
    warnings: tuple[str, ...] = ()

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
        self._client = make_client(timeout=timeout, transport=transport, url=self.base_url)

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
        status = status_text(data, path)
        if status == "-16" and self._learn_clock(response):
            # -16 means the request was refused unprocessed, so one retry with the gateway's
            # own clock cannot double-send.
            data, response = self._exchange(method, path, body=body, params=params)
            status = status_text(data, path)
        if status != "0":
            raise gateway_error(status, data, response.status_code)
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
            own_answer=platform_answer,
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
        from smscli.gateways.sends import PlannedRequest  # not for a balance or a report

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
        return send_result(data, numbers)

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
        return send_result(data, numbers)

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
        if len(msg_ids) > MAX_REPORT_IDS:
            raise ValueError(f"getReport takes at most {MAX_REPORT_IDS} ids per call")
        from smscli.gateways.reportcalls import ReportResult
        from smscli.gateways.v3_reports import read_report

        params = {"appId": self._app_id, "msgIds": ",".join(msg_ids)}
        data, _ = self._call("GET", "getReport", params=params)
        times: dict[object, datetime | None] = {}  # each distinct receiveTime read once
        reports = tuple(read_report(item, times) for item in array_items(data))
        return ReportResult(reports=reports, not_found=int_value(data.get("nofound")))

    def get_balance(self) -> Balance:
        from smscli.gateways.balance import Balance

        data, _ = self._call("GET", "getBalance")
        # Any of the three may be missing or null (onbuka's answer has no credit): None then,
        # never the text "None".
        return Balance(
            balance=opt_str(data.get("balance")),
            gift=opt_str(data.get("gift")),
            credit=opt_str(data.get("credit")),
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


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    # Only a -16 answer needs it; email.utils costs every start-up ~7 ms.
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


