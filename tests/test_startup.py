"""Start-up stays cheap: --help and tab completion import the whole CLI, so the CLI must not
import httpx, rich's table/progress/live machinery, or sqlite3 at module level."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from tests.fakes import FakeGateway, write_profile

HEAVY = ["httpx", "rich.table", "rich.progress", "rich.live", "sqlite3", "pydantic"]


def test_importing_the_cli_imports_nothing_heavy() -> None:
    code = (
        "import sys, smscli.cli\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "", f"imported at start-up: {done.stdout.strip()}"


def test_version_and_help_do_not_import_httpx() -> None:
    code = (
        "import sys\n"
        "from smscli.cli import app\n"
        "try:\n"
        "    app(['send', '--help'], prog_name='smscli')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('httpx' in sys.modules, 'rich' in sys.modules, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stderr.strip().splitlines()[-1] == "False False"


def test_every_command_builds_with_plain_help_and_no_own_completion_options() -> None:
    import click

    from smscli.cli import COMMANDS, load_command

    for name in COMMANDS:
        command = load_command(name)
        assert command is not None and command.name == name
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        assert "--install-completion" not in options, name
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                assert "--install-completion" not in {
                    o for p in sub.params for o in getattr(p, "opts", [])
                }
    sandbox = load_command("sandbox")
    assert isinstance(sandbox, click.Group) and {"serve", "reset"} <= set(sandbox.commands)


def test_help_is_plain_text() -> None:
    for args in (["--help"], ["send", "--help"], ["config", "--help"], ["history", "--help"]):
        done = subprocess.run([sys.executable, "-m", "smscli", *args], capture_output=True,
                              text=True, check=True, timeout=60)
        assert "╭" not in done.stdout, args


def test_command_summaries_are_the_commands_own() -> None:
    """`smscli --help` and completing a command's name use the summaries in COMMANDS instead
    of importing every command: they must say what the commands themselves say."""
    from smscli.cli import COMMANDS, load_command, summary

    for name in COMMANDS:
        command = load_command(name)
        assert command is not None and not command.hidden and not command.deprecated
        for limit in (20, 45, 74, 200):
            assert summary(name).get_short_help_str(limit) == command.get_short_help_str(
                limit
            ), (name, limit)


def test_root_help_and_name_completion_import_no_command() -> None:
    code = (
        "import os, sys\n"
        "from smscli.cli import app\n"
        "for args, env in (([\"--help\"], {}), ([], {'_SMSCLI_COMPLETE': 'complete_bash',\n"
        "        'COMP_WORDS': 'smscli s', 'COMP_CWORD': '1'})):\n"
        "    os.environ.update(env)\n"
        "    try:\n"
        "        app(args, prog_name='smscli')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('smscli.cli.')), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    loaded = done.stderr.strip().splitlines()[-1]
    assert loaded == "['smscli.cli.completion', 'smscli.cli.help', 'smscli.cli.options']"
    assert done.stdout.endswith("\nsend\nsync\nsandbox\n")


def test_no_collection_during_start_up_and_the_usual_one_after() -> None:
    """The console script raises the collector's young-generation threshold for the start-up
    and restores it (freezing what start-up built) once the gateway is open; a command that
    opens no gateway keeps the raised threshold, so the collector still runs. At exit (when
    the atexit hook runs) everything is frozen: no last collection over it."""
    code = (
        "import atexit, gc, sys\n"
        "usual = gc.get_threshold()\n"
        "atexit.register(lambda: print(gc.get_threshold() == usual, gc.get_freeze_count() > 0,"
        " file=sys.stderr))\n"
        "from smscli.entry import main\n"
        "main()\n"
    )
    balance = subprocess.run([sys.executable, "-c", code, "balance", "-p", "sandbox"],
                             capture_output=True, text=True, timeout=60, check=True)
    assert balance.stderr.strip().splitlines()[-1] == "True True"
    history = subprocess.run([sys.executable, "-c", code, "history"],
                             capture_output=True, text=True, timeout=60, check=True)
    assert history.stderr.strip().splitlines()[-1] == "False True"
    from smscli import entry

    usual = gc.get_threshold()
    entry.started()  # in-process (tests, embedding): nothing raised, nothing to restore
    assert gc.get_threshold() == usual


def test_the_v3_client_does_not_import_the_account_records() -> None:
    """send, report and balance open a v3 client; the account's record types (sync's
    dataclasses) are built only when `sync` asks for them."""
    code = (
        "import sys, smscli.gateways.v3\n"
        "print('smscli.gateways.records' in sys.modules, 'smscli.gateways.v3_records' in "
        "sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "False False"


def test_closing_a_job_without_history_imports_no_history_module() -> None:
    # `send --no-history` (one number or many) ends through close_job(None): the history's
    # modules (and sqlite3) stay unimported, ~2.5 ms of a one-number send.
    code = (
        "import sys\n"
        "from smscli.jobs.run import close_job\n"
        "closed = close_job(None)\n"
        "assert closed.unrecorded == [] and closed.warning is None\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m.startswith('smscli.history') or m == 'sqlite3'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "[]"


# What a one-number send and a balance never need: the resume's and the history command's
# modules, the records of reports, batches, sends and the balance (each dataclass costs start-up
# about half a millisecond to create), --at's time parsing, csv and decimal (only their own
# formats and amounts), platformdirs (the paths are given), httpcore's SOCKS support (no
# SOCKS proxy named). Through the console script's main(), as a user runs them.
_NOT_FOR_A_SEND = [
    "smscli.jobs.resume", "smscli.cli.resumejob", "smscli.history.resumeplan",
    "smscli.history.pruning", "smscli.history.rawreport", "smscli.history.messages",
    "smscli.history.chunkinfo", "smscli.timeparse", "smscli.profileinfo",
    "smscli.gateways.batch", "smscli.gateways.balance", "smscli.gateways.reportcalls",
    "smscli.gateways.v3_reports", "csv", "decimal", "platformdirs", "socksio",
]
_NOT_FOR_A_BALANCE = [
    "smscli.gateways.reports", "smscli.gateways.reportcalls", "smscli.gateways.v3_reports",
    "smscli.gateways.sends", "smscli.gateways.batch", "smscli.history.store", "smscli.jobs.run",
    "csv", "platformdirs", "socksio",
]
_IMPORTED_AT_EXIT = (
    "import atexit, sys\n"
    "watched = sys.argv.pop(1).split(',')\n"
    "atexit.register(lambda: print('imported:', sorted(m for m in watched if m in sys.modules),"
    " file=sys.stderr))\n"
    "from smscli.entry import main\n"
    "main()\n"
)


def _imported(args: list[str], watched: list[str], **env: str) -> tuple[int, str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED_AT_EXIT, ",".join(watched), *args],
        capture_output=True, text=True, timeout=60, env={**os.environ, **env},
    )
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("imported: "), done.stderr
    return done.returncode, done.stderr, eval(last.removeprefix("imported: "))  # noqa: S307


def test_a_one_number_send_and_a_balance_import_only_what_they_use(tmp_path: Path) -> None:
    gateway = FakeGateway(tmp_path / "gateway", balance="100000")
    url = gateway.start()
    try:
        write_profile(Path(os.environ["SMSCLI_CONFIG"]), f"{url}/v3")
        code, err, imported = _imported(
            ["send", "447700900123", "-m", "hi", "-y", "-o", "jsonl"], _NOT_FOR_A_SEND
        )
        assert code == 0, err
        assert gateway.numbers_received() == ["447700900123"]
        assert imported == []
        code, err, imported = _imported(["balance", "-o", "json"], _NOT_FOR_A_BALANCE)
        assert code == 0, err
        assert imported == []
    finally:
        gateway.stop()


def test_a_socks_proxy_named_by_the_environment_keeps_its_support(tmp_path: Path) -> None:
    # Nothing listens on port 9: the balance fails as a network error through the SOCKS
    # proxy (exit 6), not as httpcore's stub "SOCKS support is not installed".
    write_profile(Path(os.environ["SMSCLI_CONFIG"]), "http://127.0.0.1:9/v3")
    code, err, imported = _imported(
        ["balance"], ["socksio"], ALL_PROXY="socks5://127.0.0.1:9", NO_PROXY=""
    )
    assert code == 6, err
    assert "Traceback" not in err and "RuntimeError" not in err
    assert imported == ["socksio"]


def test_send_balance_batch_and_the_root_give_typer_evaluated_annotations() -> None:
    # Typer reads a command's signature twice per run (typing.get_type_hints): string
    # annotations (`from __future__ import annotations`) would be compiled and evaluated each
    # time, ~2 ms of every send. These modules keep theirs evaluated at import.
    import inspect

    from smscli import cli
    from smscli.cli import balance, batch, send

    for command in (send.send, balance.balance, batch.batch, cli.root):
        annotations = inspect.get_annotations(inspect.unwrap(command))
        assert annotations, command
        assert not [k for k, v in annotations.items() if isinstance(v, str)], command
