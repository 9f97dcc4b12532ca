"""The v3 JSON API shared by laaffic, onbuka and itniotech (and any other host of that
white-label platform, through base_url). providers.md part A is the reference."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from smscli.errors import GatewayError, NetworkError
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
from smscli.gateways.http import make_client, mask_key, request_json

MAX_NUMBERS_POST = 1000
MAX_CONTENT = 1024
MAX_SENDER_ID = 32
MAX_REPORT_IDS = 200

_REPORT_STATUS = {
    "0": DeliveryStatus.DELIVERED,
    "-1": DeliveryStatus.PENDING,
    "1": DeliveryStatus.FAILED,
}


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
            raise _gateway_error(status, data)
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
        return _send_result(data)

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
        return _send_result(data)

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
        if len(msg_ids) > MAX_REPORT_IDS:
            raise ValueError(f"getReport takes at most {MAX_REPORT_IDS} ids per call")
        params = {"appId": self._app_id, "msgIds": ",".join(msg_ids)}
        data, _ = self._call("GET", "getReport", params=params)
        reports = tuple(_report(item) for item in _array(data))
        return ReportResult(reports=reports, not_found=_int(data.get("nofound")))

    def get_balance(self) -> Balance:
        data, _ = self._call("GET", "getBalance")
        return Balance(
            balance=str(data.get("balance", "")),
            gift=_opt_str(data.get("gift")),
            credit=_opt_str(data.get("credit")),
        )

    def close(self) -> None:
        self._client.close()


def _status(data: Mapping[str, Any], path: str) -> str:
    status = str(data.get("status", "")).strip()
    if status == "":
        raise NetworkError(f"the gateway's answer to {path} has no status field",
                           maybe_processed=True)
    return status


def _http_date(value: str | None) -> float | None:
    if not value:
        return None
    # Only a -16 answer needs it; email.utils costs every start-up ~7 ms.
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _gateway_error(status: str, data: Mapping[str, Any]) -> GatewayError:
    code = v3_codes.decode(status)
    reason = data.get("reason")
    return GatewayError(
        f"gateway status {status}: {code.reason}",
        code=status,
        kind=code.kind,
        hint=code.hint,
        provider_message=str(reason) if reason else None,
    )


def _array(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    array = data.get("array")
    if not isinstance(array, list):
        return []
    # json.loads only makes dicts; the exact type check is much cheaper than Mapping's.
    return [item for item in array if type(item) is dict]


def _send_result(data: Mapping[str, Any]) -> SendResult:
    accepted = tuple(
        Submitted(str(item.get("number", "")), str(item.get("msgId", "")),
                  _opt_str(item.get("orderId")))
        for item in _array(data)
    )
    return SendResult(
        accepted=accepted,
        success=_int(data.get("success"), default=len(accepted)),
        fail=_int(data.get("fail")),
    )


def _report(item: Mapping[str, Any]) -> Report:
    raw = str(item.get("status", "")).strip()
    status = _REPORT_STATUS.get(raw, DeliveryStatus.UNKNOWN)
    return Report(
        msg_id=str(item.get("msgId", "")),
        status=status,
        number=_opt_str(item.get("number")),
        time=_parse_time(item.get("receiveTime")),
        code=raw or None,
        detail=None if status is not DeliveryStatus.UNKNOWN else f"unknown status {raw!r}",
    )


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None


def _int(value: object, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text != "" else None
