"""The console Environment: one object for the streams, terminal detection, width, colour,
questions and --silent's held lines; installed with console.use() instead of patching
module globals."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from smscli import console
from smscli.console import Environment


def test_unset_values_are_read_from_the_process_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = Environment()
    replaced = io.StringIO()
    monkeypatch.setattr(sys, "stdout", replaced)  # a test runner's own swap, after creation
    assert env.stdout is replaced
    assert env.stdout_isatty is False and env.stdin_isatty is False
    given = io.StringIO()
    assert Environment(stdout=given, stdout_isatty=True).stdout is given
    assert Environment(stdout=given, stdout_isatty=True).stdout_isatty is True


def test_width_colour_and_interactive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "123")
    assert Environment().width == 123
    assert Environment(width=40).width == 40
    monkeypatch.delenv("COLUMNS")
    assert Environment(stderr=io.StringIO()).width == 80  # not a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    assert Environment(stderr_isatty=True).colors is False
    monkeypatch.delenv("NO_COLOR")
    assert Environment(stderr_isatty=True).colors is True
    assert Environment(stderr_isatty=False).colors is False
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert Environment(stderr_isatty=False).colors is True
    assert Environment(colors=False).colors is False
    assert Environment(stdin_isatty=True, stdout_isatty=True).interactive
    assert not Environment(stdin_isatty=True, stdout_isatty=False).interactive


def test_use_installs_an_environment_and_puts_the_previous_one_back() -> None:
    before = console.current()
    err = io.StringIO()
    with console.use(Environment(stderr=err, stderr_isatty=False)) as env:
        assert console.current() is env
        console.info("hello")
        console.warn("careful")
        console.detail("  a hint")
    assert console.current() is before
    assert err.getvalue() == "hello\nwarning: careful\n  a hint\n"


def test_colour_and_breaking_follow_the_environment() -> None:
    err = io.StringIO()
    with console.use(Environment(stderr=err, stderr_isatty=True, colors=True, width=20)):
        console.error("the gateway refused the request")
    text = err.getvalue()
    assert text.startswith("\x1b[31merror: \x1b[0m")
    assert all(len(line) < 20 + len("\x1b[31m\x1b[0m") for line in text.splitlines())


def test_silent_holds_lines_until_a_failure() -> None:
    err = io.StringIO()
    env = Environment(stderr=err)
    with console.use(env):
        env.set_silent(True)
        console.info("summary")
        console.warn("always shown")
        env.release_held(failed=False)
        assert err.getvalue() == "warning: always shown\n"
        console.info("kept back")
        console.error("it failed")
    assert err.getvalue() == "warning: always shown\nkept back\nerror: it failed\n"
    assert not env.silent  # after an error the rest of the run prints as it goes


def test_questions_go_to_the_environment() -> None:
    asked: list[str] = []
    with console.use(Environment(confirm=lambda q: asked.append(q) or True)):
        assert console.confirm("Send?") is True
    assert asked == ["Send?"]
    # Nobody at a terminal: nobody is asked.
    with console.use(Environment(stdin_isatty=False, stdout_isatty=False, stderr_isatty=False)):
        assert console.confirm("Send?") is None


def test_a_whole_command_runs_in_an_injected_environment(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cli.main(env=...) as httpie's main(env=...): rows and messages go to the environment's
    streams, not the process's."""
    import signal

    from smscli.cli import main

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "argv", ["smscli", "balance", "-p", "sandbox", "-o", "json"])
    # main() installs smscli's stop-signal handlers: pytest's own come back afterwards.
    stops = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    saved = {signum: signal.getsignal(signum) for signum in stops}
    try:
        with pytest.raises(SystemExit) as done:
            main(Environment(stdout=out, stderr=err))
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)
    assert done.value.code == 0
    assert json.loads(out.getvalue())["profile"] == "sandbox"
    assert "sandbox: simulated balance" in err.getvalue()
