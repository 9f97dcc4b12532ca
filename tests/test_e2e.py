"""The installed `smscli` in a subprocess against the fake gateway over real loopback HTTP:
exit code, stdout and stderr checked separately, as a user or a cron job sees them."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes import FakeGateway, write_profile

pytestmark = pytest.mark.e2e

SMSCLI = str(Path(sys.executable).with_name("smscli"))


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SMSCLI, *args], input=input, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout, check=False)


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[FakeGateway]:
    gw = FakeGateway(tmp_path / "gateway", balance="100000")
    url = gw.start()
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{url}/v3")
    yield gw
    gw.stop()


def test_readme_first_send_through_the_sandbox() -> None:
    done = run("send", "-p", "sandbox", "447700900123", "-m", "Hello from smscli")
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert header.split("\t") == ["number", "msg_id", "order_id", "outcome", "error"]
    assert row.startswith("447700900123\t") and row.split("\t")[3] == "accepted"
    assert "sandbox" in done.stderr and "Traceback" not in done.stderr


def test_2500_numbers_on_stdin_go_out_as_3_signed_posts(gateway: FakeGateway) -> None:
    numbers = [str(447700000001 + i * 10) for i in range(2500)]  # no magic suffixes
    done = run("send", "-m", "bulk ✓ ünïcode", input="\n".join(numbers) + "\n")
    assert done.returncode == 0, done.stderr
    posts = [r for r in gateway.received if r.path.endswith("sendSms")]  # type: ignore[attr-defined]
    assert [r.method for r in posts] == ["POST"] * 3
    assert sorted(len(r.json["numbers"].split(",")) for r in posts) == [500, 1000, 1000]
    for r in posts:
        ts = r.headers["timestamp"]
        expected = hashlib.md5(f"bDqJFiq9{'7bz1lzh9'}{ts}".encode()).hexdigest()
        assert r.headers["sign"] == expected
        assert abs(int(ts) - time.time()) < 120
        assert "bulk ✓ ünïcode".encode() in r.body
    received = gateway.numbers_received()
    assert sorted(received) == sorted(numbers)
    assert len(done.stdout.splitlines()) == 2501


def test_version_both_ways() -> None:
    assert run("--version").stdout.startswith("smscli ")
    done = subprocess.run([sys.executable, "-m", "smscli", "--version"], capture_output=True,
                          text=True, check=False, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("smscli ")


def test_no_args_shows_help_and_exit_codes() -> None:
    done = run("--help")
    assert done.returncode == 0
    assert "Exit codes" in done.stdout and "130" in done.stdout


@pytest.mark.parametrize(
    ("config", "args", "fragment"),
    [
        (None, ["send", "447700900123", "-m", "hi"], "smscli config init"),
        ("[profiles.main\nprovider = 'laaffic'\n", ["send", "447700900123", "-m", "hi"],
         "config.toml"),
        ("[profiles.main]\nprovider='laaffic'\napi_key='k'\napi_secret='s'\napp_id='a'\n",
         ["send", "-p", "nope", "447700900123", "-m", "hi"], "nope"),
        ("[profiles.main]\nprovider='smsfoo'\n", ["send", "447700900123", "-m", "hi"],
         "provider must be one of"),
        ("[profiles.main]\nprovider='laaffic'\napi_key='k'\napp_id='a'\n",
         ["send", "447700900123", "-m", "hi"], "api_secret"),
    ],
)
def test_config_problems_exit_2_with_the_path_and_no_traceback(
    config: str | None, args: list[str], fragment: str
) -> None:
    path = Path(os.environ["SMSCLI_CONFIG"])
    if config is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config, encoding="utf-8")
        path.chmod(0o600)
    done = run(*args)
    assert done.returncode == 2, done.stderr
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_debug_env_shows_a_traceback() -> None:
    done = run("send", "447700900123", "-m", "hi", env={"SMSCLI_DEBUG": "1"})
    assert done.returncode != 0
    assert "Traceback" in done.stderr


def test_secret_never_in_verbose_or_errors(gateway: FakeGateway) -> None:
    gateway.faults.append(lambda request, gw: httpx.Response(500, text="boom"))
    done = run("send", "447700900123", "-m", "hi", "-v")
    assert done.returncode == 6
    assert "7bz1lzh9" not in done.stdout + done.stderr
    assert "bDqJFiq9" not in done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sandbox_serve_over_http(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen([SMSCLI, "sandbox", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        config = Path(os.environ["SMSCLI_CONFIG"])
        write_profile(config, f"http://127.0.0.1:{port}/v3", provider="sandbox")
        done = run("send", "447700900123", "-m", "over http", "--json")
        assert done.returncode == 0, done.stderr
        assert '"outcome": "accepted"' in done.stdout
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "Traceback" not in err
