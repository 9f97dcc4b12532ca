"""One httpx client per gateway, set up from the environment: TLS verification always on,
HTTP(S)_PROXY / ALL_PROXY / NO_PROXY / SSL_CERT_FILE honoured, and a variable httpx cannot
use named in one readable error (exit 2) before any request."""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from smscli import __version__
from smscli.errors import ConfigError


def make_client(
    *, timeout: float, transport: httpx.BaseTransport | None = None, url: str | None = None
) -> httpx.Client:
    """The client for one gateway, whose requests all go to `url`. ConfigError (exit 2, before
    any request) when the proxy or certificate variables of the environment cannot be used,
    naming the variable."""
    if transport is None:
        # With a transport of its own (the sandbox, tests) httpx reads no proxy or
        # certificate settings, so only a real connection needs them checked.
        check_environment(os.environ)
    try:
        # Verification always on: the vendors' samples switch TLS checks off; we never do.
        # trust_env keeps HTTP(S)_PROXY / ALL_PROXY / NO_PROXY / SSL_CERT_FILE working.
        return httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            verify=_verify(url, transport, os.environ),
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
# Variables that may bring TLS into a plain-HTTP exchange: an https:// proxy.
_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy"})
# What OpenSSL needs to find in a CA file (PEM): without it load_verify_locations fails.
_PEM_MARK = b"-----BEGIN "


def _verify(
    url: str | None, transport: httpx.BaseTransport | None, env: Mapping[str, str]
) -> ssl.SSLContext | bool:
    """True (httpx loads the CA bundle, or SSL_CERT_FILE's: ~20 ms of CPU) unless no TLS can
    happen: a plain http:// gateway reached directly (no proxy variable, and httpx follows no
    redirect). Then a context that still verifies (CERT_REQUIRED, host names checked) but
    trusts no CA: were TLS ever attempted, it would fail closed instead of going unchecked.
    SSL_CERT_FILE is not loaded then (nothing would use it), only checked to hold PEM, so a
    file that is no CA file is still named before any request, as for https."""
    if transport is not None or url is None or urlsplit(url).scheme.lower() != "http":
        return True
    if any(value.strip() and name.lower() in _PROXY_VARIABLES for name, value in env.items()):
        return True
    cafile = env.get("SSL_CERT_FILE")
    if cafile:
        try:
            with open(cafile, "rb") as given:
                pem = _PEM_MARK in given.read()
        except OSError:
            pem = False
        if not pem:
            raise ssl.SSLError("SSL_CERT_FILE holds no PEM certificates")
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


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
