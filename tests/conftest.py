"""Every test runs isolated: its own config and data dirs, no SMSCLI_* or proxy variables
from the developer's shell, no colour, a wide terminal, no OS keyring."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No per-example deadline: on a loaded machine (CI, shared cores) an example can take longer
# than hypothesis' default 200 ms, and a test must not fail for the machine's speed.
settings.register_profile(
    "smscli", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("smscli")

_CLEARED_PREFIXES = ("SMSCLI_", "XDG_")
_CLEARED = {
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "FORCE_COLOR",
    "TYPER_USE_RICH",
    "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION",
}


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith(_CLEARED_PREFIXES) or name in _CLEARED:
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("SMSCLI_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("SMSCLI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("TERM", "dumb")
    # Never the developer's real keyring: tests that want one install an in-memory backend.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield tmp_path


@pytest.fixture(autouse=True)
def unpaced_report_pulls(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process commands pull mobset's report queue without the 1 s pause between pulls
    (tests of the pacing itself pass their own `sleep`)."""
    from smscli.reporting import drain

    monkeypatch.setattr(drain, "PULL_PACE", 0.0)


@pytest.fixture
def console_env() -> Iterator[Callable[..., object]]:
    """Install a console Environment for the rest of the test: `console_env(stderr_isatty=True)`
    says stderr is a terminal without one (instead of patching smscli.console)."""
    from smscli.console import Environment, use

    with ExitStack() as stack:

        def install(**given: object) -> Environment:
            return stack.enter_context(use(Environment(**given)))  # type: ignore[arg-type]

        yield install
