"""A plain http:// gateway reached directly cannot involve TLS, so its client does not load
the CA bundle (~20 ms of CPU per command); verification stays on (a context that trusts no
CA fails closed), and https gateways and proxies keep the bundle as before. SSL_CERT_FILE is
loaded only where TLS can happen; for plain http it is only checked to hold PEM."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from smscli.gateways.environment import make_client
from smscli.gateways.mobset import MobsetClient
from smscli.gateways.v3 import V3Client
from tests.fakes import FakeGateway, write_profile
from tests.inprocess import invoke

_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")


@pytest.fixture(autouse=True)
def no_tls_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _context(client: httpx.Client) -> ssl.SSLContext:
    context: ssl.SSLContext = client._transport._pool._ssl_context  # type: ignore[attr-defined]
    return context


def _cas(client: httpx.Client) -> int:
    return _context(client).cert_store_stats()["x509_ca"]


def test_plain_http_loads_no_ca_but_still_verifies() -> None:
    with make_client(timeout=5, url="http://127.0.0.1:9/v3") as client:
        context = _context(client)
        assert context.cert_store_stats()["x509_ca"] == 0
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    with make_client(timeout=5, url="HTTP://gateway.example/v3") as client:
        assert _cas(client) == 0


def test_https_and_unknown_urls_load_the_bundle() -> None:
    for url in ("https://api.example/v3", None):
        with make_client(timeout=5, url=url) as client:
            assert _cas(client) > 0
            assert _context(client).verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_PROXY", "http://proxy.example:3128"),
        ("https_proxy", "https://proxy.example:3128"),
        ("ALL_PROXY", "socks5://127.0.0.1:1080"),
    ],
)
def test_a_proxy_keeps_the_bundle(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with make_client(timeout=5, url="http://127.0.0.1:9/v3") as client:
        # The proxies' transports get the same verification; the direct one too.
        assert _cas(client) > 0


def test_ca_variables_keep_their_checks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(bogus))
    from smscli.errors import ConfigError

    for url in ("http://127.0.0.1:9/v3", "https://api.example/v3", None):
        with pytest.raises(ConfigError, match="SSL_CERT_FILE"):
            make_client(timeout=5, url=url)


def test_a_damaged_pem_ca_file_is_refused_for_https(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Looks like PEM (passes plain http's check, where it would never be used) but holds no
    # certificate: TLS must not start without the CAs the user named.
    bogus = tmp_path / "ca.pem"
    bogus.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("SSL_CERT_FILE", str(bogus))
    from smscli.errors import ConfigError

    with pytest.raises(ConfigError, match="SSL_CERT_FILE"):
        make_client(timeout=5, url="https://api.example/v3")


def test_ca_variables_are_loaded_only_where_tls_can_happen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import certifi

    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with make_client(timeout=5, url="http://127.0.0.1:9/v3") as client:
        context = _context(client)
        assert context.cert_store_stats()["x509_ca"] == 0
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    with make_client(timeout=5, url="https://api.example/v3") as client:
        assert _cas(client) > 0 and _context(client).verify_mode == ssl.CERT_REQUIRED
    monkeypatch.setenv("HTTPS_PROXY", "https://proxy.example:3128")
    with make_client(timeout=5, url="http://127.0.0.1:9/v3") as client:
        assert _cas(client) > 0


def test_an_unreadable_ca_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A directory where the file should be: check_environment names it first.
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path))
    from smscli.errors import ConfigError

    with pytest.raises(ConfigError, match="SSL_CERT_FILE"):
        make_client(timeout=5, url="http://127.0.0.1:9/v3")


def test_clients_pass_their_url() -> None:
    v3 = V3Client(api_key="k", api_secret="s", app_id="a", base_url="http://127.0.0.1:9/v3")
    secure = V3Client(api_key="k", api_secret="s", app_id="a", base_url="https://x.example/v3")
    mobset = MobsetClient(corp_id="100001", login_name="l", password="p")
    plain_mobset = MobsetClient(
        corp_id="100001", login_name="l", password="p", base_url="http://127.0.0.1:9"
    )
    try:
        assert _cas(v3._client) == 0 and _cas(plain_mobset._client) == 0
        assert _cas(secure._client) > 0 and _cas(mobset._client) > 0
    finally:
        for client in (v3, secure, mobset, plain_mobset):
            client.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[FakeGateway]:
    gw = FakeGateway(tmp_path / "served", balance="100000")
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{gw.start()}/v3")
    yield gw
    gw.stop()


def test_a_send_over_plain_http_still_works(served: FakeGateway) -> None:
    result = invoke("send", "6281234567214", "-m", "hi", "-y", "-o", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert len(served.received) == 1
