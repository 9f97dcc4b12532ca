"""The fake v3 gateway: the sandbox simulator with a request log and scripted faults,
reachable in-process (httpx.MockTransport) and over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path

import httpx

from smscli.sandbox.loopback import DropConnection, LoopbackServer
from smscli.sandbox.v3 import Sandbox

Fault = Callable[[httpx.Request, "FakeGateway"], httpx.Response]


def http_500(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
    return httpx.Response(500, text="Internal Server Error")


def not_json(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
    return httpx.Response(
        200, text="<html>maintenance</html>", headers={"content-type": "text/html"}
    )


def drop(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
    raise DropConnection()


def status(code: str) -> Fault:
    def fault(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
        return httpx.Response(200, json={"status": code, "reason": "some vendor text"})

    return fault


def after_processing(fault: Fault) -> Fault:
    """The gateway processes the request, then the answer is lost."""

    def wrapped(request: httpx.Request, gw: FakeGateway) -> httpx.Response:
        gw.sandbox.handle(request)
        return fault(request, gw)

    return wrapped


class FakeGateway:
    def __init__(self, state_dir: Path, **sandbox_options: object) -> None:
        self.sandbox = Sandbox(state_dir, record=True, **sandbox_options)  # type: ignore[arg-type]
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self.server: LoopbackServer | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            return fault(request, self)
        return self.sandbox.handle(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    @property
    def received(self) -> list[object]:
        return list(self.sandbox.received)

    def sends(self) -> list[dict[str, object]]:
        """The JSON bodies of every sendSms the sandbox itself processed."""
        return [
            r.json
            for r in self.sandbox.received  # type: ignore[attr-defined]
            if str(r.path).endswith("sendSms") and isinstance(r.json, dict)
        ]

    def batch_bodies(self) -> list[dict[str, object]]:
        """The JSON bodies of every sendSms/batch the sandbox itself processed."""
        return [
            r.json  # type: ignore[attr-defined]
            for r in self.sandbox.received
            if str(r.path).endswith("sendSms/batch") and isinstance(r.json, dict)
        ]

    def numbers_received_batch(self) -> list[str]:
        out: list[str] = []
        for body in self.batch_bodies():
            for element in body["array"]:  # type: ignore[union-attr]
                out.extend(str(element["numbers"]).split(","))
        return out

    def numbers_received(self) -> list[str]:
        out: list[str] = []
        for body in self.sends():
            out.extend(str(body["numbers"]).split(","))
        return out

    def start(self) -> str:
        self.server = LoopbackServer(self.handle).start()
        return self.server.url

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
        self.sandbox.close()


def write_profile(
    config: Path, base_url: str, *, provider: str = "laaffic", extra: str = ""
) -> None:
    """A real-looking profile pointing at the fake gateway, with the sandbox's credentials."""
    config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.write_text(
        f'default_profile = "main"\n[profiles.main]\nprovider = "{provider}"\n'
        f'api_key = "bDqJFiq9"\napi_secret = "7bz1lzh9"\napp_id = "4luaKsL2"\n'
        f"base_url = {json.dumps(base_url)}\n{extra}",
        encoding="utf-8",
    )
    config.chmod(0o600)


# -- a gateway with its own request log and a clock of its own --------------------------------


def sms_numbers(request: httpx.Request) -> tuple[str, ...] | None:
    """The numbers of a sendSms request (POST JSON or GET query); None for other requests."""
    if not request.url.path.endswith("sendSms"):
        return None
    raw: object = request.url.params.get("numbers")
    if request.method == "POST":
        try:
            body = json.loads(request.read())
        except ValueError:
            body = None
        raw = body.get("numbers") if isinstance(body, dict) else None
    return tuple(str(raw).split(",")) if raw else ()


def answer_of(response: httpx.Response) -> str:
    """How a request was answered, in one word: the v3 status ("0", "-15" ...) of a JSON answer,
    else "HTTP <code>"."""
    try:
        body = json.loads(response.read())
    except ValueError:
        body = None
    if response.status_code == 200 and isinstance(body, dict) and "status" in body:
        return str(body["status"])
    return f"HTTP {response.status_code}"


class LoggedGateway(FakeGateway):
    """A FakeGateway that logs every sendSms reaching it, scripted fault or not, with how it was
    answered ("0", "-15", "HTTP 500", "dropped"), and dates every answer (`Date` header) as a
    real server does. `numbers_received()` stays the sandbox's own log (what it processed).

    `clock_skew` runs the gateway's clock that many seconds off ours: its sandbox judges each
    request's Timestamp by that clock (-16 when more than 30 minutes off) and the Date header
    carries it, so a client can learn the offset from any answer."""

    def __init__(
        self, state_dir: Path, *, clock_skew: float = 0.0, **sandbox_options: object
    ) -> None:
        self.clock_skew = clock_skew
        super().__init__(state_dir, clock=self.clock, **sandbox_options)
        self.log: list[tuple[tuple[str, ...], str]] = []
        self._log_lock = threading.Lock()

    def clock(self) -> float:
        return time.time() + self.clock_skew

    def handle(self, request: httpx.Request) -> httpx.Response:
        numbers = sms_numbers(request)
        answer = "dropped"
        try:
            response = super().handle(request)
            answer = answer_of(response)
        finally:
            if numbers is not None:
                with self._log_lock:
                    self.log.append((numbers, answer))
        response.headers["Date"] = formatdate(self.clock(), usegmt=True)
        return response

    def arrived(self) -> list[str]:
        """The numbers of every sendSms that reached the gateway, retries and faults included."""
        with self._log_lock:
            return [n for numbers, _ in self.log for n in numbers]

    def answered(self, answer: str) -> list[str]:
        """The numbers of every sendSms answered `answer` ("0": what the client was told was
        accepted)."""
        with self._log_lock:
            return [n for numbers, given in self.log if given == answer for n in numbers]

    def answers(self) -> list[str]:
        with self._log_lock:
            return [given for _, given in self.log]
