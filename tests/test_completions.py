"""Completion scripts are generated from the app, never hand-written: stale ones fail here, and
the completion protocol itself is driven in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "completions"))
import generate  # noqa: E402


@pytest.mark.parametrize(("shell", "name"), sorted(generate.FILES.items()))
def test_committed_scripts_are_fresh(shell: str, name: str) -> None:
    committed = (ROOT / "completions" / name).read_text(encoding="utf-8")
    assert committed == generate.script(shell), (
        f"completions/{name} is stale: run `python completions/generate.py`"
    )


def complete(words: str, cword: int) -> list[str]:
    env = dict(os.environ, _SMSCLI_COMPLETE="complete_bash", COMP_WORDS=words,
               COMP_CWORD=str(cword))
    done = subprocess.run([sys.executable, "-m", "smscli"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completion_protocol_completes_commands() -> None:
    assert complete("smscli se", 1) == ["send"]
    assert "config" in complete("smscli c", 1)


def test_bash_completion_completes_options_and_subcommands() -> None:
    assert "--message" in complete("smscli send --mes", 2)
    assert "show" in complete("smscli config sh", 2)
