"""HTTP plumbing the provider clients share: one httpx client per gateway, every transport
failure mapped to an smscli error (never an httpx one), and redacted tracing for --verbose."""

from __future__ import annotations

import json
import os
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from smscli import __version__
from smscli.errors import ConfigError, ErrorKind, GatewayError, NetworkError
from smscli.gateways.base import Trace

TRACE_BODY_LIMIT = 2000


def make_client(*, timeout: float, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The client for one gateway. ConfigError (exit 2, before any request) when the proxy or
    certificate variables of the environment cannot be used, naming the variable."""
    if transport is None:
        # With a transport of its own (the sandbox, tests) httpx reads no proxy or
        # certificate settings, so only a real connection needs them checked.
        check_environment(os.environ)
    try:
        # verify=True always: the vendors' samples switch TLS checks off; we never do.
        # trust_env keeps HTTP(S)_PROXY / ALL_PROXY / NO_PROXY / SSL_CERT_FILE working.
        return httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            verify=True,
            trust_env=True,
            transport=transport,
            headers={"User-Agent": f"smscli/{__version__}"},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )
    except ssl.SSLError:
        name = "SSL_CERT_FILE" if os.environ.get("SSL_CERT_FILE") else "SSL_CERT_DIR"
        raise ConfigError(
            f"environment variable {name} names no usable CA certificates (PEM)",
            hint=f"point {name} at your CA certificates, or unset it to use the built-in ones",
        ) from None
    except (ValueError, ImportError, OSError, httpx.InvalidURL) as exc:
        # Whatever check_environment did not foresee: still one line, never the values
        # (a proxy URL may hold a password).
        raise ConfigError(
            f"cannot set up HTTP from the environment ({type(exc).__name__})",
            hint="check HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY, SSL_CERT_FILE and "
            "SSL_CERT_DIR",
        ) from None


_PROXY_SCHEMES = frozenset({"http", "https", "socks5", "socks5h"})


def check_environment(env: Mapping[str, str]) -> None:
    """The environment variables httpx will read, checked one by one so that a bad one is
    named: HTTP_PROXY=socks5://…, ALL_PROXY=ftp://x, HTTP_PROXY=http://[::1 and
    SSL_CERT_FILE=/nonexistent would otherwise end in a traceback. Values are never shown."""
    for name, value in env.items():
        lowered = name.lower()
        if lowered in ("http_proxy", "https_proxy", "all_proxy") and value.strip():
            problem = _proxy_problem(value.strip())
            if problem:
                raise ConfigError(
                    f"environment variable {name} {problem}",
                    hint=f"fix or unset {name} (e.g. http://proxy.example:3128 or "
                    "socks5://127.0.0.1:1080)",
                )
        elif lowered == "no_proxy" and value.strip():
            for host in value.split(","):
                host = host.strip()
                if host and host != "*" and _proxy_problem(f"http://{host}") is not None:
                    raise ConfigError(
                        f"environment variable {name} has an entry that is not a host name",
                        hint=f"NO_PROXY is a comma-separated list of hosts; fix or unset {name}",
                    )
    for name, check in (("SSL_CERT_FILE", os.path.isfile), ("SSL_CERT_DIR", os.path.isdir)):
        path = env.get(name)
        if path and not check(path):
            kind = "file" if name == "SSL_CERT_FILE" else "directory"
            raise ConfigError(
                f"environment variable {name} names {path}, which is not a readable {kind}",
                hint=f"point {name} at your CA certificates, or unset it to use the built-in ones",
            )
        if name == "SSL_CERT_FILE" and path:
            break  # httpx uses SSL_CERT_DIR only without SSL_CERT_FILE


def _proxy_problem(value: str) -> str | None:
    url = value if "://" in value else f"http://{value}"
    try:
        parsed = httpx.URL(url)
        host = parsed.host
    except (httpx.InvalidURL, ValueError):
        return "is not a valid URL"
    scheme = parsed.scheme.lower()
    if scheme not in _PROXY_SCHEMES:
        return (
            f"names a {scheme}:// proxy; smscli can use http://, https:// and socks5:// proxies"
        )
    if not host:
        return "has no host name"
    if scheme.startswith("socks"):
        import importlib.util

        # httpx[socks] (a dependency) provides it; checked here to say so instead of failing.
        if importlib.util.find_spec("socksio") is None:
            return "names a SOCKS proxy, which needs the socksio package: pip install socksio"
    return None


def mask_key(value: str) -> str:
    """Enough of an API key to tell keys apart in a log, not enough to use it."""
    if len(value) <= 6:
        return "…"
    return f"{value[:3]}…{value[-2:]}"


def _clip(text: str) -> str:
    if len(text) <= TRACE_BODY_LIMIT:
        return text
    return f"{text[:TRACE_BODY_LIMIT]}… ({len(text) - TRACE_BODY_LIMIT} more characters)"


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def request_json(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    trace: Trace | None,
    trace_headers: Mapping[str, str],
    trace_body: str | None = None,
    json_body: Any = None,
    params: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    content: bytes | None = None,
) -> tuple[dict[str, Any], httpx.Response]:
    """Send one request and return its JSON object. `trace_headers`/`trace_body` are the
    already-redacted forms shown with --verbose: the real ones never reach the trace."""
    if trace:
        shown = " ".join(f"{k}={v}" for k, v in trace_headers.items())
        query = ""
        if params:
            query = "?" + "&".join(f"{k}={v}" for k, v in params.items())
        trace(f"> {method} {url}{_clip(query)} {shown}".rstrip())
        if trace_body:
            trace(f"> {_clip(trace_body)}")
    started = time.monotonic()
    try:
        response = client.request(
            method,
            url,
            headers=dict(headers),
            json=json_body,
            params=params,
            data=form,
            content=content,
        )
    except httpx.HTTPError as exc:
        raise _transport_error(exc, url) from None
    elapsed_ms = (time.monotonic() - started) * 1000
    text = response.text
    if trace:
        trace(f"< {response.status_code} ({elapsed_ms:.0f} ms) {_clip(text)}")
    _check_status(response, url)
    try:
        body = json.loads(text)
    except ValueError:
        kind = response.headers.get("content-type", "no content type")
        raise NetworkError(
            f"{_host(url)} answered HTTP {response.status_code} with a body that is not JSON "
            f"({kind}, {len(response.content)} bytes)",
            maybe_processed=True,
            status_code=response.status_code,
            hint="check base_url, or whether a proxy or captive portal answered instead",
        ) from None
    if not isinstance(body, dict):
        raise NetworkError(
            f"{_host(url)} answered with JSON that is not an object",
            maybe_processed=True,
            status_code=response.status_code,
        )
    return body, response


def _check_status(response: httpx.Response, url: str) -> None:
    status = response.status_code
    host = _host(url)
    if status < 400:
        return
    if status >= 500:
        raise NetworkError(
            f"{host} answered HTTP {status} (server error)",
            maybe_processed=True,
            status_code=status,
            retry_after=_retry_after(response),
        )
    if status == 429:
        raise GatewayError(
            f"{host} answered HTTP 429: too many requests",
            code="HTTP 429",
            kind=ErrorKind.RATE,
            hint="wait a little, or lower --concurrency / --rate",
            retry_after=_retry_after(response),
        )
    if status in (401, 403):
        raise GatewayError(
            f"{host} refused access (HTTP {status})",
            code=f"HTTP {status}",
            kind=ErrorKind.AUTH,
            hint="check the credentials and base_url (smscli config show)",
        )
    if status == 404:
        raise GatewayError(
            f"{host} has no such endpoint: {urlsplit(url).path} (HTTP 404)",
            code="HTTP 404",
            kind=ErrorKind.INPUT,
            hint="check base_url (smscli config show)",
        )
    raise GatewayError(f"{host} answered HTTP {status}", code=f"HTTP {status}")


def _transport_error(exc: httpx.HTTPError, url: str) -> NetworkError:
    host = _host(url)
    # Only failures before the request could leave are provably "not processed".
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError(f"timed out connecting to {host}", maybe_processed=False)
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError | httpx.UnsupportedProtocol):
        return NetworkError(
            f"could not connect to {host}: {_reason(exc)}",
            maybe_processed=False,
            hint="check the network, proxy settings and base_url",
        )
    if isinstance(exc, httpx.PoolTimeout):
        return NetworkError(f"no free connection to {host} in time", maybe_processed=False)
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout):
        return NetworkError(
            f"{host} did not answer in time",
            maybe_processed=True,
            hint="raise the profile's timeout if the gateway is slow",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return NetworkError(
            f"the connection to {host} broke before an answer arrived ({_reason(exc)})",
            maybe_processed=True,
        )
    return NetworkError(f"request to {host} failed: {_reason(exc)}", maybe_processed=True)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
