"""The fake v3 gateway: the sandbox simulator with a request log and scripted faults,
reachable in-process (httpx.MockTransport) and over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import httpx

from smscli.gateways.loopback import DropConnection, LoopbackServer
from smscli.gateways.sandbox import Sandbox

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
