"""The whole CLI in-process: Typer's CliRunner, with every gateway the commands open routed to
one FakeGateway through httpx.MockTransport. Shared by the hostile-input and fuzz tests, which
run thousands of invocations: no sockets, no subprocesses."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from smscli import providers
from smscli.cli import app
from tests.fakes import FakeGateway

# A host that never resolves: only the MockTransport can answer it.
FAKE_URL = "https://gateway.smscli.invalid/v3"
DOCUMENTED_EXITS = frozenset({0, 1, 2, 3, 4, 5, 6})

runner = CliRunner()


def routed(monkeypatch: pytest.MonkeyPatch, gateway: FakeGateway) -> None:
    """Every gateway a command opens talks to `gateway` in-process."""
    real: Callable[..., Any] = providers.open_gateway

    def open_gateway(profile: Any, **kwargs: Any) -> Any:
        kwargs["transport"] = gateway.transport()
        return real(profile, **kwargs)

    monkeypatch.setattr(providers, "open_gateway", open_gateway)


def invoke(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
           ) -> Result:
    """Run smscli; exceptions are kept in the Result (check_clean says whether one escaped)."""
    return runner.invoke(app, list(args), input=input, env=env, catch_exceptions=True)


def escaped(result: Result) -> str | None:
    """The traceback of an exception that escaped the CLI's error boundary, if any."""
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        return None
    return "".join(traceback.format_exception(exc))


def assert_clean(result: Result, gateway: FakeGateway, what: object) -> None:
    """The fuzz contract: a documented exit code, no traceback, and exit 2 (bad input)
    means that nothing reached the gateway."""
    trace = escaped(result)
    assert trace is None, f"{what!r}: traceback\n{trace}"
    assert result.exit_code in DOCUMENTED_EXITS, (what, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr, (what, result.stderr)
    if result.exit_code == 2:
        assert gateway.received == [], (what, result.stderr, gateway.received)
        assert result.stderr.strip(), (what, "exit 2 without a word")


@contextmanager
def fresh_gateway(state_dir: Path, **options: object) -> Iterator[FakeGateway]:
    gateway = FakeGateway(state_dir, balance="100000", **options)
    try:
        yield gateway
    finally:
        gateway.sandbox.close()
