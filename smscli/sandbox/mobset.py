"""An offline simulator of mobset 短信易 SDK3 (providers.md part B), the mobset twin of
smscli.sandbox.v3.

`provider = "sandbox-mobset"` uses it in-process, and tests use it through
`httpx.MockTransport(sb.handle)` or over real HTTP with `LoopbackServer(sb.handle)`. It follows
the documents as strictly as they allow; where they are silent it takes the stricter reading,
so that a client that works here has the best chance against the real gateway.

The credentials below are the sandbox's own, invented for it: they are not mobset's and open
no real account.

Transport: one endpoint, any URL path ending in ``/SDK3/SMS`` (any case: the documents write
``/SDK3/Sms`` for HTTP and ``/SDK3/SMS`` for HTTPS). POST with a form-encoded UTF-8 body, or
GET with the same fields in the query. Other paths: HTTP 404 (an HTML page, as IIS sends);
other HTTP methods: 405. Every API-level answer is HTTP 200 JSON. Parameter names are matched
without regard to case (as ASP.NET's Request does); values are not trimmed.

Answers (key names chosen where the documents leave them open, providers.md D.1/D.2):

    SmsSend        {"Code": n, "Message": "发送成功",
                    "Details": [{"SmsId": "1000000001", "PhoneNumber": "8613800000000"}, ...]}
                   Code = numbers accepted (all of them: a request is accepted whole or not at
                   all), an int; one SmsId per number, in the order of PhoneNumbers.
    SmsGetReport   {"code": "n", "Message": "取短信状态报告成功",
                    "Details": [{"SmsId": "...", "Status": "12", "ReportTime":
                    "2026-09-21 22:13:23", "ExStatus": "DELIVRD"}, ...]}
                   Lower-case "code" and string values, exactly as the documentation's example.
                   At most 50 reports per call, oldest first; a report is handed out once.
    SmsGetBalance  {"Code": "n", "Message": "取账号剩余短信量成功"}: Code is the number of
                   messages left (the legacy SDK's convention; SDK3 documents no answer).
    SmsGetRecv     {"Code": n, "Message": "取上行短信成功", "Details": [{"PhoneNumber": "...",
                    "RecvNumber": "1069...", "AddNum": "", "RecvTime": "2026-09-21 22:13:23",
                    "Content": "..."}, ...]}: the inbound messages injected with
                   inject_inbound (`smscli sandbox inbound --mobset`), at most 50 per call,
                   oldest first, each handed out once (read as a queue, like SmsGetReport).
    any error      {"Code": -n, "Message": "<Chinese reason>"}

Error codes, in the order the checks run (nothing is stored or charged unless the answer is a
success). The legacy table (providers.md B.6) has no codes for limits, so the sandbox uses -6
("输入参数不完整/有误") for values out of range and keeps -1 for missing ones; -10 is left alone
because the legacy table marks it as a client wrapper's own code, not the server's:

    ====  ========================================================================================
    -1    body not UTF-8; CorpID, LoginName, TimeStamp, SecretKey or Methods missing or empty
    -2    CorpID or LoginName not this account's
    -2    TimeStamp not 14 digits YYYYMMDDHHMMSS, or more than 20 minutes from Beijing time
    -2    SecretKey not md5(CorpID + Password + TimeStamp) (hex, any case)
    -1    Methods not one of SmsSend, SmsGetReport, SmsGetBalance, SmsGetRecv
    -1    SmsSend: Methods after Content (the documentation forbids it); PhoneNumbers or
          Content missing or blank
    -6    more than 50 numbers; Content over 900 characters (UTF-16 units: an emoji is 2);
          TimerSend not "YYYY-MM-DD HH:MM:SS"
    -3    any number not 6-20 ASCII digits (an empty entry from ",," included)
    -9    Content contains SANDBOX:SENSITIVE
    -4    Content contains SANDBOX:NOBALANCE, or the balance cannot pay for the messages
    -7    the state store failed (e.g. the SQLite file stayed locked for 30 s)
    ====  ========================================================================================

Magic numbers: ending in ``0999`` -> report Status 13 with ExStatus "UNDELIV"; ending in
``0998`` -> never reported; any other -> Status 12 "DELIVRD". A report joins the queue
delivery_delay seconds after the send (after the TimerSend time for a scheduled one).

Quirk modes (`quirks=`, `sandbox serve --mobset --quirk`, the profile's `sandbox_quirks`)
reshape the answers as real servers send them: a BOM, GBK bodies, numbers as JSON numbers, a
decimal Balance, a queue that repeats itself (smscli.sandbox.quirks.MOBSET_QUIRKS).

Charging: each number costs one message per segment (one up to 70 characters, else 67 per
segment, as mobset bills long SMS). State (SmsIds, the queue, the balance) lives in SQLite
under state_dir (WAL; safe across threads and processes) or in memory when state_dir is None.
"""

from __future__ import annotations

import pathlib
import sqlite3
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Final

import httpx

from smscli.sandbox import mobset_wire as wire
from smscli.sandbox.common import (
    PLATFORM_TZ,
    ApiError,
    Fate,
    Simulator,
    beijing_text,
    fate_of,
    md5_hex,
    same,
    state_path,
    utf16_length,
)
from smscli.sandbox.mobset_store import MobsetStore
from smscli.sandbox.mobset_wire import RecordedRequest

# Sandbox-only credentials: invented for the simulator, not mobset's.
MOBSET_SANDBOX_CORP_ID: Final = "100000"
MOBSET_SANDBOX_LOGIN_NAME: Final = "sandbox"
MOBSET_SANDBOX_PASSWORD: Final = "sandbox-password"  # noqa: S105

# The account's own number that injected inbound messages are addressed to by default.
RECV_NUMBER: Final = "10690000"
TIMESTAMP_TOLERANCE_SECONDS: Final = 20 * 60
DEFAULT_BALANCE: Final = 100_000


class MobsetSandbox(Simulator):
    """The simulated gateway. Call `handle` (or use `transport()`) from any number of threads."""

    _store: MobsetStore

    def __init__(
        self,
        state_dir: pathlib.Path | None,
        *,
        corp_id: str = MOBSET_SANDBOX_CORP_ID,
        login_name: str = MOBSET_SANDBOX_LOGIN_NAME,
        password: str = MOBSET_SANDBOX_PASSWORD,
        latency: float = 0.0,
        clock: Callable[[], float] = time.time,
        delivery_delay: float = 3.0,
        record: bool = False,
        balance: int = DEFAULT_BALANCE,
        quirks: Iterable[str] = (),
    ) -> None:
        super().__init__(
            latency=latency, clock=clock, delivery_delay=delivery_delay, record=record,
            quirks=quirks,
        )
        if isinstance(balance, bool) or not isinstance(balance, int) or balance < 0:
            raise ValueError(f"balance must be a whole number of messages >= 0, got {balance!r}")
        self._corp_id = corp_id
        self._login_name = login_name
        self._password = password
        self.received: list[RecordedRequest] = []
        path = state_path(state_dir, "mobset-sandbox.sqlite3")
        self._store = MobsetStore(path, balance, repeat="repeat-reports" in self.quirks)
        self._methods: dict[str, Callable[[dict[str, str], list[str]], dict[str, object]]] = {
            "SmsSend": self._send,
            "SmsGetReport": self._get_report,
            "SmsGetBalance": self._get_balance,
            "SmsGetRecv": self._get_recv,
        }

    def balance(self) -> int:
        """Messages left (for tests and `sandbox` commands)."""
        return self._store.balance()

    def handle(self, request: httpx.Request) -> httpx.Response:
        self._arrive(request)
        segments = request.url.path.rstrip("/").lower().split("/")
        if segments[-2:] != ["sdk3", "sms"]:
            return wire.not_found(request)
        if request.method not in ("GET", "POST"):
            return httpx.Response(
                405,
                text="405 - Method Not Allowed\n",
                headers={"Allow": "GET, POST", "Content-Type": "text/plain; charset=utf-8"},
            )
        fields: list[tuple[str, str]] = []
        method: str | None = None
        try:
            fields = wire.fields(request)
            method = next((v for k, v in fields if k.lower() == "methods"), None)
            body = self._dispatch(fields)
        except ApiError as error:
            body = wire.error_body(error)
        except sqlite3.Error:
            body = wire.error_body(ApiError("-7", wire.MESSAGES["database"]))
        finally:
            if self._record:
                # list.append is atomic, so concurrent handlers need no lock here.
                self.received.append(
                    RecordedRequest(
                        method=request.method,
                        path=request.url.path,
                        headers=dict(request.headers),
                        fields=tuple(fields),
                        body=request.content,
                    )
                )
        if self.quirks:
            from smscli.sandbox.quirks import mobset_answer

            content, content_type = mobset_answer(method, body, self.quirks)
            return httpx.Response(200, content=content, headers={"Content-Type": content_type})
        return wire.json_response(body)

    # -- checks shared by every method ---------------------------------------------------

    def _dispatch(self, pairs: list[tuple[str, str]]) -> dict[str, object]:
        params: dict[str, str] = {}
        names: list[str] = []
        for name, value in pairs:
            key = name.lower()
            # A repeated field reads as its values joined by commas, as ASP.NET binds it.
            params[key] = f"{params[key]},{value}" if key in params else value
            names.append(key)
        for name in wire.REQUIRED:
            if not params.get(name.lower()):
                raise ApiError("-1", f"{wire.MESSAGES['missing']}(缺少{name})")
        self._authenticate(params)
        method = self._methods.get(params["methods"])
        if method is None:
            raise ApiError("-1", wire.MESSAGES["method"])
        return method(params, names)

    def _authenticate(self, params: dict[str, str]) -> None:
        if not same(params["corpid"], self._corp_id) or not same(
            params["loginname"], self._login_name
        ):
            raise ApiError("-2", wire.MESSAGES["credentials"])
        timestamp = params["timestamp"]
        if not wire.TIMESTAMP_RE.fullmatch(timestamp):
            raise ApiError("-2", wire.MESSAGES["timestamp"])
        try:
            sent_at = datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=PLATFORM_TZ)
        except ValueError:
            raise ApiError("-2", wire.MESSAGES["timestamp"]) from None
        if abs(sent_at.timestamp() - self._clock()) > TIMESTAMP_TOLERANCE_SECONDS:
            raise ApiError("-2", wire.MESSAGES["timestamp"])
        expected = md5_hex(self._corp_id, self._password, timestamp)
        if not same(params["secretkey"].lower(), expected):
            raise ApiError("-2", wire.MESSAGES["credentials"])

    # -- methods -------------------------------------------------------------------------

    def _send(self, params: dict[str, str], names: list[str]) -> dict[str, object]:
        if "content" in names and names.index("methods") > names.index("content"):
            raise ApiError("-1", wire.MESSAGES["order"])
        raw_numbers = params.get("phonenumbers", "")
        content = params.get("content", "")
        if not raw_numbers.strip():
            raise ApiError("-1", f"{wire.MESSAGES['missing']}(缺少PhoneNumbers)")
        if not content.strip():
            raise ApiError("-1", f"{wire.MESSAGES['missing']}(缺少Content)")
        numbers = raw_numbers.split(",")
        if len(numbers) > wire.MAX_NUMBERS:
            raise ApiError("-6", wire.MESSAGES["too_many"])
        if utf16_length(content) > wire.MAX_CONTENT_CHARS:
            raise ApiError("-6", wire.MESSAGES["too_long"])
        now = self._clock()
        start = now
        timer = params.get("timersend", "")
        if timer:
            start = max(now, wire.parse_timer(timer))
        bad = [n for n in numbers if not wire.NUMBER_RE.fullmatch(n)]
        if bad:
            raise ApiError("-3", f"{wire.MESSAGES['number']}({bad[0]})")
        for marker, code in wire.MAGIC_CONTENT.items():
            if marker in content:
                raise ApiError(str(code), wire.MESSAGES["keyword" if code == -9 else "balance"])
        messages = [(n, fate_of(n)) for n in numbers]
        cost = len(numbers) * wire.segments(content)
        ids = self._store.submit(messages, start + self._delivery_delay, cost)
        if ids is None:
            raise ApiError("-4", wire.MESSAGES["balance"])
        return {
            "Code": len(ids),
            "Message": wire.MESSAGES["sent"],
            "Details": [
                {"SmsId": str(sms_id), "PhoneNumber": number}
                for sms_id, number in zip(ids, numbers, strict=True)
            ],
        }

    def _get_report(self, params: dict[str, str], names: list[str]) -> dict[str, object]:
        popped = self._store.pop_reports(self._clock(), wire.MAX_REPORTS)
        details = [
            {
                "SmsId": str(item.sms_id),
                "Status": "13" if item.fate is Fate.FAIL else "12",
                "ReportTime": beijing_text(item.ready_at),
                "ExStatus": "UNDELIV" if item.fate is Fate.FAIL else "DELIVRD",
            }
            for item in popped
        ]
        # Lower-case "code" and string values, as in the documentation's own example.
        return {"code": str(len(details)), "Message": wire.MESSAGES["report"], "Details": details}

    def _get_balance(self, params: dict[str, str], names: list[str]) -> dict[str, object]:
        return {"Code": str(self._store.balance()), "Message": wire.MESSAGES["balance_ok"]}

    def _get_recv(self, params: dict[str, str], names: list[str]) -> dict[str, object]:
        popped = self._store.pop_inbound(wire.MAX_RECV)
        details = [
            {
                "PhoneNumber": number,
                "RecvNumber": recv_number,
                "AddNum": add_num,
                "RecvTime": beijing_text(at),
                "Content": content,
            }
            for number, recv_number, add_num, content, at in popped
        ]
        return {"Code": len(details), "Message": wire.MESSAGES["recv"], "Details": details}

    def inject_inbound(
        self, number: str, content: str, *, to: str | None = None, at: float | None = None
    ) -> None:
        """A message from `number` to the account (`to`: its number, else RECV_NUMBER), for
        SmsGetRecv to hand out."""
        self._store.add_inbound(
            number, to or RECV_NUMBER, "", content, self._clock() if at is None else at
        )


