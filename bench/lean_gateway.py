"""A lean v3 gateway on 127.0.0.1 for benches: fixed latency, next to no CPU per request, in
its own process (so its work never takes the GIL from the client being measured).

It answers sendSms, sendSms/batch, getReport and getBalance with the v3 shapes (providers.md
part A) and checks nothing but the HTTP framing: the benches measure clients, not this. The
acceptance-style sandbox (smscli.sandbox.v3) validates every field and spends about as
much CPU per request as the client, which distorts any ratio.

msgIds are 19 digits, unique per process (a counter), like the real ones. getReport answers
every id as pending (-1): a report asked again asks the gateway again, run after run.

GET /stats answers {"requests": n, "numbers": n, "peak": most requests in flight at once,
"first": when the first request came, "last": when the last answer left (epoch seconds),
"inflight_seconds": requests in flight integrated over time}; POST /reset zeroes them.

Run: python bench/lean_gateway.py [--latency 0.1] [--port 0]; prints `PORT <n>` on stdout
when it listens. Stdlib only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from urllib.parse import parse_qs, urlsplit

FIRST_ID = 2304252117461165117
RECEIVED = "2026-12-01T10:00:00+08:00"


class Gateway:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.next_id = FIRST_ID
        self.requests = 0
        self.numbers = 0
        self.active = 0
        self.peak = 0
        # When the first request came and the last answer left (epoch seconds), and the
        # integral of requests in flight over time: how full the client kept its pipeline.
        self.first: float | None = None
        self.last: float | None = None
        self.inflight_seconds = 0.0
        self._changed = 0.0

    def _account(self, delta: int) -> None:
        moment = time.time()
        if self.first is None:
            self.first = self._changed = moment
        self.inflight_seconds += self.active * (moment - self._changed)
        self._changed = moment
        self.active += delta
        if delta < 0:
            self.last = moment

    def _ids(self, count: int) -> range:
        first = self.next_id
        self.next_id += count
        return range(first, first + count)

    def _send_items(self, numbers: list[str], order: list[str] | None) -> list[str]:
        self.numbers += len(numbers)
        ids = self._ids(len(numbers))
        if order:
            return [
                f'{{"msgId":"{i}","number":"{n}","orderId":"{o}"}}'
                for i, n, o in zip(ids, numbers, order, strict=False)
            ]
        return [
            f'{{"msgId":"{i}","number":"{n}","orderId":null}}'
            for i, n in zip(ids, numbers, strict=False)
        ]

    def answer(self, method: bytes, target: bytes, body: bytes) -> bytes:
        url = urlsplit(target.decode("latin-1"))
        path = url.path.rstrip("/")
        if path.endswith("/sendSms/batch"):
            items: list[str] = []
            for element in json.loads(body)["array"]:
                order = element.get("orderId")
                items += self._send_items(
                    element["numbers"].split(","), order.split(",") if order else None
                )
            return _sent(items)
        if path.endswith("/sendSms"):
            data = json.loads(body)
            order = data.get("orderId")
            return _sent(
                self._send_items(data["numbers"].split(","), order.split(",") if order else None)
            )
        if path.endswith("/getReport"):
            ids = parse_qs(url.query).get("msgIds", [""])[0].split(",")
            items = [
                f'{{"msgId":"{i}","number":"447000000001","receiveTime":"{RECEIVED}",'
                '"status":"-1"}'
                for i in ids
                if i
            ]
            return (
                f'{{"status":"0","reason":"success","success":"0","fail":"0",'
                f'"sending":"{len(items)}","nofound":"0","array":[{",".join(items)}]}}'
            ).encode()
        if path.endswith("/getBalance"):
            return b'{"status":"0","reason":"success","balance":"100000000.000","gift":"0"}'
        if path == "/stats":
            return json.dumps(
                {"requests": self.requests, "numbers": self.numbers, "peak": self.peak,
                 "first": self.first, "last": self.last,
                 "inflight_seconds": self.inflight_seconds}
            ).encode()
        if path == "/reset" and method == b"POST":
            self.requests = self.numbers = self.peak = 0
            self.first = self.last = None
            self.inflight_seconds = 0.0
            return b"{}"
        return b'{"status":"-1","reason":"unknown path"}'

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.split(b"\r\n")
                method, target, _ = lines[0].split(b" ", 2)
                length = 0
                for line in lines[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length) if length else b""
                counted = not target.startswith((b"/stats", b"/reset"))
                if counted:
                    self.requests += 1
                    self._account(+1)
                    self.peak = max(self.peak, self.active)
                    if self.latency:
                        await asyncio.sleep(self.latency)
                try:
                    payload = self.answer(method, target, body)
                finally:
                    if counted:
                        self._account(-1)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload)
                )
                await writer.drain()
        finally:
            writer.close()


def _sent(items: list[str]) -> bytes:
    return (
        f'{{"status":"0","reason":"success","success":"{len(items)}","fail":"0",'
        f'"array":[{",".join(items)}]}}'
    ).encode()


async def _main(latency: float, port: int) -> None:
    gateway = Gateway(latency)
    server = await asyncio.start_server(gateway.serve, "127.0.0.1", port, backlog=256)
    sys.stdout.write(f"PORT {server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.latency, args.port))


if __name__ == "__main__":
    main()
