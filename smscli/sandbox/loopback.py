"""Serve an httpx-style handler (`Callable[[httpx.Request], httpx.Response]`) over real HTTP.

For tests, benchmarks and `smscli sandbox serve`: the same handler that runs in-process behind
`httpx.MockTransport` can be put behind a real socket, so connection reuse, Content-Length and
resets are exercised too. It only ever binds to a loopback address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import socketserver
import struct
import threading
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
Log = Callable[[str], None]

# Framing headers are recomputed here; copying the handler's would corrupt the stream.
_HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade"}
)
_MAX_BODY: Final = 64 * 1024 * 1024
_MAX_LINE: Final = 65536
# Idle keep-alive connections are closed after this; httpx's own pool expires them at 5 s.
_IDLE_TIMEOUT: Final = 60.0
# How often the accept loop checks for shutdown(); the stdlib's 0.5 s makes every stop slow.
_POLL_INTERVAL: Final = 0.05


class DropConnection(Exception):
    """Raise from a handler to close the socket with no response (a 'reset')."""


class _BadRequest(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def _loopback(host: str) -> tuple[str, socket.AddressFamily]:
    name = "127.0.0.1" if host == "localhost" else host.strip("[]")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        raise ValueError(f"refusing to bind to {host!r}: not a loopback address") from None
    if not address.is_loopback:
        raise ValueError(f"refusing to bind to {host!r}: not a loopback address")
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    return str(address), family


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Idle keep-alive threads would otherwise make server_close() wait for every client.
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        family: socket.AddressFamily,
        handler: Handler,
        log: Log | None,
    ) -> None:
        self.address_family = family
        self.app = handler
        self.log = log
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can stall offline.
        socketserver.TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that vanish mid-request are routine here; stay quiet unless asked to log.
        if self.log is not None:
            self.log(f"error while serving {client_address}")

    def close_connections(self) -> None:
        with self.connections_lock:
            sockets = list(self.connections)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = _IDLE_TIMEOUT
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in one write, but be safe from Nagle + delayed-ACK stalls.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} - {format % args}")

    def _dispatch(self) -> None:
        try:
            request = self._request()
        except _BadRequest as error:
            self.close_connection = True
            self._send_plain(error.status, error.text)
            return
        try:
            response = self.server.app(request)
        except DropConnection:
            self._drop()
            return
        except Exception as error:
            self.log_message("handler raised %r", error)
            self._send_plain(500, f"handler error: {type(error).__name__}\n")
            return
        self._send(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    # -- request -------------------------------------------------------------------------

    def _request(self) -> httpx.Request:
        body = self._read_body()
        headers = [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in self.headers.items()
            if name.lower() not in ("transfer-encoding", "content-length")
        ]
        host = self.headers.get("Host") or f"{self.server.server_name}:{self.server.server_port}"
        try:
            return httpx.Request(
                self.command, f"http://{host}{self.path}", headers=headers, content=body
            )
        except (httpx.InvalidURL, ValueError):
            raise _BadRequest(400, "bad request target\n") from None

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError:
            raise _BadRequest(400, "bad Content-Length\n") from None
        if length < 0:
            raise _BadRequest(400, "bad Content-Length\n")
        if length > _MAX_BODY:
            raise _BadRequest(413, "body too large\n")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(_MAX_LINE)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadRequest(400, "bad chunk size\n") from None
            if size == 0:
                self._skip_trailers()
                return b"".join(chunks)
            total += size
            if total > _MAX_BODY:
                raise _BadRequest(413, "body too large\n")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(_MAX_LINE)

    def _skip_trailers(self) -> None:
        while self.rfile.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
            pass

    # -- response ------------------------------------------------------------------------

    def _send(self, response: httpx.Response) -> None:
        status = response.status_code
        body = _raw_body(response)
        lines = [f"{self.protocol_version} {status} {_phrase(status)}"]
        for name, value in response.headers.raw:
            if name.decode("latin-1").lower() not in _HOP_BY_HOP:
                lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}")
        bodiless = status < 200 or status in (204, 304)
        if not bodiless:
            lines.append(f"Content-Length: {len(body)}")
        if response.headers.get("Connection", "").lower() == "close":
            self.close_connection = True
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write for head and body: no small-segment stalls, and a reader never sees half.
        self.wfile.write(head if bodiless or self.command == "HEAD" else head + body)
        self.log_request(status, len(body))

    def _send_plain(self, status: int, text: str) -> None:
        self._send(
            httpx.Response(
                status, content=text.encode(), headers={"Content-Type": "text/plain; charset=utf-8"}
            )
        )

    def _drop(self) -> None:
        self.close_connection = True
        # Linger 0 makes the close send RST, like a crashed peer or a middlebox reset.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.log_message("dropped the connection for %r", self.requestline)


def _raw_body(response: httpx.Response) -> bytes:
    # A ByteStream still holds the bytes as given, before any Content-Encoding was decoded.
    if isinstance(response.stream, httpx.ByteStream):
        return b"".join(response.stream)
    return response.read()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class LoopbackServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 (or ::1) that answers with `handler`.

    The socket is bound in the constructor, so `url` is known before `start()`.
    """

    def __init__(
        self,
        handler: Handler,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log: Log | None = None,
    ) -> None:
        address, family = _loopback(host)
        self._server = _Server((address, port), family, handler, log)
        shown = f"[{address}]" if family == socket.AF_INET6 else address
        self.url = f"http://{shown}:{self._server.server_port}"
        self._lock = threading.Lock()
        self._serving = False
        self._closed = False
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def start(self) -> LoopbackServer:
        """Serve in a daemon thread; returns self."""
        self._claim()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(_POLL_INTERVAL,),
            name=f"loopback {self.url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until shutdown() is called from another thread."""
        self._claim()
        self._server.serve_forever(_POLL_INTERVAL)

    def shutdown(self) -> None:
        """Stop serving, close the listening socket and every open connection. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            serving = self._serving
        # socketserver.shutdown() waits for a serve_forever loop; without one it would hang.
        if serving:
            self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)

    def _claim(self) -> None:
        # Marked before the loop runs, so a shutdown() racing start() still stops it.
        with self._lock:
            if self._closed:
                raise RuntimeError("this LoopbackServer has been shut down")
            if self._serving:
                raise RuntimeError("this LoopbackServer is already serving")
            self._serving = True
